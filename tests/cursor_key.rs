//! The key graph cursors are signed with: drawn at random per process unless set, and a
//! cursor is valid wherever the key that signed it is the key. One test, alone in its
//! binary: the key is the process's, and setting it would invalidate the cursors of
//! tests running beside it.

use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};
use link_runtime::graph::{CursorKey, Graph, Order, Query};
use link_runtime::prelude::*;
use link_runtime::Error;
use serde_json::{json, Value};

/// A note.
#[derive(Debug, Linkable)]
#[linkable(module = "note", table = "notes")]
pub struct Note {
    /// Its id.
    pub id: String,
    /// Its text.
    pub text: String,
}

fn page(
    conn: &mut SqliteConnection,
    after: Option<&str>,
) -> Result<(Vec<Value>, Option<String>), Error> {
    let mut graph = Graph::entity("note")
        .fields(["text"])
        .order("text", Order::Asc)
        .take(1);
    if let Some(cursor) = after {
        graph = graph.after(cursor);
    }
    let page = Query::new(conn).graph(graph)?;
    Ok((page.data, page.metadata.next_cursor))
}

#[test]
fn servers_that_share_a_key_accept_each_others_cursors() {
    let mut conn = SqliteConnection::establish(":memory:").unwrap();
    conn.batch_execute(
        "CREATE TABLE notes (id TEXT PRIMARY KEY NOT NULL, text TEXT NOT NULL);
         INSERT INTO notes VALUES ('n1', 'alpha'), ('n2', 'beta'), ('n3', 'gamma');",
    )
    .unwrap();
    // The key drawn at random signs the first cursor.
    let (_, drawn) = page(&mut conn, None).unwrap();
    let drawn = drawn.expect("beta follows");
    assert_eq!(
        page(&mut conn, Some(&drawn)).unwrap().0,
        [json!({ "text": "beta" })]
    );

    // A key set from the configuration: the random key's cursors are refused...
    let shared = CursorKey::new(b"a secret of at least 32 bytes, shared by every server");
    assert_eq!(
        format!("{shared:?}"),
        "CursorKey(..)",
        "the secret is never shown"
    );
    CursorKey::set(shared.clone());
    assert!(matches!(
        page(&mut conn, Some(&drawn)),
        Err(Error::InvalidCursor { .. })
    ));
    let (_, signed) = page(&mut conn, None).unwrap();
    let signed = signed.expect("beta follows");
    assert_ne!(signed, drawn);

    // ...as the shared key's are by a server with another key...
    CursorKey::set(CursorKey::random());
    assert!(matches!(
        page(&mut conn, Some(&signed)),
        Err(Error::InvalidCursor { .. })
    ));

    // ...and a server with the shared key reads the page after it.
    CursorKey::set(CursorKey::new(
        b"a secret of at least 32 bytes, shared by every server",
    ));
    let (rows, next) = page(&mut conn, Some(&signed)).unwrap();
    assert_eq!(rows, [json!({ "text": "beta" })]);
    let (rows, next) = page(&mut conn, Some(&next.expect("gamma follows"))).unwrap();
    assert_eq!((rows, next), (vec![json!({ "text": "gamma" })], None));
}
