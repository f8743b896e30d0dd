//! Links whose records are gone, and records with more live links than their link allows:
//! found, and pruned on request.
//!
//! A module that deletes its own records never touches links (as in Medusa), so a live link
//! can point at a record that no longer exists, or that its module soft-deleted. And a
//! table adopted from Medusa, whose cardinality was a read before the write, may give a
//! record several live partners on a side that holds one. [`check`] finds both in every
//! registered link table; with `prune` it soft-deletes the links to records that are gone,
//! then all but the newest live link of each record that holds too many.

use std::collections::{HashMap, HashSet};
use std::fmt;

use diesel::sql_types::{Integer, Text};
use diesel::QueryableByName;

use crate::backend::{
    block_on, finish, load_text, Blocking, Connections, Executor, LinkConnection, OneConnection,
    Place,
};
use crate::definition::{ColumnValue, LinkSchema, Side, UniqueKey};
use crate::dialect::{json_list, Dialect};
use crate::entity::registered_entities;
use crate::error::{Error, Result};
use crate::migrate::introspect::table_exists;
use crate::migrate::unique::duplicates_sql;
use crate::registry::registered_links;
use crate::trace::operation;

use super::cardinality::{outranked, precedence, single_sides, SingleSide};
use super::rows::Partner;

/// How many records of a side one statement reads or binds.
const IDS_PER_BATCH: usize = 5_000;

/// Why a live link is dangling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Gone {
    /// The record is not in its module's table.
    Missing,
    /// The record's module soft-deleted it (its `deleted_at` is set).
    Deleted,
}

impl fmt::Display for Gone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Gone::Missing => "missing",
            Gone::Deleted => "deleted",
        })
    }
}

/// A live link with a record that is gone.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub struct Dangling {
    /// The pivot row's id.
    pub link_id: String,
    /// The left record's id.
    pub left: String,
    /// The right record's id.
    pub right: String,
    /// The left record, if it is gone.
    pub left_gone: Option<Gone>,
    /// The right record, if it is gone.
    pub right_gone: Option<Gone>,
}

/// A record with more live links than its link allows: on a side that is not a list, a
/// record of the other side holds one live partner at most. The database's unique index
/// enforces that on every table a sync made; a table adopted from Medusa may break it until
/// it is pruned, and its index cannot be created before.
///
/// Graph queries read only the link that counts, the first of `partners`; a prune keeps
/// that one and dismisses the others.
///
/// ```
/// use diesel::connection::SimpleConnection;
/// use diesel::{Connection, SqliteConnection};
/// use link_runtime::prelude::*;
///
/// #[derive(Linkable)] #[linkable(module = "product", table = "product")]
/// pub struct Product { pub id: String }
/// #[derive(Linkable)] #[linkable(module = "brand", table = "brand")]
/// pub struct Brand { pub id: String }
/// mod product_brand { use super::*; define_link!(Product(is_list), Brand); }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut conn = SqliteConnection::establish(":memory:")?;
/// // A link table made without the product's unique index, as Medusa makes them.
/// conn.batch_execute(
///     "CREATE TABLE product (id TEXT PRIMARY KEY);
///      CREATE TABLE brand (id TEXT PRIMARY KEY);
///      INSERT INTO product VALUES ('p1');
///      INSERT INTO brand VALUES ('b1'), ('b2');
///      CREATE TABLE product_product_brand_brand (
///          id TEXT NOT NULL, product_id TEXT NOT NULL, brand_id TEXT NOT NULL,
///          created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL, deleted_at TIMESTAMP,
///          PRIMARY KEY (product_id, brand_id));
///      INSERT INTO product_product_brand_brand VALUES
///          ('link_1', 'p1', 'b1', '2025-01-01 00:00:00', '2025-01-01 00:00:00', NULL),
///          ('link_2', 'p1', 'b2', '2025-02-01 00:00:00', '2025-02-01 00:00:00', NULL);",
/// )?;
///
/// let found = link_runtime::service::check(&mut conn, false)?;
/// let (_, overlinked) = found.overlinked().next().expect("p1 holds two brands");
/// assert_eq!((overlinked.model, overlinked.record.as_str()), ("product", "p1"));
/// assert_eq!(overlinked.partners, ["b2", "b1"]); // the newest live link first
///
/// let pruned = link_runtime::service::check(&mut conn, true)?;
/// assert_eq!(pruned.links[0].pruned, 1); // p1 -> b1 is dismissed
/// assert!(link_runtime::service::check(&mut conn, false)?.is_clean());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub struct Overlinked {
    /// The record's model (`product`).
    pub model: &'static str,
    /// The record's id.
    pub record: String,
    /// The partners' model (`brand`).
    pub partner_model: &'static str,
    /// The ids of its live partners, the one that counts first: the newest live link, then
    /// the greatest id among links made at the same time.
    pub partners: Vec<String>,
}

