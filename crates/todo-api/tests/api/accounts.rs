//! Accounts and tokens, end to end over HTTP, on SQLite and PostgreSQL.

use crate::common::{Db, SECRET, TestApp, User, claims_of, expect_problem, fields, sign_claims};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{Value, json};

on_both_databases!(
    sign_up_sign_in_and_me,
    duplicate_email_is_409_whatever_the_case,
    sign_up_validation_names_fields,
    wrong_password_is_401_and_repeated_failures_get_429,
    tampered_tokens_are_401,
    signed_tokens_of_unknown_or_deleted_users_are_401,
    tokens_without_a_session_are_401,
    tokens_not_valid_yet_are_401,
    refused_tokens_say_only_invalid_token,
);

async fn sign_up_sign_in_and_me(app: TestApp) {
    let res = app
        .req(Method::POST, "/api/auth/sign-up")
        .json(&json!({"email": "  Ada@Example.com ", "password": "correct horse", "name": " Ada "}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["user"]["email"], "ada@example.com");
    assert_eq!(body["user"]["name"], "Ada");
    assert!(body["user"].get("password_hash").is_none());
    let id = body["user"]["id"].as_str().unwrap().to_string();

    let res = app
        .req(Method::POST, "/api/auth/sign-in")
        .json(&json!({"email": "ADA@example.com", "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let signed_in: Value = res.json().await.unwrap();
    let token = signed_in["token"].as_str().unwrap();

    let me: Value = app.req(Method::GET, "/api/auth/me").bearer_auth(token).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["id"], id.as_str());
    assert_eq!(me["email"], "ada@example.com");

    expect_problem(app.req(Method::GET, "/api/auth/me").send().await.unwrap(), 401, "unauthorized").await;
}

async fn duplicate_email_is_409_whatever_the_case(app: TestApp) {
    app.sign_up("bob@example.com").await;
    let res = app
        .req(Method::POST, "/api/auth/sign-up")
        .json(&json!({"email": "BOB@example.com ", "password": "another pass", "name": "Bob 2"}))
        .send()
        .await
        .unwrap();
    expect_problem(res, 409, "conflict").await;
}

async fn sign_up_validation_names_fields(app: TestApp) {
    let res = app
        .req(Method::POST, "/api/auth/sign-up")
        .json(&json!({"email": "not-an-email", "password": "short", "name": ""}))
        .send()
        .await
        .unwrap();
    let p = expect_problem(res, 422, "validation_failed").await;
    assert_eq!(fields(&p), ["email", "password", "name"]);

    let res = app
        .req(Method::POST, "/api/auth/sign-up")
        .json(&json!({"email": "a@b.co", "password": "x".repeat(129), "name": "A"}))
        .send()
        .await
        .unwrap();
    assert_eq!(fields(&expect_problem(res, 422, "validation_failed").await), ["password"]);

    let res = app.req(Method::POST, "/api/auth/sign-up").json(&json!({"email": "a@b.co"})).send().await.unwrap();
    assert_eq!(fields(&expect_problem(res, 422, "validation_failed").await), ["password"]);
}

async fn wrong_password_is_401_and_repeated_failures_get_429(app: TestApp) {
    let user = app.sign_up("carol@example.com").await;
    let attempt = |password: &'static str| {
        app.req(Method::POST, "/api/auth/sign-in")
            .json(&json!({"email": "carol@example.com", "password": password}))
            .send()
    };
    // Unknown emails and wrong passwords look the same.
    let res = app
        .req(Method::POST, "/api/auth/sign-in")
        .json(&json!({"email": "nobody@example.com", "password": "whatever1"}))
        .send()
        .await
        .unwrap();
    let unknown = expect_problem(res, 401, "unauthorized").await;
    let wrong = expect_problem(attempt("wrong pass").await.unwrap(), 401, "unauthorized").await;
    assert_eq!(unknown["detail"], wrong["detail"]);

    // A correct password resets the count.
    assert_eq!(attempt("correct horse").await.unwrap().status(), 200);
    for _ in 0..5 {
        expect_problem(attempt("wrong pass").await.unwrap(), 401, "unauthorized").await;
    }
    let res = attempt("correct horse").await.unwrap();
    let retry_after: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry_after >= 1);
    expect_problem(res, 429, "too_many_sign_in_attempts").await;
    // Other accounts are not affected.
    app.sign_up("dave@example.com").await;
    let res = app
        .req(Method::POST, "/api/auth/sign-in")
        .json(&json!({"email": "dave@example.com", "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // The lock expires by itself.
    tokio::time::sleep(std::time::Duration::from_millis(retry_after * 1000 + 100)).await;
    assert_eq!(attempt("correct horse").await.unwrap().status(), 200);
    let _ = user;
}

fn sign(claims: Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret)).unwrap()
}

async fn tampered_tokens_are_401(app: TestApp) {
    let user = app.sign_up("eve@example.com").await;
    let now = chrono::Utc::now().timestamp();
    let good = json!({"sub": user.id, "iat": now, "exp": now + 600, "iss": "todo-app", "aud": "todo-app"});
    let ok = app.as_user(Method::GET, &user, "/api/{me}/tasks").send().await.unwrap();
    assert_eq!(ok.status(), 200);

    let mut forged = Vec::new();
    forged.push(("wrong secret", sign(good.clone(), b"some-other-secret-some-other-secret!")));
    let mut expired = good.clone();
    expired["iat"] = json!(now - 7200);
    expired["exp"] = json!(now - 3600);
    forged.push(("expired", sign(expired, SECRET.as_bytes())));
    let mut other_aud = good.clone();
    other_aud["aud"] = json!("someone-else");
    forged.push(("wrong audience", sign(other_aud, SECRET.as_bytes())));
    let mut no_exp = good.clone();
    no_exp.as_object_mut().unwrap().remove("exp");
    forged.push(("no exp", sign(no_exp, SECRET.as_bytes())));
    // alg "none": the same claims, unsigned.
    let payload = user.token.split('.').nth(1).unwrap();
    forged.push(("alg none", format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.")));
    // A flipped payload under the original signature.
    let mut parts: Vec<String> = user.token.split('.').map(str::to_string).collect();
    parts[1] =
        sign(json!({"sub": "someone-else", "iat": now, "exp": now + 600, "iss": "todo-app", "aud": "todo-app"}), b"x")
            .split('.')
            .nth(1)
            .unwrap()
            .to_string();
    forged.push(("swapped payload", parts.join(".")));
    forged.push(("garbage", "not.a.jwt".into()));

    for (what, token) in forged {
        let res = app.req(Method::GET, &format!("/api/{}/tasks", user.id)).bearer_auth(&token).send().await.unwrap();
        assert_eq!(res.status(), 401, "{what}");
        assert_eq!(res.headers()["www-authenticate"], "Bearer", "{what}");
    }
    let res = app
        .req(Method::GET, &format!("/api/{}/tasks", user.id))
        .header("authorization", format!("Basic {}", user.token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "non-bearer scheme");
}

/// Runs one statement on the app's database behind its back; returns the
/// first column of the first row, if any, as i64.
async fn sql(app: &TestApp, statement: &str) -> Option<i64> {
    use sqlx::{Connection, Row};
    match app.db {
        Db::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&app.database_url).await.unwrap();
            let row = sqlx::query(statement).fetch_optional(&mut c).await.unwrap();
            row.and_then(|r| r.try_get::<i64, _>(0).ok())
        }
        Db::Postgres => {
            let mut c = sqlx::PgConnection::connect(&app.database_url).await.unwrap();
            let row = sqlx::query(statement).fetch_optional(&mut c).await.unwrap();
            row.and_then(|r| r.try_get::<i64, _>(0).ok())
        }
    }
}

/// Everything a token opens, tried with `token` for the user `sub`: all 401.
async fn assert_token_refused(app: &TestApp, sub: &str, token: &str, what: &str) {
    let requests = [
        ("create", app.req(Method::POST, &format!("/api/{sub}/tasks")).json(&json!({"title": "sneaked in"}))),
        ("list", app.req(Method::GET, &format!("/api/{sub}/tasks"))),
        (
            "chat",
            app.req(Method::POST, &format!("/api/{sub}/chat")).json(&json!({"message": "add a task to buy milk"})),
        ),
        ("me", app.req(Method::GET, "/api/auth/me")),
    ];
    for (route, req) in requests {
        let res = req.bearer_auth(token).send().await.unwrap();
        let p = expect_problem(res, 401, "unauthorized").await;
        assert_eq!(p["detail"], "invalid token", "{what}: {route}");
    }
    let res = app
        .mcp(token, "tools/call", json!({"name": "add_task", "arguments": {"title": "sneaked in via MCP"}}))
        .send()
        .await
        .unwrap();
    expect_problem(res, 401, "unauthorized").await;
}

fn claims_for(sub: &str, sid: Option<&str>) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut c = json!({"sub": sub, "iat": now, "exp": now + 600, "iss": "todo-app", "aud": "todo-app"});
    if let Some(sid) = sid {
        c["sid"] = json!(sid);
    }
    c
}

async fn signed_tokens_of_unknown_or_deleted_users_are_401(app: TestApp) {
    let real = app.sign_up("real@example.com").await;
    // Validly signed (as only someone with the secret can), for nobody.
    let random_sid = uuid::Uuid::new_v4().to_string();
    assert_token_refused(&app, "ghost", &sign_claims(&claims_for("ghost", Some(&random_sid))), "unknown user").await;
    // Someone else's live session under another subject.
    let real_sid = claims_of(&real.token)["sid"].as_str().unwrap().to_string();
    assert_token_refused(&app, "ghost", &sign_claims(&claims_for("ghost", Some(&real_sid))), "borrowed session").await;
    assert_eq!(sql(&app, "SELECT COUNT(*) FROM tasks").await, Some(0), "nothing was written");
    assert_eq!(sql(&app, "SELECT COUNT(*) FROM conversations").await, Some(0), "nothing was written");

    // A user who no longer exists (deleted behind the app's back).
    let gone = app.sign_up("gone@example.com").await;
    let gone_again = app.sign_in(&gone).await;
    sql(&app, &format!("DELETE FROM users WHERE id = '{}'", gone.id)).await;
    assert_token_refused(&app, &gone.id, &gone_again.token, "deleted user").await;
    assert_eq!(app.list_status(&real).await, 200);
}

async fn tokens_without_a_session_are_401(app: TestApp) {
    let user = app.sign_up("old-token@example.com").await;
    // As issued before sessions existed: correct in every other way.
    assert_token_refused(&app, &user.id, &sign_claims(&claims_for(&user.id, None)), "no sid").await;
    assert_token_refused(&app, &user.id, &sign_claims(&claims_for(&user.id, Some(""))), "empty sid").await;
    assert_eq!(app.list_status(&user).await, 200);
}

async fn tokens_not_valid_yet_are_401(app: TestApp) {
    let user = app.sign_up("nbf@example.com").await;
    let now = chrono::Utc::now().timestamp();
    let mut claims = claims_of(&user.token);
    // Re-signed unchanged, it works: only nbf makes the difference below.
    let same = User { token: sign_claims(&claims), ..user.clone() };
    assert_eq!(app.list_status(&same).await, 200);
    claims["nbf"] = json!(now + 3600);
    assert_token_refused(&app, &user.id, &sign_claims(&claims), "nbf in an hour").await;
    claims["nbf"] = json!(now - 10);
    assert_eq!(app.list_status(&User { token: sign_claims(&claims), ..user }).await, 200);
}

async fn refused_tokens_say_only_invalid_token(app: TestApp) {
    let user = app.sign_up("quiet@example.com").await;
    let payload = user.token.split('.').nth(1).unwrap().to_string();
    let mut no_exp = claims_of(&user.token);
    no_exp.as_object_mut().unwrap().remove("exp");
    let mut wrong_type = claims_of(&user.token);
    wrong_type["exp"] = json!("tomorrow");
    let tokens = [
        ("alg none", format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.")),
        ("no exp", sign_claims(&no_exp)),
        ("exp not a number", sign_claims(&wrong_type)),
        ("garbage", "not.a.jwt".to_string()),
        ("not base64", "%%%.%%%.%%%".to_string()),
        ("wrong secret", sign(claims_of(&user.token), b"some-other-secret-some-other-secret!")),
    ];
    for (what, token) in tokens {
        let res = app.req(Method::GET, &format!("/api/{}/tasks", user.id)).bearer_auth(&token).send().await.unwrap();
        let body = expect_problem(res, 401, "unauthorized").await;
        assert_eq!(body["detail"], "invalid token", "{what}: {body}");
        let text = body.to_string();
        for leak in ["variant", "missing field", "line 1", "column", "Base64", "InvalidSignature"] {
            assert!(!text.contains(leak), "{what}: {text}");
        }
    }
    // No token at all is said as such.
    let res = app.req(Method::GET, &format!("/api/{}/tasks", user.id)).send().await.unwrap();
    assert_eq!(expect_problem(res, 401, "unauthorized").await["detail"], "missing bearer token");
}
