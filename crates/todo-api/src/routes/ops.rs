use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
/// The body of `/healthz` and `/readyz`.
pub struct Health {
    /// `ok` (liveness), `ready` or `unavailable` (readiness).
    #[schema(value_type = String, pattern = "^(ok|ready|unavailable)$")]
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Why the service is not ready, when it is not.
    pub reason: Option<String>,
}

/// Liveness: the process is up and serving. Never touches the database.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok", reason: None })
}

/// Readiness: the database answers and the server is not shutting down.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Health), (status = 503, description = "Not ready", body = Health)))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    if state.is_shutting_down() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health { status: "unavailable", reason: Some("shutting down".into()) }),
        );
    }
    match tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, Json(Health { status: "ready", reason: None })),
        Ok(Err(e)) => {
            (StatusCode::SERVICE_UNAVAILABLE, Json(Health { status: "unavailable", reason: Some(e.to_string()) }))
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health { status: "unavailable", reason: Some("database did not answer within 2 s".into()) }),
        ),
    }
}

/// Prometheus metrics in the OpenMetrics text format.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "OpenMetrics text", content_type = "application/openmetrics-text")))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let body = state.metrics.render(state.store.pool_stats(), state.task_json.bytes());
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], body)
}
