//! Where each statement runs: one connection for everything, or one per database.

use super::executor::Executor;
use crate::error::Result;

/// Where a table lives: with a module, or with a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place<'a> {
    /// A table of the module of this name.
    Module(&'a str),
    /// The pivot table of the link of this table name.
    Link(&'a str),
}

/// The connections an operation runs on: one for everything, or one per database.
pub(crate) trait Connections {
    /// The connections' executor.
    type Conn: Executor;

    /// The connection to the database `place` is in.
    async fn conn(&mut self, place: Place<'_>) -> Result<&mut Self::Conn>;

    /// Whether the tables of `a` and `b` are in one database, so one statement may read
    /// both.
    fn together(&self, a: Place<'_>, b: Place<'_>) -> bool;
}

/// Everything on one connection.
pub(crate) struct OneConnection<E>(pub(crate) E);

impl<E: Executor> Connections for OneConnection<E> {
    type Conn = E;

    async fn conn(&mut self, _: Place<'_>) -> Result<&mut E> {
        Ok(&mut self.0)
    }

    fn together(&self, _: Place<'_>, _: Place<'_>) -> bool {
        true
    }
}
