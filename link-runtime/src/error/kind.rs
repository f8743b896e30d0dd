//! What an error means to whoever asked for the operation: [`ErrorKind`], and
//! [`Error::kind`], which classifies every error, the database's included.

use std::error::Error as StdError;
use std::fmt;

use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind, Error as DieselError};
use serde::Serialize;

use super::Error;

/// What an [`Error`] means to whoever asked for the operation, whatever went wrong in
/// detail: whether the request was wrong, clashed with the data, or met a server that could
/// not serve it. A web handler maps it to a status code with
/// [`http_status`](Self::http_status); [`Error::kind`] gives every error's.
///
/// It displays and serializes as its snake_case name ([`as_str`](Self::as_str)), the `type`
/// of an [`ErrorDetails`](super::ErrorDetails).
///
/// ```
/// use link_runtime::{Error, ErrorKind};
///
/// let error = Error::MalformedQuery {
///     reason: "`fields` must be an array".into(),
/// };
/// let kind = error.kind();
/// assert_eq!(kind, ErrorKind::Invalid);
/// assert_eq!(kind.http_status(), 400);
/// assert_eq!(kind.to_string(), "invalid");
/// assert_eq!(serde_json::to_value(kind).unwrap(), "invalid");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request itself is wrong (a graph query naming what does not exist, a filter
    /// that cannot apply, values a table's rules refuse): sent again, it fails again.
    /// HTTP 400.
    Invalid,
    /// What the request is about does not exist. HTTP 404.
    NotFound,
    /// The request is well formed but clashes with the data as it is now (a second brand
    /// for a product that has one, a duplicate row): it may succeed once the data has
    /// changed. HTTP 409.
    Conflict,
    /// The request asks for something its caller may not reach: a graph query outside its
    /// [`Scope`](crate::graph::Scope) ([`Error::Forbidden`]), or an application's own
    /// refusals, which map like the others. HTTP 403.
    Forbidden,
    /// The database could not serve the request now (unreachable, locked, or a transaction
    /// that lost a race with another one): the same request may succeed if sent again.
    /// HTTP 503.
    Unavailable,
    /// Something is wrong on the server's side (its configuration, its code, its
    /// database's schema), which the caller can neither fix nor wait out. HTTP 500.
    Internal,
}

