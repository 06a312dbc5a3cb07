//! What every page handler shares: the error pages, redirects, and the guards
//! of signed-in pages and their forms.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use crate::api::BackendError;
use crate::layout::{self, FormErrors};
use crate::session::{Ctx, Session};

/// Why a page could not be served.
#[derive(Debug)]
pub(crate) enum PageError {
    Backend(BackendError),
    /// A request this service cannot read (a malformed form or query string).
    BadRequest(&'static str),
    Csrf,
    NotFound,
    SignIn,
}

impl From<BackendError> for PageError {
    fn from(e: BackendError) -> Self {
        match e {
            BackendError::Unauthorized(_) => PageError::SignIn,
            BackendError::NotFound => PageError::NotFound,
            other => PageError::Backend(other),
        }
    }
}

pub(crate) fn html(status: StatusCode, markup: maud::Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let ctx = Ctx::blank();
        match self {
            PageError::SignIn => (ctx.clear_session_cookie(), redirect("/sign-in?expired=1")).into_response(),
            PageError::Csrf => html(
                StatusCode::FORBIDDEN,
                layout::error_page(
                    &ctx,
                    "This form has expired",
                    "For your safety we did not save anything. Go back, reload the page and try again.",
                    false,
                ),
            ),
            PageError::BadRequest(message) => {
                html(StatusCode::BAD_REQUEST, layout::error_page(&ctx, "That did not work", message, false))
            }
            PageError::NotFound => html(
                StatusCode::NOT_FOUND,
                layout::error_page(&ctx, "Not found", "There is nothing here. It may have been deleted.", false),
            ),
            PageError::Backend(BackendError::Invalid { detail, .. }) => html(
                StatusCode::BAD_REQUEST,
                layout::error_page(
                    &ctx,
                    "That did not work",
                    &format!("The request was not accepted: {detail}."),
                    false,
                ),
            ),
            PageError::Backend(_) => {
                let mut res = html(
                    StatusCode::SERVICE_UNAVAILABLE,
                    layout::error_page(
                        &ctx,
                        "We'll be right back",
                        "Your tasks are safe, but we cannot reach them right now. Please try again in a moment.",
                        true,
                    ),
                );
                res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                res
            }
        }
    }
}

pub(crate) type PageResult = Result<Response, PageError>;

pub(crate) fn redirect(to: &str) -> Response {
    let loc = HeaderValue::from_str(to).unwrap_or_else(|_| HeaderValue::from_static("/"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, loc)]).into_response()
}

pub(crate) fn session(ctx: &Ctx) -> Result<&Session, PageError> {
    ctx.session.as_ref().ok_or(PageError::SignIn)
}

/// The guard of every state-changing form of a signed-in page: the CSRF token
/// first (403, nothing written), then the session (to the sign-in page).
pub(crate) fn signed_in_post<'a>(ctx: &'a Ctx, csrf: &str) -> Result<&'a Session, PageError> {
    if !ctx.csrf_ok(csrf) {
        return Err(PageError::Csrf);
    }
    session(ctx)
}

pub(crate) fn errors_from(e: &BackendError) -> FormErrors {
    let mut out = FormErrors::default();
    if let BackendError::Invalid { errors, detail, .. } = e {
        for fe in errors {
            let field = match fe.field.as_str() {
                "due_at" => "due_date",
                f if f.starts_with("tags") => "tags",
                f => f,
            };
            out.push(field, fe.message.clone());
        }
        if errors.is_empty() {
            out.general = Some(detail.clone());
        }
    }
    out
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CsrfOnly {
    pub(crate) csrf: String,
    pub(crate) back: String,
}

pub(crate) async fn not_found() -> Response {
    PageError::NotFound.into_response()
}
