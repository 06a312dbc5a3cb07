//! A small client for the OpenAI chat-completions protocol with tool calling,
//! which OpenAI, Gemini, Groq, OpenRouter and Ollama all speak. Responses are read
//! leniently as JSON values: real providers add, omit and reshape fields.

use std::time::Duration;

use bytes::Bytes;
use eventsource_stream::{EventStreamError, Eventsource};
use futures::{Stream, StreamExt};
use serde_json::{Value, json};

/// A provider preset: where it lives, its default model, and the environment
/// variable that usually holds its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    /// What LLM_PROVIDER names it by.
    pub name: &'static str,
    /// Its OpenAI-compatible endpoint.
    pub base_url: &'static str,
    /// The model used when LLM_MODEL is not set.
    pub default_model: &'static str,
    /// The variable its key is read from, if it needs one.
    pub key_env: Option<&'static str>,
}

/// The providers LLM_PROVIDER knows by name.
pub const PRESETS: [Preset; 5] = [
    Preset {
        name: "openai",
        base_url: "https://api.openai.com/v1",
        default_model: "gpt-4o-mini",
        key_env: Some("OPENAI_API_KEY"),
    },
    Preset {
        name: "gemini",
        base_url: "https://generativelanguage.googleapis.com/v1beta/openai",
        default_model: "gemini-2.5-flash",
        key_env: Some("GEMINI_API_KEY"),
    },
    Preset {
        name: "groq",
        base_url: "https://api.groq.com/openai/v1",
        default_model: "llama-3.3-70b-versatile",
        key_env: Some("GROQ_API_KEY"),
    },
    Preset {
        name: "openrouter",
        base_url: "https://openrouter.ai/api/v1",
        default_model: "openai/gpt-4o-mini",
        key_env: Some("OPENROUTER_API_KEY"),
    },
    Preset { name: "ollama", base_url: "http://localhost:11434/v1", default_model: "llama3.2", key_env: None },
];

/// The preset called `name`, if there is one.
pub fn preset(name: &str) -> Option<Preset> {
    PRESETS.into_iter().find(|p| p.name == name)
}

/// Where a provider is and how it is called.
#[derive(Clone)]
pub struct ProviderConfig {
    /// Name shown in errors and logs (`openai`, `groq`, `openai-compatible`, ...).
    pub name: String,
    /// The OpenAI-compatible endpoint (`.../v1`).
    pub base_url: String,
    /// The model asked for.
    pub model: String,
    /// The bearer token, if the provider needs one.
    pub api_key: Option<String>,
    /// The longest a connection may take to open.
    pub connect_timeout: Duration,
    /// The longest one completion may take.
    pub timeout: Duration,
    /// Extra attempts after a 429, a 5xx or a refused connection.
    pub max_retries: u32,
    /// `max_tokens` of every completion: a small model may otherwise ramble
    /// until the timeout. None sends no limit.
    pub max_tokens: Option<u32>,
}

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Why a completion failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProviderError {
    /// No answer within the timeout.
    #[error("the {provider} provider did not answer within {secs} s")]
    Timeout {
        /// The provider's name.
        provider: String,
        /// The timeout, in seconds.
        secs: u64,
    },
    /// An error answer, a refused connection, or a reply that cannot be read.
    #[error("the {provider} provider failed: {cause}")]
    Failed {
        /// The provider's name.
        provider: String,
        /// What went wrong, without URLs or keys.
        cause: String,
    },
}

/// A tool call the model asked for; `arguments` is the raw JSON text it sent.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestedCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Completion {
    pub content: String,
    pub tool_calls: Vec<RequestedCall>,
}

/// A client for one OpenAI-compatible provider.
#[derive(Clone)]
pub struct Provider {
    cfg: ProviderConfig,
    http: reqwest::Client,
}

