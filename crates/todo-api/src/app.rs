//! Builds the application from its configuration and serves it until shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::error_handling::HandleErrorLayer;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::response::IntoResponse;
use axum::{BoxError, Router, middleware};
use todo_service::{REQUEST_ID, track_requests, with_request_tracing};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

use todo_auth::Authenticator;
use todo_store::{Store, StoreConfig, StoreError};

use crate::config::ApiConfig;
use crate::error::ApiError;
use crate::extract::BODY_LIMIT_BYTES;
use crate::metrics::Metrics;
use crate::routes;
use crate::sessions::SessionCache;
use crate::state::AppState;
use crate::task_cache::TaskJsonCache;

// The state is assembled here, from the configuration's parts, so that
// state.rs (what handlers share) knows nothing of how it is configured.
impl AppState {
    /// The state of a configuration, with a metrics registry of its own.
    pub fn new(store: Store, auth: Authenticator, cfg: &ApiConfig) -> AppState {
        AppState::with_metrics(store, auth, cfg, Metrics::new())
    }

    /// With metrics that may hold more than the API's (see [`Metrics::registry_mut`]).
    pub fn with_metrics(store: Store, auth: Authenticator, cfg: &ApiConfig, metrics: Metrics) -> AppState {
        let a = &cfg.assistant;
        let metrics = Arc::new(metrics);
        let sessions =
            SessionCache::new(cfg.session_cache_ttl, cfg.session_cache_capacity, metrics.session_checks.clone());
        AppState {
            store,
            task_json: Arc::new(TaskJsonCache::new(cfg.task_cache_bytes)),
            auth,
            sessions: Arc::new(sessions),
            metrics,
            shutting_down: Arc::new(AtomicBool::new(false)),
            throttle: cfg.throttle.clone(),
            passwords: todo_auth::Passwords::new(cfg.password_hash_concurrency, cfg.password_hash_wait),
            assistant: todo_agent::Assistant::new(
                a.provider.clone().map(todo_agent::Provider::new),
                a.fallback_builtin,
                a.limits,
                a.routing,
            ),
            chat_history_messages: a.history_messages,
        }
    }
}

/// Cross-cutting behaviour around the routes.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// The one browser origin CORS allows (none when unset).
    pub frontend_url: Option<String>,
    /// How long one request may take before it is answered 503.
    pub request_timeout: Duration,
    /// What `/mcp` accepts.
    pub mcp: crate::config::McpOptions,
}

/// The API's router with every layer: request ids, tracing, metrics, CORS,
/// timeouts, body limit, panics and unknown routes as problem+json.
pub fn router(state: AppState, opts: &HttpOptions) -> Router {
    let (routes, _) = routes::router();
    let routes = routes.merge(crate::mcp::router(state.clone(), &opts.mcp));
    let timeout = opts.request_timeout;
    let mut app = routes
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(move |_: BoxError| async move {
                    ApiError::Unavailable {
                        detail: format!("the request took longer than {} s", timeout.as_secs()),
                        retry_after: 1,
                    }
                }))
                .timeout(timeout),
        )
        .layer(middleware::from_fn_with_state(state.metrics.http.clone(), track_requests))
        .with_state(state);

    if let Some(origin) = opts.frontend_url.as_deref().and_then(|o| HeaderValue::from_str(o).ok()) {
        app = app.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list([origin]))
                .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
                // The MCP headers let a browser-based MCP client on the frontend's
                // origin talk to /mcp (streamable HTTP).
                .allow_headers([
                    header::AUTHORIZATION,
                    header::CONTENT_TYPE,
                    header::ACCEPT,
                    HeaderName::from_static("mcp-protocol-version"),
                    HeaderName::from_static("mcp-session-id"),
                    HeaderName::from_static("last-event-id"),
                ])
                .expose_headers([
                    REQUEST_ID,
                    HeaderName::from_static(routes::tasks::TOTAL_COUNT_HEADER),
                    HeaderName::from_static(routes::tasks::TOTAL_EXACT_HEADER),
                    HeaderName::from_static(routes::tasks::NEXT_CURSOR_HEADER),
                    header::LINK,
                    HeaderName::from_static("mcp-session-id"),
                ])
                .max_age(Duration::from_secs(600)),
        );
    }

    with_request_tracing(
        app.layer(CatchPanicLayer::custom(|_| ApiError::Internal("handler panicked".into()).into_response()))
            // Almost every response carries a token or a user's data, and none
            // is worth keeping: nothing may store any of them, errors and
            // event streams (which axum marks only `no-cache`) included.
            // The calendar feed is the exception: calendar clients poll it and
            // may keep it privately (its handler says `private`).
            .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, |res: &axum::response::Response| {
                let calendar =
                    res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/calendar"));
                if calendar { None } else { Some(HeaderValue::from_static("no-store")) }
            })),
    )
}

