use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use serde::Serialize;
use todo_domain::{
    AccountDeleteInput, AccountExport, ImportDocument, PasswordChangeInput, SignInInput, SignUpInput, User,
    UserPatchInput,
};
use todo_service::throttle_key;
use todo_store::{Admission, RateSlot};
use utoipa::ToSchema;

use super::doc::{MalformedJson, PayloadTooLarge, Unauthorized, Unavailable, UnsupportedMediaType};
use crate::error::{ApiError, ApiResult, NotFoundAs, Problem};
use crate::extract::{ApiJson, AuthUser, ClientIp};
use crate::sessions;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
/// The account and a token for it, after sign-up or sign-in.
pub struct AuthResponse {
    /// The account.
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
    let (token, session) = sessions::new_session(&state, &id)?;
    let user = state
        .store
        .create_user_with_session(&account.email, &account.name, &hash, &account.time_zone, &session)
        .await?;
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
    let email = input.validate()?;
    if !state.auth.can_issue() {
        return Err(todo_auth::AuthError::IssuingDisabled.into());
    }

    let (address_key, account_key) = admit_password_attempt(&state, client, &email).await?;

    let stored = state.store.find_user_by_email(&email).await?;
    let ok = state.passwords.verify(input.password, stored.as_ref().map(|s| s.password_hash.clone())).await?;
    match stored {
        Some(s) if ok => {
            state.store.sign_in_succeeded(&account_key, &address_key).await?;
            let token = sessions::start(&state, &s.user.id).await?;
            Ok(Json(AuthResponse { user: s.user, token, token_type: "Bearer" }))
        }
        _ => {
            tracing::info!(client = %client, "failed sign-in");
            Err(ApiError::Unauthorized("invalid email or password".into()))
        }
    }
}

/// Counts an attempt at the password of `email` from `client` in the sign-in
/// throttle (per address, and per email and address) before the password is
/// checked, or refuses it with 429 while either is locked. Returns both keys,
/// for [`todo_store::Store::sign_in_succeeded`] once the password is right.
async fn admit_password_attempt(
    state: &AppState,
    client: std::net::IpAddr,
    email: &str,
) -> ApiResult<(String, String)> {
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
    prune_now_and_then(state);
    Ok((address_key, account_key))
}

