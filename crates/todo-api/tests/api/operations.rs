//! Health, readiness, metrics, OpenAPI, CORS and behaviour under overload.

use crate::common::{Db, TestApp, spawn};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_databases!(
    health_readiness_and_metrics,
    overload_far_beyond_the_pool_never_stalls,
    connections_are_open_before_the_first_request
);

/// DATABASE_WARM_CONNECTIONS: the server listens with that many connections
/// already open, none with 0.
async fn connections_are_open_before_the_first_request(seed: TestApp) {
    for (warm, open) in [(3, 3), (0, 1)] {
        let app = TestApp::builder()
            .on_database(&seed.database_url)
            .config(|a| a.database.database_warm_connections = warm)
            .start()
            .await;
        let metrics = app.req(Method::GET, "/metrics").send().await.unwrap().text().await.unwrap();
        // Without warming, only the migrations' connection is open.
        assert!(metrics.contains(&format!("\ndb_pool_connections {open}\n")), "warm={warm}:\n{metrics}");
    }
}

async fn health_readiness_and_metrics(app: TestApp) {
    let u = app.sign_up("ops@example.com").await;
    app.create_task(&u, json!({"title": "count me"})).await;
    // The first list renders the page, the second reuses it.
    app.list(&u, "").await;
    app.list(&u, "").await;
    let health: Value = app.req(Method::GET, "/healthz").send().await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "ok");
    let res = app.req(Method::GET, "/readyz").send().await.unwrap();
    assert_eq!(res.status(), 200);

    let metrics = app.req(Method::GET, "/metrics").send().await.unwrap().text().await.unwrap();
    for needle in [
        r#"http_requests_total{method="POST",route="/api/{user_id}/tasks",status="201"} 1"#,
        r#"http_requests_total{method="GET",route="/healthz",status="200"} 1"#,
        r#"http_request_duration_seconds_bucket{le="0.00025",method="POST",route="/api/{user_id}/tasks"}"#,
        "db_pool_connections ",
        "db_pool_idle_connections ",
        "db_pool_max_connections 10",
        "http_requests_in_flight ",
        r#"task_json_cache_pages_total{result="miss"} 1"#,
        r#"task_json_cache_pages_total{result="hit"} 1"#,
    ] {
        assert!(metrics.contains(needle), "metrics lack {needle}:\n{metrics}");
    }
    assert!(!metrics.contains(&u.id), "ids must not become labels");
}