/// What [`check`] found in one link table.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkCheck {
    /// The link's table.
    pub table: &'static str,
    /// The left and right models, for messages.
    pub models: (&'static str, &'static str),
    /// How many live links the table holds.
    pub live: usize,
    /// The live links with a record that is gone, ordered by left then right id.
    pub dangling: Vec<Dangling>,
    /// The records with more live partners than the link allows, ordered by model then id.
    /// With `prune`, those left once the dangling links were pruned.
    pub overlinked: Vec<Overlinked>,
    /// How many links were soft-deleted (pruned): with `prune`, the dangling ones and all
    /// but the first partner of each overlinked record; else none.
    pub pruned: usize,
}

/// What [`check`] found: one entry per registered link, in table order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Integrity {
    /// Each link table's findings.
    pub links: Vec<LinkCheck>,
}

impl Integrity {
    /// Every dangling link, across tables.
    pub fn dangling(&self) -> impl Iterator<Item = (&'static str, &Dangling)> {
        self.links
            .iter()
            .flat_map(|link| link.dangling.iter().map(move |d| (link.table, d)))
    }

    /// Every record with more live partners than its link allows, across tables.
    pub fn overlinked(&self) -> impl Iterator<Item = (&'static str, &Overlinked)> {
        self.links
            .iter()
            .flat_map(|link| link.overlinked.iter().map(move |o| (link.table, o)))
    }

    /// Whether every live link points at live records, and no record holds more live
    /// partners than its link allows.
    pub fn is_clean(&self) -> bool {
        self.links
            .iter()
            .all(|link| link.dangling.is_empty() && link.overlinked.is_empty())
    }
}

/// Finds the live links, in every registered link table, whose left or right record is
/// missing from its module's table or soft-deleted by its module (a `deleted_at` field on
/// the model), and the records that hold more live partners than their link allows (see
/// [`Overlinked`]); with `prune`, soft-deletes the links to records that are gone, then all
/// but the newest live link of each record that holds too many, one transaction per link
/// table. After a prune, the sync can create the unique indexes such records stood in the
/// way of.
///
/// Records are read in batches of a few thousand ids per statement, whatever the number of
/// links; the records' tables may be in other databases than the links' (see
/// [`Databases::check`](crate::databases::Databases::check)). Nothing is written without
/// `prune`, and a pruned link can be brought back like any dismissed one.
///
/// # Errors
///
/// - [`Error::MissingTable`] if a link's table or one of its models' tables does not exist
///   (nothing is pruned);
/// - [`Error::Database`] if the database refuses a statement.
///
/// ```
/// use diesel::connection::SimpleConnection;
/// use diesel::{Connection, SqliteConnection};
/// use link_runtime::prelude::*;
///
/// #[derive(Linkable)] #[linkable(module = "product", table = "product")]
/// pub struct Product { pub id: String }
/// #[derive(Linkable)] #[linkable(module = "brand", table = "brand")]
/// pub struct Brand { pub id: String, pub deleted_at: Option<chrono::NaiveDateTime> }
/// mod product_brand { use super::*; define_link!(Product(is_list), Brand); }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut conn = SqliteConnection::establish(":memory:")?;
/// conn.batch_execute(
///     "CREATE TABLE product (id TEXT PRIMARY KEY);
///      CREATE TABLE brand (id TEXT PRIMARY KEY, deleted_at TIMESTAMP);
///      INSERT INTO product VALUES ('p1'), ('p2');
///      INSERT INTO brand VALUES ('b1', NULL), ('b2', CURRENT_TIMESTAMP);",
/// )?;
/// link_runtime::migrate(&mut conn)?;
/// link_runtime::create(&mut conn, Product::id("p1"), Brand::id("b1"))?;
/// link_runtime::create(&mut conn, Product::id("p2"), Brand::id("b2"))?; // b2 is deleted
/// link_runtime::create(&mut conn, Product::id("p3"), Brand::id("b1"))?; // p3 is missing
///
/// let found = link_runtime::service::check(&mut conn, false)?;
/// assert_eq!(found.dangling().count(), 2);
/// let pruned = link_runtime::service::check(&mut conn, true)?;
/// assert_eq!(pruned.links[0].pruned, 2);
/// assert!(link_runtime::service::check(&mut conn, false)?.is_clean());
/// # Ok(())
/// # }
/// ```
pub fn check<C: LinkConnection>(conn: &mut C, prune: bool) -> Result<Integrity> {
    block_on(check_in(&mut OneConnection(Blocking(conn)), prune))
}

