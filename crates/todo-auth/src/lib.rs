//! Account security: Argon2id password hashing (off the async runtime) and user
//! tokens. Our own tokens are HS256 JWTs signed with `BETTER_AUTH_SECRET`; with a
//! JWKS URL, EdDSA/RS256/ES256 tokens of an external issuer (such as Better Auth's
//! JWT plugin) are accepted too. The algorithm is always pinned per key type, so a
//! token cannot choose how it is verified.
#![forbid(unsafe_code)]

mod jwks;
mod password;

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub use jwks::JwksCache;
pub use password::Passwords;

#[derive(Debug, thiserror::Error)]
/// Why a token or a password operation was refused.
pub enum AuthError {
    #[error("missing bearer token")]
    /// No `Authorization: Bearer` header.
    Missing,
    #[error("invalid token: {0}")]
    /// A token that does not verify; the detail is for logs, never for the client.
    Invalid(String),
    /// The configuration cannot issue tokens (JWKS-only mode).
    #[error("this server does not issue tokens: sign in with the configured identity provider")]
    IssuingDisabled,
    /// The JWKS endpoint could not be reached; the token may be fine.
    #[error("identity provider keys unavailable: {0}")]
    KeysUnavailable(String),
    #[error("password hashing failed: {0}")]
    /// The hashing library failed (not a wrong password).
    Hashing(String),
    /// Every password-hashing slot stayed taken for the whole wait (see [`Passwords`]).
    #[error("too many sign-ins at once; retry shortly")]
    Busy,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
/// The claims of a token: ours and those of an external issuer alike.
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// Issued at, in seconds since the epoch.
    pub iat: i64,
    /// Expires at, in seconds since the epoch.
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The issuer.
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The audience: one string or a list of them.
    pub aud: Option<serde_json::Value>,
    /// The session this token belongs to (tokens of this service only): the API
    /// accepts the token only while that session is active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// A token this service issued, and when it expires.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The signed JWT.
    pub token: String,
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
}

/// A verified token.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// Its claims, checked.
    pub claims: Claims,
    /// The session of a token this service issued, which the caller must check
    /// is still active. `None` for a token of the external issuer, whose
    /// lifetime that issuer decides (any `sid` it carries means nothing here).
    pub session_id: Option<String>,
}

#[derive(Clone)]
/// How tokens are issued and which ones are accepted.
pub struct AuthConfig {
    /// HS256 secret for our own tokens. `None` with a JWKS URL is JWKS-only mode.
    pub hs256_secret: Option<Vec<u8>>,
    /// `iss` of the tokens this service issues (and requires of them).
    pub issuer: String,
    /// `aud` of the tokens this service issues (and requires of them).
    pub audience: String,
    /// How long an issued token (and its session) lasts.
    pub token_ttl: Duration,
    /// The external issuer's key set, whose tokens are accepted too.
    pub jwks_url: Option<String>,
    /// Expected `iss`/`aud` of external tokens, checked when set.
    pub jwks_issuer: Option<String>,
    /// Expected `aud` of external tokens, checked when set.
    pub jwks_audience: Option<String>,
    /// Least time between two JWKS fetches caused by unknown key ids.
    pub jwks_min_refetch_interval: Duration,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("hs256_secret", &self.hs256_secret.as_ref().map(|_| "<redacted>"))
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("token_ttl", &self.token_ttl)
            .field("jwks_url", &self.jwks_url)
            .finish()
    }
}

#[derive(Clone)]
/// Issues and verifies tokens: HS256 ones of this service and, with a JWKS URL, those of an external issuer.
pub struct Authenticator {
    cfg: AuthConfig,
    hs256: Option<(EncodingKey, DecodingKey)>,
    jwks: Option<JwksCache>,
}

impl Authenticator {
    /// An authenticator for this configuration (the key set is fetched on first use).
    pub fn new(cfg: AuthConfig) -> Authenticator {
        let hs256 = cfg.hs256_secret.as_ref().map(|s| (EncodingKey::from_secret(s), DecodingKey::from_secret(s)));
        let jwks = cfg.jwks_url.clone().map(|url| JwksCache::new(url, cfg.jwks_min_refetch_interval));
        Authenticator { cfg, hs256, jwks }
    }

