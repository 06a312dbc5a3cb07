use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ValidationErrors;
use crate::text::{clean_text, has_visible_char};
use crate::zone::{DEFAULT_TIME_ZONE, validate_time_zone};

/// Shortest password accepted at sign-up, in characters.
pub const PASSWORD_MIN_CHARS: usize = 8;
/// Longest password accepted at sign-up, in characters (bounds the hashing work).
pub const PASSWORD_MAX_CHARS: usize = 128;
/// Longest display name, in characters.
pub const NAME_MAX_CHARS: usize = 100;
/// Longest email address, in characters (RFC 5321's path limit).
pub const EMAIL_MAX_CHARS: usize = 254;

/// An account as clients see it (never the password hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    /// Its id: a UUID for accounts of this service, the issuer's `sub` for external tokens.
    pub id: String,
    /// Its email, lower-cased.
    pub email: String,
    /// The name shown to the user.
    pub name: String,
    /// The IANA time zone every date shown to the user, and every date the
    /// user says, is in (`UTC` until the user chooses another).
    pub time_zone: String,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
/// Body of `POST /api/auth/sign-up`.
pub struct SignUpInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::sign_up_email))]
    /// An email address; one account per address, whatever its case.
    pub email: String,
    /// 8-128 characters.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::sign_up_password))]
    pub password: String,
    /// 1-100 characters.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::name))]
    pub name: String,
    /// The user's IANA time zone (the web form sends the browser's); omitted: `UTC`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::time_zone))]
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
/// Body of `PATCH /api/auth/me`: only the fields present change; at least one must.
pub struct UserPatchInput {
    /// A new display name, 1-100 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::name))]
    pub name: Option<String>,
    /// A new IANA time zone.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::time_zone))]
    pub time_zone: Option<String>,
}

/// A validated change of an account's settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserChanges {
    /// The new name, trimmed.
    pub name: Option<String>,
    /// The new zone, in the database's spelling.
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
/// Body of `POST /api/auth/sign-in`.
pub struct SignInInput {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::sign_in_email))]
    /// The account's email.
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::sign_in_password))]
    /// The account's password.
    pub password: String,
}

/// A validated sign-up.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAccount {
    /// The email, trimmed and lower-cased.
    pub email: String,
    /// The password as typed (it is hashed, never stored).
    pub password: String,
    /// The display name, trimmed.
    pub name: String,
    /// The IANA zone, in the database's spelling.
    pub time_zone: String,
}

/// Trims and lower-cases an email so that one address is one account.
pub fn normalize_email(raw: &str) -> String {
    raw.trim().to_lowercase()
}

fn validate_email(raw: &str, errors: &mut ValidationErrors) -> String {
    let email = normalize_email(raw);
    if let Err(msg) = clean_text(&email) {
        errors.push("email", msg);
        return email;
    }
    let well_formed = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if email.is_empty() {
        errors.push("email", "must not be empty");
    } else if email.chars().count() > EMAIL_MAX_CHARS {
        errors.push("email", format!("must be at most {EMAIL_MAX_CHARS} characters"));
    } else if !well_formed {
        errors.push("email", "must be an email address like name@example.com");
    }
    email
}

fn validate_password(field: &str, password: &str, errors: &mut ValidationErrors) {
    let n = password.chars().count();
    if !(PASSWORD_MIN_CHARS..=PASSWORD_MAX_CHARS).contains(&n) {
        errors.push(field, format!("must be {PASSWORD_MIN_CHARS} to {PASSWORD_MAX_CHARS} characters"));
    }
}

impl SignUpInput {
    /// Checks every field and normalises email and name, naming each problem.
    pub fn validate(&self) -> Result<NewAccount, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let email = validate_email(&self.email, &mut errors);
        validate_password("password", &self.password, &mut errors);
        let name = validate_name(&self.name, &mut errors);
        let time_zone = match self.time_zone.as_deref().map(str::trim).filter(|z| !z.is_empty()) {
            Some(z) => validate_time_zone("time_zone", z, &mut errors),
            None => DEFAULT_TIME_ZONE.to_string(),
        };
        errors.into_result(NewAccount { email, password: self.password.clone(), name, time_zone })
    }
}

fn validate_name(raw: &str, errors: &mut ValidationErrors) -> String {
    match clean_text(raw.trim()) {
        Ok(name) => {
            let n = name.chars().count();
            if n == 0 {
                errors.push("name", "must not be empty");
            } else if n > NAME_MAX_CHARS {
                errors.push("name", format!("must be at most {NAME_MAX_CHARS} characters"));
            } else if !has_visible_char(&name) {
                errors.push("name", "must contain a visible character");
            }
            name
        }
        Err(msg) => {
            errors.push("name", msg);
            String::new()
        }
    }
}

impl UserPatchInput {
    /// Checks every field sent, naming each problem; a body that changes nothing is refused.
    pub fn validate(&self) -> Result<UserChanges, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let changes = UserChanges {
            name: self.name.as_deref().map(|n| validate_name(n, &mut errors)),
            time_zone: self.time_zone.as_deref().map(|z| validate_time_zone("time_zone", z, &mut errors)),
        };
        if errors.is_empty() && changes == UserChanges::default() {
            errors.push("body", "at least one of name, time_zone is required");
        }
        errors.into_result(changes)
    }
}