/// [`check`] on `conns`.
pub(crate) async fn check_in<X: Connections>(conns: &mut X, prune: bool) -> Result<Integrity> {
    operation!(
        "link_runtime.check",
        { prune, dangling = Empty, pruned = Empty, },
        |span| async {
            let integrity = check_links(conns, prune).await?;
            span.record("dangling", integrity.dangling().count());
            span.record(
                "pruned",
                integrity.links.iter().map(|link| link.pruned).sum::<usize>(),
            );
            Ok(integrity)
        }
    )
}

async fn check_links<X: Connections>(conns: &mut X, prune: bool) -> Result<Integrity> {
    let mut links = registered_links()?;
    links.sort_by_key(|link| link.table);
    // Every table first, each module's once: a missing one stops the check before
    // anything is pruned.
    let mut seen = HashSet::new();
    for link in &links {
        let place = Place::Link(link.table);
        require_table(conns, place, link.table, || {
            format!("link `{}`", link.table)
        })
        .await?;
        for side in [&link.left, &link.right] {
            if seen.insert((side.module(), side.table())) {
                let place = Place::Module(side.module());
                require_table(conns, place, side.table(), || {
                    format!("module `{}`", side.module())
                })
                .await?;
            }
        }
    }
    let mut found = Vec::with_capacity(links.len());
    for link in links {
        found.push(check_link(conns, link, prune).await?);
    }
    Ok(Integrity { links: found })
}

async fn require_table<X: Connections>(
    conns: &mut X,
    place: Place<'_>,
    table: &'static str,
    owner: impl FnOnce() -> String,
) -> Result<()> {
    if table_exists(conns.conn(place).await?, table).await? {
        Ok(())
    } else {
        Err(Error::MissingTable {
            table,
            owner: owner(),
        })
    }
}

#[derive(QueryableByName)]
struct Value {
    #[diesel(sql_type = Text)]
    value: String,
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = Text)]
    record: String,
    #[diesel(sql_type = Integer)]
    deleted: i32,
}

#[derive(QueryableByName)]
struct PivotRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    left_id: String,
    #[diesel(sql_type = Text)]
    right_id: String,
}

