//! [`Query`]: graph queries on a blocking connection, or across [`Databases`].

use super::{run, GraphRequest};
use crate::backend::{block_on, Blocking, LinkConnection, OneConnection};
use crate::databases::Databases;
use crate::error::Result;
use crate::placement::Session;

/// The public face of a driver's `Query`, written once for both drivers: a query runs on
/// one connection or across the driver's `Databases`; each driver adds `graph`.
macro_rules! query_face {
    (databases: $databases:ident, connection: $connection:path, $(#[$doc:meta])*) => {
        $(#[$doc])*
        pub struct Query<'c, C> {
            target: Target<'c, C>,
        }

        enum Target<'c, C> {
            One(&'c mut C),
            Across(&'c $databases<C>),
        }

        impl<'c, C: $connection> Query<'c, C> {
            /// Queries through `conn`, where the modules' tables and the links' tables are.
            pub fn new(conn: &'c mut C) -> Self {
                Query {
                    target: Target::One(conn),
                }
            }

            /// Queries across `databases`: each statement runs in the database of its
            /// table, and records are joined in the application (see
            /// [`databases`](crate::databases)). Ordering by a linked record's field needs
            /// the link and the record in the root's database: across databases it is
            /// refused with [`Error::InvalidOrder`](crate::Error::InvalidOrder).
            pub fn across(databases: &'c $databases<C>) -> Self {
                Query {
                    target: Target::Across(databases),
                }
            }
        }

        impl<C> ::std::fmt::Debug for Query<'_, C> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match &self.target {
                    Target::One(_) => f.write_str("Query(one connection)"),
                    Target::Across(databases) => f.debug_tuple("Query").field(databases).finish(),
                }
            }
        }
    };
}

#[cfg(feature = "async")]
pub(crate) use query_face;

query_face! {
    databases: Databases,
    connection: LinkConnection,
    /// Runs graph queries: on one connection, or across [`Databases`].
    ///
    /// ```
    /// use diesel::{Connection, SqliteConnection};
    /// use link_runtime::graph::Query;
    ///
    /// let mut conn = SqliteConnection::establish(":memory:").unwrap();
    /// let query = Query::new(&mut conn);
    /// # let _ = query;
    /// ```
}

impl<C: LinkConnection> Query<'_, C> {
    /// Runs a [`Graph`](super::Graph) (rows as JSON values) or a
    /// [`TypedGraph`](super::TypedGraph) (rows as the selecting struct).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownEntity`](crate::Error::UnknownEntity),
    /// [`Error::UnknownField`](crate::Error::UnknownField),
    /// [`Error::InvalidFilter`](crate::Error::InvalidFilter),
    /// [`Error::InvalidOrder`](crate::Error::InvalidOrder) and
    /// [`Error::MalformedQuery`](crate::Error::MalformedQuery) name what the query got wrong
    /// before any SQL runs; [`Error::Database`](crate::Error::Database) if the database
    /// refuses a statement (a model's table that does not exist, say);
    /// [`Error::Deserialize`](crate::Error::Deserialize) if a typed row does not fit its
    /// struct; [`Error::Connection`](crate::Error::Connection) if a database cannot be
    /// reached.
    pub fn graph<R: GraphRequest>(&mut self, request: R) -> Result<R::Output> {
        match &mut self.target {
            Target::One(conn) => block_on(run(&mut OneConnection(Blocking(&mut **conn)), request)),
            Target::Across(databases) => block_on(run(
                &mut Session::new(databases.placement(), false),
                request,
            )),
        }
    }
}
