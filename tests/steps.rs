//! Link steps with compensation: a unit of work whose later step fails undoes its link
//! steps and its own steps in reverse, in one database and across two, on both backends,
//! through both drivers.

use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;

use diesel::{PgConnection, SqliteConnection};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};
use link_runtime::aio::{self, AsyncLinkConnection};
use link_runtime::databases::{Database, Databases};
use link_runtime::service::{ListFilter, ModuleError};
use link_runtime::steps::{Failed, Steps};
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

/// The batch of the first scenario: a new tag link, and new values for a live one.
fn new_and_changed_tags() -> [link_runtime::service::PairWith<product_tag::Link>; 2] {
    [
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
    ]
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
    let tags_before = tag_links_before(&databases);

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
        steps.create_many_with::<product_tag::Link>(&new_and_changed_tags())?;
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

    check_undone_in_reverse(&failed, &databases, tags_before);
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
    check_kept_and_undone(&databases);
}

/// An undo that cannot run (the record found another partner meanwhile) is reported, and
/// the other undos still run.
fn an_undo_that_fails_is_reported_and_the_others_run<C>(place: Place<C>)
where
    C: LinkConnection + TestSql + 'static,
{
    let databases = place.databases();
    brand_link_before(&databases);
    let failed = Steps::run(&databases, |steps| {
        insert_product(steps, "prod_1")?;
        steps.dismiss::<product_brand::Link>(Product::id("prod_1"), Brand::id("brand_1"))?;
        // Another client gives the product a brand: a product has one brand.
        let mut other = steps.databases().for_link::<product_brand::Link>()?;
        product_brand::Link::create(&mut *other, Product::id("prod_1"), Brand::id("brand_2"))?;
        Err::<(), ModuleError>("refused".into())
    })
    .unwrap_err();

    check_undo_failure_reported(&failed, &databases);
}

/// A live tag link's values are updated, an update of a pair that is not linked is refused
/// and recorded nothing, the product's links are deleted; then a step fails. The deleted
/// links are live again and the updated one has its old values.
fn an_update_and_a_delete_are_undone<C>(place: Place<C>)
where
    C: LinkConnection + TestSql + 'static,
{
    let databases = place.databases();
    let before = update_and_delete_before(&databases);
    let modules = link_runtime::service::Modules::new();
    let failed = Steps::run(&databases, |steps| {
        steps.update::<product_tag::Link>(
            Product::id("prod_1"),
            Tag::id("tag_1"),
            columns("changed", false),
        )?;
        let refused = steps
            .update::<product_tag::Link>(
                Product::id("prod_1"),
                Tag::id("tag_9"),
                columns("nowhere", false),
            )
            .unwrap_err();
        check_link_not_found(&refused);
        assert_eq!(steps.len(), 1, "a refused update records nothing");
        check_updated(steps.databases());

        let deletion = steps.delete(&modules, &[Product::id("prod_1")])?;
        assert_eq!(deletion.link_count(), 2);
        assert!(live_brands(steps.databases()).is_empty());
        Err::<(), ModuleError>("payment refused".into())
    })
    .unwrap_err();

    check_update_and_delete_undone(&failed, &databases, before);
}

/// prod_1's links that the update-and-delete scenario changes: a brand, and a tag whose
/// label is "kept". Returns the tag rows as they are before the steps.
fn update_and_delete_before<C: LinkConnection + 'static>(
    databases: &Databases<C>,
) -> BTreeMap<(String, String), TagRow> {
    brand_link_before(databases);
    let mut conn = databases.for_link::<product_tag::Link>().unwrap();
    product_tag::Link::create_with(
        &mut *conn,
        Product::id("prod_1"),
        Tag::id("tag_1"),
        columns("kept", true),
    )
    .unwrap();
    drop(conn);
    tag_rows(databases)
}

/// An update of a pair that is not linked: `LinkNotFound`, naming the pair.
fn check_link_not_found(error: &Error) {
    assert_eq!(error.kind(), link_runtime::ErrorKind::NotFound);
    assert!(
        matches!(error, Error::LinkNotFound { link: "product_tags", missing, .. }
            if missing == &[("prod_1".to_owned(), "tag_9".to_owned())]),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "link `product_tags` has no live link between product `prod_1` and tag `tag_9`"
    );
}

/// Midway through the update-and-delete scenario: the tag link holds the new values.
fn check_updated<C: LinkConnection + 'static>(databases: &Databases<C>) {
    let rows = tag_rows(databases);
    let row = &rows[&("prod_1".to_owned(), "tag_1".to_owned())];
    assert_eq!((row.2.as_str(), row.4, row.5), ("changed", false, true));
    assert!(!rows.contains_key(&("prod_1".to_owned(), "tag_9".to_owned())));
}

