//! Pieces of the OpenAPI document shared by several operations: the path
//! parameters and the error responses that come from the extractors and layers
//! rather than from one handler (see `crate::extract` and `crate::app`).
//!
//! Every operation lists the responses it can really give, so a client (or a
//! fuzzer) generated from the document meets no undocumented status.

use serde::Deserialize;
use utoipa::{IntoParams, ToResponse};

use crate::error::Problem;

/// `{user_id}` of the per-user routes.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // documents the path; the `Owner` extractor reads it
pub struct UserPath {
    /// The user's id; must equal the token's subject (otherwise 403).
    pub user_id: String,
}

/// `{user_id}` and a task's `{id}`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // documents the path; `Owner` and `TaskId` read it
pub struct TaskPath {
    /// The user's id; must equal the token's subject (otherwise 403).
    pub user_id: String,
    /// The task's number among the user's tasks (1, 2, 3... in creation order,
    /// never reused); another user's number, or anything else, is 404.
    #[param(minimum = 1)]
    pub id: i64,
}

/// `{user_id}` and a conversation's `{id}`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // documents the path; `Owner` and `ConversationId` read it
pub struct ConversationPath {
    /// The user's id; must equal the token's subject (otherwise 403).
    pub user_id: String,
    /// The conversation's id (anything else is 404).
    #[param(minimum = 1)]
    pub id: i64,
}

/// The body is not JSON (`malformed_json`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
#[allow(dead_code)]
pub struct MalformedJson(Problem);

/// Missing, malformed, expired or otherwise invalid bearer token (`unauthorized`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json", headers(("www-authenticate" = String, description = "`Bearer`")))]
#[allow(dead_code)]
pub struct Unauthorized(Problem);

/// The token belongs to another user than `{user_id}` (`forbidden`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
#[allow(dead_code)]
pub struct Forbidden(Problem);

/// The body is larger than 64 KiB (`payload_too_large`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
#[allow(dead_code)]
pub struct PayloadTooLarge(Problem);

/// The body is not sent as `Content-Type: application/json` (`unsupported_media_type`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json")]
#[allow(dead_code)]
pub struct UnsupportedMediaType(Problem);

/// The database (or the token issuer's keys) cannot be reached right now, or
/// the request took longer than `REQUEST_TIMEOUT_SECS` (`service_unavailable`);
/// retry after `Retry-After` seconds.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("retry-after" = u64, description = "Seconds to wait before retrying"))
)]
#[allow(dead_code)]
pub struct Unavailable(Problem);
