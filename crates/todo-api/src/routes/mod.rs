//! The route table. Every route is declared through `utoipa_axum::routes!`, so a
//! route cannot exist without its OpenAPI description.

/// Sign-up, sign-in, the current account, sign-out.
pub mod auth;
/// The private calendar feed.
pub mod calendar;
pub mod chat;
mod doc;
/// Health, readiness and metrics.
pub mod ops;
/// A user's tasks.
pub mod tasks;

use axum::Router;
use axum::extract::Request;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    paths(openapi_json, mcp_endpoint),
    components(responses(
        doc::MalformedJson,
        doc::Unauthorized,
        doc::Forbidden,
        doc::PayloadTooLarge,
        doc::UnsupportedMediaType,
        doc::Unavailable,
    )),
    info(title = "todo-app API", description = "Tasks, accounts and operations endpoints of todo-app. Errors are RFC 9457 problem+json with a stable `code`."),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Accounts and tokens"),
        (name = "tasks", description = "A user's tasks; `{user_id}` must equal the token's subject"),
        (name = "chat", description = "The assistant: chat turns and stored conversations"),
        (name = "mcp", description = "The Model Context Protocol server exposing the task tools"),
        (name = "operations", description = "Health, readiness, metrics and this document"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// The OpenAPI document served at `/api/openapi.json`.
#[utoipa::path(get, path = "/api/openapi.json", tag = "operations",
    responses((status = 200, description = "This OpenAPI document", body = Object, content_type = "application/json")))]
#[allow(dead_code)] // documents the route below; the handler is the closure in `router`
async fn openapi_json() {}

/// The MCP server (streamable HTTP transport, stateless, JSON responses): send
/// JSON-RPC requests such as `initialize`, `tools/list` and `tools/call` with the
/// user's bearer token and `Accept: application/json, text/event-stream` (the
/// transport requires both). Tools: add_task, list_tasks, complete_task,
/// delete_task, update_task. GET and DELETE answer 405 (no sessions).
///
/// The transport's own refusals are problem+json, except malformed JSON-RPC,
/// which gets a JSON-RPC error.
#[utoipa::path(post, path = "/mcp", tag = "mcp", security(("bearer" = [])),
    request_body(content = JsonRpcMessage, content_type = "application/json",
        example = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "add_task", "arguments": {"title": "Buy milk"}}})),
    responses(
        (status = 200, description = "The JSON-RPC response (a result or an error)", body = Object, content_type = "application/json"),
        (status = 202, description = "A notification or response was accepted; no body"),
        (status = 400, description = "Not a valid MCP message: a JSON-RPC parse error or invalid request (application/json), or an unsupported protocol version (problem+json `bad_request`)"),
        (status = 401, response = doc::Unauthorized),
        (status = 403, description = "Host, or a browser's Origin, not allowed (MCP_ALLOWED_HOSTS): problem+json `host_not_allowed`, `origin_not_allowed`"),
        (status = 404, description = "Unknown JSON-RPC method (a JSON-RPC error)"),
        (status = 405, description = "Only POST is served (problem+json `method_not_allowed`)"),
        (status = 406, description = "`Accept` does not name both application/json and text/event-stream (problem+json `not_acceptable`)"),
        (status = 413, description = "The body is larger than 64 KiB (problem+json)"),
        (status = 415, description = "Not `Content-Type: application/json` (problem+json `unsupported_media_type`)"),
        (status = 503, response = doc::Unavailable),
    ))]
#[allow(dead_code)] // documents the route crate::mcp serves
async fn mcp_endpoint() {}

/// A JSON-RPC 2.0 request, or a notification (no `id`), of the Model Context
/// Protocol: `initialize`, `ping`, `tools/list`, `tools/call`,
/// `notifications/initialized`...; the MCP specification defines each method's
/// `params`.
#[derive(ToSchema)]
#[allow(dead_code)] // documents the body rmcp reads
struct JsonRpcMessage {
    #[schema(schema_with = json_rpc_version)]
    jsonrpc: String,
    #[schema(schema_with = json_rpc_id)]
    id: Option<String>,
    method: String,
    #[schema(value_type = Object, required = false)]
    params: String,
}

fn json_rpc_version() -> Object {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["2.0"])).build()
}

fn json_rpc_id() -> Object {
    ObjectBuilder::new()
        .schema_type([Type::String, Type::Integer].into_iter().collect::<SchemaType>())
        .description(Some("The request's id, echoed in the response; omitted in a notification."))
        .build()
}

/// All routes with their OpenAPI document.
pub fn router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::sign_up))
        .routes(routes!(auth::sign_in))
        .routes(routes!(auth::me, auth::update_me))
        .routes(routes!(auth::sign_out))
        .routes(routes!(auth::sign_out_everywhere))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::delete_account))
        .routes(routes!(auth::export_account))
        .routes({
            // The one route whose body may be larger than BODY_LIMIT_BYTES.
            let (schemas, paths, route) = routes!(auth::import_account);
            (schemas, paths, route.layer(axum::extract::DefaultBodyLimit::max(auth::IMPORT_LIMIT_BYTES)))
        })
        .routes(routes!(calendar::create_feed, calendar::revoke_feed))
        .routes(routes!(calendar::feed))
        .routes(routes!(tasks::list_tasks, tasks::create_task))
        .routes(routes!(tasks::get_task, tasks::replace_task, tasks::patch_task, tasks::delete_task))
        .routes(routes!(tasks::toggle_task))
        .routes(routes!(tasks::restore_task))
        .routes(routes!(tasks::bulk_tasks))
        .routes(routes!(tasks::task_counts))
        .routes(routes!(chat::chat))
        .routes(routes!(chat::list_conversations))
        .routes(routes!(chat::list_messages))
        .routes(routes!(chat::delete_conversation))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .split_for_parts();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    todo_domain::openapi::finish(&mut doc);
    let json = match serde_json::to_value(&doc) {
        Ok(mut value) => {
            todo_domain::openapi::finish_json(&mut value);
            refuse_unknown_fields_of_each_bulk_action(&mut value);
            value.to_string()
        }
        Err(_) => "{}".into(),
    };
    let router = router.route(
        "/api/openapi.json",
        get(move || {
            let json = json.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], json) }
        }),
    );
    (router, doc)
}

/// Each body of `BulkInput` refuses unknown fields, as serde does
/// (utoipa-gen 5.5 writes `additionalProperties` on no variant of a tagged enum).
fn refuse_unknown_fields_of_each_bulk_action(doc: &mut serde_json::Value) {
    if let Some(variants) = doc.pointer_mut("/components/schemas/BulkInput/oneOf").and_then(|v| v.as_array_mut()) {
        for v in variants {
            if let Some(o) = v.as_object_mut() {
                o.insert("additionalProperties".into(), serde_json::Value::Bool(false));
            }
        }
    }
}

/// The 404 of a path no route has.
pub async fn not_found(req: Request) -> impl IntoResponse {
    ApiError::RouteNotFound { method: req.method().to_string(), path: req.uri().path().to_string() }
}

/// The 405 of a route without this method.
pub async fn method_not_allowed(req: Request) -> impl IntoResponse {
    ApiError::MethodNotAllowed { method: req.method().to_string(), path: req.uri().path().to_string() }
}
