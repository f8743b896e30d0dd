//! The hand-written diesel code each benchmark is measured against: what a user without
//! links would write for the same data, one backend at a time.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use link_runtime::Id;
use serde_json::{json, Value};

use crate::catalog::schema::{brand, pivot, product};
use crate::catalog::{Backend, Brand, Product, Size};

/// Rows per statement of a batch insert: 3 bound values a row stays under both backends'
/// limits on parameters.
const ROWS_PER_INSERT: usize = 10_000;

/// A pivot row's id, made as the link service makes it.
fn link_id() -> String {
    format!("link_{}", ulid::Ulid::new())
}

macro_rules! backend {
    ($conn:ty) => {
        impl Backend for $conn {
            fn insert_records(&mut self, size: Size) -> QueryResult<()> {
                self.transaction(|conn| {
                    for chunk in size.products().chunks(ROWS_PER_INSERT) {
                        diesel::insert_into(product::table)
                            .values(chunk)
                            .execute(conn)?;
                    }
                    for chunk in size.brands().chunks(ROWS_PER_INSERT) {
                        diesel::insert_into(brand::table)
                            .values(chunk)
                            .execute(conn)?;
                    }
                    Ok(())
                })
            }

            fn insert_pivot_rows(&mut self, pairs: &[(Id<Product>, Id<Brand>)]) -> QueryResult<()> {
                self.transaction(|conn| {
                    for chunk in pairs.chunks(ROWS_PER_INSERT) {
                        let rows: Vec<_> = chunk
                            .iter()
                            .map(|(product, brand)| {
                                (
                                    pivot::id.eq(link_id()),
                                    pivot::product_id.eq(product.as_str()),
                                    pivot::brand_id.eq(brand.as_str()),
                                )
                            })
                            .collect();
                        diesel::insert_into(pivot::table)
                            .values(&rows)
                            .execute(conn)?;
                    }
                    Ok(())
                })
            }

            fn insert_pivot_row(
                &mut self,
                product: &Id<Product>,
                brand: &Id<Brand>,
            ) -> QueryResult<()> {
                diesel::insert_into(pivot::table)
                    .values((
                        pivot::id.eq(link_id()),
                        pivot::product_id.eq(product.as_str()),
                        pivot::brand_id.eq(brand.as_str()),
                    ))
                    .execute(self)
                    .map(drop)
            }

            fn products_with_brand(&mut self) -> QueryResult<Vec<(Product, Option<Brand>)>> {
                product::table
                    .left_join(
                        pivot::table.on(pivot::product_id
                            .eq(product::id)
                            .and(pivot::deleted_at.is_null())),
                    )
                    .left_join(brand::table.on(brand::id.eq(pivot::brand_id)))
                    .select((Product::as_select(), Option::<Brand>::as_select()))
                    .order(product::id)
                    .load(self)
            }

            fn brand_product_rows(&mut self) -> QueryResult<Vec<(Brand, Option<Product>)>> {
                brand::table
                    .left_join(
                        pivot::table.on(pivot::brand_id
                            .eq(brand::id)
                            .and(pivot::deleted_at.is_null())),
                    )
                    .left_join(product::table.on(product::id.eq(pivot::product_id)))
                    .select((Brand::as_select(), Option::<Product>::as_select()))
                    .order((
                        brand::id,
                        pivot::created_at.nullable(),
                        product::id.nullable(),
                    ))
                    .load(self)
            }

            fn page_by_brand_name(
                &mut self,
                names: &[String],
                take: i64,
            ) -> QueryResult<(Vec<(Product, Brand)>, i64)> {
                let matching = || {
                    product::table
                        .inner_join(
                            pivot::table.on(pivot::product_id
                                .eq(product::id)
                                .and(pivot::deleted_at.is_null())),
                        )
                        .inner_join(brand::table.on(brand::id.eq(pivot::brand_id)))
                        .filter(brand::name.eq_any(names))
                };
                let page = matching()
                    .select((Product::as_select(), Brand::as_select()))
                    .order(product::id)
                    .limit(take)
                    .load(self)?;
                let count = matching().count().get_result(self)?;
                Ok((page, count))
            }

            fn product_counts_by_brand(&mut self) -> QueryResult<Vec<(String, i64)>> {
                pivot::table
                    .inner_join(product::table.on(product::id.eq(pivot::product_id)))
                    .filter(pivot::deleted_at.is_null())
                    .group_by(pivot::brand_id)
                    .select((pivot::brand_id, diesel::dsl::count(product::id)))
                    .load(self)
            }

            fn brands(&mut self) -> QueryResult<Vec<Brand>> {
                brand::table.select(Brand::as_select()).load(self)
            }

            fn brands_by_product_count(&mut self) -> QueryResult<Vec<(Brand, i64)>> {
                let products = diesel::dsl::count(product::id.nullable());
                brand::table
                    .left_join(
                        pivot::table.on(pivot::brand_id
                            .eq(brand::id)
                            .and(pivot::deleted_at.is_null())),
                    )
                    .left_join(product::table.on(product::id.eq(pivot::product_id)))
                    .group_by((brand::id, brand::name))
                    .select((Brand::as_select(), products))
                    .order((products.desc(), brand::id))
                    .load(self)
            }

            fn keyset_page(
                &mut self,
                after: Option<(&str, &str)>,
                take: i64,
            ) -> QueryResult<(Vec<Product>, bool, i64)> {
                let mut page = product::table
                    .select(Product::as_select())
                    .order((product::title.asc(), product::id.asc()))
                    .limit(take + 1)
                    .into_boxed();
                if let Some((title, id)) = after {
                    page = page.filter(
                        sql::<Bool>("(title, id) > (")
                            .bind::<Text, _>(title.to_owned())
                            .sql(", ")
                            .bind::<Text, _>(id.to_owned())
                            .sql(")"),
                    );
                }
                let mut page = page.load(self)?;
                let more = page.len() as i64 > take;
                page.truncate(take as usize);
                let count = product::table.count().get_result(self)?;
                Ok((page, more, count))
            }

            fn offset_page(
                &mut self,
                offset: i64,
                take: i64,
            ) -> QueryResult<(Vec<Product>, bool, i64)> {
                let mut page = product::table
                    .select(Product::as_select())
                    .order((product::title.asc(), product::id.asc()))
                    .limit(take + 1)
                    .offset(offset)
                    .load(self)?;
                let more = page.len() as i64 > take;
                page.truncate(take as usize);
                let count = product::table.count().get_result(self)?;
                Ok((page, more, count))
            }

            fn brands_with_newest_products(
                &mut self,
                brands: i64,
                per_brand: i64,
            ) -> QueryResult<(Vec<NewestRow>, i64)> {
                let rows = diesel::sql_query(newest_products_sql(brands, per_brand)).load(self)?;
                let count = brand::table.count().get_result(self)?;
                Ok((rows, count))
            }
        }
    };
}

