//! One set of scenarios, run through both drivers on both backends: the blocking API on
//! `SqliteConnection` and `PgConnection`, and `link_runtime::aio` on diesel-async's
//! `SyncConnectionWrapper<SqliteConnection>` and `AsyncPgConnection`.
//!
//! Each scenario is written once against [`Driver`], whose two implementations call the
//! blocking functions and the `aio` ones. The outcomes must be the same: what a write
//! returns, the errors it refuses with, the rows it leaves, what a graph query reads.
//!
//! The blocking API takes any diesel connection of either backend, so the scenarios also
//! run on two connections that are neither `SqliteConnection` nor `PgConnection`:
//! diesel-async's `AsyncConnectionWrapper<AsyncPgConnection>`, and [`Counting`], a wrapper
//! of a user's own that counts the statements it runs.

use diesel::connection::SimpleConnection;
use diesel::SqliteConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use link_runtime::aio::{self, AsyncLinkConnection};
use link_runtime::graph::{Condition, Graph, GraphResult, GraphSelect, Order, Query};
use link_runtime::migrate::{Applied, Plan};
use link_runtime::service::{self, Deletion, Integrity, ListFilter, PairWith};
use link_runtime::{
    Created, Error, Id, LinkConnection, Linkable, LinkedFrom, Result, WritableLink,
};
use link_tests::links::{product_brand, product_supplier, product_tag};
use link_tests::modules::brand::Brand;
use link_tests::modules::supplier::Supplier;
use link_tests::modules::{product::Product, tag::Tag};
use serde::Deserialize;
use serde_json::{json, Value};

/// What the scenarios ask of a driver: the runtime's operations, each as the driver offers
/// it, and raw SQL for the modules' own tables.
trait Driver {
    /// Runs statements of the modules' own (no parameters, `;`-separated).
    async fn sql(&mut self, sql: &str);
    async fn migrate(&mut self) -> Result<Applied>;
    async fn plan(&mut self) -> Result<Plan>;
    async fn apply(&mut self, plan: &Plan) -> Result<Applied>;
    async fn create<A, B, L>(&mut self, left: Id<A>, right: Id<B>) -> Result<Created>
    where
        A: Linkable,
        B: LinkedFrom<A, L>,
        L: WritableLink<Left = A, Right = B>;
    async fn create_many<A, B, L>(&mut self, pairs: &[(Id<A>, Id<B>)]) -> Result<Vec<Created>>
    where
        A: Linkable,
        B: LinkedFrom<A, L>,
        L: WritableLink<Left = A, Right = B>;
    async fn create_many_with<L: WritableLink>(
        &mut self,
        rows: &[PairWith<L>],
    ) -> Result<Vec<Created>>;
    async fn dismiss<A, B, L>(&mut self, left: Id<A>, right: Id<B>) -> Result<bool>
    where
        A: Linkable,
        B: LinkedFrom<A, L>,
        L: WritableLink<Left = A, Right = B>;
    async fn dismiss_many<A, B, L>(&mut self, pairs: &[(Id<A>, Id<B>)]) -> Result<usize>
    where
        A: Linkable,
        B: LinkedFrom<A, L>,
        L: WritableLink<Left = A, Right = B>;
    async fn list<L: WritableLink>(&mut self, filter: &ListFilter<L>) -> Result<Vec<L::Row>>;
    /// Deletes the links of products, cascading into the supplier module.
    async fn delete_products(&mut self, ids: &[Id<Product>]) -> Result<Deletion>;
    async fn restore(&mut self, deletion: &Deletion) -> Result<usize>;
    async fn graph(&mut self, graph: Graph) -> Result<GraphResult<Value>>;
    async fn typed<S: GraphSelect>(&mut self) -> Result<GraphResult<S>>;
    async fn check(&mut self, prune: bool) -> Result<Integrity>;
}

/// The blocking driver, on a diesel connection.
struct Blocking<C>(C);

