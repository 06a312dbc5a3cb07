//! Configuration from flags and the environment (every flag has an env name),
//! checked once at start so a bad value stops the process with one clear line.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use secrecy::{ExposeSecret, SecretString};

pub use todo_service::{AppEnv, LogFormat};

/// Flags of the API server, in sections (each a heading of `--help`). Secrets
/// can be given inline (`NAME`) or as a file path (`NAME_FILE`, for mounted
/// Kubernetes secrets); their values never appear in `--help` or in logs.
#[derive(Debug, Clone, Args)]
pub struct ApiArgs {
    /// Where and how the server listens, and how long requests may take.
    #[command(flatten)]
    pub server: ServerArgs,

    /// The database and the memory kept in front of it.
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Tokens, sessions, password hashing and sign-in limits.
    #[command(flatten)]
    pub auth: AuthArgs,

    /// The chat assistant: model provider, keys and limits.
    #[command(flatten)]
    pub llm: LlmArgs,

    /// What the MCP endpoint accepts.
    #[command(flatten)]
    pub mcp: McpArgs,

    /// Per-account limits.
    #[command(flatten)]
    pub quotas: QuotaArgs,

    // --- logs (issue 16: the first five minutes) ---
    /// Log one line per request on a terminal too. JSON logs (containers, LOG_FORMAT=json)
    /// always have them; on a terminal the default is start-up, warnings and errors.
    /// RUST_LOG, when set, decides instead (e.g. RUST_LOG=info).
    #[arg(
        long,
        env = "TODO_LOG_REQUESTS",
        help_heading = "Logs",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::FalseyValueParser::new(),
    )]
    pub log_requests: bool,

    // --- the assistant against real models (issue 17) ---
    /// Most tokens the model may write in one completion (its `max_tokens`): a small
    /// model may otherwise ramble until the timeout. 0 sends no limit.
    #[arg(long, env = "LLM_MAX_TOKENS", default_value_t = 512, help_heading = "Assistant (LLM)")]
    pub llm_max_tokens: u32,

    /// Most tool calls run from one model reply; calls beyond it are not run and
    /// come back to the model as a tool error.
    #[arg(long, env = "LLM_MAX_TOOL_CALLS_PER_ROUND", default_value_t = 5, help_heading = "Assistant (LLM)")]
    pub llm_max_tool_calls_per_round: u32,

    /// Most tool calls run in one chat turn, all rounds together; calls beyond it
    /// are not run and come back to the model as a tool error.
    #[arg(long, env = "LLM_MAX_TOOL_CALLS_PER_TURN", default_value_t = 12, help_heading = "Assistant (LLM)")]
    pub llm_max_tool_calls_per_turn: u32,

    /// The deadline of one chat turn, in seconds: every round, provider call and
    /// tool call of it, streamed or not. A turn that reaches it stops (nothing is
    /// done after) and is answered 504. Must be below REQUEST_TIMEOUT_SECS.
    #[arg(long, env = "LLM_TURN_TIMEOUT_SECS", default_value_t = 80, help_heading = "Assistant (LLM)")]
    pub llm_turn_timeout_secs: u64,

    /// Who answers with a model configured: builtin-first (the built-in
    /// interpreter answers what it reads with certainty, at once and without a
    /// model call; the rest goes to the model) or model (every message goes to the
    /// model). Default: builtin-first.
    #[arg(long, env = "LLM_ROUTING", default_value = "builtin-first", help_heading = "Assistant (LLM)")]
    pub llm_routing: String,
}

/// Where and how the server listens, and how long requests may take.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Server")]
pub struct ServerArgs {
    /// Address to listen on.
    #[arg(long, env = "HOST", default_value = "0.0.0.0")]
    pub host: IpAddr,

    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "PORT", default_value_t = 8000)]
    pub port: u16,

    /// development or production. Production refuses to start without an explicit
    /// DATABASE_URL and a BETTER_AUTH_SECRET of at least 32 bytes.
    #[arg(long, env = "APP_ENV", value_enum, default_value = "development")]
    pub app_env: AppEnv,

    /// The one browser origin allowed by CORS (e.g. https://todo.example.com). None when unset.
    #[arg(long, env = "FRONTEND_URL")]
    pub frontend_url: Option<String>,

    /// Log format: auto (JSON when not on a terminal), json or pretty. Filter with RUST_LOG.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "auto", help_heading = "Logs")]
    pub log_format: LogFormat,

    /// Longest time a request may take before it is answered 503.
    #[arg(long, env = "REQUEST_TIMEOUT_SECS", default_value_t = 90)]
    pub request_timeout_secs: u64,

    /// After SIGTERM, how long in-flight requests may take before the process exits.
    #[arg(long, env = "SHUTDOWN_TIMEOUT_SECS", default_value_t = 20)]
    pub shutdown_timeout_secs: u64,

    /// Proxies whose X-Forwarded-For names the client (comma-separated addresses or
    /// CIDR networks, e.g. the cluster's pod network); other peers are the client.
    #[arg(long, env = "TRUSTED_PROXIES", default_value = todo_service::DEFAULT_TRUSTED_PROXIES)]
    pub trusted_proxies: String,

    #[command(flatten)]
    /// Header-read and keep-alive timeouts and the connection cap.
    pub connections: todo_service::ConnectionArgs,
}

/// The database and the memory kept in front of it.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Database")]
pub struct DatabaseArgs {
    /// postgres://user:pass@host/db (add ?sslmode=require for hosted databases) or
    /// sqlite://path. Unset: an SQLite file in --data-dir.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// File holding DATABASE_URL.
    #[arg(long, env = "DATABASE_URL_FILE")]
    pub database_url_file: Option<PathBuf>,