impl ErrorKind {
    /// The HTTP status code of an error of this kind: 400, 404, 409, 403, 503 or 500.
    ///
    /// ```
    /// use link_runtime::ErrorKind;
    ///
    /// assert_eq!(ErrorKind::Conflict.http_status(), 409);
    /// assert_eq!(ErrorKind::Unavailable.http_status(), 503);
    /// ```
    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::Invalid => 400,
            ErrorKind::NotFound => 404,
            ErrorKind::Conflict => 409,
            ErrorKind::Forbidden => 403,
            ErrorKind::Unavailable => 503,
            ErrorKind::Internal => 500,
        }
    }

    /// The kind's name, in snake_case: `invalid`, `not_found`, `conflict`, `forbidden`,
    /// `unavailable` or `internal`. It is what the kind displays and serializes as.
    ///
    /// ```
    /// use link_runtime::ErrorKind;
    ///
    /// assert_eq!(ErrorKind::NotFound.as_str(), "not_found");
    /// assert_eq!(ErrorKind::NotFound.to_string(), "not_found");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Invalid => "invalid",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Internal => "internal",
        }
    }

    /// What a client is told about an error of this kind whose own text is not for it to
    /// read: the database's words, a module's, the server's configuration.
    pub(super) fn generic_message(self) -> &'static str {
        match self {
            ErrorKind::Invalid => "the request is invalid",
            ErrorKind::NotFound => "not found",
            ErrorKind::Conflict => "the request conflicts with the current state of the data",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::Unavailable => "the service is temporarily unavailable; try again",
            ErrorKind::Internal => "internal error",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    /// What this error means to whoever asked for the operation, for a web handler to pick
    /// its status code ([`ErrorKind::http_status`]).
    ///
    /// | error | kind |
    /// |---|---|
    /// | a graph query's mistake: [`UnknownEntity`](Error::UnknownEntity), [`AmbiguousEntity`](Error::AmbiguousEntity), [`UnknownField`](Error::UnknownField), [`AmbiguousField`](Error::AmbiguousField), [`InvalidFilter`](Error::InvalidFilter), [`InvalidOrder`](Error::InvalidOrder), [`MalformedQuery`](Error::MalformedQuery), [`InvalidCursor`](Error::InvalidCursor) | `Invalid` |
    /// | [`TooCostly`](Error::TooCostly): a graph query over its [limits](crate::graph::Limits) | `Invalid` |
    /// | [`Forbidden`](Error::Forbidden): a graph query outside its scope | `Forbidden` |
    /// | [`QueryTimeout`](Error::QueryTimeout): a graph query's statement cancelled by its timeout | `Unavailable` |
    /// | [`Cardinality`](Error::Cardinality), [`OverLinked`](Error::OverLinked): a record with more live links than its side allows | `Conflict` |
    /// | [`LinkNotFound`](Error::LinkNotFound): an update of pairs that are not linked | `NotFound` |
    /// | [`NotFound`](Error::NotFound): records a graph query was told to find | `NotFound` |
    /// | [`Connection`](Error::Connection), [`Contention`](Error::Contention) | `Unavailable` |
    /// | [`InDoubt`](Error::InDoubt): a write across databases to be finished by recovery | `Unavailable` |
    /// | [`PreparedTransactionsDisabled`](Error::PreparedTransactionsDisabled): the server's configuration | `Internal` |
    /// | [`Database`](Error::Database), [`Sync`](Error::Sync) | the database's error's, below |
    /// | [`Module`](Error::Module) | its source's, when that is an `Error` or a diesel error; else `Internal` |
    /// | the server's setup: [`DuplicateTable`](Error::DuplicateTable), [`NoSoftDelete`](Error::NoSoftDelete), [`UnknownModule`](Error::UnknownModule), [`MissingTable`](Error::MissingTable), [`UnknownLink`](Error::UnknownLink), [`WrongDialect`](Error::WrongDialect), [`Deserialize`](Error::Deserialize), [`Export`](Error::Export), [`Output`](Error::Output) | `Internal` |
    ///
    /// The setup errors are `Internal` because nothing in a request causes them: a module
    /// name given to `Databases`, a table not synced yet (`MissingTable`), a
    /// [`Deletion`](crate::service::Deletion) naming a link no longer registered
    /// (`UnknownLink`), a `GraphSelect` struct that does not fit its rows (`Deserialize`)
    /// are the application's own, fixed in its code or its deployment.
    ///
    /// A query over its limits is `Invalid` as any other refused query is: sent again, it
    /// costs as much again. A query cancelled by its timeout is `Unavailable`, as
    /// PostgreSQL's own statement timeouts are (SQLSTATE `57014`, below): how long a
    /// statement takes depends on the database's load as much as on the query.
    ///
    /// A diesel error, whether the runtime's statements or an application's own got it
    /// (`Error::from(diesel_error)`, or `?`), is classified by what the database said:
    ///
    /// | diesel error | kind |
    /// |---|---|
    /// | `UniqueViolation`, `ExclusionViolation` | `Conflict` |
    /// | `ForeignKeyViolation`, `RestrictViolation` | `Conflict` |
    /// | `NotNullViolation`, `CheckViolation`; on PostgreSQL, SQLSTATE class `22` (data exception: a value too long, of the wrong form, out of range) | `Invalid` |
    /// | `SerializationFailure`, `ClosedConnection`, `UnableToSendCommand`, `ReadOnlyTransaction`, `BrokenTransactionManager` | `Unavailable` |
    /// | on PostgreSQL, SQLSTATE `40P01` (deadlock), `55P03` (lock not available), `57014` (statement timeout or cancel), `57P01`–`57P03` (shutdown, restart), classes `08` (connection) and `53` (insufficient resources) | `Unavailable` |
    /// | on SQLite, "database is locked" (`SQLITE_BUSY`: another connection writes, and the busy timeout ran out) and "database table/schema is locked" | `Unavailable` |
    /// | `NotFound` (diesel's `first`, `get_result` found no row) | `NotFound` |
    /// | `RollbackErrorOnCommit` | its commit error's |
    /// | anything else | `Internal` |
    ///
    /// The runtime's own statements never break a table's rules with a caller's values: it
    /// checks names and values before any SQL runs, and its tables' columns are typed and
    /// defaulted. So a constraint violation comes from the data as it stands, or from an
    /// application's statement carrying a caller's values. A foreign key or restrict
    /// violation refers to a row that does not exist, or would remove one still referred
    /// to: the request clashes with the rows as they are now, and the same request can
    /// succeed after they change, hence `Conflict`. A NOT NULL or CHECK violation (or a
    /// data exception) is about the values themselves, whatever else the table holds, hence
    /// `Invalid`. The transient failures are `Unavailable`: PostgreSQL reports a lost
    /// connection as `ClosedConnection` or, through diesel-async, as `UnableToSendCommand`,
    /// and a write that reached a read-only standby (during a failover) as
    /// `ReadOnlyTransaction`.
    ///
    /// ```
    /// use diesel::result::{DatabaseErrorKind, Error as DieselError};
    /// use link_runtime::{Error, ErrorKind};
    ///
    /// let duplicate = DieselError::DatabaseError(
    ///     DatabaseErrorKind::UniqueViolation,
    ///     Box::new(String::from("UNIQUE constraint failed: brands.name")),
    /// );
    /// assert_eq!(Error::from(duplicate).kind(), ErrorKind::Conflict);
    ///
    /// // SQLite reports a lock with no kind of its own: its message tells.
    /// let locked = DieselError::DatabaseError(
    ///     DatabaseErrorKind::Unknown,
    ///     Box::new(String::from("database is locked")),
    /// );
    /// assert_eq!(Error::from(locked).kind(), ErrorKind::Unavailable);
    ///
    /// assert_eq!(Error::from(DieselError::NotFound).kind().http_status(), 404);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::UnknownEntity { .. }
            | Error::AmbiguousEntity { .. }
            | Error::UnknownField { .. }
            | Error::AmbiguousField { .. }
            | Error::InvalidFilter { .. }
            | Error::InvalidOrder { .. }
            | Error::MalformedQuery { .. }
            | Error::InvalidCursor { .. }
            | Error::TooCostly { .. } => ErrorKind::Invalid,
            Error::Forbidden { .. } => ErrorKind::Forbidden,
            Error::Cardinality { .. } | Error::OverLinked { .. } => ErrorKind::Conflict,
            Error::LinkNotFound { .. } | Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Connection { .. } | Error::Contention { .. } | Error::QueryTimeout { .. } => {
                ErrorKind::Unavailable
            }
            Error::InDoubt { .. } => ErrorKind::Unavailable,
            Error::PreparedTransactionsDisabled { .. } => ErrorKind::Internal,
            Error::Database(error) | Error::Sync { source: error, .. } => database_kind(error),
            Error::Module { source, .. } => module_kind(source.as_ref()),
            Error::DuplicateTable { .. }
            | Error::NoSoftDelete { .. }
            | Error::UnknownModule { .. }
            | Error::MissingTable { .. }
            | Error::UnknownLink { .. }
            | Error::WrongDialect { .. }
            | Error::Deserialize { .. }
            | Error::Export { .. }
            | Error::Output(_) => ErrorKind::Internal,
        }
    }
}

