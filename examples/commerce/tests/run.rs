//! The demo on real SQLite databases: what it reports, what it leaves in the database, and
//! that it can run again on the same database; everything in one database, or each module
//! in a database file of its own and the link tables in another, with the same results.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use commerce::links::{product_brand, review_customer};
use commerce::listing::ProductListing;
use commerce::modules::{brand, customer, product, review};
use commerce::{Summary, MODULES};
use diesel::prelude::*;
use diesel::SqliteConnection;
use link_runtime::databases::{Database, Databases};

/// One in-memory database for everything: the database, and the demo's layout on it.
fn one_database() -> (Database<SqliteConnection>, Databases<SqliteConnection>) {
    let conn = SqliteConnection::establish(":memory:").expect("in-memory SQLite opens");
    let database = Database::from_connection(conn);
    let databases = Databases::new(&database);
    (database, databases)
}

/// A folder of its own in the system's temp folder, missing at first, removed when dropped.
struct Folder(PathBuf);

impl Folder {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("commerce-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        Folder(path)
    }

    /// The path of the database file `<name>.db` in the folder.
    fn file(&self, name: &str) -> PathBuf {
        self.0.join(format!("{name}.db"))
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Each module in `folder/<module>.db`, the link tables in `folder/links.db`, as
/// `commerce --per-module` lays them out: a new connection per checkout.
fn per_module(folder: &Folder) -> Databases<SqliteConnection> {
    std::fs::create_dir_all(&folder.0).expect("the folder is created");
    let file = |name: &str| {
        let path = folder.file(name).to_str().expect("a UTF-8 path").to_owned();
        Database::connect(name, move || SqliteConnection::establish(&path))
    };
    let links = file("links");
    MODULES
        .iter()
        .fold(Databases::new(&links).links(&links), |databases, module| {
            databases.module(*module, &file(module))
        })
}

/// A plain connection to the database file `folder/<name>.db`, which must exist.
fn open(folder: &Folder, name: &str) -> SqliteConnection {
    let path = folder.file(name);
    assert!(path.is_file(), "{} exists", path.display());
    SqliteConnection::establish(path.to_str().expect("a UTF-8 path")).expect("the file opens")
}

/// The tables of the database file `folder/<name>.db`, SQLite's own left out.
fn tables(folder: &Folder, name: &str) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Table {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    diesel::sql_query(
        "SELECT name FROM sqlite_master \
         WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )
    .load::<Table>(&mut open(folder, name))
    .expect("sqlite_master reads")
    .into_iter()
    .map(|table| table.name)
    .collect()
}

fn run(databases: &Databases<SqliteConnection>) -> (Summary, String) {
    let mut out = Vec::new();
    let summary = commerce::run(databases, &mut out).expect("the demo runs");
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

/// Every review's product, the review's own column that the read-only link reads:
/// `(review id, product id)`.
fn review_products(conn: &mut SqliteConnection) -> Vec<(String, Option<String>)> {
    review::list(conn)
        .expect("the reviews load")
        .into_iter()
        .map(|review| (review.id, review.product_id))
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

/// The demo's product -> brand pivot rows, as (product, brand, dismissed).
const PRODUCT_BRANDS: &[(&str, &str, bool)] = &[
    ("prod_1", "brand_1", false),
    ("prod_2", "brand_1", false),
    ("prod_3", "brand_2", false),
    // The launch of prod_4 linked it, then dismissed the link when the storefront refused.
    ("prod_4", "brand_2", true),
];

/// The demo's reviews' products: `rev_3` was taken off its product.
const REVIEW_PRODUCTS: &[(&str, Option<&str>)] = &[
    ("rev_1", Some("prod_1")),
    ("rev_2", Some("prod_3")),
    ("rev_3", None),
];

fn review_products_owned() -> Vec<(String, Option<String>)> {
    REVIEW_PRODUCTS
        .iter()
        .map(|&(review, product)| (review.to_owned(), product.map(str::to_owned)))
        .collect()
}

fn owned(rows: &[(&str, &str, bool)]) -> Vec<(String, String, bool)> {
    rows.iter()
        .map(|&(a, b, dismissed)| (a.to_owned(), b.to_owned(), dismissed))
        .collect()
}

#[test]
fn a_first_run_reports_what_it_did() {
    let (_, databases) = one_database();
    let (summary, out) = run(&databases);

    assert_eq!(
        summary.link_tables_created,
        // The read-only link review -> product has no table.
        [
            "product_product_brand_brand",
            "review_review_customer_customer"
        ]
    );
    assert_eq!(summary.records_inserted, 10);
    assert!(summary.taken_off);
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
        out.contains(
            "took review rev_3 (\"Meant for the jacket, sorry.\") off product prod_1 \
             (Trail Runner)"
        ),
        "{out}"
    );
    assert!(
        out.contains("  prod_1   Trail Runner     brand: Acme Outdoor   1 review\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "launch of prod_4 failed: the storefront refused `prod_4`: it has no price\n  \
             undone: create product_product_brand_brand (prod_4, brand_2)\n  \
             undone: insert product prod_4\n"
        ),
        "{out}"
    );
    assert_eq!(
        summary.launch_undone,
        [
            "create product_product_brand_brand (prod_4, brand_2)",
            "insert product prod_4"
        ]
    );
}

#[test]
fn the_database_holds_what_the_demo_reports() {
    let (database, databases) = one_database();
    run(&databases);
    let mut conn = database.checkout().expect("the connection is free");

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
    // The launched product was undone with its link.
    assert_eq!(
        product::get(&mut conn, &product::Product::id("prod_4")).unwrap(),
        None
    );
    assert_eq!(customer::list(&mut conn).unwrap().len(), 2);
    assert_eq!(review::list(&mut conn).unwrap().len(), 3);

    // Each product has its one brand, and the refused prod_1 -> brand_2 wrote no row at all.
    assert_eq!(product_brand_rows(&mut conn), owned(PRODUCT_BRANDS));

    // The misplaced review is on no product now; the rest of it is untouched.
    assert_eq!(review_products(&mut conn), review_products_owned());
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
    let (database, databases) = one_database();
    let (first, _) = run(&databases);
    let mut conn = database.checkout().expect("the connection is free");
    let brands_after_first = product_brand_rows(&mut conn);
    drop(conn); // the demo takes the one connection

    let (second, out) = run(&databases);
    let mut conn = database.checkout().expect("the connection is free");
    assert!(second.link_tables_created.is_empty(), "{out}");
    assert_eq!(second.records_inserted, 0);
    assert!(matches!(
        second.refused,
        link_runtime::Error::Cardinality { .. }
    ));
    // The review stayed off its product: nothing to take off.
    assert!(!second.taken_off);
    assert_eq!(second.products, first.products);
    assert_eq!(listed(&second.products), LISTED);

    assert_eq!(product_brand_rows(&mut conn), brands_after_first);
    assert_eq!(review_products(&mut conn), review_products_owned());
    assert_eq!(review_authors(&mut conn).len(), 3);
    assert!(
        out.contains("records: 0 inserted, 10 already there"),
        "{out}"
    );
    assert!(
        out.contains(
            "linked products to brands: prod_1 -> brand_1, prod_2 -> brand_1, \
             prod_3 -> brand_2 (0 new, 0 revived, 3 already linked)"
        ),
        "products to brands are linked already: {out}"
    );
    assert!(
        out.contains("review rev_3 is not on product prod_1: nothing to take off"),
        "{out}"
    );
    assert!(
        out.contains("link tables in sync: nothing to migrate"),
        "{out}"
    );
}

/// Runs the commerce binary on the database file `path` with `args`; returns its output.
fn commerce(path: &Path, args: &[&str]) -> String {
    commerce_with(
        [OsStr::new("--database"), path.as_os_str()]
            .into_iter()
            .chain(args.iter().map(OsStr::new)),
    )
}

/// Runs the commerce binary with `args`, which must succeed; returns its output.
fn commerce_with<A: AsRef<OsStr>>(args: impl IntoIterator<Item = A>) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_commerce"))
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
        sql.starts_with("-- link sync plan: 3 action(s), 0 unsafe\n"),
        "{sql}"
    );
    assert!(sql.contains("CREATE TABLE IF NOT EXISTS \"review_review_customer_customer\""));
    // The read-only link has no table to create.
    assert!(!sql.contains("review_review_product_product"), "{sql}");

    let migrated = links(&["migrate"]);
    assert!(
        migrated.ends_with("3 action(s) applied, 0 skipped\n"),
        "{migrated}"
    );
    assert_eq!(
        links(&["plan"]),
        "the database is in sync with the links: nothing to do\n"
    );
    std::fs::remove_file(&path).expect("the database file was created");
}

#[test]
fn each_module_in_a_database_of_its_own_gives_what_one_database_gives() {
    let (_, together) = one_database();
    let (one, one_out) = run(&together);

    let folder = Folder::new("apart");
    let (apart, apart_out) = run(&per_module(&folder));

    assert_eq!(apart.products, one.products);
    assert_eq!(listed(&apart.products), LISTED);
    assert_eq!(apart.link_tables_created, one.link_tables_created);
    assert_eq!(apart.records_inserted, one.records_inserted);
    assert_eq!(apart.taken_off, one.taken_off);
    assert!(matches!(
        apart.refused,
        link_runtime::Error::Cardinality { .. }
    ));
    assert_eq!(apart.refused.to_string(), one.refused.to_string());
    // Where the tables are does not show in what the demo prints.
    assert_eq!(apart_out, one_out);
}

#[test]
fn each_module_s_table_is_in_its_own_file_and_the_link_tables_in_links_db() {
    let folder = Folder::new("files");
    run(&per_module(&folder));

    let mut files: Vec<String> = std::fs::read_dir(&folder.0)
        .expect("the folder lists")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "brand.db",
            "customer.db",
            "links.db",
            "product.db",
            "review.db"
        ]
    );

