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
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use cookie::time::Duration;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::api::Caller;
use crate::config::CookieSecure;
use crate::state::WebState;

pub const SESSION_COOKIE: &str = "todo_session";
pub const PRE_SESSION_COOKIE: &str = "todo_csrf";
/// The conversation open in the chat panel, so a page loaded without `?c=` (a
/// bookmark of `/`, a new tab) shows it again.
pub const CHAT_COOKIE: &str = "todo_chat";
pub const CSRF_FIELD: &str = "csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
const CSRF_LABEL: &[u8] = b"todo-web csrf v1";
/// Matches the API's default token lifetime (7 days).
const SESSION_MAX_AGE_SECS: i64 = 7 * 24 * 3600;

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

#[allow(clippy::expect_used, reason = "HMAC-SHA256 takes a key of any length")]
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
    /// The browser's address (behind TRUSTED_PROXIES), for the API's throttling.
    pub client_ip: Option<std::net::IpAddr>,
    /// The conversation last open in the chat panel, from [`CHAT_COOKIE`].
    pub open_conversation: Option<i64>,
    header_csrf: Option<String>,
}

impl Ctx {
    /// A context for pages rendered without the request (error pages).
    pub fn blank() -> Ctx {
        Ctx {
            session: None,
            pre_session: None,
            new_pre_session: None,
            open_conversation: None,
            secure: false,
            request_id: None,
            client_ip: None,
            header_csrf: None,
        }
    }

    pub fn caller(&self) -> Caller {
        Caller {
            token: self.session.as_ref().map(|s| s.token.clone()),
            user_id: self.session.as_ref().map(|s| s.user_id.clone()).unwrap_or_default(),
            request_id: self.request_id.clone(),
            client_ip: self.client_ip,
        }
    }

    /// The caller for sign-in and sign-up: no token, but the request id and the
    /// browser's address.
    pub fn anonymous_caller(&self) -> Caller {
        Caller { request_id: self.request_id.clone(), client_ip: self.client_ip, ..Caller::default() }
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

    /// Every cookie of ours: the whole site, out of scripts' reach, sent on
    /// top-level navigation from elsewhere (Lax), and only over https when the
    /// request came that way (or COOKIE_SECURE says so).
    fn cookie(&self, name: &'static str, value: String, max_age_secs: i64) -> Cookie<'static> {
        Cookie::build((name, value))
            .path("/")
            .max_age(Duration::seconds(max_age_secs))
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .build()
    }

    /// The cookie that signs this browser in with `session`.
    pub(crate) fn session_cookie(&self, session: &Session) -> CookieJar {
        CookieJar::new().add(self.cookie(SESSION_COOKIE, session.encode(), SESSION_MAX_AGE_SECS))
    }

    /// The cookie that signs this browser out. The chat cookie may stay: another
    /// account's conversation is not found for the next user, and the first page
    /// they load clears it.
    pub(crate) fn clear_session_cookie(&self) -> CookieJar {
        CookieJar::new().add(self.cookie(SESSION_COOKIE, String::new(), 0))
    }

    /// The chat cookie for a page whose panel shows `open`, when it changes.
    pub(crate) fn chat_cookie(&self, open: Option<i64>) -> Option<CookieJar> {
        (open != self.open_conversation).then(|| {
            CookieJar::new().add(match open {
                Some(id) => self.cookie(CHAT_COOKIE, id.to_string(), SESSION_MAX_AGE_SECS),
                None => self.cookie(CHAT_COOKIE, String::new(), 0),
            })
        })
    }

    /// The pre-session cookie minted for this response, if one was.
    pub(crate) fn pre_session_cookie(&self) -> Option<CookieJar> {
        let v = self.new_pre_session.clone()?;
        Some(CookieJar::new().add(self.cookie(PRE_SESSION_COOKIE, v, SESSION_MAX_AGE_SECS)))
    }
}

impl FromRequestParts<WebState> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Self::Rejection> {
        let h = &parts.headers;
        let jar = CookieJar::from_headers(h);
        let cookie = |name: &str| jar.get(name).map(Cookie::value);
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
        Ok(Ctx {
            session: cookie(SESSION_COOKIE).and_then(Session::decode),
            pre_session: cookie(PRE_SESSION_COOKIE).filter(|v| v.len() >= 32).map(str::to_string),
            new_pre_session: None,
            secure,
            request_id: h.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_string),
            client_ip: parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| state.config.trusted_proxies.client_ip(c.0.ip(), h)),
            open_conversation: cookie(CHAT_COOKIE).and_then(|v| v.parse().ok()),
            header_csrf: h.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).map(str::to_string),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

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
        let mut h = axum::http::HeaderMap::new();
        h.insert(axum::http::header::COOKIE, axum::http::HeaderValue::from_static("a=1; todo_session=xyz; b=2"));
        let jar = CookieJar::from_headers(&h);
        assert_eq!(jar.get("todo_session").map(Cookie::value), Some("xyz"));
        assert!(jar.get("c").is_none());
    }

    /// The `Set-Cookie` headers a response carries for `jar`: the name and
    /// value, and the attributes in any order.
    fn set_cookies(jar: CookieJar) -> Vec<(String, BTreeSet<String>)> {
        use axum::response::IntoResponse;
        let res = jar.into_response();
        res.headers()
            .get_all(axum::http::header::SET_COOKIE)
            .iter()
            .map(|v| {
                let mut parts = v.to_str().unwrap().split(';').map(|p| p.trim().to_string());
                (parts.next().unwrap(), parts.collect())
            })
            .collect()
    }

    #[test]
    fn cookies_keep_their_attributes() {
        let session = Session { user_id: "u1".into(), token: "tok".into(), name: "Ada".into() };
        for secure in [false, true] {
            let mut ctx = Ctx::blank();
            ctx.secure = secure;
            let attrs = |max_age: i64| {
                let mut a: BTreeSet<String> =
                    ["Path=/", "HttpOnly", "SameSite=Lax"].into_iter().map(String::from).collect();
                a.insert(format!("Max-Age={max_age}"));
                if secure {
                    a.insert("Secure".into());
                }
                a
            };
            let week = 7 * 24 * 3600;
            assert_eq!(
                set_cookies(ctx.session_cookie(&session)),
                vec![(format!("todo_session={}", session.encode()), attrs(week))]
            );
            assert_eq!(set_cookies(ctx.clear_session_cookie()), vec![("todo_session=".to_string(), attrs(0))]);
            assert!(ctx.pre_session_cookie().is_none(), "no pre-session cookie unless one was minted");
            ctx.ensure_pre_session();
            let minted = ctx.new_pre_session.clone().unwrap();
            assert_eq!(
                set_cookies(ctx.pre_session_cookie().unwrap()),
                vec![(format!("todo_csrf={minted}"), attrs(week))]
            );
            assert_eq!(set_cookies(ctx.chat_cookie(Some(3)).unwrap()), vec![("todo_chat=3".to_string(), attrs(week))]);
            assert!(ctx.chat_cookie(None).is_none(), "nothing open, nothing to change");
            ctx.open_conversation = Some(3);
            assert!(ctx.chat_cookie(Some(3)).is_none(), "unchanged");
            assert_eq!(set_cookies(ctx.chat_cookie(None).unwrap()), vec![("todo_chat=".to_string(), attrs(0))]);
        }
    }
}
