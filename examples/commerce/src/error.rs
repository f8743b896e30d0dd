//! What can make the demo fail.

use std::fmt;

/// Why [`run`](crate::run) failed.
///
/// Each variant but the last two wraps an error and shows it as its own (its `source` is the
/// wrapped error's source), so printing a `RunError` prints what went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum RunError {
    /// SQLite refused a statement of a module.
    Database(diesel::result::Error),
    /// The link runtime failed: a database it could not connect to, or an error the demo did
    /// not expect (such as a cardinality error other than the one it provokes).
    Link(link_runtime::Error),
    /// Writing the demo's output failed.
    Output(std::io::Error),
    /// A unit of work failed and some of its steps could not be undone.
    NotUndone(String),
    /// A link the runtime should have refused was created.
    NotRefused {
        /// The link's table.
        link: &'static str,
        /// The id of the link's left record.
        left: String,
        /// The id of the link's right record.
        right: String,
    },
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Database(error) => write!(f, "database error: {error}"),
            RunError::Link(error) => error.fmt(f),
            RunError::Output(error) => write!(f, "cannot write the output: {error}"),
            RunError::NotUndone(failed) => failed.fmt(f),
            RunError::NotRefused { link, left, right } => write!(
                f,
                "link `{link}` accepted `{left}` -> `{right}`, which it should have refused"
            ),
        }
    }
}

impl std::error::Error for RunError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RunError::Database(error) => error.source(),
            RunError::Link(error) => error.source(),
            RunError::Output(error) => error.source(),
            RunError::NotUndone(_) | RunError::NotRefused { .. } => None,
        }
    }
}

impl From<diesel::result::Error> for RunError {
    fn from(error: diesel::result::Error) -> Self {
        RunError::Database(error)
    }
}

impl From<link_runtime::Error> for RunError {
    fn from(error: link_runtime::Error) -> Self {
        RunError::Link(error)
    }
}

impl From<std::io::Error> for RunError {
    fn from(error: std::io::Error) -> Self {
        RunError::Output(error)
    }
}
