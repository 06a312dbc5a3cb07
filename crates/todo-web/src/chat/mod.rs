//! The assistant: a chat turn from the form (no script) or as a stream of
//! events for the page's script, and deleting a conversation.

mod events;
mod views;

pub(crate) use views::{ChatView, chat_panel};

use std::convert::Infallible;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::json;

use crate::api::BackendError;
use crate::extract::{PageForm, PagePath};
use crate::page::{CsrfOnly, PageResult, html, redirect, signed_in_post};
use crate::session::Ctx;
use crate::state::WebState;
use crate::tasks::{ListQuery, back_to, load_view};

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route("/chat", post(chat))
        .route("/chat/stream", post(chat_stream))
        .route("/conversations/{id}/delete", post(delete_conversation))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ChatForm {
    csrf: String,
    back: String,
    conversation_id: String,
    message: String,
}

pub(crate) async fn chat(State(state): State<WebState>, ctx: Ctx, PageForm(form): PageForm<ChatForm>) -> PageResult {
    signed_in_post(&ctx, &form.csrf)?;
    let conversation = form.conversation_id.trim().parse::<i64>().ok();
    let error = if form.message.trim().is_empty() {
        "Type a message first.".to_string()
    } else {
        match state.backend.chat(&ctx.caller(), conversation, &form.message).await {
            Ok(r) => {
                let to = back_to(&form.back, |q| q.c = r.conversation_id.to_string());
                return Ok(redirect(&format!("{to}#chat")));
            }
            Err(BackendError::Invalid { detail, .. }) => detail,
            Err(BackendError::Unavailable(_)) => "The assistant could not answer right now. Please try again.".into(),
            Err(e) => return Err(e.into()),
        }
    };
    let mut view = load_view(&state, &ctx, ListQuery::from_back(&form.back)).await?;
    view.chat.draft = form.message;
    view.chat.error = Some(error);
    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, crate::tasks::views::tasks_page(&ctx, &view)))
}

/// The script's chat: the API's event stream, proxied and translated.
pub(crate) async fn chat_stream(
    State(state): State<WebState>,
    ctx: Ctx,
    axum::Form(form): axum::Form<ChatForm>,
) -> Response {
    if !ctx.csrf_ok(&form.csrf) {
        return (StatusCode::FORBIDDEN, Json(json!({"message": "This page has expired. Reload it and try again."})))
            .into_response();
    }
    if ctx.session.is_none() {
        return (StatusCode::UNAUTHORIZED, Json(json!({"message": "Your session has ended. Please sign in again."})))
            .into_response();
    }
    let conversation = form.conversation_id.trim().parse::<i64>().ok();
    let upstream = state.backend.chat_stream(&ctx.caller(), conversation, &form.message).await;
    let res = match upstream {
        Ok(res) => res,
        Err(e) => {
            let (status, message) = match e {
                BackendError::Invalid { detail, .. } => (StatusCode::UNPROCESSABLE_ENTITY, detail),
                BackendError::Unauthorized(_) => {
                    (StatusCode::UNAUTHORIZED, "Your session has ended. Please sign in again.".into())
                }
                BackendError::NotFound => (StatusCode::NOT_FOUND, "That conversation no longer exists.".into()),
                BackendError::Unavailable(_) => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The assistant is not reachable right now. Please try again.".into(),
                ),
            };
            return (status, Json(json!({"message": message}))).into_response();
        }
    };
    let bytes = res.bytes_stream().map(|chunk| chunk.map_err(reqwest::Error::without_url));
    let stream = events::page_events(bytes).map(|event| Ok::<_, Infallible>(event.into_sse()));
    let mut res = Sse::new(stream).keep_alive(KeepAlive::default()).into_response();
    // axum marks event streams `no-cache`, which still allows storing them;
    // this one carries the user's tasks.
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

pub(crate) async fn delete_conversation(
    State(state): State<WebState>,
    ctx: Ctx,
    PagePath(id): PagePath<i64>,
    PageForm(form): PageForm<CsrfOnly>,
) -> PageResult {
    signed_in_post(&ctx, &form.csrf)?;
    let notice = match state.backend.delete_conversation(&ctx.caller(), id).await {
        Ok(()) => "conversation-deleted",
        Err(BackendError::NotFound) => "conversation-not-found",
        Err(e) => return Err(e.into()),
    };
    Ok(redirect(&back_to(&form.back, |q| {
        if q.conversation() == Some(id) {
            q.c.clear();
        }
        q.notice = notice.into();
    })))
}