/// After the update-and-delete scenario: the delete undone, then the update.
fn check_update_and_delete_undone<C: LinkConnection + TestSql + 'static>(
    failed: &Failed<ModuleError>,
    databases: &Databases<C>,
    tags_before: BTreeMap<(String, String), TagRow>,
) {
    assert!(failed.compensation.is_complete(), "{failed}");
    assert_eq!(
        failed.compensation.undone,
        [
            "delete product (prod_1)",
            "update product_tags (prod_1, tag_1)"
        ]
    );
    assert_eq!(
        live_brands(databases),
        [("prod_1".to_owned(), "brand_1".to_owned())]
    );
    assert_eq!(tag_rows(databases), tags_before);
}

/// Three tag links of prod_1, one dismissed: what the first scenario's steps change.
/// Returns the rows as they are before the steps.
fn tag_links_before<C: LinkConnection + 'static>(
    databases: &Databases<C>,
) -> BTreeMap<(String, String), TagRow> {
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
    tag_rows(databases)
}

/// After the first scenario: every step undone, last first, and every row as it was.
fn check_undone_in_reverse<C: LinkConnection + TestSql + 'static>(
    failed: &Failed<ModuleError>,
    databases: &Databases<C>,
    tags_before: BTreeMap<(String, String), TagRow>,
) {
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

    assert!(products(databases).is_empty());
    assert!(live_brands(databases).is_empty());
    let mut tags_after = tag_rows(databases);
    // The one new pair is dismissed; every other row is as it was, with its id.
    let new = tags_after
        .remove(&("prod_1".to_owned(), "tag_3".to_owned()))
        .unwrap();
    assert!(!new.5, "the new pair is dismissed");
    assert_eq!(tags_after, tags_before);
}

/// The product's brand link that the third scenario dismisses.
fn brand_link_before<C: LinkConnection + 'static>(databases: &Databases<C>) {
    let mut conn = databases.for_link::<product_brand::Link>().unwrap();
    product_brand::Link::create(&mut *conn, Product::id("prod_1"), Brand::id("brand_1")).unwrap();
}

/// After the third scenario: the undo that met another partner is reported, the other ran.
fn check_undo_failure_reported<C: LinkConnection + TestSql + 'static>(
    failed: &Failed<ModuleError>,
    databases: &Databases<C>,
) {
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
    assert!(products(databases).is_empty());
}

/// After the second scenario: what succeeded is kept, what panicked is undone.
fn check_kept_and_undone<C: LinkConnection + TestSql + 'static>(databases: &Databases<C>) {
    assert_eq!(products(databases), ["prod_1"]);
    assert_eq!(
        live_brands(databases),
        [("prod_1".to_owned(), "brand_1".to_owned())]
    );
}

/// The URLs of the links' database and the product module's: the same one, or two.
struct Urls {
    links: String,
    products: String,
}

impl Urls {
    /// The databases as the blocking driver reaches them.
    fn blocking<C: LinkConnection + 'static>(&self) -> Place<C> {
        let database = |name: &str, url: &str| {
            let url = url.to_owned();
            Database::connect(name, move || C::establish(&url))
        };
        let links = database("links", &self.links);
        let products = if self.products == self.links {
            links.clone()
        } else {
            database("products", &self.products)
        };
        Place { links, products }
    }

    /// The databases as the async driver reaches them.
    fn aio<C: AsyncLinkConnection + Sync + 'static>(&self) -> (aio::Database<C>, aio::Database<C>) {
        let links = aio::Database::<C>::connect("links", self.links.as_str());
        let products = if self.products == self.links {
            links.clone()
        } else {
            aio::Database::<C>::connect("products", self.products.as_str())
        };
        (links, products)
    }
}

/// SQLite files in a fresh folder, removed with the value.
struct SqliteFiles {
    dir: PathBuf,
    urls: Urls,
}

