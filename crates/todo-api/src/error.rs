//! The one error type of the HTTP layer and its single mapping to RFC 9457
//! `application/problem+json` responses with a stable machine-readable `code`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use todo_domain::{FieldError, ValidationErrors};
use todo_store::StoreError;
use utoipa::ToSchema;

/// The media type of every error body (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Everything a request can fail with; [`ApiError::status`] and
/// [`ApiError::code`] are the one mapping to HTTP.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A request that cannot be understood (400 `bad_request`).
    #[error("{0}")]
    BadRequest(String),
    /// A body that is not the JSON it should be (400 `malformed_json`).
    #[error("{0}")]
    MalformedJson(String),
    /// A body of another media type than JSON (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A path that cannot be read (a segment that is not UTF-8).
    #[error("{0}")]
    InvalidPath(String),
    /// A body over the limit (413).
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// Fields that break the rules, each named (422 `validation_failed`).
    #[error("{0}")]
    Validation(ValidationErrors),
    /// No token, or one that does not verify (401); the detail is safe to show.
    #[error("{0}")]
    Unauthorized(String),
    /// A token used on another user's path (403).
    #[error("this token may only access its own user's data")]
    Forbidden,
    /// The password confirming an account change is wrong (403: the token is
    /// fine, so not a 401 that would make a client sign out); names the field.
    #[error("{0} is not the account's password")]
    WrongPassword(&'static str),
    /// `/mcp` refused the `Host` (DNS-rebinding protection, MCP_ALLOWED_HOSTS).
    #[error("{0}")]
    HostNotAllowed(String),
    /// `/mcp` refused a browser's `Origin` (DNS-rebinding protection).
    #[error("{0}")]
    OriginNotAllowed(String),
    /// No such resource for this user (404); names what was looked for.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// One task of a bulk action is not the user's (404 `not_found`); names its number.
    #[error("task {0} not found")]
    TaskNotFound(i64),
    /// No route has this path (404).
    #[error("no route for {method} {path}")]
    RouteNotFound {
        /// The request's method.
        method: String,
        /// The request's path, without its query.
        path: String,
    },
    /// The route exists, without this method (405).
    #[error("method {method} is not allowed on {path}")]
    MethodNotAllowed {
        /// The request's method.
        method: String,
        /// The request's path, without its query.
        path: String,
    },
    /// No representation the client accepts (406).
    #[error("{0}")]
    NotAcceptable(String),
    /// A unique value is taken, such as an email (409).
    #[error("{0}")]
    Conflict(String),
    /// Sign-in is locked for this email and address, or this address (429).
    #[error("too many failed sign-in attempts; try again in {retry_after} s")]
    TooManySignIns {
        /// Seconds until the lock lifts.
        retry_after: u64,
    },
    /// Too many accounts created from this address this hour (429).
    #[error("too many accounts created from this address; try again in {retry_after} s")]
    TooManySignUps {
        /// Seconds until the hour's window ends.
        retry_after: u64,
    },
    /// A per-user quota (todo_store::Quotas) is reached.
    #[error("{detail}")]
    QuotaExceeded {
        /// Which quota.
        quota: todo_store::Quota,
        /// What the user is told: the limit and what to do.
        detail: String,
        /// Seconds after which trying again may succeed.
        retry_after: u64,
    },
    /// The database or the password hasher is overloaded or away (503).
    #[error("{detail}")]
    Unavailable {
        /// What is unavailable, safe to show.
        detail: String,
        /// Seconds after which trying again may succeed.
        retry_after: u64,
    },
    /// A feature this configuration does not offer (501).
    #[error("{0}")]
    NotImplemented(String),
    /// The assistant's model provider failed (502) or timed out (504).
    #[error("{detail}")]
    Provider {
        /// What went wrong, safe to show (no key, no provider response body).
        detail: String,
        /// Whether it timed out (504) rather than failed (502).
        timeout: bool,
        /// The conversation of the turn, so that a client retries in it.
        conversation_id: Option<i64>,
        /// The tool calls that ran before the failure (their changes stay).
        tool_calls: Vec<todo_domain::ToolCallRecord>,
    },
    /// A bug; the detail is logged, the client sees only "internal error" (500).
    #[error("internal error")]
    Internal(String),
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the problem type.
    pub title: &'static str,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request, in words a user can act on.
    pub detail: String,
    /// Stable machine-readable code, e.g. `validation_failed`.
    pub code: &'static str,
    /// Each invalid field, for `validation_failed`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For a failed chat turn (`llm_provider_error`, `llm_provider_timeout`): its
    /// conversation, to continue in (retry there, with the same Idempotency-Key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<i64>,
    /// For a failed chat turn: the tool calls that ran before it failed, with
    /// their results (what they changed stays changed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<todo_domain::ToolCallRecord>>,
}