impl Provider {
    /// A client for the provider `cfg` describes.
    pub fn new(cfg: ProviderConfig) -> Provider {
        let http = reqwest::Client::builder()
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.timeout)
            .build()
            .unwrap_or_default();
        Provider { cfg, http }
    }

    /// The provider's name, for errors and logs.
    pub fn name(&self) -> &str {
        &self.cfg.name
    }

    /// The model it asks for.
    pub fn model(&self) -> &str {
        &self.cfg.model
    }

    /// `host:port` of the endpoint, for connection errors: never its path,
    /// query or user info.
    fn address(&self) -> Option<String> {
        let url = reqwest::Url::parse(&self.cfg.base_url).ok()?;
        Some(format!("{}:{}", url.host_str()?, url.port_or_known_default()?))
    }

    fn failed(&self, cause: impl Into<String>) -> ProviderError {
        ProviderError::Failed { provider: self.cfg.name.clone(), cause: cause.into() }
    }

    fn reqwest_error(&self, e: reqwest::Error) -> ProviderError {
        if e.is_timeout() {
            ProviderError::Timeout { provider: self.cfg.name.clone(), secs: self.cfg.timeout.as_secs() }
        } else {
            // With its causes ("connection refused", a TLS error): "error sending
            // request" alone says nothing. Without the URL: it is ours and adds
            // nothing; keys travel in headers only.
            let connect = e.is_connect();
            let cause = causes(&e.without_url());
            match (connect, self.address()) {
                (true, Some(at)) => self.failed(format!("{cause} (connecting to {at})")),
                _ => self.failed(cause),
            }
        }
    }

    /// One completion. With `deltas`, the reply is streamed and every text
    /// fragment is handed to it as it arrives.
    pub async fn complete(
        &self,
        messages: &[Value],
        tools: &[Value],
        deltas: Option<&(dyn Fn(&str) + Sync)>,
    ) -> Result<Completion, ProviderError> {
        let mut body = json!({"model": self.cfg.model, "messages": messages});
        if !tools.is_empty() {
            body["tools"] = Value::Array(tools.to_vec());
            body["tool_choice"] = json!("auto");
        }
        if deltas.is_some() {
            body["stream"] = json!(true);
        }
        if let Some(n) = self.cfg.max_tokens {
            body["max_tokens"] = json!(n);
        }
        let url = format!("{}/chat/completions", self.cfg.base_url.trim_end_matches('/'));
        let mut attempt = 0;
        let response = loop {
            let mut req = self.http.post(&url).json(&body);
            if let Some(key) = &self.cfg.api_key {
                req = req.bearer_auth(key);
            }
            let retry_in = match req.send().await {
                Ok(res) if res.status().is_success() => break res,
                Ok(res) => {
                    let status = res.status();
                    let retry_after = res
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<f64>().ok())
                        .map(|s| Duration::from_secs_f64(s.clamp(0.0, 30.0)));
                    let text = res.text().await.unwrap_or_default();
                    let retryable = status.as_u16() == 429 || status.is_server_error();
                    if !retryable || attempt >= self.cfg.max_retries {
                        return Err(self.failed(format!("HTTP {} {}", status.as_u16(), error_message(&text))));
                    }
                    retry_after.unwrap_or_else(|| backoff(attempt))
                }
                Err(e) if e.is_connect() && attempt < self.cfg.max_retries => backoff(attempt),
                Err(e) => return Err(self.reqwest_error(e)),
            };
            attempt += 1;
            tracing::warn!(provider = %self.cfg.name, attempt, wait_ms = retry_in.as_millis() as u64, "provider busy or failing; retrying");
            tokio::time::sleep(retry_in).await;
        };
        match deltas {
            None => {
                let v: Value = response.json().await.map_err(|e| self.reqwest_error(e))?;
                parse_completion(&v)
                    .ok_or_else(|| self.failed(format!("unexpected response: {}", snippet(&v.to_string()))))
            }
            Some(sink) => read_events(response.bytes_stream(), sink).await.map_err(|e| match e {
                EventStreamError::Transport(e) => self.reqwest_error(e),
                other => self.failed(format!("unreadable event stream: {other}")),
            }),
        }
    }
}

/// Why [`Provider::probe`] failed, sorted by what there is to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeProblem {
    /// No connection: nothing listens there, or the host does not resolve.
    Connect(String),
    /// No answer within this many seconds.
    Timeout(u64),
    /// An error status, with the provider's own message.
    Status(u16, String),
    /// A success status whose body is not a chat completion.
    Unreadable(String),
}

