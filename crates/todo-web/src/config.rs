//! Configuration from flags and environment variables, validated once at start.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use clap::{Args, ValueEnum};

pub use todo_service::{AppEnv, LogFormat};

/// `COOKIE_SECURE`: when the cookies carry the `Secure` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CookieSecure {
    /// Secure when the request came over https (`X-Forwarded-Proto: https` from the Ingress).
    Auto,
    /// Always Secure.
    True,
    /// Never Secure (plain-http development only).
    False,
}

/// Flags of the web service; every one has an environment variable.
#[derive(Debug, Clone, Args)]
pub struct WebArgs {
    /// Address to listen on.
    #[arg(long, env = "HOST", default_value = "0.0.0.0")]
    pub host: IpAddr,

    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "PORT", default_value_t = 3000)]
    pub port: u16,

    /// Base URL of the todo-api service, called server-side with the user's token.
    #[arg(long, env = "BACKEND_URL", default_value = "http://127.0.0.1:8000")]
    pub backend_url: String,

    /// development or production.
    #[arg(long, env = "APP_ENV", value_enum, default_value = "development")]
    pub app_env: AppEnv,

    /// Log format: json, pretty, or auto (json when stdout is not a terminal). Filter with RUST_LOG.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "auto")]
    pub log_format: LogFormat,

    /// Secure attribute of the session cookie: auto (when the request came over https), true or false.
    #[arg(long, env = "COOKIE_SECURE", value_enum, default_value = "auto")]
    pub cookie_secure: CookieSecure,

    /// Seconds a request may take before it is answered with an error (chat turns included).
    #[arg(long, env = "REQUEST_TIMEOUT_SECS", default_value_t = 120)]
    pub request_timeout_secs: u64,

    /// Seconds a call to the API may take (chat turns get the request timeout).
    #[arg(long, env = "BACKEND_TIMEOUT_SECS", default_value_t = 15)]
    pub backend_timeout_secs: u64,

    /// Seconds to let in-flight requests finish after SIGTERM.
    #[arg(long, env = "SHUTDOWN_TIMEOUT_SECS", default_value_t = 20)]
    pub shutdown_timeout_secs: u64,

    /// Proxies (the Ingress controller) whose X-Forwarded-For names the browser's
    /// address, comma-separated addresses or CIDR networks. The address is passed
    /// on to the API, which throttles sign-ins by it (and must trust this service).
    #[arg(long, env = "TRUSTED_PROXIES", default_value = todo_service::DEFAULT_TRUSTED_PROXIES)]
    pub trusted_proxies: String,
    // --- connections (header-read and keep-alive timeouts, connection cap) ---
    #[command(flatten)]
    #[allow(missing_docs, reason = "a doc comment on a flattened clap field would become --help text")]
    pub connections: todo_service::ConnectionArgs,
}

/// Why the configuration was refused at start.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// BACKEND_URL is not a plain http(s) origin.
    #[error("BACKEND_URL must be an http:// or https:// URL without a trailing path, got {0:?}")]
    BackendUrl(String),
    /// A timeout of zero seconds (the variable's name).
    #[error("{0} must be at least 1 second")]
    ZeroTimeout(&'static str),
    /// TRUSTED_PROXIES does not parse.
    #[error("TRUSTED_PROXIES: {0}")]
    TrustedProxies(String),
    /// The connection limits are out of range.
    #[error("{0}")]
    Connections(String),
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Where to listen.
    pub addr: SocketAddr,
    /// The API's origin, without a trailing slash.
    pub backend_url: String,
    /// Development or production.
    pub app_env: AppEnv,
    /// How log lines are written.
    pub log_format: LogFormat,
    /// When cookies are Secure.
    pub cookie_secure: CookieSecure,
    /// The longest a page request may take (a streamed chat turn included).
    pub request_timeout: Duration,
    /// The longest an ordinary API call may take.
    pub backend_timeout: Duration,
    /// How long in-flight requests may finish after SIGTERM.
    pub shutdown_timeout: Duration,
    /// The proxies whose X-Forwarded-For names the browser.
    pub trusted_proxies: todo_service::TrustedProxies,
    /// Header-read and keep-alive timeouts and the connection cap.
    pub connections: todo_service::ConnectionLimits,
}

impl WebArgs {
    /// Checks the flags and turns them into the configuration the service runs with.
    pub fn resolve(&self) -> Result<WebConfig, ConfigError> {
        let url = self.backend_url.trim().trim_end_matches('/').to_string();
        let valid = reqwest::Url::parse(&url)
            .ok()
            .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
        if !valid {
            return Err(ConfigError::BackendUrl(self.backend_url.clone()));
        }
        if self.request_timeout_secs == 0 {
            return Err(ConfigError::ZeroTimeout("REQUEST_TIMEOUT_SECS"));
        }
        if self.backend_timeout_secs == 0 {
            return Err(ConfigError::ZeroTimeout("BACKEND_TIMEOUT_SECS"));
        }
        Ok(WebConfig {
            addr: SocketAddr::new(self.host, self.port),
            backend_url: url,
            app_env: self.app_env,
            log_format: self.log_format,
            cookie_secure: self.cookie_secure,
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            backend_timeout: Duration::from_secs(self.backend_timeout_secs),
            shutdown_timeout: Duration::from_secs(self.shutdown_timeout_secs),
            trusted_proxies: self.trusted_proxies.parse().map_err(ConfigError::TrustedProxies)?,
            connections: self.connections.resolve().map_err(ConfigError::Connections)?,
        })
    }
}
