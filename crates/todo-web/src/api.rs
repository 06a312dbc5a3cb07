//! The todo-api client: every call carries the user's bearer token and the
//! request id, and every failure becomes one [`BackendError`].

use std::time::Duration;

use reqwest::{Method, RequestBuilder, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use todo_domain::{ChatMessage, ChatResponse, Conversation, Task, TaskCounts, User};

use crate::metrics::Metrics;
use std::sync::Arc;

/// One field error of a problem+json validation response.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, Deserialize, Default)]
struct Problem {
    #[serde(default)]
    detail: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    errors: Vec<FieldError>,
}

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The API cannot be reached, timed out, or answered 5xx.
    #[error("the API is unavailable: {0}")]
    Unavailable(String),
    /// The token is missing, expired or rejected.
    #[error("not signed in")]
    Unauthorized(String),
    #[error("not found")]
    NotFound,
    /// Bad input: a message for the form and the fields concerned.
    #[error("{detail}")]
    Invalid { status: u16, code: String, detail: String, errors: Vec<FieldError> },
}

impl BackendError {}

#[derive(Debug, Deserialize)]
pub struct AuthResponse {
    pub user: User,
    pub token: String,
}

/// The caller: a token (absent for sign-in/up) and the request id to forward.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub token: Option<String>,
    pub user_id: String,
    pub request_id: Option<String>,
    /// The browser's address, passed on as X-Forwarded-For: the API throttles
    /// sign-ins per client address, and without it every user would share this
    /// service's address.
    pub client_ip: Option<std::net::IpAddr>,
}

#[derive(Clone)]
pub struct Backend {
    http: reqwest::Client,
    base: String,
    timeout: Duration,
    long_timeout: Duration,
    metrics: Arc<Metrics>,
}

impl Backend {
    pub fn new(base: &str, timeout: Duration, long_timeout: Duration, metrics: Arc<Metrics>) -> Backend {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent(concat!("todo-web/", env!("CARGO_PKG_VERSION")))
            .build()
            // Only a TLS backend that cannot start fails here; reqwest's own
            // defaults are the best that is left.
            .unwrap_or_default();
        Backend { http, base: base.trim_end_matches('/').to_string(), timeout, long_timeout, metrics }
    }

    fn request(&self, caller: &Caller, method: Method, path: &str) -> RequestBuilder {
        let path = path.replace("{me}", &caller.user_id);
        let mut req = self.http.request(method, format!("{}{}", self.base, path)).timeout(self.timeout);
        if let Some(t) = &caller.token {
            req = req.bearer_auth(t);
        }
        if let Some(id) = &caller.request_id {
            req = req.header("x-request-id", id);
        }
        if let Some(ip) = caller.client_ip {
            req = req.header("x-forwarded-for", ip.to_string());
        }
        req
    }

    async fn send(&self, req: RequestBuilder) -> Result<reqwest::Response, BackendError> {
        let res = match req.send().await {
            Ok(res) => res,
            Err(e) => {
                self.metrics.backend_call("unavailable");
                let what = if e.is_timeout() { "timed out" } else { "unreachable" };
                // The URL's query carries what the user typed (a search): log the path only.
                let path = e.url().map(|u| u.path().to_string()).unwrap_or_default();
                tracing::warn!(error = %e.without_url(), path, "API {what}");
                return Err(BackendError::Unavailable(format!("API {what}")));
            }
        };
        let status = res.status();
        if status.is_success() {
            self.metrics.backend_call("ok");
            return Ok(res);
        }
        let problem: Problem = res.json().await.unwrap_or_default();
        let detail = problem.detail.clone().unwrap_or_else(|| status.canonical_reason().unwrap_or("error").into());
        if status.is_server_error() {
            self.metrics.backend_call("unavailable");
            tracing::warn!(status = status.as_u16(), %detail, "API error");
            return Err(BackendError::Unavailable(detail));
        }
        self.metrics.backend_call("client_error");
        Err(match status {
            StatusCode::UNAUTHORIZED if problem.code.as_deref() != Some("validation_failed") => {
                BackendError::Unauthorized(detail)
            }
            // A wrong confirming password is a form error, not a lost session.
            StatusCode::FORBIDDEN if problem.code.as_deref() != Some("wrong_password") => {
                BackendError::Unauthorized(detail)
            }
            StatusCode::NOT_FOUND => BackendError::NotFound,
            _ => BackendError::Invalid {
                status: status.as_u16(),
                code: problem.code.unwrap_or_default(),
                detail,
                errors: problem.errors,
            },
        })
    }

