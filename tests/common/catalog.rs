//! A random catalog of brands and products, and its model: shared by the property tests
//! of quantified filters and of counts.

use link_tests::links::product_brand;
use link_tests::modules::supplier::Store;
use link_tests::modules::{brand::Brand, product::Product};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

/// A random catalog: each product's name, and its link to a brand (by index) if it has
/// one, live or dismissed.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub brands: usize,
    pub products: Vec<(&'static str, Option<(usize, bool)>)>,
}

pub const NAMES: [&str; 4] = ["Kettle", "Teapot", "Toaster", "Mug"];

pub fn catalogs() -> impl Strategy<Value = Catalog> {
    let product = (
        select(&NAMES[..]),
        proptest::option::of((0..4usize, any::<bool>())),
    );
    (1..4usize, vec(product, 0..9)).prop_map(|(brands, products)| Catalog {
        brands,
        products: products
            .into_iter()
            .map(|(name, link)| (name, link.filter(|(brand, _)| *brand < brands)))
            .collect(),
    })
}

impl Catalog {
    /// Replaces the catalog's rows with this one's.
    pub fn store(&self, conn: &mut impl Store) {
        let mut sql = String::from(
            "DELETE FROM product_product_brand_brand; DELETE FROM products; DELETE FROM brands;",
        );
        for brand in 0..self.brands {
            sql += &format!("INSERT INTO brands VALUES ('brand_{brand}', 'Brand {brand}');");
        }
        for (i, (name, _)) in self.products.iter().enumerate() {
            sql += &format!("INSERT INTO products VALUES ('prod_{i}', '{name}');");
        }
        conn.batch_execute(&sql).unwrap();
        let pairs = |dismissed_only: bool| -> Vec<_> {
            self.products
                .iter()
                .enumerate()
                .filter_map(|(i, (_, link))| {
                    let (brand, dismissed) = (*link)?;
                    (!dismissed_only || dismissed).then(|| {
                        (
                            Product::id(format!("prod_{i}")),
                            Brand::id(format!("brand_{brand}")),
                        )
                    })
                })
                .collect()
        };
        product_brand::Link::create_many(conn, &pairs(false)).unwrap();
        product_brand::Link::dismiss_many(conn, &pairs(true)).unwrap();
    }

    /// The names of the products live-linked to brand `brand`.
    pub fn names_of(&self, brand: usize) -> Vec<&'static str> {
        self.products
            .iter()
            .filter(|(_, link)| *link == Some((brand, false)))
            .map(|(name, _)| *name)
            .collect()
    }
}
