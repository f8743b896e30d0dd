//! Keyset pages of graph queries (`after` cursors), on SQLite and PostgreSQL, through both
//! drivers:
//!
//! - walking a table page by page, each page after the last one's `next_cursor`, gives
//!   every row once, in the order the whole query gives: for a text column ascending and
//!   descending, a nullable number and float (NULLs last ascending, first descending), a
//!   timestamp, a field through a one-side link (a post without an author has none), ties
//!   broken by the primary key, several keys of mixed directions; in the three ways a
//!   page is read (rows as values, JSON written from the rows, rows stitched with a list
//!   below them) and in the JSON form of the query;
//! - the same against a model sorted in memory, for random posts, orders and page sizes;
//! - every kind of column a cursor can hold (decimals, dates, times, timestamps with a
//!   time zone, UUIDs, bytes, booleans), as the unpaged query orders it;
//! - rows written before a cursor's row between two pages do not shift the next page;
//! - a cursor edited, made by another query, garbage or too long is refused as invalid
//!   before any statement runs; `skip` does not combine with `after`;
//! - a page after a cursor runs as many statements on 10, 1,000 and 10,000 rows.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use diesel::connection::SimpleConnection;
use link_runtime::chrono::{NaiveDate, NaiveDateTime};
use link_runtime::graph::{Fields, Graph, Order, Scope};
use link_runtime::prelude::*;
use link_runtime::{Error, ErrorKind, LinkConnection};
use link_test_support::{via, Statements};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};

/// A post: its title, a score and a rating it may lack, when it was posted.
#[derive(Debug, Linkable)]
#[linkable(module = "post", table = "posts")]
pub struct Post {
    /// `post_00000`, ...
    pub id: String,
    /// A lowercase word, shared by several posts.
    pub title: String,
    /// A score, or none.
    pub score: Option<i64>,
    /// A rating, or none.
    pub rating: Option<f64>,
    /// When it was posted.
    pub posted_at: NaiveDateTime,
}

/// An author, whose name several authors may share.
#[derive(Debug, Linkable)]
#[linkable(module = "author", table = "authors")]
pub struct Author {
    /// `author_0`, ...
    pub id: String,
    /// A lowercase word.
    pub name: String,
}

/// A post's author: from a post, `author` (one); from an author, `posts`.
mod post_author {
    use super::{Author, Post};
    link_runtime::define_link!(Post(is_list), Author);
}

/// A parcel and a depot, whose link holds a column of each kind a cursor may hold.
#[derive(Debug, Linkable)]
#[linkable(module = "parcel", table = "parcels")]
pub struct Parcel {
    /// Its id.
    pub id: String,
}

/// A depot.
#[derive(Debug, Linkable)]
#[linkable(module = "depot", table = "depots")]
pub struct Depot {
    /// Its id.
    pub id: String,
}

mod parcel_depot {
    use super::{Depot, Parcel};
    use link_runtime::bigdecimal::BigDecimal;
    use link_runtime::chrono::{DateTime, NaiveDate, NaiveTime, Utc};
    use link_runtime::uuid::Uuid;
    link_runtime::define_link! {
        Parcel(is_list), Depot(is_list),
        database(table = "parcel_depot"),
        columns {
            price: BigDecimal = "0",
            ship_on: NaiveDate = "2024-01-01",
            slot: NaiveTime = "00:00:00",
            handed_at: DateTime<Utc> = "2024-01-01T00:00:00Z",
            code: Uuid = "00000000-0000-0000-0000-000000000000",
            label: Vec<u8> = b"",
            fragile: bool = false,
            weight: i16 = 0,
            refund: Option<BigDecimal>,
        },
    }
}

/// What a test connection is.
trait Db: LinkConnection + SimpleConnection {}
impl<C: LinkConnection + SimpleConnection> Db for C {}

// ---------------------------------------------------------------------------------------
// The posts, and a model of their order.

