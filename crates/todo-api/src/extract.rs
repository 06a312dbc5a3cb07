//! Request extractors whose failures are problem+json responses naming the field.

use std::collections::HashMap;
use std::marker::PhantomData;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::{StatusCode, header, request::Parts};
use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::error::ApiError;
use crate::state::AppState;

/// Largest request body accepted, in bytes (413 beyond).
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// A JSON body. Syntax errors are 400; wrong types, missing or unknown fields 422
/// with the field's path; a non-JSON content type 415; an oversized body 413.
/// `LIMIT` is the body limit a 413 reports: the route's `DefaultBodyLimit`
/// (the app's [`BODY_LIMIT_BYTES`] unless the route sets a larger one).
pub struct ApiJson<T, const LIMIT: usize = BODY_LIMIT_BYTES>(pub T);

impl<T: DeserializeOwned, S: Send + Sync, const LIMIT: usize> FromRequest<S> for ApiJson<T, LIMIT> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::UnsupportedMediaType(
                "expected a JSON body with Content-Type: application/json".into(),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e: BytesRejection| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge { limit: LIMIT }
            } else {
                ApiError::MalformedJson(e.body_text())
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// A request body, which is always a JSON object.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(de).map(|ObjectOnly(v)| v).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        use serde_json::error::Category;
        match inner.classify() {
            Category::Syntax | Category::Eof | Category::Io => {
                ApiError::MalformedJson(format!("malformed JSON: {inner}"))
            }
            Category::Data => {
                let msg = strip_position(&inner.to_string());
                let field = named_field(&msg).unwrap_or_else(|| if path == "." { "body".into() } else { path.clone() });
                let nested = path != "." && field != path && !path.is_empty();
                let field = if nested && msg.starts_with("missing field") {
                    format!("{path}.{field}")
                } else if nested && msg.starts_with("unknown field") {
                    // Where in a nested document (an import's `tasks[3]`) the key was.
                    if path.ends_with(&field) { path.clone() } else { format!("{path}.{field}") }
                } else {
                    field
                };
                ApiError::field(&field, msg)
            }
        }
    })?;
    Ok(value)
}

/// `T` read from a JSON object only. serde's derived structs also take an array
/// of their fields in order, which would make `["Buy milk"]` a task.
struct ObjectOnly<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectOnly<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Object<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Object<T> {
            type Value = T;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(Object(PhantomData)).map(ObjectOnly)
    }
}

/// serde names the field itself in "missing field `x`" / "unknown field `x`".
fn named_field(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("missing field `").or_else(|| msg.strip_prefix("unknown field `"))?;
    rest.split('`').next().map(str::to_string)
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Query parameters; every parameter struct takes strings and validates them
/// itself, so this only fails on a malformed query string.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| ApiQuery(v))
            .map_err(|e| ApiError::field("query", e.body_text()))
    }
}

/// The client's address: the TCP peer, or what a trusted proxy says in
/// `X-Forwarded-For` (`TRUSTED_PROXIES`). Used for throttling only, never for
/// authorisation.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub std::net::IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // Every server here is started with connect info; a router driven
        // without it (in-process) counts as one unspecified client.
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        Ok(ClientIp(state.throttle.trusted_proxies.client_ip(peer, &parts.headers)))
    }
}

/// The authenticated caller (the token's subject), whose token passed
/// [`crate::sessions::authenticate`].
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// The user id of the token's subject.
    pub user_id: String,
    /// The session of a token this service issued; `None` for external tokens.
    pub session_id: Option<String>,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer_token(parts).ok_or(todo_auth::AuthError::Missing)?;
        let caller = crate::sessions::authenticate(state, token).await?;
        Ok(AuthUser { user_id: caller.user_id, session_id: caller.session_id })
    }
}

/// The token of an `Authorization: Bearer` header, if there is one.
pub fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// The `{user_id}` of the path, checked against the token: no or bad token 401,
/// someone else's user id 403.
#[derive(Debug, Clone)]
pub struct Owner(pub String);