    /// Directory of the embedded SQLite database when DATABASE_URL is unset.
    #[arg(long, env = "DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Size of the database connection pool.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 10)]
    pub database_max_connections: u32,

    /// How long a request waits for a database connection before answering 503.
    #[arg(long, env = "DATABASE_ACQUIRE_TIMEOUT_MS", default_value_t = 3000)]
    pub database_acquire_timeout_ms: u64,

    /// Connections opened at start, before the server listens, so a replica
    /// that starts under load does not make its first requests wait for
    /// connection set-up (at most DATABASE_MAX_CONNECTIONS; 0 opens them on demand).
    #[arg(long, env = "DATABASE_WARM_CONNECTIONS", default_value_t = 2)]
    pub database_warm_connections: u32,

    /// Memory for the JSON of recently listed tasks, reused while a task is
    /// unchanged (checked against the database on every list). 0 turns it off.
    #[arg(long, env = "TASK_CACHE_MB", default_value_t = 16)]
    pub task_cache_mb: u32,

    /// How long to keep retrying the database at start before giving up.
    #[arg(long, env = "DATABASE_STARTUP_TIMEOUT_SECS", default_value_t = 60)]
    pub database_startup_timeout_secs: u64,
}

/// Tokens, sessions, password hashing and sign-in limits.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Accounts and tokens")]
pub struct AuthArgs {
    /// Shared HS256 secret signing user tokens (at least 32 bytes in production).
    /// Unset in development: a random one per process (tokens end with the process).
    #[arg(long, env = "BETTER_AUTH_SECRET", hide_env_values = true)]
    pub better_auth_secret: Option<SecretString>,

    /// File holding BETTER_AUTH_SECRET.
    #[arg(long, env = "BETTER_AUTH_SECRET_FILE")]
    pub better_auth_secret_file: Option<PathBuf>,

    /// `iss` of the tokens this server issues and accepts.
    #[arg(long, env = "AUTH_ISSUER", default_value = "todo-app")]
    pub auth_issuer: String,

    /// `aud` of the tokens this server issues and accepts.
    #[arg(long, env = "AUTH_AUDIENCE", default_value = "todo-app")]
    pub auth_audience: String,

    /// Lifetime of issued tokens, in seconds.
    #[arg(long, env = "AUTH_TOKEN_TTL_SECS", default_value_t = 7 * 24 * 3600)]
    pub auth_token_ttl_secs: u64,

    /// JWKS URL of an external token issuer (e.g. Better Auth's /api/auth/jwks):
    /// its EdDSA/RS256/ES256 tokens are accepted too. Without BETTER_AUTH_SECRET
    /// this is the only way in, and local sign-up/sign-in are disabled.
    #[arg(long, env = "AUTH_JWKS_URL")]
    pub auth_jwks_url: Option<String>,

    /// Required `iss` of external tokens (needed with AUTH_JWKS_URL, see
    /// AUTH_JWKS_ACCEPT_ANY_ISSUER_AND_AUDIENCE).
    #[arg(long, env = "AUTH_JWKS_ISSUER")]
    pub auth_jwks_issuer: Option<String>,

    /// Required `aud` of external tokens (needed with AUTH_JWKS_URL, see
    /// AUTH_JWKS_ACCEPT_ANY_ISSUER_AND_AUDIENCE).
    #[arg(long, env = "AUTH_JWKS_AUDIENCE")]
    pub auth_jwks_audience: Option<String>,

    /// Least seconds between two JWKS refreshes triggered by an unknown key id.
    #[arg(long, env = "AUTH_JWKS_MIN_REFRESH_SECS", default_value_t = 10)]
    pub auth_jwks_min_refresh_secs: u64,

    /// With AUTH_JWKS_URL: accept the external issuer's tokens whatever their
    /// `iss` and `aud` (those set in AUTH_JWKS_ISSUER / AUTH_JWKS_AUDIENCE are
    /// still checked). Without it, both must be set, so that tokens the identity
    /// provider issued for other applications are refused.
    #[arg(
        long,
        env = "AUTH_JWKS_ACCEPT_ANY_ISSUER_AND_AUDIENCE",
        default_value_t = false,
        action = clap::ArgAction::Set,
        value_parser = clap::builder::BoolishValueParser::new(),
    )]
    pub auth_jwks_accept_any_issuer_and_audience: bool,

    /// How long, in milliseconds, a replica relies on what it last read about a
    /// session before reading it again: a sign-out through another replica takes
    /// up to this long to reach this one (at most 60000). 0 reads it on every
    /// request.
    #[arg(long, env = "SESSION_CACHE_TTL_MS", default_value_t = 5000)]
    pub session_cache_ttl_ms: u64,

    /// Most sessions one replica keeps in that cache (least recently used go
    /// first; a few hundred bytes each). 0 turns the cache off, like a TTL of 0.
    #[arg(long, env = "SESSION_CACHE_CAPACITY", default_value_t = 100_000)]
    pub session_cache_capacity: u64,

    /// Sign-in attempts for one email from one client address before further
    /// attempts wait (1 s, doubling up to 15 min). A correct password resets it.
    #[arg(long, env = "SIGN_IN_MAX_FAILURES", default_value_t = 5)]
    pub sign_in_max_failures: u32,

    /// How long the first lock lasts, in seconds; each further failure doubles it,
    /// up to 15 minutes.
    #[arg(long, env = "SIGN_IN_LOCK_SECS", default_value_t = 1)]
    pub sign_in_lock_secs: u64,

    /// Failed sign-ins from one client address, across all emails, before further
    /// attempts from it wait the same way (credential stuffing).
    #[arg(long, env = "SIGN_IN_MAX_FAILURES_PER_ADDRESS", default_value_t = 50)]
    pub sign_in_max_failures_per_address: u32,

    /// Accounts that may be created from one client address per hour.
    #[arg(long, env = "SIGN_UPS_PER_ADDRESS_PER_HOUR", default_value_t = 30)]
    pub sign_ups_per_address_per_hour: u32,

    /// Password hashes computed at once (each holds 19 MiB); 0 = one per core.
    #[arg(long, env = "PASSWORD_HASH_CONCURRENCY", default_value_t = 0)]
    pub password_hash_concurrency: usize,

    /// How long a sign-in or sign-up waits for a hashing slot before 503.
    #[arg(long, env = "PASSWORD_HASH_WAIT_MS", default_value_t = 2000)]
    pub password_hash_wait_ms: u64,
}

