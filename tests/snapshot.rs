//! A graph query reads one snapshot of each database: its page and its count agree even
//! when another client writes between the two statements, on SQLite (a file in WAL mode,
//! where readers and a writer go on at once) and on PostgreSQL (`REPEATABLE READ`).

use std::sync::{Arc, Mutex};

use diesel::connection::{InstrumentationEvent, SimpleConnection};
use diesel::{Connection, PgConnection, SqliteConnection};
use link_runtime::graph::{Graph, Order, Query};
use link_runtime::LinkConnection;
use link_tests::fixtures::setup;
use link_tests::modules::supplier::Store;
use serde_json::{json, Value};

/// Reads a page of two of three products on `reader`; just before the page's `COUNT` runs,
/// `writer` (another connection to the same database) inserts a fourth product. The count
/// is the page's snapshot's, 3; the next query sees the fourth.
fn page_and_count_read_one_snapshot<C>(mut reader: C, writer: C)
where
    C: LinkConnection + Store + SimpleConnection + Send + 'static,
{
    setup(&mut reader);
    reader
        .batch_execute("INSERT INTO products VALUES ('prod_3', 'Toaster')")
        .unwrap();
    let writer = Arc::new(Mutex::new(Some(writer)));
    let armed = Arc::clone(&writer);
    reader.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            if query.to_string().contains("COUNT(*)") {
                if let Some(mut writer) = armed.lock().unwrap().take() {
                    writer
                        .batch_execute("INSERT INTO products VALUES ('prod_4', 'Whisk')")
                        .unwrap();
                }
            }
        }
    });

    let page = Query::new(&mut reader)
        .graph(
            Graph::entity("product")
                .fields(["id"])
                .order("id", Order::Asc)
                .take(2),
        )
        .unwrap();
    assert!(
        writer.lock().unwrap().is_none(),
        "the fourth product was inserted between the page and its count"
    );
    assert_eq!(
        page.data,
        [json!({ "id": "prod_1" }), json!({ "id": "prod_2" })]
    );
    assert_eq!(
        page.metadata.count, 3,
        "the count reads the page's snapshot"
    );

    let after = Query::new(&mut reader)
        .graph(Graph::entity("product").fields(["id"]).take(2))
        .unwrap();
    assert_eq!(after.metadata.count, 4);
    let all: Vec<Value> = Query::new(&mut reader)
        .graph(Graph::entity("product").fields(["id"]))
        .unwrap()
        .data;
    assert_eq!(all.len(), 4);
}

#[test]
fn on_sqlite() {
    let folder = link_test_support::SqliteFolder::new("snapshot");
    let url = folder.file("shop");
    let connect = || {
        let mut conn = SqliteConnection::establish(&url).unwrap();
        conn.batch_execute("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000;")
            .unwrap();
        conn
    };
    let (reader, writer) = (connect(), connect());
    page_and_count_read_one_snapshot(reader, writer);
}

#[test]
fn on_postgres() {
    let Some(database) = link_test_support::postgres_database("snapshot") else {
        return;
    };
    let connect = || PgConnection::establish(database.url()).unwrap();
    page_and_count_read_one_snapshot(connect(), connect());
}
