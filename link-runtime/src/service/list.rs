//! Reading pivot rows: [`ListFilter`] and the statements of `list`.

use std::collections::{HashMap, HashSet};
use std::marker::PhantomData;

use super::rows::{quoted, MAX_ROWS_PER_STATEMENT};
use crate::backend::Executor;
use crate::definition::{ColumnValue, LinkDefinition, PairWith};
use crate::error::Result;
use crate::id::Id;
use crate::trace::operation;

/// Which pivot rows [`list`](super::list) reads: by either side's ids, live ones only unless
/// [`with_deleted`](Self::with_deleted).
///
/// A side without ids is not filtered; a side given an empty list matches nothing.
///
/// ```
/// # use diesel::{Connection, SqliteConnection};
/// # use link_runtime::prelude::*;
/// # #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
/// # #[derive(Linkable)] #[linkable(module = "brand")] pub struct Brand { pub id: String }
/// # mod product_brand { use super::*; define_link!(Product(is_list), Brand); }
/// use link_runtime::service::ListFilter;
/// use product_brand::Link;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut conn = SqliteConnection::establish(":memory:")?;
/// link_runtime::migrate(&mut conn)?;
/// Link::create(&mut conn, Product::id("prod_1"), Brand::id("brand_1"))?;
/// Link::create(&mut conn, Product::id("prod_2"), Brand::id("brand_1"))?;
/// Link::dismiss(&mut conn, Product::id("prod_2"), Brand::id("brand_1"))?;
///
/// let live = Link::list(&mut conn, &ListFilter::new().right([Brand::id("brand_1")]))?;
/// assert_eq!(live.len(), 1);
/// assert_eq!(live[0].product_id, Product::id("prod_1"));
///
/// let all = Link::list(&mut conn, &ListFilter::new().with_deleted())?;
/// assert_eq!(all.len(), 2);
/// # Ok(())
/// # }
/// ```
pub struct ListFilter<L: LinkDefinition> {
    left: Option<Vec<Id<L::Left>>>,
    right: Option<Vec<Id<L::Right>>>,
    with_deleted: bool,
    link: PhantomData<L>,
}

impl<L: LinkDefinition> ListFilter<L> {
    /// Every live row.
    pub fn new() -> Self {
        ListFilter {
            left: None,
            right: None,
            with_deleted: false,
            link: PhantomData,
        }
    }

    /// Only rows whose left record is one of `ids`.
    #[must_use]
    pub fn left(mut self, ids: impl IntoIterator<Item = Id<L::Left>>) -> Self {
        self.left = Some(ids.into_iter().collect());
        self
    }

    /// Only rows whose right record is one of `ids`.
    #[must_use]
    pub fn right(mut self, ids: impl IntoIterator<Item = Id<L::Right>>) -> Self {
        self.right = Some(ids.into_iter().collect());
        self
    }

    /// Dismissed and deleted rows too.
    #[must_use]
    pub fn with_deleted(mut self) -> Self {
        self.with_deleted = true;
        self
    }
}

impl<L: LinkDefinition> Default for ListFilter<L> {
    fn default() -> Self {
        Self::new()
    }
}

impl<L: LinkDefinition> std::fmt::Debug for ListFilter<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListFilter")
            .field("link", &L::SCHEMA.table)
            .field("left", &self.left)
            .field("right", &self.right)
            .field("with_deleted", &self.with_deleted)
            .finish()
    }
}

/// [`list`] on any executor.
pub(crate) async fn list_in<L: LinkDefinition, E: Executor>(
    conn: &mut E,
    filter: &ListFilter<L>,
) -> Result<Vec<L::Row>> {
    operation!(
        "link_runtime.list",
        { link = L::SCHEMA.table, rows = Empty, },
        |span| async {
            let rows = list_rows(conn, filter).await?;
            span.record("rows", rows.len());
            Ok(rows)
        }
    )
}

