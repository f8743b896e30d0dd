//! A random catalog of brands and products, and its model: shared by the property tests
//! of quantified filters, counts and pages inside each record, on one database or three.

use link_runtime::graph::{Condition, Graph, Nested, Order};
use link_runtime::Id;
use link_test_support::{via, Statements};
use link_tests::links::product_brand;
use link_tests::modules::supplier::Store;
use link_tests::modules::{brand::Brand, product::Product};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;
use serde_json::Value;

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

/// The sizes the statement counts are compared at.
pub const SIZES: [usize; 3] = [10, 1_000, 10_000];

impl Catalog {
    /// `size` products over three brands, their names in turn: one in five unlinked, one
    /// in seven of the others' links dismissed.
    pub fn sized(size: usize) -> Self {
        Catalog {
            brands: 3,
            products: (0..size)
                .map(|i| {
                    let link = (i % 5 != 0).then_some((i % 3, i % 7 == 0));
                    (NAMES[i % NAMES.len()], link)
                })
                .collect(),
        }
    }

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
        product_brand::Link::create_many(conn, &self.pairs(false)).unwrap();
        product_brand::Link::dismiss_many(conn, &self.pairs(true)).unwrap();
    }

    /// The pairs of the catalog's links; only those dismissed if `dismissed_only`.
    pub fn pairs(&self, dismissed_only: bool) -> Vec<(Id<Product>, Id<Brand>)> {
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
    }

    /// The names of the products live-linked to brand `brand`.
    pub fn names_of(&self, brand: usize) -> Vec<&'static str> {
        self.products
            .iter()
            .filter(|(_, link)| *link == Some((brand, false)))
            .map(|(name, _)| *name)
            .collect()
    }

    /// Brand `brand`'s page of its live products named one of `names`, by name (`descending`
    /// or not) then id, `skip`ped and `take`n, as `(name, id)`; and how many there are.
    pub fn page(
        &self,
        brand: usize,
        names: &[&str],
        descending: bool,
        skip: u64,
        take: Option<u64>,
    ) -> (Vec<(String, String)>, u64) {
        let mut matching: Vec<(String, String)> = self
            .products
            .iter()
            .enumerate()
            .filter(|(_, (name, link))| *link == Some((brand, false)) && names.contains(name))
            .map(|(i, (name, _))| ((*name).to_owned(), format!("prod_{i}")))
            .collect();
        matching.sort_by(|x, y| match descending {
            true => y.0.cmp(&x.0).then(x.1.cmp(&y.1)),
            false => x.cmp(y),
        });
        let count = matching.len() as u64;
        let page = matching
            .into_iter()
            .skip(usize::try_from(skip).unwrap_or(usize::MAX))
            .take(take.map_or(usize::MAX, |t| usize::try_from(t).unwrap_or(usize::MAX)))
            .collect();
        (page, count)
    }
}

/// A page inside each brand, as the property tests draw it: the products named one of the
/// first `kept` [`NAMES`], by name (`descending` or not) then id, `skip`ped and `take`n.
#[derive(Debug, Clone)]
pub struct PageAsked {
    pub skip: u64,
    pub take: Option<u64>,
    pub descending: bool,
    pub kept: usize,
}

pub fn pages_asked() -> impl Strategy<Value = PageAsked> {
    (
        0..3u64,
        proptest::option::of(0..3u64),
        any::<bool>(),
        0..=NAMES.len(),
    )
        .prop_map(|(skip, take, descending, kept)| PageAsked {
            skip,
            take,
            descending,
            kept,
        })
}

impl PageAsked {
    /// Every brand by id, with its page of products (their id and name) and its count of
    /// the products the page's filter keeps.
    pub fn query(&self) -> Graph {
        Graph::entity("brand")
            .fields(["id", "products.id", "products.name", "_count.products"])
            .order("id", Order::Asc)
            .nested("products", self.nested())
    }

    /// The page of each brand's products: those of the first `kept` names, by name, from
    /// `skip`, `take` of them.
    pub fn nested(&self) -> Nested {
        let order = if self.descending {
            Order::Desc
        } else {
            Order::Asc
        };
        let mut nested = Nested::new()
            .filter(
                "name",
                Condition::eq_any(NAMES[..self.kept].iter().copied()),
            )
            .order("name", order)
            .skip(self.skip);
        if let Some(take) = self.take {
            nested = nested.take(take);
        }
        nested
    }

    /// How many of brand `brand`'s live products the page's filter keeps.
    pub fn counted(&self, catalog: &Catalog, brand: usize) -> u64 {
        catalog.page(brand, &NAMES[..self.kept], false, 0, None).1
    }

    /// Checks the rows `answered` to [`query`](Self::query) against `catalog`'s model.
    pub fn check(&self, catalog: &Catalog, answered: &[Value]) -> Result<(), TestCaseError> {
        prop_assert_eq!(answered.len(), catalog.brands);
        for (brand, row) in answered.iter().enumerate() {
            let (shown, count) = catalog.page(
                brand,
                &NAMES[..self.kept],
                self.descending,
                self.skip,
                self.take,
            );
            let listed: Vec<(String, String)> = row["products"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    let text = |key: &str| p[key].as_str().unwrap().to_owned();
                    (text("name"), text("id"))
                })
                .collect();
            prop_assert_eq!(&listed, &shown, "{}", row);
            prop_assert_eq!(row["_count"]["products"].as_u64(), Some(count));
        }
        Ok(())
    }
}

/// Runs each of `queries` on catalogs of each of [`SIZES`] (in the tables of the shared
/// [`catalog`](link_tests::fixtures::catalog)), and asserts that each runs as many
/// statements (one at least) at every size.
pub fn assert_statements_independent_of_rows(
    conn: &mut impl Store,
    queries: impl Fn() -> Vec<Graph>,
) {
    link_tests::fixtures::catalog(conn);
    let statements = Statements::record(conn);
    let mut counts = Vec::new();
    for size in SIZES {
        Catalog::sized(size).store(conn);
        statements.take();
        let per_query: Vec<usize> = queries()
            .into_iter()
            .map(|query| {
                via::graph(conn, query).unwrap();
                statements.take().len()
            })
            .collect();
        counts.push(per_query);
    }
    assert!(counts[0].iter().all(|&n| n >= 1), "{counts:?}");
    assert_eq!(counts[0], counts[1]);
    assert_eq!(counts[1], counts[2]);
}