/// The chat assistant: model provider, keys and limits.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Assistant (LLM)")]
pub struct LlmArgs {
    /// Assistant provider: openai, gemini, groq, openrouter, ollama, openai-compatible
    /// (with LLM_BASE_URL and LLM_MODEL) or builtin. Default: openai when
    /// OPENAI_API_KEY is set, otherwise builtin (no model needed).
    #[arg(long, env = "LLM_PROVIDER")]
    pub llm_provider: Option<String>,

    /// Model name; each provider has a sensible default.
    #[arg(long, env = "LLM_MODEL")]
    pub llm_model: Option<String>,

    /// Base URL of the chat-completions API (…/v1); overrides the provider's default.
    #[arg(long, env = "LLM_BASE_URL")]
    pub llm_base_url: Option<String>,

    /// API key of the provider (any provider falls back to it).
    #[arg(long, env = "OPENAI_API_KEY", hide_env_values = true)]
    pub openai_api_key: Option<SecretString>,

    /// File holding OPENAI_API_KEY.
    #[arg(long, env = "OPENAI_API_KEY_FILE")]
    pub openai_api_key_file: Option<PathBuf>,

    /// Gemini's key (LLM_PROVIDER=gemini), also GEMINI_API_KEY_FILE.
    #[arg(long, env = "GEMINI_API_KEY", hide_env_values = true)]
    pub gemini_api_key: Option<SecretString>,

    #[arg(long, env = "GEMINI_API_KEY_FILE", hide = true)]
    /// File holding GEMINI_API_KEY.
    pub gemini_api_key_file: Option<PathBuf>,

    /// Groq's key (LLM_PROVIDER=groq), also GROQ_API_KEY_FILE.
    #[arg(long, env = "GROQ_API_KEY", hide_env_values = true)]
    pub groq_api_key: Option<SecretString>,

    #[arg(long, env = "GROQ_API_KEY_FILE", hide = true)]
    /// File holding GROQ_API_KEY.
    pub groq_api_key_file: Option<PathBuf>,

    /// OpenRouter's key (LLM_PROVIDER=openrouter), also OPENROUTER_API_KEY_FILE.
    #[arg(long, env = "OPENROUTER_API_KEY", hide_env_values = true)]
    pub openrouter_api_key: Option<SecretString>,

    #[arg(long, env = "OPENROUTER_API_KEY_FILE", hide = true)]
    /// File holding OPENROUTER_API_KEY.
    pub openrouter_api_key_file: Option<PathBuf>,

    /// none, or builtin: answer with the built-in assistant when the provider fails.
    #[arg(long, env = "LLM_FALLBACK", default_value = "none")]
    pub llm_fallback: String,

    /// Total time allowed for one provider request, in seconds.
    #[arg(long, env = "LLM_TIMEOUT_SECS", default_value_t = 60)]
    pub llm_timeout_secs: u64,

    /// Time allowed to connect to the provider, in seconds.
    #[arg(long, env = "LLM_CONNECT_TIMEOUT_SECS", default_value_t = 5)]
    pub llm_connect_timeout_secs: u64,

    /// Retries after a provider 429/5xx (honouring Retry-After) or refused connection.
    #[arg(long, env = "LLM_MAX_RETRIES", default_value_t = 2)]
    pub llm_max_retries: u32,

    /// Most rounds of tool calls in one chat turn.
    #[arg(long, env = "LLM_MAX_TOOL_ROUNDS", default_value_t = 6)]
    pub llm_max_tool_rounds: u32,

    /// How many earlier messages of a conversation the assistant sees.
    #[arg(long, env = "CHAT_HISTORY_MESSAGES", default_value_t = 20)]
    pub chat_history_messages: u32,
}

/// What the MCP endpoint accepts.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "MCP")]
pub struct McpArgs {
    /// Extra `Host` names accepted by the MCP endpoint /mcp, comma-separated
    /// (`todo.example.com`, or `name:port` to pin a port); `*` accepts any host.
    /// Always accepted: localhost, 127.0.0.1, ::1 and the host of FRONTEND_URL.
    /// Other hosts get 403 (protection against DNS rebinding), and so does a
    /// browser request whose Origin names a host not in this list.
    #[arg(long, env = "MCP_ALLOWED_HOSTS")]
    pub mcp_allowed_hosts: Option<String>,
}

/// Per-account limits.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Quotas")]
pub struct QuotaArgs {
    /// Most tasks one account may have (0: unlimited). Over it, creating a task
    /// (REST, MCP, the assistant) is 429.
    #[arg(long, env = "QUOTA_TASKS_PER_USER", default_value_t = 10_000)]
    pub quota_tasks_per_user: u32,

    /// Most conversations with the assistant one account may keep (0: unlimited).
    #[arg(long, env = "QUOTA_CONVERSATIONS_PER_USER", default_value_t = 1_000)]
    pub quota_conversations_per_user: u32,

    /// Most messages in one conversation, replies included (0: unlimited; else at
    /// least 2, one turn).
    #[arg(long, env = "QUOTA_MESSAGES_PER_CONVERSATION", default_value_t = 1_000)]
    pub quota_messages_per_conversation: u32,

