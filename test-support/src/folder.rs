//! [`SqliteFolder`]: a fresh folder for a test's SQLite files.

use std::path::{Path, PathBuf};

/// A folder of its own in the system's temporary folder, for a test's SQLite files: named
/// after the test, the process and the moment, created empty, removed when dropped.
#[derive(Debug)]
pub struct SqliteFolder(PathBuf);

impl SqliteFolder {
    /// A new, empty folder for the test named `test`.
    ///
    /// # Panics
    ///
    /// If the folder cannot be created.
    pub fn new(test: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos());
        let dir = std::env::temp_dir().join(format!("link-{test}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        SqliteFolder(dir)
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The path of the database file `{name}.db` in it, as SQLite's URL.
    ///
    /// # Panics
    ///
    /// If the path is not UTF-8.
    pub fn file(&self, name: &str) -> String {
        self.0
            .join(format!("{name}.db"))
            .to_str()
            .expect("a UTF-8 path")
            .to_owned()
    }
}

impl Drop for SqliteFolder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