impl<C> Driver for Blocking<C>
where
    C: LinkConnection + SimpleConnection,
    Supplier: service::SoftDelete<C>,
{
    async fn sql(&mut self, sql: &str) {
        self.0.batch_execute(sql).expect("the modules' SQL runs");
    }

    async fn migrate(&mut self) -> Result<Applied> {
        link_runtime::migrate(&mut self.0)
    }

    async fn plan(&mut self) -> Result<Plan> {
        link_runtime::migrate::plan(&mut self.0)
    }

    async fn apply(&mut self, plan: &Plan) -> Result<Applied> {
        link_runtime::migrate::apply(&mut self.0, plan, false)
    }

    async fn create<A, B, L>(&mut self, left: Id<A>, right: Id<B>) -> Result<Created>
    where
        A: Linkable,
        B: LinkedFrom<A, L>,
        L: WritableLink<Left = A, Right = B>,
    {
        link_runtime::create(&mut self.0, left, right)
    }

    async fn create_many<A, B, L>(&mut self, pairs: &[(Id<A>, Id<B>)]) -> Result<Vec<Created>>
    where
        A: Linkable,
        B: LinkedFrom<A, L>,
        L: WritableLink<Left = A, Right = B>,
    {
        service::create_many::<L, C>(&mut self.0, pairs)
    }

    async fn create_many_with<L: WritableLink>(
        &mut self,
        rows: &[PairWith<L>],
    ) -> Result<Vec<Created>> {
        service::create_many_with::<L, C>(&mut self.0, rows)
    }

    async fn dismiss<A, B, L>(&mut self, left: Id<A>, right: Id<B>) -> Result<bool>
    where
        A: Linkable,
        B: LinkedFrom<A, L>,
        L: WritableLink<Left = A, Right = B>,
    {
        link_runtime::dismiss(&mut self.0, left, right)
    }

    async fn dismiss_many<A, B, L>(&mut self, pairs: &[(Id<A>, Id<B>)]) -> Result<usize>
    where
        A: Linkable,
        B: LinkedFrom<A, L>,
        L: WritableLink<Left = A, Right = B>,
    {
        service::dismiss_many::<L, C>(&mut self.0, pairs)
    }

    async fn list<L: WritableLink>(&mut self, filter: &ListFilter<L>) -> Result<Vec<L::Row>> {
        service::list(&mut self.0, filter)
    }

    async fn delete_products(&mut self, ids: &[Id<Product>]) -> Result<Deletion> {
        let modules = service::Modules::new().with::<Supplier>();
        link_runtime::delete(&mut self.0, &modules, ids)
    }

    async fn restore(&mut self, deletion: &Deletion) -> Result<usize> {
        let modules = service::Modules::new().with::<Supplier>();
        link_runtime::restore(&mut self.0, &modules, deletion)
    }

    async fn graph(&mut self, graph: Graph) -> Result<GraphResult<Value>> {
        Query::new(&mut self.0).graph(graph)
    }

    async fn typed<S: GraphSelect>(&mut self) -> Result<GraphResult<S>> {
        Query::new(&mut self.0).graph(S::graph())
    }

    async fn check(&mut self, prune: bool) -> Result<Integrity> {
        service::check(&mut self.0, prune)
    }
}

/// The async driver, on a diesel-async connection.
struct Async<C>(C);

impl<C> Driver for Async<C>
where
    C: AsyncLinkConnection + SimpleAsyncConnection,
    Supplier: aio::SoftDelete<C>,
{
    async fn sql(&mut self, sql: &str) {
        self.0
            .batch_execute(sql)
            .await
            .expect("the modules' SQL runs");
    }

    async fn migrate(&mut self) -> Result<Applied> {
        aio::migrate(&mut self.0).await
    }

    async fn plan(&mut self) -> Result<Plan> {
        aio::plan(&mut self.0).await
    }

    async fn apply(&mut self, plan: &Plan) -> Result<Applied> {
        aio::apply(&mut self.0, plan, false).await
    }

    async fn create<A, B, L>(&mut self, left: Id<A>, right: Id<B>) -> Result<Created>
    where
        A: Linkable,
        B: LinkedFrom<A, L>,
        L: WritableLink<Left = A, Right = B>,
    {
        aio::create(&mut self.0, left, right).await
    }

    async fn create_many<A, B, L>(&mut self, pairs: &[(Id<A>, Id<B>)]) -> Result<Vec<Created>>
    where
        A: Linkable,
        B: LinkedFrom<A, L>,
        L: WritableLink<Left = A, Right = B>,
    {
        aio::create_many(&mut self.0, pairs).await
    }

    async fn create_many_with<L: WritableLink>(
        &mut self,
        rows: &[PairWith<L>],
    ) -> Result<Vec<Created>> {
        aio::create_many_with::<C, L>(&mut self.0, rows).await
    }

    async fn dismiss<A, B, L>(&mut self, left: Id<A>, right: Id<B>) -> Result<bool>
    where
        A: Linkable,
        B: LinkedFrom<A, L>,
        L: WritableLink<Left = A, Right = B>,
    {
        aio::dismiss(&mut self.0, left, right).await
    }

    async fn dismiss_many<A, B, L>(&mut self, pairs: &[(Id<A>, Id<B>)]) -> Result<usize>
    where
        A: Linkable,
        B: LinkedFrom<A, L>,
        L: WritableLink<Left = A, Right = B>,
    {
        aio::dismiss_many(&mut self.0, pairs).await
    }

    async fn list<L: WritableLink>(&mut self, filter: &ListFilter<L>) -> Result<Vec<L::Row>> {
        aio::list(&mut self.0, filter).await
    }

    async fn delete_products(&mut self, ids: &[Id<Product>]) -> Result<Deletion> {
        let modules = aio::Modules::new().with::<Supplier>();
        aio::delete(&mut self.0, &modules, ids).await
    }

    async fn restore(&mut self, deletion: &Deletion) -> Result<usize> {
        let modules = aio::Modules::new().with::<Supplier>();
        aio::restore(&mut self.0, &modules, deletion).await
    }

    async fn graph(&mut self, graph: Graph) -> Result<GraphResult<Value>> {
        aio::Query::new(&mut self.0).graph(graph).await
    }

    async fn typed<S: GraphSelect>(&mut self) -> Result<GraphResult<S>> {
        aio::Query::new(&mut self.0).graph(S::graph()).await
    }

    async fn check(&mut self, prune: bool) -> Result<Integrity> {
        aio::check(&mut self.0, prune).await
    }
}

