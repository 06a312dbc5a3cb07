//! The session cookie, the CSRF token and the per-request context.
//!
//! `todo_session` holds the API token and the user id, base64url of JSON. It is
//! not signed: the API verifies the token on every call, so a forged cookie gets
//! nothing. It is HttpOnly, SameSite=Lax, and Secure over https.
//!
//! CSRF: signed in, the token is HMAC-SHA256 keyed by the API token (a secret
//! only the browser's HttpOnly cookie and this server know) over a fixed label,
//! so any replica can check it without shared state. Before sign-in, a random
//! `todo_csrf` cookie plays the key's part (login CSRF).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::api::Caller;
use crate::config::CookieSecure;
use crate::state::WebState;

pub const SESSION_COOKIE: &str = "todo_session";
pub const PRE_SESSION_COOKIE: &str = "todo_csrf";
pub const TZ_COOKIE: &str = "todo_tz";
pub const CSRF_FIELD: &str = "csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
const CSRF_LABEL: &[u8] = b"todo-web csrf v1";
/// Matches the API's default token lifetime (7 days).
const SESSION_MAX_AGE_SECS: u64 = 7 * 24 * 3600;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Session {
    #[serde(rename = "u")]
    pub user_id: String,
    #[serde(rename = "t")]
    pub token: String,
    #[serde(rename = "n", default)]
    pub name: String,
}

impl Session {
    pub fn encode(&self) -> String {
        B64.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn decode(value: &str) -> Option<Session> {
        let bytes = B64.decode(value.trim()).ok()?;
        let s: Session = serde_json::from_slice(&bytes).ok()?;
        (!s.user_id.is_empty() && !s.token.is_empty()).then_some(s)
    }
}

fn hmac_of(key: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
    mac.update(CSRF_LABEL);
    mac
}

/// The CSRF token derived from a secret (API token or pre-session value).
pub fn csrf_token(secret: &str) -> String {
    B64.encode(hmac_of(secret).finalize().into_bytes())
}

fn csrf_matches(secret: &str, candidate: &str) -> bool {
    match B64.decode(candidate.trim()) {
        Ok(bytes) => hmac_of(secret).verify_slice(&bytes).is_ok(),
        Err(_) => false,
    }
}

/// Reads one cookie from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Everything a handler needs to know about the request besides its body.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub session: Option<Session>,
    /// The pre-session CSRF secret from the cookie, when present.
    pub pre_session: Option<String>,
    /// A pre-session secret minted for this response (set as a cookie).
    pub new_pre_session: Option<String>,
    pub secure: bool,
    pub request_id: Option<String>,
    /// Minutes east of UTC, from the `todo_tz` cookie the script sets.
    pub utc_offset_minutes: i32,
    header_csrf: Option<String>,
}

impl Ctx {
    /// A context for pages rendered without the request (error pages).
    pub fn blank() -> Ctx {
        Ctx {
            session: None,
            pre_session: None,
            new_pre_session: None,
            secure: false,
            request_id: None,
            utc_offset_minutes: 0,
            header_csrf: None,
        }
    }

    pub fn caller(&self) -> Caller {
        Caller {
            token: self.session.as_ref().map(|s| s.token.clone()),
            user_id: self.session.as_ref().map(|s| s.user_id.clone()).unwrap_or_default(),
            request_id: self.request_id.clone(),
        }
    }

    /// No token (signing in or up), but the request id, so the API's log lines
    /// for the attempt carry the same id as the web's.
    pub fn anonymous_caller(&self) -> Caller {
        Caller { request_id: self.request_id.clone(), ..Caller::default() }
    }

    fn secret(&self) -> Option<&str> {
        match &self.session {
            Some(s) => Some(&s.token),
            None => self.pre_session.as_deref().or(self.new_pre_session.as_deref()),
        }
    }

