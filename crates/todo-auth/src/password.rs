use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, SaltString, rand_core::OsRng};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use crate::AuthError;

/// Hashes with Argon2id (the crate's defaults: 19 MiB, 2 passes) on the blocking
/// pool, so a burst of sign-ups cannot stall the async workers.
pub async fn hash_password(password: String) -> Result<String, AuthError> {
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(|e| AuthError::Hashing(e.to_string()))?
}

fn hash_blocking(password: &str) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hashing(e.to_string()))
}

/// Checks a password against a stored PHC hash. With no hash (unknown email) it
/// still spends the time of one verification, so response times do not reveal
/// which emails have accounts.
pub async fn verify_password(password: String, hash: Option<String>) -> Result<bool, AuthError> {
    tokio::task::spawn_blocking(move || {
        let hash = hash.as_deref().unwrap_or_else(|| dummy_hash());
        let parsed = PasswordHash::new(hash).map_err(|e| AuthError::Hashing(e.to_string()))?;
        Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .map_err(|e| AuthError::Hashing(e.to_string()))?
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_blocking("timing-equaliser").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let h = hash_password("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse".into(), Some(h.clone())).await.unwrap());
        assert!(!verify_password("wrong horse".into(), Some(h)).await.unwrap());
        assert!(!verify_password("anything".into(), None).await.unwrap());
    }
}