/// A post as the tests write it; its id is `post_{index}`.
#[derive(Debug, Clone)]
struct PostRow {
    title: &'static str,
    score: Option<i64>,
    rating: Option<f64>,
    /// Minutes after 2024-01-01 00:00.
    posted: u32,
    author: Option<usize>,
}

/// Posts and the names of their authors (`author_{index}`).
#[derive(Debug, Clone)]
struct Posts {
    authors: Vec<&'static str>,
    posts: Vec<PostRow>,
}

const TITLES: [&str; 5] = ["apron", "kettle", "lamp", "mug", "teapot"];
const NAMES: [&str; 3] = ["ada", "bob", "cyd"];
const RATINGS: [f64; 4] = [0.25, 1.5, 2.0, 3.75];

fn post_id(i: usize) -> String {
    format!("post_{i:05}")
}

fn posted_at(minutes: u32) -> String {
    let start = NaiveDate::from_ymd_opt(2024, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    (start + link_runtime::chrono::Duration::minutes(minutes.into()))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// The fixed posts most tests walk: titles, scores and ratings shared, some missing;
/// authors sharing a name; posts without an author.
fn fixed() -> Posts {
    let row = |title, score, rating, posted, author| PostRow {
        title,
        score,
        rating,
        posted,
        author,
    };
    Posts {
        authors: vec!["ada", "bob", "ada"],
        posts: vec![
            row("kettle", Some(3), Some(1.5), 10, Some(0)),
            row("lamp", None, None, 20, Some(1)),
            row("kettle", Some(1), Some(0.25), 30, None),
            row("mug", Some(3), Some(2.0), 10, Some(2)),
            row("lamp", Some(2), None, 50, Some(0)),
            row("apron", None, Some(1.5), 60, None),
            row("mug", Some(1), Some(0.25), 70, Some(1)),
            row("kettle", None, Some(3.75), 80, Some(2)),
            row("teapot", Some(5), Some(2.0), 90, Some(0)),
            row("apron", Some(2), Some(1.5), 100, Some(1)),
            row("lamp", Some(3), None, 110, None),
        ],
    }
}

/// The posts' and authors' tables, and the link tables.
fn setup(conn: &mut impl Db) {
    conn.batch_execute(
        "CREATE TABLE posts (id TEXT PRIMARY KEY NOT NULL, title TEXT NOT NULL, score BIGINT,
             rating DOUBLE PRECISION, posted_at TIMESTAMP NOT NULL);
         CREATE TABLE authors (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
         CREATE TABLE parcels (id TEXT PRIMARY KEY NOT NULL);
         CREATE TABLE depots (id TEXT PRIMARY KEY NOT NULL);",
    )
    .unwrap();
    via::migrate(conn).unwrap();
}

impl Posts {
    /// Replaces the tables' rows with these.
    fn store(&self, conn: &mut impl Db) {
        conn.batch_execute(&format!(
            "DELETE FROM {}; DELETE FROM posts; DELETE FROM authors;",
            post_author::Link::TABLE
        ))
        .unwrap();
        if !self.authors.is_empty() {
            let authors: Vec<String> = self
                .authors
                .iter()
                .enumerate()
                .map(|(a, name)| format!("('author_{a}', '{name}')"))
                .collect();
            conn.batch_execute(&format!(
                "INSERT INTO authors VALUES {}",
                authors.join(", ")
            ))
            .unwrap();
        }
        for (chunk, posts) in self.posts.chunks(1_000).enumerate() {
            let rows: Vec<String> = posts
                .iter()
                .enumerate()
                .map(|(i, post)| {
                    let null = || "NULL".to_owned();
                    format!(
                        "('{}', '{}', {}, {}, '{}')",
                        post_id(chunk * 1_000 + i),
                        post.title,
                        post.score.map_or_else(null, |score| score.to_string()),
                        post.rating
                            .map_or_else(null, |rating| format!("{rating:?}")),
                        posted_at(post.posted),
                    )
                })
                .collect();
            conn.batch_execute(&format!("INSERT INTO posts VALUES {}", rows.join(", ")))
                .unwrap();
        }
        let pairs: Vec<_> = self
            .posts
            .iter()
            .enumerate()
            .filter_map(|(i, post)| {
                let author = post.author?;
                Some((Post::id(post_id(i)), Author::id(format!("author_{author}"))))
            })
            .collect();
        post_author::Link::create_many(conn, &pairs).unwrap();
    }

    /// The ids of the posts in the order `keys` (then the id) gives, NULLs after every
    /// value: last ascending, first descending.
    fn sorted(&self, keys: &[(Key, Order)]) -> Vec<String> {
        let mut order: Vec<usize> = (0..self.posts.len()).collect();
        order.sort_by(|&a, &b| {
            for &(key, direction) in keys {
                let (a, b) = (self.value(a, key), self.value(b, key));
                let ordering = match (a, b) {
                    (None, None) => std::cmp::Ordering::Equal,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (Some(a), Some(b)) => a.partial_cmp(&b).expect("no NaN"),
                };
                let ordering = match direction {
                    Order::Asc => ordering,
                    Order::Desc => ordering.reverse(),
                };
                if ordering.is_ne() {
                    return ordering;
                }
            }
            post_id(a).cmp(&post_id(b))
        });
        order.into_iter().map(post_id).collect()
    }

    fn value(&self, i: usize, key: Key) -> Option<Sortable> {
        let post = &self.posts[i];
        match key {
            Key::Title => Some(Sortable::Text(post.title.to_owned())),
            Key::Score => post.score.map(|score| Sortable::Number(score as f64)),
            Key::Rating => post.rating.map(Sortable::Number),
            Key::Posted => Some(Sortable::Text(posted_at(post.posted))),
            Key::AuthorName => post
                .author
                .map(|a| Sortable::Text(self.authors[a].to_owned())),
        }
    }
}

/// A value the model sorts by.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Sortable {
    Number(f64),
    Text(String),
}

/// A key posts are ordered by.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Key {
    Title,
    Score,
    Rating,
    Posted,
    AuthorName,
}

