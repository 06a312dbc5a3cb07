//! Test harness: the real todo-api (on a fresh SQLite file, built-in assistant)
//! and the real todo-web, each on a random port, driven over HTTP.
#![allow(dead_code)]

use clap::Parser;
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};

#[derive(Parser)]
struct ApiCli {
    #[command(flatten)]
    api: todo_api::ApiArgs,
}

#[derive(Parser)]
struct WebCli {
    #[command(flatten)]
    web: todo_web::WebArgs,
}

pub const SECRET: &str = "test-secret-test-secret-test-secret-0123";

pub struct Server {
    pub base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        self.task.abort();
    }
}

impl Server {
    /// Triggers the graceful shutdown and waits for the server to stop.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let task = std::mem::replace(&mut self.task, tokio::spawn(async {}));
        let _ = task.await;
    }

    /// Triggers the shutdown without waiting.
    pub fn begin_stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// A fresh database: an SQLite file, or a new database in the PostgreSQL
/// cluster of `TEST_DATABASE_URL` (which scripts/test.sh starts).
pub async fn fresh_database(db: Db) -> String {
    match db {
        Db::Sqlite => {
            let dir = std::env::temp_dir().join(format!("todo-web-test-{}", rand_suffix()));
            std::fs::create_dir_all(&dir).unwrap();
            format!("sqlite://{}", dir.join("todo.db").display())
        }
        Db::Postgres => {
            use sqlx::Connection;
            let admin =
                std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL (scripts/test.sh starts PostgreSQL)");
            let name = format!("todo_web_test_{}", rand_suffix());
            let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect to TEST_DATABASE_URL");
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create test database");
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
            format!("{base}/{name}")
        }
    }
}

pub async fn spawn_api() -> Server {
    spawn_api_on(Db::Sqlite).await
}

pub async fn spawn_api_on(db: Db) -> Server {
    let database_url = fresh_database(db).await;
    let argv = [
        "todo-api".to_string(),
        "--host=127.0.0.1".into(),
        "--port=0".into(),
        format!("--database-url={database_url}"),
        "--log-format=json".into(),
        format!("--better-auth-secret={SECRET}"),
        "--llm-provider=builtin".into(),
    ];
    let cfg = ApiCli::try_parse_from(argv).expect("valid API flags").api.resolve().expect("valid API config");
    let app = todo_api::Application::build(cfg).await.expect("API starts");
    let base = format!("http://{}", app.local_addr());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = app
            .serve(async move {
                let _ = rx.await;
            })
            .await;
    });
    Server { base, stop: Some(tx), task }
}

pub async fn spawn_web(backend: &str, extra: &[&str]) -> Server {
    let mut argv = vec![
        "todo-web".to_string(),
        "--host=127.0.0.1".into(),
        "--port=0".into(),
        format!("--backend-url={backend}"),
        "--log-format=json".into(),
        "--shutdown-timeout-secs=2".into(),
    ];
    argv.extend(extra.iter().map(|s| s.to_string()));
    let cfg = WebCli::try_parse_from(argv).expect("valid web flags").web.resolve().expect("valid web config");
    let app = todo_web::Application::build(cfg).await.expect("web starts");
    let base = format!("http://{}", app.local_addr());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = app
            .serve(async move {
                let _ = rx.await;
            })
            .await;
    });
    Server { base, stop: Some(tx), task }
}

fn rand_suffix() -> String {
    let n: u64 = rand::random();
    format!("{n:016x}")
}

/// An address nothing listens on.
pub async fn dead_backend() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

/// The API and the web service, with a browser-like client (cookies, redirects).
pub struct Stack {
    pub api: Server,
    pub web: Server,
    pub browser: Client,
}

pub async fn stack() -> Stack {
    stack_on(Db::Sqlite).await
}

pub async fn stack_on(db: Db) -> Stack {
    let api = spawn_api_on(db).await;
    let web = spawn_web(&api.base, &[]).await;
    Stack { api, web, browser: browser(true) }
}

pub fn browser(follow: bool) -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(if follow { Policy::limited(5) } else { Policy::none() })
        .build()
        .unwrap()
}

impl Stack {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.web.base, path)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        let res = self.browser.get(self.url(path)).send().await.unwrap();
        let status = res.status();
        (status, res.text().await.unwrap())
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.browser.post(self.url(path)).form(form).send().await.unwrap()
    }

    /// Signs up through the form; returns the task page HTML.
    pub async fn sign_up(&self, email: &str) -> String {
        let (status, page) = self.get("/sign-up").await;
        assert_eq!(status, 200);
        let csrf = csrf_of(&page);
        let res = self
            .post(
                "/sign-up",
                &[("csrf", &csrf), ("name", "Ada Lovelace"), ("email", email), ("password", "correct horse")],
            )
            .await;
        assert_eq!(res.status(), 200, "sign-up ends on the task page");
        assert!(res.url().path().starts_with("/tasks"), "{}", res.url());
        res.text().await.unwrap()
    }

    /// The CSRF token of the current task page.
    pub async fn csrf(&self) -> String {
        let (status, page) = self.get("/tasks").await;
        assert_eq!(status, 200);
        csrf_of(&page)
    }

    /// Adds a task through the form; returns the page after the redirect.
    pub async fn add_task(&self, fields: &[(&str, &str)]) -> String {
        let csrf = self.csrf().await;
        let mut form = vec![("csrf", csrf.as_str()), ("back", "")];
        form.extend_from_slice(fields);
        let res = self.post("/tasks", &form).await;
        assert_eq!(res.status(), 200, "add task {fields:?}");
        res.text().await.unwrap()
    }
}

/// The value of the first `name="csrf"` hidden field (or the meta tag).
pub fn csrf_of(html: &str) -> String {
    for marker in [r#"name="csrf" value=""#, r#"name="csrf-token" content=""#] {
        if let Some(i) = html.find(marker) {
            let rest = &html[i + marker.len()..];
            return rest[..rest.find('"').unwrap()].to_string();
        }
    }
    panic!("no CSRF token in the page:\n{html}");
}

/// The ids of the task rows in page order.
pub fn task_ids(html: &str) -> Vec<i64> {
    html.match_indices(r#"data-testid="task-"#)
        .map(|(i, m)| {
            let rest = &html[i + m.len()..];
            rest[..rest.find('"').unwrap()].parse().unwrap()
        })
        .collect()
}
