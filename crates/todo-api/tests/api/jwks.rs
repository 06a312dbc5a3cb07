//! Tokens from an external issuer (Better Auth's JWT plugin and the like), checked
//! against a JWKS served over HTTP by a stand-in identity provider.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::common::{Db, TestApp, TestAppBuilder, expect_problem};
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{Value, json};
use todo_api::ApiArgs;

// Test-only Ed25519 keys, generated with `openssl genpkey -algorithm ed25519`.
const KEY1_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIKCyIe4HjyKv3ClLw29MC8n+hbPGMBek3HhMKKCOdEvQ\n-----END PRIVATE KEY-----\n";
const KEY1_X: &str = "l4o3ysgrcbzBCNlDmG03Pq-EMD_vEMd4j4Ea3u9LEJk";
const KEY2_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIG0iPZRzYvQ6PxhiETj1mfaZ76TbmKBVK2UNTui9gdAi\n-----END PRIVATE KEY-----\n";
const KEY2_X: &str = "7cR2UyFkWDXG_lfaoFwqWXV-b6QJaWRjEDG0Vl4Aq5A";

fn jwk(kid: &str, x: &str) -> Value {
    json!({"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig"})
}

/// A JWKS endpoint whose key set the test can change, counting fetches.
struct Provider {
    url: String,
    keys: Arc<Mutex<Vec<Value>>>,
    fetches: Arc<AtomicUsize>,
}