    /// Whether this configuration can issue tokens (false in JWKS-only mode).
    pub fn can_issue(&self) -> bool {
        self.hs256.is_some()
    }

    /// A signed HS256 token for `user_id` in the session `session_id`, which
    /// the caller records (see todo-api's sessions) before handing it out.
    pub fn issue(&self, user_id: &str, session_id: &str) -> Result<Issued, AuthError> {
        let (key, _) = self.hs256.as_ref().ok_or(AuthError::IssuingDisabled)?;
        let now = Utc::now().timestamp();
        let exp = now + self.cfg.token_ttl.as_secs() as i64;
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now,
            exp,
            iss: Some(self.cfg.issuer.clone()),
            aud: Some(serde_json::Value::String(self.cfg.audience.clone())),
            sid: Some(session_id.to_string()),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, key)
            .map_err(|e| AuthError::Invalid(e.to_string()))?;
        let expires_at = Utc
            .timestamp_opt(exp, 0)
            .single()
            .ok_or_else(|| AuthError::Invalid("token lifetime out of range".into()))?;
        Ok(Issued { token, expires_at })
    }

    /// Verifies a token and returns its claims. The header's `alg` only selects
    /// which configured key family applies; each family accepts fixed algorithms.
    /// `exp` and `nbf` are checked (30 s leeway). Our own tokens must name a
    /// session: those issued before sessions existed have none, and are refused
    /// so that everyone signs in once again.
    pub async fn verify(&self, token: &str) -> Result<Verified, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| AuthError::Invalid(e.to_string()))?;
        match header.alg {
            Algorithm::HS256 => {
                let (_, key) = self
                    .hs256
                    .as_ref()
                    .ok_or_else(|| AuthError::Invalid("HS256 tokens are not accepted by this server".into()))?;
                let mut v = Validation::new(Algorithm::HS256);
                v.set_issuer(&[&self.cfg.issuer]);
                v.set_audience(&[&self.cfg.audience]);
                v.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
                v.validate_nbf = true;
                v.leeway = 30;
                let claims = decode(token, key, &v)?;
                let session_id = claims.sid.clone().filter(|s| !s.trim().is_empty()).ok_or_else(|| {
                    AuthError::Invalid("token has no session id (sid): issued before sessions".into())
                })?;
                Ok(Verified { claims, session_id: Some(session_id) })
            }
            Algorithm::EdDSA | Algorithm::RS256 | Algorithm::ES256 => {
                let jwks = self.jwks.as_ref().ok_or_else(|| {
                    AuthError::Invalid(format!("{:?} tokens are not accepted by this server", header.alg))
                })?;
                let kid = header.kid.ok_or_else(|| AuthError::Invalid("token has no key id (kid)".into()))?;
                let (key, alg) = jwks.key(&kid).await?;
                if alg != header.alg {
                    return Err(AuthError::Invalid("token algorithm does not match its key".into()));
                }
                let mut v = Validation::new(alg);
                v.set_required_spec_claims(&["exp", "sub"]);
                v.validate_nbf = true;
                v.leeway = 30;
                if let Some(iss) = &self.cfg.jwks_issuer {
                    v.set_issuer(&[iss])
                }
                match &self.cfg.jwks_audience {
                    Some(aud) => v.set_audience(&[aud]),
                    None => v.validate_aud = false,
                }
                Ok(Verified { claims: decode(token, &key, &v)?, session_id: None })
            }
            other => Err(AuthError::Invalid(format!("algorithm {other:?} is not accepted"))),
        }
    }
}

