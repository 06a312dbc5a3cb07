//! The MCP server at `/mcp`: the task tools of [`todo_agent::catalogue`] over the
//! streamable HTTP transport of the official Rust SDK (`rmcp`).
//!
//! - Authentication: [`authenticate`] runs before rmcp sees the request. It verifies
//!   the bearer token exactly like the REST API, session check included (a
//!   missing, bad or signed-out token is a 401
//!   problem+json) and puts the token's subject into the request extensions as
//!   [`McpUser`]. rmcp hands the request's `http::request::Parts` to the handler in
//!   the request context, and [`TodoMcp::call_tool`] reads the user from there:
//!   the user is never a value from the tool arguments.
//! - Stateless: no MCP sessions are kept (`legacy_session_mode = false`), every
//!   POST is answered on its own with a JSON body, so any replica can serve any
//!   request and a restart loses nothing. GET (server-initiated streams) and
//!   DELETE (session end) are answered 405, which clients treat as "not offered".
//! - DNS-rebinding protection: [`check_host_and_origin`] refuses, with a 403
//!   problem+json and before the token is looked at, a request whose `Host` is not
//!   in the allowed list, or that carries a browser `Origin` whose host is not in
//!   that same list (see [`McpOptions::allowed_hosts`]). Requests without `Origin`
//!   (non-browser clients) are not affected. rmcp's own `Host` check stays on
//!   with the same list behind it.
//! - Errors: rmcp answers transport refusals (Accept, Content-Type, method, an
//!   unknown protocol version) in `text/plain`; [`transport_errors`] turns them
//!   into problem+json like the rest of the API, and a body that is not a
//!   JSON-RPC message into a JSON-RPC error (parse error / invalid request).

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::uri::Authority;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ClientJsonRpcMessage, ContentBlock, Implementation,
    JsonObject, JsonRpcError, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::Value;
use todo_agent::{TaskTools, ToolError};
use todo_store::{Store, StoreError};

pub use crate::config::{LOOPBACK_HOSTS, McpOptions};
use crate::error::ApiError;
use crate::extract::{BODY_LIMIT_BYTES, bearer_token};
use crate::state::AppState;

/// Where the MCP endpoint is mounted.
pub const PATH: &str = "/mcp";

/// The authenticated caller of an MCP request, set by [`authenticate`].
#[derive(Debug, Clone)]
pub struct McpUser(pub String);

/// The `/mcp` routes: authentication in front of rmcp's streamable HTTP server.
/// Merged into the API router, so the API's request ids, tracing, metrics and
/// timeout apply here too.
pub fn router(state: AppState, opts: &McpOptions) -> Router<AppState> {
    let mut config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .with_max_request_body_bytes(BODY_LIMIT_BYTES);
    config = if opts.allowed_hosts.is_empty() {
        config.disable_allowed_hosts()
    } else {
        config.with_allowed_hosts(opts.allowed_hosts.clone())
    };
    let handler = TodoMcp::new(state.store.clone());
    let mcp = StreamableHttpService::new(move || Ok(handler.clone()), Arc::new(NeverSessionManager::default()), config);
    // The last layer is the outermost: Host and Origin first, then the token.
    Router::new()
        .nest_service(PATH, mcp)
        .route_layer(axum::middleware::from_fn(transport_errors))
        .route_layer(axum::middleware::from_fn_with_state(state, authenticate))
        .route_layer(axum::middleware::from_fn_with_state(
            AllowedHosts(Arc::new(opts.allowed_hosts.clone())),
            check_host_and_origin,
        ))
}

/// [`McpOptions::allowed_hosts`], shared by the middleware.
#[derive(Clone)]
pub struct AllowedHosts(Arc<Vec<String>>);

/// A host name (lowercase, IPv6 without brackets) and the port when one is given.
fn host_and_port(authority: &str) -> Option<(String, Option<u16>)> {
    let authority = authority.trim();
    match authority.parse::<Authority>() {
        Ok(a) if !a.host().is_empty() => Some((a.host().trim_matches(['[', ']']).to_ascii_lowercase(), a.port_u16())),
        // A bare IPv6 address such as the loopback entry `::1` is not an authority.
        _ if authority.parse::<std::net::Ipv6Addr>().is_ok() => Some((authority.to_ascii_lowercase(), None)),
        _ => None,
    }
}

/// rmcp's rule: an entry without a port allows any port, `name:port` only that port.
fn is_allowed(allowed: &[String], host: &str, port: Option<u16>) -> bool {
    allowed.is_empty()
        || allowed.iter().filter_map(|entry| host_and_port(entry)).any(|(h, p)| h == host && (p.is_none() || p == port))
}

