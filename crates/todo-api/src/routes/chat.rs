//! The assistant over HTTP: stateless chat turns (JSON or server-sent events) and
//! the user's stored conversations.

use std::convert::Infallible;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use todo_agent::{AgentError, ProviderError, TaskTools, TurnEvent};
use todo_domain::{
    ChatMessage, ChatRequest, ChatResponse, Conversation, LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT, Role, conversation_title,
    strip_forbidden_chars,
};
use todo_store::TurnClaim;
use utoipa::IntoParams;

use super::doc::{
    ConversationPath, Forbidden, MalformedJson, PayloadTooLarge, Unauthorized, Unavailable, UnsupportedMediaType,
    UserPath,
};
use crate::error::{ApiError, ApiResult, NotFoundAs, Problem};
use crate::extract::{ApiJson, ApiQuery, ConversationId, Owner};
use crate::state::AppState;

/// The conversation and history a turn runs on, with the user's message stored.
struct PreparedTurn {
    conversation: Conversation,
    history: Vec<ChatMessage>,
    message: String,
}

async fn prepare(state: &AppState, user_id: &str, req: &ChatRequest) -> ApiResult<PreparedTurn> {
    let message = req.validate()?;
    let title = conversation_title(&message);
    let start = state
        .store
        .begin_turn(user_id, req.conversation_id, &title, &message, state.chat_history_messages)
        .await
        .not_found_as("conversation")?;
    Ok(PreparedTurn { conversation: start.conversation, history: start.history, message })
}

/// Runs the turn and stores the reply, even when the provider failed, so the
/// conversation stays consistent for the next turn. Runs detached from the
/// request: a client that disconnects does not cut a turn in half. The answer,
/// success or failure, carries the conversation and every tool call that ran;
/// with an idempotency key it is recorded for retries.
async fn run_turn(
    state: AppState,
    user_id: String,
    turn: PreparedTurn,
    key: Option<String>,
    events: Option<tokio::sync::mpsc::UnboundedSender<TurnEvent>>,
) -> ApiResult<ChatResponse> {
    let answer = answer_turn(&state, &user_id, turn, events).await;
    if let Some(key) = key {
        let (status, body) = match &answer {
            Ok(r) => (200, serde_json::to_string(r).unwrap_or_default()),
            Err(e) => (e.status().as_u16(), serde_json::to_string(&e.problem()).unwrap_or_default()),
        };
        if let Err(e) = state.store.finish_turn_key(&user_id, &key, status, &body).await {
            tracing::warn!(error = %e, "could not record a chat turn's answer under its idempotency key");
        }
    }
    answer
}

async fn answer_turn(
    state: &AppState,
    user_id: &str,
    turn: PreparedTurn,
    events: Option<tokio::sync::mpsc::UnboundedSender<TurnEvent>>,
) -> ApiResult<ChatResponse> {
    let tools = TaskTools::new(state.store.clone(), user_id.to_string());
    let conversation_id = turn.conversation.id;
    let result = state.assistant.turn(&tools, &turn.history, &turn.message, Utc::now(), events).await;
    match result {
        Ok(out) => {
            // The model's text is stored like the user's: a control character
            // in it (PostgreSQL cannot store U+0000) must not fail the turn.
            let text = strip_forbidden_chars(&out.text);
            state.store.add_message(conversation_id, Role::Assistant, &text, &out.calls, Some(&out.assistant)).await?;
            Ok(ChatResponse { conversation_id, response: text, tool_calls: out.calls, assistant: out.assistant })
        }
        Err(error @ (AgentError::Provider { .. } | AgentError::Deadline { .. })) => {
            let timeout = matches!(
                error,
                AgentError::Deadline { .. } | AgentError::Provider { error: ProviderError::Timeout { .. }, .. }
            );
            tracing::warn!(provider = state.assistant.provider_name(), %error, "chat turn failed");
            let calls = error.calls().to_vec();
            let note = strip_forbidden_chars(&format!("Sorry, I could not answer this time ({error})."));
            state.store.add_message(conversation_id, Role::Assistant, &note, &calls, None).await?;
            Err(ApiError::Provider {
                detail: error.to_string(),
                timeout,
                conversation_id: Some(conversation_id),
                tool_calls: calls,
            })
        }
        Err(AgentError::Store(e)) => Err(e.into()),
    }
}