/// 300 concurrent requests against a pool of 2 connections: every one is answered
/// with a success or a 503 carrying Retry-After, and /healthz answers meanwhile.
async fn overload_far_beyond_the_pool_never_stalls(seed: TestApp) {
    let app = TestApp::builder()
        .on_database(&seed.database_url)
        .config(|a| {
            a.database.database_max_connections = 2;
            a.database.database_acquire_timeout_ms = 300;
        })
        .start()
        .await;
    let u = app.sign_up("load@example.com").await;
    for i in 0..20 {
        app.create_task(&u, json!({"title": format!("task {i}")})).await;
    }
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let mut requests = tokio::task::JoinSet::new();
    for i in 0..300 {
        let (client, url, token) =
            (client.clone(), app.url(&format!("/api/{}/tasks?limit=100", u.id)), u.token.clone());
        let create_url = app.url(&format!("/api/{}/tasks", u.id));
        requests.spawn(async move {
            let res = if i % 3 == 0 {
                client.post(create_url).bearer_auth(token).json(&json!({"title": format!("load {i}")})).send().await
            } else {
                client.get(url).bearer_auth(token).send().await
            }
            .expect("every request gets an answer");
            let status = res.status();
            let retry = res.headers().get("retry-after").is_some();
            (i % 3 == 0, status, retry)
        });
    }
    // Liveness does not queue behind the database.
    let health = client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);

    let (mut ok, mut shed, mut created) = (0, 0, 0);
    while let Some(r) = requests.join_next().await {
        let (is_create, status, retry) = r.unwrap();
        match status {
            StatusCode::OK | StatusCode::CREATED => {
                ok += 1;
                created += usize::from(is_create);
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                assert!(retry, "503 without Retry-After");
                shed += 1;
            }
            other => panic!("unexpected status {other} under load"),
        }
    }
    assert_eq!(ok + shed, 300);
    assert!(ok > 0, "some requests must succeed");
    // It recovers at once, and every 201 was really written.
    assert_eq!(app.list(&u, "").await.0 as usize, 20 + created);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_covers_every_route() {
    let app = spawn(Db::Sqlite).await;
    let doc: Value = app.req(Method::GET, "/api/openapi.json").send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let expected = [
        ("/api/auth/sign-up", "post"),
        ("/api/auth/sign-in", "post"),
        ("/api/auth/me", "get"),
        ("/api/auth/me", "patch"),
        ("/api/auth/sign-out", "post"),
        ("/api/auth/sign-out-everywhere", "post"),
        ("/api/auth/password", "post"),
        ("/api/auth/delete-account", "post"),
        ("/api/auth/export", "get"),
        ("/api/auth/import", "post"),
        ("/api/auth/calendar-feed", "post"),
        ("/api/auth/calendar-feed", "delete"),
        ("/api/calendar/{file}", "get"),
        ("/api/{user_id}/tasks", "get"),
        ("/api/{user_id}/tasks", "post"),
        ("/api/{user_id}/tasks/{id}", "get"),
        ("/api/{user_id}/tasks/{id}", "put"),
        ("/api/{user_id}/tasks/{id}", "patch"),
        ("/api/{user_id}/tasks/{id}", "delete"),
        ("/api/{user_id}/tasks/{id}/complete", "patch"),
        ("/api/{user_id}/tasks/{id}/restore", "post"),
        ("/api/{user_id}/tasks/bulk", "post"),
        ("/api/{user_id}/tasks/counts", "get"),
        ("/api/{user_id}/chat", "post"),
        ("/api/{user_id}/conversations", "get"),
        ("/api/{user_id}/conversations/{id}/messages", "get"),
        ("/api/{user_id}/conversations/{id}", "delete"),
        ("/mcp", "post"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
        ("/api/openapi.json", "get"),
    ];
    let paths = doc["paths"].as_object().unwrap();
    let mut documented = 0;
    for (path, ops) in paths {
        for (method, _) in ops.as_object().unwrap() {
            assert!(
                expected.contains(&(path.as_str(), method.as_str())),
                "undocumented expectation for {method} {path}"
            );
            documented += 1;
        }
    }
    assert_eq!(documented, expected.len());
    // Every documented operation is really served (anything but a route 404/405).
    for (path, method) in expected {
        let path = path.replace("{user_id}", "u").replace("{id}", "1");
        let res = app.req(method.to_uppercase().parse().unwrap(), &path).send().await.unwrap();
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        assert!(!body.contains("route_not_found") && status != 405, "{method} {path} is not served: {status} {body}");
    }
    assert!(doc["components"]["schemas"]["Task"].is_object());
    assert!(doc["components"]["schemas"]["SignedOutEverywhere"].is_object());
    assert!(doc["paths"]["/api/auth/sign-out"]["post"]["responses"]["204"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

/// Every operation documents the responses its extractors and layers can give
/// (see `routes::doc`), so a client generated from the document meets no
/// undocumented status; scripts/test-fuzz.sh checks the same against the
/// running server, this keeps it true for a route added later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_states_every_error_and_limit() {
    let app = spawn(Db::Sqlite).await;
    let doc: Value = app.req(Method::GET, "/api/openapi.json").send().await.unwrap().json().await.unwrap();

    // Every reference resolves.
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r);
                }
                m.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("external $ref {r}"));
        assert!(doc.pointer(pointer).is_some(), "dangling $ref {r}");
    }
    let resolve = |v: &Value| -> Value {
        match v["$ref"].as_str() {
            Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap().clone(),
            None => v.clone(),
        }
    };

    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let name = format!("{} {path}", method.to_uppercase());
            let responses = op["responses"].as_object().unwrap();
            let has = |status: &str| responses.contains_key(status);
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let mut expected = Vec::new();
            if op.get("security").is_some() {
                expected.extend(["401", "503"]);
            }
            if path.contains("{user_id}") {
                expected.push("403");
            }
            if path.contains("{id}") {
                expected.push("404");
            }
            if params.iter().any(|p| p["in"] == "query") {
                expected.push("422");
            }
            if op.get("requestBody").is_some() {
                expected.extend(["413", "415"]);
                if path != "/mcp" {
                    expected.extend(["400", "422"]);
                }
            }
            for status in expected {
                assert!(has(status), "{name} does not document {status}");
            }
            for p in &params {
                if p["in"] == "path" {
                    assert_eq!(p["required"], true, "{name}: path parameter {} must be required", p["name"]);
                }
            }
            // The API's own errors are problems; readiness answers with its
            // health, and the MCP transport's refusals are its own.
            for (status, response) in responses {
                let mcp_own = path == "/mcp" && status != "401" && status != "503";
                if !status.starts_with(['4', '5']) || path == "/readyz" || mcp_own {
                    continue;
                }
                let schema = &resolve(response)["content"]["application/problem+json"]["schema"];
                assert_eq!(schema["$ref"], "#/components/schemas/Problem", "{name} {status} is not a problem");
            }
            if let Some(body) = op.get("requestBody") {
                let schema = resolve(&body["content"]["application/json"]["schema"]);
                // One of several bodies (a bulk action): each refuses unknown fields.
                let variants = match schema["oneOf"].as_array() {
                    Some(all) => all.iter().map(resolve).collect(),
                    None => vec![schema],
                };
                for variant in variants {
                    if path != "/mcp" {
                        assert_eq!(variant["additionalProperties"], false, "{name}: unknown fields are refused");
                    }
                }
            }
        }
    }

    // The limits come from the same constants as the validation.
    let schemas = &doc["components"]["schemas"];
    let title = &schemas["TaskInput"]["properties"]["title"];
    assert_eq!((title["minLength"].as_u64(), title["maxLength"].as_u64()), (Some(1), Some(200)));
    assert_eq!(schemas["TaskInput"]["properties"]["description"]["maxLength"], 1000);
    assert_eq!(schemas["TaskInput"]["properties"]["tags"]["maxItems"], 10);
    assert_eq!(schemas["SignUpInput"]["properties"]["password"]["minLength"], 8);
    assert_eq!(schemas["SignUpInput"]["properties"]["password"]["maxLength"], 128);
    assert_eq!(schemas["ChatRequest"]["properties"]["message"]["maxLength"], 4000);
    // A model may send tool arguments that are not a JSON object, or not JSON.
    assert!(schemas["ToolCallRecord"]["properties"]["arguments"].get("type").is_none());
    // A partial update must change something (utoipa-gen 5.5 writes
    // `min_properties` as maxProperties; the document is corrected after).
    assert_eq!(schemas["TaskPatchInput"]["minProperties"], 1);
    assert!(schemas["TaskPatchInput"].get("maxProperties").is_none());
    let list = &doc["paths"]["/api/{user_id}/tasks"]["get"]["parameters"];
    let param = |name: &str| list.as_array().unwrap().iter().find(|p| p["name"] == name).unwrap()["schema"].clone();
    assert_eq!(param("status")["enum"], json!(["all", "pending", "completed"]));
    assert_eq!(param("sort")["enum"], json!(["created", "updated", "due", "priority", "title"]));
    assert_eq!((param("limit")["minimum"].as_u64(), param("limit")["maximum"].as_u64()), (Some(1), Some(100)));
    assert_eq!(
        (param("utc_offset")["minimum"].as_i64(), param("utc_offset")["maximum"].as_i64()),
        (Some(-840), Some(840))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_allows_only_the_frontend_origin() {
    let app =
        TestApp::builder().config(|a| a.server.frontend_url = Some("https://todo.example.com".into())).start().await;
    let preflight = |origin: &'static str| {
        app.req(Method::OPTIONS, "/api/u/tasks")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization,content-type")
            .send()
    };
    let ok = preflight("https://todo.example.com").await.unwrap();
    assert_eq!(ok.headers()["access-control-allow-origin"], "https://todo.example.com");
    let evil = preflight("https://evil.example.com").await.unwrap();
    assert!(evil.headers().get("access-control-allow-origin").is_none());

    // A browser MCP client on the frontend's origin sends the MCP protocol headers.
    let mcp = app
        .req(Method::OPTIONS, "/mcp")
        .header("origin", "https://todo.example.com")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization,content-type,mcp-protocol-version,mcp-session-id")
        .send()
        .await
        .unwrap();
    assert_eq!(mcp.headers()["access-control-allow-origin"], "https://todo.example.com");
    let allowed = mcp.headers()["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
    for h in ["authorization", "content-type", "mcp-protocol-version", "mcp-session-id"] {
        assert!(allowed.contains(h), "{h} not in {allowed}");
    }

    let no_cors = spawn(Db::Sqlite).await;
    let res = no_cors.req(Method::GET, "/healthz").header("origin", "https://todo.example.com").send().await.unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
}

/// Replicas starting together on an empty PostgreSQL database: the advisory lock
/// makes one of them migrate while the others wait, and all come up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_starting_together_migrate_once() {
    let url = crate::common::fresh_database(Db::Postgres).await;
    let apps = futures::future::join_all((0..4).map(|_| TestApp::builder().on_database(&url).start())).await;
    let user = apps[0].sign_up("replica@example.com").await;
    for app in &apps {
        assert_eq!(app.req(Method::GET, "/readyz").send().await.unwrap().status(), 200);
        assert_eq!(app.list(&user, "").await.0, 0, "every replica serves the same data");
    }
    // The list's indexes, built concurrently in the background by one of them;
    // the ones they replace are gone.
    use sqlx::Connection;
    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    let query = "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                 WHERE c.relname LIKE 'tasks_user_%' ORDER BY c.relname";
    let expected = [
        ("tasks_user_created_number".to_string(), true),
        ("tasks_user_due".into(), true),
        ("tasks_user_number".into(), true),
        ("tasks_user_title_number".into(), true),
        ("tasks_user_updated_number".into(), true),
    ];
    let mut indexes: Vec<(String, bool)> = Vec::new();
    for _ in 0..600 {
        indexes = sqlx::query_as(query).fetch_all(&mut db).await.unwrap();
        if indexes == expected {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(indexes, expected);
}

/// A client's `x-request-id` is echoed, logged and forwarded only when it is a
/// short printable token; anything else is replaced by a generated id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_request_ids_are_kept_only_when_short_and_printable() {
    let app = spawn(Db::Sqlite).await;
    let id_of = |id: String| {
        let req = app.req(Method::GET, "/healthz").header("x-request-id", id);
        async move {
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            res.headers()["x-request-id"].to_str().unwrap().to_string()
        }
    };
    for kept in ["abc-123", "trace.42:span_7", &"a".repeat(128), "0f8c2e4a-9d1b-4c3e-8f2a-1b2c3d4e5f60"] {
        assert_eq!(id_of(kept.to_string()).await, kept);
    }
    for replaced in ["x".repeat(8000), "a".repeat(129), "has space".into(), "<script>".into(), "a/b".into()] {
        let got = id_of(replaced.clone()).await;
        assert!(got != replaced, "{replaced:.20}... (length {}) was kept", replaced.len());
        assert!(uuid::Uuid::parse_str(&got).is_ok(), "a generated id instead of {replaced:.20}: {got}");
    }
}

/// HEADER_READ_TIMEOUT_SECS reaches the API's serve loop: a connection that
/// never finishes its request head is closed; the limits are checked at start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_connections_are_closed_and_bad_connection_limits_stop_the_start() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::builder().config(|a| a.server.connections.header_read_timeout_secs = 1).start().await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut stalled = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stalled.write_all(b"GET /healthz HT").await.unwrap();
    let mut buf = [0u8; 256];
    // Generous: bounds a hang, does not measure the timeout.
    let read = tokio::time::timeout(std::time::Duration::from_secs(60), stalled.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "the stalled connection was not closed: {read:?}");
    assert_eq!(app.req(Method::GET, "/healthz").send().await.unwrap().status(), StatusCode::OK);

    for (flag, name) in [
        ("--header-read-timeout-secs=0", "HEADER_READ_TIMEOUT_SECS"),
        ("--keep-alive-timeout-secs=0", "KEEP_ALIVE_TIMEOUT_SECS"),
        ("--max-connections=0", "MAX_CONNECTIONS"),
    ] {
        let err =
            crate::common::args("sqlite://x.db", &[flag]).resolve().err().unwrap_or_else(|| panic!("{flag} accepted"));
        assert!(err.to_string().contains(name), "{flag}: {err}");
    }
}
