//! One chat turn: the model (or the built-in interpreter) reads the conversation,
//! calls task tools for the authenticated user, and answers.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use todo_domain::{ChatMessage, Role, ToolCallRecord};
use todo_store::StoreError;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::markup::MarkupFilter;
use crate::provider::{Provider, ProviderError, RequestedCall};
use crate::tools::{TaskTools, ToolError, catalogue};

/// What a streaming client sees while a turn runs.
#[derive(Debug, Clone, PartialEq)]
pub enum TurnEvent {
    /// A fragment of the reply's text, as the model produced it.
    Delta(String),
    /// A tool call the turn made, with its result.
    ToolCall(ToolCallRecord),
}

/// What a finished turn said and did.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnOutcome {
    /// The reply shown to the user.
    pub text: String,
    /// The tool calls made on the way, in order.
    pub calls: Vec<ToolCallRecord>,
    /// Who answered: [`BUILTIN`] or the provider's name.
    pub assistant: String,
}

/// Why a turn failed.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The provider failed; `calls` were executed before it did.
    #[error("{error}")]
    Provider {
        /// What went wrong with the provider.
        error: ProviderError,
        /// The tool calls that ran (and changed tasks) before it failed.
        calls: Vec<ToolCallRecord>,
    },
    /// The turn's deadline passed; nothing was done after it, `calls` before it.
    #[error("the turn took longer than its {secs} s deadline and was stopped")]
    Deadline {
        /// The deadline, in seconds.
        secs: u64,
        /// The tool calls that ran before the deadline.
        calls: Vec<ToolCallRecord>,
    },
    /// The store failed under a tool call.
    #[error(transparent)]
    Store(StoreError),
}

impl AgentError {
    /// The tool calls that ran before the turn failed.
    pub fn calls(&self) -> &[ToolCallRecord] {
        match self {
            AgentError::Provider { calls, .. } | AgentError::Deadline { calls, .. } => calls,
            AgentError::Store(_) => &[],
        }
    }
}

/// What bounds one turn with a model: a weak model may ask for many calls or
/// ramble, a slow one may take minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TurnLimits {
    /// Most rounds of tool calls.
    pub max_tool_rounds: u32,
    /// Most tool calls run from one completion; the rest are refused to the model.
    pub max_calls_per_round: u32,
    /// Most tool calls run in the whole turn; the rest are refused to the model.
    pub max_calls_per_turn: u32,
    /// The whole turn (every round, provider call and tool call) ends within this.
    pub deadline: Duration,
}

impl Default for TurnLimits {
    fn default() -> Self {
        TurnLimits {
            max_tool_rounds: 6,
            max_calls_per_round: 5,
            max_calls_per_turn: 12,
            deadline: Duration::from_secs(80),
        }
    }
}

/// Who answers a message when a model is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Routing {
    /// Every message goes to the model.
    #[default]
    Model,
    /// Messages the built-in interpreter reads with certainty are answered by it at
    /// once, without a model call; the rest go to the model.
    BuiltinFirst,
}

/// The assistant: a provider's model with the task tools, or the built-in
/// interpreter (alone, as the first reader with builtin-first routing, or as
/// the fallback when the provider fails).
#[derive(Clone)]
pub struct Assistant {
    provider: Option<Provider>,
    fallback_builtin: bool,
    limits: TurnLimits,
    routing: Routing,
}

/// The provider name of the built-in interpreter.
pub const BUILTIN: &str = "builtin";

/// What the model reads in place of a call beyond a cap.
fn refused(reason: String) -> Value {
    json!({"error": reason})
}

impl Assistant {
    /// `provider: None` is the built-in interpreter.
    pub fn new(provider: Option<Provider>, fallback_builtin: bool, limits: TurnLimits, routing: Routing) -> Assistant {
        let limits = TurnLimits {
            max_tool_rounds: limits.max_tool_rounds.max(1),
            max_calls_per_round: limits.max_calls_per_round.max(1),
            max_calls_per_turn: limits.max_calls_per_turn.max(1),
            deadline: limits.deadline.max(Duration::from_secs(1)),
        };
        Assistant { provider, fallback_builtin, limits, routing }
    }

