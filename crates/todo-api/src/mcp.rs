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
//! - Host validation (DNS-rebinding protection): rmcp refuses a request whose
//!   `Host` is not in the allowed list with 403. See [`McpOptions::allowed_hosts`].

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation, JsonObject, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::Value;
use todo_agent::{TaskTools, ToolError};
use todo_store::{Store, StoreError};

use crate::error::ApiError;
use crate::extract::{BODY_LIMIT_BYTES, bearer_token};
use crate::state::AppState;

/// Where the MCP endpoint is mounted.
pub const PATH: &str = "/mcp";

/// Host names the MCP endpoint always accepts: loopback, as rmcp's own default.
pub const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// How the MCP endpoint is exposed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpOptions {
    /// `Host` values (a name, or `name:port` to pin the port) accepted by `/mcp`.
    /// Empty means any host (the operator configured `*`).
    pub allowed_hosts: Vec<String>,
}

impl Default for McpOptions {
    fn default() -> Self {
        McpOptions { allowed_hosts: LOOPBACK_HOSTS.iter().map(|h| h.to_string()).collect() }
    }
}

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
    Router::new().nest_service(PATH, mcp).route_layer(axum::middleware::from_fn_with_state(state, authenticate))
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

/// The allowed `Host` values from `MCP_ALLOWED_HOSTS` (comma-separated names or
/// `name:port`; `*` for any host). Loopback names and the host of FRONTEND_URL
/// (the Ingress host name when the web app and `/mcp` share it) are always
/// accepted.
pub fn allowed_hosts(raw: Option<&str>, frontend_url: Option<&str>) -> Result<Vec<String>, String> {
    let entries: Vec<&str> = raw.unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if entries.contains(&"*") {
        if entries.len() > 1 {
            return Err(format!("MCP_ALLOWED_HOSTS is either * or a list of host names, not both (got {raw:?})"));
        }
        return Ok(Vec::new());
    }
    let mut hosts: Vec<String> = LOOPBACK_HOSTS.iter().map(|h| h.to_string()).collect();
    let frontend_host = frontend_url
        .and_then(|u| u.split_once("://").map(|(_, rest)| rest))
        .and_then(|a| a.parse::<axum::http::uri::Authority>().ok())
        .map(|a| a.host().trim_matches(['[', ']']).to_ascii_lowercase());
    for entry in entries.into_iter().map(str::to_string).chain(frontend_host) {
        let valid = !entry.contains(['/', '@', '*'])
            && entry.parse::<axum::http::uri::Authority>().is_ok_and(|a| !a.host().is_empty());
        if !valid {
            return Err(format!(
                "MCP_ALLOWED_HOSTS entries are host names like todo.example.com or host:port, not URLs (got {entry:?})"
            ));
        }
        let entry = entry.to_ascii_lowercase();
        if !hosts.contains(&entry) {
            hosts.push(entry);
        }
    }
    Ok(hosts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_hosts_default_to_loopback_and_the_frontend_host() {
        assert_eq!(allowed_hosts(None, None).unwrap(), ["localhost", "127.0.0.1", "::1"]);
        assert_eq!(allowed_hosts(Some(" "), None).unwrap(), ["localhost", "127.0.0.1", "::1"]);
        assert_eq!(
            allowed_hosts(None, Some("https://Todo.Example.com")).unwrap(),
            ["localhost", "127.0.0.1", "::1", "todo.example.com"]
        );
        assert_eq!(
            allowed_hosts(Some("mcp.example.com, todo-api:8000"), Some("http://localhost:3000")).unwrap(),
            ["localhost", "127.0.0.1", "::1", "mcp.example.com", "todo-api:8000"]
        );
    }

    #[test]
    fn star_allows_any_host_and_urls_are_refused() {
        assert!(allowed_hosts(Some("*"), Some("https://todo.example.com")).unwrap().is_empty());
        assert!(allowed_hosts(Some("*,a.example.com"), None).unwrap_err().contains("either *"));
        assert!(allowed_hosts(Some("https://todo.example.com"), None).unwrap_err().contains("not URLs"));
        assert!(allowed_hosts(Some("todo.example.com/mcp"), None).unwrap_err().contains("not URLs"));
    }

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