    /// The token to embed in forms (and the `csrf-token` meta tag for scripts).
    pub fn csrf(&self) -> String {
        self.secret().map(csrf_token).unwrap_or_default()
    }

    /// Accepts the request when the form field or the `X-CSRF-Token` header
    /// carries the token of this session.
    pub fn csrf_ok(&self, form_value: &str) -> bool {
        let secret = match &self.session {
            Some(s) => s.token.as_str(),
            None => match self.pre_session.as_deref() {
                Some(p) => p,
                None => return false,
            },
        };
        let candidate = if form_value.is_empty() { self.header_csrf.as_deref().unwrap_or("") } else { form_value };
        !candidate.is_empty() && csrf_matches(secret, candidate)
    }

    /// Makes sure an anonymous visitor has a pre-session secret.
    pub fn ensure_pre_session(&mut self) {
        if self.session.is_none() && self.pre_session.is_none() && self.new_pre_session.is_none() {
            let bytes: [u8; 32] = rand::random();
            self.new_pre_session = Some(B64.encode(bytes));
        }
    }

    fn attrs(&self, max_age: u64, same_site: &str) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("; Path=/; Max-Age={max_age}; HttpOnly; SameSite={same_site}{secure}")
    }

    pub fn session_cookie(&self, session: &Session) -> HeaderValue {
        let v = format!("{SESSION_COOKIE}={}{}", session.encode(), self.attrs(SESSION_MAX_AGE_SECS, "Lax"));
        HeaderValue::from_str(&v).expect("cookie is ASCII")
    }

    pub fn clear_session_cookie(&self) -> HeaderValue {
        HeaderValue::from_str(&format!("{SESSION_COOKIE}={}", self.attrs(0, "Lax"))).expect("cookie is ASCII")
    }

    pub fn pre_session_cookie(&self) -> Option<HeaderValue> {
        let v = self.new_pre_session.as_ref()?;
        HeaderValue::from_str(&format!("{PRE_SESSION_COOKIE}={v}{}", self.attrs(SESSION_MAX_AGE_SECS, "Lax"))).ok()
    }
}

impl FromRequestParts<WebState> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Self::Rejection> {
        let h = &parts.headers;
        let forwarded_https = h
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
        let secure = match state.config.cookie_secure {
            CookieSecure::True => true,
            CookieSecure::False => false,
            CookieSecure::Auto => forwarded_https || parts.uri.scheme_str() == Some("https"),
        };
        let utc_offset_minutes = cookie(h, TZ_COOKIE)
            .and_then(|v| v.parse::<i32>().ok())
            .filter(|m| (-14 * 60..=14 * 60).contains(m))
            .unwrap_or(0);
        Ok(Ctx {
            session: cookie(h, SESSION_COOKIE).and_then(Session::decode),
            pre_session: cookie(h, PRE_SESSION_COOKIE).filter(|v| v.len() >= 32).map(str::to_string),
            new_pre_session: None,
            secure,
            request_id: h.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_string),
            utc_offset_minutes,
            header_csrf: h.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).map(str::to_string),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_round_trips_and_rejects_garbage() {
        let s = Session { user_id: "u1".into(), token: "tok".into(), name: "Ada <b>".into() };
        assert_eq!(Session::decode(&s.encode()), Some(s));
        assert_eq!(Session::decode("not base64!"), None);
        assert_eq!(Session::decode(&B64.encode(b"{\"u\":\"\",\"t\":\"x\"}")), None);
    }

    #[test]
    fn csrf_depends_on_the_secret() {
        let t = csrf_token("secret-a");
        assert!(csrf_matches("secret-a", &t));
        assert!(!csrf_matches("secret-b", &t));
        assert!(!csrf_matches("secret-a", ""));
        assert!(!csrf_matches("secret-a", "garbage"));
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; todo_session=xyz; b=2"));
        assert_eq!(cookie(&h, "todo_session"), Some("xyz"));
        assert_eq!(cookie(&h, "c"), None);
    }
}