/// Checks the signed-in user's password, counted by the sign-in throttle like
/// a sign-in (a stolen token is no way to guess the password faster); a wrong
/// one is [`ApiError::WrongPassword`] naming `field`.
async fn confirm_password(
    state: &AppState,
    client: std::net::IpAddr,
    user_id: &str,
    password: String,
    field: &'static str,
) -> ApiResult<todo_store::StoredUser> {
    let user = state.store.get_user(user_id).await.not_found_as("user")?;
    let (address_key, account_key) = admit_password_attempt(state, client, &user.email).await?;
    let stored = state.store.find_user_by_email(&user.email).await?.ok_or(ApiError::NotFound("user"))?;
    if state.passwords.verify(password, Some(stored.password_hash.clone())).await? {
        state.store.sign_in_succeeded(&account_key, &address_key).await?;
        Ok(stored)
    } else {
        tracing::info!(client = %client, user_id = %user_id, "wrong password confirming an account change");
        Err(ApiError::WrongPassword(field))
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

/// Change the signed-in account's settings: its name or its time zone (an
/// IANA name; every date the API computes for the user, such as the `due`
/// filters, is in it from the next request on).
#[utoipa::path(patch, path = "/api/auth/me", tag = "auth", security(("bearer" = [])), request_body = UserPatchInput,
    responses(
        (status = 200, description = "The account as changed", body = User),
        (status = 400, response = MalformedJson),
        (status = 401, response = Unauthorized),
        (status = 404, description = "The token's account no longer exists (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, description = "An unknown time zone, a bad name, or nothing to change (`validation_failed`, each in `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn update_me(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(input): ApiJson<UserPatchInput>,
) -> ApiResult<Json<User>> {
    let changes = input.validate()?;
    let updated = state.store.update_user(&user.user_id, &changes).await.not_found_as("user")?;
    tracing::info!(user_id = %user.user_id, time_zone = %updated.time_zone, "account settings changed");
    Ok(Json(updated))
}

/// Sign out: ends the session of this token. The token (and any copy of it) is
/// refused from then on, on every replica within `SESSION_CACHE_TTL_MS`.
#[utoipa::path(post, path = "/api/auth/sign-out", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out: the token no longer works"),
        (status = 401, response = Unauthorized),
        (status = 501, description = "A token of the external identity provider: sign out there", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn sign_out(State(state): State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    let session_id = own_session(&user)?;
    state.store.revoke_session(&user.user_id, &session_id).await?;
    state.sessions.forget(&[session_id]).await;
    tracing::info!(user_id = %user.user_id, "signed out");
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
/// The answer of `POST /api/auth/sign-out-everywhere`.
pub struct SignedOutEverywhere {
    /// How many sessions were ended, this token's included.
    pub ended_sessions: usize,
}

/// Sign out everywhere: ends every session of the token's user, this one
/// included, on every device and replica (within `SESSION_CACHE_TTL_MS`).
#[utoipa::path(post, path = "/api/auth/sign-out-everywhere", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every session of the user ended", body = SignedOutEverywhere),
        (status = 401, response = Unauthorized),
        (status = 501, description = "A token of the external identity provider: sign out there", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
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

#[derive(Debug, Serialize, ToSchema)]
/// The answer of `POST /api/auth/password`.
pub struct PasswordChanged {
    /// How many other sessions were ended; this token's stays.
    pub ended_sessions: usize,
}

/// Change the password: `current_password` confirms it (counted by the sign-in
/// throttle), `new_password` follows the sign-up rules. Every other session of
/// the user ends in the same transaction; this token keeps working.
#[utoipa::path(post, path = "/api/auth/password", tag = "auth", security(("bearer" = [])), request_body = PasswordChangeInput,
    responses(
        (status = 200, description = "Password changed, every other session ended", body = PasswordChanged),
        (status = 400, response = MalformedJson),
        (status = 401, response = Unauthorized),
        (status = 403, description = "`current_password` is wrong (`wrong_password`, the field in `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The token's account no longer exists (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, description = "A missing, unknown or invalid field (`validation_failed`, each in `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong passwords (`too_many_sign_in_attempts`)", body = Problem, content_type = "application/problem+json",
            headers(("retry-after" = u64, description = "Seconds to wait before retrying"))),
        (status = 501, description = "A token of the external identity provider: its password is kept there", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    user: AuthUser,
    ApiJson(input): ApiJson<PasswordChangeInput>,
) -> ApiResult<Json<PasswordChanged>> {
    input.validate()?;
    let session_id = own_session(&user)?;
    confirm_password(&state, client, &user.user_id, input.current_password, "current_password").await?;
    let hash = state.passwords.hash(input.new_password).await?;
    let ended = state.store.change_password(&user.user_id, &hash, &session_id).await.not_found_as("user")?;
    state.sessions.forget(&ended).await;
    tracing::info!(user_id = %user.user_id, sessions = ended.len(), "password changed");
    Ok(Json(PasswordChanged { ended_sessions: ended.len() }))
}

/// Delete the account and all its data (tasks, conversations and their
/// messages, sessions, counters), confirmed by its password, in one
/// transaction. Its tokens stop working.
#[utoipa::path(post, path = "/api/auth/delete-account", tag = "auth", security(("bearer" = [])), request_body = AccountDeleteInput,
    responses(
        (status = 204, description = "The account and everything of it is gone"),
        (status = 400, response = MalformedJson),
        (status = 401, response = Unauthorized),
        (status = 403, description = "`password` is wrong (`wrong_password`, the field in `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The token's account no longer exists (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, description = "A missing, unknown or empty field (`validation_failed`, each in `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong passwords (`too_many_sign_in_attempts`)", body = Problem, content_type = "application/problem+json",
            headers(("retry-after" = u64, description = "Seconds to wait before retrying"))),
        (status = 501, description = "A token of the external identity provider: the account is kept there", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn delete_account(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    user: AuthUser,
    ApiJson(input): ApiJson<AccountDeleteInput>,
) -> ApiResult<StatusCode> {
    input.validate()?;
    own_session(&user)?;
    confirm_password(&state, client, &user.user_id, input.password, "password").await?;
    let ended = state.store.delete_account(&user.user_id).await.not_found_as("user")?;
    state.sessions.forget(&ended).await;
    tracing::info!(user_id = %user.user_id, "account deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// Largest import document accepted, in bytes (413 beyond): room for a full
/// account at the default quotas (10,000 tasks of about 500 bytes each).
pub const IMPORT_LIMIT_BYTES: usize = 8 * 1024 * 1024;

/// Export all of the account's data as one JSON document: the account
/// (without its password hash), every task with every field, every
/// conversation with its messages and tool calls, and the format's `version`.
/// Sent as an attachment, so a browser saves it as a file.
#[utoipa::path(get, path = "/api/auth/export", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The export (`Content-Disposition: attachment`)", body = AccountExport,
            headers(("content-disposition" = String, description = "`attachment; filename=\"todo-export-<date>.json\"`"))),
        (status = 401, response = Unauthorized),
        (status = 404, description = "The token's account does not exist here (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn export_account(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<([(axum::http::HeaderName, String); 1], Json<AccountExport>)> {
    let export = state.store.export_account(&user.user_id).await.not_found_as("user")?;
    let name = format!("attachment; filename=\"todo-export-{}.json\"", export.exported_at.format("%Y-%m-%d"));
    tracing::info!(user_id = %user.user_id, tasks = export.tasks.len(), "account exported");
    Ok(([(axum::http::header::CONTENT_DISPOSITION, name)], Json(export)))
}

#[derive(Debug, Serialize, ToSchema)]
/// The answer of `POST /api/auth/import`.
pub struct Imported {
    /// Tasks created (numbered after the account's existing ones, in the document's order).
    pub tasks: usize,
    /// Conversations created.
    pub conversations: usize,
    /// Messages created.
    pub messages: usize,
}

/// Import an export (of this or another account, on this or another server)
/// into the signed-in account: its tasks get the account's next numbers in
/// the document's order, its conversations are added with their messages.
/// All or nothing, in one transaction; at most 8 MiB.
#[utoipa::path(post, path = "/api/auth/import", tag = "auth", security(("bearer" = [])), request_body = ImportDocument,
    responses(
        (status = 201, description = "Everything was imported", body = Imported),
        (status = 400, response = MalformedJson),
        (status = 401, response = Unauthorized),
        (status = 413, description = "The document is over 8 MiB (`payload_too_large`)", body = Problem, content_type = "application/problem+json"),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, description = "Not an export this server reads: a wrong `version`, an invalid task (`tasks[i].<field>`), a missing or unknown field (`validation_failed`, each in `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The import would exceed a quota (`task_quota_exceeded`, `conversation_quota_exceeded`, `message_quota_exceeded`); nothing was imported", body = Problem, content_type = "application/problem+json",
            headers(("retry-after" = u64, description = "Seconds to wait before retrying"))),
        (status = 503, response = Unavailable),
    ))]
pub async fn import_account(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(document): ApiJson<ImportDocument, IMPORT_LIMIT_BYTES>,
) -> ApiResult<(StatusCode, Json<Imported>)> {
    let plan = document.validate()?;
    let counts = state.store.import_account(&user.user_id, &plan).await?;
    tracing::info!(user_id = %user.user_id, tasks = counts.tasks, conversations = counts.conversations, "account data imported");
    Ok((
        StatusCode::CREATED,
        Json(Imported { tasks: counts.tasks, conversations: counts.conversations, messages: counts.messages }),
    ))
}