/// The kind of a diesel error, by what the database said.
pub(crate) fn database_kind(error: &DieselError) -> ErrorKind {
    match error {
        DieselError::DatabaseError(kind, information) => match kind {
            DatabaseErrorKind::UniqueViolation
            | DatabaseErrorKind::ExclusionViolation
            | DatabaseErrorKind::ForeignKeyViolation
            | DatabaseErrorKind::RestrictViolation => ErrorKind::Conflict,
            DatabaseErrorKind::NotNullViolation | DatabaseErrorKind::CheckViolation => {
                ErrorKind::Invalid
            }
            DatabaseErrorKind::SerializationFailure
            | DatabaseErrorKind::ClosedConnection
            | DatabaseErrorKind::UnableToSendCommand
            | DatabaseErrorKind::ReadOnlyTransaction => ErrorKind::Unavailable,
            // `Unknown`, and the kinds later diesel versions add: what the database said.
            _ => unclassified_kind(information.as_ref()),
        },
        DieselError::NotFound => ErrorKind::NotFound,
        DieselError::RollbackErrorOnCommit { commit_error, .. } => database_kind(commit_error),
        DieselError::BrokenTransactionManager => ErrorKind::Unavailable,
        _ => ErrorKind::Internal,
    }
}

impl Error {
    /// Whether PostgreSQL cancelled the statement because it ran past its
    /// `statement_timeout`: SQLSTATE `57014`, which a cancel request also gives, and the
    /// message that tells the two apart.
    pub(crate) fn is_statement_timeout(&self) -> bool {
        match self {
            Error::Database(DieselError::DatabaseError(_, information)) => {
                information
                    .sqlstate()
                    .is_some_and(|code| code.as_str() == "57014")
                    && information.message().contains("statement timeout")
            }
            _ => false,
        }
    }
}