    /// The provider's name, or [`BUILTIN`].
    pub fn provider_name(&self) -> &str {
        self.provider.as_ref().map(Provider::name).unwrap_or(BUILTIN)
    }

    /// The longest a turn takes.
    pub fn deadline(&self) -> Duration {
        self.limits.deadline
    }

    /// Answers `message` after `history` for the user of `tools`, calling tools
    /// as the model asks; with `events`, text and tool calls are sent as they happen.
    pub async fn turn(
        &self,
        tools: &TaskTools,
        history: &[ChatMessage],
        message: &str,
        now: DateTime<Utc>,
        events: Option<mpsc::UnboundedSender<TurnEvent>>,
    ) -> Result<TurnOutcome, AgentError> {
        let Some(provider) = &self.provider else {
            return builtin_turn(tools, message, now, events.as_ref(), Vec::new()).await;
        };
        if self.routing == Routing::BuiltinFirst {
            let tz = tools.time_zone().await.map_err(tool_store_error)?;
            if todo_builtin::understands(message, now, &tz) {
                return builtin_turn(tools, message, now, events.as_ref(), Vec::new()).await;
            }
        }
        let deadline = Instant::now() + self.limits.deadline;
        match self.model_turn(provider, tools, history, message, now, deadline, events.as_ref()).await {
            Err(AgentError::Provider { error, calls }) if self.fallback_builtin && Instant::now() < deadline => {
                tracing::warn!(%error, "provider failed; answering with the built-in assistant");
                builtin_turn(tools, message, now, events.as_ref(), calls).await
            }
            other => other,
        }
    }

    #[allow(clippy::too_many_arguments, reason = "one turn's inputs, passed once")]
    async fn model_turn(
        &self,
        provider: &Provider,
        tools: &TaskTools,
        history: &[ChatMessage],
        message: &str,
        now: DateTime<Utc>,
        deadline: Instant,
        events: Option<&mpsc::UnboundedSender<TurnEvent>>,
    ) -> Result<TurnOutcome, AgentError> {
        let tool_defs: Vec<Value> = catalogue()
            .into_iter()
            .map(|t| json!({"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.parameters}}))
            .collect();
        let tz = tools.time_zone().await.map_err(tool_store_error)?;
        // Stable first (instructions, then the tools the server renders after
        // them, then the history), what changes last: the server's prompt cache
        // keeps everything up to the new message.
        let mut messages = vec![json!({"role": "system", "content": system_prompt()})];
        messages.extend(history_messages(history));
        messages.push(json!({"role": "user", "content": user_message(message, now, &tz)}));

        let secs = self.limits.deadline.as_secs();
        let mut calls: Vec<ToolCallRecord> = Vec::new();
        let mut ran = 0u32;
        let reply = std::sync::Mutex::new(Reply::new(events));
        let forward = |d: &str| {
            if let Ok(mut r) = reply.lock() {
                r.push(d);
            }
        };
        let deltas: Option<&(dyn Fn(&str) + Sync)> = if events.is_some() { Some(&forward) } else { None };
        for _round in 0..self.limits.max_tool_rounds {
            let completion = tokio::time::timeout_at(deadline, provider.complete(&messages, &tool_defs, deltas)).await;
            let Ok(completion) = completion else {
                return Err(AgentError::Deadline { secs, calls });
            };
            let completion = completion.map_err(|error| AgentError::Provider { error, calls: calls.clone() })?;
            {
                let mut r = reply.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if events.is_none() {
                    r.push(&completion.content);
                }
                r.end_round();
            }
            if completion.tool_calls.is_empty() {
                let text = reply.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner).text;
                return Ok(TurnOutcome { text, calls, assistant: provider.name().to_string() });
            }
            messages.push(json!({
                "role": "assistant",
                "content": if completion.content.is_empty() { Value::Null } else { json!(completion.content) },
                "tool_calls": completion.tool_calls.iter().map(wire_call).collect::<Vec<_>>(),
            }));
            for (i, requested) in completion.tool_calls.iter().enumerate() {
                // Nothing is done once the turn is out of time: the client is
                // about to be told that it failed.
                if Instant::now() >= deadline {
                    return Err(AgentError::Deadline { secs, calls });
                }
                let record = if i >= self.limits.max_calls_per_round as usize {
                    refuse(
                        requested,
                        format!(
                            "not run: at most {} tool calls are run from one reply; ask for the rest in the next one",
                            self.limits.max_calls_per_round
                        ),
                    )
                } else if ran >= self.limits.max_calls_per_turn {
                    refuse(
                        requested,
                        format!(
                            "not run: at most {} tool calls are run in one turn; tell the user what is left to do",
                            self.limits.max_calls_per_turn
                        ),
                    )
                } else {
                    ran += 1;
                    execute(tools, requested).await?
                };
                messages.push(json!({"role": "tool", "tool_call_id": record.id, "content": record.result.to_string()}));
                if let Some(ev) = events {
                    let _ = ev.send(TurnEvent::ToolCall(record.clone()));
                }
                calls.push(record);
            }
        }
        let mut reply = reply.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        reply.push(&format!(
            "I stopped after {} rounds of tool calls without finishing. Here is what I did: {}.",
            self.limits.max_tool_rounds,
            calls.iter().map(|c| c.tool.as_str()).collect::<Vec<_>>().join(", ")
        ));
        reply.end_round();
        Ok(TurnOutcome { text: reply.text, calls, assistant: provider.name().to_string() })
    }
}

/// The reply's text as the user sees it: every round's text (a round that ends
/// in tool calls included), markup and forbidden characters dropped, rounds
/// separated by a blank line. What is sent as deltas is exactly what `text`
/// holds, so the stream and the stored reply are the same.
struct Reply<'a> {
    text: String,
    filter: MarkupFilter,
    round_has_text: bool,
    events: Option<&'a mpsc::UnboundedSender<TurnEvent>>,
}

impl<'a> Reply<'a> {
    fn new(events: Option<&'a mpsc::UnboundedSender<TurnEvent>>) -> Self {
        Reply { text: String::new(), filter: MarkupFilter::default(), round_has_text: false, events }
    }

