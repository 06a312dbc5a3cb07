//! The router with its layers, and the application lifecycle.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Router, middleware};
use tower::ServiceBuilder;
use tower_http::CompressionLevel;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

use crate::assets;
use crate::config::WebConfig;
use crate::page::{self, PageError};
use crate::state::WebState;
use crate::{auth, chat, ops, settings, tasks};

/// No inline script or style anywhere: everything comes from /assets.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// Every web route (pages, assets, /healthz, /readyz, /metrics) with its layers.
pub fn router(state: WebState) -> Router {
    let timeout = state.config.request_timeout;
    let routes = Router::new()
        .merge(auth::routes())
        .merge(tasks::routes())
        .merge(settings::routes())
        .merge(chat::routes())
        .merge(ops::routes())
        .route("/assets/{file}", get(assets::serve))
        .route("/manifest.webmanifest", get(assets::serve_manifest))
        .route("/favicon.ico", get(|| async { page::redirect(&assets::url("icon.svg")) }))
        .fallback(page::not_found)
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, timeout))
        .layer(middleware::from_fn_with_state(state.metrics.http.clone(), todo_service::track_requests))
        .with_state(state);

    let security = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")));

    todo_service::with_request_tracing(
        routes
            // Level 1: for HTML of this size it gets most of the gain for a fraction of the CPU.
            .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
            .layer(security)
            .layer(CatchPanicLayer::custom(|_| {
                tracing::error!("handler panicked");
                PageError::Backend(crate::api::BackendError::Unavailable("internal error".into())).into_response()
            })),
    )
}

/// A built, bound web service, ready to serve.
pub struct Application {
    listener: tokio::net::TcpListener,
    state: WebState,
    router: Router,
    connections: todo_service::ConnectionLimits,
    shutdown_timeout: Duration,
}

impl Application {
    /// Binds the listener and builds the router for `cfg`.
    pub async fn build(cfg: WebConfig) -> anyhow::Result<Application> {
        let state = WebState::new(&cfg);
        let router = router(state.clone());
        let listener =
            tokio::net::TcpListener::bind(cfg.addr).await.with_context(|| format!("cannot listen on {}", cfg.addr))?;
        Ok(Application {
            listener,
            state,
            router,
            connections: cfg.connections,
            shutdown_timeout: cfg.shutdown_timeout,
        })
    }

    /// Where it listens (with the port the system chose for port 0).
    #[allow(clippy::expect_used, reason = "a bound TCP listener always has a local address")]
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("bound listener has an address")
    }

    /// The state its requests share.
    pub fn state(&self) -> &WebState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then turns readiness off and lets
    /// in-flight requests finish for up to the shutdown timeout.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let Application { listener, state, router, connections, shutdown_timeout } = self;
        todo_service::serve(listener, router, connections, shutdown_timeout, shutdown, move || state.begin_shutdown())
            .await
    }
}

impl todo_service::Server for Application {
    fn local_addr(&self) -> SocketAddr {
        Application::local_addr(self)
    }

    fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) -> impl Future<Output = anyhow::Result<()>> {
        Application::serve(self, shutdown)
    }
}
