use std::io::IsTerminal;

use axum::Router;
use axum::http::{HeaderName, Request, header};
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::LogFormat;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Installs the global subscriber once: JSON lines (with the request span, hence
/// the request id) in containers, compact text on a terminal. Filtered by
/// `RUST_LOG` (`level` and `target=level` directives, e.g. `info,sqlx=debug`),
/// else `default_filter`. Later calls are no-ops, so tests may call it.
///
/// `Targets` rather than `EnvFilter`: the latter's span and field matching pulls
/// in a regex engine (~8 s of CPU in every cold build) that no directive here uses.
pub fn init_logging(format: LogFormat, default_filter: &str) {
    let filter = log_filter(std::env::var("RUST_LOG").ok().as_deref(), default_filter);
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Pretty => false,
        LogFormat::Auto => !std::io::stdout().is_terminal(),
    };
    let registry = tracing_subscriber::registry().with(filter);
    let _ = if json {
        registry.with(tracing_subscriber::fmt::layer().json().with_current_span(true).with_span_list(false)).try_init()
    } else {
        registry.with(tracing_subscriber::fmt::layer().compact()).try_init()
    };
}

/// `RUST_LOG` when it parses, else `default_filter`, else `info`. An invalid
/// `RUST_LOG` is reported on stderr (logging is not up yet) instead of failing.
fn log_filter(rust_log: Option<&str>, default_filter: &str) -> Targets {
    // Targets reads an empty directive ("info," or "a,,b") as `error` for
    // everything and keeps spaces in target names; EnvFilter ignored both.
    let spec: Vec<&str> = rust_log.unwrap_or("").split(',').map(str::trim).filter(|d| !d.is_empty()).collect();
    if !spec.is_empty() {
        let spec = spec.join(",");
        match spec.parse::<Targets>() {
            Ok(targets) => return targets,
            Err(e) => eprintln!("RUST_LOG={spec:?} ignored ({e}); using {default_filter:?}"),
        }
    }
    default_filter.parse().unwrap_or_else(|_| Targets::new().with_default(Level::INFO))
}

/// Gives every request an id (kept when the client sends `x-request-id`), logs
/// it in a span around the request, hides credentials from the logs, and returns
/// the id in the response.
pub fn with_request_tracing(router: Router) -> Router {
    router.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(SetSensitiveRequestHeadersLayer::new([header::AUTHORIZATION, header::COOKIE]))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(|req: &Request<_>| {
                        let id = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
                        tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
                    })
                    .on_response(DefaultOnResponse::new().level(Level::INFO)),
            )
            .layer(PropagateRequestIdLayer::new(REQUEST_ID)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::level_filters::LevelFilter;

    fn level(t: &Targets, target: &str) -> LevelFilter {
        t.iter()
            .find(|(name, _)| *name == target)
            .map(|(_, l)| l)
            .unwrap_or(t.default_level().unwrap_or(LevelFilter::OFF))
    }

    #[test]
    fn rust_log_directives_override_the_default() {
        let t = log_filter(Some("warn,sqlx=debug,todo_api=trace"), "info");
        assert_eq!(t.default_level(), Some(LevelFilter::WARN));
        assert_eq!(level(&t, "sqlx"), LevelFilter::DEBUG);
        assert_eq!(level(&t, "todo_api"), LevelFilter::TRACE);
        assert!(t.would_enable("sqlx::query", &Level::DEBUG));
        assert!(!t.would_enable("hyper", &Level::INFO));
    }

    #[test]
    fn stray_commas_and_spaces_in_rust_log_change_nothing() {
        for rust_log in ["info,", "info,,sqlx=debug", "info, sqlx=debug", " info , sqlx=debug ,"] {
            let t = log_filter(Some(rust_log), "warn");
            assert_eq!(t.default_level(), Some(LevelFilter::INFO), "{rust_log:?}");
            assert!(t.would_enable("todo_api", &Level::INFO), "{rust_log:?}");
        }
        let t = log_filter(Some("info, sqlx=debug"), "warn");
        assert!(t.would_enable("sqlx::query", &Level::DEBUG));
    }

    #[test]
    fn unset_empty_or_invalid_rust_log_falls_back_to_the_default() {
        for rust_log in [None, Some(""), Some("  "), Some(","), Some("sqlx=loud")] {
            let t = log_filter(rust_log, "info,tower_http=debug");
            assert_eq!(t.default_level(), Some(LevelFilter::INFO), "{rust_log:?}");
            assert!(t.would_enable("tower_http::trace", &Level::DEBUG), "{rust_log:?}");
        }
        let t = log_filter(None, "not a filter ===");
        assert_eq!(t.default_level(), Some(LevelFilter::INFO));
    }
}
