//! What the core needs of a database, and the one place each backend is spoken to.
//!
//! The core (service, sync, graph) is written once, as `async fn`s over [`Executor`]: it
//! builds SQL text, hands each statement to its executor and reads the rows it gets back.
//! It neither blocks nor does any I/O of its own. Two drivers answer its statements:
//!
//! - the blocking one (`blocking.rs`): any diesel [`Connection`](diesel::Connection) whose
//!   backend is SQLite or PostgreSQL. It answers each statement at once, so a core future
//!   on it is ready at its first poll;
//! - the async one (`crate::aio`, feature `async`): diesel-async's connections.
//!
//! `bind.rs` turns a statement's [`ColumnValue`](crate::ColumnValue)s into diesel binds, per
//! backend; `row.rs` and `json_row.rs` read rows back; `connections.rs` routes statements to
//! the database a table is in; `sqlite.rs` holds the settings every SQLite connection of a
//! pool needs (busy timeout, WAL).

mod bind;
mod blocking;
mod connections;
mod executor;
mod json_row;
pub(crate) mod retry;
mod row;
#[cfg(feature = "sqlite")]
mod sqlite;

pub(crate) use self::bind::keyed_text;
pub use self::bind::LinkBackend;
#[doc(hidden)]
pub use self::bind::{Key, Statement};
pub use self::blocking::LinkConnection;
pub(crate) use self::blocking::{block_on, Blocking};
pub(crate) use self::connections::{Connections, OneConnection, Place};
pub(crate) use self::executor::{finish, forget_transaction, in_transaction, load_text, Executor};
pub(crate) use self::json_row::{
    distinct, key, shape, shape_value, Cell, JsonRow, RawRow, RowCells,
};
#[doc(hidden)]
pub use self::row::LoadRow;
#[cfg(feature = "sqlite")]
pub use self::sqlite::SqliteSettings;
