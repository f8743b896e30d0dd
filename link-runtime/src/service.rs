//! The link service: creating, dismissing, listing, deleting and restoring links.
//!
//! Semantics follow Medusa's link service, with the differences its measurements asked for:
//!
//! - `create` is an upsert on the pair: creating a live pair again changes nothing (also on
//!   a one-to-one link, where Medusa refuses it), and creating a dismissed pair revives its
//!   row (same `id` and `created_at`, `deleted_at` cleared, `updated_at` bumped; Medusa
//!   replaces the `id` and leaves `updated_at`). The [`Created`] it returns says which
//!   happened.
//! - Cardinality is enforced by the database: without `is_list` on a side, a partial unique
//!   index (over live rows) lets a record of the other side have one live partner only. A
//!   violation writes nothing and is reported as [`Error::Cardinality`](crate::Error::Cardinality), naming the record
//!   and its current partner. Medusa checks with a read before the write, which two
//!   concurrent writers both pass. Here, of clients racing to link the same pair one
//!   inserts it and the others get [`Created::Unchanged`]; of clients racing to give a
//!   record different partners one wins and the others get [`Error::Cardinality`](crate::Error::Cardinality).
//! - Many pairs at once ([`create_many`], [`dismiss_many`]) run in one transaction: one
//!   refused pair and nothing of the batch is written, as in Medusa.
//! - [`update`] and [`update_many`] change the extra column values of live links and
//!   refuse, with [`Error::LinkNotFound`](crate::Error::LinkNotFound), pairs that are not
//!   linked (Medusa's `updateRemoteLinksStep`); `create_with` is the write that links a pair
//!   whatever its state.
//! - `dismiss` is a soft delete: it sets `deleted_at` on the live row, leaves `created_at`
//!   and `updated_at` as they were (as Medusa), and touches no record.
//! - [`delete`] and [`restore`] act on all the links of some records, and follow
//!   `delete_cascade` into the linked module; see [`delete`].
//! - [`list`] hides dismissed and deleted rows unless [`ListFilter::with_deleted`] asks for
//!   them.

mod cardinality;
mod check;
mod delete;
mod list;

mod rows;
mod update;
mod write;

use crate::backend::{block_on, Blocking, LinkConnection};
use crate::definition::WritableLink;
pub use crate::definition::{Pair, PairWith};
use crate::error::Result;
use crate::id::Id;

pub(crate) use cardinality::{
    cardinality_error, counts, live_partners, live_unique_index, over_linked, over_linked_column,
    precedence, single_sides,
};
pub use list::ListFilter;
pub(crate) use list::{list_in, rows_of_pairs};
pub(crate) use rows::ids_per_statement;
pub(crate) use update::update_many_in;
pub use write::Created;
pub(crate) use write::{
    create_in, create_many_in, create_many_with_in, create_with_in, dismiss_in, dismiss_many_in,
    overwrite_values,
};

pub(crate) use check::check_in;
pub use check::{check, Dangling, Gone, Integrity, LinkCheck, Overlinked};
pub use delete::{delete, restore, Deletion, ModuleError, Modules, Record, SoftDelete};
#[cfg(feature = "async")]
pub(crate) use delete::{delete_alone, restore_alone};
pub(crate) use delete::{delete_in, module_error, restore_in, Cascade, Handlers};
#[cfg(feature = "async")]
pub(crate) use delete::{modules_face, typed};

/// Links `left` to `right` with `L`, the extra columns at their defaults.
///
/// # Errors
///
/// [`Error::Cardinality`](crate::Error::Cardinality) if a record would get a second live partner on a side that is not
/// a list (nothing is written), and [`Error::Database`](crate::Error::Database) if the database refuses the statement.
pub fn create<L, C>(conn: &mut C, left: &Id<L::Left>, right: &Id<L::Right>) -> Result<Created>
where
    L: WritableLink,
    C: LinkConnection,
{
    block_on(create_in::<L, _>(&mut Blocking(conn), left, right))
}

/// Links `left` to `right` with `L` and the given extra column values. If the pair is
/// already linked, its extra columns take the new values.
///
/// # Errors
///
/// As [`create`].
pub fn create_with<L, C>(
    conn: &mut C,
    left: &Id<L::Left>,
    right: &Id<L::Right>,
    columns: &L::Columns,
) -> Result<Created>
where
    L: WritableLink,
    C: LinkConnection,
{
    block_on(create_with_in::<L, _>(
        &mut Blocking(conn),
        left,
        right,
        columns,
    ))
}

/// Links many pairs with `L`, the extra columns at their defaults, in one transaction.
///
/// Returns what happened to each pair, in the order given. A pair given twice is written
/// once. If any pair is refused, nothing of the batch is written.
///
/// ```
/// # use diesel::{Connection, SqliteConnection};
/// # use link_runtime::prelude::*;
/// # #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
/// # #[derive(Linkable)] #[linkable(module = "brand")] pub struct Brand { pub id: String }
/// # mod product_brand { use super::*; define_link!(Product(is_list), Brand); }
/// use link_runtime::{Created, Error};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut conn = SqliteConnection::establish(":memory:")?;
/// link_runtime::migrate(&mut conn)?;
///
/// let pairs = [
///     (Product::id("prod_1"), Brand::id("brand_1")),
///     (Product::id("prod_2"), Brand::id("brand_1")),
/// ];
/// let created = product_brand::Link::create_many(&mut conn, &pairs)?;
/// assert_eq!(created, [Created::Inserted, Created::Inserted]);
///
/// // A product has one brand: the second pair is refused, and so is the whole batch.
/// let pairs = [
///     (Product::id("prod_3"), Brand::id("brand_1")),
///     (Product::id("prod_1"), Brand::id("brand_2")),
/// ];
/// let refused = product_brand::Link::create_many(&mut conn, &pairs);
/// assert!(matches!(refused, Err(Error::Cardinality { .. })));
/// assert_eq!(product_brand::Link::list(&mut conn, &Default::default())?.len(), 2);
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// As [`create`].
pub fn create_many<L, C>(conn: &mut C, pairs: &[Pair<L>]) -> Result<Vec<Created>>
where
    L: WritableLink,
    C: LinkConnection,
{
    block_on(create_many_in::<L, _>(&mut Blocking(conn), pairs))
}

