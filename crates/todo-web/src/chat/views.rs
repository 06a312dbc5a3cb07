//! The chat panel of the task page.

use maud::{Markup, html};
use todo_domain::{ChatMessage, Conversation, Role, ToolCallRecord};

use crate::layout::csrf_input;
use crate::session::Ctx;
use crate::tasks::TasksView;

pub(crate) struct ChatView {
    pub(crate) conversations: Vec<Conversation>,
    pub(crate) current: Option<i64>,
    pub(crate) messages: Vec<ChatMessage>,
    pub(crate) draft: String,
    pub(crate) error: Option<String>,
}

/// A tool call as a line a person reads: "Added 'Buy groceries'".
pub(crate) fn tool_line(call: &ToolCallRecord) -> String {
    let r = &call.result;
    if let Some(err) = r.get("error").and_then(|e| e.as_str()) {
        return format!("Could not {}: {err}", call.tool.replace('_', " "));
    }
    let title = r.get("title").and_then(|t| t.as_str()).unwrap_or("a task");
    match call.tool.as_str() {
        "add_task" => format!("Added '{title}'"),
        "complete_task" => format!("Completed '{title}'"),
        "delete_task" => format!("Deleted '{title}'"),
        "update_task" => format!("Updated '{title}'"),
        "list_tasks" => {
            let n = r.get("count").and_then(|c| c.as_i64()).unwrap_or(0);
            format!("Looked at your tasks ({n} found)")
        }
        other => format!("Used {}", other.replace('_', " ")),
    }
}

/// The small label beside "Assistant" that says which one answered: "built-in" for the
/// built-in interpreter, otherwise the provider's name.
pub(crate) fn assistant_label(assistant: &str) -> &str {
    if assistant == "builtin" { "built-in" } else { assistant }
}

fn message(m: &ChatMessage) -> Markup {
    let user = m.role == Role::User;
    html! {
        div.msg .msg-user[user] .msg-assistant[!user] {
            p.msg-who {
                @if user { "You" } @else { "Assistant" }
                @if let Some(a) = m.assistant.as_deref().filter(|_| !user) {
                    " " span.msg-label title="Which assistant answered" { (assistant_label(a)) }
                }
            }
            @if !m.tool_calls.is_empty() {
                ul.tools { @for c in &m.tool_calls { li { (tool_line(c)) } } }
            }
            p.msg-text { (m.content) }
        }
    }
}

pub(crate) fn chat_panel(ctx: &Ctx, v: &TasksView) -> Markup {
    let c = &v.chat;
    let back = v.query.query_string();
    html! {
        h2 #chat-heading { "Assistant" }
        div #chat-log .chat-log role="log" aria-live="polite" aria-label="Conversation" tabindex="0" {
            @if c.messages.is_empty() {
                p.chat-hint #chat-empty { "Ask me to manage your tasks: “add a task to buy groceries”, “what's pending?”, “complete the groceries task”." }
            }
            @for m in &c.messages { (message(m)) }
        }
        @if let Some(e) = &c.error { p.form-error #chat-error role="alert" { (e) } }
        form #chat-form .chat-form method="post" action="/chat" {
            (csrf_input(ctx))
            input type="hidden" name="back" value=(back);
            input #chat-conversation type="hidden" name="conversation_id" value=(c.current.map(|i| i.to_string()).unwrap_or_default());
            label for="chat-message" { "Message the assistant" }
            textarea #chat-message name="message" rows="2" maxlength="4000" required placeholder="Add a task to buy milk tomorrow" { (c.draft) }
            button.btn.btn-primary #chat-send type="submit" { "Send" }
        }
        section #history .history aria-labelledby="history-heading" {
            div.history-head {
                h3 #history-heading { "Conversations" }
                a.btn.btn-ghost.btn-small #new-conversation href=(format!("{}#chat", v.query.href_with(|q| q.c = "new".into()))) { "New conversation" }
            }
            @if c.conversations.is_empty() {
                p.chat-hint { "Your past conversations will be listed here." }
            } @else {
                ul #conversation-list .conversations {
                    @for conv in &c.conversations {
                        li data-testid=(format!("conversation-{}", conv.id)) {
                            a href=(format!("{}#chat", v.query.href_with(|q| q.c = conv.id.to_string())))
                                aria-current=[(c.current == Some(conv.id)).then_some("true")] { (conv.title) }
                            form method="post" action=(format!("/conversations/{}/delete", conv.id)) data-enhance {
                                (csrf_input(ctx))
                                input type="hidden" name="back" value=(back);
                                button.btn.btn-ghost.btn-small.btn-danger-text type="submit" id=(format!("delete-conversation-{}", conv.id)) {
                                    "Delete" span.sr-only { " conversation “" (conv.title) "”" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tool_calls_read_as_sentences() {
        let call = |tool: &str, result: serde_json::Value| ToolCallRecord {
            id: "1".into(),
            tool: tool.into(),
            arguments: json!({}),
            result,
        };
        assert_eq!(
            tool_line(&call("add_task", json!({"task_id": 1, "status": "created", "title": "Buy groceries"}))),
            "Added 'Buy groceries'"
        );
        assert_eq!(tool_line(&call("complete_task", json!({"title": "X"}))), "Completed 'X'");
        assert_eq!(tool_line(&call("delete_task", json!({"title": "X"}))), "Deleted 'X'");
        assert_eq!(tool_line(&call("update_task", json!({"title": "X"}))), "Updated 'X'");
        assert_eq!(tool_line(&call("list_tasks", json!({"tasks": [], "count": 3}))), "Looked at your tasks (3 found)");
        assert_eq!(
            tool_line(&call("delete_task", json!({"error": "task 9 doesn't exist"}))),
            "Could not delete task: task 9 doesn't exist"
        );
    }
}