/// The idempotency key of a turn: the `Idempotency-Key` header, if sent.
fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let bad = |msg: String| ApiError::field("Idempotency-Key", msg);
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let key = value.to_str().map_err(|_| bad("must be 1-200 visible ASCII characters".into()))?.trim();
    todo_domain::validate_idempotency_key(key).map_err(bad)?;
    Ok(Some(key.to_string()))
}

/// The recorded answer of a turn sent again with its key, as it was given.
fn replay(status: u16, answer: String, stream: bool) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if stream {
        let name = if status.is_success() { "done" } else { "error" };
        let event = Event::default().event(name).data(answer);
        let events = futures::stream::once(async move { Ok::<_, Infallible>(event) });
        return Sse::new(events).into_response();
    }
    let content_type = if status.is_success() { "application/json" } else { crate::error::PROBLEM_JSON };
    (status, [(header::CONTENT_TYPE, content_type)], answer).into_response()
}

fn wants_stream(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().starts_with("text/event-stream")))
}

/// Send a message to the assistant. Without `conversation_id` a new conversation
/// starts. With `Accept: text/event-stream` the reply streams as server-sent
/// events: `delta` (`{"text"}`), `tool_call` (a tool call with its result), then
/// `done` (the same body as the JSON response) or `error` (a problem).
#[utoipa::path(post, path = "/api/{user_id}/chat", tag = "chat", security(("bearer" = [])),
    params(UserPath, ("Idempotency-Key" = Option<String>, Header,
        description = "A key of the client's choosing (1-200 visible ASCII characters): a turn sent again with the same key \
            is not run again, its first answer (reply or problem) comes back.",
        min_length = 1, max_length = 200, pattern = "^[!-~]+$")),
    request_body = ChatRequest,
    responses(
        (status = 200, description = "The assistant's reply and the tools it called; with `Accept: text/event-stream`, \
            the events `delta`, `tool_call`, then `done` or `error`",
            content((ChatResponse = "application/json"), (String = "text/event-stream"))),
        (status = 400, response = MalformedJson),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, description = "No such conversation for this user (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, response = PayloadTooLarge),
        (status = 409, description = "A turn with this idempotency key is still running (`conflict`)", body = Problem, content_type = "application/problem+json"),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, description = "A missing, unknown or invalid field, such as an empty or too long message (`validation_failed`, each in `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "A quota is reached: chat turns per minute (`chat_rate_limited`), conversations per user (`conversation_quota_exceeded`) or messages per conversation (`message_quota_exceeded`); see Retry-After", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The model provider failed (`llm_provider_error`); the problem carries `conversation_id` and the `tool_calls` that ran", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
        (status = 504, description = "The model provider timed out or the turn reached LLM_TURN_TIMEOUT_SECS (`llm_provider_timeout`); the problem carries `conversation_id` and the `tool_calls` that ran", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn chat(
    State(state): State<AppState>,
    Owner(user_id): Owner,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ChatRequest>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers)?;
    let stream = wants_stream(&headers);
    if let Some(k) = &key {
        // A claim outlives the longest turn, and its record a client's retries.
        let stale = chrono::Duration::from_std(state.assistant.deadline() * 2).unwrap_or(chrono::Duration::minutes(5));
        match state.store.claim_turn_key(&user_id, k, stale, chrono::Duration::hours(24)).await? {
            TurnClaim::Claimed => {}
            TurnClaim::Running => {
                return Err(ApiError::Conflict(
                    "a turn with this idempotency key is still running; send it again later for its answer".into(),
                ));
            }
            TurnClaim::Answered { status, answer } => return Ok(replay(status, answer, stream)),
        }
    }
    let turn = match prepare(&state, &user_id, &req).await {
        Ok(turn) => turn,
        Err(e) => {
            if let Some(k) = &key {
                state.store.release_turn_key(&user_id, k).await?;
            }
            return Err(e);
        }
    };
    if !stream {
        let task = tokio::spawn(run_turn(state, user_id, turn, key, None));
        let response = task.await.map_err(|e| ApiError::Internal(format!("chat turn failed: {e}")))??;
        return Ok(Json(response).into_response());
    }

    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let done = tokio::spawn(run_turn(state, user_id, turn, key, Some(tx)));
    let stream = futures::stream::unfold((rx, Some(done)), |(mut rx, done)| async move {
        if let Some(ev) = rx.recv().await {
            let event = match ev {
                TurnEvent::Delta(text) => Event::default().event("delta").json_data(serde_json::json!({"text": text})),
                TurnEvent::ToolCall(call) => Event::default().event("tool_call").json_data(call),
            };
            return Some((event.unwrap_or_default(), (rx, done)));
        }
        let finished = done?.await;
        let event = match finished {
            Ok(Ok(response)) => Event::default().event("done").json_data(response),
            Ok(Err(e)) => Event::default().event("error").json_data(e.problem()),
            Err(e) => Event::default().event("error").json_data(ApiError::Internal(e.to_string()).problem()),
        };
        Some((event.unwrap_or_default(), (rx, None)))
    });
    let stream = futures::StreamExt::map(stream, Ok::<_, Infallible>);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()).into_response())
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
/// `limit` and `offset` of a list of conversations or messages.
pub struct PageParams {
    /// 1-100, default 50.
    #[param(schema_with = todo_domain::openapi::limit)]
    pub limit: Option<String>,
    /// How many to skip, default 0.
    #[param(schema_with = todo_domain::openapi::offset)]
    pub offset: Option<String>,
}

