use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use serde::Serialize;
use todo_domain::{SignInInput, SignUpInput, User, ValidationErrors, normalize_email};
use todo_service::throttle_key;
use todo_store::{Admission, RateSlot};
use utoipa::ToSchema;

use super::doc::{MalformedJson, PayloadTooLarge, Unauthorized, Unavailable, UnsupportedMediaType};
use crate::error::{ApiError, ApiResult, NotFoundAs, Problem};
use crate::extract::{ApiJson, AuthUser, ClientIp};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthResponse {
    pub user: User,
    /// Bearer token for `Authorization: Bearer <token>`.
    pub token: String,
    /// Always `Bearer`.
    #[schema(value_type = String, pattern = "^Bearer$")]
    pub token_type: &'static str,
}

/// Create an account and sign in.
#[utoipa::path(post, path = "/api/auth/sign-up", tag = "auth", request_body = SignUpInput,
    responses(
        (status = 201, description = "Account created", body = AuthResponse),
        (status = 400, response = MalformedJson),
        (status = 409, description = "Email already registered (`conflict`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, description = "A missing, unknown or invalid field (`validation_failed`, each in `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many accounts created from this address (`too_many_sign_ups`)", body = Problem, content_type = "application/problem+json",
            headers(("retry-after" = u64, description = "Seconds to wait before retrying"))),
        (status = 501, description = "Local accounts are disabled: this server only accepts tokens of an external issuer (`not_implemented`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn sign_up(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ApiJson(input): ApiJson<SignUpInput>,
) -> ApiResult<(StatusCode, Json<AuthResponse>)> {
    let account = input.validate()?;
    if !state.auth.can_issue() {
        return Err(todo_auth::AuthError::IssuingDisabled.into());
    }
    let key = format!("sign-up:{}", throttle_key(client));
    let limit = state.throttle.sign_ups_per_address_per_hour;
    if let RateSlot::Exhausted { until } = state.store.take_rate_slot(&key, limit, Duration::hours(1)).await? {
        tracing::info!(client = %client, "sign-up refused: too many from this address");
        return Err(ApiError::TooManySignUps { retry_after: seconds_until(until) });
    }
    let hash = state.passwords.hash(account.password).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let user = state.store.create_user(&id, &account.email, &account.name, &hash).await?;
    let token = state.auth.issue(&user.id)?;
    tracing::info!(user_id = %user.id, "account created");
    Ok((StatusCode::CREATED, Json(AuthResponse { user, token, token_type: "Bearer" })))
}

/// How long sign-in counts are kept: longer than the longest lock (15 min), so
/// a run of failures keeps its count while it is being locked out.
const SIGN_IN_WINDOW: Duration = Duration::hours(1);

fn seconds_until(t: chrono::DateTime<Utc>) -> u64 {
    ((t - Utc::now()).num_milliseconds().max(1) as u64).div_ceil(1000)
}

/// Sign in with email and password.
///
/// Throttled twice, per email and client address (`SIGN_IN_MAX_FAILURES`) and
/// per client address across emails (`SIGN_IN_MAX_FAILURES_PER_ADDRESS`): an
/// attacker's guesses lock the attacker out, not the account's owner signing in
/// from elsewhere. Each attempt is counted in the database before its password
/// is checked, so parallel guesses cannot outrun the count.
#[utoipa::path(post, path = "/api/auth/sign-in", tag = "auth", request_body = SignInInput,
    responses(
        (status = 200, description = "Signed in", body = AuthResponse),
        (status = 400, response = MalformedJson),
        (status = 401, description = "Wrong email or password (`unauthorized`)", body = Problem, content_type = "application/problem+json",
            headers(("www-authenticate" = String, description = "`Bearer`"))),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, description = "A missing, unknown or empty field (`validation_failed`, each in `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts (`too_many_sign_in_attempts`)", body = Problem, content_type = "application/problem+json",
            headers(("retry-after" = u64, description = "Seconds to wait before retrying"))),
        (status = 501, description = "Local accounts are disabled: this server only accepts tokens of an external issuer (`not_implemented`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn sign_in(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
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

    let address = throttle_key(client);
    let address_key = format!("sign-in:{address}");
    let account_key = format!("sign-in:{address}:{email}");
    let limits = &state.throttle;
    for (key, max) in
        [(&address_key, limits.sign_in_max_per_address), (&account_key, limits.sign_in_max_per_email_and_address)]
    {
        if let Admission::Locked { until } =
            state.store.admit_sign_in(key, max, limits.sign_in_first_lock, SIGN_IN_WINDOW).await?
        {
            return Err(ApiError::TooManySignIns { retry_after: seconds_until(until) });
        }
    }
    prune_now_and_then(&state);

    let stored = state.store.find_user_by_email(&email).await?;
    let ok = state.passwords.verify(input.password, stored.as_ref().map(|s| s.password_hash.clone())).await?;
    match stored {
        Some(s) if ok => {
            state.store.sign_in_succeeded(&account_key, &address_key).await?;
            let token = state.auth.issue(&s.user.id)?;
            Ok(Json(AuthResponse { user: s.user, token, token_type: "Bearer" }))
        }
        _ => {
            tracing::info!(client = %client, "failed sign-in");
            Err(ApiError::Unauthorized("invalid email or password".into()))
        }
    }
}

/// Deletes stale throttle rows at most every ten minutes per process, off the
/// request's path.
fn prune_now_and_then(state: &AppState) {
    use std::sync::atomic::{AtomicI64, Ordering};
    static LAST_PRUNE: AtomicI64 = AtomicI64::new(0);
    let now = Utc::now().timestamp();
    let last = LAST_PRUNE.load(Ordering::Relaxed);
    if now - last < 600 || LAST_PRUNE.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_err() {
        return;
    }
    let store = state.store.clone();
    tokio::spawn(async move {
        if let Err(e) = store.prune_auth_throttle(SIGN_IN_WINDOW).await {
            tracing::warn!(error = %e, "could not prune the sign-in throttle");
        }
    });
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The account of the token", body = User),
        (status = 401, response = Unauthorized),
        (status = 404, description = "The token's account no longer exists (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn me(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<User>> {
    Ok(Json(state.store.get_user(&user.user_id).await.not_found_as("user")?))
}