async fn provider(keys: Vec<Value>) -> Provider {
    let keys = Arc::new(Mutex::new(keys));
    let fetches = Arc::new(AtomicUsize::new(0));
    let (k, f) = (keys.clone(), fetches.clone());
    let app = Router::new().route(
        "/api/auth/jwks",
        get(move || {
            let (k, f) = (k.clone(), f.clone());
            async move {
                f.fetch_add(1, Ordering::SeqCst);
                Json(json!({"keys": *k.lock().unwrap()}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/auth/jwks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Provider { url, keys, fetches }
}

const ISSUER: &str = "https://id.example.com";
const AUDIENCE: &str = "todo-app-api";

/// The flags naming the issuer and audience that AUTH_JWKS_URL requires.
const CHECKED: [&str; 2] = ["--auth-jwks-issuer=https://id.example.com", "--auth-jwks-audience=todo-app-api"];

/// A server accepting the tokens of the identity provider at `jwks_url`, with
/// the issuer and audience that AUTH_JWKS_URL requires.
fn checked(db: Db, jwks_url: &str) -> TestAppBuilder {
    let jwks_url = jwks_url.to_string();
    TestApp::builder().database(db).config(|a: &mut ApiArgs| {
        a.auth.auth_jwks_url = Some(jwks_url);
        a.auth.auth_jwks_issuer = Some(ISSUER.to_string());
        a.auth.auth_jwks_audience = Some(AUDIENCE.to_string());
    })
}

fn ed_claims(sub: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"sub": sub, "iat": now, "exp": now + 600, "iss": ISSUER, "aud": AUDIENCE})
}

fn ed_token(pem: &str, kid: &str, sub: &str) -> String {
    ed_token_with(pem, kid, &ed_claims(sub))
}

fn ed_token_with(pem: &str, kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_pem(pem.as_bytes()).unwrap()).unwrap()
}

fn hs_token(secret: &str, sub: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"sub": sub, "iat": now, "exp": now + 600, "iss": "todo-app", "aud": "todo-app"});
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_only_accepts_external_tokens_and_refuses_hs256() {
    let idp = provider(vec![jwk("k1", KEY1_X)]).await;
    let app = checked(Db::Sqlite, &idp.url).no_secret().start().await;

    let token = ed_token(KEY1_PEM, "k1", "external-user-1");
    let res = app
        .req(Method::POST, "/api/external-user-1/tasks")
        .bearer_auth(&token)
        .json(&json!({"title": "from Better Auth"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = app.req(Method::GET, "/api/external-user-1/tasks").bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), 200);
    // The subject still has to match the path.
    let res = app.req(Method::GET, "/api/someone-else/tasks").bearer_auth(&token).send().await.unwrap();
    expect_problem(res, 403, "forbidden").await;

    // An HS256 token, even one signed with a plausible secret, is refused outright:
    // no HMAC key exists in JWKS-only mode.
    for secret in ["", "test-secret-test-secret-test-secret-0123", KEY1_X] {
        let res = app
            .req(Method::GET, "/api/external-user-1/tasks")
            .bearer_auth(hs_token(secret, "external-user-1"))
            .send()
            .await
            .unwrap();
        expect_problem(res, 401, "unauthorized").await;
    }
    // A token signed by another key under a known kid, a wrong issuer, a wrong
    // audience (a token the provider issued for another application), and one
    // not valid for another hour.
    let mut other_iss = ed_claims("external-user-1");
    other_iss["iss"] = json!("https://evil.example.com");
    let mut other_aud = ed_claims("external-user-1");
    other_aud["aud"] = json!("another-app");
    let mut later = ed_claims("external-user-1");
    later["nbf"] = json!(chrono::Utc::now().timestamp() + 3600);
    for (what, token) in [
        ("other key", ed_token(KEY2_PEM, "k1", "external-user-1")),
        ("other issuer", ed_token_with(KEY1_PEM, "k1", &other_iss)),
        ("other audience", ed_token_with(KEY1_PEM, "k1", &other_aud)),
        ("not valid yet", ed_token_with(KEY1_PEM, "k1", &later)),
    ] {
        let res = app.req(Method::GET, "/api/external-user-1/tasks").bearer_auth(token).send().await.unwrap();
        let p = expect_problem(res, 401, "unauthorized").await;
        assert_eq!(p["detail"], "invalid token", "{what}");
    }
    // Local accounts are off: the identity provider signs users in.
    let res = app
        .req(Method::POST, "/api/auth/sign-up")
        .json(&json!({"email": "a@b.co", "password": "password1", "name": "A"}))
        .send()
        .await
        .unwrap();
    expect_problem(res, 501, "not_implemented").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_kid_refetches_the_key_set_but_not_too_often() {
    let idp = provider(vec![jwk("k1", KEY1_X)]).await;
    let app = checked(Db::Sqlite, &idp.url).no_secret().config(|a| a.auth.auth_jwks_min_refresh_secs = 1).start().await;
    let get = |token: String| app.req(Method::GET, "/api/ext-2/tasks").bearer_auth(token).send();

    assert_eq!(get(ed_token(KEY1_PEM, "k1", "ext-2")).await.unwrap().status(), 200);
    assert_eq!(get(ed_token(KEY1_PEM, "k1", "ext-2")).await.unwrap().status(), 200);
    assert_eq!(idp.fetches.load(Ordering::SeqCst), 1, "keys are cached");

    // The issuer rotates to a new key.
    idp.keys.lock().unwrap().push(jwk("k2", KEY2_X));
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(get(ed_token(KEY2_PEM, "k2", "ext-2")).await.unwrap().status(), 200, "new kid is fetched");
    assert_eq!(idp.fetches.load(Ordering::SeqCst), 2);

    // Random kids do not hammer the issuer.
    for i in 0..5 {
        let res = get(ed_token(KEY2_PEM, &format!("bogus-{i}"), "ext-2")).await.unwrap();
        expect_problem(res, 401, "unauthorized").await;
    }
    assert!(idp.fetches.load(Ordering::SeqCst) <= 3, "{} fetches", idp.fetches.load(Ordering::SeqCst));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_and_external_tokens_work_side_by_side() {
    for db in [Db::Sqlite, Db::Postgres] {
        let idp = provider(vec![jwk("k1", KEY1_X)]).await;
        let app = checked(db, &idp.url).start().await;
        let local = app.sign_up("local@example.com").await;
        assert_eq!(app.as_user(Method::GET, &local, "/api/{me}/tasks").send().await.unwrap().status(), 200);
        // External users need no local account nor session here, whatever
        // `sid` their issuer puts in (it names a session over there).
        let mut claims = ed_claims("ext-3");
        claims["sid"] = json!("a-session-of-the-identity-provider");
        for token in [ed_token(KEY1_PEM, "k1", "ext-3"), ed_token_with(KEY1_PEM, "k1", &claims)] {
            let res = app
                .req(Method::POST, "/api/ext-3/tasks")
                .bearer_auth(&token)
                .json(&json!({"title": "external"}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 201, "{db:?}");
            // Their sessions end at the identity provider, not here.
            for path in ["/api/auth/sign-out", "/api/auth/sign-out-everywhere"] {
                let res = app.req(Method::POST, path).bearer_auth(&token).send().await.unwrap();
                expect_problem(res, 501, "not_implemented").await;
            }
        }
        // Signing the local user out leaves external users alone.
        let res = app.req(Method::POST, "/api/auth/sign-out").bearer_auth(&local.token).send().await.unwrap();
        assert_eq!(res.status(), 204);
        assert_eq!(app.as_user(Method::GET, &local, "/api/{me}/tasks").send().await.unwrap().status(), 401);
        let res = app.req(Method::GET, "/api/ext-3/tasks").bearer_auth(ed_token(KEY1_PEM, "k1", "ext-3")).send().await;
        assert_eq!(res.unwrap().status(), 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_needs_an_issuer_and_an_audience_unless_told_to_accept_any() {
    let idp = provider(vec![jwk("k1", KEY1_X)]).await;
    let jwks = format!("--auth-jwks-url={}", idp.url);
    let url = crate::common::fresh_database(Db::Sqlite).await;
    for (secret, flags, missing) in [
        (false, vec![jwks.as_str()], "AUTH_JWKS_ISSUER and AUTH_JWKS_AUDIENCE"),
        (true, vec![jwks.as_str()], "AUTH_JWKS_ISSUER and AUTH_JWKS_AUDIENCE"),
        (false, vec![jwks.as_str(), CHECKED[0]], "AUTH_JWKS_AUDIENCE"),
        (false, vec![jwks.as_str(), CHECKED[1]], "AUTH_JWKS_ISSUER"),
    ] {
        let mut args = crate::common::args(&url, &flags);
        if !secret {
            args.auth.better_auth_secret = None;
        }
        let err = args.resolve().err().expect("refused").to_string();
        assert!(err.starts_with("configuration error: AUTH_JWKS_URL needs"), "{err}");
        assert!(err.contains(missing) && err.contains("AUTH_JWKS_ACCEPT_ANY_ISSUER_AND_AUDIENCE=true"), "{err}");
    }

    // Told to, it accepts the provider's tokens for any issuer and audience.
    let app = TestApp::builder()
        .no_secret()
        .config(|a| {
            a.auth.auth_jwks_url = Some(idp.url.clone());
            a.auth.auth_jwks_accept_any_issuer_and_audience = true;
        })
        .start()
        .await;
    let mut claims = ed_claims("ext-5");
    claims["iss"] = json!("https://anyone.example.com");
    claims["aud"] = json!("any-app");
    let res = app.req(Method::GET, "/api/ext-5/tasks").bearer_auth(ed_token_with(KEY1_PEM, "k1", &claims)).send();
    assert_eq!(res.await.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_identity_provider_is_503_not_500() {
    let app = checked(Db::Sqlite, "http://127.0.0.1:9/jwks").no_secret().start().await;
    let res =
        app.req(Method::GET, "/api/ext-4/tasks").bearer_auth(ed_token(KEY1_PEM, "k1", "ext-4")).send().await.unwrap();
    assert!(res.headers().contains_key("retry-after"));
    expect_problem(res, 503, "service_unavailable").await;
}