/// A row of [`Backend::brands_with_newest_products`]: a brand, its count of products, and
/// one of its newest products, if it has any.
#[derive(Debug, QueryableByName)]
pub struct NewestRow {
    /// The brand's id.
    #[diesel(sql_type = Text)]
    pub brand_id: String,
    /// The brand's name.
    #[diesel(sql_type = Text)]
    pub brand_name: String,
    /// How many products the brand holds.
    #[diesel(sql_type = BigInt)]
    pub product_count: i64,
    /// A product's id.
    #[diesel(sql_type = Nullable<Text>)]
    pub product_id: Option<String>,
    /// Its title.
    #[diesel(sql_type = Nullable<Text>)]
    pub product_title: Option<String>,
}

/// The statement of [`Backend::brands_with_newest_products`], the same on both backends:
/// the page of brands with each one's count, then each one's products ranked by a window
/// function over its live links, the first `per_brand` of each joined to it. The numbers
/// are the benchmark's own constants.
fn newest_products_sql(brands: i64, per_brand: i64) -> String {
    let pivot = crate::links::product_brand::Link::TABLE;
    format!(
        "WITH page AS (
             SELECT b.id, b.name,
                 (SELECT COUNT(*) FROM {pivot} p JOIN product pr ON pr.id = p.product_id
                  WHERE p.brand_id = b.id AND p.deleted_at IS NULL) AS products
             FROM brand b ORDER BY b.id LIMIT {brands}
         )
         SELECT page.id AS brand_id, page.name AS brand_name,
                CAST(page.products AS BIGINT) AS product_count,
                r.id AS product_id, r.title AS product_title
         FROM page LEFT JOIN (
             SELECT p.brand_id, pr.id, pr.title,
                 ROW_NUMBER() OVER (PARTITION BY p.brand_id ORDER BY pr.id DESC) AS rn
             FROM {pivot} p JOIN product pr ON pr.id = p.product_id
             WHERE p.deleted_at IS NULL AND p.brand_id IN (SELECT id FROM page)
         ) r ON r.brand_id = page.id AND r.rn <= {per_brand}
         ORDER BY page.id, r.rn"
    )
}

/// A brand with its newest products and its count, as `brand { id, name, products.id,
/// products.title, _count.products }` with `nested.products` answers it.
#[derive(Debug, serde::Serialize)]
pub struct BrandNewest {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its newest products.
    pub products: Vec<Product>,
    /// Its counts.
    #[serde(rename = "_count")]
    pub count: ProductCount,
}

