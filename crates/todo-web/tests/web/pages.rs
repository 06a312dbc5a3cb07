//! The web service against the real API: pages, forms, CSRF, cookies, failures,
//! security headers, escaping and assets.

use crate::common::{Stack, browser, csrf_of, stack, task_ids};
use reqwest::header;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_then_add_edit_complete_and_delete_tasks_with_forms() {
    let s = stack().await;
    let page = s.sign_up("ada@example.com").await;
    assert!(page.contains("Your tasks"));
    assert!(page.contains("No tasks yet"), "empty state");
    assert!(page.contains("Ada Lovelace"), "the account name is shown");

    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let page = s
        .add_task(&[
            ("title", "Buy milk"),
            ("description", "semi-skimmed"),
            ("priority", "high"),
            ("tags", "home, Errands"),
            ("due_date", &today),
        ])
        .await;
    assert!(page.contains("Buy milk"), "{page}");
    assert!(page.contains("semi-skimmed"));
    assert!(page.contains("#errands"), "tags are shown lower-cased");
    assert!(page.contains("Task added."));
    assert!(page.contains("due-today"), "a task due today stands out");
    let ids = task_ids(&page);
    assert_eq!(ids.len(), 1);
    let id = ids[0];

    s.add_task(&[("title", "Old report"), ("priority", "low"), ("due_date", "2020-01-01")]).await;
    let (_, page) = s.get("/tasks").await;
    assert!(page.contains("overdue"), "a past due date is overdue");
    assert!(page.contains("Overdue"));

    // Search, filter, sort.
    let (_, page) = s.get("/tasks?q=milk").await;
    assert_eq!(task_ids(&page), vec![id]);
    let (_, page) = s.get("/tasks?priority=low").await;
    assert_eq!(task_ids(&page).len(), 1);
    assert!(page.contains("Old report"));
    let (_, page) = s.get("/tasks?sort=title").await;
    let pos = |t: &str| page.find(t).unwrap();
    assert!(pos("Buy milk") < pos("Old report"));
    let (_, page) = s.get("/tasks?tag=errands").await;
    assert_eq!(task_ids(&page), vec![id]);
    let (_, page) = s.get("/tasks?q=nothing-like-this").await;
    assert!(page.contains("No tasks match these filters"));

    // Edit in place: the form opens in the row (without JavaScript, a link).
    let (_, page) = s.get("/tasks").await;
    assert!(!page.contains(&format!(r#"id="edit-{id}-title""#)));
    assert!(page.contains(&format!(r#"id="edit-toggle-{id}""#)));
    let (_, page) = s.get(&format!("/tasks?edit={id}")).await;
    assert!(page.contains(&format!(r#"id="edit-{id}-title" name="title" type="text" value="Buy milk""#)), "{page}");
    let csrf = s.csrf().await;
    let res = s
        .post(
            &format!("/tasks/{id}"),
            &[
                ("csrf", &csrf),
                ("back", ""),
                ("title", "Buy oat milk"),
                ("description", ""),
                ("priority", "urgent"),
                ("tags", "home"),
                ("due_date", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("Buy oat milk"));
    assert!(page.contains("Urgent priority"));
    assert!(!page.contains("semi-skimmed"), "an emptied description is cleared");

    // Toggle complete (hidden by default), then see it under Completed only.
    let res = s.post(&format!("/tasks/{id}/toggle"), &[("csrf", &csrf), ("back", "q=milk")]).await;
    assert_eq!(res.status(), 200);
    assert!(res.url().as_str().contains("q=milk"), "back to the same filter: {}", res.url());
    let page = res.text().await.unwrap();
    assert!(!task_ids(&page).contains(&id));
    let (_, page) = s.get("/tasks?status=completed").await;
    assert_eq!(task_ids(&page), vec![id]);
    assert!(page.contains(r#"aria-pressed="true""#));

    // Delete: a confirmation page without JavaScript, then the POST.
    let (status, confirm) = s.get(&format!("/tasks/{id}/delete")).await;
    assert_eq!(status, 200);
    assert!(confirm.contains("Delete this task?") && confirm.contains("Buy oat milk"));
    let res = s.post(&format!("/tasks/{id}/delete"), &[("csrf", &csrf_of(&confirm)), ("back", "")]).await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(!task_ids(&page).contains(&id));
    assert!(page.contains("Task deleted."));
    assert!(page.contains(r#"id="undo-form""#), "with Undo");

    // Sign out: the task page now sends to sign-in.
    let res = s.post("/sign-out", &[("csrf", &csrf)]).await;
    assert!(res.url().path().starts_with("/sign-in"));
    let res = s.browser.get(s.url("/tasks")).send().await.unwrap();
    assert!(res.url().path().starts_with("/sign-in"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_errors_show_next_to_the_field() {
    let s = stack().await;
    s.sign_up("val@example.com").await;
    let csrf = s.csrf().await;
    let long = "x".repeat(201);
    let res = s.post("/tasks", &[("csrf", &csrf), ("title", &long), ("tags", "bad tag!")]).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"id="new-title-error""#), "{page}");
    assert!(page.contains("at most 200 characters"));
    assert!(page.contains(r#"id="new-tags-error""#));
    assert!(page.contains(r#"aria-invalid="true""#));
    assert!(page.contains(&long), "what was typed is kept");
    assert!(task_ids(&page).is_empty(), "nothing was written");

    let res = s.post("/tasks", &[("csrf", &csrf), ("title", "ok"), ("due_date", "31/12/2026")]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains(r#"id="new-due-error""#));

    // Account forms: the API's messages by field.
    let other = browser(true);
    let page = other.get(s.url("/sign-up")).send().await.unwrap().text().await.unwrap();
    let res = other
        .post(s.url("/sign-up"))
        .form(&[("csrf", csrf_of(&page).as_str()), ("name", "B"), ("email", "nope"), ("password", "short")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"id="email-error""#) && page.contains(r#"id="password-error""#), "{page}");
    let res = other
        .post(s.url("/sign-in"))
        .form(&[("csrf", csrf_of(&page).as_str()), ("email", "val@example.com"), ("password", "wrong password")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Wrong email or password"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrf_missing_or_wrong_is_rejected_and_nothing_is_written() {
    let s = stack().await;
    s.sign_up("csrf@example.com").await;
    let good = s.csrf().await;

    for form in [
        vec![("title", "sneaky")],
        vec![("csrf", "AAAA"), ("title", "sneaky")],
        vec![("csrf", ""), ("title", "sneaky")],
    ] {
        let res = s.post("/tasks", &form).await;
        assert_eq!(res.status(), 403, "{form:?}");
        let page = res.text().await.unwrap();
        assert!(page.contains("This form has expired"));
    }
    let (_, page) = s.get("/tasks").await;
    assert!(task_ids(&page).is_empty(), "nothing was written");
    assert!(!page.contains("sneaky"));

    let (_, page) = s.get("/tasks").await;
    let before = task_ids(&page);
    s.add_task(&[("title", "real")]).await;
    let id = task_ids(&s.get("/tasks").await.1)[0];
    assert!(before.is_empty());
    for path in [format!("/tasks/{id}/toggle"), format!("/tasks/{id}/delete"), format!("/tasks/{id}")] {
        let res = s.post(&path, &[("csrf", "wrong"), ("title", "HACKED")]).await;
        assert_eq!(res.status(), 403, "{path}");
    }
    let (_, page) = s.get("/tasks").await;
    assert_eq!(task_ids(&page), vec![id], "still there");
    assert!(page.contains("real") && !page.contains("HACKED"));
    assert!(page.contains(r#"aria-pressed="false""#), "not toggled");

    // The script's header is accepted in place of the form field.
    let res = s
        .browser
        .post(s.url("/tasks"))
        .header("x-csrf-token", &good)
        .form(&[("title", "via header")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("via header"));

    // Sign-in and sign-out need the token too.
    let fresh = browser(true);
    let res = fresh
        .post(s.url("/sign-in"))
        .form(&[("email", "csrf@example.com"), ("password", "correct horse")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = s.post("/sign-out", &[("csrf", "nope")]).await;
    assert_eq!(res.status(), 403);
    let res =
        s.browser.post(s.url("/chat/stream")).form(&[("message", "add a task to buy milk")]).send().await.unwrap();
    assert_eq!(res.status(), 403);
}

fn session_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("todo_session="))
        .expect("a session cookie is set")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_cookie_is_httponly_lax_and_secure_over_https() {
    let s = stack().await;
    for (i, https) in [false, true].into_iter().enumerate() {
        let c = browser(false);
        let page = c.get(s.url("/sign-up")).send().await.unwrap().text().await.unwrap();
        let mut req = c.post(s.url("/sign-up")).form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("name", "Cookie"),
            ("email", &format!("cookie{i}@example.com")),
            ("password", "correct horse"),
        ]);
        if https {
            req = req.header("x-forwarded-proto", "https");
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()[header::LOCATION], "/tasks");
        let cookie = session_cookie(&res);
        assert!(cookie.contains("; HttpOnly"), "{cookie}");
        assert!(cookie.contains("; SameSite=Lax"), "{cookie}");
        assert!(cookie.contains("; Path=/"), "{cookie}");
        assert!(cookie.contains("; Max-Age=604800"), "{cookie}");
        assert_eq!(cookie.contains("; Secure"), https, "{cookie}");
        let value = cookie.split(';').next().unwrap();
        assert!(!value.contains("eyJhbGciOi"), "the token is not stored in the clear: {value}");

        let res = c.post(s.url("/sign-out")).header(header::COOKIE, value).form(&[("csrf", "x")]).send().await.unwrap();
        assert_eq!(res.status(), 403, "signing out needs the token");
    }

    // COOKIE_SECURE=true forces it.
    let web = crate::common::spawn_web(&s.api.base, &["--cookie-secure=true"]).await;
    let c = browser(false);
    let page = c.get(format!("{}/sign-in", web.base)).send().await.unwrap();
    let pre = page.headers()[header::SET_COOKIE].to_str().unwrap().to_string();
    assert!(pre.starts_with("todo_csrf=") && pre.contains("Secure") && pre.contains("HttpOnly"), "{pre}");
    let page = page.text().await.unwrap();
    let res = c
        .post(format!("{}/sign-in", web.base))
        .form(&[("csrf", csrf_of(&page).as_str()), ("email", "cookie0@example.com"), ("password", "correct horse")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(session_cookie(&res).contains("; Secure"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_down_shows_a_friendly_503_without_internals() {
    let dead = crate::common::dead_backend().await;
    let web = crate::common::spawn_web(&dead, &[]).await;
    let c = browser(true);
    let page = c.get(format!("{}/sign-in", web.base)).send().await.unwrap().text().await.unwrap();
    let res = c
        .post(format!("{}/sign-in", web.base))
        .form(&[("csrf", csrf_of(&page).as_str()), ("email", "a@example.com"), ("password", "correct horse")])
        .send()
        .await
        .unwrap();
    check_friendly_503(res, &dead).await;

    // A signed-in visitor (any session cookie) gets the same page on /tasks.
    let session = base64_session();
    let res = c
        .get(format!("{}/tasks", web.base))
        .header(header::COOKIE, format!("todo_session={session}"))
        .send()
        .await
        .unwrap();
    check_friendly_503(res, &dead).await;

    assert_eq!(c.get(format!("{}/healthz", web.base)).send().await.unwrap().status(), 200);
    assert_eq!(c.get(format!("{}/readyz", web.base)).send().await.unwrap().status(), 503);
}

fn base64_session() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"u":"someone","t":"token","n":"X"}"#)
}

async fn check_friendly_503(res: reqwest::Response, dead: &str) {
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key(header::RETRY_AFTER));
    assert!(res.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    let page = res.text().await.unwrap();
    assert!(page.contains("We'll be right back") || page.contains("We&#39;ll be right back"), "{page}");
    assert!(page.contains("Your tasks are safe"));
    let addr = dead.trim_start_matches("http://");
    for leak in [addr, "reqwest", "error sending", "Connection refused", "panicked", "src/"] {
        assert!(!page.contains(leak), "the page leaks {leak:?}:\n{page}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_on_every_response_and_no_inline_code() {
    let s = stack().await;
    let signed_in = s.sign_up("sec@example.com").await;
    let c = browser(false);
    for path in ["/sign-in", "/sign-up", "/tasks", "/nope", "/healthz", "/metrics", "/", "/assets/app.css"] {
        let res = c.get(s.url(path)).send().await.unwrap();
        let h = res.headers();
        let csp = h.get(header::CONTENT_SECURITY_POLICY).unwrap_or_else(|| panic!("CSP on {path}")).to_str().unwrap();
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{csp}");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY", "{path}");
        assert!(h.contains_key(header::REFERRER_POLICY), "{path}");
        assert!(h.contains_key("x-request-id"), "{path}");
    }
    let (_, sign_in) = s.get("/sign-in").await;
    for page in [&signed_in, &sign_in] {
        assert!(!page.contains("<script>") && !page.contains(" style=") && !page.contains("onclick="), "{page}");
        assert!(page.contains(r#"<script src="/assets/app."#));
    }
    let res = c.get(s.url("/nope")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("Not found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_titles_are_escaped() {
    let s = stack().await;
    s.sign_up("xss@example.com").await;
    let evil = "<script>alert(1)</script>";
    let page = s.add_task(&[("title", evil), ("description", "<img src=x onerror=alert(2)>"), ("tags", "x")]).await;
    assert!(!page.contains(evil), "raw script in the page");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.contains("<img src=x"));
    assert!(page.contains("&lt;img src=x onerror=alert(2)&gt;"));
    let (_, page) = s.get("/tasks?q=%3Cscript%3E").await;
    assert!(!page.contains(evil));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assets_are_hashed_cached_and_gzipped() {
    let s = stack().await;
    let (_, page) = s.get("/sign-in").await;
    let c = browser(false);
    let mut total = 0;
    for ext in ["css", "js"] {
        let url = page
            .match_indices("/assets/app.")
            .map(|(i, _)| &page[i..i + page[i..].find('"').unwrap()])
            .find(|u| u.ends_with(&format!(".{ext}")))
            .unwrap_or_else(|| panic!("no {ext} link in {page}"))
            .to_string();
        let res = c.get(s.url(&url)).header(header::ACCEPT_ENCODING, "gzip").send().await.unwrap();
        assert_eq!(res.status(), 200, "{url}");
        let h = res.headers().clone();
        assert_eq!(h[header::CONTENT_ENCODING], "gzip", "{url}");
        assert!(h[header::CACHE_CONTROL].to_str().unwrap().contains("immutable"), "{url}");
        let etag = h[header::ETAG].to_str().unwrap().to_string();
        let gz = res.bytes().await.unwrap().len();

        let plain = c.get(s.url(&url)).send().await.unwrap();
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        let len = plain.bytes().await.unwrap().len();
        assert!(gz < len / 2, "{url}: gzip {gz} vs {len}");
        total += len;

        let again = c.get(s.url(&url)).header(header::IF_NONE_MATCH, &etag).send().await.unwrap();
        assert_eq!(again.status(), 304);

        let unhashed = c.get(s.url(&format!("/assets/app.{ext}"))).send().await.unwrap();
        assert_eq!(unhashed.status(), 200);
        assert!(unhashed.headers()[header::CACHE_CONTROL].to_str().unwrap().contains("no-cache"));
        let ct = unhashed.headers()[header::CONTENT_TYPE].to_str().unwrap().to_string();
        assert!(ct.starts_with(if ext == "css" { "text/css" } else { "text/javascript" }), "{ct}");
    }
    assert!(total < 60 * 1024, "JS + CSS is {total} bytes");
    let res = c.get(s.url("/assets/nope.js")).send().await.unwrap();
    assert_eq!(res.status(), 404);

    // Pages are compressed too.
    let res = c.get(s.url("/sign-up")).header(header::ACCEPT_ENCODING, "gzip").send().await.unwrap();
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assistant_works_without_javascript_and_streams_with_it() {
    let s = stack().await;
    s.sign_up("chat@example.com").await;
    let csrf = s.csrf().await;
    let res = s.post("/chat", &[("csrf", &csrf), ("back", ""), ("message", "add a task to buy groceries")]).await;
    assert_eq!(res.status(), 200);
    assert!(res.url().query().unwrap_or("").contains("c="), "{}", res.url());
    let page = res.text().await.unwrap();
    assert!(page.contains("Added &#39;Buy groceries&#39;") || page.contains("Added 'Buy groceries'"), "{page}");
    assert_eq!(task_ids(&page).len(), 1, "the task list shows the new task");
    assert!(page.contains(">#1</span>"), "the list shows the account's task number: {page}");
    assert!(page.contains(r#"<span class="msg-label" title="Which assistant answered">built-in</span>"#), "{page}");
    assert!(!page.contains("(built-in assistant)"), "a label, not a prefix of the text");
    assert!(page.contains("as task 1"), "the assistant says the number: {page}");
    assert!(page.contains(r#"id="conversation-list""#));
    let conv: i64 =
        page.split(r#"data-testid="conversation-"#).nth(1).unwrap().split('"').next().unwrap().parse().unwrap();

    // With JavaScript: the proxied stream, tool lines readable.
    let res = s
        .browser
        .post(s.url("/chat/stream"))
        .header("x-csrf-token", &csrf)
        .header(header::ACCEPT, "text/event-stream")
        .header(header::ACCEPT_ENCODING, "gzip")
        .form(&[("conversation_id", conv.to_string().as_str()), ("message", "add a task to call mum")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/event-stream"));
    assert!(res.headers().get(header::CONTENT_ENCODING).is_none(), "streams are not buffered by compression");
    let body = res.text().await.unwrap();
    assert!(body.contains("event: tool"), "{body}");
    assert!(body.contains("Added 'Call mum'") || body.contains(r#"Added 'Call mum'"#), "{body}");
    assert!(body.contains("event: done") && body.contains(&format!("\"conversation_id\":{conv}")), "{body}");
    assert!(body.contains(r#""assistant":"built-in""#), "the label comes with the reply: {body}");

    // Reopen the conversation: both turns are there.
    let (_, page) = s.get(&format!("/tasks?c={conv}")).await;
    assert!(page.contains("add a task to buy groceries") && page.contains("add a task to call mum"));
    assert_eq!(task_ids(&page).len(), 2);

    // A page without `?c=` (a reload of `/`, a new tab) shows the open conversation again,
    // from the API's history; "New conversation" closes it for the next loads too.
    let (_, page) = s.get("/").await;
    assert!(page.contains("add a task to call mum"), "the open conversation after a fresh load: {page}");
    assert!(page.contains(&format!(r#"id="chat-conversation" type="hidden" name="conversation_id" value="{conv}""#)));
    let (_, page) = s.get("/tasks?c=new").await;
    assert!(!page.contains("add a task to call mum"));
    let (_, page) = s.get("/tasks").await;
    assert!(!page.contains("add a task to call mum"), "a new conversation stays chosen");
    let (_, page) = s.get(&format!("/tasks?c={conv}")).await;
    assert!(page.contains("add a task to call mum"));

    // Empty message: an error in the panel, nothing sent.
    let res = s.post("/chat", &[("csrf", &csrf), ("message", "  ")]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains(r#"id="chat-error""#));

    // Delete the conversation.
    let res =
        s.post(&format!("/conversations/{conv}/delete"), &[("csrf", &csrf), ("back", &format!("c={conv}"))]).await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(!page.contains(&format!(r#"data-testid="conversation-{conv}""#)));
    assert!(page.contains("Conversation deleted."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_metrics_and_shutdown() {
    let s = stack().await;
    s.sign_up("ops@example.com").await;
    let c = browser(false);
    assert_eq!(c.get(s.url("/healthz")).send().await.unwrap().status(), 200);
    assert_eq!(c.get(s.url("/readyz")).send().await.unwrap().status(), 200);
    c.get(s.url("/sign-in")).send().await.unwrap();
    let metrics = c.get(s.url("/metrics")).send().await.unwrap().text().await.unwrap();
    for needle in [
        r#"http_requests_total{method="GET",route="/sign-in",status="200"} 1"#,
        r#"http_requests_total{method="POST",route="/sign-up",status="303"} 1"#,
        r#"http_request_duration_seconds_bucket{le="#,
        "http_requests_in_flight",
        r#"backend_requests_total{outcome="ok"}"#,
    ] {
        assert!(metrics.contains(needle), "metrics lack {needle}:\n{metrics}");
    }

    // Without the API the web service is alive but not ready.
    let Stack { api, web, .. } = s;
    api.stop().await;
    assert_eq!(c.get(format!("{}/healthz", web.base)).send().await.unwrap().status(), 200);
    assert_eq!(c.get(format!("{}/readyz", web.base)).send().await.unwrap().status(), 503);

    // Shutdown: the server stops within the drain timeout.
    let base = web.base.clone();
    tokio::time::timeout(std::time::Duration::from_secs(5), web.stop()).await.expect("stops in time");
    assert!(c.get(format!("{base}/healthz")).send().await.is_err(), "no longer serving");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_lists_are_paged_and_forms_return_to_the_same_page() {
    let s = stack().await;
    s.sign_up("pages@example.com").await;
    let csrf = s.csrf().await;
    for i in 1..=105 {
        let res = s.post("/tasks", &[("csrf", &csrf), ("back", ""), ("title", &format!("Task {i:03}"))]).await;
        assert_eq!(res.status(), 200);
    }

    let (_, first) = s.get("/tasks").await;
    let first_ids = task_ids(&first);
    assert_eq!(first_ids.len(), 100);
    assert!(first.contains("Showing 1–100 of 105 (page 1 of 2)"), "{first}");
    assert!(first.contains(r#"id="page-next""#) && !first.contains(r#"id="page-prev""#));
    assert!(first.contains(r#"href="/tasks?page=2""#));

    // Newest first: the second page holds the five oldest, none seen on the first.
    let (_, second) = s.get("/tasks?page=2").await;
    let second_ids = task_ids(&second);
    assert_eq!(second_ids.len(), 5);
    assert!(second.contains("Task 001") && !second.contains("Task 105"));
    assert!(second_ids.iter().all(|id| !first_ids.contains(id)));
    assert!(second.contains("Showing 101–105 of 105 (page 2 of 2)"));
    assert!(second.contains(r#"id="page-prev""#) && !second.contains(r#"id="page-next""#));
    // The views and tabs start again from the first page.
    assert!(second.contains(r#"href="/tasks?status=completed""#));
    assert!(second.contains(r#"href="/tasks?view=today""#));

    // A form on page 2 comes back to page 2 (completed tasks shown: the list keeps its rows).
    let id = second_ids[0];
    let res =
        s.post(&format!("/tasks/{id}/toggle"), &[("csrf", &csrf_of(&second)), ("back", "status=all&page=2")]).await;
    assert_eq!(res.status(), 200);
    assert!(res.url().query().unwrap().contains("page=2"), "{}", res.url());
    assert_eq!(task_ids(&res.text().await.unwrap()), second_ids);

    // Adding a task from page 2 goes back to page 1, where the new task is.
    let res = s.post("/tasks", &[("csrf", &csrf), ("back", "page=2"), ("title", "Newest of all")]).await;
    assert_eq!(res.status(), 200);
    assert!(!res.url().query().unwrap_or("").contains("page="), "{}", res.url());
    assert!(res.text().await.unwrap().contains("Newest of all"));

    // Past the end, however far: a way to the last page instead of an empty list.
    for far in ["9", "42949674", "4294967295", "99999999999999"] {
        let (status, page) = s.get(&format!("/tasks?page={far}")).await;
        assert_eq!(status, 200, "page {far}");
        assert!(page.contains("past the end of the list"), "page {far}: {page}");
        assert!(page.contains(r#"id="page-last" href="/tasks?page=2""#), "page {far}");
        assert!(!page.contains("offset"), "page {far}: the API's parameter leaks into the page");
    }
    // Nonsense pages are the first page.
    let (_, page) = s.get("/tasks?page=zero").await;
    assert_eq!(task_ids(&page)[1..], first_ids[..99]);
}

/// Signs in through the form from `from` (X-Forwarded-For, which the web
/// service trusts from loopback by default); returns the status and page.
async fn sign_in_from(s: &Stack, browser: &reqwest::Client, from: &str, password: &str) -> (u16, String) {
    let page = browser.get(s.url("/sign-in")).header("x-forwarded-for", from).send().await.unwrap();
    let csrf = crate::common::csrf_of(&page.text().await.unwrap());
    let res = browser
        .post(s.url("/sign-in"))
        .header("x-forwarded-for", from)
        .form(&[("csrf", csrf.as_str()), ("email", "ada@example.com"), ("password", password)])
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// The web service passes the browser's address to the API, so an attacker's
/// failed sign-ins through the web UI lock out the attacker only, not everyone
/// who signs in through the same web service.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_throttling_sees_the_browsers_address() {
    let s = stack().await;
    s.sign_up("ada@example.com").await;
    let attacker = crate::common::browser(true);
    let mut last = String::new();
    for i in 0..7 {
        let (_, page) = sign_in_from(&s, &attacker, "198.51.100.7", &format!("guess {i}")).await;
        last = page;
    }
    assert!(last.contains("too many failed sign-in attempts"), "{last}");
    let owner = crate::common::browser(true);
    let (status, page) = sign_in_from(&s, &owner, "192.0.2.8", "correct horse").await;
    assert_eq!(status, 200);
    assert!(page.contains("Your tasks"), "the owner signs in from elsewhere: {page}");
}

/// The request id a visitor sends is echoed and forwarded to the API only when
/// it is a short printable token; otherwise the web service uses its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_ids_are_forwarded_only_when_short_and_printable() {
    use std::sync::{Arc, Mutex};
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let backend = {
        let seen = seen.clone();
        let app = axum::Router::new().fallback(move |headers: axum::http::HeaderMap| {
            let seen = seen.clone();
            async move {
                let id = headers.get("x-request-id").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
                seen.lock().unwrap().push(id);
                (axum::http::StatusCode::UNAUTHORIZED, [("content-type", "application/problem+json")], "{}")
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}")
    };
    let web = crate::common::spawn_web(&backend, &[]).await;
    let c = browser(true);
    let page = c.get(format!("{}/sign-in", web.base)).send().await.unwrap().text().await.unwrap();
    let csrf = csrf_of(&page);
    let sign_in = |id: String| {
        let req = c.post(format!("{}/sign-in", web.base)).header("x-request-id", id).form(&[
            ("csrf", csrf.as_str()),
            ("email", "a@example.com"),
            ("password", "correct horse"),
        ]);
        let seen = seen.clone();
        async move {
            let res = req.send().await.unwrap();
            let echoed = res.headers()["x-request-id"].to_str().unwrap().to_string();
            let forwarded = seen.lock().unwrap().pop().expect("the sign-in reached the API");
            (echoed, forwarded)
        }
    };
    assert_eq!(sign_in("trace-42".into()).await, ("trace-42".into(), "trace-42".into()));
    for bad in ["x".repeat(8000), "two words".into(), "a".repeat(129)] {
        let (echoed, forwarded) = sign_in(bad.clone()).await;
        assert!(echoed != bad, "{bad:.20}... (length {}) was echoed", bad.len());
        assert!(!echoed.is_empty() && echoed.len() <= 128, "{echoed:.200}");
        assert!(forwarded == echoed, "the API got {forwarded:.200}, not the id the web service returned");
    }
}

/// An id in the path that is not a task number (not a number, out of range) is
/// answered with the HTML error page, like any other missing page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_ids_in_paths_get_the_html_error_page() {
    let s = stack().await;
    s.sign_up("paths@example.com").await;
    let csrf = s.csrf().await;
    let form = [("csrf", csrf.as_str()), ("back", ""), ("title", "x")];
    let huge = "99999999999999999999";
    let mut cases: Vec<(reqwest::Method, String)> = Vec::new();
    for id in ["abc", huge, "1.5", "%FF"] {
        cases.push((reqwest::Method::POST, format!("/tasks/{id}/toggle")));
        cases.push((reqwest::Method::POST, format!("/tasks/{id}")));
        cases.push((reqwest::Method::POST, format!("/tasks/{id}/delete")));
        cases.push((reqwest::Method::GET, format!("/tasks/{id}/delete")));
        cases.push((reqwest::Method::POST, format!("/conversations/{id}/delete")));
    }
    cases.push((reqwest::Method::GET, "/assets/%FF%FE".into()));
    for (method, path) in cases {
        let res = s.browser.request(method.clone(), s.url(&path)).form(&form).send().await.unwrap();
        let status = res.status().as_u16();
        assert!(status == 400 || status == 404, "{method} {path}: {status}");
        let ct = res.headers()[header::CONTENT_TYPE].to_str().unwrap().to_string();
        assert!(ct.starts_with("text/html"), "{method} {path}: {ct}");
        let page = res.text().await.unwrap();
        assert!(page.contains(r#"id="error-heading""#), "{method} {path}: {page}");
        assert!(!page.contains("Invalid URL") && !page.contains("Cannot parse"), "{method} {path}: {page}");
    }
}

/// Toggling, editing or deleting a task that does not exist (deleted elsewhere,
/// or a number this user never had) says so instead of "Task deleted.".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_tasks_are_reported_as_not_found() {
    let s = stack().await;
    s.sign_up("missing@example.com").await;
    let page = s.add_task(&[("title", "Only task")]).await;
    let id = task_ids(&page)[0];
    let csrf = s.csrf().await;
    let missing = id + 1000;
    for path in [
        format!("/tasks/{missing}/delete"),
        format!("/tasks/{missing}/toggle"),
        format!("/tasks/{missing}"),
        format!("/conversations/{missing}/delete"),
    ] {
        let res = s.post(&path, &[("csrf", &csrf), ("back", "status=all"), ("title", "Edited")]).await;
        assert_eq!(res.status(), 200, "{path}");
        assert!(res.url().as_str().contains("status=all"), "{path}: back to the list: {}", res.url());
        let page = res.text().await.unwrap();
        assert!(page.contains("was not found"), "{path}: {page}");
        for wrong in ["Task deleted.", "Task completed.", "Task updated.", "Task saved.", "Conversation deleted."] {
            assert!(!page.contains(wrong), "{path} says {wrong:?}");
        }
        assert_eq!(task_ids(&page), vec![id], "{path}: the list is unchanged");
    }
    // The confirmation page of a missing task is a missing page.
    let (status, page) = s.get(&format!("/tasks/{missing}/delete")).await;
    assert_eq!(status, 404);
    assert!(page.contains(r#"id="error-heading""#), "{page}");
}

/// HEADER_READ_TIMEOUT_SECS reaches the web's serve loop: a connection that
/// never finishes its request head is closed, and the service keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_connections_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let web = crate::common::spawn_web(&crate::common::dead_backend().await, &["--header-read-timeout-secs=1"]).await;
    let mut stalled = tokio::net::TcpStream::connect(web.base.trim_start_matches("http://")).await.unwrap();
    stalled.write_all(b"GET /sign-in HTTP/1.1\r\nHo").await.unwrap();
    let mut buf = [0u8; 256];
    // Generous: bounds a hang, does not measure the timeout.
    let read = tokio::time::timeout(std::time::Duration::from_secs(60), stalled.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "the stalled connection was not closed: {read:?}");
    let res = browser(false).get(format!("{}/healthz", web.base)).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

/// A client that keeps no cookies and follows no redirects: the test hands it
/// the session cookie, as someone who copied it would.
fn bare_client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Signs up (or in, when `sign_up` is false) through the forms and returns the
/// `todo_session=...` cookie pair.
async fn session_of(s: &Stack, email: &str, sign_up: bool) -> String {
    let c = browser(false);
    let path = if sign_up { "/sign-up" } else { "/sign-in" };
    let page = c.get(s.url(path)).send().await.unwrap().text().await.unwrap();
    let csrf = csrf_of(&page);
    let mut form = vec![("csrf", csrf.as_str()), ("email", email), ("password", "correct horse")];
    if sign_up {
        form.push(("name", "Session Tester"));
    }
    let res = c.post(s.url(path)).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 303, "{path}");
    session_cookie(&res).split(';').next().unwrap().to_string()
}

/// GET /tasks with `cookie`: the page's status and where a redirect goes.
async fn tasks_with(s: &Stack, cookie: &str) -> (u16, String) {
    let res = bare_client().get(s.url("/tasks")).header(header::COOKIE, cookie).send().await.unwrap();
    let location = res.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (res.status().as_u16(), location)
}

/// The CSRF token of the task page seen with `cookie`.
async fn csrf_with(s: &Stack, cookie: &str) -> String {
    let res = bare_client().get(s.url("/tasks")).header(header::COOKIE, cookie).send().await.unwrap();
    assert_eq!(res.status(), 200);
    csrf_of(&res.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_out_cookie_no_longer_opens_the_tasks() {
    let s = stack().await;
    let cookie = session_of(&s, "copied@example.com", true).await;
    assert_eq!(tasks_with(&s, &cookie).await.0, 200);
    let csrf = csrf_with(&s, &cookie).await;

    let res = bare_client().post(s.url("/sign-out")).header(header::COOKIE, &cookie).form(&[("csrf", &csrf)]);
    let res = res.send().await.unwrap();
    assert_eq!((res.status().as_u16(), res.headers()[header::LOCATION].to_str().unwrap()), (303, "/sign-in"));
    assert!(session_cookie(&res).contains("Max-Age=0"), "the cookie is cleared");
    // A copy of the old cookie (and the token in it) is refused from now on.
    assert_eq!(tasks_with(&s, &cookie).await, (303, "/sign-in?expired=1".to_string()));

    // When the API cannot be reached, the cookie still goes, and the page says
    // the session may not have ended.
    let cookie = session_of(&s, "copied@example.com", false).await;
    let csrf = csrf_with(&s, &cookie).await;
    let cut_off = crate::common::spawn_web(&crate::common::dead_backend().await, &[]).await;
    let res = bare_client()
        .post(format!("{}/sign-out", cut_off.base))
        .header(header::COOKIE, &cookie)
        .form(&[("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()[header::LOCATION], "/sign-in?signed_out=incomplete");
    assert!(session_cookie(&res).contains("Max-Age=0"));
    let (_, page) = s.get("/sign-in?signed_out=incomplete").await;
    assert!(page.contains("could not be reached to end the session"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_everywhere_ends_the_other_browsers_too() {
    let s = stack().await;
    let laptop = session_of(&s, "devices@example.com", true).await;
    let phone = session_of(&s, "devices@example.com", false).await;
    let someone_else = session_of(&s, "not-me@example.com", true).await;
    let res = bare_client().get(s.url("/tasks")).header(header::COOKIE, &laptop).send().await.unwrap();
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"id="sign-out-everywhere""#), "the button is in the header");

    // CSRF applies as to every form.
    let res = bare_client().post(s.url("/sign-out-everywhere")).header(header::COOKIE, &laptop).form(&[("csrf", "x")]);
    assert_eq!(res.send().await.unwrap().status(), 403);
    assert_eq!(tasks_with(&s, &phone).await.0, 200);

    let csrf = csrf_of(&page);
    let res =
        bare_client().post(s.url("/sign-out-everywhere")).header(header::COOKIE, &laptop).form(&[("csrf", &csrf)]);
    let res = res.send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()[header::LOCATION], "/sign-in?signed_out=everywhere");
    assert!(session_cookie(&res).contains("Max-Age=0"));
    for cookie in [&laptop, &phone] {
        assert_eq!(tasks_with(&s, cookie).await, (303, "/sign-in?expired=1".to_string()));
    }
    assert_eq!(tasks_with(&s, &someone_else).await.0, 200, "other users stay signed in");
    let (_, page) = s.get("/sign-in?signed_out=everywhere").await;
    assert!(page.contains("signed out on every device"), "{page}");
}