    fn push(&mut self, fragment: &str) {
        let clean = self.filter.push(fragment);
        self.emit(&clean);
    }

    fn end_round(&mut self) {
        let rest = self.filter.finish();
        self.emit(&rest);
        self.round_has_text = false;
    }

    fn emit(&mut self, clean: &str) {
        let clean = todo_domain::strip_forbidden_chars(clean);
        if clean.is_empty() {
            return;
        }
        let mut out = String::new();
        if !self.round_has_text && !self.text.is_empty() {
            out.push_str("\n\n");
        }
        self.round_has_text = true;
        out.push_str(&clean);
        self.text.push_str(&out);
        if let Some(ev) = self.events {
            let _ = ev.send(TurnEvent::Delta(out));
        }
    }
}

fn refuse(requested: &RequestedCall, reason: String) -> ToolCallRecord {
    let arguments = serde_json::from_str(&requested.arguments).unwrap_or(Value::String(requested.arguments.clone()));
    ToolCallRecord { id: requested.id.clone(), tool: requested.name.clone(), arguments, result: refused(reason) }
}

fn wire_call(c: &RequestedCall) -> Value {
    json!({"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}})
}

/// Runs one requested call. Bad JSON, bad arguments and unknown tools become an
/// `{"error": ...}` result the model can read; only store failures abort.
async fn execute(tools: &TaskTools, requested: &RequestedCall) -> Result<ToolCallRecord, AgentError> {
    let parsed: Result<Value, _> =
        if requested.arguments.trim().is_empty() { Ok(json!({})) } else { serde_json::from_str(&requested.arguments) };
    let (arguments, result) = match parsed {
        Err(e) => {
            (Value::String(requested.arguments.clone()), json!({"error": format!("arguments are not valid JSON: {e}")}))
        }
        Ok(args) => {
            let result = match tools.call(&requested.name, args.clone()).await {
                Ok(v) => v,
                Err(ToolError::Rejected(msg)) => json!({"error": msg}),
                Err(ToolError::Store(e)) => return Err(AgentError::Store(e)),
            };
            (args, result)
        }
    };
    Ok(ToolCallRecord { id: requested.id.clone(), tool: requested.name.clone(), arguments, result })
}

/// The stored conversation as chat-completion messages: a reply with tool calls
/// becomes the assistant's call message, one tool message per result, then its text.
pub fn history_messages(history: &[ChatMessage]) -> Vec<Value> {
    let mut out = Vec::new();
    for m in history {
        match m.role {
            Role::User => out.push(json!({"role": "user", "content": m.content})),
            Role::Assistant => {
                if !m.tool_calls.is_empty() {
                    out.push(json!({
                        "role": "assistant",
                        "content": Value::Null,
                        "tool_calls": m.tool_calls.iter().map(|c| json!({
                            "id": c.id, "type": "function",
                            "function": {"name": c.tool, "arguments": if c.arguments.is_string() { c.arguments.as_str().unwrap_or("{}").to_string() } else { c.arguments.to_string() }}
                        })).collect::<Vec<_>>(),
                    }));
                    for c in &m.tool_calls {
                        out.push(json!({"role": "tool", "tool_call_id": c.id, "content": c.result.to_string()}));
                    }
                }
                out.push(json!({"role": "assistant", "content": m.content}));
            }
        }
    }
    out
}

/// The system prompt: the instructions alone, the same text for every user and
/// every turn, so that a server's prompt cache keeps it (and the tools rendered
/// after it, and the history) across turns. The date goes with the new message.
pub fn system_prompt() -> &'static str {
    "You are the todo-app assistant. You manage the user's tasks, and only through the tools you are given.\n\
         Every date the user says or reads is in the user's time zone, given with the user's latest message. Resolve relative dates \
         such as \"tomorrow\" or \"next Friday\" against the user's today. A task due on a day without a time \
         (\"on Friday\") is all-day: pass due_date as YYYY-MM-DD. A task due at a time (\"Friday 5pm\", \
         \"in 2 hours\") passes due_at as the user's local date-time YYYY-MM-DDTHH:MM. Tool results give dates in \
         the user's zone; say them as they are, never converted to UTC.\n\
         - add, create, remember, \"I need to\": call add_task.\n\
         - see, show, list, \"what's pending\", \"what have I completed\": call list_tasks with status pending, completed or all.\n\
         - done, complete, finished: call complete_task.\n\
         - delete, remove, cancel: call delete_task.\n\
         - change, update, rename: call update_task.\n\
         Each task has a number the user sees as #3 and says as \"task 3\": it is the id list_tasks reports and \
         the task_id the other tools take. When the user names a task by its title instead of its number, call \
         list_tasks with q set to a word of the title first and use the matching task's id; if several match, ask \
         which one, listing them as \"#3 Pay rent, #7 Pay rent deposit\". Never invent task numbers.\n\
         A task can repeat (\"every monday\", \"monthly on the 1st\"): pass repeat to add_task or update_task, with a \
         due date for the first time; completing it creates the next one. There are no reminders yet: when asked \
         for one, say so plainly and do the rest of the request. Never leave out part of a request without saying so.\n\
         After every action, confirm it in one short, friendly sentence. If a tool returns an error, explain it plainly."
}

/// The user's message as the model reads it: the text, then the user's local
/// date and time (to the minute, for "in 2 hours"). It is the last thing in
/// the prompt, so changing every minute costs the cache nothing.
pub fn user_message(message: &str, now: DateTime<Utc>, tz: &jiff::tz::TimeZone) -> String {
    let local = todo_domain::zone::local_datetime(now, tz);
    format!(
        "{message}\n\n(Now: {} ({}), {} in {}.)",
        local.format("%A %-d %B %Y"),
        local.format("%Y-%m-%d"),
        local.format("%H:%M"),
        todo_domain::zone::zone_name(tz),
    )
}

fn tool_store_error(e: ToolError) -> AgentError {
    match e {
        ToolError::Store(e) => AgentError::Store(e),
        ToolError::Rejected(msg) => AgentError::Store(StoreError::Internal(msg)),
    }
}

/// Adapts the catalogue to the built-in interpreter: rejected calls are errors it
/// explains; a store failure is remembered so the turn can fail as a whole.
struct BuiltinRunner<'a> {
    tools: &'a TaskTools,
    store_error: Option<StoreError>,
}

impl todo_builtin::ToolRunner for BuiltinRunner<'_> {
    async fn call(&mut self, name: &str, args: Value) -> Result<Value, String> {
        match self.tools.call(name, args).await {
            Ok(v) => Ok(v),
            Err(ToolError::Rejected(msg)) => Err(msg),
            Err(ToolError::Store(e)) => {
                let msg = "the task list is unavailable right now".to_string();
                self.store_error = Some(e);
                Err(msg)
            }
        }
    }
}