    async fn json<T: DeserializeOwned>(&self, req: RequestBuilder) -> Result<T, BackendError> {
        let res = self.send(req).await?;
        res.json::<T>()
            .await
            .map_err(|e| BackendError::Unavailable(format!("unexpected API response: {}", e.without_url())))
    }

    pub async fn sign_up(
        &self,
        caller: &Caller,
        email: &str,
        password: &str,
        name: &str,
        time_zone: &str,
    ) -> Result<AuthResponse, BackendError> {
        let body = serde_json::json!({"email": email, "password": password, "name": name, "time_zone": time_zone});
        self.json(self.request(caller, Method::POST, "/api/auth/sign-up").json(&body)).await
    }

    pub async fn sign_in(&self, caller: &Caller, email: &str, password: &str) -> Result<AuthResponse, BackendError> {
        let body = serde_json::json!({"email": email, "password": password});
        self.json(self.request(caller, Method::POST, "/api/auth/sign-in").json(&body)).await
    }

    /// The caller's account (with the time zone every page shows dates in).
    pub async fn me(&self, caller: &Caller) -> Result<User, BackendError> {
        self.json(self.request(caller, Method::GET, "/api/auth/me")).await
    }

    /// Changes the caller's account settings (`{"time_zone": ...}`).
    pub async fn update_me(&self, caller: &Caller, body: &Value) -> Result<User, BackendError> {
        self.json(self.request(caller, Method::PATCH, "/api/auth/me").json(body)).await
    }

    /// Ends the caller's session on the API: its token is refused from then on.
    pub async fn sign_out(&self, caller: &Caller) -> Result<(), BackendError> {
        self.send(self.request(caller, Method::POST, "/api/auth/sign-out")).await.map(|_| ())
    }

    /// Ends every session of the caller's user, this one included.
    pub async fn sign_out_everywhere(&self, caller: &Caller) -> Result<(), BackendError> {
        self.send(self.request(caller, Method::POST, "/api/auth/sign-out-everywhere")).await.map(|_| ())
    }

    /// Changes the caller's password; every other session of the user ends.
    pub async fn change_password(&self, caller: &Caller, current: &str, new: &str) -> Result<(), BackendError> {
        let body = serde_json::json!({"current_password": current, "new_password": new});
        self.send(self.request(caller, Method::POST, "/api/auth/password").json(&body)).await.map(|_| ())
    }

    /// Deletes the caller's account and all its data, confirmed by the password.
    pub async fn delete_account(&self, caller: &Caller, password: &str) -> Result<(), BackendError> {
        let body = serde_json::json!({"password": password});
        self.send(self.request(caller, Method::POST, "/api/auth/delete-account").json(&body)).await.map(|_| ())
    }

    /// The export document of the caller's account, as the API sent it.
    pub async fn export(&self, caller: &Caller) -> Result<bytes::Bytes, BackendError> {
        let res = self.send(self.request(caller, Method::GET, "/api/auth/export")).await?;
        res.bytes().await.map_err(|e| BackendError::Unavailable(format!("export interrupted: {}", e.without_url())))
    }

    /// Imports an export document (sent as uploaded) into the caller's account.
    pub async fn import(&self, caller: &Caller, document: bytes::Bytes) -> Result<Value, BackendError> {
        let req = self
            .request(caller, Method::POST, "/api/auth/import")
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(document);
        self.json(req).await
    }

