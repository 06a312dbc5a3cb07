use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use serde::Serialize;
use todo_domain::{SignInInput, SignUpInput, User, ValidationErrors, normalize_email};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, NotFoundAs, Problem};
use crate::extract::{ApiJson, AuthUser};
use crate::sessions;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthResponse {
    pub user: User,
    /// Bearer token for `Authorization: Bearer <token>`.
    pub token: String,
    pub token_type: &'static str,
}

/// Create an account and sign in.
#[utoipa::path(post, path = "/api/auth/sign-up", tag = "auth", request_body = SignUpInput,
    responses(
        (status = 201, description = "Account created", body = AuthResponse),
        (status = 409, description = "Email already registered", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn sign_up(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<SignUpInput>,
) -> ApiResult<(StatusCode, Json<AuthResponse>)> {
    let account = input.validate()?;
    if !state.auth.can_issue() {
        return Err(todo_auth::AuthError::IssuingDisabled.into());
    }
    let hash = todo_auth::hash_password(account.password).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let (token, session) = sessions::new_session(&state, &id)?;
    let user = state.store.create_user_with_session(&account.email, &account.name, &hash, &session).await?;
    tracing::info!(user_id = %user.id, "account created");
    Ok((StatusCode::CREATED, Json(AuthResponse { user, token, token_type: "Bearer" })))
}

/// Delay after the n-th consecutive failure: none until the limit, then doubling
/// from 1 s up to 15 minutes.
pub fn lockout_after(failures: i32, max_failures: u32) -> Duration {
    let over = failures - max_failures as i32;
    if over < 0 {
        return Duration::zero();
    }
    Duration::seconds((1i64 << over.min(10)).min(900))
}

/// Sign in with email and password.
#[utoipa::path(post, path = "/api/auth/sign-in", tag = "auth", request_body = SignInInput,
    responses(
        (status = 200, description = "Signed in", body = AuthResponse),
        (status = 401, description = "Wrong email or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn sign_in(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<SignInInput>,
) -> ApiResult<Json<AuthResponse>> {
    let email = normalize_email(&input.email);
    let mut errors = ValidationErrors::default();
    if email.is_empty() {
        errors.push("email", "must not be empty");
    }
    if input.password.is_empty() {
        errors.push("password", "must not be empty");
    }
    errors.into_result(())?;
    if !state.auth.can_issue() {
        return Err(todo_auth::AuthError::IssuingDisabled.into());
    }

    if let Some(lock) = state.store.sign_in_lock(&email).await? {
        let wait = (lock.locked_until - Utc::now()).num_milliseconds();
        if wait > 0 {
            return Err(ApiError::TooManySignIns { retry_after: (wait as u64).div_ceil(1000) });
        }
    }
    let stored = state.store.find_user_by_email(&email).await?;
    let ok = todo_auth::verify_password(input.password, stored.as_ref().map(|s| s.password_hash.clone())).await?;
    match stored {
        Some(s) if ok => {
            state.store.clear_sign_in_failures(&email).await?;
            let token = sessions::start(&state, &s.user.id).await?;
            Ok(Json(AuthResponse { user: s.user, token, token_type: "Bearer" }))
        }
        _ => {
            let max = state.sign_in_max_failures;
            let lock = state.store.record_sign_in_failure(&email, |n| lockout_after(n, max)).await?;
            tracing::info!(failures = lock.failures, "failed sign-in");
            Err(ApiError::Unauthorized("invalid email or password".into()))
        }
    }
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The account of the token", body = User),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn me(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<User>> {
    Ok(Json(state.store.get_user(&user.user_id).await.not_found_as("user")?))
}

/// Sign out: ends the session of this token. The token (and any copy of it) is
/// refused from then on, on every replica within `SESSION_CACHE_TTL_MS`.
#[utoipa::path(post, path = "/api/auth/sign-out", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out: the token no longer works"),
        (status = 401, description = "Missing or invalid token (already signed out, for one)", body = Problem, content_type = "application/problem+json"),
        (status = 501, description = "A token of the external identity provider: sign out there", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn sign_out(State(state): State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    let session_id = own_session(&user)?;
    state.store.revoke_session(&user.user_id, &session_id).await?;
    state.sessions.forget(&[session_id]).await;
    tracing::info!(user_id = %user.user_id, "signed out");
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignedOutEverywhere {
    /// How many sessions were ended, this token's included.
    pub ended_sessions: usize,
}

/// Sign out everywhere: ends every session of the token's user, this one
/// included, on every device and replica (within `SESSION_CACHE_TTL_MS`).
#[utoipa::path(post, path = "/api/auth/sign-out-everywhere", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every session of the user ended", body = SignedOutEverywhere),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 501, description = "A token of the external identity provider: sign out there", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<SignedOutEverywhere>> {
    own_session(&user)?;
    let ended = state.store.revoke_user_sessions(&user.user_id).await?;
    state.sessions.forget(&ended).await;
    tracing::info!(user_id = %user.user_id, sessions = ended.len(), "signed out everywhere");
    Ok(Json(SignedOutEverywhere { ended_sessions: ended.len() }))
}

/// The session of a token this service issued; the external issuer's tokens
/// live as long as that issuer says, which nothing here can shorten.
fn own_session(user: &AuthUser) -> ApiResult<String> {
    user.session_id.clone().ok_or_else(|| {
        ApiError::NotImplemented(
            "this token comes from the identity provider: sign out there to end its session".into(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::lockout_after;

    #[test]
    fn lockout_grows_after_the_limit() {
        assert_eq!(lockout_after(1, 5).num_seconds(), 0);
        assert_eq!(lockout_after(4, 5).num_seconds(), 0);
        assert_eq!(lockout_after(5, 5).num_seconds(), 1);
        assert_eq!(lockout_after(6, 5).num_seconds(), 2);
        assert_eq!(lockout_after(9, 5).num_seconds(), 16);
        assert_eq!(lockout_after(100, 5).num_seconds(), 900);
    }
}
