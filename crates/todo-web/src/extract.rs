//! axum's `Path`, `Query` and `Form` with rejections as HTML error pages:
//! axum's own answer `text/plain` ("Invalid URL: Cannot parse ...").

use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};

use crate::page::PageError;

/// A path parameter. One that does not parse (`/tasks/abc`, an id out of range)
/// names no page: 404.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(PageError))]
pub(crate) struct PagePath<T>(pub(crate) T);

/// A query string; one that cannot be read is a 400 page.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(PageError))]
pub(crate) struct PageQuery<T>(pub(crate) T);

/// A urlencoded form; one that cannot be read is a 400 page.
#[derive(FromRequest)]
#[from_request(via(axum::Form), rejection(PageError))]
pub(crate) struct PageForm<T>(pub(crate) T);

impl From<PathRejection> for PageError {
    fn from(e: PathRejection) -> Self {
        if let PathRejection::MissingPathParams(_) = e {
            // A route declared without the parameter its handler reads: our bug.
            tracing::error!(error = %e, "path parameter missing from the route");
        }
        PageError::NotFound
    }
}

impl From<QueryRejection> for PageError {
    fn from(_: QueryRejection) -> Self {
        PageError::BadRequest("The address of this page is not one we can read.")
    }
}

impl From<FormRejection> for PageError {
    fn from(_: FormRejection) -> Self {
        PageError::BadRequest("The form could not be read. Go back, reload the page and try again.")
    }
}