    // A module's file holds its own table and no other: `product.db` has no `brand`.
    for module in MODULES {
        assert_eq!(tables(&folder, module), [module], "{module}.db");
    }
    assert_eq!(
        tables(&folder, "links"),
        [
            "link_metadata",
            product_brand::Link::TABLE,
            review_customer::Link::TABLE,
        ]
    );

    // The records are in their module's file, and the links in links.db.
    assert_eq!(brand::list(&mut open(&folder, "brand")).unwrap().len(), 2);
    assert_eq!(
        product::list(&mut open(&folder, "product")).unwrap().len(),
        3
    );
    assert_eq!(
        customer::list(&mut open(&folder, "customer"))
            .unwrap()
            .len(),
        2
    );
    // Each review holds its product: the read-only link has no table in links.db.
    let mut reviews = open(&folder, "review");
    assert_eq!(review_products(&mut reviews), review_products_owned());
    let rev_3 = review::get(&mut reviews, &review::Review::id("rev_3")).unwrap();
    assert_eq!(rev_3.map(|review| review.rating), Some(2));

    let mut links = open(&folder, "links");
    assert_eq!(product_brand_rows(&mut links), owned(PRODUCT_BRANDS));
    assert_eq!(review_authors(&mut links).len(), 3);
}

#[test]
fn a_second_run_on_the_same_module_files_ends_in_the_same_state() {
    let folder = Folder::new("again");
    let (first, _) = run(&per_module(&folder));
    let brands_after_first = product_brand_rows(&mut open(&folder, "links"));

    // New handles on the same files, as a second process would have.
    let (second, out) = run(&per_module(&folder));
    assert!(second.link_tables_created.is_empty(), "{out}");
    assert_eq!(second.records_inserted, 0);
    assert!(matches!(
        second.refused,
        link_runtime::Error::Cardinality { .. }
    ));
    assert!(!second.taken_off);
    assert_eq!(second.products, first.products);
    assert_eq!(listed(&second.products), LISTED);

    let mut links = open(&folder, "links");
    assert_eq!(product_brand_rows(&mut links), brands_after_first);
    assert_eq!(
        review_products(&mut open(&folder, "review")),
        review_products_owned()
    );
    assert_eq!(
        product::list(&mut open(&folder, "product")).unwrap().len(),
        3
    );
    assert!(
        out.contains("records: 0 inserted, 10 already there"),
        "{out}"
    );
    assert!(
        out.contains("(0 new, 0 revived, 3 already linked)"),
        "{out}"
    );
    assert!(
        out.contains("link tables in sync: nothing to migrate"),
        "{out}"
    );
}