/// The modules' tables and a small catalog: two brands, three products, two suppliers.
async fn catalog(d: &mut impl Driver) {
    d.migrate().await.expect("link tables are created");
    d.sql(
        "CREATE TABLE products (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
         CREATE TABLE brands (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
         CREATE TABLE supplier (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, deleted_at TIMESTAMP);
         INSERT INTO products VALUES ('prod_1', 'Kettle'), ('prod_2', 'Teapot'), ('prod_3', 'Toaster');
         INSERT INTO brands VALUES ('brand_1', 'Acme'), ('brand_2', 'Birch');
         INSERT INTO supplier (id, name) VALUES ('sup_a', 'Alder'), ('sup_b', 'Beech');",
    )
    .await;
}

fn brand_rows(rows: Vec<product_brand::Row>) -> Vec<(String, String, bool)> {
    let mut rows: Vec<_> = rows
        .into_iter()
        .map(|row| {
            (
                row.product_id.into_inner(),
                row.brand_id.into_inner(),
                row.deleted_at.is_none(),
            )
        })
        .collect();
    rows.sort();
    rows
}

async fn writes_report_what_they_did_and_refuse_a_second_partner(d: &mut impl Driver) {
    catalog(d).await;
    let (kettle, acme) = (Product::id("prod_1"), Brand::id("brand_1"));
    assert_eq!(
        d.create(kettle.clone(), acme.clone()).await.unwrap(),
        Created::Inserted
    );
    assert_eq!(
        d.create(kettle.clone(), acme.clone()).await.unwrap(),
        Created::Unchanged
    );
    assert!(d.dismiss(kettle.clone(), acme.clone()).await.unwrap());
    assert!(!d.dismiss(kettle.clone(), acme.clone()).await.unwrap());
    assert_eq!(
        d.create(kettle.clone(), acme.clone()).await.unwrap(),
        Created::Revived
    );

    // A product has one brand.
    match d.create(kettle.clone(), Brand::id("brand_2")).await {
        Err(Error::Cardinality {
            link,
            model,
            record,
            partner,
            refused,
            ..
        }) => {
            assert_eq!(link, "product_product_brand_brand");
            assert_eq!((model, record.as_str()), ("product", "prod_1"));
            assert_eq!((partner.as_str(), refused.as_str()), ("brand_1", "brand_2"));
        }
        other => panic!("a second brand is refused, not {other:?}"),
    }
    let rows = d
        .list(&ListFilter::<product_brand::Link>::new().with_deleted())
        .await;
    assert_eq!(
        brand_rows(rows.unwrap()),
        [("prod_1".to_owned(), "brand_1".to_owned(), true)]
    );
}

async fn a_batch_is_all_or_nothing(d: &mut impl Driver) {
    catalog(d).await;
    d.create(Product::id("prod_3"), Brand::id("brand_2"))
        .await
        .unwrap();
    let pairs: Vec<_> = ["prod_1", "prod_2", "prod_3"]
        .into_iter()
        .map(|product| (Product::id(product), Brand::id("brand_1")))
        .collect();
    // prod_3 has brand_2: the batch is refused whole.
    let refused = d.create_many(&pairs).await;
    assert!(matches!(refused, Err(Error::Cardinality { ref record, .. }) if record == "prod_3"));
    let live = d
        .list(&ListFilter::<product_brand::Link>::new())
        .await
        .unwrap();
    assert_eq!(
        brand_rows(live),
        [("prod_3".to_owned(), "brand_2".to_owned(), true)]
    );

    let created = d.create_many(&pairs[..2]).await.unwrap();
    assert_eq!(created, [Created::Inserted, Created::Inserted]);
    let dismissed = d.dismiss_many(&pairs).await.unwrap();
    assert_eq!(dismissed, 2, "prod_3's pair to brand_1 was never live");
    let filter = ListFilter::<product_brand::Link>::new().right([Brand::id("brand_1")]);
    assert!(d.list(&filter).await.unwrap().is_empty());
}

async fn extra_columns_are_written_and_listed(d: &mut impl Driver) {
    catalog(d).await;
    let columns = product_tag::Columns {
        featured: true,
        label: "hot".to_owned(),
        note: Some("ends friday".to_owned()),
        ..Default::default()
    };
    let rows = [
        (Product::id("prod_1"), Tag::id("tag_1"), columns.clone()),
        (Product::id("prod_2"), Tag::id("tag_1"), Default::default()),
    ];
    let created = d
        .create_many_with::<product_tag::Link>(&rows)
        .await
        .unwrap();
    assert_eq!(created, [Created::Inserted, Created::Inserted]);
    let again = d
        .create_many_with::<product_tag::Link>(&rows[..1])
        .await
        .unwrap();
    assert_eq!(again, [Created::Updated]);

    let filter = ListFilter::<product_tag::Link>::new().left([Product::id("prod_1")]);
    let listed = d.list(&filter).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].featured);
    assert_eq!(listed[0].label, "hot");
    assert_eq!(listed[0].note.as_deref(), Some("ends friday"));
    assert_eq!(listed[0].weight, 1.5);
}

