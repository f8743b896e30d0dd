//! Typed graph queries past fields and links, on SQLite and PostgreSQL, through both
//! drivers: counts of linked records as struct fields at any depth, filters and orders by
//! a count, some / every / none of the linked records, and pages inside each record. Each
//! typed query is checked twice: it is the dynamic query written by hand, and its result is
//! what that dynamic query returns, read into the struct.
//!
//! The catalog ([`catalog`]): Acme holds Kettle and Teapot, Birch holds Toaster (its link
//! to Whisk is dismissed), Cedar holds nothing. Kettle has the tags gift and kitchen,
//! Teapot gift, Toaster's only tag is dismissed.

// What the derive generates compiles under the strictest settings users build with.
#![deny(warnings)]

use link_runtime::graph::{
    Condition, Filter, Graph, GraphSelect, Nested, Order, TypedGraph, TypedNested,
};
use link_runtime::LinkConnection;
use link_test_support::via;
use link_tests::fixtures::catalog;
use link_tests::modules::{brand::Brand, product::Product, tag::Tag};
use serde::Deserialize;
use serde_json::Value;

/// A brand with its products and how many it has.
#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Brand)]
struct BrandCard {
    id: String,
    name: String,
    #[graph(count = Product)]
    product_count: u64,
    #[graph(link)]
    products: Vec<ProductCard>,
}

/// A product with how many tags it has, and its brand with how many products that has.
#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Product)]
struct ProductCard {
    name: String,
    #[graph(count = Tag)]
    tag_count: i32,
    #[graph(link)]
    tags: Vec<TagName>,
    #[graph(link)]
    brand: Option<BrandSize>,
}

#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Brand)]
struct BrandSize {
    name: String,
    #[graph(count = Product)]
    products: usize,
}

#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Tag)]
struct TagName {
    name: String,
}

#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Brand)]
struct BrandName {
    name: String,
}

#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Product)]
struct ProductName {
    name: String,
}

/// A brand with its first product, and that product's first tag: pages the structs declare.
#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Brand)]
struct BrandSample {
    name: String,
    #[graph(count = Product)]
    product_count: u64,
    #[graph(link, take = 1)]
    products: Vec<ProductSample>,
}

#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Product)]
struct ProductSample {
    name: String,
    #[graph(link, take = 1)]
    tags: Vec<TagName>,
}

/// A product with its brand's sample: pages below a side that holds one record.
#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Product)]
struct ProductWithSample {
    name: String,
    #[graph(link)]
    brand: Option<BrandSample>,
}

/// The dynamic query's rows, read into the typed structs by hand: each count from
/// `_count`, under the struct field's name.
trait FromDynamic {
    fn from_dynamic(row: &Value) -> Self;
}

fn text(value: &Value) -> String {
    value.as_str().expect("a string").to_owned()
}

impl FromDynamic for BrandCard {
    fn from_dynamic(row: &Value) -> Self {
        BrandCard {
            id: text(&row["id"]),
            name: text(&row["name"]),
            product_count: row["_count"]["products"].as_u64().expect("a count"),
            products: list(&row["products"]),
        }
    }
}

impl FromDynamic for ProductCard {
    fn from_dynamic(row: &Value) -> Self {
        ProductCard {
            name: text(&row["name"]),
            tag_count: row["_count"]["tags"].as_i64().expect("a count") as i32,
            tags: list(&row["tags"]),
            brand: (!row["brand"].is_null()).then(|| BrandSize::from_dynamic(&row["brand"])),
        }
    }
}

impl FromDynamic for BrandSize {
    fn from_dynamic(row: &Value) -> Self {
        BrandSize {
            name: text(&row["name"]),
            products: row["_count"]["products"].as_u64().expect("a count") as usize,
        }
    }
}

impl FromDynamic for TagName {
    fn from_dynamic(row: &Value) -> Self {
        TagName {
            name: text(&row["name"]),
        }
    }
}

impl FromDynamic for BrandName {
    fn from_dynamic(row: &Value) -> Self {
        TagName::from_dynamic(row).into()
    }
}

impl FromDynamic for ProductName {
    fn from_dynamic(row: &Value) -> Self {
        ProductName {
            name: text(&row["name"]),
        }
    }
}

impl From<TagName> for BrandName {
    fn from(tag: TagName) -> Self {
        BrandName { name: tag.name }
    }
}

impl FromDynamic for BrandSample {
    fn from_dynamic(row: &Value) -> Self {
        BrandSample {
            name: text(&row["name"]),
            product_count: row["_count"]["products"].as_u64().expect("a count"),
            products: list(&row["products"]),
        }
    }
}