impl SignInInput {
    /// The normalised email. Only what no stored account can match is refused
    /// here (empty fields, control characters); the rest is a wrong password.
    pub fn validate(&self) -> Result<String, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let email = normalize_email(&self.email);
        if email.is_empty() {
            errors.push("email", "must not be empty");
        } else if let Err(msg) = clean_text(&email) {
            errors.push("email", msg);
        }
        if self.password.is_empty() {
            errors.push("password", "must not be empty");
        }
        errors.into_result(email)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
/// Body of `POST /api/auth/password`.
pub struct PasswordChangeInput {
    /// The account's password now.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::sign_in_password))]
    pub current_password: String,
    /// The new password: 8-128 characters, as at sign-up.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::sign_up_password))]
    pub new_password: String,
}

impl PasswordChangeInput {
    /// Checks both fields, naming each problem; the current password's
    /// correctness is for the caller to check against the stored hash.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        if self.current_password.is_empty() {
            errors.push("current_password", "must not be empty");
        }
        validate_password("new_password", &self.new_password, &mut errors);
        errors.into_result(())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
/// Body of `POST /api/auth/delete-account`: the password confirms it.
pub struct AccountDeleteInput {
    /// The account's password.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::sign_in_password))]
    pub password: String,
}

impl AccountDeleteInput {
    /// Refuses an empty password by name.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        if self.password.is_empty() {
            errors.push("password", "must not be empty");
        }
        errors.into_result(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign_up(email: &str, password: &str, name: &str) -> Result<NewAccount, Vec<String>> {
        SignUpInput { email: email.into(), password: password.into(), name: name.into(), time_zone: None }
            .validate()
            .map_err(|e| e.0.into_iter().map(|f| f.field).collect())
    }

    #[test]
    fn email_is_trimmed_and_lowercased() {
        let a = sign_up("  Ada@Example.COM ", "correct horse", " Ada ").unwrap();
        assert_eq!(a.email, "ada@example.com");
        assert_eq!(a.name, "Ada");
    }

    #[test]
    fn bad_emails_are_rejected() {
        for bad in ["", "ada", "ada@", "@example.com", "ada@example", "a b@example.com", "a@b@c.com", "ada@.com"] {
            assert_eq!(sign_up(bad, "password1", "Ada").unwrap_err(), ["email"], "{bad:?}");
        }
    }

    #[test]
    fn password_length_is_bounded() {
        assert_eq!(sign_up("a@b.co", "short", "A").unwrap_err(), ["password"]);
        assert_eq!(sign_up("a@b.co", &"p".repeat(129), "A").unwrap_err(), ["password"]);
        assert!(sign_up("a@b.co", &"p".repeat(128), "A").is_ok());
        assert!(sign_up("a@b.co", "12345678", "A").is_ok());
    }

    #[test]
    fn control_characters_and_invisible_names_are_refused() {
        assert_eq!(sign_up("a\0@b.co", "12345678", "A").unwrap_err(), ["email"]);
        assert_eq!(sign_up("a@b.co", "12345678", "A\0da").unwrap_err(), ["name"]);
        assert_eq!(sign_up("a@b.co", "12345678", "\u{1b}[2J").unwrap_err(), ["name"]);
        assert_eq!(sign_up("a@b.co", "12345678", "\u{200b}").unwrap_err(), ["name"]);
        assert_eq!(sign_up("a@b.co", "12345678", "Zoë 🎃").unwrap().name, "Zoë 🎃");
        let sign_in = |email: &str, password: &str| {
            SignInInput { email: email.into(), password: password.into() }
                .validate()
                .map_err(|e| e.0.into_iter().map(|f| f.field).collect::<Vec<_>>())
        };
        assert_eq!(sign_in(" Ada@Example.com ", "x").unwrap(), "ada@example.com");
        assert_eq!(sign_in("ada\0@example.com", "x").unwrap_err(), ["email"]);
        assert_eq!(sign_in("", "").unwrap_err(), ["email", "password"]);
    }

    #[test]
    fn time_zone_defaults_to_utc_and_is_checked() {
        let up = |tz: Option<&str>| {
            SignUpInput {
                email: "a@b.co".into(),
                password: "12345678".into(),
                name: "A".into(),
                time_zone: tz.map(str::to_string),
            }
            .validate()
            .map(|a| a.time_zone)
            .map_err(|e| e.0.into_iter().map(|f| f.field).collect::<Vec<_>>())
        };
        assert_eq!(up(None).unwrap(), "UTC");
        assert_eq!(up(Some("")).unwrap(), "UTC");
        assert_eq!(up(Some("asia/tokyo")).unwrap(), "Asia/Tokyo");
        assert_eq!(up(Some("Mars/Base")).unwrap_err(), ["time_zone"]);
        let patch = |body: &str| {
            serde_json::from_str::<UserPatchInput>(body)
                .unwrap()
                .validate()
                .map_err(|e| e.0.into_iter().map(|f| f.field).collect::<Vec<_>>())
        };
        assert_eq!(patch(r#"{"time_zone": "Europe/Berlin"}"#).unwrap().time_zone.as_deref(), Some("Europe/Berlin"));
        assert_eq!(patch(r#"{"time_zone": "Europe/Atlantis"}"#).unwrap_err(), ["time_zone"]);
        assert_eq!(patch("{}").unwrap_err(), ["body"]);
    }

    #[test]
    fn name_is_required() {
        assert_eq!(sign_up("a@b.co", "12345678", "  ").unwrap_err(), ["name"]);
        assert_eq!(sign_up("x", "1", "").unwrap_err(), ["email", "password", "name"]);
    }
}
