//! The embedded SQLite database holds emails, password hashes, tasks and
//! chats: its directory is created 0700 and the database with its -wal and
//! -shm files 0600, whatever the umask, and an upgrade tightens what an older
//! version left readable to others. (SQLite only: PostgreSQL keeps its own files.)

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::common::TestApp;
use serde_json::json;

fn mode(path: &Path) -> u32 {
    let meta = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    meta.permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_and_its_directory_are_private_to_the_owner() {
    let base = crate::common::temp_dir("todo-sqlite-files");
    let dir = base.join("nested").join("data");
    let db = dir.join("todo.db");
    let url = format!("sqlite://{}", db.display());

    let app = TestApp::builder().on_database(&url).start().await;
    let u = app.sign_up("files@example.com").await;
    app.create_task(&u, json!({"title": "Private"})).await;
    assert_eq!(mode(&base.join("nested")), 0o700, "created parent");
    assert_eq!(mode(&dir), 0o700, "database directory");
    for file in ["todo.db", "todo.db-wal", "todo.db-shm"] {
        assert_eq!(mode(&dir.join(file)), 0o600, "{file}");
    }
    app.stop().await;

    // As an older version left them: readable by everyone.
    for file in ["todo.db", "todo.db-wal", "todo.db-shm"] {
        let path = dir.join(file);
        if path.exists() {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    let app = TestApp::builder().on_database(&url).start().await;
    assert_eq!(app.list(&u, "").await.0, 1, "the data is kept");
    for file in ["todo.db", "todo.db-wal", "todo.db-shm"] {
        assert_eq!(mode(&dir.join(file)), 0o600, "{file} after the upgrade");
    }
    let _ = std::fs::remove_dir_all(&base);
}