async fn check_link<X: Connections>(
    conns: &mut X,
    link: &'static LinkSchema,
    prune: bool,
) -> Result<LinkCheck> {
    let dialect = <X::Conn as Executor>::DIALECT;
    let count = load_text(
        conns.conn(Place::Link(link.table)).await?,
        &format!(
            r#"SELECT CAST(COUNT(*) AS TEXT) AS value FROM "{}" WHERE "deleted_at" IS NULL"#,
            link.table
        ),
        &[],
    )
    .await?;
    let live = count.first().and_then(|n| n.parse().ok()).unwrap_or(0);

    let left_gone = gone_records(conns, link, &link.left).await?;
    let right_gone = gone_records(conns, link, &link.right).await?;

    // The live links of those records, read by side.
    let mut dangling: HashMap<String, Dangling> = HashMap::new();
    for (side, gone) in [(&link.left, &left_gone), (&link.right, &right_gone)] {
        let ids: Vec<&str> = gone.keys().map(String::as_str).collect();
        for chunk in ids.chunks(IDS_PER_BATCH) {
            let sql = format!(
                r#"SELECT "id", "{left}" AS left_id, "{right}" AS right_id FROM "{table}" WHERE "deleted_at" IS NULL AND {matches}"#,
                left = link.left.column,
                right = link.right.column,
                table = link.table,
                matches =
                    dialect.in_json(&format!(r#""{}""#, side.column), &dialect.placeholder(1)),
            );
            let list = json_list(chunk);
            let rows = conns
                .conn(Place::Link(link.table))
                .await?
                .load::<PivotRow>(&sql, &[ColumnValue::Text(&list)])
                .await?;
            for row in rows {
                dangling.entry(row.id.clone()).or_insert_with(|| Dangling {
                    left_gone: left_gone.get(&row.left_id).copied(),
                    right_gone: right_gone.get(&row.right_id).copied(),
                    link_id: row.id,
                    left: row.left_id,
                    right: row.right_id,
                });
            }
        }
    }
    let mut dangling: Vec<Dangling> = dangling.into_values().collect();
    dangling.sort_by(|a, b| (&a.left, &a.right).cmp(&(&b.left, &b.right)));

    let conn = conns.conn(Place::Link(link.table)).await?;
    let (overlinked, pruned) = if prune {
        let ids: Vec<&str> = dangling.iter().map(|d| d.link_id.as_str()).collect();
        conn.begin().await?;
        let done = async {
            let mut pruned = 0;
            for chunk in ids.chunks(IDS_PER_BATCH) {
                let sql = format!(
                    r#"UPDATE "{table}" SET "deleted_at" = {now} WHERE "deleted_at" IS NULL AND {matches}"#,
                    table = link.table,
                    now = dialect.now(),
                    matches = dialect.in_json(r#""id""#, &dialect.placeholder(1)),
                );
                let list = json_list(chunk);
                pruned += conn.execute(&sql, &[ColumnValue::Text(&list)]).await?;
            }
            // Then, of the links left, each overlinked record's all but the one that counts.
            let overlinked = overlinked(conn, link).await?;
            if !overlinked.is_empty() {
                for single in single_sides(link) {
                    pruned += conn.execute(&prune_surplus_sql(link, &single, dialect), &[]).await?;
                }
            }
            diesel::QueryResult::Ok((overlinked, pruned))
        }
        .await;
        finish(conn, done).await?
    } else {
        (overlinked(conn, link).await?, 0)
    };
    Ok(LinkCheck {
        table: link.table,
        models: (link.left.model(), link.right.model()),
        live,
        dangling,
        overlinked,
        pruned,
    })
}

/// The statement that soft-deletes every live link of `link` that is not the one that
/// counts for its record on `single`'s side.
fn prune_surplus_sql(link: &LinkSchema, single: &SingleSide<'_>, dialect: Dialect) -> String {
    format!(
        r#"UPDATE "{table}" SET "deleted_at" = {now} WHERE "deleted_at" IS NULL AND {outranked}"#,
        table = link.table,
        now = dialect.now(),
        outranked = outranked(
            link.table,
            link.table,
            "newer",
            single.side.column,
            single.other.column,
            false,
        ),
    )
}

/// The records of `link` with more live partners than it allows, each side that holds one
/// partner at most read with one statement: the live links of the records that hold
/// several, in the order they count.
async fn overlinked<E: Executor>(
    conn: &mut E,
    link: &'static LinkSchema,
) -> diesel::QueryResult<Vec<Overlinked>> {
    let mut found: Vec<Overlinked> = Vec::new();
    for single in single_sides(link) {
        let (side, other) = (single.side, single.other);
        let key = UniqueKey {
            column: side.column,
            live: true,
        };
        let sql = format!(
            r#"SELECT CAST("l"."{side}" AS TEXT) AS record, CAST("l"."{other}" AS TEXT) AS partner FROM "{table}" AS "l" WHERE "l"."deleted_at" IS NULL AND "l"."{side}" IN ({several}) ORDER BY "l"."{side}", {order}"#,
            side = side.column,
            other = other.column,
            table = link.table,
            several = duplicates_sql(link.table, key),
            order = precedence("l", other.column),
        );
        for row in conn.load::<Partner>(&sql, &[]).await? {
            match found.last_mut() {
                Some(last) if last.model == side.model() && last.record == row.record => {
                    last.partners.push(row.partner);
                }
                _ => found.push(Overlinked {
                    model: side.model(),
                    record: row.record,
                    partner_model: other.model(),
                    partners: vec![row.partner],
                }),
            }
        }
    }
    found.sort_by(|a, b| (a.model, &a.record).cmp(&(b.model, &b.record)));
    Ok(found)
}

/// The records of `side` that live links of `link` point at and that are missing or
/// soft-deleted: the link's distinct ids in pages, each page looked up in the module's
/// table with one statement.
async fn gone_records<X: Connections>(
    conns: &mut X,
    link: &'static LinkSchema,
    side: &'static Side,
) -> Result<HashMap<String, Gone>> {
    let dialect = <X::Conn as Executor>::DIALECT;
    let deleted_at = registered_entities()
        .find(|entity| entity.module == side.module() && entity.model == side.model())
        .and_then(|entity| entity.field("deleted_at"))
        .map(|field| field.column);
    let deleted = match deleted_at {
        Some(column) => format!(r#"CASE WHEN "{column}" IS NULL THEN 0 ELSE 1 END"#),
        None => "0".to_owned(),
    };
    let lookup = format!(
        r#"SELECT CAST("{key}" AS TEXT) AS record, {deleted} AS deleted FROM "{table}" WHERE {matches}"#,
        key = side.primary_key(),
        table = side.table(),
        matches = dialect.in_json(
            &format!(r#""{}""#, side.primary_key()),
            &dialect.placeholder(1)
        ),
    );
    let mut gone = HashMap::new();
    let mut after: Option<String> = None;
    loop {
        let mut sql = format!(
            r#"SELECT DISTINCT "{column}" AS value FROM "{table}" WHERE "deleted_at" IS NULL"#,
            column = side.column,
            table = link.table,
        );
        let mut binds = Vec::new();
        if let Some(after) = &after {
            sql.push_str(&format!(
                r#" AND "{}" > {}"#,
                side.column,
                dialect.placeholder(1)
            ));
            binds.push(ColumnValue::Text(after));
        }
        sql.push_str(&format!(
            r#" ORDER BY "{}" LIMIT {IDS_PER_BATCH}"#,
            side.column
        ));
        let page: Vec<String> = conns
            .conn(Place::Link(link.table))
            .await?
            .load::<Value>(&sql, &binds)
            .await?
            .into_iter()
            .map(|row| row.value)
            .collect();
        let Some(last) = page.last().cloned() else {
            break;
        };
        let full = page.len() == IDS_PER_BATCH;
        let ids: Vec<&str> = page.iter().map(String::as_str).collect();
        let list = json_list(&ids);
        let found: HashMap<String, bool> = conns
            .conn(Place::Module(side.module()))
            .await?
            .load::<Found>(&lookup, &[ColumnValue::Text(&list)])
            .await?
            .into_iter()
            .map(|row| (row.record, row.deleted != 0))
            .collect();
        for id in page {
            match found.get(&id) {
                None => {
                    gone.insert(id, Gone::Missing);
                }
                Some(true) => {
                    gone.insert(id, Gone::Deleted);
                }
                Some(false) => {}
            }
        }
        if !full {
            break;
        }
        after = Some(last);
    }
    Ok(gone)
}
