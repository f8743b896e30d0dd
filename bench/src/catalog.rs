//! Two modules, product and brand, that know nothing of each other, and a seeded catalog.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use link_runtime::graph::GraphSelect;
use link_runtime::prelude::*;
use link_runtime::LinkConnection;
use serde::{Deserialize, Serialize};

use crate::links::product_brand;

/// The modules' own tables.
pub mod schema {
    diesel::table! {
        /// The product module's table.
        product (id) {
            /// `prod_000001`, ...
            id -> Text,
            /// `Product 000001`, ...
            title -> Text,
        }
    }

    diesel::table! {
        /// The brand module's table.
        brand (id) {
            /// `brand_0001`, ...
            id -> Text,
            /// `Brand 0001`, ...
            name -> Text,
        }
    }

    pub use crate::links::product_brand::pivot;

    diesel::allow_tables_to_appear_in_same_query!(product, brand, pivot);
}

/// A product.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    Linkable,
    GraphSelect,
    Queryable,
    Selectable,
    Insertable,
    Serialize,
    Deserialize,
)]
#[linkable(module = "product")]
#[graph(entity = Product)]
#[diesel(table_name = schema::product)]
pub struct Product {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
}

/// A brand.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    Linkable,
    GraphSelect,
    Queryable,
    Selectable,
    Insertable,
    Serialize,
    Deserialize,
)]
#[linkable(module = "brand")]
#[graph(entity = Brand)]
#[diesel(table_name = schema::brand)]
pub struct Brand {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// A catalog's size: `products` products, spread evenly over `brands` brands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// How many products.
    pub products: usize,
    /// How many brands; product `i` belongs to brand `i % brands`.
    pub brands: usize,
}

impl Size {
    /// `products` products and a tenth as many brands, as Medusa's figures have.
    ///
    /// ```
    /// let size = link_bench::catalog::Size::tenth(1_000);
    /// assert_eq!((size.products, size.brands), (1_000, 100));
    /// ```
    pub fn tenth(products: usize) -> Self {
        Size {
            products,
            brands: (products / 10).max(1),
        }
    }

    /// The id of product `i`.
    pub fn product_id(i: usize) -> String {
        format!("prod_{i:06}")
    }

    /// The id of brand `b`.
    pub fn brand_id(b: usize) -> String {
        format!("brand_{b:05}")
    }

    /// The name of brand `b`.
    pub fn brand_name(b: usize) -> String {
        format!("Brand {b:05}")
    }

    /// The products, in id order.
    pub fn products(self) -> Vec<Product> {
        (0..self.products)
            .map(|i| Product {
                id: Self::product_id(i),
                title: format!("Product {i:06}"),
            })
            .collect()
    }

    /// The brands, in id order.
    pub fn brands(self) -> Vec<Brand> {
        (0..self.brands)
            .map(|b| Brand {
                id: Self::brand_id(b),
                name: Self::brand_name(b),
            })
            .collect()
    }

    /// Each product's link to its brand.
    pub fn pairs(self) -> Vec<(Id<Product>, Id<Brand>)> {
        (0..self.products)
            .map(|i| {
                (
                    Id::new(Self::product_id(i)),
                    Id::new(Self::brand_id(i % self.brands)),
                )
            })
            .collect()
    }
}

/// A connection the benchmarks run on: the link runtime's, plus the catalog's own writes
/// and the hand-written baselines ([`crate::baseline`]), written once per backend because
/// diesel's query builder is typed by backend.
pub trait Backend: LinkConnection + SimpleConnection {
    /// Inserts the products and brands of `size` (not their links), a few thousand rows per
    /// statement.
    ///
    /// # Errors
    ///
    /// When the database refuses a statement.
    fn insert_records(&mut self, size: Size) -> QueryResult<()>;

    /// The baseline of a link write: `pairs` inserted into the pivot table with diesel's
    /// batch insert, ids made as the service makes them, in one transaction.
    ///
    /// # Errors
    ///
    /// When the database refuses a statement.
    fn insert_pivot_rows(&mut self, pairs: &[(Id<Product>, Id<Brand>)]) -> QueryResult<()>;

    /// The baseline of a single link write: one pair inserted into the pivot table with
    /// diesel's single-row insert, its id made as the service makes it.
    ///
    /// # Errors
    ///
    /// When the database refuses the statement.
    fn insert_pivot_row(&mut self, product: &Id<Product>, brand: &Id<Brand>) -> QueryResult<()>;