/// The kind of a database error diesel gives no kind of its own: by its SQLSTATE
/// (PostgreSQL's errors carry one), else by its message (SQLite's do not).
fn unclassified_kind(information: &(dyn DatabaseErrorInformation + Send + Sync)) -> ErrorKind {
    match information.sqlstate() {
        Some(code) => match (code.class().as_str(), code.as_str()) {
            ("08" | "53", _) | (_, "40P01" | "55P03" | "57014" | "57P01" | "57P02" | "57P03") => {
                ErrorKind::Unavailable
            }
            ("22", _) => ErrorKind::Invalid,
            _ => ErrorKind::Internal,
        },
        None => {
            let message = information.message();
            let locked = [
                "database is locked",
                "database table is locked",
                "database schema is locked",
            ];
            if locked.iter().any(|prefix| message.starts_with(prefix)) {
                ErrorKind::Unavailable
            } else {
                ErrorKind::Internal
            }
        }
    }
}

/// Whether the database gave up a transaction because of concurrent ones, so that running
/// it again may succeed: a serialization failure, a deadlock, a lock it could not take,
/// SQLite's busy database.
pub(crate) fn gave_up_for_concurrency(error: &DieselError) -> bool {
    let DieselError::DatabaseError(kind, information) = error else {
        return false;
    };
    if matches!(kind, DatabaseErrorKind::SerializationFailure) {
        return true;
    }
    match information.sqlstate() {
        Some(code) => matches!(code.as_str(), "40001" | "40P01" | "55P03"),
        None => information.message().starts_with("database is locked"),
    }
}

/// The kind of a module's failure: its own error's, or the first one in its chain of
/// sources that is the runtime's or diesel's.
fn module_kind(error: &(dyn StdError + 'static)) -> ErrorKind {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(error) = error.downcast_ref::<Error>() {
            return error.kind();
        }
        if let Some(error) = error.downcast_ref::<DieselError>() {
            return database_kind(error);
        }
        next = error.source();
    }
    ErrorKind::Internal
}

#[cfg(test)]
mod tests {
    use diesel::result::SqlState;

    use super::*;

    /// A database error as PostgreSQL reports one: with a SQLSTATE.
    struct Reported {
        message: &'static str,
        code: &'static str,
    }

