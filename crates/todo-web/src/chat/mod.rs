//! The assistant: a chat turn from the form (no script) or as a stream of
//! events for the page's script, and deleting a conversation.

mod views;

pub(crate) use views::{ChatView, chat_panel};

use std::convert::Infallible;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use todo_domain::{ChatResponse, ToolCallRecord};

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

fn sse_event(name: &str, data: Value) -> Event {
    Event::default().event(name).data(data.to_string())
}

/// Maps one server-sent event of the API to the events the page's script reads:
/// `delta {text}`, `tool {line}`, `done {conversation_id, response}`, `error {message}`.
fn translate(event: &str, data: &str) -> Option<Event> {
    let v: Value = serde_json::from_str(data).ok()?;
    match event {
        "delta" => Some(sse_event("delta", json!({"text": v.get("text").and_then(Value::as_str).unwrap_or("")}))),
        "tool_call" => {
            let call: ToolCallRecord = serde_json::from_value(v).ok()?;
            Some(sse_event("tool", json!({"line": views::tool_line(&call), "tool": call.tool})))
        }
        "done" => {
            let r: ChatResponse = serde_json::from_value(v).ok()?;
            Some(sse_event("done", json!({"conversation_id": r.conversation_id, "response": r.response})))
        }
        "error" => {
            let detail = v.get("detail").and_then(Value::as_str).unwrap_or("the assistant failed");
            Some(sse_event("error", json!({"message": format!("The assistant could not answer: {detail}")})))
        }
        _ => None,
    }
}

/// Splits complete `\n\n`-terminated events off the buffer.
fn take_events(buf: &mut String) -> Vec<Event> {
    let mut out = Vec::new();
    while let Some(end) = buf.find("\n\n") {
        let block: String = buf.drain(..end + 2).collect();
        let (mut name, mut data) = ("message".to_string(), String::new());
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                name = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("data:") {
                if !data.is_empty() {
                    data.push('\n');
                }
                data.push_str(v.strip_prefix(' ').unwrap_or(v));
            }
        }
        if let Some(ev) = translate(&name, &data) {
            out.push(ev);
        }
    }
    out
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
    let bytes = res.bytes_stream();
    let stream = futures::stream::unfold((bytes, String::new(), false), |(mut bytes, mut buf, ended)| async move {
        if ended {
            return None;
        }
        loop {
            match bytes.next().await {
                Some(Ok(chunk)) => {
                    buf.push_str(&String::from_utf8_lossy(&chunk).replace("\r\n", "\n"));
                    let events = take_events(&mut buf);
                    if !events.is_empty() {
                        return Some((futures::stream::iter(events), (bytes, buf, false)));
                    }
                }
                Some(Err(e)) => {
                    tracing::warn!(error = %e.without_url(), "chat stream from the API broke off");
                    let ev = sse_event("error", json!({"message": "The connection to the assistant was lost."}));
                    return Some((futures::stream::iter(vec![ev]), (bytes, buf, true)));
                }
                None => {
                    buf.push_str("\n\n");
                    let events = take_events(&mut buf);
                    return Some((futures::stream::iter(events), (bytes, buf, true)));
                }
            }
        }
    })
    .flatten()
    .map(Ok::<_, Infallible>);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_events_become_page_events() {
        let mut buf = String::from(
            "event: delta\ndata: {\"text\":\"Hi\"}\n\n: keep-alive\n\nevent: tool_call\ndata: {\"id\":\"1\",\"tool\":\"add_task\",\"arguments\":{},\"result\":{\"title\":\"Buy milk\"}}\n\nevent: done\ndata: {\"conversation_id\":4,\"response\":\"Done\",\"tool_calls\":[]}\n\nevent: delta\ndata: {\"te",
        );
        let events = take_events(&mut buf);
        assert_eq!(events.len(), 3);
        assert_eq!(buf, "event: delta\ndata: {\"te", "an incomplete event waits for more bytes");
    }
}