async fn a_plan_is_applied_once(d: &mut impl Driver) {
    let plan = d.plan().await.unwrap();
    assert!(!plan.is_empty());
    let tables: Vec<&str> = plan.actions().iter().map(|action| action.table()).collect();
    assert!(
        tables.contains(&"product_product_brand_brand"),
        "{tables:?}"
    );
    let applied = d.apply(&plan).await.unwrap();
    assert_eq!(applied.applied.len(), plan.actions().len());
    assert!(d.plan().await.unwrap().is_empty());
    assert!(d.migrate().await.unwrap().applied.is_empty());
}

async fn a_delete_cascades_and_a_restore_undoes_it(d: &mut impl Driver) {
    catalog(d).await;
    for (product, supplier) in [
        ("prod_1", "sup_a"),
        ("prod_2", "sup_b"),
        ("prod_3", "sup_b"),
    ] {
        d.create(Product::id(product), Supplier::id(supplier))
            .await
            .unwrap();
    }
    let deletion = d
        .delete_products(&[Product::id("prod_1"), Product::id("prod_2")])
        .await;
    let deletion = deletion.unwrap();
    assert_eq!(deletion.links["product_product_supplier_supplier"].len(), 2);
    // sup_a had prod_1 only and goes; prod_3 still holds sup_b.
    let cascaded: Vec<&Vec<String>> = deletion.cascaded.values().collect();
    assert_eq!(cascaded, [&vec!["sup_a".to_owned()]]);
    let kept: Vec<&Vec<String>> = deletion.kept.values().collect();
    assert_eq!(kept, [&vec!["sup_b".to_owned()]]);
    let suppliers = d
        .graph(
            Graph::entity("supplier")
                .fields(["id"])
                .order("id", Order::Asc),
        )
        .await
        .unwrap();
    assert_eq!(suppliers.data, [json!({ "id": "sup_b" })]);

    assert_eq!(d.restore(&deletion).await.unwrap(), 2);
    let suppliers = d
        .graph(
            Graph::entity("supplier")
                .fields(["id"])
                .order("id", Order::Asc),
        )
        .await
        .unwrap();
    assert_eq!(
        suppliers.data,
        [json!({ "id": "sup_a" }), json!({ "id": "sup_b" })]
    );
    let live = d
        .list(&ListFilter::<product_supplier::Link>::new())
        .await
        .unwrap();
    assert_eq!(live.len(), 3);
}

#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Brand)]
struct BrandShelf {
    name: String,
    #[graph(link)]
    products: Vec<ProductName>,
}

#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Product)]
struct ProductName {
    name: String,
}

