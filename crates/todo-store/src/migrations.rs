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
    "20261201000005_auth_throttle.sql",
    "20261201000006_sessions.sql",
    "20261201000007_task_search_folded.sql",
    "20261201000008_quotas.sql",
    "20261202000009_time_zones.sql",
    "20261202000010_task_numbers_and_reply_assistant.sql",
    "20261203000012_calendar_feeds.sql",
    "20261203000014_task_trash.sql",
    "20261203000015_chat_turn_keys.sql",
    "20261203000016_task_repeat.sql",
);

const SQLITE: &[(&str, &str)] = embed!("sqlite":
    "20261126000001_initial.sql",
    "20261126000002_conversations.sql",
    "20261127000003_task_list_order.sql",
    "20261127000004_task_revision.sql",
    "20261201000005_auth_throttle.sql",
    "20261201000006_sessions.sql",
    "20261201000007_task_search_folded.sql",
    "20261201000008_quotas.sql",
    "20261202000009_time_zones.sql",
    "20261202000010_task_numbers_and_reply_assistant.sql",
    "20261203000012_calendar_feeds.sql",
    "20261203000014_task_trash.sql",
    "20261203000015_chat_turn_keys.sql",
    "20261203000016_task_repeat.sql",
    "20261203000017_tasks_user_created_number.sql",
    "20261203000018_tasks_user_updated_number.sql",
    "20261203000019_tasks_user_title_number.sql",
    "20261203000020_drop_tasks_user_created_id.sql",
    "20261203000021_drop_tasks_user_created.sql",
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

    /// A database as the version before the quotas left it: its tasks and
    /// conversations are counted by the upgrade, so the limits hold at once.
    async fn counts_of_existing_rows_are_backfilled(url: String, backend: Backend) {
        use crate::{Quota, Quotas, Store, StoreConfig, StoreError};
        use sqlx::Connection;
        const QUOTAS: &str = "20261201000008";
        let cfg =
            StoreConfig { url: url.clone(), max_connections: 2, acquire_timeout: std::time::Duration::from_secs(5) };
        let store = Store::connect_lazy(&cfg).unwrap();
        let full = migrator(backend).await.unwrap();
        let before: Vec<Migration> =
            full.iter().filter(|m| m.version < QUOTAS.parse::<i64>().unwrap()).cloned().collect();
        assert!(full.iter().any(|m| m.version == QUOTAS.parse::<i64>().unwrap()), "the quotas migration exists");
        let old = Migrator { migrations: before.into(), ..Migrator::DEFAULT };
        let old_rows = [
            "INSERT INTO tasks (user_id, title, created_at, updated_at) VALUES ('a', 'one', 1, 1), ('a', 'two', 1, 1), ('a', 'three', 1, 1), ('b', 'one', 1, 1)",
            "INSERT INTO conversations (user_id, title, created_at, updated_at) VALUES ('a', 'full', 1, 1), ('a', 'empty', 1, 1)",
            "INSERT INTO messages (conversation_id, role, content, created_at) SELECT id, 'user', 'hi', 1 FROM conversations WHERE title = 'full'",
            "INSERT INTO messages (conversation_id, role, content, created_at) SELECT id, 'assistant', 'hello', 1 FROM conversations WHERE title = 'full'",
            "INSERT INTO messages (conversation_id, role, content, created_at) SELECT id, 'user', 'again', 1 FROM conversations WHERE title = 'full'",
        ];
        match backend {
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
                old.run(&mut c).await.unwrap();
                for sql in old_rows {
                    sqlx::query(sql).execute(&mut c).await.unwrap();
                }
            }
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
                old.run(&mut c).await.unwrap();
                for sql in old_rows {
                    sqlx::query(sql).execute(&mut c).await.unwrap();
                }
            }
        }
        store.migrate().await.unwrap();
        let store = store.with_quotas(Quotas {
            tasks_per_user: 3,
            conversations_per_user: 2,
            messages_per_conversation: 4,
            chat_turns_per_minute: 0,
        });
        let draft = todo_domain::TaskInput { title: "more".into(), ..Default::default() }.validate().unwrap();
        let quota_of = |e: StoreError| match e {
            StoreError::QuotaExceeded { quota, .. } => quota,
            other => panic!("{other}"),
        };
        assert_eq!(quota_of(store.create_task("a", &draft).await.unwrap_err()), Quota::Tasks);
        store.create_task("b", &draft).await.unwrap();
        assert_eq!(quota_of(store.begin_turn("a", None, "new", "hi", 10).await.unwrap_err()), Quota::Conversations);
        let conversations = store.list_conversations("a", 10, 0).await.unwrap();
        let id_of = |title: &str| conversations.iter().find(|c| c.title == title).unwrap().id;
        let full = store.begin_turn("a", Some(id_of("full")), "", "hi", 10).await.unwrap_err();
        assert_eq!(quota_of(full), Quota::MessagesPerConversation, "3 messages and a turn's 2 are more than 4");
        let turn = store.begin_turn("a", Some(id_of("empty")), "", "hi", 10).await.unwrap();
        assert!(turn.history.is_empty());
        store.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn counts_of_existing_rows_are_backfilled_on_sqlite() {
        let dir = std::env::temp_dir().join(format!("todo-upgrade-{}", uuid::Uuid::new_v4().simple()));
        let url = format!("sqlite://{}", dir.join("todo.db").display());
        counts_of_existing_rows_are_backfilled(url, Backend::Sqlite).await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn counts_of_existing_rows_are_backfilled_on_postgres() {
        use sqlx::Connection;
        let admin = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL (scripts/test.sh starts PostgreSQL)");
        let name = format!("todo_upgrade_{}", uuid::Uuid::new_v4().simple());
        let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut c).await.unwrap();
        let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
        counts_of_existing_rows_are_backfilled(url, Backend::Postgres).await;
    }

    /// Applies the migrations before `version` to the database at `url`, then
    /// runs `rows` (a database as an older version left it).
    async fn as_before(url: &str, backend: Backend, version: i64, rows: &[&str]) {
        use sqlx::Connection;
        let full = migrator(backend).await.unwrap();
        let before: Vec<Migration> = full.iter().filter(|m| m.version < version).cloned().collect();
        assert!(before.len() < full.iter().count(), "migration {version} exists");
        let old = Migrator { migrations: before.into(), ..Migrator::DEFAULT };
        match backend {
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
                old.run(&mut c).await.unwrap();
                for sql in rows {
                    sqlx::query(sql).execute(&mut c).await.unwrap();
                }
            }
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                old.run(&mut c).await.unwrap();
                for sql in rows {
                    sqlx::query(sql).execute(&mut c).await.unwrap();
                }
            }
        }
    }

    /// A database from before task numbers: each user's tasks are numbered by
    /// creation order (then id), new tasks continue after them, and a task
    /// another writer inserts without a number (an older replica) gets the next.
    async fn existing_tasks_are_numbered_by_creation_order(url: String, backend: Backend) {
        use crate::{Store, StoreConfig};
        let cfg =
            StoreConfig { url: url.clone(), max_connections: 2, acquire_timeout: std::time::Duration::from_secs(5) };
        let rows = [
            "INSERT INTO tasks (user_id, title, created_at, updated_at) VALUES \
             ('a', 'third', 30, 30), ('b', 'b first', 5, 5), ('a', 'first', 10, 10), ('a', 'second, a tie', 20, 20), \
             ('a', 'second, a tie later in id', 20, 20)",
            "INSERT INTO conversations (user_id, title, created_at, updated_at) VALUES ('a', 'chat', 1, 1)",
            "INSERT INTO messages (conversation_id, role, content, created_at) SELECT id, 'user', '(built-in assistant) typed by the user', 1 FROM conversations",
            "INSERT INTO messages (conversation_id, role, content, created_at) SELECT id, 'assistant', '(built-in assistant) I''ve added it.', 2 FROM conversations",
            "INSERT INTO messages (conversation_id, role, content, created_at) SELECT id, 'assistant', 'A model''s reply.', 3 FROM conversations",
        ];
        as_before(&url, backend, 20261202000010, &rows).await;
        let store = Store::connect_lazy(&cfg).unwrap();
        store.migrate().await.unwrap();
        let title = |user: &'static str, n: i64| {
            let store = store.clone();
            async move { store.get_task(user, n).await.unwrap().title }
        };
        assert_eq!(title("a", 1).await, "first");
        assert_eq!(title("a", 2).await, "second, a tie");
        assert_eq!(title("a", 3).await, "second, a tie later in id");
        assert_eq!(title("a", 4).await, "third");
        assert_eq!(title("b", 1).await, "b first");
        // The built-in assistant's old text prefix becomes the reply's `assistant`.
        let chat = store.list_conversations("a", 10, 0).await.unwrap()[0].id;
        let messages = store.list_messages("a", chat, 10, 0).await.unwrap();
        let seen: Vec<(&str, Option<&str>)> =
            messages.iter().map(|m| (m.content.as_str(), m.assistant.as_deref())).collect();
        assert_eq!(
            seen,
            [
                ("(built-in assistant) typed by the user", None),
                ("I've added it.", Some("builtin")),
                ("A model's reply.", None)
            ]
        );
        let draft = todo_domain::TaskInput { title: "new".into(), ..Default::default() }.validate().unwrap();
        assert_eq!(store.create_task("a", &draft).await.unwrap().id, 5);
        assert_eq!(store.create_task("b", &draft).await.unwrap().id, 2);
        assert_eq!(store.create_task("c", &draft).await.unwrap().id, 1, "a user with no task yet");
        store
            .db
            .execute(
                "INSERT INTO tasks (user_id, title, created_at, updated_at) VALUES ('a', 'by an older replica', 40, 40)",
                &[],
            )
            .await
            .unwrap();
        assert_eq!(title("a", 6).await, "by an older replica");
        assert_eq!(store.create_task("a", &draft).await.unwrap().id, 7);
        store.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn existing_tasks_are_numbered_by_creation_order_on_sqlite() {
        let dir = std::env::temp_dir().join(format!("todo-upgrade-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("todo.db").display());
        existing_tasks_are_numbered_by_creation_order(url, Backend::Sqlite).await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn existing_tasks_are_numbered_by_creation_order_on_postgres() {
        use sqlx::Connection;
        let admin = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL (scripts/test.sh starts PostgreSQL)");
        let name = format!("todo_upgrade_{}", uuid::Uuid::new_v4().simple());
        let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut c).await.unwrap();
        let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
        existing_tasks_are_numbered_by_creation_order(url, Backend::Postgres).await;
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