async fn list_rows<L: LinkDefinition, E: Executor>(
    conn: &mut E,
    filter: &ListFilter<L>,
) -> Result<Vec<L::Row>> {
    let schema = L::SCHEMA;
    let dialect = E::DIALECT;
    let left: Option<Vec<&str>> = filter
        .left
        .as_ref()
        .map(|ids| ids.iter().map(Id::as_str).collect());
    let right: Option<Vec<&str>> = filter
        .right
        .as_ref()
        .map(|ids| ids.iter().map(Id::as_str).collect());
    // Half the parameters for each filtered side, so any pair of chunks fits.
    let chunk = dialect.max_binds().min(2 * MAX_ROWS_PER_STATEMENT) / 2;
    fn chunks<'a, 'b>(ids: &'a Option<Vec<&'b str>>, chunk: usize) -> Vec<Option<&'a [&'b str]>> {
        match ids {
            None => vec![None],
            // An empty list matches nothing: no chunk, no statement.
            Some(ids) => ids.chunks(chunk).map(Some).collect(),
        }
    }
    let mut columns: Vec<&str> = schema.base_columns()[..3].to_vec();
    columns.extend(schema.columns.iter().map(|c| c.name));
    columns.extend(["created_at", "updated_at", "deleted_at"]);
    let select = format!(
        r#"SELECT {} FROM "{}" WHERE 1 = 1"#,
        quoted(&columns),
        schema.table
    );

    let mut rows = Vec::new();
    let right_chunks = chunks(&right, chunk);
    for left_ids in chunks(&left, chunk) {
        for &right_ids in &right_chunks {
            let mut sql = select.clone();
            let mut binds = Vec::new();
            for (side, ids) in [(&schema.left, left_ids), (&schema.right, right_ids)] {
                if let Some(ids) = ids {
                    sql.push_str(&format!(
                        r#" AND "{}" IN ({})"#,
                        side.column,
                        dialect.placeholders(binds.len() + 1, ids.len())
                    ));
                    binds.extend(ids.iter().copied().map(ColumnValue::Text));
                }
            }
            if !filter.with_deleted {
                sql.push_str(r#" AND "deleted_at" IS NULL"#);
            }
            rows.extend(conn.load::<L::Row>(&sql, &binds).await?);
        }
    }
    Ok(rows)
}

/// Rows of `L` by pair, as (pair and extra column values, whether live).
pub(crate) type RowsByPair<L> = HashMap<(String, String), (PairWith<L>, bool)>;

/// The rows of `L` for `pairs` (dismissed ones too when `with_deleted`), by pair: what the
/// steps and `update` read before they write, to undo or to refuse.
pub(crate) async fn rows_of_pairs<'p, L, E>(
    conn: &mut E,
    pairs: impl Iterator<Item = (&'p Id<L::Left>, &'p Id<L::Right>)> + Clone,
    with_deleted: bool,
) -> Result<RowsByPair<L>>
where
    L: LinkDefinition,
    E: Executor,
{
    let wanted: HashSet<(&str, &str)> = pairs
        .clone()
        .map(|(left, right)| (left.as_str(), right.as_str()))
        .collect();
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let mut lefts: Vec<&Id<L::Left>> = pairs.clone().map(|(left, _)| left).collect();
    let mut rights: Vec<&Id<L::Right>> = pairs.map(|(_, right)| right).collect();
    lefts.sort_by_key(|id| id.as_str());
    lefts.dedup_by_key(|id| id.as_str());
    rights.sort_by_key(|id| id.as_str());
    rights.dedup_by_key(|id| id.as_str());
    let mut filter = ListFilter::<L>::new()
        .left(lefts.into_iter().cloned())
        .right(rights.into_iter().cloned());
    if with_deleted {
        filter = filter.with_deleted();
    }
    let mut found = HashMap::new();
    for row in list_in(conn, &filter).await? {
        let parts = L::row_parts(&row);
        let key = (parts.0.as_str().to_owned(), parts.1.as_str().to_owned());
        if wanted.contains(&(key.0.as_str(), key.1.as_str())) {
            found.insert(key, (parts, L::row_is_live(&row)));
        }
    }
    Ok(found)
}
