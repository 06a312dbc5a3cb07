//! Owner-only files for the embedded SQLite database. It holds emails, password
//! hashes, tasks and chats, so neither it nor its directory may be readable by
//! other users of the machine, whatever the umask says.
//!
//! SQLite creates a new database file 0644 (less the umask) and gives the
//! `-wal` and `-shm` files the mode of the database file, so it is enough to
//! create the database file 0600 before SQLite first opens it, in a directory
//! created 0700.

use std::path::Path;

/// Mode of a directory this process creates for its data.
pub const PRIVATE_DIR_MODE: u32 = 0o700;
/// Mode of the database file, its `-wal`/`-shm` companions, and secrets.
pub const PRIVATE_FILE_MODE: u32 = 0o600;

/// Creates `dir` (and missing parents) owner-only. An existing directory is
/// left as it is: it may be shared on purpose (`/var/lib`, a mounted volume).
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, PRIVATE_DIR_MODE);
    builder.create(dir)
}

/// Makes a database file owner-only before SQLite opens it: creates it empty
/// (SQLite initialises an empty file) with mode 0600, or takes the group and
/// other bits off an existing one and its `-wal`/`-shm` files, as an older
/// version of the app left them.
pub fn make_database_file_private(file: &Path) -> std::io::Result<()> {
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, PRIVATE_FILE_MODE);
    match open.open(file) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let mut name = file.as_os_str().to_owned();
                name.push(suffix);
                restrict_to_owner(Path::new(&name))?;
            }
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Takes the group and other permission bits off an existing file; a missing
/// file is fine.
pub fn restrict_to_owner(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))?;
            tracing::warn!(
                path = %path.display(),
                was = format!("{mode:04o}"),
                now = format!("{:04o}", mode & 0o700),
                "a data file was readable by other users; it is now private to its owner"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_files_and_directories_are_owner_only_and_old_ones_are_tightened() {
        let base = std::env::temp_dir().join(format!("todo-files-{}", uuid::Uuid::new_v4().simple()));
        let dir = base.join("a").join("data");
        create_private_dir(&dir).unwrap();
        assert_eq!((mode(&base.join("a")), mode(&dir)), (0o700, 0o700));
        let db = dir.join("todo.db");
        make_database_file_private(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        assert_eq!(std::fs::metadata(&db).unwrap().len(), 0, "created empty for SQLite");

        let old = dir.join("old.db");
        let wal = dir.join("old.db-wal");
        for f in [&old, &wal] {
            std::fs::write(f, b"x").unwrap();
            std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        make_database_file_private(&old).unwrap();
        assert_eq!((mode(&old), mode(&wal)), (0o600, 0o600));
        assert_eq!(std::fs::read(&old).unwrap(), b"x", "an existing database is kept");

        // An existing directory is not the store's to change.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o750)).unwrap();
        create_private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o750);
        let _ = std::fs::remove_dir_all(&base);
    }
}