impl PageParams {
    fn validate(&self) -> ApiResult<(u32, u32)> {
        let limit =
            match self.limit.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => LIST_DEFAULT_LIMIT,
                Some(s) => s.parse::<u32>().ok().filter(|n| (1..=LIST_MAX_LIMIT).contains(n)).ok_or_else(|| {
                    ApiError::field("limit", format!("must be an integer from 1 to {LIST_MAX_LIMIT}"))
                })?,
            };
        let offset = match self.offset.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => 0,
            Some(s) => s.parse::<u32>().map_err(|_| ApiError::field("offset", "must be a non-negative integer"))?,
        };
        Ok((limit, offset))
    }
}

/// The user's conversations, most recently active first.
#[utoipa::path(get, path = "/api/{user_id}/conversations", tag = "chat", security(("bearer" = [])),
    params(UserPath, PageParams),
    responses(
        (status = 200, description = "Conversations", body = Vec<Conversation>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, description = "An invalid query parameter (`validation_failed`, each in `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn list_conversations(
    State(state): State<AppState>,
    Owner(user_id): Owner,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Json<Vec<Conversation>>> {
    let (limit, offset) = page.validate()?;
    Ok(Json(state.store.list_conversations(&user_id, limit, offset).await?))
}

/// The messages of one conversation, oldest first, with each reply's tool calls.
#[utoipa::path(get, path = "/api/{user_id}/conversations/{id}/messages", tag = "chat", security(("bearer" = [])),
    params(ConversationPath, PageParams),
    responses(
        (status = 200, description = "Messages", body = Vec<ChatMessage>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, description = "No such conversation for this user (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid query parameter (`validation_failed`, each in `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn list_messages(
    State(state): State<AppState>,
    Owner(user_id): Owner,
    ConversationId(id): ConversationId,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Json<Vec<ChatMessage>>> {
    let (limit, offset) = page.validate()?;
    Ok(Json(state.store.list_messages(&user_id, id, limit, offset).await.not_found_as("conversation")?))
}

/// Delete a conversation and its messages (tasks the assistant changed stay as they are).
#[utoipa::path(delete, path = "/api/{user_id}/conversations/{id}", tag = "chat", security(("bearer" = [])),
    params(ConversationPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, description = "No such conversation for this user (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, response = Unavailable),
    ))]
pub async fn delete_conversation(
    State(state): State<AppState>,
    Owner(user_id): Owner,
    ConversationId(id): ConversationId,
) -> ApiResult<StatusCode> {
    state.store.delete_conversation(&user_id, id).await.not_found_as("conversation")?;
    Ok(StatusCode::NO_CONTENT)
}
