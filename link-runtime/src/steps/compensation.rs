//! What undoing a unit of work did, for both drivers' `Steps`.

use std::fmt;

use crate::service::ModuleError;

/// What undoing a unit of work did.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Compensation {
    /// The steps undone, in the order they were undone (the last step first).
    pub undone: Vec<String>,
    /// The steps that could not be undone: their effect stays.
    pub failures: Vec<UndoFailure>,
}

impl Compensation {
    /// Whether every step was undone.
    pub fn is_complete(&self) -> bool {
        self.failures.is_empty()
    }
}

/// A step whose undo failed.
#[derive(Debug)]
#[non_exhaustive]
pub struct UndoFailure {
    /// The step, as [`Compensation::undone`] names steps.
    pub step: String,
    /// Why it could not be undone: a link step's is a boxed [`Error`](crate::Error).
    pub error: ModuleError,
}

/// A unit of work that failed: its error, and what undoing its steps did.
#[derive(Debug)]
#[non_exhaustive]
pub struct Failed<E> {
    /// The error the work returned.
    pub error: E,
    /// What undoing the steps before it did.
    pub compensation: Compensation,
}

impl<E> fmt::Display for Failed<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Compensation { undone, failures } = &self.compensation;
        write!(f, "a step failed")?;
        if failures.is_empty() {
            return write!(f, "; the {} steps before it were undone", undone.len());
        }
        write!(
            f,
            "; {} of the {} steps before it could not be undone:",
            failures.len(),
            undone.len() + failures.len()
        )?;
        for failure in failures {
            write!(f, " `{}` ({})", failure.step, failure.error)?;
        }
        Ok(())
    }
}

impl<E: std::error::Error + 'static> std::error::Error for Failed<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl Compensation {
    /// Records what undoing `step` did.
    pub(crate) fn record(&mut self, step: String, outcome: Result<(), ModuleError>) {
        match outcome {
            Ok(()) => self.undone.push(step),
            Err(error) => self.failures.push(UndoFailure { step, error }),
        }
    }

    /// Says on standard error, the only place left to say it, which undos failed after a
    /// unit of work panicked.
    pub(crate) fn report_after_panic(&self) {
        for failure in &self.failures {
            eprintln!(
                "link_runtime: after a panic, could not undo `{}`: {}",
                failure.step, failure.error
            );
        }
    }
}
