//! The hand-written diesel code each benchmark is measured against: what a user without
//! links would write for the same data, one backend at a time.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
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
        }
    };
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
