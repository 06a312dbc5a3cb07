use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;

/// Serves until `shutdown` resolves, then calls `begin_shutdown` (turning
/// readiness off), stops accepting connections and lets in-flight requests finish
/// for up to `drain_timeout`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    drain_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
    begin_shutdown: impl FnOnce() + Send + 'static,
) -> anyhow::Result<()> {
    let draining = Arc::new(tokio::sync::Notify::new());
    let signal = {
        let draining = draining.clone();
        async move {
            shutdown.await;
            begin_shutdown();
            tracing::info!("shutdown requested: readiness off, finishing in-flight requests");
            draining.notify_one();
        }
    };
    let server = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(signal);
    tokio::select! {
        result = server => result.context("server error")?,
        _ = async { draining.notified().await; tokio::time::sleep(drain_timeout).await } => {
            tracing::warn!(timeout_secs = drain_timeout.as_secs(), "requests still running at the shutdown timeout; exiting");
        }
    }
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
