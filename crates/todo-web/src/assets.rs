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

const FILES: [(&str, &str, &[u8]); 3] = [
    ("app.css", "text/css; charset=utf-8", include_bytes!("../assets/app.css")),
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("../assets/app.js")),
    ("icon.svg", "image/svg+xml", include_bytes!("../assets/icon.svg")),
];

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
