//! Writes whose transaction the database gives up because of concurrent ones (a deadlock,
//! a serialization failure, a lock it could not take) run again, a bounded number of
//! times, and then say so with [`Error::Contention`] rather than the database's error.

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
/// just ended (committed, or rolled back on an error).
pub(crate) fn judge<T>(attempt: usize, outcome: Result<T, Error>) -> Attempt<T> {
    match outcome {
        Err(Error::Database(error)) if gave_up_for_concurrency(&error) => {
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
pub(crate) fn judge_query<T>(attempt: usize, outcome: Result<T, DieselError>) -> Attempt<T> {
    judge(attempt, outcome.map_err(Error::Database))
}

/// Runs a write's transaction until the database keeps it, at most [`MAX_ATTEMPTS`] times:
/// `$attempt` is a block that opens, runs and ends one transaction on `$conn` and returns
/// its `Result`.
macro_rules! retrying {
    ($attempt:block) => {{
        let mut attempt = 1;
        loop {
            let outcome = $attempt;
            match $crate::backend::retry::judge(attempt, outcome) {
                $crate::backend::retry::Attempt::Done(outcome) => break outcome,
                $crate::backend::retry::Attempt::Again => attempt += 1,
            }
        }
    }};
}

pub(crate) use retrying;
