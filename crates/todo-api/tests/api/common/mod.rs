//! Test harness: the real application on a random port against a fresh database,
//! SQLite (a temporary file) or PostgreSQL (a new database in the cluster named by
//! `TEST_DATABASE_URL`, which `scripts/test.sh` starts).
#![allow(dead_code)]

use std::path::PathBuf;

use clap::Parser;
use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};
use sqlx::Connection;
use todo_api::{ApiArgs, Application};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

#[derive(Parser)]
struct TestCli {
    #[command(flatten)]
    api: ApiArgs,
}

pub const SECRET: &str = "test-secret-test-secret-test-secret-0123";

/// A fresh database URL for one test.
pub async fn fresh_database(db: Db) -> String {
    let name = format!("todo_test_{}", uuid::Uuid::new_v4().simple());
    match db {
        Db::Sqlite => {
            let dir = std::env::temp_dir().join(&name);
            std::fs::create_dir_all(&dir).unwrap();
            format!("sqlite://{}", dir.join("todo.db").display())
        }
        Db::Postgres => {
            let admin = std::env::var("TEST_DATABASE_URL").expect(
                "TEST_DATABASE_URL is not set: run ./scripts/test.sh, which starts PostgreSQL, \
                 or point it at a server where tests may create databases",
            );
            let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect to TEST_DATABASE_URL");
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create test database");
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
            format!("{base}/{name}")
        }
    }
}

/// Parses flags the way the binary does, after the test defaults (this
/// database, a free loopback port, JSON logs, the test servers' `SECRET`): for
/// the tests of flag parsing itself. Other tests configure with typed fields
/// through [`TestApp::builder`].
pub fn args(database_url: &str, extra: &[&str]) -> ApiArgs {
    let mut argv = vec![
        "todo-api".to_string(),
        "--host=127.0.0.1".into(),
        "--port=0".into(),
        format!("--database-url={database_url}"),
        "--log-format=json".into(),
        format!("--better-auth-secret={SECRET}"),
    ];
    argv.extend(extra.iter().map(|s| s.to_string()));
    TestCli::try_parse_from(argv).expect("valid test flags").api
}

/// The test defaults: the binary's defaults (from its flag definitions) but
/// listening on a free loopback port, logging JSON, signing with `SECRET`.
fn default_args() -> ApiArgs {
    let argv = ["todo-api", "--host=127.0.0.1", "--port=0", "--log-format=json"];
    let mut api = TestCli::try_parse_from(argv).expect("valid test flags").api;
    api.auth.better_auth_secret = Some(SecretString::from(SECRET));
    api
}

pub struct TestApp {
    pub base: String,
    pub db: Db,
    pub database_url: String,
    pub client: Client,
    server: tokio::task::JoinHandle<()>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// How to start a [`TestApp`]: which database, and the configuration as typed
/// `ApiArgs` fields.
pub struct TestAppBuilder {
    db: Db,
    database_url: Option<String>,
    args: ApiArgs,
}

impl TestAppBuilder {
    /// A fresh database of this kind (the default: SQLite).
    pub fn database(mut self, db: Db) -> Self {
        self.db = db;
        self.database_url = None;
        self
    }

    /// An existing database, e.g. another server's (`app.database_url`): a
    /// second replica, or a restart on the same data.
    pub fn on_database(mut self, database_url: &str) -> Self {
        self.db = if database_url.starts_with("postgres") { Db::Postgres } else { Db::Sqlite };
        self.database_url = Some(database_url.to_string());
        self
    }

    /// Changes the configuration: `.config(|a| a.quotas.quota_tasks_per_user = 2)`.
    pub fn config(mut self, change: impl FnOnce(&mut ApiArgs)) -> Self {
        change(&mut self.args);
        self
    }

    /// No BETTER_AUTH_SECRET (a random one, or none with AUTH_JWKS_URL).
    pub fn no_secret(self) -> Self {
        self.config(|a| a.auth.better_auth_secret = None)
    }

    /// Creates the database unless one was given, and starts the server.
    pub async fn start(self) -> TestApp {
        let url = match self.database_url {
            Some(url) => url,
            None => fresh_database(self.db).await,
        };
        let mut args = self.args;
        args.database.database_url = Some(url.clone());
        let cfg = args.resolve().expect("valid test config");
        let app = Application::build(cfg).await.expect("app starts");
        let base = format!("http://{}", app.local_addr());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            app.serve(async move {
                let _ = rx.await;
            })
            .await
            .expect("server runs");
        });
        TestApp {
            base,
            db: self.db,
            database_url: url,
            client: Client::builder().build().unwrap(),
            server,
            stop: Some(tx),
        }
    }
}

