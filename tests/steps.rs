//! Link steps with compensation: a unit of work whose later step fails undoes its link
//! steps and its own steps in reverse, in one database and across two, on both backends.

use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;

use diesel::{Connection, PgConnection, SqliteConnection};
use link_runtime::databases::{Database, Databases};
use link_runtime::service::{ListFilter, ModuleError};
use link_runtime::steps::Steps;
use link_runtime::{Created, Error, LinkConnection};
use link_test_support::TestSql;
use link_tests::links::{product_brand, product_tag};
use link_tests::modules::{brand::Brand, product::Product, tag::Tag};

/// Where the product module's records live, and where the links do: one database or two.
struct Place<C> {
    links: Database<C>,
    products: Database<C>,
}

impl<C: LinkConnection + TestSql + 'static> Place<C> {
    fn databases(&self) -> Databases<C> {
        let databases = Databases::new(&self.links).module("product", &self.products);
        databases
            .for_module("product")
            .unwrap()
            .batch_execute("CREATE TABLE IF NOT EXISTS products (id TEXT PRIMARY KEY NOT NULL)")
            .unwrap();
        databases.migrate().unwrap();
        databases
    }
}

/// A pivot row as the tests compare them: id, pair, label, featured, live.
type TagRow = (String, String, String, Option<String>, bool, bool);

fn tag_rows<C: LinkConnection>(databases: &Databases<C>) -> BTreeMap<(String, String), TagRow> {
    let mut conn = databases.for_link::<product_tag::Link>().unwrap();
    product_tag::Link::list(&mut *conn, &ListFilter::new().with_deleted())
        .unwrap()
        .into_iter()
        .map(|row| {
            let pair = (row.product_id.to_string(), row.tag_id.to_string());
            let seen = (
                row.id,
                pair.0.clone(),
                row.label,
                row.note,
                row.featured,
                row.deleted_at.is_none(),
            );
            (pair, seen)
        })
        .collect()
}

fn live_brands<C: LinkConnection>(databases: &Databases<C>) -> Vec<(String, String)> {
    let mut conn = databases.for_link::<product_brand::Link>().unwrap();
    let mut live: Vec<_> = product_brand::Link::list(&mut *conn, &ListFilter::new())
        .unwrap()
        .into_iter()
        .map(|row| (row.product_id.to_string(), row.brand_id.to_string()))
        .collect();
    live.sort();
    live
}

fn products<C: LinkConnection + TestSql>(databases: &Databases<C>) -> Vec<String> {
    databases
        .for_module("product")
        .unwrap()
        .texts("SELECT id FROM products ORDER BY id", &[])
}

/// The product module's own step: inserting a product, undone by deleting it.
fn insert_product<C: LinkConnection + TestSql>(
    steps: &mut Steps<'_, C>,
    id: &'static str,
) -> Result<(), ModuleError> {
    steps
        .databases()
        .for_module("product")?
        .exec("INSERT INTO products (id) VALUES (?)", &[id]);
    steps.on_undo(format!("insert product {id}"), move |databases| {
        databases
            .for_module("product")?
            .exec("DELETE FROM products WHERE id = ?", &[id]);
        Ok(())
    });
    Ok(())
}

fn columns(label: &str, featured: bool) -> product_tag::Columns {
    product_tag::Columns {
        label: label.to_owned(),
        featured,
        ..product_tag::Columns::default()
    }
}

