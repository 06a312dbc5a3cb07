use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use serde::Serialize;
use todo_domain::{SignInInput, SignUpInput, User};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, NotFoundAs, Problem};
use crate::extract::{ApiJson, AuthUser};
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
    let user = state.store.create_user(&id, &account.email, &account.name, &hash).await?;
    let token = state.auth.issue(&user.id)?;
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
    let email = input.validate()?;
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
            let token = state.auth.issue(&s.user.id)?;
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