/// The host and port of a browser `Origin` (`scheme://host[:port]`; no port means
/// the scheme's default). `null` and anything else that names no host is `None`.
fn origin_host(origin: &HeaderValue) -> Option<(String, Option<u16>)> {
    let uri = origin.to_str().ok()?.parse::<axum::http::Uri>().ok()?;
    let default_port = match uri.scheme_str()?.to_ascii_lowercase().as_str() {
        "http" | "ws" => 80,
        "https" | "wss" => 443,
        _ => return None,
    };
    if uri.path_and_query().is_some_and(|p| p.as_str() != "/") {
        return None;
    }
    let (host, port) = host_and_port(uri.authority()?.as_str())?;
    Some((host, Some(port.unwrap_or(default_port))))
}

/// DNS-rebinding protection, in front of everything else on `/mcp`: the `Host`
/// (or HTTP/2 `:authority`) must be allowed, and so must the host of `Origin`
/// when a browser sends one. Both refusals are 403 problem+json.
pub async fn check_host_and_origin(
    State(AllowedHosts(allowed)): State<AllowedHosts>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if allowed.is_empty() {
        return Ok(next.run(req).await);
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(Authority::as_str))
        .and_then(host_and_port);
    if !host.is_some_and(|(host, port)| is_allowed(&allowed, &host, port)) {
        tracing::warn!("refused an /mcp request for a Host not in MCP_ALLOWED_HOSTS (possible DNS rebinding)");
        return Err(ApiError::HostNotAllowed(
            "this Host is not allowed on /mcp (MCP_ALLOWED_HOSTS lists the allowed host names)".into(),
        ));
    }
    if let Some(origin) = req.headers().get(header::ORIGIN)
        && !origin_host(origin).is_some_and(|(host, port)| is_allowed(&allowed, &host, port))
    {
        tracing::warn!("refused an /mcp request from a foreign Origin (possible DNS rebinding)");
        return Err(ApiError::OriginNotAllowed(
            "requests to /mcp from this Origin are not allowed (its host is not in MCP_ALLOWED_HOSTS)".into(),
        ));
    }
    Ok(next.run(req).await)
}

fn content_type_is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

fn json_rpc_error(error: ErrorData) -> Response {
    let body = serde_json::to_vec(&JsonRpcError::new(None, error)).unwrap_or_default();
    (StatusCode::BAD_REQUEST, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Why `body` is not a JSON-RPC message: not JSON at all (parse error) or JSON
/// of another shape (invalid request).
fn not_a_message(body: &[u8]) -> Option<ErrorData> {
    let e = serde_json::from_slice::<ClientJsonRpcMessage>(body).err()?;
    Some(match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
        Err(syntax) => ErrorData::parse_error(format!("the body is not JSON: {syntax}"), None),
        Ok(_) => ErrorData::invalid_request(format!("the body is not a JSON-RPC request or notification: {e}"), None),
    })
}

/// Puts rmcp's `text/plain` refusals into the API's error format. The body is
/// read here (rmcp reads it whole anyway, under the same limit), so a body rmcp
/// could not read is answered as a JSON-RPC error.
pub async fn transport_errors(req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let (method, path) = (parts.method.clone(), parts.uri.path().to_string());
    let json_content = content_type_is_json(&parts.headers);
    let bytes = match axum::body::to_bytes(body, BODY_LIMIT_BYTES).await {
        Ok(bytes) => bytes,
        Err(e) => {
            let too_large = std::error::Error::source(&e).is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            return if too_large {
                ApiError::PayloadTooLarge { limit: BODY_LIMIT_BYTES }
            } else {
                ApiError::BadRequest("the request body could not be read".into())
            }
            .into_response();
        }
    };
    let res = next.run(Request::from_parts(parts, Body::from(bytes.clone()))).await;
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json") || ct.starts_with(crate::error::PROBLEM_JSON));
    if status.is_success() || is_json {
        return res;
    }
    let allow = res.headers().get(header::ALLOW).cloned();
    let text = axum::body::to_bytes(res.into_body(), 4096).await.unwrap_or_else(|_| Bytes::new());
    let text = String::from_utf8_lossy(&text);
    // rmcp prefixes its messages with the reason phrase ("Bad Request: ...").
    let detail = status
        .canonical_reason()
        .and_then(|reason| text.strip_prefix(reason))
        .and_then(|rest| rest.strip_prefix(": "))
        .unwrap_or(&text)
        .to_string();
    let error = match status {
        StatusCode::UNSUPPORTED_MEDIA_TYPE if json_content && method == Method::POST => match not_a_message(&bytes) {
            Some(e) => return json_rpc_error(e),
            None => ApiError::UnsupportedMediaType(detail),
        },
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ApiError::UnsupportedMediaType("expected a JSON-RPC body with Content-Type: application/json".into())
        }
        StatusCode::NOT_ACCEPTABLE => {
            ApiError::NotAcceptable("the Accept header must list both application/json and text/event-stream".into())
        }
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed { method: method.to_string(), path },
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge { limit: BODY_LIMIT_BYTES },
        StatusCode::FORBIDDEN => ApiError::HostNotAllowed(detail),
        StatusCode::NOT_FOUND => ApiError::NotFound("MCP session"),
        s if s.is_server_error() => ApiError::Internal(format!("MCP transport: {text}")),
        _ => ApiError::BadRequest(detail),
    };
    let mut res = error.into_response();
    if let Some(allow) = allow {
        res.headers_mut().insert(header::ALLOW, allow);
    }
    res
}