impl FromRequestParts<AppState> for Owner {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        let params = path_params(parts, state).await?;
        let path_user = params.get("user_id").ok_or_else(|| ApiError::Internal("route has no {user_id}".into()))?;
        if *path_user != user.user_id {
            return Err(ApiError::Forbidden);
        }
        Ok(Owner(user.user_id))
    }
}

/// The route's path parameters as text. A segment that is not UTF-8 once
/// percent-decoded (`/api/%ff/tasks`) is the client's mistake, 400; only a
/// route without parameters (a bug here) is a 500.
async fn path_params<S: Send + Sync>(parts: &mut Parts, state: &S) -> Result<HashMap<String, String>, ApiError> {
    use axum::extract::path::ErrorKind;
    use axum::extract::rejection::PathRejection;
    match Path::<HashMap<String, String>>::from_request_parts(parts, state).await {
        Ok(Path(params)) => Ok(params),
        Err(PathRejection::FailedToDeserializePathParams(e)) => match e.into_kind() {
            ErrorKind::InvalidUtf8InPathParam { key } => Err(ApiError::InvalidPath(format!(
                "the {key} segment of the path is not valid UTF-8 once percent-decoded"
            ))),
            other => Err(ApiError::InvalidPath(format!("the path cannot be read: {other}"))),
        },
        Err(other) => Err(ApiError::Internal(other.body_text())),
    }
}

/// The numeric `{id}` path segment; any other text cannot name a resource, so it is 404.
async fn numeric_id<S: Send + Sync>(parts: &mut Parts, state: &S, what: &'static str) -> Result<i64, ApiError> {
    let params = path_params(parts, state).await?;
    params.get("id").and_then(|s| s.parse::<i64>().ok()).ok_or(ApiError::NotFound(what))
}

#[derive(Debug, Clone, Copy)]
/// The `{id}` of a task route; a non-numeric id is a 404 for "task".
pub struct TaskId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for TaskId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        numeric_id(parts, state, "task").await.map(TaskId)
    }
}

#[derive(Debug, Clone, Copy)]
/// The `{id}` of a conversation route; a non-numeric id is a 404 for "conversation".
pub struct ConversationId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for ConversationId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        numeric_id(parts, state, "conversation").await.map(ConversationId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use todo_domain::TaskInput;

    fn field_of(body: &str) -> (u16, String) {
        match parse_json::<TaskInput>(body.as_bytes()) {
            Ok(_) => (200, String::new()),
            Err(e) => {
                let p = e.problem();
                (p.status, p.errors.first().map(|f| f.field.clone()).unwrap_or_default())
            }
        }
    }

    #[test]
    fn json_errors_name_the_field() {
        assert_eq!(field_of(r#"{"title": 5}"#), (422, "title".into()));
        assert_eq!(field_of(r#"{"description": "x"}"#), (422, "title".into()));
        assert_eq!(field_of(r#"{"title": "x", "colour": "red"}"#), (422, "colour".into()));
        assert_eq!(field_of(r#"{"title": "x", "priority": "max"}"#), (422, "priority".into()));
        assert_eq!(field_of(r#"{"title": "x", "due_at": "tomorrow"}"#), (422, "due_at".into()));
        assert_eq!(field_of(r#"{"title": "x", "tags": ["a", 3]}"#), (422, "tags[1]".into()));
        assert_eq!(field_of(r#""just text""#), (422, "body".into()));
        assert_eq!(field_of(r#"["x"]"#), (422, "body".into()));
        assert_eq!(field_of(r#"{"title": "x", "tags": [[]]}"#), (422, "tags[0]".into()));
        assert_eq!(field_of(r#"{"title": "#).0, 400);
        assert_eq!(field_of(r#"{"title" "x"}"#).0, 400);
        assert_eq!(field_of(r#"{"title": "x"}"#).0, 200);
    }
}