    /// Most chat turns one account may start per minute, since each may call
    /// the paid model provider (0: unlimited).
    #[arg(long, env = "QUOTA_CHAT_TURNS_PER_MINUTE", default_value_t = 20)]
    pub quota_chat_turns_per_minute: u32,
}

/// A fatal configuration problem, printed as one line.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

/// Reads a secret given either inline or as a file, never both.
pub fn resolve_secret(name: &str, inline: Option<&str>, file: Option<&PathBuf>) -> Result<Option<String>, ConfigError> {
    match (inline.filter(|s| !s.is_empty()), file) {
        (Some(_), Some(_)) => Err(ConfigError(format!("set either {name} or {name}_FILE, not both"))),
        (Some(v), None) => Ok(Some(v.to_string())),
        (None, Some(path)) => {
            let raw = std::fs::read_to_string(path)
                .map_err(|e| ConfigError(format!("cannot read {name}_FILE {}: {e}", path.display())))?;
            let v = raw.trim_end_matches(['\n', '\r']).to_string();
            if v.is_empty() {
                return Err(ConfigError(format!("{name}_FILE {} is empty", path.display())));
            }
            Ok(Some(v))
        }
        (None, None) => Ok(None),
    }
}

/// Checked, resolved configuration.
#[derive(Clone)]
pub struct ApiConfig {
    /// Where to listen.
    pub addr: SocketAddr,
    /// Development or production (production refuses weak secrets).
    pub app_env: AppEnv,
    /// The database URL (`postgres://...` or `sqlite://...`).
    pub database_url: String,
    /// Pool size.
    pub database_max_connections: u32,
    /// How long a request waits for a pooled connection before 503.
    pub database_acquire_timeout: Duration,
    /// Connections opened at start.
    pub database_warm_connections: u32,
    /// How long the start keeps retrying an unreachable database.
    pub database_startup_timeout: Duration,
    /// Bytes of rendered task JSON kept between lists (0: none).
    pub task_cache_bytes: usize,
    /// Token issuing and checking.
    pub auth: todo_auth::AuthConfig,
    /// True when no secret was configured and a random one is in use.
    pub ephemeral_secret: bool,
    /// Sign-in and sign-up limits.
    pub throttle: ThrottleSettings,
    /// Argon2 hashes computed at once.
    pub password_hash_concurrency: usize,
    /// How long a sign-in or sign-up waits for a hashing slot before 503.
    pub password_hash_wait: Duration,
    /// The one browser origin CORS allows.
    pub frontend_url: Option<String>,
    /// The chat assistant.
    pub assistant: AssistantSettings,
    /// How logs are written.
    pub log_format: LogFormat,
    /// Whether a terminal gets a line per request (JSON logs always do).
    pub log_requests: bool,
    /// How long one request may take.
    pub request_timeout: Duration,
    /// How long in-flight requests may finish after SIGTERM.
    pub shutdown_timeout: Duration,
    /// What `/mcp` accepts.
    pub mcp: McpOptions,
    /// How long a replica trusts its last look at a session (0: not at all).
    pub session_cache_ttl: Duration,
    /// Most sessions one replica keeps in that cache.
    pub session_cache_capacity: u64,
    /// Header-read and keep-alive timeouts and the connection cap.
    pub connections: todo_service::ConnectionLimits,
    /// Per-user limits.
    pub quotas: todo_store::Quotas,
}

/// Limits on sign-in and sign-up attempts (see `routes::auth`).
#[derive(Debug, Clone)]
pub struct ThrottleSettings {
    /// Failed sign-ins for one email from one address before a lock.
    pub sign_in_max_per_email_and_address: u32,
    /// Failed sign-ins from one address, all emails together, before a lock.
    pub sign_in_max_per_address: u32,
    /// The first lock; each further failure doubles it, up to 15 minutes.
    pub sign_in_first_lock: chrono::Duration,
    /// Accounts created from one address per hour.
    pub sign_ups_per_address_per_hour: u32,
    /// The proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: todo_service::TrustedProxies,
}

/// Longest SESSION_CACHE_TTL_MS: a sign-out must take effect within seconds.
pub const MAX_SESSION_CACHE_TTL_MS: u64 = 60_000;

/// The assistant's resolved settings; `provider: None` is the built-in interpreter.
#[derive(Debug, Clone)]
pub struct AssistantSettings {
    /// The model provider; none for the built-in interpreter.
    pub provider: Option<todo_agent::ProviderConfig>,
    /// Whether the built-in interpreter answers when the provider fails.
    pub fallback_builtin: bool,
    /// Rounds, calls and the deadline of one turn.
    pub limits: todo_agent::TurnLimits,
    /// Who answers when a model is configured.
    pub routing: todo_agent::Routing,
    /// How many earlier messages of a conversation the model sees.
    pub history_messages: u32,
}

impl AssistantSettings {
    /// The assistant in use, for start-up lines: `built-in`, or the model, the
    /// provider and its URL (without any credentials or query in it).
    pub fn describe(&self) -> String {
        match &self.provider {
            None => "built-in".into(),
            Some(p) => {
                let fallback = if self.fallback_builtin { ", built-in when it fails" } else { "" };
                format!("{} from {} at {}{fallback}", p.model, p.name, public_url(&p.base_url))
            }
        }
    }
}

/// A URL without user, password, query or fragment: safe to print.
pub fn public_url(raw: &str) -> String {
    match url::Url::parse(raw.trim()) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            u.to_string().trim_end_matches('/').to_string()
        }
        Err(_) => "(an invalid URL)".into(),
    }
}

/// Shortest HS256 secret accepted with APP_ENV=production, in bytes.
pub const MIN_PRODUCTION_SECRET_BYTES: usize = 32;