/// A product is created and linked to a brand; a tag link is dismissed, a dismissed one
/// revived with new values, a live one given new values, a new one created; then a step
/// fails. Everything is as it was, down to the rows' ids and extra column values.
fn a_failed_step_undoes_every_step_before_it_in_reverse<C>(place: Place<C>)
where
    C: LinkConnection + TestSql + 'static,
{
    let databases = place.databases();
    {
        let mut conn = databases.for_link::<product_tag::Link>().unwrap();
        for (tag, label) in [("tag_1", "kept"), ("tag_2", "old"), ("tag_4", "live")] {
            product_tag::Link::create_with(
                &mut *conn,
                Product::id("prod_1"),
                Tag::id(tag),
                columns(label, true),
            )
            .unwrap();
        }
        product_tag::Link::dismiss(&mut *conn, Product::id("prod_1"), Tag::id("tag_2")).unwrap();
    }
    let tags_before = tag_rows(&databases);

    let failed = Steps::run(&databases, |steps| {
        insert_product(steps, "prod_9")?;
        let created =
            steps.create::<product_brand::Link>(Product::id("prod_9"), Brand::id("brand_1"))?;
        assert_eq!(created, Created::Inserted);
        assert!(steps.dismiss::<product_tag::Link>(Product::id("prod_1"), Tag::id("tag_1"))?);
        let revived = steps.create_with::<product_tag::Link>(
            Product::id("prod_1"),
            Tag::id("tag_2"),
            columns("new", false),
        )?;
        assert_eq!(revived, Created::Updated);
        steps.create_many_with::<product_tag::Link>(&[
            (
                Product::id("prod_1"),
                Tag::id("tag_3"),
                columns("new", false),
            ),
            (
                Product::id("prod_1"),
                Tag::id("tag_4"),
                columns("changed", false),
            ),
        ])?;
        // Nothing to undo: the pair is live already.
        steps.create::<product_tag::Link>(Product::id("prod_1"), Tag::id("tag_4"))?;
        assert_eq!(steps.len(), 5);

        // Midway, everything is written.
        assert_eq!(products(steps.databases()), ["prod_9"]);
        assert_eq!(
            live_brands(steps.databases()),
            [("prod_9".to_owned(), "brand_1".to_owned())]
        );
        Err::<(), ModuleError>("payment refused".into())
    })
    .unwrap_err();

    assert_eq!(failed.error.to_string(), "payment refused");
    assert!(failed.compensation.is_complete(), "{failed}");
    assert_eq!(
        failed.compensation.undone,
        [
            "create 2 pairs of product_tags",
            "create product_tags (prod_1, tag_2)",
            "dismiss product_tags (prod_1, tag_1)",
            "create product_product_brand_brand (prod_9, brand_1)",
            "insert product prod_9",
        ]
    );
    assert_eq!(
        failed.to_string(),
        "a step failed; the 5 steps before it were undone"
    );

    assert!(products(&databases).is_empty());
    assert!(live_brands(&databases).is_empty());
    let mut tags_after = tag_rows(&databases);
    // The one new pair is dismissed; every other row is as it was, with its id.
    let new = tags_after
        .remove(&("prod_1".to_owned(), "tag_3".to_owned()))
        .unwrap();
    assert!(!new.5, "the new pair is dismissed");
    assert_eq!(tags_after, tags_before);
}

/// A unit of work that succeeds keeps its steps; one that panics is undone, and the
/// panic goes on.
fn success_keeps_and_a_panic_undoes<C>(place: Place<C>)
where
    C: LinkConnection + TestSql + 'static,
{
    let databases = place.databases();
    Steps::run(&databases, |steps| {
        insert_product(steps, "prod_1")?;
        steps.create::<product_brand::Link>(Product::id("prod_1"), Brand::id("brand_1"))?;
        Ok::<_, ModuleError>(())
    })
    .unwrap();
    assert_eq!(products(&databases), ["prod_1"]);

    let panicked = panic::catch_unwind(AssertUnwindSafe(|| {
        let _ = Steps::run(&databases, |steps| {
            insert_product(steps, "prod_2")?;
            steps.create::<product_brand::Link>(Product::id("prod_2"), Brand::id("brand_1"))?;
            steps.dismiss::<product_brand::Link>(Product::id("prod_1"), Brand::id("brand_1"))?;
            panic!("a bug in a later step");
            #[allow(unreachable_code)]
            Ok::<_, ModuleError>(())
        });
    }));
    assert!(panicked.is_err());
    assert_eq!(products(&databases), ["prod_1"]);
    assert_eq!(
        live_brands(&databases),
        [("prod_1".to_owned(), "brand_1".to_owned())]
    );
}

