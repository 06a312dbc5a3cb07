//! The schema migrations of both databases, embedded in the binary.
//!
//! This does what `sqlx::migrate!` does without sqlx's proc-macro crate, whose
//! host-side build of both database drivers (and of SQLite's C source) was about
//! 17 s of CPU in every cold build. The checksums are the same (SHA-384 of each
//! file), so databases migrated by earlier builds stay valid. A file added to a
//! `migrations/` folder must be listed here; a test checks that nothing is missed.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

use crate::Backend;

macro_rules! embed {
    ($dir:literal: $($file:literal),+ $(,)?) => {
        &[$(($file, include_str!(concat!("../migrations/", $dir, "/", $file)))),+]
    };
}

const POSTGRES: &[(&str, &str)] = embed!("postgres":
    "20261126000001_initial.sql",
    "20261126000002_conversations.sql",
    "20261127000003_task_list_order.sql",
    "20261127000004_task_revision.sql",
    "20261201000007_task_search_folded.sql",
);

const SQLITE: &[(&str, &str)] = embed!("sqlite":
    "20261126000001_initial.sql",
    "20261126000002_conversations.sql",
    "20261127000003_task_list_order.sql",
    "20261127000004_task_revision.sql",
    "20261201000007_task_search_folded.sql",
);

/// `VERSION_DESCRIPTION.sql`, as sqlx names migrations: the description is the
/// rest of the name with `_` read as a space.
fn migration(file: &str, sql: &'static str) -> Result<Migration, BoxDynError> {
    let stem = file.strip_suffix(".sql").ok_or_else(|| format!("migration {file}: not a .sql file"))?;
    if stem.ends_with(".up") || stem.ends_with(".down") {
        return Err(format!("migration {file}: reversible migrations are not supported here").into());
    }
    let (version, description) =
        stem.split_once('_').ok_or_else(|| format!("migration {file}: expected VERSION_DESCRIPTION.sql"))?;
    let version: i64 = version.parse().map_err(|_| format!("migration {file}: version is not a number"))?;
    Ok(Migration::new(
        version,
        Cow::Owned(description.replace('_', " ")),
        MigrationType::Simple,
        Cow::Borrowed(sql),
        // As sqlx::migrate! reads it: such a file runs outside a transaction
        // (e.g. CREATE INDEX CONCURRENTLY).
        sql.starts_with("-- no-transaction"),
    ))
}

#[derive(Debug)]
struct Embedded(&'static [(&'static str, &'static str)]);

impl MigrationSource<'static> for Embedded {
    fn resolve(self) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 'static>> {
        Box::pin(async move { self.0.iter().map(|(file, sql)| migration(file, sql)).collect() })
    }
}

/// The migrator for `backend`, with sqlx's defaults (an advisory lock on
/// PostgreSQL, each migration in a transaction).
pub(crate) async fn migrator(backend: Backend) -> Result<Migrator, sqlx::migrate::MigrateError> {
    Migrator::new(Embedded(match backend {
        Backend::Postgres => POSTGRES,
        Backend::Sqlite => SQLITE,
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files_in(dir: &str) -> Vec<String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(dir);
        let mut names: Vec<String> = std::fs::read_dir(&path)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn names_and_no_transaction_are_read_as_sqlx_reads_them() {
        let m = migration("20300101000000_add_a_thing.sql", "-- no-transaction\nCREATE INDEX CONCURRENTLY i ON t (c);")
            .unwrap();
        assert_eq!((m.version, m.description.as_ref(), m.no_tx), (20300101000000, "add a thing", true));
        assert!(!migration("1_x.sql", "SELECT 1;").unwrap().no_tx);
        for bad in ["1_x.up.sql", "1_x.down.sql", "x.sql", "one_x.sql", "1_x.txt"] {
            assert!(migration(bad, "SELECT 1;").is_err(), "{bad}");
        }
    }

    #[test]
    fn every_migration_file_is_embedded_in_order() {
        for (dir, embedded) in [("postgres", POSTGRES), ("sqlite", SQLITE)] {
            let listed: Vec<String> = embedded.iter().map(|(f, _)| f.to_string()).collect();
            assert_eq!(listed, files_in(dir), "migrations/{dir} and the list in migrations.rs differ");
        }
    }

    #[tokio::test]
    async fn versions_descriptions_and_checksums_are_what_sqlx_records() {
        let m = migrator(Backend::Sqlite).await.unwrap();
        let first = m.iter().next().unwrap();
        assert_eq!(first.version, 20261126000001);
        assert_eq!(first.description, "initial");
        assert_eq!(m.iter().nth(2).unwrap().description, "task list order");
        // The checksum sqlx::migrate! gave this file, as recorded in
        // _sqlx_migrations by a build that still used the macro: a database it
        // migrated must not look modified now.
        let hex: String = first.checksum.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "2dec64211b617d3fea5b5ed2083428d15bbb51f0c619656e235c9f776a0bc0dfecf31b48223e879ea25d7131b8ceb73f"
        );
    }
}