impl Drop for SqliteFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn sqlite_files(test: &str, apart: bool) -> SqliteFiles {
    let dir = std::env::temp_dir().join(format!("link-steps-{test}-{}", ulid()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = |name: &str| {
        dir.join(format!("{name}.db"))
            .to_string_lossy()
            .into_owned()
    };
    let links = file("links");
    let products = if apart {
        file("products")
    } else {
        links.clone()
    };
    SqliteFiles {
        urls: Urls { links, products },
        dir,
    }
}

fn sqlite_place(test: &str, apart: bool) -> (Place<SqliteConnection>, SqliteFiles) {
    let files = sqlite_files(test, apart);
    (files.urls.blocking(), files)
}

/// Fresh PostgreSQL databases, dropped with the value.
struct PostgresDatabases {
    _created: Vec<link_test_support::PgDatabase>,
    urls: Urls,
}

fn postgres_databases(test: &str, apart: bool) -> Option<PostgresDatabases> {
    let count = if apart { 2 } else { 1 };
    let created: Vec<_> = (0..count)
        .map(|_| link_test_support::postgres_database(test))
        .collect::<Option<_>>()?;
    let urls = Urls {
        links: created[0].url().to_owned(),
        products: created[created.len() - 1].url().to_owned(),
    };
    Some(PostgresDatabases {
        _created: created,
        urls,
    })
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
                        let (place, _files) = sqlite_place(stringify!($scenario), apart);
                        super::$scenario(place);
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
    an_update_and_a_delete_are_undone,
}

/// The same scenarios on the async driver: `aio::Steps` on `aio::Databases`. What the
/// steps leave is read through the blocking driver on the same databases.
mod async_driver {
    use super::*;

    type AsyncSqlite = SyncConnectionWrapper<SqliteConnection>;

    /// The product module's own step, on the async driver.
    async fn insert_product<C>(
        steps: &mut aio::Steps<'_, C>,
        id: &'static str,
    ) -> Result<(), ModuleError>
    where
        C: AsyncLinkConnection + SimpleAsyncConnection + Sync + 'static,
    {
        let mut conn = steps.databases().for_module("product").await?;
        conn.batch_execute(&format!("INSERT INTO products (id) VALUES ('{id}')"))
            .await?;
        drop(conn);
        steps.on_undo(
            format!("insert product {id}"),
            move |databases| async move {
                let mut conn = databases.for_module("product").await?;
                conn.batch_execute(&format!("DELETE FROM products WHERE id = '{id}'"))
                    .await?;
                Ok(())
            },
        );
        Ok(())
    }

    async fn a_failed_step_undoes_every_step_before_it_in_reverse<C, B>(urls: &Urls)
    where
        C: AsyncLinkConnection + SimpleAsyncConnection + Sync + 'static,
        B: LinkConnection + TestSql + 'static,
    {
        let place = urls.blocking::<B>();
        let blocking = place.databases();
        let tags_before = tag_links_before(&blocking);

        let (links, products_db) = urls.aio::<C>();
        let databases = aio::Databases::new(&links).module("product", &products_db);
        let failed = aio::Steps::run(&databases, async |steps| {
            insert_product(steps, "prod_9").await?;
            let created = steps
                .create::<product_brand::Link>(Product::id("prod_9"), Brand::id("brand_1"))
                .await?;
            assert_eq!(created, Created::Inserted);
            assert!(
                steps
                    .dismiss::<product_tag::Link>(Product::id("prod_1"), Tag::id("tag_1"))
                    .await?
            );
            let revived = steps
                .create_with::<product_tag::Link>(
                    Product::id("prod_1"),
                    Tag::id("tag_2"),
                    columns("new", false),
                )
                .await?;
            assert_eq!(revived, Created::Updated);
            steps
                .create_many_with::<product_tag::Link>(&new_and_changed_tags())
                .await?;
            steps
                .create::<product_tag::Link>(Product::id("prod_1"), Tag::id("tag_4"))
                .await?;
            assert_eq!(steps.len(), 5);
            Err::<(), ModuleError>("payment refused".into())
        })
        .await
        .unwrap_err();

        check_undone_in_reverse(&failed, &blocking, tags_before);
    }

    async fn success_keeps_and_a_panic_undoes<C, B>(urls: &Urls)
    where
        C: AsyncLinkConnection + SimpleAsyncConnection + Sync + 'static,
        B: LinkConnection + TestSql + 'static,
    {
        let place = urls.blocking::<B>();
        let blocking = place.databases();
        let (links, products_db) = urls.aio::<C>();
        let databases = aio::Databases::new(&links).module("product", &products_db);
        aio::Steps::run(&databases, async |steps| {
            insert_product(steps, "prod_1").await?;
            steps
                .create::<product_brand::Link>(Product::id("prod_1"), Brand::id("brand_1"))
                .await?;
            Ok::<_, ModuleError>(())
        })
        .await
        .unwrap();
        assert_eq!(products(&blocking), ["prod_1"]);

        let panicked = CatchUnwind(Box::pin(aio::Steps::run(&databases, async |steps| {
            insert_product(steps, "prod_2").await?;
            steps
                .create::<product_brand::Link>(Product::id("prod_2"), Brand::id("brand_1"))
                .await?;
            steps
                .dismiss::<product_brand::Link>(Product::id("prod_1"), Brand::id("brand_1"))
                .await?;
            if steps.len() == 3 {
                panic!("a bug in a later step");
            }
            Ok::<_, ModuleError>(())
        })))
        .await;
        assert!(panicked.is_err(), "the panic goes on");
        check_kept_and_undone(&blocking);
    }

    async fn an_undo_that_fails_is_reported_and_the_others_run<C, B>(urls: &Urls)
    where
        C: AsyncLinkConnection + SimpleAsyncConnection + Sync + 'static,
        B: LinkConnection + TestSql + 'static,
    {
        let place = urls.blocking::<B>();
        let blocking = place.databases();
        brand_link_before(&blocking);
        let (links, products_db) = urls.aio::<C>();
        let databases = aio::Databases::new(&links).module("product", &products_db);
        let failed = aio::Steps::run(&databases, async |steps| {
            insert_product(steps, "prod_1").await?;
            steps
                .dismiss::<product_brand::Link>(Product::id("prod_1"), Brand::id("brand_1"))
                .await?;
            let mut other = steps.databases().for_link::<product_brand::Link>().await?;
            aio::create(&mut *other, Product::id("prod_1"), Brand::id("brand_2")).await?;
            Err::<(), ModuleError>("refused".into())
        })
        .await
        .unwrap_err();

        check_undo_failure_reported(&failed, &blocking);
    }

    async fn an_update_and_a_delete_are_undone<C, B>(urls: &Urls)
    where
        C: AsyncLinkConnection + SimpleAsyncConnection + Sync + 'static,
        B: LinkConnection + TestSql + 'static,
    {
        let place = urls.blocking::<B>();
        let blocking = place.databases();
        let before = update_and_delete_before(&blocking);
        let (links, products_db) = urls.aio::<C>();
        let databases = aio::Databases::new(&links).module("product", &products_db);
        let modules = aio::Modules::new();
        let failed = aio::Steps::run(&databases, async |steps| {
            steps
                .update::<product_tag::Link>(
                    Product::id("prod_1"),
                    Tag::id("tag_1"),
                    columns("changed", false),
                )
                .await?;
            let refused = steps
                .update::<product_tag::Link>(
                    Product::id("prod_1"),
                    Tag::id("tag_9"),
                    columns("nowhere", false),
                )
                .await
                .unwrap_err();
            check_link_not_found(&refused);
            assert_eq!(steps.len(), 1, "a refused update records nothing");
            let deletion = steps.delete(&modules, &[Product::id("prod_1")]).await?;
            assert_eq!(deletion.link_count(), 2);
            Err::<(), ModuleError>("payment refused".into())
        })
        .await
        .unwrap_err();

        check_update_and_delete_undone(&failed, &blocking, before);
    }

    /// A future's output, or its panic.
    struct CatchUnwind<F>(std::pin::Pin<Box<F>>);

    impl<F: std::future::Future> std::future::Future for CatchUnwind<F> {
        type Output = std::thread::Result<F::Output>;

        fn poll(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Self::Output> {
            let inner = self.0.as_mut();
            match panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
                Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
                Ok(std::task::Poll::Ready(output)) => std::task::Poll::Ready(Ok(output)),
                Err(panic) => std::task::Poll::Ready(Err(panic)),
            }
        }
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    }

    macro_rules! on_every_backend {
        ($($scenario:ident),* $(,)?) => {
            mod sqlite {
                use super::*;
                $(
                    #[test]
                    fn $scenario() {
                        for apart in [false, true] {
                            let files = sqlite_files(stringify!($scenario), apart);
                            // The blocking driver makes the tables the async one writes.
                            drop(files.urls.blocking::<SqliteConnection>().databases());
                            runtime().block_on(
                                super::$scenario::<AsyncSqlite, SqliteConnection>(&files.urls),
                            );
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
                            let Some(databases) = postgres_databases(stringify!($scenario), apart)
                            else {
                                return;
                            };
                            drop(databases.urls.blocking::<PgConnection>().databases());
                            // Spawned: the unit of work's future is Send.
                            runtime().block_on(async {
                                let urls = std::sync::Arc::new(databases.urls);
                                tokio::spawn(async move {
                                    super::$scenario::<AsyncPgConnection, PgConnection>(&urls).await
                                })
                                .await
                                .unwrap()
                            });
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
        an_update_and_a_delete_are_undone,
    }
}
