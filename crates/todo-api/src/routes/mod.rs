//! The route table. Every route is declared through `utoipa_axum::routes!`, so a
//! route cannot exist without its OpenAPI description.

pub mod auth;
pub mod chat;
pub mod ops;
pub mod tasks;

use axum::Router;
use axum::extract::Request;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, Problem};
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    paths(openapi_json, mcp_endpoint),
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
    responses((status = 200, description = "This OpenAPI document", content_type = "application/json")))]
#[allow(dead_code)] // documents the route below; the handler is the closure in `router`
async fn openapi_json() {}

/// The MCP server (streamable HTTP transport, stateless, JSON responses): send
/// JSON-RPC requests such as `initialize`, `tools/list` and `tools/call` with the
/// user's bearer token. Tools: add_task, list_tasks, complete_task, delete_task,
/// update_task. GET and DELETE answer 405 (no sessions).
#[utoipa::path(post, path = "/mcp", tag = "mcp", security(("bearer" = [])),
    request_body(content = Object, description = "A JSON-RPC 2.0 request", content_type = "application/json"),
    responses(
        (status = 200, description = "The JSON-RPC response", content_type = "application/json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "A body that is not a JSON-RPC message (JSON-RPC parse error or invalid request)", content_type = "application/json"),
        (status = 403, description = "Host, or a browser's Origin, not allowed (MCP_ALLOWED_HOSTS): `host_not_allowed`, `origin_not_allowed`", body = Problem, content_type = "application/problem+json"),
        (status = 406, description = "Accept does not list both application/json and text/event-stream", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Content-Type is not application/json", body = Problem, content_type = "application/problem+json"),
    ))]
#[allow(dead_code)] // documents the route crate::mcp serves
async fn mcp_endpoint() {}

/// All routes with their OpenAPI document.
pub fn router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::sign_up))
        .routes(routes!(auth::sign_in))
        .routes(routes!(auth::me))
        .routes(routes!(auth::sign_out))
        .routes(routes!(auth::sign_out_everywhere))
        .routes(routes!(tasks::list_tasks, tasks::create_task))
        .routes(routes!(tasks::get_task, tasks::replace_task, tasks::patch_task, tasks::delete_task))
        .routes(routes!(tasks::toggle_task))
        .routes(routes!(chat::chat))
        .routes(routes!(chat::list_conversations))
        .routes(routes!(chat::list_messages))
        .routes(routes!(chat::delete_conversation))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .split_for_parts();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    let json = doc.to_json().unwrap_or_else(|_| "{}".into());
    let router = router.route(
        "/api/openapi.json",
        get(move || {
            let json = json.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], json) }
        }),
    );
    (router, doc)
}

pub async fn not_found(req: Request) -> impl IntoResponse {
    ApiError::RouteNotFound { method: req.method().to_string(), path: req.uri().path().to_string() }
}

pub async fn method_not_allowed(req: Request) -> impl IntoResponse {
    ApiError::MethodNotAllowed { method: req.method().to_string(), path: req.uri().path().to_string() }
}
