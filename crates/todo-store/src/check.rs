//! What `todo-app doctor` asks of a database before the app is started: can one
//! connection be opened (and if not, why, in terms a person can act on), and
//! how far its migrations are. One plain connection, not the pool: the pool
//! retries and reports "timed out", which hides the reason.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use crate::{Backend, migrations, redact};

/// Why no connection could be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectProblem {
    /// The URL does not parse.
    BadUrl(String),
    /// Nothing listens at the host and port (connection refused).
    Refused(String),
    /// The host does not resolve or cannot be reached.
    Unreachable(String),
    /// The server refused the user name or password.
    Credentials(String),
    /// The server has no database of that name.
    NoSuchDatabase(String),
    /// No answer within the time allowed.
    Timeout(Duration),
    /// Anything else, as the driver words it.
    Other(String),
}

impl std::fmt::Display for ConnectProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectProblem::BadUrl(e) => write!(f, "the URL does not parse: {e}"),
            ConnectProblem::Refused(e) => write!(f, "connection refused ({e})"),
            ConnectProblem::Unreachable(e) => write!(f, "cannot reach the server ({e})"),
            ConnectProblem::Credentials(e) => write!(f, "the server refused the user or password ({e})"),
            ConnectProblem::NoSuchDatabase(e) => write!(f, "no such database ({e})"),
            ConnectProblem::Timeout(t) => write!(f, "no answer within {} s", t.as_secs()),
            ConnectProblem::Other(e) => write!(f, "{e}"),
        }
    }
}

/// How a database's applied migrations compare with the ones this build embeds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationState {
    /// Migrations this build knows.
    pub known: usize,
    /// Of those, applied with the same checksum.
    pub applied: usize,
    /// Applied by a build this one does not know (a newer version ran on it):
    /// this build refuses to start on it.
    pub unknown: Vec<i64>,
    /// Applied, but from a different file than this build's: it refuses to start.
    pub modified: Vec<i64>,
    /// Recorded as failed (a migration that stopped half-way).
    pub failed: Vec<i64>,
}

impl MigrationState {
    /// Known migrations not applied yet; the app applies them when it starts.
    pub fn pending(&self) -> usize {
        self.known.saturating_sub(self.applied + self.modified.len() + self.failed.len())
    }

    /// Whether the app can start on this database (pending ones are applied then).
    pub fn is_usable(&self) -> bool {
        self.unknown.is_empty() && self.modified.is_empty() && self.failed.is_empty()
    }
}

/// What was found at a database URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseCheck {
    /// Which database it is.
    pub backend: Backend,
    /// The server's version (PostgreSQL) or the library's (SQLite).
    pub version: String,
    /// Its migrations.
    pub migrations: MigrationState,
}

/// A row of sqlx's migration table: version, success, checksum.
type Applied = (i64, bool, Vec<u8>);
const APPLIED: &str = "SELECT version, success, checksum FROM _sqlx_migrations ORDER BY version";

/// Opens one connection to `url` (an SQLite file must exist: this creates
/// nothing), reads its migrations and closes it, all within `timeout`.
pub async fn check_database(url: &str, timeout: Duration) -> Result<DatabaseCheck, ConnectProblem> {
    let backend = Backend::of_url(url)
        .ok_or_else(|| ConnectProblem::BadUrl("it must start with postgres://, postgresql:// or sqlite:".into()))?;
    let work = async {
        match backend {
            Backend::Postgres => {
                let opts = PgConnectOptions::from_str(url)
                    .map_err(|e| ConnectProblem::BadUrl(redact(&e.to_string())))?
                    .application_name("todo-app doctor");
                let mut c = opts.connect().await.map_err(classify)?;
                let version: String =
                    sqlx::query_scalar("SHOW server_version").fetch_one(&mut c).await.map_err(classify)?;
                let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
                    .fetch_one(&mut c)
                    .await
                    .map_err(classify)?;
                let rows: Vec<Applied> = if exists {
                    sqlx::query_as(APPLIED).fetch_all(&mut c).await.map_err(classify)?
                } else {
                    Vec::new()
                };
                let _ = c.close().await;
                Ok((version, rows))
            }
            Backend::Sqlite => {
                let opts = SqliteConnectOptions::from_str(url)
                    .map_err(|e| ConnectProblem::BadUrl(e.to_string()))?
                    .create_if_missing(false);
                let mut c = opts.connect().await.map_err(classify)?;
                let version: String =
                    sqlx::query_scalar("SELECT sqlite_version()").fetch_one(&mut c).await.map_err(classify)?;
                let exists: bool = sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
                )
                .fetch_one(&mut c)
                .await
                .map_err(classify)?;
                let rows: Vec<Applied> = if exists {
                    sqlx::query_as(APPLIED).fetch_all(&mut c).await.map_err(classify)?
                } else {
                    Vec::new()
                };
                let _ = c.close().await;
                Ok((version, rows))
            }
        }
    };
    let (version, rows) = tokio::time::timeout(timeout, work).await.map_err(|_| ConnectProblem::Timeout(timeout))??;
    let migrator = migrations::migrator(backend).await.map_err(|e| ConnectProblem::Other(e.to_string()))?;
    let embedded: BTreeMap<i64, Vec<u8>> = migrator.iter().map(|m| (m.version, m.checksum.to_vec())).collect();
    let mut state = MigrationState { known: embedded.len(), ..MigrationState::default() };
    for (version, success, checksum) in rows {
        match embedded.get(&version) {
            None => state.unknown.push(version),
            Some(_) if !success => state.failed.push(version),
            Some(ours) if *ours != checksum => state.modified.push(version),
            Some(_) => state.applied += 1,
        }
    }
    Ok(DatabaseCheck { backend, version, migrations: state })
}

/// Sorts a driver error into what a person can do about it.
fn classify(e: sqlx::Error) -> ConnectProblem {
    use std::io::ErrorKind;
    match &e {
        sqlx::Error::Io(io) if io.kind() == ErrorKind::ConnectionRefused => ConnectProblem::Refused(io.to_string()),
        sqlx::Error::Io(io) => ConnectProblem::Unreachable(io.to_string()),
        sqlx::Error::Configuration(c) => ConnectProblem::BadUrl(redact(&c.to_string())),
        sqlx::Error::Database(db) => match db.code().as_deref() {
            // invalid_password, invalid_authorization_specification
            Some("28P01" | "28000") => ConnectProblem::Credentials(db.message().to_string()),
            // invalid_catalog_name
            Some("3D000") => ConnectProblem::NoSuchDatabase(db.message().to_string()),
            _ => ConnectProblem::Other(db.message().to_string()),
        },
        _ => ConnectProblem::Other(redact(&e.to_string())),
    }
}