impl ApiArgs {
    /// Checks every setting and resolves defaults, or names the first problem.
    pub fn resolve(&self) -> Result<ApiConfig, ConfigError> {
        let production = self.server.app_env == AppEnv::Production;
        let database_url = resolve_secret(
            "DATABASE_URL",
            self.database.database_url.as_deref(),
            self.database.database_url_file.as_ref(),
        )?;
        let database_url = match database_url {
            Some(url) => url,
            None if production => {
                return Err(ConfigError(
                    "APP_ENV=production needs an explicit DATABASE_URL (or DATABASE_URL_FILE)".into(),
                ));
            }
            None => todo_store::default_sqlite_url(&self.database.data_dir),
        };
        if todo_store::Backend::of_url(&database_url).is_none() {
            return Err(ConfigError("DATABASE_URL must start with postgres://, postgresql:// or sqlite:".into()));
        }

        let secret = resolve_secret(
            "BETTER_AUTH_SECRET",
            self.auth.better_auth_secret.as_ref().map(ExposeSecret::expose_secret),
            self.auth.better_auth_secret_file.as_ref(),
        )?;
        let jwks_only = secret.is_none() && self.auth.auth_jwks_url.is_some();
        if production && !jwks_only {
            match &secret {
                None => {
                    return Err(ConfigError(format!(
                        "APP_ENV=production needs BETTER_AUTH_SECRET (or BETTER_AUTH_SECRET_FILE) of at least {MIN_PRODUCTION_SECRET_BYTES} bytes, e.g. from `openssl rand -base64 48`"
                    )));
                }
                Some(s) if s.len() < MIN_PRODUCTION_SECRET_BYTES => {
                    return Err(ConfigError(format!(
                        "BETTER_AUTH_SECRET is {} bytes; APP_ENV=production needs at least {MIN_PRODUCTION_SECRET_BYTES}",
                        s.len()
                    )));
                }
                Some(_) => {}
            }
        }
        let ephemeral_secret = secret.is_none() && !jwks_only;
        let hs256_secret = match secret {
            Some(s) => Some(s.into_bytes()),
            None if jwks_only => None,
            None => Some(random_secret()),
        };
        if let Some(url) = &self.auth.auth_jwks_url {
            if http_url(url).is_none() {
                return Err(ConfigError("AUTH_JWKS_URL must be an http(s) URL".into()));
            }
            let missing: Vec<&str> = [
                ("AUTH_JWKS_ISSUER", &self.auth.auth_jwks_issuer),
                ("AUTH_JWKS_AUDIENCE", &self.auth.auth_jwks_audience),
            ]
            .into_iter()
            .filter(|(_, v)| v.as_deref().is_none_or(|v| v.trim().is_empty()))
            .map(|(name, _)| name)
            .collect();
            if !missing.is_empty() && !self.auth.auth_jwks_accept_any_issuer_and_audience {
                return Err(ConfigError(format!(
                    "AUTH_JWKS_URL needs {} (the `iss` and `aud` your identity provider puts in the tokens it issues for this app), \
                     or any token it signed for any application would be accepted; set \
                     AUTH_JWKS_ACCEPT_ANY_ISSUER_AND_AUDIENCE=true to accept them all the same",
                    missing.join(" and ")
                )));
            }
        }
        if self.auth.session_cache_ttl_ms > MAX_SESSION_CACHE_TTL_MS {
            return Err(ConfigError(format!(
                "SESSION_CACHE_TTL_MS is at most {MAX_SESSION_CACHE_TTL_MS} (a sign-out must reach every replica within it; got {})",
                self.auth.session_cache_ttl_ms
            )));
        }
        let frontend_url = match self.server.frontend_url.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(u) => match http_url(u).filter(|url| url.path() == "/" && url.query().is_none()) {
                Some(url) => Some(url.origin().ascii_serialization()),
                None => {
                    return Err(ConfigError(format!(
                        "FRONTEND_URL must be an origin like https://todo.example.com (got {u:?})"
                    )));
                }
            },
            None => None,
        };
        let mcp_allowed_hosts =
            allowed_hosts(self.mcp.mcp_allowed_hosts.as_deref(), frontend_url.as_deref()).map_err(ConfigError)?;
        if self.database.database_max_connections == 0 {
            return Err(ConfigError("DATABASE_MAX_CONNECTIONS must be at least 1".into()));
        }
        let assistant = self.assistant()?;
        if self.quotas.quota_messages_per_conversation == 1 {
            return Err(ConfigError(
                "QUOTA_MESSAGES_PER_CONVERSATION must be 0 (unlimited) or at least 2: a turn is the message and its reply"
                    .into(),
            ));
        }
        let quotas = todo_store::Quotas {
            tasks_per_user: self.quotas.quota_tasks_per_user,
            conversations_per_user: self.quotas.quota_conversations_per_user,
            messages_per_conversation: self.quotas.quota_messages_per_conversation,
            chat_turns_per_minute: self.quotas.quota_chat_turns_per_minute,
        };
        Ok(ApiConfig {
            addr: SocketAddr::new(self.server.host, self.server.port),
            app_env: self.server.app_env,
            database_url,
            database_max_connections: self.database.database_max_connections,
            database_acquire_timeout: Duration::from_millis(self.database.database_acquire_timeout_ms.max(1)),
            database_warm_connections: self.database.database_warm_connections,
            database_startup_timeout: Duration::from_secs(self.database.database_startup_timeout_secs),
            task_cache_bytes: self.database.task_cache_mb as usize * 1024 * 1024,
            auth: todo_auth::AuthConfig {
                hs256_secret,
                issuer: self.auth.auth_issuer.clone(),
                audience: self.auth.auth_audience.clone(),
                token_ttl: Duration::from_secs(self.auth.auth_token_ttl_secs.max(60)),
                jwks_url: self.auth.auth_jwks_url.clone(),
                jwks_issuer: self.auth.auth_jwks_issuer.clone().filter(|v| !v.trim().is_empty()),
                jwks_audience: self.auth.auth_jwks_audience.clone().filter(|v| !v.trim().is_empty()),
                jwks_min_refetch_interval: Duration::from_secs(self.auth.auth_jwks_min_refresh_secs),
            },
            ephemeral_secret,
            throttle: ThrottleSettings {
                sign_in_max_per_email_and_address: self.auth.sign_in_max_failures.max(1),
                sign_in_max_per_address: self.auth.sign_in_max_failures_per_address.max(1),
                sign_in_first_lock: chrono::Duration::seconds(self.auth.sign_in_lock_secs.clamp(1, 24 * 3600) as i64),
                sign_ups_per_address_per_hour: self.auth.sign_ups_per_address_per_hour,
                trusted_proxies: self
                    .server
                    .trusted_proxies
                    .parse()
                    .map_err(|e| ConfigError(format!("TRUSTED_PROXIES: {e}")))?,
            },
            password_hash_concurrency: self.auth.password_hash_concurrency,
            password_hash_wait: Duration::from_millis(self.auth.password_hash_wait_ms),
            frontend_url,
            assistant,
            log_format: self.server.log_format,
            log_requests: self.log_requests,
            request_timeout: Duration::from_secs(self.server.request_timeout_secs.max(1)),
            shutdown_timeout: Duration::from_secs(self.server.shutdown_timeout_secs),
            mcp: McpOptions { allowed_hosts: mcp_allowed_hosts },
            session_cache_ttl: Duration::from_millis(self.auth.session_cache_ttl_ms),
            session_cache_capacity: self.auth.session_cache_capacity,
            connections: self.server.connections.resolve().map_err(ConfigError)?,
            quotas,
        })
    }
}