impl FromDynamic for ProductSample {
    fn from_dynamic(row: &Value) -> Self {
        ProductSample {
            name: text(&row["name"]),
            tags: list(&row["tags"]),
        }
    }
}

impl FromDynamic for ProductWithSample {
    fn from_dynamic(row: &Value) -> Self {
        ProductWithSample {
            name: text(&row["name"]),
            brand: (!row["brand"].is_null()).then(|| BrandSample::from_dynamic(&row["brand"])),
        }
    }
}

fn list<T: FromDynamic>(value: &Value) -> Vec<T> {
    value
        .as_array()
        .expect("a list")
        .iter()
        .map(T::from_dynamic)
        .collect()
}

/// Runs `typed`, checks that it asks what `dynamic` asks, and that its rows are
/// `dynamic`'s read into `S`; returns them.
fn same<S>(conn: &mut impl LinkConnection, typed: TypedGraph<S>, dynamic: Graph) -> Vec<S>
where
    S: GraphSelect + FromDynamic + PartialEq + std::fmt::Debug,
{
    let graph = typed.clone().into_graph();
    assert_eq!(graph.entity_name(), dynamic.entity_name());
    assert_eq!(graph.fields_requested(), dynamic.fields_requested());
    assert_eq!(graph.filters_requested(), dynamic.filters_requested());
    assert_eq!(graph.order_requested(), dynamic.order_requested());
    assert_eq!(
        graph.with_deleted_requested(),
        dynamic.with_deleted_requested()
    );
    let typed = via::graph(conn, typed).expect("the typed query runs").data;
    let dynamic = via::graph(conn, dynamic)
        .expect("the dynamic query runs")
        .data;
    let expected: Vec<S> = dynamic.iter().map(S::from_dynamic).collect();
    assert_eq!(typed, expected);
    typed
}

fn names<S>(rows: &[S], name: impl Fn(&S) -> &str) -> Vec<&str> {
    rows.iter().map(name).collect()
}

/// Every field [`BrandCard`] selects, as a dynamic query lists them.
fn brand_cards() -> Graph {
    Graph::entity("brand").fields([
        "id",
        "name",
        "_count.products",
        "products.name",
        "products._count.tags",
        "products.tags.name",
        "products.brand.name",
        "products.brand._count.products",
    ])
}