async fn builtin_turn(
    tools: &TaskTools,
    message: &str,
    now: DateTime<Utc>,
    events: Option<&mpsc::UnboundedSender<TurnEvent>>,
    mut calls: Vec<ToolCallRecord>,
) -> Result<TurnOutcome, AgentError> {
    let tz = tools.time_zone().await.map_err(tool_store_error)?;
    let mut runner = BuiltinRunner { tools, store_error: None };
    let reply = todo_builtin::respond(message, now, &tz, &mut runner).await;
    if let Some(e) = runner.store_error {
        return Err(AgentError::Store(e));
    }
    let first = calls.len();
    calls.extend(reply.calls.into_iter().enumerate().map(|(i, c)| ToolCallRecord {
        id: format!("builtin_{}", first + i + 1),
        tool: c.name,
        arguments: c.arguments,
        result: c.result,
    }));
    if let Some(ev) = events {
        for c in &calls[first..] {
            let _ = ev.send(TurnEvent::ToolCall(c.clone()));
        }
        let _ = ev.send(TurnEvent::Delta(reply.text.clone()));
    }
    Ok(TurnOutcome { text: reply.text, calls, assistant: BUILTIN.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_users_local_date_and_time_end_the_latest_message() {
        let tokyo = todo_domain::lookup_time_zone("Asia/Tokyo").unwrap().1;
        // 00:14 UTC on 1 December is 09:14 in Tokyo.
        let now: DateTime<Utc> = "2026-12-01T00:14:59Z".parse().unwrap();
        let m = user_message("add milk", now, &tokyo);
        assert_eq!(m, "add milk\n\n(Now: Tuesday 1 December 2026 (2026-12-01), 09:14 in Asia/Tokyo.)");
        let la = todo_domain::lookup_time_zone("America/Los_Angeles").unwrap().1;
        assert!(
            user_message("x", now, &la)
                .ends_with("(Now: Monday 30 November 2026 (2026-11-30), 16:14 in America/Los_Angeles.)")
        );
    }

    #[test]
    fn the_system_prompt_is_the_same_at_any_time_for_anyone() {
        // The server's prompt cache keeps it: no date, no zone, nothing per user.
        // (A `&'static str`: nothing of the turn can be in it.)
        assert!(!system_prompt().contains("Today is") && !system_prompt().contains("Now:"));
    }

    #[test]
    fn history_replays_tool_calls_in_protocol_order() {
        let now = Utc::now();
        let history = vec![
            ChatMessage {
                id: 1,
                conversation_id: 1,
                role: Role::User,
                content: "add milk".into(),
                tool_calls: vec![],
                created_at: now,
                assistant: None,
            },
            ChatMessage {
                id: 2,
                conversation_id: 1,
                role: Role::Assistant,
                content: "Added.".into(),
                tool_calls: vec![ToolCallRecord {
                    id: "c1".into(),
                    tool: "add_task".into(),
                    arguments: json!({"title": "Milk"}),
                    result: json!({"task_id": 1, "status": "created", "title": "Milk"}),
                }],
                created_at: now,
                assistant: Some("openai".into()),
            },
        ];
        let m = history_messages(&history);
        let roles: Vec<&str> = m.iter().map(|v| v["role"].as_str().unwrap()).collect();
        assert_eq!(roles, ["user", "assistant", "tool", "assistant"]);
        assert_eq!(m[1]["tool_calls"][0]["function"]["arguments"], "{\"title\":\"Milk\"}");
        assert_eq!(m[2]["tool_call_id"], "c1");
        assert_eq!(m[3]["content"], "Added.");
    }
}