impl Key {
    fn path(self) -> &'static str {
        match self {
            Key::Title => "title",
            Key::Score => "score",
            Key::Rating => "rating",
            Key::Posted => "posted_at",
            Key::AuthorName => "author.name",
        }
    }
}

fn query(keys: &[(Key, Order)]) -> Graph {
    keys.iter().fold(
        Graph::entity("post").fields(["id", "title"]),
        |graph, (key, order)| graph.order(key.path(), *order),
    )
}

// ---------------------------------------------------------------------------------------
// Walking pages

/// How a walk reads its pages.
#[derive(Debug, Clone, Copy)]
enum Form {
    /// Rows as JSON values, each whole in a row of the root statement.
    Values,
    /// JSON written straight from the rows' cells.
    Json,
    /// Each post with its author's posts below: the root's rows read whole, then stitched.
    Stitched,
}

const FORMS: [Form; 3] = [Form::Values, Form::Json, Form::Stitched];

/// One page: its post ids, its count and its `next_cursor`.
fn page(
    conn: &mut impl Db,
    form: Form,
    graph: Graph,
) -> Result<(Vec<String>, u64, Option<String>), Error> {
    let ids = |rows: &[Value]| -> Vec<String> {
        rows.iter()
            .map(|row| row["id"].as_str().expect("an id").to_owned())
            .collect()
    };
    Ok(match form {
        Form::Values => {
            let page = via::graph(conn, graph)?;
            (
                ids(&page.data),
                page.metadata.count,
                page.metadata.next_cursor,
            )
        }
        Form::Json => {
            let page = via::graph(conn, graph.to_json())?;
            let rows: Vec<Value> = serde_json::from_str(page.data_json()).unwrap();
            let metadata = page.metadata().clone();
            // The document's metadata is the struct's.
            let document: Value = serde_json::from_slice(&page.into_body()).unwrap();
            assert_eq!(
                document["metadata"]["next_cursor"],
                json!(metadata.next_cursor)
            );
            (ids(&rows), metadata.count, metadata.next_cursor)
        }
        Form::Stitched => {
            let page = via::graph(conn, graph.fields(["author.posts.id"]))?;
            (
                ids(&page.data),
                page.metadata.count,
                page.metadata.next_cursor,
            )
        }
    })
}

