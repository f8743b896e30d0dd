//! The demo on a real SQLite database: what it reports, what it leaves in the database, and
//! that it can run again on the same database.

use std::process::Command;

use commerce::links::{product_brand, review_customer, review_product};
use commerce::listing::ProductListing;
use commerce::modules::{brand, customer, product, review};
use commerce::Summary;
use diesel::prelude::*;
use diesel::SqliteConnection;

fn database() -> SqliteConnection {
    SqliteConnection::establish(":memory:").expect("in-memory SQLite opens")
}

fn run(conn: &mut SqliteConnection) -> (Summary, String) {
    let mut out = Vec::new();
    let summary = commerce::run(conn, &mut out).expect("the demo runs");
    (
        summary,
        String::from_utf8(out).expect("the output is UTF-8"),
    )
}

/// `(product id, brand name, review count)` per product.
fn listed(products: &[ProductListing]) -> Vec<(&str, Option<&str>, usize)> {
    products
        .iter()
        .map(|listing| {
            (
                listing.product.id.as_str(),
                listing.brand.as_ref().map(|brand| brand.name.as_str()),
                listing.reviews,
            )
        })
        .collect()
}

const LISTED: [(&str, Option<&str>, usize); 3] = [
    ("prod_1", Some("Acme Outdoor"), 1),
    ("prod_2", Some("Acme Outdoor"), 0),
    ("prod_3", Some("Nordic Roast"), 1),
];

/// Every row of the product-brand pivot, dismissed ones included:
/// `(product id, brand id, dismissed)`.
fn product_brand_rows(conn: &mut SqliteConnection) -> Vec<(String, String, bool)> {
    use product_brand::product_product_brand_brand::dsl::*;
    product_product_brand_brand
        .order((product_id, brand_id))
        .select(product_brand::Row::as_select())
        .load(conn)
        .expect("the pivot loads")
        .into_iter()
        .map(|row| {
            (
                row.product_id.into_inner(),
                row.brand_id.into_inner(),
                row.deleted_at.is_some(),
            )
        })
        .collect()
}

/// Every row of the review-product pivot: `(review id, product id, dismissed)`.
fn review_product_rows(conn: &mut SqliteConnection) -> Vec<(String, String, bool)> {
    use review_product::review_review_product_product::dsl::*;
    review_review_product_product
        .order(review_id)
        .select(review_product::Row::as_select())
        .load(conn)
        .expect("the pivot loads")
        .into_iter()
        .map(|row| {
            (
                row.review_id.into_inner(),
                row.product_id.into_inner(),
                row.deleted_at.is_some(),
            )
        })
        .collect()
}

/// The live review-customer links: `(review id, customer id)`.
fn review_authors(conn: &mut SqliteConnection) -> Vec<(String, String)> {
    use review_customer::review_review_customer_customer::dsl::*;
    review_review_customer_customer
        .filter(deleted_at.is_null())
        .order(review_id)
        .select((review_id, customer_id))
        .load(conn)
        .expect("the pivot loads")
}

fn owned(rows: &[(&str, &str, bool)]) -> Vec<(String, String, bool)> {
    rows.iter()
        .map(|&(a, b, dismissed)| (a.to_owned(), b.to_owned(), dismissed))
        .collect()
}

#[test]
fn a_first_run_reports_what_it_did() {
    let mut conn = database();
    let (summary, out) = run(&mut conn);

    assert_eq!(
        summary.link_tables_created,
        [
            "product_product_brand_brand",
            "review_review_customer_customer",
            "review_review_product_product",
        ]
    );
    assert_eq!(summary.records_inserted, 10);
    assert!(summary.dismissed);
    assert_eq!(listed(&summary.products), LISTED);

    match &summary.refused {
        link_runtime::Error::Cardinality {
            link,
            model,
            record,
            partner_model,
            partner,
            refused,
        } => {
            assert_eq!(*link, product_brand::Link::TABLE);
            assert_eq!((*model, record.as_str()), ("product", "prod_1"));
            assert_eq!((*partner_model, partner.as_str()), ("brand", "brand_1"));
            assert_eq!(refused, "brand_2");
        }
        other => panic!("expected a cardinality error, got {other:?}"),
    }
    assert!(
        out.contains(
            "refused product prod_1 -> brand brand_2: link `product_product_brand_brand` \
             allows one brand per product, and product `prod_1` is already linked to brand \
             `brand_1` (refused: brand `brand_2`)"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "linked products to brands: prod_1 -> brand_1, prod_2 -> brand_1, \
             prod_3 -> brand_2 (3 new, 0 revived, 0 already linked)"
        ),
        "{out}"
    );
    assert!(
        out.contains("dismissed review rev_3 (\"Meant for the jacket, sorry.\") -> product prod_1"),
        "{out}"
    );
    assert!(
        out.contains("  prod_1   Trail Runner     brand: Acme Outdoor   1 review\n"),
        "{out}"
    );
}

