//! Static assets compiled into the binary. Pages link them by a content-hashed
//! name served as immutable for a year; the plain name is served with an ETag
//! and `no-cache`. Compression is the router's gzip layer.

use std::sync::OnceLock;

use crate::extract::PagePath;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
    /// `app.<hash>.css`
    pub hashed: String,
    pub etag: String,
}

const FILES: [(&str, &str, &[u8]); 6] = [
    ("app.css", "text/css; charset=utf-8", include_bytes!("../assets/app.css")),
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("../assets/app.js")),
    ("icon.svg", "image/svg+xml", include_bytes!("../assets/icon.svg")),
    // Drawn by scripts/lib/make-icons.py from icon.svg's shapes.
    ("icon-192.png", "image/png", include_bytes!("../assets/icon-192.png")),
    ("icon-512.png", "image/png", include_bytes!("../assets/icon-512.png")),
    ("icon-maskable-512.png", "image/png", include_bytes!("../assets/icon-maskable-512.png")),
];

/// The theme colour of the manifest and of `<meta name="theme-color">` (the accent).
pub const THEME_COLOR: &str = "#4f46e5";

/// The web app manifest (`/manifest.webmanifest`), which makes the app
/// installable on a phone's home screen. There is no service worker: every
/// page is rendered per user and never cached (`Cache-Control: no-store`), so
/// an installed app can never show another user's page.
pub fn manifest() -> &'static str {
    static MANIFEST: OnceLock<String> = OnceLock::new();
    MANIFEST.get_or_init(|| {
        let icon = |name: &str, size: &str, purpose: &str| {
            serde_json::json!({"src": url(name), "sizes": size, "type": "image/png", "purpose": purpose})
        };
        serde_json::json!({
            "name": "Todo",
            "short_name": "Todo",
            "description": "Your tasks, with Today, Upcoming and an assistant.",
            "id": "/tasks",
            "start_url": "/tasks",
            "scope": "/",
            "display": "standalone",
            "background_color": "#f5f6fa",
            "theme_color": THEME_COLOR,
            "icons": [
                icon("icon-192.png", "192x192", "any"),
                icon("icon-512.png", "512x512", "any"),
                icon("icon-maskable-512.png", "512x512", "maskable"),
            ],
        })
        .to_string()
    })
}

/// `GET /manifest.webmanifest`: its own media type; cached for an hour (it
/// names the icons by their hashed, immutable names).
pub async fn serve_manifest() -> Response {
    ([(header::CONTENT_TYPE, "application/manifest+json"), (header::CACHE_CONTROL, "public, max-age=3600")], manifest())
        .into_response()
}

pub fn all() -> &'static [Asset] {
    static ASSETS: OnceLock<Vec<Asset>> = OnceLock::new();
    ASSETS.get_or_init(|| {
        FILES
            .iter()
            .map(|(name, content_type, body)| {
                let digest = Sha256::digest(body);
                let hash: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
                let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
                Asset { name, content_type, body, hashed: format!("{stem}.{hash}.{ext}"), etag: format!("\"{hash}\"") }
            })
            .collect()
    })
}

/// The URL path of an asset by its plain name, e.g. `/assets/app.3f2a9c01de.css`.
pub fn url(name: &str) -> String {
    match all().iter().find(|a| a.name == name) {
        Some(a) => format!("/assets/{}", a.hashed),
        None => format!("/assets/{name}"),
    }
}

pub async fn serve(PagePath(file): PagePath<String>, headers: HeaderMap) -> Response {
    let Some((asset, immutable)) = all().iter().find_map(|a| {
        if a.hashed == file {
            Some((a, true))
        } else if a.name == file {
            Some((a, false))
        } else {
            None
        }
    }) else {
        return (StatusCode::NOT_FOUND, [(header::CACHE_CONTROL, "no-store")], "not found").into_response();
    };
    let cache = if immutable { "public, max-age=31536000, immutable" } else { "public, no-cache" };
    #[allow(clippy::expect_used, reason = "the etag is a quoted hex digest, made at start-up")]
    let etag = HeaderValue::from_str(&asset.etag).expect("etag is ASCII");
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().trim_start_matches("W/") == asset.etag));
    if fresh {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, HeaderValue::from_static(cache))],
        )
            .into_response();
    }
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            (header::ETAG, etag),
        ],
        asset.body,
    )
        .into_response()
}