/// The app with the test defaults on a fresh database.
pub async fn spawn(db: Db) -> TestApp {
    TestApp::builder().database(db).start().await
}

/// A signed-up user and their token.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub email: String,
    pub token: String,
}

impl TestApp {
    /// Starts configuring a test server: SQLite and the test defaults until told otherwise.
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder { db: Db::Sqlite, database_url: None, args: default_args() }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    pub fn as_user(&self, method: Method, user: &User, path: &str) -> RequestBuilder {
        self.req(method, &path.replace("{me}", &user.id)).bearer_auth(&user.token)
    }

    pub async fn sign_up(&self, email: &str) -> User {
        let res = self
            .req(Method::POST, "/api/auth/sign-up")
            .json(&json!({"email": email, "password": "correct horse", "name": "Test User"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED, "sign-up of {email}");
        let body: Value = res.json().await.unwrap();
        User {
            id: body["user"]["id"].as_str().unwrap().to_string(),
            email: body["user"]["email"].as_str().unwrap().to_string(),
            token: body["token"].as_str().unwrap().to_string(),
        }
    }

    /// Signs in again as `user`: a new session with its own token.
    pub async fn sign_in(&self, user: &User) -> User {
        let res = self
            .req(Method::POST, "/api/auth/sign-in")
            .json(&json!({"email": user.email, "password": "correct horse"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "sign-in of {}", user.email);
        let body: Value = res.json().await.unwrap();
        User { token: body["token"].as_str().unwrap().to_string(), ..user.clone() }
    }

    /// The status of a request that needs the token: the user's task list.
    pub async fn list_status(&self, user: &User) -> u16 {
        self.as_user(Method::GET, user, "/api/{me}/tasks").send().await.unwrap().status().as_u16()
    }

    /// A JSON-RPC request to /mcp with `token`.
    pub fn mcp(&self, token: &str, method: &str, params: Value) -> RequestBuilder {
        self.req(Method::POST, "/mcp")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-11-25")
            .bearer_auth(token)
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
    }

    pub async fn create_task(&self, user: &User, body: Value) -> Value {
        let res = self.as_user(Method::POST, user, "/api/{me}/tasks").json(&body).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED, "create {body}");
        res.json().await.unwrap()
    }

    /// Lists with a query string; returns (total, titles in order).
    pub async fn list(&self, user: &User, query: &str) -> (i64, Vec<String>) {
        let res = self.as_user(Method::GET, user, &format!("/api/{{me}}/tasks?{query}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "list ?{query}");
        let total = res.headers()["x-total-count"].to_str().unwrap().parse().unwrap();
        let tasks: Vec<Value> = res.json().await.unwrap();
        (total, tasks.iter().map(|t| t["title"].as_str().unwrap().to_string()).collect())
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let server = std::mem::replace(&mut self.server, tokio::spawn(async {}));
        let _ = server.await;
    }
}

/// Asserts a problem+json response with the given status and code; returns the body.
pub async fn expect_problem(res: Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "status for expected {code}");
    let ct = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    assert_eq!(ct, "application/problem+json", "content type of {code}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
    body
}

/// The claims of a token, read without checking it.
pub fn claims_of(token: &str) -> Value {
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    v.insecure_disable_signature_validation();
    v.validate_aud = false;
    v.validate_exp = false;
    v.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(token, &jsonwebtoken::DecodingKey::from_secret(b""), &v).unwrap().claims
}

/// A token with these claims, signed with the test servers' secret: what only
/// this service (or someone holding its secret) can make.
pub fn sign_claims(claims: &Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

/// The fields named in a validation problem.
pub fn fields(problem: &Value) -> Vec<String> {
    problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect()
}

pub fn temp_dir(prefix: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Declares one test per database for an `async fn(Db)` that starts its own servers.
macro_rules! for_both_databases {
    ($($case:ident),+ $(,)?) => {
        $(
            mod $case {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() { super::$case($crate::common::Db::Sqlite).await }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() { super::$case($crate::common::Db::Postgres).await }
            }
        )+
    };
}

/// Declares one test per database for an `async fn(TestApp)`.
macro_rules! on_both_databases {
    ($($case:ident),+ $(,)?) => {
        $(
            mod $case {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$case($crate::common::spawn($crate::common::Db::Sqlite).await).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$case($crate::common::spawn($crate::common::Db::Postgres).await).await
                }
            }
        )+
    };
}