/// An undo that cannot run (the record found another partner meanwhile) is reported, and
/// the other undos still run.
fn an_undo_that_fails_is_reported_and_the_others_run<C>(place: Place<C>)
where
    C: LinkConnection + TestSql + 'static,
{
    let databases = place.databases();
    {
        let mut conn = databases.for_link::<product_brand::Link>().unwrap();
        product_brand::Link::create(&mut *conn, Product::id("prod_1"), Brand::id("brand_1"))
            .unwrap();
    }
    let failed = Steps::run(&databases, |steps| {
        insert_product(steps, "prod_1")?;
        steps.dismiss::<product_brand::Link>(Product::id("prod_1"), Brand::id("brand_1"))?;
        // Another client gives the product a brand: a product has one brand.
        let mut other = steps.databases().for_link::<product_brand::Link>()?;
        product_brand::Link::create(&mut *other, Product::id("prod_1"), Brand::id("brand_2"))?;
        Err::<(), ModuleError>("refused".into())
    })
    .unwrap_err();

    assert_eq!(failed.compensation.undone, ["insert product prod_1"]);
    let [failure] = &failed.compensation.failures[..] else {
        panic!("one failure: {failed:?}");
    };
    assert_eq!(
        failure.step,
        "dismiss product_product_brand_brand (prod_1, brand_1)"
    );
    let error = failure.error.downcast_ref::<Error>().unwrap();
    assert!(
        matches!(error, Error::Cardinality { partner, refused, .. } if partner == "brand_2" && refused == "brand_1"),
        "{error}"
    );
    assert_eq!(
        failed.to_string(),
        "a step failed; 1 of the 2 steps before it could not be undone: \
         `dismiss product_product_brand_brand (prod_1, brand_1)` (link \
         `product_product_brand_brand` allows one brand per product, and product `prod_1` \
         is already linked to brand `brand_2` (refused: brand `brand_1`))"
    );
    assert!(products(&databases).is_empty());
}

fn sqlite_place(test: &str, apart: bool) -> (Place<SqliteConnection>, PathBuf) {
    let dir = std::env::temp_dir().join(format!("link-steps-{test}-{}", ulid()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = |name: &str| {
        let path = dir
            .join(format!("{name}.db"))
            .to_string_lossy()
            .into_owned();
        Database::connect(name, move || SqliteConnection::establish(&path))
    };
    let links = file("links");
    let products = if apart {
        file("products")
    } else {
        links.clone()
    };
    (Place { links, products }, dir)
}

fn postgres_place(
    test: &str,
    apart: bool,
) -> Option<(Place<PgConnection>, Vec<link_test_support::PgDatabase>)> {
    let count = if apart { 2 } else { 1 };
    let created: Vec<_> = (0..count)
        .map(|_| link_test_support::postgres_database(test))
        .collect::<Option<_>>()?;
    let pool = |name: &str, database: &link_test_support::PgDatabase| {
        let manager = diesel::r2d2::ConnectionManager::<PgConnection>::new(database.url());
        let pool = diesel::r2d2::Pool::builder()
            .max_size(3)
            .build(manager)
            .expect("the pool connects");
        Database::pool(name, pool)
    };
    let links = pool("links", &created[0]);
    let products = if apart {
        pool("products", &created[1])
    } else {
        links.clone()
    };
    Some((Place { links, products }, created))
}

fn ulid() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

macro_rules! on_every_backend {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[test]
                fn $scenario() {
                    for apart in [false, true] {
                        let (place, dir) = sqlite_place(stringify!($scenario), apart);
                        super::$scenario(place);
                        std::fs::remove_dir_all(dir).unwrap();
                    }
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[test]
                fn $scenario() {
                    for apart in [false, true] {
                        let Some((place, _databases)) = postgres_place(stringify!($scenario), apart)
                        else {
                            return;
                        };
                        super::$scenario(place);
                    }
                }
            )*
        }
    };
}

on_every_backend! {
    a_failed_step_undoes_every_step_before_it_in_reverse,
    success_keeps_and_a_panic_undoes,
    an_undo_that_fails_is_reported_and_the_others_run,
}
