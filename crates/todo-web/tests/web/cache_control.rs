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

/// The app is installable: every page links the manifest, which parses, has
/// what Chromium's install criteria ask for, and names icons that load as
/// PNGs of their stated sizes. No service worker is registered, so no page is
/// ever served from a cache.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_manifest_and_its_icons_make_the_app_installable() {
    let s = stack().await;
    let (_, sign_in) = s.get("/sign-in").await;
    assert!(sign_in.contains(r#"<link rel="manifest" href="/manifest.webmanifest">"#), "{sign_in}");
    assert!(sign_in.contains(r##"<meta name="theme-color" content="#4f46e5">"##));
    assert!(!sign_in.contains("serviceWorker"));
    s.sign_up("manifest@example.com").await;
    let (_, tasks) = s.get("/tasks").await;
    assert!(tasks.contains(r#"rel="manifest""#), "the task page links it too");

    let res = s.browser.get(s.url("/manifest.webmanifest")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/manifest+json");
    assert_eq!(cache_control(&res), "public, max-age=3600");
    let m: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        (m["name"].as_str(), m["start_url"].as_str(), m["display"].as_str()),
        (Some("Todo"), Some("/tasks"), Some("standalone"))
    );
    assert_eq!(m["theme_color"], "#4f46e5");
    let icons = m["icons"].as_array().unwrap();
    let mut seen = Vec::new();
    for icon in icons {
        let src = icon["src"].as_str().unwrap();
        let res = s.browser.get(s.url(src)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{src}");
        assert_eq!(res.headers()["content-type"], "image/png");
        assert_eq!(cache_control(&res), "public, max-age=31536000, immutable", "{src} is hashed");
        let png = res.bytes().await.unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{src}");
        let (w, h) =
            (u32::from_be_bytes(png[16..20].try_into().unwrap()), u32::from_be_bytes(png[20..24].try_into().unwrap()));
        assert_eq!(format!("{w}x{h}"), icon["sizes"].as_str().unwrap(), "{src}");
        seen.push((w, icon["purpose"].as_str().unwrap().to_string()));
    }
    for needed in [(192, "any"), (512, "any"), (512, "maskable")] {
        assert!(seen.contains(&(needed.0, needed.1.to_string())), "{needed:?} in {seen:?}");
    }
}

/// The page's script and stylesheet together stay under 60 KB uncompressed.
#[test]
fn javascript_and_css_stay_under_60_kb() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    let size = |f: &str| std::fs::metadata(dir.join(f)).unwrap().len();
    let (js, css) = (size("app.js"), size("app.css"));
    assert!(js + css < 60 * 1024, "app.js {js} + app.css {css} bytes is over 60 KB");
}