impl ApiArgs {
    fn assistant(&self) -> Result<AssistantSettings, ConfigError> {
        let openai_key = resolve_secret(
            "OPENAI_API_KEY",
            self.llm.openai_api_key.as_ref().map(ExposeSecret::expose_secret),
            self.llm.openai_api_key_file.as_ref(),
        )?;
        let name =
            match self.llm.llm_provider.as_deref().map(|p| p.trim().to_ascii_lowercase()).filter(|p| !p.is_empty()) {
                Some(p) => p,
                None if openai_key.is_some() => "openai".into(),
                None => todo_agent::BUILTIN.into(),
            };
        let fallback_builtin = match self.llm.llm_fallback.trim().to_ascii_lowercase().as_str() {
            "" | "none" => false,
            "builtin" => true,
            other => return Err(ConfigError(format!("LLM_FALLBACK must be none or builtin (got {other:?})"))),
        };
        let own_key = match name.as_str() {
            "gemini" => resolve_secret(
                "GEMINI_API_KEY",
                self.llm.gemini_api_key.as_ref().map(ExposeSecret::expose_secret),
                self.llm.gemini_api_key_file.as_ref(),
            )?,
            "groq" => resolve_secret(
                "GROQ_API_KEY",
                self.llm.groq_api_key.as_ref().map(ExposeSecret::expose_secret),
                self.llm.groq_api_key_file.as_ref(),
            )?,
            "openrouter" => resolve_secret(
                "OPENROUTER_API_KEY",
                self.llm.openrouter_api_key.as_ref().map(ExposeSecret::expose_secret),
                self.llm.openrouter_api_key_file.as_ref(),
            )?,
            _ => None,
        };
        let api_key = own_key.or(openai_key);
        let provider = match name.as_str() {
            n if n == todo_agent::BUILTIN => None,
            other => {
                let (base_url, default_model, key_env) = match todo_agent::preset(other) {
                    Some(p) => (Some(p.base_url.to_string()), Some(p.default_model.to_string()), p.key_env),
                    None if other == "openai-compatible" => (None, None, None),
                    None => {
                        return Err(ConfigError(format!(
                            "LLM_PROVIDER must be openai, gemini, groq, openrouter, ollama, openai-compatible or builtin (got {other:?})"
                        )));
                    }
                };
                let base_url = self
                    .llm
                    .llm_base_url
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| s.trim_end_matches('/').to_string())
                    .or(base_url)
                    .ok_or_else(|| ConfigError(format!("LLM_PROVIDER={other} needs LLM_BASE_URL")))?;
                if http_url(&base_url).is_none() {
                    return Err(ConfigError(format!("LLM_BASE_URL must be an http(s) URL (got {base_url:?})")));
                }
                let model = self
                    .llm
                    .llm_model
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .or(default_model)
                    .ok_or_else(|| ConfigError(format!("LLM_PROVIDER={other} needs LLM_MODEL")))?;
                if let (None, Some(env)) = (&api_key, key_env) {
                    return Err(ConfigError(format!("LLM_PROVIDER={other} needs {env} (or {env}_FILE)")));
                }
                Some(todo_agent::ProviderConfig {
                    name: other.to_string(),
                    base_url,
                    model,
                    api_key,
                    connect_timeout: Duration::from_secs(self.llm.llm_connect_timeout_secs.max(1)),
                    timeout: Duration::from_secs(self.llm.llm_timeout_secs.max(1)),
                    max_retries: self.llm.llm_max_retries,
                    max_tokens: Some(self.llm_max_tokens).filter(|n| *n > 0),
                })
            }
        };
        let routing = match self.llm_routing.trim().to_ascii_lowercase().as_str() {
            "" | "builtin-first" => todo_agent::Routing::BuiltinFirst,
            "model" => todo_agent::Routing::Model,
            other => return Err(ConfigError(format!("LLM_ROUTING must be builtin-first or model (got {other:?})"))),
        };
        if self.llm_turn_timeout_secs == 0 || self.llm_turn_timeout_secs >= self.server.request_timeout_secs {
            return Err(ConfigError(format!(
                "LLM_TURN_TIMEOUT_SECS must be from 1 to below REQUEST_TIMEOUT_SECS ({}), so that a turn's answer \
                 reaches the client before the request times out (got {})",
                self.server.request_timeout_secs, self.llm_turn_timeout_secs
            )));
        }
        for (name, n) in [
            ("LLM_MAX_TOOL_CALLS_PER_ROUND", self.llm_max_tool_calls_per_round),
            ("LLM_MAX_TOOL_CALLS_PER_TURN", self.llm_max_tool_calls_per_turn),
        ] {
            if n == 0 {
                return Err(ConfigError(format!("{name} must be at least 1")));
            }
        }
        Ok(AssistantSettings {
            provider,
            fallback_builtin,
            limits: todo_agent::TurnLimits {
                max_tool_rounds: self.llm.llm_max_tool_rounds.max(1),
                max_calls_per_round: self.llm_max_tool_calls_per_round,
                max_calls_per_turn: self.llm_max_tool_calls_per_turn,
                deadline: Duration::from_secs(self.llm_turn_timeout_secs),
            },
            routing,
            history_messages: self.llm.chat_history_messages,
        })
    }
}