    /// The baseline of `product { id, title, brand.* }`: products `LEFT JOIN` their live
    /// link `LEFT JOIN` its brand, by product id.
    ///
    /// # Errors
    ///
    /// When the database refuses the query.
    fn products_with_brand(&mut self) -> QueryResult<Vec<(Product, Option<Brand>)>>;

    /// The baseline of `brand { id, name, products.* }`: brands `LEFT JOIN` their live links
    /// `LEFT JOIN` the products, by brand id then product id.
    ///
    /// # Errors
    ///
    /// When the database refuses the query.
    fn brand_product_rows(&mut self) -> QueryResult<Vec<(Brand, Option<Product>)>>;

    /// The baseline of a page: the first `take` products (by id) whose brand is named one of
    /// `names`, with the brand, and how many products match.
    ///
    /// # Errors
    ///
    /// When the database refuses the query.
    fn page_by_brand_name(
        &mut self,
        names: &[String],
        take: i64,
    ) -> QueryResult<(Vec<(Product, Brand)>, i64)>;

    /// The baseline of `brand { id, name, _count.products }` ordered by the count: brands
    /// `LEFT JOIN` their live links `LEFT JOIN` the products, `GROUP BY` the brand, most
    /// products first, then by id.
    ///
    /// # Errors
    ///
    /// When the database refuses the query.
    fn brands_by_product_count(&mut self) -> QueryResult<Vec<(Brand, i64)>>;

    /// Where the links and the products are in another database than the brands, the
    /// first half of that baseline: each brand's count of live links to products, grouped
    /// where the links are (brands without products are absent).
    ///
    /// # Errors
    ///
    /// When the database refuses the query.
    fn product_counts_by_brand(&mut self) -> QueryResult<Vec<(String, i64)>>;

    /// The second half: every brand, read where the brands are.
    ///
    /// # Errors
    ///
    /// When the database refuses the query.
    fn brands(&mut self) -> QueryResult<Vec<Brand>>;

    /// The baseline of a keyset page: the first `take` products by title then id after
    /// the product whose `(title, id)` is `after` (a row-value comparison an index on the
    /// title seeks with), whether a product follows them, and how many products there are.
    ///
    /// # Errors
    ///
    /// When the database refuses the query.
    fn keyset_page(
        &mut self,
        after: Option<(&str, &str)>,
        take: i64,
    ) -> QueryResult<(Vec<Product>, bool, i64)>;

    /// The same page by its offset: the `take` products by title then id after the first
    /// `offset`, whether a product follows them, and how many products there are.
    ///
    /// # Errors
    ///
    /// When the database refuses the query.
    fn offset_page(&mut self, offset: i64, take: i64) -> QueryResult<(Vec<Product>, bool, i64)>;

    /// The baseline of a page inside each record: the first `brands` brands by id, each
    /// with its count of products and, ranked by `ROW_NUMBER() OVER (PARTITION BY` the
    /// brand`)`, its `per_brand` newest products (the largest ids first), as one row per
    /// product shown (a brand with none has one row of nulls); and how many brands there
    /// are.
    ///
    /// # Errors
    ///
    /// When the database refuses the query.
    fn brands_with_newest_products(
        &mut self,
        brands: i64,
        per_brand: i64,
    ) -> QueryResult<(Vec<crate::baseline::NewestRow>, i64)>;
}

/// Creates the modules' tables and the link's pivot table.
///
/// # Errors
///
/// When the database refuses a statement.
pub fn migrate<C: Backend>(conn: &mut C) -> link_runtime::Result<()> {
    // The brand module indexes the names it is looked up by.
    conn.batch_execute(
        "CREATE TABLE product (id TEXT PRIMARY KEY NOT NULL, title TEXT NOT NULL);
         CREATE TABLE brand (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
         CREATE INDEX brand_name ON brand (name);",
    )?;
    link_runtime::migrate(conn)?;
    Ok(())
}

/// A database holding a catalog of `size`: tables, records, and every product linked to
/// its brand through the link service.
///
/// ```
/// use diesel::{Connection, SqliteConnection};
/// use link_bench::catalog::{self, Backend, Size};
///
/// let mut conn = SqliteConnection::establish(":memory:")?;
/// catalog::seed(&mut conn, Size::tenth(100))?;
/// let rows = conn.products_with_brand()?;
/// assert_eq!(rows.len(), 100);
/// assert_eq!(rows[42].1.as_ref().map(|brand| brand.id.as_str()), Some("brand_00002"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// When the database refuses a statement.
pub fn seed<C: Backend>(conn: &mut C, size: Size) -> link_runtime::Result<()> {
    migrate(conn)?;
    conn.insert_records(size)?;
    product_brand::Link::create_many(conn, &size.pairs())?;
    Ok(())
}