async fn graph_queries_read_both_directions(d: &mut impl Driver) {
    catalog(d).await;
    for (product, brand) in [
        ("prod_1", "brand_1"),
        ("prod_2", "brand_1"),
        ("prod_3", "brand_2"),
    ] {
        d.create(Product::id(product), Brand::id(brand))
            .await
            .unwrap();
    }
    let products = d
        .graph(
            Graph::entity("product")
                .fields(["id", "brand.name"])
                .order("id", Order::Asc)
                .take(2),
        )
        .await
        .unwrap();
    assert_eq!(
        products.data,
        [
            json!({ "id": "prod_1", "brand": { "name": "Acme" } }),
            json!({ "id": "prod_2", "brand": { "name": "Acme" } }),
        ]
    );
    assert_eq!(products.metadata.count, 3);

    let brands = d.typed::<BrandShelf>().await.unwrap();
    let mut shelves = brands.data;
    shelves.sort_by(|a, b| a.name.cmp(&b.name));
    for shelf in &mut shelves {
        shelf.products.sort_by(|a, b| a.name.cmp(&b.name));
    }
    let names = |shelf: &BrandShelf| -> Vec<String> {
        shelf.products.iter().map(|p| p.name.clone()).collect()
    };
    assert_eq!(shelves.len(), 2);
    assert_eq!(
        (shelves[0].name.as_str(), names(&shelves[0])),
        ("Acme", vec!["Kettle".to_owned(), "Teapot".to_owned()])
    );
    assert_eq!(
        (shelves[1].name.as_str(), names(&shelves[1])),
        ("Birch", vec!["Toaster".to_owned()])
    );

    let unknown = d.graph(Graph::entity("prodcut").fields(["id"])).await;
    assert!(
        matches!(unknown, Err(Error::UnknownEntity { .. })),
        "{unknown:?}"
    );
}

/// A connection type of a user's own: SQLite behind a wrapper that counts statements, as
/// an instrumented or pooled connection would wrap one.
struct Counting {
    inner: SqliteConnection,
    statements: usize,
}

mod counting {
    use diesel::connection::{
        AnsiTransactionManager, CacheSize, Connection, ConnectionSealed, Instrumentation,
        LoadConnection, SimpleConnection, TransactionManager,
    };
    use diesel::expression::QueryMetadata;
    use diesel::query_builder::{Query, QueryFragment, QueryId};
    use diesel::sqlite::Sqlite;
    use diesel::{ConnectionResult, QueryResult, SqliteConnection};

    use super::Counting;

    impl SimpleConnection for Counting {
        fn batch_execute(&mut self, query: &str) -> QueryResult<()> {
            self.statements += 1;
            self.inner.batch_execute(query)
        }
    }

    impl ConnectionSealed for Counting {}

    impl Connection for Counting {
        type Backend = Sqlite;
        type TransactionManager = AnsiTransactionManager;

        fn establish(url: &str) -> ConnectionResult<Self> {
            Ok(Counting {
                inner: SqliteConnection::establish(url)?,
                statements: 0,
            })
        }

        fn execute_returning_count<T>(&mut self, source: &T) -> QueryResult<usize>
        where
            T: QueryFragment<Sqlite> + QueryId,
        {
            self.statements += 1;
            self.inner.execute_returning_count(source)
        }

        fn transaction_state(
            &mut self,
        ) -> &mut <AnsiTransactionManager as TransactionManager<Self>>::TransactionStateData
        {
            self.inner.transaction_state()
        }

        fn instrumentation(&mut self) -> &mut dyn Instrumentation {
            self.inner.instrumentation()
        }

        fn set_instrumentation(&mut self, instrumentation: impl Instrumentation) {
            self.inner.set_instrumentation(instrumentation);
        }

        fn set_prepared_statement_cache_size(&mut self, size: CacheSize) {
            self.inner.set_prepared_statement_cache_size(size);
        }
    }

    impl LoadConnection for Counting {
        type Cursor<'conn, 'query> = <SqliteConnection as LoadConnection>::Cursor<'conn, 'query>;
        type Row<'conn, 'query> = <SqliteConnection as LoadConnection>::Row<'conn, 'query>;

        fn load<'conn, 'query, T>(
            &'conn mut self,
            source: T,
        ) -> QueryResult<Self::Cursor<'conn, 'query>>
        where
            T: Query + QueryFragment<Sqlite> + QueryId + 'query,
            Sqlite: QueryMetadata<T::SqlType>,
        {
            self.statements += 1;
            self.inner.load(source)
        }
    }
}

// The supplier module on the wrapper connections, as on the connections it wraps.
link_tests::store_on!(Counting);