link_test_support::backend_tests! {
    drivers;

    fn counts_are_fields_at_any_depth(conn) {
        catalog(conn);
        let cards = same(
            conn,
            BrandCard::graph().order(|brand| brand.id.asc()),
            brand_cards().order("id", Order::Asc),
        );
        let counts: Vec<(&str, u64)> =
            cards.iter().map(|card| (card.name.as_str(), card.product_count)).collect();
        assert_eq!(counts, [("Acme", 2), ("Birch", 1), ("Cedar", 0)]);
        let kettle = cards[0]
            .products
            .iter()
            .find(|product| product.name == "Kettle")
            .expect("Acme holds the Kettle");
        assert_eq!(kettle.tag_count, 2);
        assert_eq!(kettle.tags.len(), 2);
        assert_eq!(
            kettle.brand,
            Some(BrandSize { name: "Acme".to_owned(), products: 2 })
        );
        // Toaster's only tag is dismissed.
        assert_eq!(cards[1].products[0].tag_count, 0);
        // With deleted rows, the dismissed links count too.
        let all = same(
            conn,
            BrandCard::graph().order(|brand| brand.id.asc()).with_deleted(),
            brand_cards().order("id", Order::Asc).with_deleted(),
        );
        assert_eq!(all[1].product_count, 2);
    }

    fn filters_and_orders_by_a_count(conn) {
        catalog(conn);
        let cards = same(
            conn,
            BrandCard::graph()
                .filter_count::<Product, _>(|count| count.ge(1))
                .order_count::<Product, _>(Order::Asc)
                .order(|brand| brand.id.asc()),
            brand_cards()
                .filter("_count.products", Condition::ge(1))
                .order("_count.products", Order::Asc)
                .order("id", Order::Asc),
        );
        assert_eq!(names(&cards, |card| &card.name), ["Birch", "Acme"]);
        let cards = same(
            conn,
            BrandCard::graph()
                .filter_count::<Product, _>(|count| count.lt(2).and(count.ne(1)))
                .order_count::<Product, _>(Order::Desc),
            brand_cards()
                .filter_by(Filter::and([
                    Filter::field("_count.products", Condition::lt(2)),
                    Filter::field("_count.products", Condition::ne(1)),
                ]))
                .order("_count.products", Order::Desc),
        );
        assert_eq!(names(&cards, |card| &card.name), ["Cedar"]);
        // Through a side that holds one record: 0 or 1.
        let unbranded = same(
            conn,
            ProductName::graph()
                .filter_count::<Brand, _>(|count| count.eq(0))
                .order(|product| product.name.asc()),
            Graph::entity("product")
                .fields(["name"])
                .filter("_count.brand", Condition::eq(0))
                .order("name", Order::Asc),
        );
        assert_eq!(names(&unbranded, |product| &product.name), ["Whisk"]);
    }

    fn some_every_and_none_of_the_linked_records(conn) {
        catalog(conn);
        let brands = |conn: &mut _, typed: TypedGraph<BrandName>, filter: Filter| {
            let dynamic = Graph::entity("brand").fields(["name"]).filter_by(filter);
            let order = |graph: Graph| graph.order("name", Order::Asc);
            let rows = same(conn, typed.order(|brand| brand.name.asc()), order(dynamic));
            rows.into_iter().map(|brand| brand.name).collect::<Vec<_>>()
        };
        let t_names = || [Filter::field("name", Condition::like("T%"))];
        assert_eq!(
            brands(
                conn,
                BrandName::graph().filter_some::<Product, _>(|p| p.name.like("T%")),
                Filter::some("products", t_names()),
            ),
            ["Acme", "Birch"]
        );
        assert_eq!(
            brands(
                conn,
                BrandName::graph().filter_every::<Product, _>(|p| p.name.like("T%")),
                Filter::every("products", t_names()),
            ),
            ["Birch", "Cedar"]
        );
        assert_eq!(
            brands(
                conn,
                BrandName::graph().filter_none::<Product, _>(|p| p.name.like("T%")),
                Filter::none("products", t_names()),
            ),
            ["Cedar"]
        );
        assert_eq!(
            brands(
                conn,
                BrandName::graph().filter_unlinked::<Product, _>(),
                Filter::none("products", []),
            ),
            ["Cedar"]
        );
        // One linked record meets the whole filter: no product is both Kettle and Teapot.
        assert_eq!(
            brands(
                conn,
                BrandName::graph()
                    .filter_some::<Product, _>(|p| p.name.eq("Kettle").and(p.name.eq("Teapot"))),
                Filter::some(
                    "products",
                    [Filter::and([Filter::field("name", "Kettle"), Filter::field("name", "Teapot")])],
                ),
            ),
            Vec::<String>::new()
        );
        // A side that holds one record: Whisk's link to Birch is dismissed.
        let unbranded = same(
            conn,
            ProductName::graph().filter_unlinked::<Brand, _>(),
            Graph::entity("product").fields(["name"]).filter_by(Filter::none("brand", [])),
        );
        assert_eq!(names(&unbranded, |product| &product.name), ["Whisk"]);
        let not_acme = same(
            conn,
            ProductName::graph()
                .filter_none::<Brand, _>(|brand| brand.name.eq("Acme"))
                .order(|product| product.name.asc()),
            Graph::entity("product")
                .fields(["name"])
                .filter_by(Filter::none("brand", [Filter::field("name", "Acme")]))
                .order("name", Order::Asc),
        );
        assert_eq!(names(&not_acme, |product| &product.name), ["Toaster", "Whisk"]);
    }

    fn pages_a_struct_declares(conn) {
        catalog(conn);
        let samples = || {
            Graph::entity("brand")
                .fields(["name", "_count.products", "products.name", "products.tags.name"])
                .order("name", Order::Asc)
        };
        let first_tag = || Nested::new().take(1);
        // In the order of the links: Teapot joined Acme first, gift tagged Kettle first.
        let cards = same(
            conn,
            BrandSample::graph().order(|brand| brand.name.asc()),
            samples().nested("products", Nested::new().take(1).nested("tags", first_tag())),
        );
        let firsts: Vec<(&str, u64, Vec<&str>)> = cards
            .iter()
            .map(|card| {
                let products = names(&card.products, |product| &product.name);
                (card.name.as_str(), card.product_count, products)
            })
            .collect();
        assert_eq!(
            firsts,
            [("Acme", 2, vec!["Teapot"]), ("Birch", 1, vec!["Toaster"]), ("Cedar", 0, vec![])]
        );
        // A page given in the query starts from the struct's: ordered, it keeps its take and
        // the tags' page below; a take of its own replaces the struct's.
        let cards = same(
            conn,
            BrandSample::graph()
                .order(|brand| brand.name.asc())
                .nested::<Product, _>(|page| page.order(|product| product.name.asc())),
            samples().nested(
                "products",
                Nested::new().take(1).nested("tags", first_tag()).order("name", Order::Asc),
            ),
        );
        assert_eq!(cards[0].products[0].name, "Kettle");
        assert_eq!(names(&cards[0].products[0].tags, |tag| &tag.name), ["gift"]);
        let cards = same(
            conn,
            BrandSample::graph()
                .order(|brand| brand.name.asc())
                .nested::<Product, _>(|page| {
                    page.take(2).nested::<Tag, _>(|tags| tags.order(|tag| tag.name.desc()))
                }),
            samples().nested(
                "products",
                Nested::new()
                    .take(2)
                    .nested("tags", first_tag().order("name", Order::Desc)),
            ),
        );
        let kettle = cards[0].products.iter().find(|p| p.name == "Kettle").expect("Kettle");
        assert_eq!(cards[0].products.len(), 2);
        assert_eq!(names(&kettle.tags, |tag| &tag.name), ["kitchen"]);
        // Below a side that holds one record.
        let products = same(
            conn,
            ProductWithSample::graph().order(|product| product.name.asc()),
            Graph::entity("product")
                .fields([
                    "name",
                    "brand.name",
                    "brand._count.products",
                    "brand.products.name",
                    "brand.products.tags.name",
                ])
                .order("name", Order::Asc)
                .nested(
                    "brand",
                    Nested::new().nested(
                        "products",
                        Nested::new().take(1).nested("tags", first_tag()),
                    ),
                ),
        );
        let kettle_brand = products[0].brand.as_ref().expect("Kettle has a brand");
        assert_eq!(names(&kettle_brand.products, |product| &product.name), ["Teapot"]);
    }

    fn a_page_inside_each_record(conn) {
        catalog(conn);
        // Each brand's products named T.., last name first, one of them; each product's
        // first tag by name. The count takes the page's filters, not its take.
        let cards = same(
            conn,
            BrandCard::graph()
                .order(|brand| brand.id.asc())
                .nested::<Product, _>(|page: TypedNested<Product>| {
                    page.filter(|product| product.name.like("T%"))
                        .order(|product| product.name.desc())
                        .take(1)
                        .nested::<Tag, _>(|tags| tags.order(|tag| tag.name.asc()).take(1))
                }),
            brand_cards().order("id", Order::Asc).nested(
                "products",
                Nested::new()
                    .filter("name", Condition::like("T%"))
                    .order("name", Order::Desc)
                    .take(1)
                    .nested("tags", Nested::new().order("name", Order::Asc).take(1)),
            ),
        );
        let shelves: Vec<(&str, u64, Vec<&str>)> = cards
            .iter()
            .map(|card| {
                let products = names(&card.products, |product| &product.name);
                (card.name.as_str(), card.product_count, products)
            })
            .collect();
        assert_eq!(
            shelves,
            [("Acme", 1, vec!["Teapot"]), ("Birch", 1, vec!["Toaster"]), ("Cedar", 0, vec![])]
        );
        // Skip, and filters through the linked records' own links and counts.
        let cards = same(
            conn,
            BrandCard::graph().order(|brand| brand.id.asc()).nested::<Product, _>(|page| {
                page.filter_some::<Tag, _>(|tag| tag.name.eq("gift"))
                    .filter_count::<Tag, _>(|count| count.ge(1))
                    .order(|product| product.name.asc())
                    .skip(1)
            }),
            brand_cards().order("id", Order::Asc).nested(
                "products",
                Nested::new()
                    .filter_by(Filter::some("tags", [Filter::field("name", "gift")]))
                    .filter_by(Filter::field("_count.tags", Condition::ge(1)))
                    .order("name", Order::Asc)
                    .skip(1),
            ),
        );
        let shelves: Vec<(u64, Vec<&str>)> = cards
            .iter()
            .map(|card| (card.product_count, names(&card.products, |p| &p.name)))
            .collect();
        assert_eq!(shelves, [(2, vec!["Teapot"]), (0, vec![]), (0, vec![])]);
        // Ordered by a count of the linked records' own: the product with the most tags.
        let cards = same(
            conn,
            BrandCard::graph().order(|brand| brand.id.asc()).nested::<Product, _>(|page| {
                page.order_count::<Tag, _>(Order::Desc).take(1)
            }),
            brand_cards().order("id", Order::Asc).nested(
                "products",
                Nested::new().order("_count.tags", Order::Desc).take(1),
            ),
        );
        let shelves: Vec<Vec<&str>> =
            cards.iter().map(|card| names(&card.products, |p| &p.name)).collect();
        assert_eq!(shelves, [vec!["Kettle"], vec!["Toaster"], vec![]]);
    }
}