/// [`Backend::brands_with_newest_products`]'s rows, grouped by brand, as the JSON
/// document the graph query answers (its `next_cursor` aside, which only the library
/// signs).
pub fn newest_as_json(rows: Vec<NewestRow>, count: i64, take: u64) -> Vec<u8> {
    let mut data: Vec<BrandNewest> = Vec::new();
    for row in rows {
        if data.last().is_none_or(|brand| brand.id != row.brand_id) {
            data.push(BrandNewest {
                id: row.brand_id,
                name: row.brand_name,
                products: Vec::new(),
                count: ProductCount {
                    products: row.product_count,
                },
            });
        }
        if let (Some(id), Some(title), Some(brand)) =
            (row.product_id, row.product_title, data.last_mut())
        {
            brand.products.push(Product { id, title });
        }
    }
    serde_json::to_vec(&json!({
        "data": data,
        "metadata": { "count": count, "skip": 0, "take": take, "next_cursor": null },
    }))
    .expect("the rows serialize")
}

/// A brand and how many products it holds, as `brand { id, name, _count.products }`
/// answers it.
#[derive(Debug, serde::Serialize)]
pub struct BrandCount {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its counts.
    #[serde(rename = "_count")]
    pub count: ProductCount,
}

/// The count of a brand's products.
#[derive(Debug, serde::Serialize)]
pub struct ProductCount {
    /// How many products the brand holds.
    pub products: i64,
}

/// The rows of [`Backend::brands_by_product_count`] from its two halves read in two
/// databases, [`Backend::product_counts_by_brand`] and [`Backend::brands`]: each brand with
/// its count (0 if absent), most products first, then by id.
pub fn brands_by_count_apart(counts: Vec<(String, i64)>, brands: Vec<Brand>) -> Vec<(Brand, i64)> {
    let counts: std::collections::HashMap<String, i64> = counts.into_iter().collect();
    let mut rows: Vec<(Brand, i64)> = brands
        .into_iter()
        .map(|brand| {
            let n = counts.get(&brand.id).copied().unwrap_or(0);
            (brand, n)
        })
        .collect();
    rows.sort_by(|(a, m), (b, n)| n.cmp(m).then_with(|| a.id.cmp(&b.id)));
    rows
}

/// [`Backend::brands_by_product_count`]'s rows as the JSON document the graph query
/// answers, `{"data": [...], "metadata": {...}}`, serialized from structs by serde.
pub fn brand_counts_as_json(rows: Vec<(Brand, i64)>) -> Vec<u8> {
    let data: Vec<BrandCount> = rows
        .into_iter()
        .map(|(brand, products)| BrandCount {
            id: brand.id,
            name: brand.name,
            count: ProductCount { products },
        })
        .collect();
    let count = data.len();
    serde_json::to_vec(&json!({
        "data": data,
        "metadata": { "count": count, "skip": 0, "take": null },
    }))
    .expect("the rows serialize")
}

backend!(diesel::SqliteConnection);
backend!(diesel::PgConnection);

/// Groups [`Backend::brand_product_rows`] by brand: the shape the graph query returns.
///
/// ```
/// use link_bench::baseline::group_by_brand;
/// use link_bench::catalog::{Brand, Product};
///
/// let brand = |id: &str| Brand { id: id.into(), name: id.to_uppercase() };
/// let product = |id: &str| Product { id: id.into(), title: id.into() };
/// let grouped = group_by_brand(vec![
///     (brand("b1"), Some(product("p1"))),
///     (brand("b1"), Some(product("p2"))),
///     (brand("b2"), None),
/// ]);
/// assert_eq!(grouped.len(), 2);
/// assert_eq!(grouped[0].1.len(), 2);
/// assert!(grouped[1].1.is_empty());
/// ```
pub fn group_by_brand(rows: Vec<(Brand, Option<Product>)>) -> Vec<(Brand, Vec<Product>)> {
    let mut grouped: Vec<(Brand, Vec<Product>)> = Vec::new();
    for (brand, product) in rows {
        match grouped.last_mut() {
            Some((last, products)) if last.id == brand.id => products.extend(product),
            _ => grouped.push((brand, product.into_iter().collect())),
        }
    }
    grouped
}

/// [`Backend::products_with_brand`]'s rows as the JSON objects the graph query returns,
/// built by hand: the baseline of the JSON form.
pub fn products_as_json(rows: Vec<(Product, Option<Brand>)>) -> Vec<Value> {
    rows.into_iter()
        .map(|(product, brand)| {
            json!({
                "id": product.id,
                "title": product.title,
                "brand": brand.map(|brand| json!({ "id": brand.id, "name": brand.name })),
            })
        })
        .collect()
}

/// [`group_by_brand`]'s brands as the JSON objects the graph query returns, built by hand.
pub fn brands_as_json(brands: Vec<(Brand, Vec<Product>)>) -> Vec<Value> {
    brands
        .into_iter()
        .map(|(brand, products)| {
            let products: Vec<Value> = products
                .into_iter()
                .map(|product| json!({ "id": product.id, "title": product.title }))
                .collect();
            json!({ "id": brand.id, "name": brand.name, "products": products })
        })
        .collect()
}