fn decode(token: &str, key: &DecodingKey, v: &Validation) -> Result<Claims, AuthError> {
    let data = jsonwebtoken::decode::<Claims>(token, key, v).map_err(|e| AuthError::Invalid(e.to_string()))?;
    if data.claims.sub.trim().is_empty() {
        return Err(AuthError::Invalid("token subject is empty".into()));
    }
    Ok(data.claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(secret: &[u8]) -> AuthConfig {
        AuthConfig {
            hs256_secret: Some(secret.to_vec()),
            issuer: "todo-api".into(),
            audience: "todo-app".into(),
            token_ttl: Duration::from_secs(3600),
            jwks_url: None,
            jwks_issuer: None,
            jwks_audience: None,
            jwks_min_refetch_interval: Duration::from_secs(10),
        }
    }

    #[tokio::test]
    async fn issued_tokens_verify() {
        let a = Authenticator::new(cfg(b"0123456789abcdef0123456789abcdef"));
        let issued = a.issue("user-1", "session-1").unwrap();
        let v = a.verify(&issued.token).await.unwrap();
        assert_eq!(v.claims.sub, "user-1");
        assert_eq!(v.session_id.as_deref(), Some("session-1"));
        assert!(v.claims.exp > v.claims.iat);
        assert_eq!(issued.expires_at.timestamp(), v.claims.exp);
    }

    #[tokio::test]
    async fn wrong_secret_issuer_or_audience_is_rejected() {
        let a = Authenticator::new(cfg(b"0123456789abcdef0123456789abcdef"));
        let b = Authenticator::new(cfg(b"another-secret-another-secret-xx"));
        assert!(b.verify(&a.issue("u", "s").unwrap().token).await.is_err());
        let mut other_iss = cfg(b"0123456789abcdef0123456789abcdef");
        other_iss.issuer = "someone-else".into();
        assert!(a.verify(&Authenticator::new(other_iss).issue("u", "s").unwrap().token).await.is_err());
        let mut other_aud = cfg(b"0123456789abcdef0123456789abcdef");
        other_aud.audience = "another-app".into();
        assert!(a.verify(&Authenticator::new(other_aud).issue("u", "s").unwrap().token).await.is_err());
    }

    #[tokio::test]
    async fn expired_and_unsigned_tokens_are_rejected() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let a = Authenticator::new(cfg(secret));
        let past = Utc::now().timestamp() - 3600;
        let claims = Claims {
            sub: "u".into(),
            iat: past - 10,
            exp: past,
            iss: Some("todo-api".into()),
            aud: Some("todo-app".into()),
            sid: Some("s".into()),
        };
        let expired =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret)).unwrap();
        assert!(a.verify(&expired).await.is_err());

        // alg "none": header {"alg":"none","typ":"JWT"} and no signature.
        let valid = a.issue("u", "s").unwrap().token;
        let payload = valid.split('.').nth(1).unwrap();
        let none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
        assert!(a.verify(&none).await.is_err());
        assert!(a.verify("not-a-jwt").await.is_err());
    }

    #[tokio::test]
    async fn jwks_only_mode_refuses_hs256_and_issuing() {
        let issuer = Authenticator::new(cfg(b"0123456789abcdef0123456789abcdef"));
        let mut c = cfg(b"");
        c.hs256_secret = None;
        c.jwks_url = Some("http://127.0.0.1:9/jwks".into());
        let jwks_only = Authenticator::new(c);
        assert!(!jwks_only.can_issue());
        assert!(matches!(jwks_only.issue("u", "s"), Err(AuthError::IssuingDisabled)));
        let err = jwks_only.verify(&issuer.issue("u", "s").unwrap().token).await.unwrap_err();
        assert!(err.to_string().contains("HS256 tokens are not accepted"), "{err}");
    }

    fn sign(claims: serde_json::Value, secret: &[u8]) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret)).unwrap()
    }

    #[tokio::test]
    async fn tokens_without_a_session_or_not_yet_valid_are_rejected() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let a = Authenticator::new(cfg(secret));
        let now = Utc::now().timestamp();
        let base = serde_json::json!({"sub": "u", "iat": now, "exp": now + 600, "iss": "todo-api", "aud": "todo-app"});
        let mut with_sid = base.clone();
        with_sid["sid"] = "s".into();
        assert!(a.verify(&sign(with_sid.clone(), secret)).await.is_ok());

        let err = a.verify(&sign(base.clone(), secret)).await.unwrap_err();
        assert!(err.to_string().contains("no session id"), "{err}");
        let mut empty_sid = base.clone();
        empty_sid["sid"] = "".into();
        assert!(a.verify(&sign(empty_sid, secret)).await.is_err());

        // nbf an hour ahead: not valid yet; within the leeway it is.
        let mut later = with_sid.clone();
        later["nbf"] = (now + 3600).into();
        assert!(a.verify(&sign(later, secret)).await.is_err());
        let mut soon = with_sid;
        soon["nbf"] = (now + 5).into();
        assert!(a.verify(&sign(soon, secret)).await.is_ok());
    }
}