#[test]
fn the_binary_runs_twice_with_a_database_per_module() {
    let folder = Folder::new("binary");
    let apart = || commerce_with([OsStr::new("--per-module"), folder.0.as_os_str()]);
    let outputs = [apart(), apart()];

    // The folder was created, and the first run printed what a run on one database prints.
    assert_eq!(outputs[0], commerce_with::<&str>([]));
    assert!(
        outputs[0].contains("records: 10 inserted"),
        "{}",
        outputs[0]
    );
    assert!(outputs[1].contains("records: 0 inserted"), "{}", outputs[1]);
    let listing = |out: &str| out[out.find("\nproducts:\n").expect("a listing")..].to_owned();
    assert_eq!(listing(&outputs[0]), listing(&outputs[1]));
    assert_eq!(tables(&folder, "brand"), ["brand"]);

    // `links` runs on links.db, which the demo has synced.
    let plan = commerce_with([
        OsStr::new("--per-module"),
        folder.0.as_os_str(),
        OsStr::new("links"),
        OsStr::new("plan"),
    ]);
    assert_eq!(
        plan,
        "the database is in sync with the links: nothing to do\n"
    );

    let output = Command::new(env!("CARGO_BIN_EXE_commerce"))
        .args(["--database", "commerce.db", "--per-module"])
        .arg(&folder.0)
        .output()
        .expect("the binary starts");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("the argument '--database <PATH>' cannot be used with '--per-module <DIR>'"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_binary_checks_links_against_each_module_s_database() {
    let folder = Folder::new("check");
    let command = |args: &[&str]| {
        let mut all = vec![OsStr::new("--per-module"), folder.0.as_os_str()];
        all.extend(args.iter().map(OsStr::new));
        commerce_with(all)
    };
    command(&[]);
    let clean = command(&["links", "check"]);
    assert!(
        clean.ends_with("every live link points at live records\n"),
        "{clean}"
    );

    // The product module deletes a product of its own, in product.db; its links stay.
    diesel::sql_query("DELETE FROM product WHERE id = 'prod_2'")
        .execute(&mut open(&folder, "product"))
        .expect("the product is deleted");
    let found = command(&["links", "check"]);
    assert!(
        found.contains(
            "product_product_brand_brand: 3 live link(s), 1 to missing or deleted records\n"
        ),
        "{found}"
    );
    assert!(
        found.contains(": product prod_2 (missing) -> brand brand_1\n"),
        "{found}"
    );
    let pruned = command(&["links", "check", "--prune"]);
    assert!(
        pruned.contains("  pruned 1 link(s): soft-deleted\n"),
        "{pruned}"
    );
    let after = command(&["links", "check"]);
    assert!(
        after.ends_with("every live link points at live records\n"),
        "{after}"
    );
}