async fn graph_queries_filter_page_and_read_the_link_entity(d: &mut impl Driver) {
    catalog(d).await;
    for (product, brand) in [
        ("prod_1", "brand_1"),
        ("prod_2", "brand_1"),
        ("prod_3", "brand_2"),
    ] {
        d.create(Product::id(product), Brand::id(brand))
            .await
            .unwrap();
    }
    let rows = [
        (
            Product::id("prod_1"),
            Tag::id("tag_1"),
            product_tag::Columns {
                featured: true,
                position: 2,
                ..Default::default()
            },
        ),
        (
            Product::id("prod_2"),
            Tag::id("tag_1"),
            product_tag::Columns {
                position: 1,
                ..Default::default()
            },
        ),
        (Product::id("prod_2"), Tag::id("tag_2"), Default::default()),
    ];
    d.create_many_with::<product_tag::Link>(&rows)
        .await
        .unwrap();
    d.sql(
        "CREATE TABLE tags (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
         INSERT INTO tags VALUES ('tag_1', 'kitchen'), ('tag_2', 'gift');",
    )
    .await;
    d.dismiss(Product::id("prod_3"), Brand::id("brand_2"))
        .await
        .unwrap();

    // The JSON form, as a client sends it: filters through links, an `$or`, a page.
    let query = Graph::from_json(json!({
        "entity": "product",
        "fields": ["id", "name", "brand.name", "tags.name"],
        "filters": {
            "brand": { "name": { "$ilike": "ACME" } },
            "$or": [{ "name": "Kettle" }, { "tags": { "name": { "$in": ["gift"] } } }],
        },
        "pagination": { "take": 1, "skip": 1, "order": { "name": "DESC" } },
    }))
    .unwrap();
    let page = d.graph(query).await.unwrap();
    assert_eq!(
        page.data,
        [
            json!({ "id": "prod_1", "name": "Kettle", "brand": { "name": "Acme" },
                 "tags": [{ "name": "kitchen" }] })
        ]
    );
    assert_eq!(
        (page.metadata.count, page.metadata.skip, page.metadata.take),
        (2, 1, Some(1))
    );

    // Dismissed links are hidden unless asked for.
    let toaster = || {
        Graph::entity("product")
            .fields(["id", "brand.name"])
            .filter("id", "prod_3")
    };
    assert_eq!(
        d.graph(toaster()).await.unwrap().data,
        [json!({ "id": "prod_3", "brand": null })]
    );
    assert_eq!(
        d.graph(toaster().with_deleted()).await.unwrap().data,
        [json!({ "id": "prod_3", "brand": { "name": "Birch" } })]
    );

    // The link's table is an entity, with its extra columns and both sides.
    let pivots = d
        .graph(
            Graph::entity("product_tags")
                .fields(["product_id", "featured", "position", "tag.name"])
                .filter("tag_id", "tag_1")
                .order("position", Order::Asc),
        )
        .await
        .unwrap();
    assert_eq!(
        pivots.data,
        [
            json!({ "product_id": "prod_2", "featured": false, "position": 1, "tag": { "name": "kitchen" } }),
            json!({ "product_id": "prod_1", "featured": true, "position": 2, "tag": { "name": "kitchen" } }),
        ]
    );

    // Mistakes are named before any SQL runs.
    let unknown = d
        .graph(Graph::entity("product").fields(["id", "brand.nmae"]))
        .await;
    assert!(
        matches!(unknown, Err(Error::UnknownField { .. })),
        "{unknown:?}"
    );
    let bad = d
        .graph(Graph::entity("product_tags").filter("featured", "yes"))
        .await;
    assert!(matches!(bad, Err(Error::InvalidFilter { .. })), "{bad:?}");
    // SQLite matches U+FFFD, U+FFFE and U+FFFF as one character: such a pattern is refused
    // on both backends rather than answered differently.
    d.sql("INSERT INTO products VALUES ('prod_9', '\u{fffd}')")
        .await;
    let odd = Graph::entity("product").filter("name", Condition::like("\u{ffff}%"));
    let odd = d.graph(odd).await;
    assert!(matches!(odd, Err(Error::InvalidFilter { .. })), "{odd:?}");
}

async fn dangling_links_are_found_and_pruned_when_asked(d: &mut impl Driver) {
    catalog(d).await;
    d.sql(
        "CREATE TABLE tags (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
         CREATE TABLE customers (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
         CREATE TABLE wishlists (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);",
    )
    .await;
    d.create(Product::id("prod_1"), Brand::id("brand_1"))
        .await
        .unwrap();
    // No product 9: its link dangles.
    d.create(Product::id("prod_9"), Brand::id("brand_2"))
        .await
        .unwrap();
    let found = d.check(false).await.unwrap();
    let dangling: Vec<(&str, &str)> = found
        .links
        .iter()
        .flat_map(|link| link.dangling.iter())
        .map(|d| (d.left.as_str(), d.right.as_str()))
        .collect();
    assert_eq!(dangling, [("prod_9", "brand_2")]);
    let pruned = d.check(true).await.unwrap();
    assert_eq!(
        pruned.links.iter().map(|link| link.pruned).sum::<usize>(),
        1
    );
    assert!(d.check(false).await.unwrap().is_clean());
}

/// Runs a scenario on the blocking driver, with no runtime at all (a runtime would refuse
/// `AsyncConnectionWrapper`, which blocks on one of its own): every statement is answered
/// as it is asked, so the scenario is over at its first poll.
fn run_blocking<F: std::future::Future>(scenario: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut scenario = std::pin::pin!(scenario);
    match scenario
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("a scenario on the blocking driver waited"),
    }
}

