//! What a client of the store API may reach: products and brands, and the link between
//! them; never customers or wishlists, whatever the query asks.

use link_runtime::graph::{Fields, Scope};

/// The largest page a client may ask for.
pub const MAX_TAKE: u64 = 100;

/// The store's scope: products (every field but `deleted_at`) and brands, a product's brand
/// and a brand's products, two links deep at most, pages of [`MAX_TAKE`] rows at most, and
/// no soft-deleted records.
pub fn store() -> Scope {
    Scope::new()
        .entity("product", Fields::only(["id", "title"]))
        .entity("brand", Fields::only(["id", "name"]))
        .link("product", "brand")
        .link("brand", "products")
        .max_depth(2)
        .max_take(MAX_TAKE)
}
