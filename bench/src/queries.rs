//! The library side of each benchmark: the graph queries whose data the baselines of
//! [`crate::baseline`] return, in the dynamic (JSON) and the typed form.

use link_runtime::graph::{Condition, Graph, GraphSelect, Nested, Order, TypedGraph};
use serde::{Deserialize, Serialize};

use crate::catalog::{Brand, Product};

/// `product { id, title, brand.* }`, every product.
///
/// ```
/// use diesel::{Connection, SqliteConnection};
/// use link_bench::catalog::{self, Size};
/// use link_runtime::graph::Query;
///
/// let mut conn = SqliteConnection::establish(":memory:")?;
/// catalog::seed(&mut conn, Size::tenth(20))?;
/// let result = Query::new(&mut conn).graph(link_bench::queries::products_with_brand())?;
/// assert_eq!(result.data[3]["brand"]["name"], "Brand 00001");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn products_with_brand() -> Graph {
    Graph::entity("product").fields(["id", "title", "brand.*"])
}

/// `brand { id, name, _count.products }`, every brand, most products first.
pub fn brands_by_product_count() -> Graph {
    Graph::entity("brand")
        .fields(["id", "name", "_count.products"])
        .order("_count.products", Order::Desc)
}

/// A page of `take` brands by id, each with its `per_brand` newest products (the largest
/// ids first) and its count of products: `brand { id, name, products.id, products.title,
/// _count.products }` with `nested.products: { order: { id: DESC }, take: per_brand }`.
pub fn brands_with_newest_products(take: u64, per_brand: u64) -> Graph {
    Graph::entity("brand")
        .fields([
            "id",
            "name",
            "products.id",
            "products.title",
            "_count.products",
        ])
        .order("id", Order::Asc)
        .take(take)
        .nested(
            "products",
            Nested::new().order("id", Order::Desc).take(per_brand),
        )
}

/// `brand { id, name, products.* }`, every brand.
pub fn brands_with_products() -> Graph {
    Graph::entity("brand").fields(["id", "name", "products.*"])
}

/// The first `take` products, by id, whose brand is named one of `names`, with the brand.
pub fn page_by_brand_name(names: &[String], take: u64) -> Graph {
    Graph::entity("product")
        .fields(["id", "title", "brand.*"])
        .filter("brand.name", Condition::eq_any(names.iter().cloned()))
        .take(take)
}

/// A page of `take` products by title (the id breaking ties), in the typed form, after
/// the cursor of the page before it if there is one.
pub fn products_by_title(take: u64, after: Option<String>) -> TypedGraph<Product> {
    let page = Product::graph()
        .order(|product| product.title.asc())
        .take(take);
    match after {
        Some(cursor) => page.after(cursor),
        None => page,
    }
}

/// The same page by its offset.
pub fn products_by_title_from(skip: u64, take: u64) -> TypedGraph<Product> {
    Product::graph()
        .order(|product| product.title.asc())
        .skip(skip)
        .take(take)
}

/// A product with its brand, in the typed form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, GraphSelect)]
#[graph(entity = Product)]
pub struct ProductCard {
    /// The product's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its brand.
    #[graph(link)]
    pub brand: Option<Brand>,
}

/// A brand with its products, in the typed form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, GraphSelect)]
#[graph(entity = Brand)]
pub struct BrandWithProducts {
    /// The brand's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its products.
    #[graph(link)]
    pub products: Vec<Product>,
}