    /// Tasks matching the query string, and the total count.
    pub async fn list_tasks(
        &self,
        caller: &Caller,
        query: &[(&str, String)],
    ) -> Result<(Vec<Task>, i64), BackendError> {
        let res = self.send(self.request(caller, Method::GET, "/api/{me}/tasks").query(query)).await?;
        let total =
            res.headers().get("x-total-count").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(-1);
        let tasks: Vec<Task> = res
            .json()
            .await
            .map_err(|e| BackendError::Unavailable(format!("unexpected API response: {}", e.without_url())))?;
        let total = if total < 0 { tasks.len() as i64 } else { total };
        Ok((tasks, total))
    }

    pub async fn create_task(&self, caller: &Caller, body: &Value) -> Result<Task, BackendError> {
        self.json(self.request(caller, Method::POST, "/api/{me}/tasks").json(body)).await
    }

    pub async fn patch_task(&self, caller: &Caller, id: i64, body: &Value) -> Result<Task, BackendError> {
        self.json(self.request(caller, Method::PATCH, &format!("/api/{{me}}/tasks/{id}")).json(body)).await
    }

    pub async fn get_task(&self, caller: &Caller, id: i64) -> Result<Task, BackendError> {
        self.json(self.request(caller, Method::GET, &format!("/api/{{me}}/tasks/{id}"))).await
    }

    pub async fn toggle_task(&self, caller: &Caller, id: i64) -> Result<Task, BackendError> {
        self.json(self.request(caller, Method::PATCH, &format!("/api/{{me}}/tasks/{id}/complete"))).await
    }

    pub async fn delete_task(&self, caller: &Caller, id: i64) -> Result<(), BackendError> {
        self.send(self.request(caller, Method::DELETE, &format!("/api/{{me}}/tasks/{id}"))).await.map(|_| ())
    }

    /// How many tasks each view has (one query on the API), for the navigation.
    pub async fn task_counts(&self, caller: &Caller) -> Result<TaskCounts, BackendError> {
        self.json(self.request(caller, Method::GET, "/api/{me}/tasks/counts")).await
    }

    /// Brings a deleted task back from the trash, as it was (the undo of a delete).
    pub async fn restore_task(&self, caller: &Caller, id: i64) -> Result<Task, BackendError> {
        self.json(self.request(caller, Method::POST, &format!("/api/{{me}}/tasks/{id}/restore"))).await
    }

    pub async fn chat(
        &self,
        caller: &Caller,
        conversation_id: Option<i64>,
        message: &str,
    ) -> Result<ChatResponse, BackendError> {
        let body = serde_json::json!({"conversation_id": conversation_id, "message": message});
        self.json(self.request(caller, Method::POST, "/api/{me}/chat").timeout(self.long_timeout).json(&body)).await
    }

    /// Starts a streamed chat turn: the API's server-sent events response.
    pub async fn chat_stream(
        &self,
        caller: &Caller,
        conversation_id: Option<i64>,
        message: &str,
    ) -> Result<reqwest::Response, BackendError> {
        let body = serde_json::json!({"conversation_id": conversation_id, "message": message});
        let req = self
            .request(caller, Method::POST, "/api/{me}/chat")
            .timeout(self.long_timeout)
            .header("accept", "text/event-stream")
            .json(&body);
        self.send(req).await
    }

    pub async fn conversations(&self, caller: &Caller) -> Result<Vec<Conversation>, BackendError> {
        self.json(self.request(caller, Method::GET, "/api/{me}/conversations").query(&[("limit", "20")])).await
    }

    pub async fn messages(&self, caller: &Caller, id: i64) -> Result<Vec<ChatMessage>, BackendError> {
        let req = self.request(caller, Method::GET, &format!("/api/{{me}}/conversations/{id}/messages"));
        self.json(req.query(&[("limit", "100")])).await
    }

    pub async fn delete_conversation(&self, caller: &Caller, id: i64) -> Result<(), BackendError> {
        self.send(self.request(caller, Method::DELETE, &format!("/api/{{me}}/conversations/{id}"))).await.map(|_| ())
    }

    /// The API's readiness, answered within 2 s.
    pub async fn ready(&self) -> bool {
        let req = self.http.get(format!("{}/readyz", self.base)).timeout(Duration::from_secs(2));
        matches!(req.send().await, Ok(res) if res.status() == StatusCode::OK)
    }
}