    impl DatabaseErrorInformation for Reported {
        fn message(&self) -> &str {
            self.message
        }
        fn details(&self) -> Option<&str> {
            None
        }
        fn hint(&self) -> Option<&str> {
            None
        }
        fn table_name(&self) -> Option<&str> {
            None
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            None
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
        fn sqlstate(&self) -> Option<SqlState> {
            Some(self.code.parse().expect("a valid SQLSTATE"))
        }
    }

    fn postgres(kind: DatabaseErrorKind, code: &'static str, message: &'static str) -> Error {
        Error::Database(DieselError::DatabaseError(
            kind,
            Box::new(Reported { message, code }),
        ))
    }

    fn sqlite(kind: DatabaseErrorKind, message: &str) -> Error {
        Error::Database(DieselError::DatabaseError(
            kind,
            Box::new(message.to_owned()),
        ))
    }

    #[test]
    fn every_kind_has_its_status_and_name() {
        let kinds = [
            (ErrorKind::Invalid, 400, "invalid"),
            (ErrorKind::NotFound, 404, "not_found"),
            (ErrorKind::Conflict, 409, "conflict"),
            (ErrorKind::Forbidden, 403, "forbidden"),
            (ErrorKind::Unavailable, 503, "unavailable"),
            (ErrorKind::Internal, 500, "internal"),
        ];
        for (kind, status, name) in kinds {
            assert_eq!(kind.http_status(), status, "{kind:?}");
            assert_eq!(kind.as_str(), name);
            assert_eq!(kind.to_string(), name);
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::from(name)
            );
        }
    }

    #[test]
    fn postgres_errors_without_a_diesel_kind_are_read_by_their_sqlstate() {
        use DatabaseErrorKind::Unknown;
        let cases = [
            ("40P01", "deadlock detected", ErrorKind::Unavailable),
            (
                "55P03",
                "could not obtain lock on row",
                ErrorKind::Unavailable,
            ),
            (
                "57014",
                "canceling statement due to statement timeout",
                ErrorKind::Unavailable,
            ),
            (
                "57P01",
                "terminating connection due to administrator command",
                ErrorKind::Unavailable,
            ),
            (
                "53300",
                "sorry, too many clients already",
                ErrorKind::Unavailable,
            ),
            ("08006", "connection failure", ErrorKind::Unavailable),
            (
                "22001",
                "value too long for type character varying(8)",
                ErrorKind::Invalid,
            ),
            (
                "22P02",
                "invalid input syntax for type integer",
                ErrorKind::Invalid,
            ),
            (
                "42P01",
                "relation \"brands\" does not exist",
                ErrorKind::Internal,
            ),
            (
                "42601",
                "syntax error at or near \"SELEC\"",
                ErrorKind::Internal,
            ),
            // The message does not count when there is a code: this one is no lock.
            ("XX000", "database is locked", ErrorKind::Internal),
        ];
        for (code, message, kind) in cases {
            assert_eq!(
                postgres(Unknown, code, message).kind(),
                kind,
                "{code} {message}"
            );
        }
    }

    #[test]
    fn a_statement_timeout_is_told_from_a_cancel() {
        use DatabaseErrorKind::Unknown;
        let timeout = postgres(
            Unknown,
            "57014",
            "canceling statement due to statement timeout",
        );
        assert!(timeout.is_statement_timeout());
        let cancel = postgres(Unknown, "57014", "canceling statement due to user request");
        assert!(!cancel.is_statement_timeout());
        assert!(!sqlite(Unknown, "statement timeout").is_statement_timeout());
        let query = Error::QueryTimeout {
            timeout: std::time::Duration::from_secs(5),
        };
        assert_eq!(query.kind(), ErrorKind::Unavailable);
        assert!(!query.is_statement_timeout());
    }