/// Every post `graph` answers, read `take` at a time, each page after the cursor of the
/// one before; checks that each page but the last is full and names a cursor, that the
/// last names none, and that every page counts every row.
fn walk(conn: &mut impl Db, form: Form, graph: &Graph, take: u64) -> Vec<String> {
    let mut walked = Vec::new();
    let mut after: Option<String> = None;
    let mut counted = None;
    loop {
        let mut query = graph.clone().take(take);
        if let Some(cursor) = after.take() {
            query = query.after(cursor);
        }
        let (ids, count, next) = page(conn, form, query).expect("the page reads");
        assert_eq!(
            *counted.get_or_insert(count),
            count,
            "every page counts every row"
        );
        walked.extend(ids.iter().cloned());
        match next {
            Some(cursor) => {
                assert_eq!(ids.len() as u64, take, "a page a cursor follows is full");
                after = Some(cursor);
            }
            None => {
                assert!(ids.len() as u64 <= take);
                break;
            }
        }
        assert!(walked.len() <= 100_000, "the walk ends");
    }
    assert_eq!(counted, Some(walked.len() as u64));
    walked
}

/// The post ids `graph` answers in one query.
fn unpaged(conn: &mut impl Db, graph: Graph) -> Vec<String> {
    page(conn, Form::Values, graph).unwrap().0
}

fn refused(conn: &mut impl Db, graph: Graph) -> Error {
    via::graph(conn, graph).expect_err("the query is refused")
}