/// Links many pairs with `L` and extra column values, in one transaction. A pair given
/// twice is written once, with the values of its last occurrence.
///
/// # Errors
///
/// As [`create`].
pub fn create_many_with<L, C>(conn: &mut C, rows: &[PairWith<L>]) -> Result<Vec<Created>>
where
    L: WritableLink,
    C: LinkConnection,
{
    block_on(create_many_with_in::<L, _>(&mut Blocking(conn), rows))
}

/// Sets the extra column values of the live link between `left` and `right` (and bumps its
/// `updated_at`).
///
/// ```
/// # use diesel::{Connection, SqliteConnection};
/// # use link_runtime::prelude::*;
/// # #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
/// # #[derive(Linkable)] #[linkable(module = "brand")] pub struct Brand { pub id: String }
/// mod product_brand {
///     # use super::*;
///     define_link!(Product(is_list), Brand, columns { featured: bool = false });
/// }
/// use product_brand::{Columns, Link};
///
/// # fn main() -> Result<(), link_runtime::Error> {
/// # let mut conn = SqliteConnection::establish(":memory:").unwrap();
/// # link_runtime::migrate(&mut conn)?;
/// let (p1, b1) = (Product::id("p1"), Brand::id("b1"));
/// Link::create(&mut conn, p1.clone(), b1.clone())?;
/// link_runtime::service::update::<Link, _>(&mut conn, &p1, &b1, Columns { featured: true })?;
/// assert!(Link::list(&mut conn, &Default::default())?[0].featured);
///
/// // A pair that is not linked is refused.
/// let b2 = Brand::id("b2");
/// let error = link_runtime::service::update::<Link, _>(&mut conn, &p1, &b2, Columns::default())
///     .unwrap_err();
/// assert_eq!(error.kind(), link_runtime::ErrorKind::NotFound);
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// [`Error::LinkNotFound`](crate::Error::LinkNotFound) if the pair has no live link (nothing
/// is written), and [`Error::Database`](crate::Error::Database) if the database refuses a
/// statement.
pub fn update<L, C>(
    conn: &mut C,
    left: &Id<L::Left>,
    right: &Id<L::Right>,
    columns: L::Columns,
) -> Result<()>
where
    L: WritableLink,
    C: LinkConnection,
{
    let row = [(left.clone(), right.clone(), columns)];
    block_on(update_many_in::<L, _>(&mut Blocking(conn), &row)).map(drop)
}

/// Sets the extra column values of the live links of many pairs, in one transaction: all or
/// nothing. A pair given twice takes the values of its last occurrence. Returns how many
/// links were updated (each pair once).
///
/// # Errors
///
/// [`Error::LinkNotFound`](crate::Error::LinkNotFound), naming every pair that has no live
/// link, and [`Error::Database`](crate::Error::Database): then nothing of the batch is
/// written.
pub fn update_many<L, C>(conn: &mut C, rows: &[PairWith<L>]) -> Result<usize>
where
    L: WritableLink,
    C: LinkConnection,
{
    block_on(update_many_in::<L, _>(&mut Blocking(conn), rows)).map(|before| before.len())
}

/// Dismisses the live link between `left` and `right`; returns whether there was one.
///
/// # Errors
///
/// [`Error::Database`](crate::Error::Database) if the database refuses the statement.
pub fn dismiss<L, C>(conn: &mut C, left: &Id<L::Left>, right: &Id<L::Right>) -> Result<bool>
where
    L: WritableLink,
    C: LinkConnection,
{
    block_on(dismiss_in::<L, _>(&mut Blocking(conn), left, right))
}

/// Dismisses the live links of many pairs, in one transaction; returns how many were live.
///
/// # Errors
///
/// [`Error::Database`](crate::Error::Database) if the database refuses a statement (nothing is dismissed).
pub fn dismiss_many<L, C>(conn: &mut C, pairs: &[Pair<L>]) -> Result<usize>
where
    L: WritableLink,
    C: LinkConnection,
{
    block_on(dismiss_many_in::<L, _>(&mut Blocking(conn), pairs))
}

/// The pivot rows of `L` that `filter` selects, extra columns typed (the generated `Row`).
/// Long id lists are read in chunks; rows come in no particular order.
///
/// # Errors
///
/// [`Error::Database`](crate::Error::Database) if the database refuses the query (for one, if the link's table has
/// not been created).
pub fn list<L, C>(conn: &mut C, filter: &ListFilter<L>) -> Result<Vec<L::Row>>
where
    L: WritableLink,
    C: LinkConnection,
{
    block_on(list_in(&mut Blocking(conn), filter))
}
