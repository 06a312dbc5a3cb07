use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey};
use tokio::sync::Mutex;

use crate::AuthError;

const MAX_AGE: Duration = Duration::from_secs(600);

struct Cached {
    keys: HashMap<String, (DecodingKey, Algorithm)>,
    fetched_at: Option<Instant>,
}

/// Public keys of an external token issuer, fetched from its JWKS URL, cached,
/// and refetched when a token carries a key id we have not seen.
#[derive(Clone)]
pub struct JwksCache {
    url: String,
    /// Keys are refreshed at most this often when a token names an unknown `kid`,
    /// so random kids cannot turn us into a request amplifier against the issuer.
    min_refetch_interval: Duration,
    http: reqwest::Client,
    cached: Arc<Mutex<Cached>>,
}

impl JwksCache {
    /// A cache of the key set at `url`, fetched on first use and again for an unknown key id, at most once per `min_refetch_interval`.
    pub fn new(url: String, min_refetch_interval: Duration) -> JwksCache {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        JwksCache {
            url,
            min_refetch_interval,
            http,
            cached: Arc::new(Mutex::new(Cached { keys: HashMap::new(), fetched_at: None })),
        }
    }

    /// The verification key for `kid` and the one algorithm it may be used with.
    pub async fn key(&self, kid: &str) -> Result<(DecodingKey, Algorithm), AuthError> {
        let mut cached = self.cached.lock().await;
        let stale = cached.fetched_at.is_none_or(|t| t.elapsed() > MAX_AGE);
        let unknown = !cached.keys.contains_key(kid);
        let may_refetch = cached.fetched_at.is_none_or(|t| t.elapsed() > self.min_refetch_interval);
        if stale || (unknown && may_refetch) {
            match self.fetch().await {
                Ok(keys) => {
                    cached.keys = keys;
                    cached.fetched_at = Some(Instant::now());
                }
                Err(e) if cached.keys.is_empty() => return Err(e),
                Err(e) => tracing::warn!(error = %e, "JWKS refresh failed; using cached keys"),
            }
        }
        cached.keys.get(kid).cloned().ok_or_else(|| AuthError::Invalid(format!("unknown signing key {kid:?}")))
    }

    async fn fetch(&self) -> Result<HashMap<String, (DecodingKey, Algorithm)>, AuthError> {
        let set: JwkSet = self
            .http
            .get(&self.url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| AuthError::KeysUnavailable(e.without_url().to_string()))?
            .json()
            .await
            .map_err(|e| AuthError::KeysUnavailable(format!("JWKS is not valid JSON: {}", e.without_url())))?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let (Some(kid), Some(alg)) = (jwk.common.key_id.clone(), algorithm_for(jwk)) else {
                continue;
            };
            match DecodingKey::from_jwk(jwk) {
                Ok(key) => {
                    keys.insert(kid, (key, alg));
                }
                Err(e) => tracing::warn!(kid, error = %e, "skipping unusable JWKS key"),
            }
        }
        Ok(keys)
    }
}

/// The algorithm a key's type allows; symmetric and unknown keys are never used.
fn algorithm_for(jwk: &Jwk) -> Option<Algorithm> {
    match &jwk.algorithm {
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => Some(Algorithm::EdDSA),
        AlgorithmParameters::RSA(_) => Some(Algorithm::RS256),
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => Some(Algorithm::ES256),
        _ => None,
    }
}