/// Runs a scenario on the async driver, on a current-thread runtime.
fn run<F: std::future::Future>(scenario: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(scenario)
}

async fn async_sqlite() -> Async<SyncConnectionWrapper<SqliteConnection>> {
    Async(
        SyncConnectionWrapper::<SqliteConnection>::establish(":memory:")
            .await
            .expect("an in-memory database"),
    )
}

/// An async connection to a fresh PostgreSQL schema (kept alive by the returned guard).
async fn async_postgres(
    test: &str,
) -> Option<(Async<AsyncPgConnection>, link_test_support::PgSchema)> {
    let schema = link_test_support::postgres(test)?;
    let url = link_test_support::postgres_url(test)?;
    let mut conn = AsyncPgConnection::establish(&url)
        .await
        .expect("PostgreSQL is reachable");
    conn.batch_execute(&format!(
        "SET search_path TO {}; SET TIME ZONE 'UTC';",
        schema.name()
    ))
    .await
    .expect("the search path is set");
    Some((Async(conn), schema))
}

macro_rules! driver_tests {
    ($($scenario:ident),* $(,)?) => {
        mod blocking_sqlite {
            $(#[test]
            fn $scenario() {
                let mut driver = super::Blocking(link_test_support::sqlite());
                super::run_blocking(super::$scenario(&mut driver));
            })*
        }

        mod blocking_postgres {
            $(#[test]
            fn $scenario() {
                let Some(schema) = link_test_support::postgres(stringify!($scenario)) else {
                    return;
                };
                let mut driver = super::Blocking(schema.connect_again());
                super::run_blocking(super::$scenario(&mut driver));
            })*
        }

        mod blocking_counting_sqlite {
            $(#[test]
            fn $scenario() {
                use diesel::Connection as _;
                let conn = super::Counting::establish(":memory:").expect("an in-memory database");
                let mut driver = super::Blocking(conn);
                super::run_blocking(super::$scenario(&mut driver));
                assert!(driver.0.statements > 0, "the statements went through the wrapper");
            })*
        }

        mod blocking_async_wrapper_postgres {
            $(#[test]
            fn $scenario() {
                use diesel::connection::SimpleConnection as _;
                use diesel::Connection as _;
                let Some(schema) = link_test_support::postgres(stringify!($scenario)) else {
                    return;
                };
                let url = link_test_support::postgres_url(stringify!($scenario)).unwrap();
                let mut conn = super::AsyncConnectionWrapper::<super::AsyncPgConnection>::establish(&url)
                    .expect("PostgreSQL is reachable");
                conn.batch_execute(&format!("SET search_path TO {}", schema.name())).unwrap();
                let mut driver = super::Blocking(conn);
                super::run_blocking(super::$scenario(&mut driver));
            })*
        }

        mod async_sqlite {
            $(#[test]
            fn $scenario() {
                super::run(async {
                    let mut driver = super::async_sqlite().await;
                    super::$scenario(&mut driver).await;
                });
            })*
        }

        mod async_postgres {
            $(#[test]
            fn $scenario() {
                super::run(async {
                    let Some((mut driver, _schema)) =
                        super::async_postgres(stringify!($scenario)).await
                    else {
                        return;
                    };
                    super::$scenario(&mut driver).await;
                });
            })*
        }
    };
}

driver_tests!(
    writes_report_what_they_did_and_refuse_a_second_partner,
    a_batch_is_all_or_nothing,
    extra_columns_are_written_and_listed,
    a_plan_is_applied_once,
    a_delete_cascades_and_a_restore_undoes_it,
    graph_queries_read_both_directions,
    graph_queries_filter_page_and_read_the_link_entity,
    dangling_links_are_found_and_pruned_when_asked,
);