impl ApiError {
    /// A validation error of one field.
    pub fn field(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::Validation(ValidationErrors::single(field, message))
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) | ApiError::MalformedJson(_) => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::InvalidPath(_) => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden
            | ApiError::WrongPassword(_)
            | ApiError::HostNotAllowed(_)
            | ApiError::OriginNotAllowed(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) | ApiError::TaskNotFound(_) | ApiError::RouteNotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooManySignIns { .. } | ApiError::TooManySignUps { .. } | ApiError::QuotaExceeded { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::NotImplemented(_) => StatusCode::NOT_IMPLEMENTED,
            ApiError::Provider { timeout: false, .. } => StatusCode::BAD_GATEWAY,
            ApiError::Provider { timeout: true, .. } => StatusCode::GATEWAY_TIMEOUT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code of this error, as in the problem's `code`.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::MalformedJson(_) => "malformed_json",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::InvalidPath(_) => "invalid_path",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::Validation(_) => "validation_failed",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden => "forbidden",
            ApiError::WrongPassword(_) => "wrong_password",
            ApiError::HostNotAllowed(_) => "host_not_allowed",
            ApiError::OriginNotAllowed(_) => "origin_not_allowed",
            ApiError::NotFound(_) | ApiError::TaskNotFound(_) => "not_found",
            ApiError::RouteNotFound { .. } => "route_not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::NotAcceptable(_) => "not_acceptable",
            ApiError::Conflict(_) => "conflict",
            ApiError::TooManySignIns { .. } => "too_many_sign_in_attempts",
            ApiError::TooManySignUps { .. } => "too_many_sign_ups",
            ApiError::QuotaExceeded { quota, .. } => match quota {
                todo_store::Quota::Tasks => "task_quota_exceeded",
                todo_store::Quota::Conversations => "conversation_quota_exceeded",
                todo_store::Quota::MessagesPerConversation => "message_quota_exceeded",
                todo_store::Quota::ChatTurnsPerMinute => "chat_rate_limited",
            },
            ApiError::Unavailable { .. } => "service_unavailable",
            ApiError::NotImplemented(_) => "not_implemented",
            ApiError::Provider { timeout: false, .. } => "llm_provider_error",
            ApiError::Provider { timeout: true, .. } => "llm_provider_timeout",
            ApiError::Internal(_) => "internal_error",
        }
    }

    /// The problem+json body of this error; internal details stay out of it.
    pub fn problem(&self) -> Problem {
        let status = self.status();
        Problem {
            kind: format!("urn:todo-app:problem:{}", self.code()),
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: self.to_string(),
            code: self.code(),
            errors: match self {
                ApiError::Validation(v) => v.0.clone(),
                ApiError::WrongPassword(field) => ValidationErrors::single(*field, "is not the account's password").0,
                _ => Vec::new(),
            },
            conversation_id: match self {
                ApiError::Provider { conversation_id, .. } => *conversation_id,
                _ => None,
            },
            tool_calls: match self {
                ApiError::Provider { tool_calls, .. } => Some(tool_calls.clone()),
                _ => None,
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(error = %detail, "internal error");
        }
        let retry_after = match &self {
            ApiError::TooManySignIns { retry_after }
            | ApiError::TooManySignUps { retry_after }
            | ApiError::Unavailable { retry_after, .. }
            | ApiError::QuotaExceeded { retry_after, .. } => Some(*retry_after),
            _ => None,
        };
        let status = self.status();
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut res = (status, body).into_response();
        let headers = res.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(secs) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            // The rest of the body is never read, so the connection cannot carry
            // another request: saying so stops a client from reusing it (its next
            // request would meet the closed socket: hyper's IncompleteMessage).
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        res
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(v: ValidationErrors) -> Self {
        ApiError::Validation(v)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound("resource"),
            StoreError::Conflict(msg) => ApiError::Conflict(msg),
            StoreError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                ApiError::Unavailable { detail: "the database is unavailable; retry shortly".into(), retry_after: 2 }
            }
            StoreError::Internal(msg) => ApiError::Internal(msg),
            e @ StoreError::QuotaExceeded { quota, retry_after_secs, .. } => {
                tracing::info!(?quota, "quota reached");
                ApiError::QuotaExceeded { quota, detail: e.to_string(), retry_after: retry_after_secs }
            }
        }
    }
}

impl From<todo_auth::AuthError> for ApiError {
    fn from(e: todo_auth::AuthError) -> Self {
        use todo_auth::AuthError as A;
        match e {
            A::Missing => ApiError::Unauthorized(e.to_string()),
            // The library's words ("unknown variant `none`", "missing field
            // `exp` at line 1 column 97") help an attacker more than a client:
            // they go to the log, the client is told only that it failed.
            A::Invalid(reason) => {
                tracing::info!(%reason, "token refused");
                ApiError::Unauthorized(crate::sessions::INVALID_TOKEN.into())
            }
            A::IssuingDisabled => ApiError::NotImplemented(e.to_string()),
            A::KeysUnavailable(_) => ApiError::Unavailable { detail: e.to_string(), retry_after: 5 },
            A::Hashing(msg) => ApiError::Internal(msg),
            A::Busy => ApiError::Unavailable { detail: e.to_string(), retry_after: 1 },
        }
    }
}

/// Maps a store "not found" to a 404 naming what was looked for.
pub trait NotFoundAs<T> {
    /// The result, with a store "not found" as a 404 naming `what`.
    fn not_found_as(self, what: &'static str) -> Result<T, ApiError>;
}

impl<T> NotFoundAs<T> for Result<T, StoreError> {
    fn not_found_as(self, what: &'static str) -> Result<T, ApiError> {
        self.map_err(|e| match e {
            StoreError::NotFound => ApiError::NotFound(what),
            other => other.into(),
        })
    }
}

/// The result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