#[test]
fn the_database_holds_what_the_demo_reports() {
    let mut conn = database();
    run(&mut conn);

    // Each module holds its own records, in the table its model names.
    use link_runtime::Linkable;
    assert_eq!(
        [
            brand::Brand::TABLE,
            product::Product::TABLE,
            customer::Customer::TABLE,
            review::Review::TABLE,
        ],
        ["brand", "product", "customer", "review"]
    );
    assert_eq!(brand::list(&mut conn).unwrap().len(), 2);
    assert_eq!(product::list(&mut conn).unwrap().len(), 3);
    assert_eq!(customer::list(&mut conn).unwrap().len(), 2);
    assert_eq!(review::list(&mut conn).unwrap().len(), 3);

    // Each product has its one brand, and the refused prod_1 -> brand_2 wrote no row at all.
    assert_eq!(
        product_brand_rows(&mut conn),
        owned(&[
            ("prod_1", "brand_1", false),
            ("prod_2", "brand_1", false),
            ("prod_3", "brand_2", false),
        ])
    );

    // The dismissed link is still there, soft-deleted; the review itself is untouched.
    assert_eq!(
        review_product_rows(&mut conn),
        owned(&[
            ("rev_1", "prod_1", false),
            ("rev_2", "prod_3", false),
            ("rev_3", "prod_1", true),
        ])
    );
    let rev_3 = review::get(&mut conn, &review::Review::id("rev_3")).unwrap();
    assert_eq!(rev_3.map(|review| review.rating), Some(2));

    // Links made through the generic `link_runtime::create`.
    assert_eq!(
        review_authors(&mut conn),
        [("rev_1", "cus_1"), ("rev_2", "cus_2"), ("rev_3", "cus_2")]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
}

#[test]
fn a_second_run_on_the_same_database_ends_in_the_same_state() {
    let mut conn = database();
    let (first, _) = run(&mut conn);
    let brands_after_first = product_brand_rows(&mut conn);
    let reviews_after_first = review_product_rows(&mut conn);

    let (second, out) = run(&mut conn);
    assert!(second.link_tables_created.is_empty(), "{out}");
    assert_eq!(second.records_inserted, 0);
    assert!(matches!(
        second.refused,
        link_runtime::Error::Cardinality { .. }
    ));
    // Creating the dismissed pair revived it, and the demo dismissed it again.
    assert!(second.dismissed);
    assert_eq!(second.products, first.products);
    assert_eq!(listed(&second.products), LISTED);

    assert_eq!(product_brand_rows(&mut conn), brands_after_first);
    assert_eq!(review_product_rows(&mut conn), reviews_after_first);
    assert_eq!(review_authors(&mut conn).len(), 3);
    assert!(
        out.contains("records: 0 inserted, 10 already there"),
        "{out}"
    );
    assert!(
        out.contains("(0 new, 0 revived, 3 already linked)"),
        "products to brands are linked already: {out}"
    );
    assert!(
        out.contains("(0 new, 1 revived, 2 already linked)"),
        "the dismissed review link is revived: {out}"
    );
    assert!(
        out.contains("link tables in sync: nothing to migrate"),
        "{out}"
    );
}

/// Runs the commerce binary on the database file `path` with `args`; returns its output.
fn commerce(path: &std::path::Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_commerce"))
        .arg("--database")
        .arg(path)
        .args(args)
        .output()
        .expect("the binary starts");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("the output is UTF-8")
}

#[test]
fn the_binary_runs_twice_on_a_database_file() {
    let path = std::env::temp_dir().join(format!("commerce-test-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let outputs = [commerce(&path, &[]), commerce(&path, &[])];
    std::fs::remove_file(&path).expect("the database file was created");
    assert!(
        outputs[0].contains("records: 10 inserted"),
        "{}",
        outputs[0]
    );
    assert!(outputs[1].contains("records: 0 inserted"), "{}", outputs[1]);
    let listing = |out: &str| out[out.find("\nproducts:\n").expect("a listing")..].to_owned();
    assert_eq!(listing(&outputs[0]), listing(&outputs[1]));

    let output = Command::new(env!("CARGO_BIN_EXE_commerce"))
        .arg("--databse")
        .output()
        .expect("the binary starts");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unexpected argument '--databse'"));
}

#[test]
fn the_binary_embeds_the_links_command() {
    let path = std::env::temp_dir().join(format!("commerce-links-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let links = |args: &[&str]| commerce(&path, &[&["links"], args].concat());

    let planned = links(&["plan"]);
    assert!(
        planned
            .contains("  [safe] create table `product_product_brand_brand` (product -> brand)\n"),
        "{planned}"
    );
    let sql = links(&["sql"]);
    assert!(
        sql.starts_with("-- link sync plan: 4 action(s), 0 unsafe\n"),
        "{sql}"
    );
    assert!(sql.contains("CREATE TABLE IF NOT EXISTS \"review_review_product_product\""));

    let migrated = links(&["migrate"]);
    assert!(
        migrated.ends_with("4 action(s) applied, 0 skipped\n"),
        "{migrated}"
    );
    assert_eq!(
        links(&["plan"]),
        "the database is in sync with the links: nothing to do\n"
    );
    std::fs::remove_file(&path).expect("the database file was created");
}
