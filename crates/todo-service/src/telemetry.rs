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

/// The header carrying a request's id, taken from the client when well-formed, else generated.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Installs the global subscriber once: JSON lines (with the request span, hence
/// the request id) in containers, compact text on a terminal. Filtered by
/// `RUST_LOG` (`level` and `target=level` directives, e.g. `info,sqlx=debug`),
/// else `default_filter`. Later calls are no-ops, so tests may call it.
///
/// `Targets` rather than `EnvFilter`: the latter's span and field matching pulls
/// in a regex engine (~8 s of CPU in every cold build) that no directive here uses.
pub fn init_logging(format: LogFormat, default_filter: &str) {
    init_with_filter(format.is_json(), default_filter);
}

/// What a local process logs when `RUST_LOG` does not say.
#[derive(Debug, Clone, Copy)]
pub struct LogFilters<'a> {
    /// Everything, one line per request included: what containers log.
    pub requests: &'a str,
    /// On a terminal: start-up, shutdown, warnings and errors, and no line per
    /// request (one person running the app locally reads these).
    pub quiet: &'a str,
}

/// As [`init_logging`], with the default filter chosen by [`default_filter`]:
/// JSON logs (containers) keep a line per request, a terminal gets them only
/// when `log_requests` asks (or `RUST_LOG` says otherwise).
pub fn init_local_logging(format: LogFormat, log_requests: bool, filters: LogFilters<'_>) {
    let json = format.is_json();
    init_with_filter(json, default_filter(json, log_requests, filters));
}

/// The filter used when `RUST_LOG` is unset: [`LogFilters::requests`] for JSON
/// logs or when requests are asked for, else [`LogFilters::quiet`].
pub fn default_filter<'a>(json: bool, log_requests: bool, filters: LogFilters<'a>) -> &'a str {
    if json || log_requests { filters.requests } else { filters.quiet }
}

impl LogFormat {
    /// Whether lines are written as JSON: `auto` is JSON when stdout is not a
    /// terminal (a container, a pipe), pretty on a terminal.
    pub fn is_json(self) -> bool {
        match self {
            LogFormat::Json => true,
            LogFormat::Pretty => false,
            LogFormat::Auto => !std::io::stdout().is_terminal(),
        }
    }
}

fn init_with_filter(json: bool, default_filter: &str) {
    let filter = log_filter(std::env::var("RUST_LOG").ok().as_deref(), default_filter);
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

/// The longest client-sent request id kept. A UUID is 36 characters; trace ids
/// of common tracers fit easily.
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// A client's `x-request-id` worth keeping: 1 to [`MAX_REQUEST_ID_LEN`]
/// characters of `[A-Za-z0-9._:-]`. Anything else would be echoed, logged on
/// every line and forwarded to the API as the client wrote it.
pub fn is_usable_request_id(id: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&id.len())
        && id.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// Drops every `x-request-id` value unless there is exactly one and it is usable,
/// so that `SetRequestIdLayer` generates one instead.
fn drop_unusable_request_id<B>(mut req: Request<B>) -> Request<B> {
    let mut ids = req.headers().get_all(&REQUEST_ID).iter();
    let keep = matches!((ids.next(), ids.next()), (Some(id), None) if is_usable_request_id(id.as_bytes()));
    if !keep {
        req.headers_mut().remove(&REQUEST_ID);
    }
    req
}

/// Gives every request an id (kept when the client sends a usable
/// `x-request-id`, see [`is_usable_request_id`]), logs it in a span around the
/// request, hides credentials from the logs, and returns the id in the response.
pub fn with_request_tracing(router: Router) -> Router {
    router.layer(
        ServiceBuilder::new()
            .map_request(drop_unusable_request_id)
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

    #[test]
    fn only_short_printable_request_ids_are_usable() {
        for ok in ["a", "abc-123", "trace.42:span_7", "0f8c2e4a-9d1b-4c3e-8f2a-1b2c3d4e5f60", &"z".repeat(128)] {
            assert!(is_usable_request_id(ok.as_bytes()), "{ok}");
        }
        for bad in ["", "has space", "a/b", "<script>", "tab\t", "é", &"z".repeat(129), &"x".repeat(8000)] {
            assert!(!is_usable_request_id(bad.as_bytes()), "{bad:.20}");
        }
    }

    #[test]
    fn unusable_or_repeated_request_ids_are_dropped() {
        let with = |ids: &[&str]| {
            let mut req = Request::builder();
            for id in ids {
                req = req.header(&REQUEST_ID, *id);
            }
            let req = drop_unusable_request_id(req.body(()).unwrap());
            req.headers().get_all(&REQUEST_ID).iter().map(|v| v.to_str().unwrap().to_string()).collect::<Vec<_>>()
        };
        assert_eq!(with(&["abc-123"]), ["abc-123"]);
        assert!(with(&["has space"]).is_empty());
        assert!(with(&["abc", "def"]).is_empty());
        assert!(with(&[]).is_empty());
    }
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

    const FILTERS: LogFilters<'static> =
        LogFilters { requests: "info,tower_http=info", quiet: "warn,todo_service=info" };

    #[test]
    fn a_terminal_gets_request_lines_only_when_asked_and_json_always() {
        assert_eq!(default_filter(true, false, FILTERS), FILTERS.requests, "JSON logs (containers) as before");
        assert_eq!(default_filter(true, true, FILTERS), FILTERS.requests);
        assert_eq!(default_filter(false, true, FILTERS), FILTERS.requests, "--log-requests");
        let quiet = log_filter(None, default_filter(false, false, FILTERS));
        assert!(!quiet.would_enable("tower_http::trace::on_response", &Level::INFO), "no line per request");
        assert!(quiet.would_enable("todo_api::routes", &Level::WARN), "warnings");
        assert!(quiet.would_enable("todo_api", &Level::ERROR), "errors");
        assert!(quiet.would_enable("todo_service::serve", &Level::INFO), "start-up and shutdown");
        // RUST_LOG still wins over the quiet default.
        let asked = log_filter(Some("info"), default_filter(false, false, FILTERS));
        assert!(asked.would_enable("tower_http::trace::on_response", &Level::INFO));
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
