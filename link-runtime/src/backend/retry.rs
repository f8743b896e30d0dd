//! Writes whose transaction the database gives up because of concurrent ones (a deadlock,
//! a serialization failure, a lock it could not take) run again, a bounded number of
//! times, and then say so with [`Error::Contention`] rather than the database's error.
//!
//! A write inside its caller's own transaction is not run again: the locks that
//! transaction already holds would meet the same writers again, and only the caller can
//! run its whole transaction again. Its error is then the database's, whose
//! [`kind`](Error::kind) is [`Unavailable`](crate::ErrorKind::Unavailable) all the same.

use diesel::result::Error as DieselError;

use crate::error::{gave_up_for_concurrency, Error};

/// How many times a write's transaction runs at most. Writes take their locks in one
/// order (pairs sorted), so that they do not deadlock each other; what is left (a write
/// meeting a module's own statements, a dismiss scanning rows in another order) resolves
/// within a few attempts, each of which starts after the transaction that won.
pub(crate) const MAX_ATTEMPTS: usize = 5;

/// What to do with the outcome of a write's attempt (its transaction already ended):
/// keep it, or run the write again.
pub(crate) enum Attempt<T> {
    Done(Result<T, Error>),
    Again,
}

/// Judges the outcome of attempt number `attempt` of a write whose transaction the caller
/// just ended (committed, or rolled back on an error). `nested` says that the write ran
/// inside a transaction of its caller's, which only the caller can run again.
pub(crate) fn judge<T>(attempt: usize, nested: bool, outcome: Result<T, Error>) -> Attempt<T> {
    match outcome {
        Err(Error::Database(error)) if !nested && gave_up_for_concurrency(&error) => {
            if attempt < MAX_ATTEMPTS {
                Attempt::Again
            } else {
                Attempt::Done(Err(Error::Contention {
                    attempts: attempt,
                    source: error,
                }))
            }
        }
        other => Attempt::Done(other),
    }
}

/// [`judge`] for an outcome in diesel's error.
pub(crate) fn judge_query<T>(
    attempt: usize,
    nested: bool,
    outcome: Result<T, DieselError>,
) -> Attempt<T> {
    judge(attempt, nested, outcome.map_err(Error::Database))
}

/// Runs a write's transaction until the database keeps it, at most [`MAX_ATTEMPTS`] times:
/// `$attempt` is a block that opens, runs and ends one transaction on `$conn` (an
/// [`Executor`](crate::backend::Executor)) and returns its `Result`. Inside a transaction
/// of the caller's, it runs once.
macro_rules! retrying {
    ($conn:expr, $attempt:block) => {{
        let nested = $crate::backend::Executor::in_transaction($conn);
        let mut attempt = 1;
        loop {
            let outcome = $attempt;
            match $crate::backend::retry::judge(attempt, nested, outcome) {
                $crate::backend::retry::Attempt::Done(outcome) => break outcome,
                $crate::backend::retry::Attempt::Again => attempt += 1,
            }
        }
    }};
}

pub(crate) use retrying;