    #[test]
    fn diesel_kinds_decide_first() {
        use DatabaseErrorKind::*;
        let cases = [
            (UniqueViolation, ErrorKind::Conflict),
            (ExclusionViolation, ErrorKind::Conflict),
            (ForeignKeyViolation, ErrorKind::Conflict),
            (RestrictViolation, ErrorKind::Conflict),
            (NotNullViolation, ErrorKind::Invalid),
            (CheckViolation, ErrorKind::Invalid),
            (SerializationFailure, ErrorKind::Unavailable),
            (ClosedConnection, ErrorKind::Unavailable),
            (UnableToSendCommand, ErrorKind::Unavailable),
            (ReadOnlyTransaction, ErrorKind::Unavailable),
        ];
        for (diesel_kind, kind) in cases {
            assert_eq!(
                sqlite(diesel_kind, "refused").kind(),
                kind,
                "{diesel_kind:?}"
            );
        }
    }

    #[test]
    fn sqlite_locks_are_read_by_their_message() {
        use DatabaseErrorKind::Unknown;
        for message in [
            "database is locked",
            "database table is locked",
            "database table is locked: product_tags",
            "database schema is locked: main",
        ] {
            assert_eq!(
                sqlite(Unknown, message).kind(),
                ErrorKind::Unavailable,
                "{message}"
            );
        }
        for message in [
            "no such table: brands",
            "disk I/O error",
            "database disk image is malformed",
        ] {
            assert_eq!(
                sqlite(Unknown, message).kind(),
                ErrorKind::Internal,
                "{message}"
            );
        }
    }

    #[test]
    fn other_diesel_errors() {
        assert_eq!(
            Error::from(DieselError::NotFound).kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            Error::from(DieselError::BrokenTransactionManager).kind(),
            ErrorKind::Unavailable
        );
        assert_eq!(
            Error::from(DieselError::RollbackTransaction).kind(),
            ErrorKind::Internal
        );
        assert_eq!(
            Error::from(DieselError::QueryBuilderError("no changes".into())).kind(),
            ErrorKind::Internal
        );
        // A commit refused, then a rollback that failed too: the commit's error tells.
        let Error::Database(serialization) = postgres(
            DatabaseErrorKind::SerializationFailure,
            "40001",
            "could not serialize access",
        ) else {
            unreachable!()
        };
        let failed_commit = DieselError::RollbackErrorOnCommit {
            rollback_error: Box::new(DieselError::BrokenTransactionManager),
            commit_error: Box::new(serialization),
        };
        assert_eq!(Error::from(failed_commit).kind(), ErrorKind::Unavailable);
    }

    #[test]
    fn a_sync_is_classified_by_its_database_error() {
        let sync = |source| Error::Sync {
            action: "create the table `product_tags`".into(),
            source,
        };
        let locked = DieselError::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("database is locked".to_owned()),
        );
        assert_eq!(sync(locked).kind(), ErrorKind::Unavailable);
        let duplicates = DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            Box::new("could not create unique index".to_owned()),
        );
        assert_eq!(sync(duplicates).kind(), ErrorKind::Conflict);
    }

    #[test]
    fn a_module_failure_is_classified_by_its_source() {
        #[derive(Debug)]
        struct Wrapped(DieselError);
        impl fmt::Display for Wrapped {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the brand module failed")
            }
        }
        impl StdError for Wrapped {
            fn source(&self) -> Option<&(dyn StdError + 'static)> {
                Some(&self.0)
            }
        }

        let module = |source| Error::Module {
            module: "brand",
            model: "brand",
            action: "soft-delete",
            source,
        };
        let locked = || {
            DieselError::DatabaseError(
                DatabaseErrorKind::Unknown,
                Box::new("database is locked".to_owned()),
            )
        };
        assert_eq!(module(Box::new(locked())).kind(), ErrorKind::Unavailable);
        assert_eq!(
            module(Box::new(Wrapped(locked()))).kind(),
            ErrorKind::Unavailable
        );
        let refused = Error::Connection {
            database: "brands".into(),
            source: "pool timed out".into(),
        };
        assert_eq!(module(Box::new(refused)).kind(), ErrorKind::Unavailable);
        assert_eq!(
            module("the brand service said no".into()).kind(),
            ErrorKind::Internal
        );
    }
}