impl Provider {
    /// One small request as a chat turn makes it (`/chat/completions`, the
    /// model, the key) without tools or retries: whether chat would work.
    pub async fn probe(&self) -> Result<(), ProbeProblem> {
        let body = json!({
            "model": self.cfg.model,
            "messages": [{"role": "user", "content": "Reply with the single word OK."}],
        });
        let url = format!("{}/chat/completions", self.cfg.base_url.trim_end_matches('/'));
        let mut req = self.http.post(&url).json(&body);
        if let Some(key) = &self.cfg.api_key {
            req = req.bearer_auth(key);
        }
        let sent = |e: reqwest::Error| {
            if e.is_timeout() {
                ProbeProblem::Timeout(self.cfg.timeout.as_secs())
            } else {
                ProbeProblem::Connect(causes(&e.without_url()))
            }
        };
        let res = req.send().await.map_err(sent)?;
        let status = res.status();
        let text = res.text().await.map_err(sent)?;
        if !status.is_success() {
            return Err(ProbeProblem::Status(status.as_u16(), error_message(&text)));
        }
        serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| parse_completion(&v))
            .map(drop)
            .ok_or_else(|| ProbeProblem::Unreadable(snippet(&text)))
    }
}

/// An error and its causes ("error sending request: ... Connection refused").
fn causes(e: &reqwest::Error) -> String {
    let mut out = String::new();
    let mut next: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        if !out.contains(&text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
        next = err.source();
    }
    out
}

/// Reads a streamed completion from the bytes of the provider's event stream,
/// however the network cut them, handing every text fragment to `sink`.
async fn read_events<S, E>(bytes: S, sink: &(dyn Fn(&str) + Sync)) -> Result<Completion, EventStreamError<E>>
where
    S: Stream<Item = Result<Bytes, E>>,
{
    let mut out = Completion::default();
    let mut partial: Vec<(String, String, String)> = Vec::new(); // id, name, arguments by index
    // A last event without its closing blank line still counts.
    let closed = bytes.chain(futures::stream::once(async { Ok(Bytes::from_static(b"\n\n")) }));
    let mut events = std::pin::pin!(closed.eventsource());
    while let Some(event) = events.next().await {
        let data = event?.data;
        if data.trim() == "[DONE]" {
            break;
        }
        let Ok(v) = serde_json::from_str::<Value>(&data) else { continue };
        let delta = &v["choices"][0]["delta"];
        if let Some(text) = delta["content"].as_str().filter(|t| !t.is_empty()) {
            out.content.push_str(text);
            sink(text);
        }
        for (pos, call) in delta["tool_calls"].as_array().into_iter().flatten().enumerate() {
            let i = call["index"].as_u64().map(|i| i as usize).unwrap_or(pos);
            if partial.len() <= i {
                partial.resize(i + 1, Default::default());
            }
            if let Some(id) = call["id"].as_str() {
                partial[i].0 = id.to_string();
            }
            if let Some(name) = call["function"]["name"].as_str() {
                partial[i].1.push_str(name);
            }
            match &call["function"]["arguments"] {
                Value::String(s) => partial[i].2.push_str(s),
                Value::Null => {}
                other => partial[i].2.push_str(&other.to_string()),
            }
        }
    }
    out.tool_calls = partial
        .into_iter()
        .enumerate()
        .filter(|(_, (_, name, _))| !name.is_empty())
        .map(|(i, (id, name, arguments))| RequestedCall {
            id: if id.is_empty() { format!("call_{i}") } else { id },
            name,
            arguments,
        })
        .collect();
    Ok(out)
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250 * 2u64.pow(attempt.min(5)))
}

fn snippet(s: &str) -> String {
    let s: String = s.chars().take(200).collect();
    s.replace(['\n', '\r'], " ")
}

/// The provider's own error message when it sends one, else the start of the body.
fn error_message(body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let msg = parsed.as_ref().and_then(|v| {
        v["error"]["message"]
            .as_str()
            .or_else(|| v["error"].as_str())
            .or_else(|| v["message"].as_str())
            .map(str::to_string)
    });
    snippet(&msg.unwrap_or_else(|| body.to_string()))
}

