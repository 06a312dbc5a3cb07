//! Accounts: sign in, sign up, sign out (here and everywhere).

mod views;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::api::BackendError;
use crate::extract::{PageForm, PageQuery};
use crate::layout::FormErrors;
use crate::page::{CsrfOnly, PageError, PageResult, errors_from, html, redirect, signed_in_post};
use crate::session::{Ctx, Session};
use crate::state::WebState;
use views::AccountForm;

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route("/", get(index))
        .route("/sign-in", get(sign_in_page).post(sign_in))
        .route("/sign-up", get(sign_up_page).post(sign_up))
        .route("/sign-out", post(sign_out))
        .route("/sign-out-everywhere", post(sign_out_everywhere))
}

pub(crate) async fn index(ctx: Ctx) -> Response {
    redirect(if ctx.session.is_some() { "/tasks" } else { "/sign-in" })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct SignInQuery {
    expired: Option<String>,
    signed_out: Option<String>,
}

fn with_pre_session(ctx: &Ctx, res: Response) -> Response {
    match ctx.pre_session_cookie() {
        Some(cookie) => (cookie, res).into_response(),
        None => res,
    }
}

pub(crate) async fn sign_in_page(mut ctx: Ctx, PageQuery(q): PageQuery<SignInQuery>) -> Response {
    if ctx.session.is_some() {
        return redirect("/tasks");
    }
    ctx.ensure_pre_session();
    let notice = match (q.signed_out.as_deref(), q.expired) {
        (Some("everywhere"), _) => Some("You are signed out on every device."),
        (Some("deleted"), _) => Some("Your account and all its data have been deleted."),
        (Some("incomplete"), _) => Some(
            "You are signed out in this browser, but the server could not be reached to end the session. \
             To be sure, sign in and use \u{201c}Sign out everywhere\u{201d} once it is back.",
        ),
        (_, Some(_)) => Some("Your session has ended. Please sign in again."),
        _ => None,
    };
    let page = views::sign_in(&ctx, &AccountForm::default(), &FormErrors::default(), notice);
    with_pre_session(&ctx, html(StatusCode::OK, page))
}

pub(crate) async fn sign_up_page(mut ctx: Ctx) -> Response {
    if ctx.session.is_some() {
        return redirect("/tasks");
    }
    ctx.ensure_pre_session();
    let page = views::sign_up(&ctx, &AccountForm::default(), &FormErrors::default());
    with_pre_session(&ctx, html(StatusCode::OK, page))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct AccountInput {
    csrf: String,
    name: String,
    email: String,
    password: String,
    /// The browser's IANA zone, filled in by app.js; UTC without script.
    time_zone: String,
}

fn signed_in(ctx: &Ctx, user_id: String, token: String, name: String) -> Response {
    (ctx.session_cookie(&Session { user_id, token, name }), redirect("/tasks")).into_response()
}

pub(crate) async fn sign_in(
    State(state): State<WebState>,
    ctx: Ctx,
    PageForm(input): PageForm<AccountInput>,
) -> PageResult {
    if !ctx.csrf_ok(&input.csrf) {
        return Err(PageError::Csrf);
    }
    let form = AccountForm { name: String::new(), email: input.email.trim().to_string() };
    let mut errors = FormErrors::default();
    if form.email.is_empty() {
        errors.push("email", "Enter your email address");
    }
    if input.password.is_empty() {
        errors.push("password", "Enter your password");
    }
    if errors.is_empty() {
        match state.backend.sign_in(&ctx.anonymous_caller(), &form.email, &input.password).await {
            Ok(auth) => return Ok(signed_in(&ctx, auth.user.id, auth.token, auth.user.name)),
            Err(BackendError::Unauthorized(_)) => errors.general = Some("Wrong email or password.".into()),
            Err(e @ BackendError::Invalid { .. }) => errors = errors_from(&e),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, views::sign_in(&ctx, &form, &errors, None)))
}

pub(crate) async fn sign_up(
    State(state): State<WebState>,
    ctx: Ctx,
    PageForm(input): PageForm<AccountInput>,
) -> PageResult {
    if !ctx.csrf_ok(&input.csrf) {
        return Err(PageError::Csrf);
    }
    let form = AccountForm { name: input.name.trim().to_string(), email: input.email.trim().to_string() };
    // A zone the browser knows and the bundled database does not (a brand-new
    // or legacy name) must not stop a sign-up on a field nobody sees: UTC, which
    // the settings page can change.
    let zone = todo_domain::lookup_time_zone(&input.time_zone)
        .map(|(name, _)| name)
        .unwrap_or_else(|| todo_domain::DEFAULT_TIME_ZONE.to_string());
    let result = state.backend.sign_up(&ctx.anonymous_caller(), &form.email, &input.password, &form.name, &zone).await;
    let errors = match result {
        Ok(auth) => return Ok(signed_in(&ctx, auth.user.id, auth.token, auth.user.name)),
        Err(BackendError::Invalid { status: 409, .. }) => {
            let mut e = FormErrors::default();
            e.push("email", "An account with this email already exists. Sign in instead?");
            e
        }
        Err(e @ BackendError::Invalid { .. }) => errors_from(&e),
        Err(e) => return Err(e.into()),
    };
    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, views::sign_up(&ctx, &form, &errors)))
}

/// Ends the session on the API first, so the token in the cookie (and any copy
/// of it) stops working, then clears the cookie. The cookie goes in any case:
/// when the API cannot be reached the sign-in page says the session may still
/// be open elsewhere.
pub(crate) async fn sign_out(
    State(state): State<WebState>,
    ctx: Ctx,
    PageForm(input): PageForm<CsrfOnly>,
) -> PageResult {
    if ctx.session.is_some() && !ctx.csrf_ok(&input.csrf) {
        return Err(PageError::Csrf);
    }
    let to = match &ctx.session {
        None => "/sign-in",
        Some(_) => match state.backend.sign_out(&ctx.caller()).await {
            // 401: the session had already ended.
            Ok(()) | Err(BackendError::Unauthorized(_)) => "/sign-in",
            Err(e) => {
                tracing::warn!(error = %e, "sign-out could not end the session on the API");
                "/sign-in?signed_out=incomplete"
            }
        },
    };
    Ok((ctx.clear_session_cookie(), redirect(to)).into_response())
}

/// Ends every session of the user on the API (other browsers and devices, and
/// API clients holding one of the tokens), then this browser's cookie. If the
/// API cannot do it, nothing changes here and the error page says so.
pub(crate) async fn sign_out_everywhere(
    State(state): State<WebState>,
    ctx: Ctx,
    PageForm(input): PageForm<CsrfOnly>,
) -> PageResult {
    signed_in_post(&ctx, &input.csrf)?;
    match state.backend.sign_out_everywhere(&ctx.caller()).await {
        Ok(()) | Err(BackendError::Unauthorized(_)) => {}
        Err(e) => return Err(e.into()),
    }
    Ok((ctx.clear_session_cookie(), redirect("/sign-in?signed_out=everywhere")).into_response())
}