fn random_secret() -> Vec<u8> {
    use rand::RngCore;
    let mut bytes = vec![0u8; 48];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

/// An absolute http(s) URL with a host, as [`url::Url`] parses it.
fn http_url(raw: &str) -> Option<url::Url> {
    url::Url::parse(raw.trim()).ok().filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

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
        .and_then(|u| url::Url::parse(u).ok())
        .and_then(|u| u.host_str().map(|h| h.trim_matches(['[', ']']).to_ascii_lowercase()));
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
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        args: ApiArgs,
    }

    fn parse(args: &[&str]) -> ApiArgs {
        T::try_parse_from(std::iter::once("todo-api").chain(args.iter().copied())).unwrap().args
    }

    fn err(args: &[&str]) -> String {
        parse(args).resolve().err().expect("should be refused").to_string()
    }

    #[test]
    fn frontend_url_is_an_origin_parsed_as_a_url() {
        let origin = |u: &str| parse(&["--frontend-url", u]).resolve().map(|c| c.frontend_url);
        assert_eq!(origin("https://Todo.Example.com/").unwrap().as_deref(), Some("https://todo.example.com"));
        assert_eq!(origin(" http://localhost:3000 ").unwrap().as_deref(), Some("http://localhost:3000"));
        assert_eq!(origin("https://todo.example.com:443").unwrap().as_deref(), Some("https://todo.example.com"));
        for bad in [
            "ftp://todo.example.com",
            "https://todo.example.com/app",
            "https://x.example.com/?q=1",
            "todo.example.com",
            "https://",
        ] {
            assert!(err(&["--frontend-url", bad]).contains("FRONTEND_URL must be an origin"), "{bad}");
        }
        assert!(
            err(&["--llm-provider", "openai-compatible", "--llm-base-url", "localhost:8080", "--llm-model", "m"])
                .contains("LLM_BASE_URL must be an http(s) URL")
        );
    }

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
    fn development_defaults_to_sqlite_and_a_random_secret() {
        let c = parse(&[]).resolve().unwrap();
        assert!(c.database_url.starts_with("sqlite://"));
        assert!(c.ephemeral_secret);
        assert_eq!(c.auth.hs256_secret.as_ref().unwrap().len(), 48);
    }

    #[test]
    fn production_refuses_missing_or_weak_settings() {
        assert!(err(&["--app-env", "production"]).contains("DATABASE_URL"));
        assert!(err(&["--app-env", "production", "--database-url", "postgres://x/y"]).contains("BETTER_AUTH_SECRET"));
        assert!(
            err(&["--app-env", "production", "--database-url", "postgres://x/y", "--better-auth-secret", "short"])
                .contains("needs at least 32")
        );
        let ok = parse(&[
            "--app-env",
            "production",
            "--database-url",
            "postgres://x/y",
            "--better-auth-secret",
            &"s".repeat(32),
        ])
        .resolve()
        .unwrap();
        assert!(!ok.ephemeral_secret);
    }

    #[test]
    fn secrets_come_from_files() {
        let dir = std::env::temp_dir().join(format!("todo-api-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("secret");
        std::fs::write(&f, format!("{}\n", "k".repeat(40))).unwrap();
        let c = parse(&["--better-auth-secret-file", f.to_str().unwrap()]).resolve().unwrap();
        assert_eq!(c.auth.hs256_secret.unwrap(), "k".repeat(40).into_bytes());
        assert!(
            err(&["--better-auth-secret-file", f.to_str().unwrap(), "--better-auth-secret", "x"]).contains("not both")
        );
        assert!(err(&["--database-url-file", "/nonexistent/x"]).contains("cannot read DATABASE_URL_FILE"));
    }

    #[test]
    fn bad_values_are_named() {
        assert!(err(&["--database-url", "mysql://x"]).contains("DATABASE_URL"));
        assert!(err(&["--frontend-url", "todo.example.com"]).contains("FRONTEND_URL"));
        assert!(err(&["--trusted-proxies", "10.0.0.0/8,proxy"]).contains("TRUSTED_PROXIES: \"proxy\""));
        assert!(err(&["--frontend-url", "https://todo.example.com/app"]).contains("FRONTEND_URL"));
        assert_eq!(
            parse(&["--frontend-url", "https://todo.example.com/"]).resolve().unwrap().frontend_url.as_deref(),
            Some("https://todo.example.com")
        );
    }

    #[test]
    fn assistant_defaults_to_builtin_and_needs_keys_for_providers() {
        assert!(parse(&[]).resolve().unwrap().assistant.provider.is_none());
        let p = parse(&["--openai-api-key", "sk-test"]).resolve().unwrap().assistant.provider.unwrap();
        assert_eq!((p.name.as_str(), p.model.as_str()), ("openai", "gpt-4o-mini"));
        assert!(err(&["--llm-provider", "groq"]).contains("GROQ_API_KEY"));
        let g =
            parse(&["--llm-provider", "groq", "--groq-api-key", "gk"]).resolve().unwrap().assistant.provider.unwrap();
        assert_eq!(g.api_key.as_deref(), Some("gk"));
        assert!(g.base_url.contains("groq.com"));
        assert!(parse(&["--llm-provider", "ollama"]).resolve().unwrap().assistant.provider.unwrap().api_key.is_none());
        assert!(err(&["--llm-provider", "openai-compatible"]).contains("LLM_BASE_URL"));
        assert!(err(&["--llm-provider", "skynet"]).contains("LLM_PROVIDER must be"));
        assert!(err(&["--llm-fallback", "maybe"]).contains("LLM_FALLBACK"));
        let debug = format!("{:?}", parse(&["--openai-api-key", "sk-secret"]).resolve().unwrap().assistant);
        assert!(!debug.contains("sk-secret"), "{debug}");
    }

    #[test]
    fn the_assistant_is_described_without_secrets() {
        assert_eq!(parse(&[]).resolve().unwrap().assistant.describe(), "built-in");
        let a = parse(&["--openai-api-key", "sk-secret"]).resolve().unwrap().assistant;
        assert_eq!(a.describe(), "gpt-4o-mini from openai at https://api.openai.com/v1");
        let a = parse(&[
            "--llm-provider=openai-compatible",
            "--llm-base-url=https://me:pa55@llm.example.com/v1/?key=k3y",
            "--llm-model=m",
            "--llm-fallback=builtin",
        ])
        .resolve()
        .unwrap()
        .assistant;
        assert_eq!(a.describe(), "m from openai-compatible at https://llm.example.com/v1, built-in when it fails");
    }

    const JWKS: [&str; 6] = [
        "--auth-jwks-url",
        "https://id.example.com/jwks",
        "--auth-jwks-issuer",
        "https://id.example.com",
        "--auth-jwks-audience",
        "todo-app",
    ];

    #[test]
    fn quotas_default_to_limits_no_normal_user_reaches() {
        let q = parse(&[]).resolve().unwrap().quotas;
        assert_eq!(
            (q.tasks_per_user, q.conversations_per_user, q.messages_per_conversation, q.chat_turns_per_minute),
            (10_000, 1_000, 1_000, 20)
        );
        let q = parse(&["--quota-tasks-per-user=0", "--quota-messages-per-conversation=2"]).resolve().unwrap().quotas;
        assert_eq!((q.tasks_per_user, q.messages_per_conversation), (0, 2));
        assert!(err(&["--quota-messages-per-conversation=1"]).contains("QUOTA_MESSAGES_PER_CONVERSATION"));
    }

    #[test]
    fn jwks_only_mode_has_no_hs256_secret() {
        let c = parse(&JWKS).resolve().unwrap();
        assert!(c.auth.hs256_secret.is_none() && !c.ephemeral_secret);
        assert_eq!(c.auth.jwks_issuer.as_deref(), Some("https://id.example.com"));
        assert_eq!(c.auth.jwks_audience.as_deref(), Some("todo-app"));
    }

    #[test]
    fn jwks_needs_issuer_and_audience_unless_told_to_accept_any() {
        let e = err(&JWKS[..2]);
        assert!(e.contains("AUTH_JWKS_ISSUER and AUTH_JWKS_AUDIENCE"), "{e}");
        assert!(e.contains("AUTH_JWKS_ACCEPT_ANY_ISSUER_AND_AUDIENCE=true"), "{e}");
        let e = err(&JWKS[..4]);
        assert!(e.contains("needs AUTH_JWKS_AUDIENCE ") && !e.contains("AUTH_JWKS_ISSUER and"), "{e}");
        assert!(err(&[&JWKS[..4], &["--auth-jwks-audience", " "]].concat()).contains("AUTH_JWKS_AUDIENCE"));
        let any =
            parse(&[&JWKS[..2], &["--auth-jwks-accept-any-issuer-and-audience=true"]].concat()).resolve().unwrap();
        assert!(any.auth.jwks_issuer.is_none() && any.auth.jwks_audience.is_none());
        // Set ones are still checked.
        let some = parse(&[&JWKS[..4], &["--auth-jwks-accept-any-issuer-and-audience", "true"]].concat()).resolve();
        assert_eq!(some.unwrap().auth.jwks_issuer.as_deref(), Some("https://id.example.com"));
        assert!(err(&[&JWKS[..2], &["--auth-jwks-accept-any-issuer-and-audience=false"]].concat()).contains("needs"));
        // Without a JWKS URL nothing is needed.
        assert!(parse(&[]).resolve().is_ok());
    }

    #[test]
    fn session_cache_ttl_is_bounded() {
        let c = parse(&[]).resolve().unwrap();
        assert_eq!((c.session_cache_ttl, c.session_cache_capacity), (Duration::from_secs(5), 100_000));
        assert_eq!(parse(&["--session-cache-ttl-ms=0"]).resolve().unwrap().session_cache_ttl, Duration::ZERO);
        assert!(err(&["--session-cache-ttl-ms=60001"]).contains("SESSION_CACHE_TTL_MS is at most 60000"));
    }
}