/// Reads `choices[0].message` whatever its exact shape.
pub fn parse_completion(v: &Value) -> Option<Completion> {
    let message = v.get("choices")?.get(0)?.get("message")?;
    let content = match &message["content"] {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts.iter().filter_map(|p| p["text"].as_str()).collect::<Vec<_>>().join(""),
        _ => String::new(),
    };
    let tool_calls = message["tool_calls"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, c)| {
            let f = c.get("function")?;
            let name = f.get("name")?.as_str()?.to_string();
            let arguments = match f.get("arguments") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => "{}".into(),
                Some(other) => other.to_string(),
            };
            let id = c.get("id").and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| format!("call_{i}"));
            Some(RequestedCall { id, name, arguments })
        })
        .collect();
    Some(Completion { content, tool_calls })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_tool_replies_leniently() {
        let plain = json!({"choices": [{"message": {"role": "assistant", "content": "Hi!"}, "extra": 1}], "usage": {}});
        assert_eq!(parse_completion(&plain).unwrap(), Completion { content: "Hi!".into(), tool_calls: vec![] });
        let tools = json!({"choices": [{"message": {"content": null, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "add_task", "arguments": "{\"title\":\"x\"}"}},
            {"function": {"name": "list_tasks", "arguments": {"status": "pending"}}}
        ]}}]});
        let c = parse_completion(&tools).unwrap();
        assert_eq!(c.content, "");
        assert_eq!(
            c.tool_calls[0],
            RequestedCall { id: "c1".into(), name: "add_task".into(), arguments: "{\"title\":\"x\"}".into() }
        );
        assert_eq!(c.tool_calls[1].id, "call_1");
        assert_eq!(c.tool_calls[1].arguments, "{\"status\":\"pending\"}");
        let parts = json!({"choices": [{"message": {"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}}]});
        assert_eq!(parse_completion(&parts).unwrap().content, "ab");
        assert!(parse_completion(&json!({"error": "x"})).is_none());
    }

    #[test]
    fn error_messages_come_from_the_body() {
        assert_eq!(error_message(r#"{"error":{"message":"Rate limit reached","type":"x"}}"#), "Rate limit reached");
        assert_eq!(error_message("upstream\nexploded"), "upstream exploded");
    }

    #[test]
    fn presets_cover_the_documented_providers() {
        for name in ["openai", "gemini", "groq", "openrouter", "ollama"] {
            assert!(preset(name).is_some(), "{name}");
        }
        assert!(preset("ollama").unwrap().key_env.is_none());
    }

    #[test]
    fn streamed_replies_decode_the_same_however_the_bytes_are_cut() {
        // Multi-byte characters (2, 3 and 4 bytes of UTF-8) and CRLF line endings.
        let wire = concat!(
            "data: {\"choices\":[{\"delta\":{\"content\":\"Grüße aus \"}}]}\r\n\r\n",
            ": keep-alive\r\n\r\n",
            "data: {\"choices\":[{\"delta\":{\"content\":\"東京 🎉\"}}]}\r\n\r\n",
            "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c1\",\"function\":{\"name\":\"add_task\",\"arguments\":\"{\\\"title\\\":\"}}]}}]}\r\n\r\n",
            "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"Café ☕\\\"}\"}}]}}]}\r\n\r\n",
            "data: [DONE]\r\n\r\n",
            "data: {\"choices\":[{\"delta\":{\"content\":\"after the end\"}}]}\r\n\r\n",
        )
        .as_bytes();
        let decode = |chunks: Vec<&[u8]>| {
            let deltas = std::sync::Mutex::new(Vec::new());
            let sink = |t: &str| deltas.lock().unwrap().push(t.to_string());
            let bytes = futures::stream::iter(
                chunks.into_iter().map(|c| Ok::<_, std::convert::Infallible>(Bytes::copy_from_slice(c))),
            );
            let completion = futures::executor::block_on(read_events(bytes, &sink)).unwrap();
            (completion, deltas.into_inner().unwrap())
        };
        let expected = (
            Completion {
                content: "Grüße aus 東京 🎉".into(),
                tool_calls: vec![RequestedCall {
                    id: "c1".into(),
                    name: "add_task".into(),
                    arguments: "{\"title\":\"Café ☕\"}".into(),
                }],
            },
            vec!["Grüße aus ".to_string(), "東京 🎉".to_string()],
        );
        assert_eq!(decode(vec![wire]), expected);
        for cut in 1..wire.len() {
            assert_eq!(decode(vec![&wire[..cut], &wire[cut..]]), expected, "cut at byte {cut}");
        }
        assert_eq!(decode(wire.chunks(1).collect()), expected, "one byte at a time");
    }
}
