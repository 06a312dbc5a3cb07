//! Pages and responses with a user's data (or the session cookie) say
//! `Cache-Control: no-store`; only the fingerprinted assets are cacheable.

use crate::common::{browser, csrf_of, stack};
use reqwest::Response;

fn cache_control(res: &Response) -> String {
    res.headers().get("cache-control").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_pages_and_streams_are_no_store() {
    let s = stack().await;
    let no_redirects = browser(false);
    let page = no_redirects.get(s.url("/sign-up")).send().await.unwrap();
    assert_eq!(cache_control(&page), "no-store", "sign-up page (it sets the pre-session cookie)");
    let csrf = csrf_of(&page.text().await.unwrap());
    let res = no_redirects
        .post(s.url("/sign-up"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "Ada"),
            ("email", "cache@example.com"),
            ("password", "correct horse"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(cache_control(&res), "no-store", "the redirect that sets the session cookie");

    s.sign_up("cache-web@example.com").await;
    s.add_task(&[("title", "Private")]).await;
    let res = s.browser.get(s.url("/tasks")).send().await.unwrap();
    assert_eq!(cache_control(&res), "no-store", "task page");
    let csrf = csrf_of(&res.text().await.unwrap());
    let res = s.browser.get(s.url("/tasks/999999/delete")).send().await.unwrap();
    assert_eq!(cache_control(&res), "no-store", "error page");

    let res = s
        .browser
        .post(s.url("/chat/stream"))
        .header("x-csrf-token", &csrf)
        .form(&[("message", "what's pending?")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    assert_eq!(cache_control(&res), "no-store", "the streamed chat carries the user's tasks");
    let body = res.text().await.unwrap();
    assert!(body.contains("event: done"), "{body}");
}