/// Verifies the bearer token like the REST API does and records the caller for
/// the tool handlers. A missing or bad token is 401 problem+json.
pub async fn authenticate(State(state): State<AppState>, req: Request, next: Next) -> Result<Response, ApiError> {
    let (mut parts, body) = req.into_parts();
    let token = bearer_token(&parts).ok_or(todo_auth::AuthError::Missing)?;
    let caller = crate::sessions::authenticate(&state, token).await?;
    parts.extensions.insert(McpUser(caller.user_id));
    Ok(next.run(Request::from_parts(parts, body)).await)
}

/// The MCP server handler: the catalogue's tools, run for the request's user.
#[derive(Clone)]
pub struct TodoMcp {
    store: Store,
    tools: Arc<Vec<Tool>>,
}

impl TodoMcp {
    /// The MCP server for one store; each call's user comes from its token, never from its arguments.
    pub fn new(store: Store) -> TodoMcp {
        TodoMcp { store, tools: Arc::new(tools()) }
    }
}

/// The catalogue as MCP tools: names, descriptions and input schemas as defined
/// once in `todo_agent`.
pub fn tools() -> Vec<Tool> {
    todo_agent::catalogue()
        .into_iter()
        .map(|def| {
            let schema: JsonObject = match def.parameters {
                Value::Object(map) => map,
                _ => JsonObject::new(),
            };
            Tool::new(def.name, def.description, Arc::new(schema))
        })
        .collect()
}

/// The user that [`authenticate`] verified; rmcp puts the HTTP request parts
/// into the request context's extensions.
fn user_of(context: &RequestContext<RoleServer>) -> Result<String, ErrorData> {
    context
        .extensions
        .get::<Parts>()
        .and_then(|parts| parts.extensions.get::<McpUser>())
        .map(|u| u.0.clone())
        .ok_or_else(|| ErrorData::internal_error("the request carries no authenticated user", None))
}

fn store_failure(e: StoreError) -> ErrorData {
    match e {
        StoreError::Unavailable(cause) => {
            tracing::warn!(%cause, "database unavailable during an MCP tool call");
            ErrorData::internal_error("the database is unavailable; retry shortly", None)
        }
        other => {
            tracing::error!(error = %other, "store error during an MCP tool call");
            ErrorData::internal_error("internal error", None)
        }
    }
}

impl ServerHandler for TodoMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("todo-app", env!("CARGO_PKG_VERSION")).with_title("todo-app task tools"),
            )
            .with_instructions(
                "Tools over the authenticated user's todo list: add_task, list_tasks, complete_task, \
                 delete_task, update_task. Find a task by its title with list_tasks (q) before changing it.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools.as_ref().clone()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools.iter().find(|t| t.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let user = user_of(&context)?;
        if self.get_tool(&request.name).is_none() {
            return Err(ErrorData::invalid_params(
                format!(
                    "unknown tool {:?}; available: {}",
                    request.name,
                    self.tools.iter().map(|t| t.name.as_ref()).collect::<Vec<_>>().join(", ")
                ),
                None,
            ));
        }
        let args = request.arguments.map(Value::Object).unwrap_or(Value::Null);
        let tools = TaskTools::new(self.store.clone(), user);
        let result = match tools.call(&request.name, args).await {
            Ok(value @ Value::Object(_)) => CallToolResult::structured(value),
            Ok(value) => CallToolResult::success(vec![ContentBlock::text(value.to_string())]),
            Err(ToolError::Rejected(msg)) => CallToolResult::error(vec![ContentBlock::text(msg)]),
            Err(ToolError::Store(e)) => return Err(store_failure(e)),
        };
        Ok(result.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tools_are_the_catalogue() {
        let tools = tools();
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(names, ["add_task", "list_tasks", "complete_task", "delete_task", "update_task"]);
        for (tool, def) in tools.iter().zip(todo_agent::catalogue()) {
            assert_eq!(tool.description.as_deref(), Some(def.description));
            assert_eq!(Value::Object(tool.input_schema.as_ref().clone()), def.parameters);
        }
    }
}