/// `cursor` with one bit of byte `i` of its bytes flipped.
fn flipped(cursor: &str, i: usize) -> String {
    let mut bytes = URL_SAFE_NO_PAD.decode(cursor).unwrap();
    bytes[i] ^= 0x04;
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The orders the walks try.
fn orders() -> Vec<Vec<(Key, Order)>> {
    use Key::*;
    use Order::*;
    vec![
        vec![(Title, Asc)],
        vec![(Title, Desc)],
        vec![(Score, Asc)],
        vec![(Score, Desc)],
        vec![(Rating, Asc), (Title, Desc)],
        vec![(Posted, Desc)],
        vec![(AuthorName, Asc)],
        vec![(AuthorName, Desc), (Title, Asc)],
        vec![(Score, Desc), (Title, Asc), (Rating, Desc)],
        vec![],
    ]
}

link_test_support::backend_tests! {
    drivers;

    fn walking_pages_gives_every_row_once_in_order(conn) {
        setup(conn);
        let posts = fixed();
        posts.store(conn);
        // The model's order is the database's (and NULLs sort after every value).
        assert_eq!(
            unpaged(conn, query(&[(Key::Score, Order::Asc)])),
            posts.sorted(&[(Key::Score, Order::Asc)])
        );
        assert_eq!(
            posts.sorted(&[(Key::Score, Order::Asc)])[8..],
            [post_id(1), post_id(5), post_id(7)],
            "the posts without a score come last"
        );
        for keys in orders() {
            let expected = posts.sorted(&keys);
            assert_eq!(unpaged(conn, query(&keys)), expected, "{keys:?}");
            for form in FORMS {
                for take in [1, 2, 4, 11, 50] {
                    assert_eq!(
                        walk(conn, form, &query(&keys), take),
                        expected,
                        "{keys:?}, {form:?}, {take} a page"
                    );
                }
            }
        }
        // A filtered walk: the cursor keeps the filter's rows, the count is theirs.
        let lamps = || query(&[(Key::Rating, Order::Desc)]).filter("title", ["lamp", "mug"]);
        let expected = unpaged(conn, lamps());
        assert_eq!(expected.len(), 5);
        assert_eq!(walk(conn, Form::Values, &lamps(), 2), expected);
    }

    fn a_count_of_linked_records_orders_pages_too(conn) {
        setup(conn);
        let posts = fixed();
        posts.store(conn);
        conn.batch_execute("INSERT INTO authors VALUES ('author_3', 'dee'), ('author_4', 'bob')")
            .unwrap();
        // Authors by how many posts they have (ties, and authors with none), then name.
        let by_posts = |fields: &[&str]| {
            Graph::entity("author")
                .fields(fields.iter().copied())
                .order("_count.posts", Order::Desc)
                .order("name", Order::Asc)
        };
        for fields in [&["id"][..], &["id", "_count.posts"], &["id", "posts.id"]] {
            let graph = by_posts(fields);
            let expected = unpaged(conn, graph.clone());
            assert_eq!(expected, ["author_0", "author_1", "author_2", "author_4", "author_3"]);
            for form in [Form::Values, Form::Json] {
                for take in [1, 2, 3] {
                    assert_eq!(walk(conn, form, &graph, take), expected, "{fields:?} {form:?} {take}");
                }
            }
        }
    }

    fn the_json_form_pages_alike(conn) {
        setup(conn);
        fixed().store(conn);
        let document = |after: Value| {
            Graph::from_json(json!({
                "entity": "post",
                "fields": ["id"],
                "filters": { "author": { "name": "ada" } },
                "pagination": { "take": 2, "order": { "author.name": "ASC", "title": "DESC" }, "after": after },
            }))
            .unwrap()
        };
        let first = via::graph(conn, document(Value::Null)).unwrap();
        let answer = serde_json::to_value(&first).unwrap();
        assert_eq!(answer["metadata"]["count"], 5);
        let cursor = answer["metadata"]["next_cursor"].as_str().expect("a cursor").to_owned();
        let second = via::graph(conn, document(json!(cursor))).unwrap();
        // The same query built: the same cursor reads the same page.
        let built = Graph::entity("post")
            .fields(["id"])
            .filter("author.name", "ada")
            .order("author.name", Order::Asc)
            .order("title", Order::Desc)
            .take(2)
            .after(cursor);
        assert_eq!(via::graph(conn, built).unwrap(), second);
        let mut walked: Vec<Value> = first.data.clone();
        walked.extend(second.data.clone());
        let all = via::graph(
            conn,
            Graph::entity("post")
                .fields(["id"])
                .filter("author.name", "ada")
                .order("author.name", Order::Asc)
                .order("title", Order::Desc),
        )
        .unwrap();
        assert_eq!(walked, all.data[..4]);
        // A query without a page size has one page: its metadata names no cursor.
        assert_eq!(
            serde_json::to_value(&all).unwrap()["metadata"],
            json!({ "count": 5, "skip": 0, "take": null })
        );
        // `after` is a string.
        let error = Graph::from_json(json!({ "entity": "post", "pagination": { "after": 3 } }))
            .unwrap_err();
        assert_eq!(error.to_string(), "malformed graph query: `after` is a cursor: a string");
    }

    fn a_scope_pages_its_queries_without_a_take(conn) {
        setup(conn);
        let posts = fixed();
        posts.store(conn);
        let scope = Scope::new().entity("post", Fields::all()).max_take(4);
        let expected = posts.sorted(&[(Key::Posted, Order::Asc)]);
        let mut walked = Vec::new();
        let mut after = None;
        loop {
            let mut graph = query(&[(Key::Posted, Order::Asc)]);
            if let Some(cursor) = after.take() {
                graph = graph.after(cursor);
            }
            let page = via::graph_scoped(conn, &scope, graph).unwrap();
            assert_eq!(page.metadata.take, Some(4));
            walked.extend(page.data.iter().map(|row| row["id"].as_str().unwrap().to_owned()));
            match page.metadata.next_cursor {
                Some(cursor) => after = Some(cursor),
                None => break,
            }
        }
        assert_eq!(walked, expected);
    }

    fn every_kind_a_cursor_holds_pages_as_the_query_orders(conn) {
        setup(conn);
        use link_runtime::bigdecimal::BigDecimal;
        use link_runtime::chrono::{DateTime, NaiveTime, Utc};
        use link_runtime::uuid::Uuid;
        conn.batch_execute(
            "INSERT INTO parcels VALUES ('parcel_0'), ('parcel_1'), ('parcel_2'), ('parcel_3');
             INSERT INTO depots VALUES ('depot_0'), ('depot_1'), ('depot_2');",
        )
        .unwrap();
        let prices = ["12.50", "9.99", "100", "0.001", "12.5", "-3"];
        let mut rows = Vec::new();
        for p in 0..4usize {
            for d in 0..3usize {
                let i = p * 3 + d;
                let columns = parcel_depot::Columns {
                    price: prices[i % prices.len()].parse::<BigDecimal>().unwrap(),
                    ship_on: NaiveDate::from_ymd_opt(2024, 1 + (i % 3) as u32, 1 + (i % 5) as u32).unwrap(),
                    slot: NaiveTime::from_hms_micro_opt((i % 4) as u32, 30, 0, (i % 2) as u32 * 250_000).unwrap(),
                    handed_at: DateTime::<Utc>::from_timestamp(1_700_000_000 + (i % 4) as i64 * 3_600, (i % 3) as u32 * 1_000).unwrap(),
                    code: Uuid::from_u128(((i % 5) as u128) << 64 | (i as u128 % 2)),
                    label: vec![(i % 3) as u8, 0xff, (i % 2) as u8],
                    fragile: i % 2 == 0,
                    weight: (i % 4) as i16 - 2,
                    refund: (i % 3 != 0).then(|| format!("{}.25", i % 4).parse().unwrap()),
                };
                rows.push((Parcel::id(format!("parcel_{p}")), Depot::id(format!("depot_{d}")), columns));
            }
        }
        parcel_depot::Link::create_many_with(conn, &rows).unwrap();
        let ids = |rows: &[Value]| -> Vec<String> {
            rows.iter().map(|row| row["id"].as_str().unwrap().to_owned()).collect()
        };
        for column in ["price", "ship_on", "slot", "handed_at", "code", "label", "fragile", "weight", "refund", "created_at"] {
            for direction in [Order::Asc, Order::Desc] {
                let graph = Graph::entity("parcel_depot")
                    .fields(["id", column])
                    .order(column, direction);
                let expected = ids(&via::graph(conn, graph.clone()).unwrap().data);
                assert_eq!(expected.len(), 12);
                for take in [1, 5] {
                    let mut walked = Vec::new();
                    let mut after = None;
                    loop {
                        let mut page = graph.clone().take(take);
                        if let Some(cursor) = after.take() {
                            page = page.after(cursor);
                        }
                        let page = via::graph(conn, page)
                            .unwrap_or_else(|error| panic!("{column} {direction:?}: {error}"));
                        walked.extend(ids(&page.data));
                        match page.metadata.next_cursor {
                            Some(cursor) => after = Some(cursor),
                            None => break,
                        }
                        assert!(walked.len() <= 12, "{column} {direction:?}: {walked:?}");
                    }
                    assert_eq!(walked, expected, "{column} {direction:?}, {take} a page");
                }
            }
        }
    }

    fn rows_written_before_the_cursor_do_not_shift_the_next_page(conn) {
        setup(conn);
        fixed().store(conn);
        let by_title = || query(&[(Key::Title, Order::Asc)]);
        let first = via::graph(conn, by_title().take(4)).unwrap();
        let seen: Vec<&str> = first.data.iter().map(|row| row["id"].as_str().unwrap()).collect();
        // apron, apron, kettle, kettle: then kettle (post_7), lamp..
        assert_eq!(seen, [post_id(5), post_id(9), post_id(0), post_id(2)]);
        let cursor = first.metadata.next_cursor.clone().unwrap();
        let offset_before = unpaged(conn, by_title().skip(4).take(3));
        // Three posts that sort before the cursor's row, one after it, and the cursor's
        // own row deleted: the next page starts where the first ended.
        conn.batch_execute(
            "INSERT INTO posts VALUES
                 ('post_a', 'apron', NULL, NULL, '2024-02-01 00:00:00'),
                 ('post_b', 'kettle', NULL, NULL, '2024-02-01 00:00:00'),
                 ('post_00001x', 'kettle', NULL, NULL, '2024-02-01 00:00:00'),
                 ('post_z', 'kettle', NULL, NULL, '2024-02-01 00:00:00');
             DELETE FROM posts WHERE id = 'post_00002';",
        )
        .unwrap();
        let second = via::graph(conn, by_title().take(3).after(cursor)).unwrap();
        let next: Vec<&str> = second.data.iter().map(|row| row["id"].as_str().unwrap()).collect();
        assert_eq!(next, [post_id(7).as_str(), "post_b", "post_z"]);
        assert_eq!(offset_before, [post_id(7), post_id(1), post_id(4)]);
        assert_eq!(second.metadata.count, 14, "the count is every row's, those before included");
        // The same page by offset has shifted: it shows a row written before the first
        // page's end, and no longer the row that came next.
        let offset_after = unpaged(conn, by_title().skip(4).take(3));
        assert_eq!(offset_after, ["post_00001x", post_id(7).as_str(), "post_b"]);
    }

    fn a_cursor_not_made_by_the_query_is_refused_before_any_statement(conn) {
        setup(conn);
        fixed().store(conn);
        let by_score = || query(&[(Key::Score, Order::Desc)]).filter("title", ["kettle", "lamp"]);
        let first = via::graph(conn, by_score().take(2)).unwrap();
        let cursor = first.metadata.next_cursor.clone().unwrap();
        // It works for its query, whatever the fields and page size.
        let next = via::graph(conn, by_score().fields(["score"]).take(5).after(cursor.clone())).unwrap();
        assert_eq!(next.data.len(), 4);

        let statements = Statements::record(conn);
        let bytes = URL_SAFE_NO_PAD.decode(&cursor).unwrap().len();
        let mut tampered: Vec<(String, Graph)> = (0..bytes)
            .map(|i| (format!("byte {i} changed"), by_score().take(2).after(flipped(&cursor, i))))
            .collect();
        tampered.extend([
            ("another order".to_owned(), query(&[(Key::Score, Order::Asc)]).filter("title", ["kettle", "lamp"]).take(2).after(cursor.clone())),
            ("another filter".to_owned(), query(&[(Key::Score, Order::Desc)]).filter("title", ["kettle"]).take(2).after(cursor.clone())),
            ("no filter".to_owned(), query(&[(Key::Score, Order::Desc)]).take(2).after(cursor.clone())),
            ("with deleted".to_owned(), by_score().with_deleted().take(2).after(cursor.clone())),
            ("another entity".to_owned(), Graph::entity("author").order("name", Order::Desc).take(2).after(cursor.clone())),
            ("cut short".to_owned(), by_score().take(2).after(&cursor[..cursor.len() - 3])),
            ("garbage".to_owned(), by_score().take(2).after("not a cursor at all!")),
            ("empty".to_owned(), by_score().take(2).after("")),
            ("too long".to_owned(), by_score().take(2).after("A".repeat(5_000))),
        ]);
        for (what, graph) in tampered {
            let error = refused(conn, graph);
            assert_eq!(error.kind(), ErrorKind::Invalid, "{what}: {error}");
            assert!(matches!(&error, Error::InvalidCursor { .. }), "{what}: {error:?}");
        }
        assert!(statements.take().is_empty(), "a refused cursor runs no statement");
        let error = refused(conn, by_score().take(2).after("A".repeat(5_000)));
        assert_eq!(error.to_string(), "invalid cursor: 5000 bytes; a cursor is at most 4096");
        // A cursor of one entity read by another's query, of the same shape.
        let authors = || Graph::entity("author").fields(["id"]).order("name", Order::Asc);
        let author_cursor = via::graph(conn, authors().take(1)).unwrap().metadata.next_cursor.unwrap();
        assert!(!statements.take().is_empty(), "the authors' page ran");
        let posts_by_title = query(&[(Key::Title, Order::Asc)]).take(1).after(author_cursor);
        assert!(matches!(refused(conn, posts_by_title), Error::InvalidCursor { .. }));
        // `skip` and `after` do not combine.
        let error = refused(conn, by_score().skip(1).take(2).after(cursor.clone()));
        assert!(
            matches!(&error, Error::MalformedQuery { reason } if reason.contains("`skip` and `after`")),
            "{error:?}"
        );
        assert!(statements.take().is_empty(), "a refused cursor runs no statement");
        // The error a client is told names the cursor, and nothing it holds.
        let details = refused(conn, by_score().take(2).after(flipped(&cursor, 3))).details();
        assert_eq!(details.kind.http_status(), 400);
        assert!(details.message.starts_with("invalid cursor: it was not made by this query"), "{}", details.message);
    }

    fn a_page_costs_the_same_statements_at_any_size(conn) {
        setup(conn);
        let statements = Statements::record(conn);
        let mut counts = Vec::new();
        for size in [10, 1_000, 10_000] {
            let posts = Posts {
                authors: NAMES.to_vec(),
                posts: (0..size)
                    .map(|i| PostRow {
                        title: TITLES[i % TITLES.len()],
                        score: (i % 7 != 0).then_some((i % 13) as i64),
                        rating: None,
                        posted: i as u32,
                        author: (i % 4 != 0).then_some(i % NAMES.len()),
                    })
                    .collect(),
            };
            posts.store(conn);
            let mut per_query = Vec::new();
            for keys in [vec![(Key::Title, Order::Asc)], vec![(Key::AuthorName, Order::Desc), (Key::Score, Order::Asc)]] {
                let first = via::graph(conn, query(&keys).take(5)).unwrap();
                let cursor = first.metadata.next_cursor.unwrap();
                statements.take();
                let second = via::graph(conn, query(&keys).fields(["author.name"]).take(5).after(cursor)).unwrap();
                assert_eq!(second.data.len(), 5);
                assert_eq!(second.metadata.count, size as u64);
                per_query.push(statements.take().len());
            }
            counts.push(per_query);
        }
        assert!(counts[0].iter().all(|&n| n >= 2), "the page and its count: {counts:?}");
        assert_eq!(counts[0], counts[1]);
        assert_eq!(counts[1], counts[2]);
    }

    fn walks_match_a_model_sorted_in_memory(conn) {
        setup(conn);
        let conn = std::cell::RefCell::new(conn);
        let post = (
            select(&TITLES[..]),
            proptest::option::of(-2..4i64),
            proptest::option::of(select(&RATINGS[..])),
            0..6u32,
            proptest::option::of(0..3usize),
        )
            .prop_map(|(title, score, rating, posted, author)| PostRow { title, score, rating, posted, author });
        let key = (
            select(&[Key::Title, Key::Score, Key::Rating, Key::Posted, Key::AuthorName][..]),
            select(&[Order::Asc, Order::Desc][..]),
        );
        let strategy = (
            vec(post, 0..14),
            vec(key, 0..4),
            1..6u64,
            select(&FORMS[..]),
        );
        let config = Config { cases: 40, failure_persistence: None, ..Config::default() };
        TestRunner::new(config)
            .run(&strategy, |(posts, keys, take, form)| {
                let conn = &mut **conn.borrow_mut();
                let posts = Posts { authors: vec!["ada", "bob", "ada"], posts };
                posts.store(conn);
                let mut keys = keys;
                // A key repeated orders nothing more; the model keeps the first.
                let mut seen = Vec::new();
                keys.retain(|(key, _)| !seen.contains(key) && { seen.push(*key); true });
                prop_assert_eq!(walk(conn, form, &query(&keys), take), posts.sorted(&keys), "{:?}", keys);
                Ok(())
            })
            .unwrap();
    }
}