/// Clients racing on one connection each, through the async driver on PostgreSQL: to give
/// one product different brands, one wins and the others are refused with the typed
/// error; to create one pair, it is inserted once and found unchanged by the others.
#[test]
fn async_races_end_in_one_partner() {
    let Some(schema) = link_test_support::postgres("async_races") else {
        return;
    };
    let url = link_test_support::postgres_url("async_races").unwrap();
    let search_path = format!("SET search_path TO {}", schema.name());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // Each client connects on its own task.
        let connect = || {
            let (url, search_path) = (url.clone(), search_path.clone());
            async move {
                let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
                conn.batch_execute(&search_path).await.unwrap();
                conn
            }
        };
        aio::migrate(&mut connect().await).await.unwrap();
        let race = |brand: fn(usize) -> String| {
            let tasks: Vec<_> = (0..8)
                .map(|i| {
                    let conn = connect();
                    tokio::spawn(async move {
                        let mut conn = conn.await;
                        aio::create(&mut conn, Product::id("prod_1"), Brand::id(brand(i))).await
                    })
                })
                .collect();
            async move {
                let mut outcomes = Vec::new();
                for task in tasks {
                    outcomes.push(task.await.unwrap());
                }
                outcomes
            }
        };

        let outcomes = race(|i| format!("brand_{i}")).await;
        let won = outcomes
            .iter()
            .filter(|o| matches!(o, Ok(Created::Inserted)))
            .count();
        let refused = outcomes
            .iter()
            .filter(|o| matches!(o, Err(Error::Cardinality { .. })))
            .count();
        assert_eq!((won, refused), (1, 7), "{outcomes:?}");

        let mut conn = connect().await;
        aio::dismiss_many(
            &mut conn,
            &(0..8)
                .map(|i| (Product::id("prod_1"), Brand::id(format!("brand_{i}"))))
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap();
        let outcomes = race(|_| "brand_x".to_owned()).await;
        let inserted = outcomes
            .iter()
            .filter(|o| matches!(o, Ok(Created::Inserted)))
            .count();
        let unchanged = outcomes
            .iter()
            .filter(|o| matches!(o, Ok(Created::Unchanged)))
            .count();
        assert_eq!((inserted, unchanged), (1, 7), "{outcomes:?}");
        let live = aio::list(&mut conn, &ListFilter::<product_brand::Link>::new())
            .await
            .unwrap();
        assert_eq!(live.len(), 1);
    });
}

/// The async driver's futures can be spawned on a multi-threaded runtime (axum and tokio
/// require `Send` futures), whatever the backend.
#[test]
fn async_futures_are_send() {
    fn send<T: Send>(_: T) {}
    fn on<C: AsyncLinkConnection + Send + 'static>(conn: &mut C, deletion: &Deletion)
    where
        Supplier: aio::SoftDelete<C>,
    {
        send(aio::migrate(conn));
        send(aio::create(conn, Product::id("p"), Brand::id("b")));
        send(aio::create_many(
            conn,
            &[(Product::id("p"), Brand::id("b"))],
        ));
        send(aio::dismiss(conn, Product::id("p"), Brand::id("b")));
        send(aio::list(conn, &ListFilter::<product_brand::Link>::new()));
        let modules = aio::Modules::<C>::new().with::<Supplier>();
        send(aio::delete(conn, &modules, &[Product::id("p")]));
        send(aio::restore(conn, &modules, deletion));
        send(aio::Query::new(conn).graph(Graph::entity("product")));
        send(aio::Query::new(conn).graph(BrandShelf::graph()));
    }
    // Compiled, not run: the bounds are what is tested.
    let _ = on::<AsyncPgConnection>;
    let _ = on::<SyncConnectionWrapper<SqliteConnection>>;
}

/// The rows of `backend_tests! { drivers; .. }`, as the other suites use them.
mod via_rows {
    use super::*;

    link_test_support::backend_tests! {
        drivers;
        /// What the suites call through `link_test_support::via` runs on the driver of the
        /// row: in the `async_*` rows, none of it reaches the test's blocking connection.
        fn via_runs_each_operation_on_the_rows_driver(conn) {
            use diesel::connection::{Connection, InstrumentationEvent};
            use link_test_support::via::{self, Via};
            use std::sync::{Arc, Mutex};

            let seen = Arc::new(Mutex::new(0_usize));
            let sink = Arc::clone(&seen);
            conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
                if let InstrumentationEvent::StartQuery { .. } = event {
                    *sink.lock().unwrap() += 1;
                }
            });
            via::migrate(conn).unwrap();
            Via::<product_brand::Link>::create(conn, Product::id("prod_1"), Brand::id("brand_1"))
                .unwrap();
            let rows = Via::<product_brand::Link>::list(conn, &ListFilter::new()).unwrap();
            assert_eq!(brand_rows(rows), [("prod_1".into(), "brand_1".into(), true)]);
            let statements = *seen.lock().unwrap();
            if module_path!().rsplit("::").next().unwrap().starts_with("async_") {
                assert_eq!(statements, 0, "the async rows write through the mirror connection");
            } else {
                assert!(statements > 3, "the blocking rows write through `conn`: {statements}");
            }
        }
    }
}
