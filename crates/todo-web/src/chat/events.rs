//! The API's chat event stream, decoded by a maintained server-sent-events
//! parser and translated into the events the page's script reads.

use std::fmt::Display;

use axum::response::sse::Event;
use bytes::Bytes;
use eventsource_stream::Eventsource;
use futures::{Stream, StreamExt};
use serde_json::{Value, json};
use todo_domain::{ChatResponse, ToolCallRecord};

use super::views;

/// One event for the page's script: `delta {text}`, `tool {line, tool}`,
/// `done {conversation_id, response}` or `error {message}`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PageEvent {
    name: &'static str,
    data: Value,
}

impl PageEvent {
    fn new(name: &'static str, data: Value) -> PageEvent {
        PageEvent { name, data }
    }

    /// The event as it goes to the browser.
    pub(crate) fn into_sse(self) -> Event {
        Event::default().event(self.name).data(self.data.to_string())
    }
}

/// Maps one server-sent event of the API to the page's event, if it has one.
fn translate(event: &str, data: &str) -> Option<PageEvent> {
    let v: Value = serde_json::from_str(data).ok()?;
    match event {
        "delta" => Some(PageEvent::new("delta", json!({"text": v.get("text").and_then(Value::as_str).unwrap_or("")}))),
        "tool_call" => {
            let call: ToolCallRecord = serde_json::from_value(v).ok()?;
            Some(PageEvent::new("tool", json!({"line": views::tool_line(&call), "tool": call.tool})))
        }
        "done" => {
            let r: ChatResponse = serde_json::from_value(v).ok()?;
            Some(PageEvent::new(
                "done",
                json!({
                    "conversation_id": r.conversation_id,
                    "response": r.response,
                    "assistant": views::assistant_label(&r.assistant),
                }),
            ))
        }
        "error" => {
            let detail = v.get("detail").and_then(Value::as_str).unwrap_or("the assistant failed");
            Some(PageEvent::new("error", json!({"message": format!("The assistant could not answer: {detail}")})))
        }
        _ => None,
    }
}

/// The page's events from the bytes of the API's event stream, however the
/// network cut them. When the stream breaks off, a last `error` event says so.
pub(crate) fn page_events<S, E>(bytes: S) -> impl Stream<Item = PageEvent> + Send + 'static
where
    S: Stream<Item = Result<Bytes, E>> + Send + 'static,
    E: Display + Send + 'static,
{
    // A last event without its closing blank line still counts.
    let closed = bytes.chain(futures::stream::once(async { Ok(Bytes::from_static(b"\n\n")) }));
    futures::stream::unfold(Some(Box::pin(closed.eventsource())), |events| async move {
        let mut events = events?;
        loop {
            match events.next().await? {
                Ok(ev) => {
                    if let Some(page) = translate(&ev.event, &ev.data) {
                        return Some((page, Some(events)));
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "chat stream from the API broke off");
                    let lost = PageEvent::new("error", json!({"message": "The connection to the assistant was lost."}));
                    return Some((lost, None));
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use super::*;

    /// Multi-byte characters (2, 3 and 4 bytes of UTF-8), CRLF line endings, a
    /// comment and an event the page does not show.
    const WIRE: &str = "event: delta\r\ndata: {\"text\":\"Grüße aus 東京 🎉\"}\r\n\r\n: keep-alive\r\n\r\n\
        event: ping\r\ndata: {}\r\n\r\n\
        event: tool_call\r\ndata: {\"id\":\"1\",\"tool\":\"add_task\",\"arguments\":{},\"result\":{\"title\":\"Café ☕\"}}\r\n\r\n\
        event: done\r\ndata: {\"conversation_id\":4,\"response\":\"Fertig ✓\",\"tool_calls\":[],\"assistant\":\"builtin\"}\r\n\r\n";

    fn decode(chunks: Vec<&[u8]>) -> Vec<PageEvent> {
        let owned: Vec<Bytes> = chunks.into_iter().map(Bytes::copy_from_slice).collect();
        let bytes = futures::stream::iter(owned.into_iter().map(Ok::<_, Infallible>));
        futures::executor::block_on(page_events(bytes).collect())
    }

    #[test]
    fn api_events_become_page_events() {
        let expected = vec![
            PageEvent::new("delta", json!({"text": "Grüße aus 東京 🎉"})),
            PageEvent::new("tool", json!({"line": "Added 'Café ☕'", "tool": "add_task"})),
            PageEvent::new("done", json!({"conversation_id": 4, "response": "Fertig ✓", "assistant": "built-in"})),
        ];
        let wire = WIRE.as_bytes();
        assert_eq!(decode(vec![wire]), expected);
        for cut in 1..wire.len() {
            assert_eq!(decode(vec![&wire[..cut], &wire[cut..]]), expected, "cut at byte {cut}");
        }
        assert_eq!(decode(wire.chunks(1).collect()), expected, "one byte at a time");
    }

    #[test]
    fn a_last_event_without_its_blank_line_counts() {
        let events = decode(vec![b"event: delta\ndata: {\"text\":\"Hi\"}\n"]);
        assert_eq!(events, vec![PageEvent::new("delta", json!({"text": "Hi"}))]);
    }
}