/// Connects to the database, applying migrations, retrying while it is
/// unreachable for up to `timeout`.
pub async fn open_store(cfg: &ApiConfig) -> anyhow::Result<Store> {
    let store = Store::connect_lazy(&StoreConfig {
        url: cfg.database_url.clone(),
        max_connections: cfg.database_max_connections,
        acquire_timeout: cfg.database_acquire_timeout,
    })?
    .with_quotas(cfg.quotas);
    let start = Instant::now();
    loop {
        match store.migrate().await {
            Ok(()) => {
                // Best effort: a connection that cannot be opened now is opened
                // on demand later, as without warming.
                if let Err(e) = store.warm(cfg.database_warm_connections).await {
                    tracing::warn!(error = %e, "could not open the warm database connections; opening them on demand");
                }
                // The list's indexes on PostgreSQL, built without blocking
                // writes while this replica serves (todo-store's indexes.rs).
                let builder = store.clone();
                tokio::spawn(async move {
                    if let Err(e) = builder.build_indexes().await {
                        tracing::warn!(error = %e, "could not build the list indexes; lists work, more slowly; retried at the next start");
                    }
                });
                return Ok(store);
            }
            Err(StoreError::Unavailable(e)) if start.elapsed() < cfg.database_startup_timeout => {
                tracing::warn!(error = %e, "database not reachable yet; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => {
                return Err(anyhow::anyhow!("cannot prepare the database: {e}"));
            }
        }
    }
}

/// A built, bound application, ready to serve.
pub struct Application {
    listener: tokio::net::TcpListener,
    state: AppState,
    router: Router,
    connections: todo_service::ConnectionLimits,
    shutdown_timeout: Duration,
}

impl Application {
    /// Opens the store (migrating it), builds the routes and binds the listener, ready to serve.
    pub async fn build(cfg: ApiConfig) -> anyhow::Result<Application> {
        let store = open_store(&cfg).await?;
        let state = AppState::new(store, Authenticator::new(cfg.auth.clone()), &cfg);
        let router = router(
            state.clone(),
            &HttpOptions {
                frontend_url: cfg.frontend_url.clone(),
                request_timeout: cfg.request_timeout,
                mcp: cfg.mcp.clone(),
            },
        );
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

    /// The address it listens on (the real port when 0 was asked for).
    #[allow(clippy::expect_used, reason = "a bound TCP listener always has a local address")]
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("bound listener has an address")
    }

    /// The state its handlers share.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then turns readiness off, lets in-flight
    /// requests finish for up to the shutdown timeout, and closes the pool.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        serve(self.listener, self.router, self.state, self.connections, self.shutdown_timeout, shutdown).await
    }
}

/// Serves `router` (the API's, or one that contains it) until `shutdown`, turning
/// the API's readiness off first, then closes the database pool.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    state: AppState,
    connections: todo_service::ConnectionLimits,
    shutdown_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let flag = state.clone();
    todo_service::serve(listener, router, connections, shutdown_timeout, shutdown, move || flag.begin_shutdown())
        .await?;
    let _ = tokio::time::timeout(Duration::from_secs(2), state.store.close()).await;
    Ok(())
}

impl todo_service::Server for Application {
    fn local_addr(&self) -> SocketAddr {
        Application::local_addr(self)
    }

    fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) -> impl Future<Output = anyhow::Result<()>> {
        Application::serve(self, shutdown)
    }
}
