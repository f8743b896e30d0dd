//! The storefront under load: the real server on 127.0.0.1, 64 clients (one tokio task
//! each, one shared reqwest client) sending a seeded random mix of store reads, graph
//! queries, link writes and bad queries for a bounded time, against a store whose pool has 8
//! connections, on a SQLite file and on PostgreSQL (when `LINK_TEST_POSTGRES_URL` is set).
//! Each backend is served two ways, on fresh databases with the same catalog and the same
//! mix: by [`storefront::router`] on the async driver, and by
//! [`storefront::blocking::router`], the blocking driver called through `spawn_blocking`.
//!
//! Every answer is checked against what its request may answer, from the catalog and what
//! the client itself wrote; a wrong answer, a 5xx or a transport error fails the test. It
//! prints a table per run and the two ways' ratios:
//!
//! ```text
//! LINK_LOAD_SECS=30 cargo test --release -p storefront --test load -- --nocapture
//! ```
//!
//! `LINK_LOAD_SECS` is each run's length (3 s by default, as CI runs it). The server runs
//! on a runtime of its own (2 workers, and tokio's blocking threads), the clients on the
//! test's (2 workers): on one machine, they share its cores.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use link_runtime::databases::SqliteSettings;
use link_runtime::{Id, LinkConnection};
use reqwest::Client;
use serde_json::{json, Value};
use storefront::links::{customer_wishlist, product_brand};
use storefront::modules::{brand::Brand, customer::Customer, product::Product, wishlist::Wishlist};

/// Concurrent clients.
const CLIENTS: usize = 64;
/// The store's pool.
const POOL: usize = 8;
/// Brands in the catalog.
const BRANDS: usize = 50;
/// Products in the catalog, product `i` with brand `i % BRANDS`. None is deleted or
/// relinked during a run, so that what a request about one may answer is known.
const PRODUCTS: usize = 1_000;
/// Products of each client's own, without a brand at first: the client links and deletes
/// them, and knows what each answer must be.
const OWN: usize = 8;
/// The page size of the list requests.
const PAGE: usize = 12;

/// One run at a time in this file: two runs at once would measure each other.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn seconds() -> u64 {
    std::env::var("LINK_LOAD_SECS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(3)
}

fn brand_id(b: usize) -> String {
    format!("brand_{b:02}")
}

fn brand_name(b: usize) -> String {
    format!("Maker{b:02}")
}

fn product_id(i: usize) -> String {
    format!("prod_{i:04}")
}

/// Titles that sort the same by bytes and under a locale's collation (a word, a space,
/// four digits), in an order that is not the ids'.
fn product_title(i: usize) -> String {
    const WORDS: [&str; 10] = [
        "Vase", "Kettle", "Rug", "Chair", "Teapot", "Lamp", "Mug", "Desk", "Clock", "Toaster",
    ];
    format!("{} {i:04}", WORDS[(i / BRANDS) % WORDS.len()])
}

fn own_id(client: usize, k: usize) -> String {
    format!("prod_c{client:02}_{k}")
}

fn own_title(client: usize, k: usize) -> String {
    format!("Own {:04}", PRODUCTS + client * OWN + k)
}

fn wishlist_id(client: usize) -> String {
    format!("wl_{client:02}")
}

/// Fills a database whose tables exist: the brands, the catalog with its brands, each
/// client's own products, and a customer with a wishlist per client.
fn seed<C: LinkConnection + SimpleConnection>(conn: &mut C) {
    let mut sql = String::from("BEGIN;");
    for b in 0..BRANDS {
        let _ = write!(
            sql,
            "INSERT INTO brand (id, name) VALUES ('{}', '{}');",
            brand_id(b),
            brand_name(b)
        );
    }
    for i in 0..PRODUCTS {
        let _ = write!(
            sql,
            "INSERT INTO product (id, title) VALUES ('{}', '{}');",
            product_id(i),
            product_title(i)
        );
    }
    for client in 0..CLIENTS {
        for k in 0..OWN {
            let _ = write!(
                sql,
                "INSERT INTO product (id, title) VALUES ('{}', '{}');",
                own_id(client, k),
                own_title(client, k)
            );
        }
        let _ = write!(
            sql,
            "INSERT INTO customer (id, email) VALUES ('cus_{client:02}', 'c{client}@example.com');
             INSERT INTO wishlist (id) VALUES ('{}');",
            wishlist_id(client)
        );
    }
    sql.push_str("COMMIT;");
    conn.batch_execute(&sql).expect("the catalog is written");
    let brands: Vec<(Id<Product>, Id<Brand>)> = (0..PRODUCTS)
        .map(|i| (Product::id(product_id(i)), Brand::id(brand_id(i % BRANDS))))
        .collect();
    link_runtime::service::create_many::<product_brand::Link, _>(conn, &brands)
        .expect("the catalog's brands are linked");
    let wishlists: Vec<(Id<Customer>, Id<Wishlist>)> = (0..CLIENTS)
        .map(|c| {
            (
                Customer::id(format!("cus_{c:02}")),
                Wishlist::id(wishlist_id(c)),
            )
        })
        .collect();
    link_runtime::service::create_many::<customer_wishlist::Link, _>(conn, &wishlists)
        .expect("each customer has a wishlist");
}

/// A small, seeded random number generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The kinds of request of the mix, and their weights out of 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// `GET /store/products`, a page of one brand's products.
    List,
    /// `POST /store/graph`, brands with their products or one product with its brand.
    Graph,
    /// `POST /admin/links/product-brand`.
    LinkBrand,
    /// `POST /admin/wishlists/{id}/products`.
    Wishlist,
    /// `DELETE /admin/products/{id}`.
    Delete,
    /// A query or write the service must refuse with a 4xx.
    Bad,
}

const MIX: [(Kind, usize); 6] = [
    (Kind::List, 35),
    (Kind::Graph, 25),
    (Kind::LinkBrand, 15),
    (Kind::Wishlist, 8),
    (Kind::Delete, 2),
    (Kind::Bad, 15),
];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::List => "list",
            Kind::Graph => "graph",
            Kind::LinkBrand => "link product-brand",
            Kind::Wishlist => "wishlist add",
            Kind::Delete => "delete product",
            Kind::Bad => "bad query",
        }
    }

    fn pick(rng: &mut Rng) -> Kind {
        let mut roll = rng.below(100);
        for (kind, weight) in MIX {
            if roll < weight {
                return kind;
            }
            roll -= weight;
        }
        unreachable!("the weights add up to 100")
    }
}

/// An own product, as its client last left it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Own {
    Unbranded,
    Branded(usize),
    Deleted,
}

/// One answer: its status, its body and how long it took, from sending the request to the
/// last byte of the body.
struct Reply {
    status: u16,
    body: Value,
    latency: Duration,
}

/// Sends a request and reads its answer: a transport error, a body that is not JSON or a
/// 5xx is a failure.
async fn send(request: reqwest::RequestBuilder) -> Result<Reply, String> {
    let started = Instant::now();
    let response = request
        .send()
        .await
        .map_err(|error| format!("transport error: {error}"))?;
    let status = response.status().as_u16();
    let bytes = response
        .bytes()
        .await
        .map_err(|error| format!("transport error: {error}"))?;
    let latency = started.elapsed();
    let body: Value = serde_json::from_slice(&bytes).map_err(|error| {
        format!(
            "{status}: not JSON ({error}): {}",
            String::from_utf8_lossy(&bytes)
        )
    })?;
    if status >= 500 {
        return Err(format!("{status}: {body}"));
    }
    Ok(Reply {
        status,
        body,
        latency,
    })
}

macro_rules! ensure {
    ($cond:expr, $($message:tt)+) => {
        if !$cond {
            return Err(format!($($message)+));
        }
    };
}

/// An answer's status must be `status`; for an error, its body must be of type `kind`.
fn expect(reply: &Reply, what: &str, status: u16, kind: Option<&str>) -> Result<(), String> {
    ensure!(
        reply.status == status,
        "{what}: expected {status}, got {}: {}",
        reply.status,
        reply.body
    );
    if let Some(kind) = kind {
        ensure!(
            reply.body["type"] == kind && reply.body["message"].is_string(),
            "{what}: expected a `{kind}` error: {}",
            reply.body
        );
    }
    Ok(())
}

/// A client: its number, its random numbers, and what it has written.
struct Shopper {
    number: usize,
    rng: Rng,
    http: Client,
    base: String,
    own: [Own; OWN],
    wished: BTreeSet<usize>,
}

impl Shopper {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends one request of `kind` and checks its answer.
    async fn request(&mut self, kind: Kind) -> Result<Reply, String> {
        match kind {
            Kind::List => self.list().await,
            Kind::Graph => self.graph().await,
            Kind::LinkBrand => self.link_brand().await,
            Kind::Wishlist => self.wishlist().await,
            Kind::Delete => self.delete().await,
            Kind::Bad => self.bad().await,
        }
    }

    /// A page of a brand's products, by title: each of them that brand's, in order, at least
    /// as many as the brand's catalog products leave after the offset.
    async fn list(&mut self) -> Result<Reply, String> {
        let b = self.rng.below(BRANDS);
        let offset = self.rng.below(PRODUCTS / BRANDS + 5);
        let path = format!(
            "/store/products?fields=id,title,brand.*&brand[name]={}&limit={PAGE}&offset={offset}&order=title",
            brand_name(b)
        );
        let reply = send(self.http.get(self.url(&path))).await?;
        expect(&reply, &path, 200, None)?;
        let body = &reply.body;
        let products = body["products"]
            .as_array()
            .ok_or_else(|| format!("{path}: {body}"))?;
        let count = body["count"].as_u64().unwrap_or(0) as usize;
        // The brand's catalog products, and at most every own product besides.
        ensure!(
            (PRODUCTS / BRANDS..=PRODUCTS / BRANDS + CLIENTS * OWN).contains(&count),
            "{path}: count {count}: {body}"
        );
        // The page and the count are two statements, each seeing the links written before
        // it: with other clients linking and deleting their own products in between, they
        // may differ by those. The brand's catalog products are there throughout.
        let catalog = PRODUCTS / BRANDS;
        ensure!(
            (PAGE.min(catalog.saturating_sub(offset))..=PAGE).contains(&products.len())
                && body["offset"] == offset
                && body["limit"] == PAGE,
            "{path}: {} products of {count}: {body}",
            products.len()
        );
        let mut previous = String::new();
        for product in products {
            let (id, title) = (product["id"].as_str(), product["title"].as_str());
            let (Some(id), Some(title)) = (id, title) else {
                return Err(format!("{path}: {product}"));
            };
            ensure!(
                product["brand"] == json!({ "id": brand_id(b), "name": brand_name(b) }),
                "{path}: another brand: {product}"
            );
            if let Some(i) = id
                .strip_prefix("prod_")
                .and_then(|n| n.parse::<usize>().ok())
            {
                ensure!(
                    i % BRANDS == b && title == product_title(i),
                    "{path}: {product}"
                );
            }
            ensure!(title >= previous.as_str(), "{path}: out of order: {body}");
            previous = title.to_owned();
        }
        Ok(reply)
    }

    /// Five brands by name with their products, or one product with its brand.
    async fn graph(&mut self) -> Result<Reply, String> {
        if self.rng.below(2) == 0 {
            let skip = self.rng.below(BRANDS - 4);
            let query = json!({
                "entity": "brand",
                "fields": ["name", "products.title"],
                "pagination": { "take": 5, "skip": skip, "order": { "name": "ASC" } },
            });
            let reply = send(self.http.post(self.url("/store/graph")).json(&query)).await?;
            expect(&reply, &query.to_string(), 200, None)?;
            let data = reply.body["data"].as_array();
            let Some(data) = data.filter(|data| data.len() == 5) else {
                return Err(format!("{query}: {}", reply.body));
            };
            ensure!(
                reply.body["metadata"]["count"] == BRANDS,
                "{query}: {}",
                reply.body
            );
            for (j, brand) in data.iter().enumerate() {
                let b = skip + j;
                ensure!(brand["name"] == brand_name(b), "{query}: {brand}");
                let titles: BTreeSet<&str> = brand["products"]
                    .as_array()
                    .map(|products| {
                        products
                            .iter()
                            .filter_map(|product| product["title"].as_str())
                            .collect()
                    })
                    .unwrap_or_default();
                // The catalog's products of the brand, and maybe own products besides.
                let missing = (b..PRODUCTS)
                    .step_by(BRANDS)
                    .find(|i| !titles.contains(product_title(*i).as_str()));
                ensure!(
                    missing.is_none(),
                    "{query}: {} is missing: {brand}",
                    product_id(missing.unwrap_or_default())
                );
            }
            Ok(reply)
        } else {
            let i = self.rng.below(PRODUCTS);
            let query = json!({
                "entity": "product",
                "fields": ["id", "title", "brand.name"],
                "filters": { "id": product_id(i) },
            });
            let reply = send(self.http.post(self.url("/store/graph")).json(&query)).await?;
            expect(&reply, &query.to_string(), 200, None)?;
            let expected = json!([{
                "id": product_id(i),
                "title": product_title(i),
                "brand": { "name": brand_name(i % BRANDS) },
            }]);
            ensure!(reply.body["data"] == expected, "{query}: {}", reply.body);
            Ok(reply)
        }
    }

    /// A catalog product and its own brand (200), or another brand (409); or one of the
    /// client's own products and a brand: 201 the first time, then 200 for the same brand
    /// and 409 for another, 404 once deleted.
    async fn link_brand(&mut self) -> Result<Reply, String> {
        let roll = self.rng.below(10);
        let (product, b, expected) = if roll < 4 {
            let i = self.rng.below(PRODUCTS);
            (product_id(i), i % BRANDS, (200, "unchanged"))
        } else if roll < 7 {
            let i = self.rng.below(PRODUCTS);
            let other = (i % BRANDS + 1 + self.rng.below(BRANDS - 1)) % BRANDS;
            (product_id(i), other, (409, "conflict"))
        } else {
            let k = self.rng.below(OWN);
            let b = self.rng.below(BRANDS);
            let expected = match self.own[k] {
                Own::Unbranded => {
                    self.own[k] = Own::Branded(b);
                    (201, "inserted")
                }
                Own::Branded(linked) if linked == b => (200, "unchanged"),
                Own::Branded(_) => (409, "conflict"),
                Own::Deleted => (404, "not_found"),
            };
            (own_id(self.number, k), b, expected)
        };
        let pair = json!({ "product_id": product, "brand_id": brand_id(b) });
        let reply = send(
            self.http
                .post(self.url("/admin/links/product-brand"))
                .json(&pair),
        )
        .await?;
        match expected {
            (status @ (200 | 201), created) => {
                expect(&reply, &pair.to_string(), status, None)?;
                ensure!(
                    reply.body
                        == json!({
                            "product_id": product,
                            "brand_id": brand_id(b),
                            "created": created,
                        }),
                    "{pair}: {}",
                    reply.body
                );
            }
            (status, kind) => expect(&reply, &pair.to_string(), status, Some(kind))?,
        }
        Ok(reply)
    }

    /// A catalog product into the client's wishlist: inserted the first time, updated
    /// after.
    async fn wishlist(&mut self) -> Result<Reply, String> {
        let i = self.rng.below(PRODUCTS);
        let quantity = 1 + self.rng.below(5);
        let path = format!("/admin/wishlists/{}/products", wishlist_id(self.number));
        let wished = json!({ "product_id": product_id(i), "quantity": quantity });
        let reply = send(self.http.post(self.url(&path)).json(&wished)).await?;
        let created = if self.wished.insert(i) {
            "inserted"
        } else {
            "updated"
        };
        expect(&reply, &path, 201, None)?;
        let expected = json!({
            "wishlist_id": wishlist_id(self.number),
            "product_id": product_id(i),
            "quantity": quantity,
            "created": created,
        });
        ensure!(reply.body == expected, "{path} {wished}: {}", reply.body);
        Ok(reply)
    }

    /// One of the client's own products: 200 the first time, 404 after.
    async fn delete(&mut self) -> Result<Reply, String> {
        let k = self.rng.below(OWN);
        let id = own_id(self.number, k);
        let path = format!("/admin/products/{id}");
        let reply = send(self.http.delete(self.url(&path))).await?;
        if self.own[k] == Own::Deleted {
            expect(&reply, &path, 404, Some("not_found"))?;
        } else {
            expect(&reply, &path, 200, None)?;
            ensure!(
                reply.body == json!({ "id": id, "object": "product", "deleted": true }),
                "{path}: {}",
                reply.body
            );
            self.own[k] = Own::Deleted;
        }
        Ok(reply)
    }

    /// What the service must refuse.
    async fn bad(&mut self) -> Result<Reply, String> {
        let graph = self.url("/store/graph");
        match self.rng.below(6) {
            0 => {
                // A field the product does not have: under the store's scope, a name the
                // scope does not list is refused whether or not it exists.
                let path = "/store/products?fields=id,nope&limit=12";
                let reply = send(self.http.get(self.url(path))).await?;
                expect(&reply, path, 403, Some("forbidden"))?;
                Ok(reply)
            }
            1 => {
                let path = "/store/products?fields=id&limit=ten";
                let reply = send(self.http.get(self.url(path))).await?;
                expect(&reply, path, 400, Some("invalid"))?;
                Ok(reply)
            }
            2 => {
                let query =
                    json!({ "entity": "product", "fields": ["id", "wishlists.customer.email"] });
                let reply = send(self.http.post(graph).json(&query)).await?;
                expect(&reply, &query.to_string(), 403, Some("forbidden"))?;
                ensure!(
                    !reply.body.to_string().contains("@example.com"),
                    "{query}: {}",
                    reply.body
                );
                Ok(reply)
            }
            3 => {
                let body = r#"{"entity": "product", "fields": ["id""#;
                let request = self
                    .http
                    .post(graph)
                    .header("content-type", "application/json")
                    .body(body);
                let reply = send(request).await?;
                expect(&reply, body, 400, Some("invalid"))?;
                Ok(reply)
            }
            4 => {
                let query = json!({ "entity": "product", "fields": ["id"], "nope": 1 });
                let reply = send(self.http.post(graph).json(&query)).await?;
                expect(&reply, &query.to_string(), 400, Some("invalid"))?;
                Ok(reply)
            }
            _ => {
                let pair = json!({ "product_id": "prod_9999", "brand_id": brand_id(0) });
                let request = self
                    .http
                    .post(self.url("/admin/links/product-brand"))
                    .json(&pair);
                let reply = send(request).await?;
                expect(&reply, &pair.to_string(), 404, Some("not_found"))?;
                Ok(reply)
            }
        }
    }
}

/// What a run's clients saw, per kind: latencies and statuses.
#[derive(Default)]
struct Tally {
    latencies: BTreeMap<Kind, Vec<Duration>>,
    statuses: BTreeMap<(Kind, u16), usize>,
}

impl Tally {
    fn add(&mut self, kind: Kind, reply: &Reply) {
        self.latencies.entry(kind).or_default().push(reply.latency);
        *self.statuses.entry((kind, reply.status)).or_default() += 1;
    }

    fn merge(&mut self, other: Tally) {
        for (kind, latencies) in other.latencies {
            self.latencies.entry(kind).or_default().extend(latencies);
        }
        for (key, count) in other.statuses {
            *self.statuses.entry(key).or_default() += count;
        }
    }
}

/// A row of a run's table.
struct Row {
    name: &'static str,
    requests: usize,
    per_second: f64,
    p50: Duration,
    p99: Duration,
    statuses: String,
}

/// A run's figures.
struct Run {
    rows: Vec<Row>,
    elapsed: Duration,
    load: (String, String),
    /// The CPU time the process (server and clients) spent during the run, when Linux says.
    cpu: Option<Duration>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

fn ms(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1000.0)
}

/// The CPU time (user and system) this process has spent so far, from `/proc/self/stat`
/// (in Linux's clock ticks of 10 ms); `None` elsewhere.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command's name, which is in parentheses: utime is the 14th
    // field of the line, stime the 15th.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".to_owned())
}

impl Run {
    fn new(
        mut tally: Tally,
        elapsed: Duration,
        load: (String, String),
        cpu: Option<Duration>,
    ) -> Run {
        let rows_of = |name, latencies: &mut Vec<Duration>, statuses: Vec<(u16, usize)>| {
            latencies.sort();
            Row {
                name,
                requests: latencies.len(),
                per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
                p50: percentile(latencies, 0.5),
                p99: percentile(latencies, 0.99),
                statuses: statuses
                    .iter()
                    .map(|(status, count)| format!("{count}× {status}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        };
        let mut rows = Vec::new();
        let mut all = Vec::new();
        let mut all_statuses = BTreeMap::<u16, usize>::new();
        for (kind, latencies) in &mut tally.latencies {
            all.extend_from_slice(latencies);
            let statuses: Vec<(u16, usize)> = tally
                .statuses
                .iter()
                .filter(|((k, _), _)| k == kind)
                .map(|((_, status), count)| {
                    *all_statuses.entry(*status).or_default() += count;
                    (*status, *count)
                })
                .collect();
            rows.push(rows_of(kind.name(), latencies, statuses));
        }
        rows.push(rows_of("all", &mut all, all_statuses.into_iter().collect()));
        Run {
            rows,
            elapsed,
            load,
            cpu,
        }
    }

    fn print(&self, title: &str) {
        println!(
            "\n{title}: {CLIENTS} clients, pool of {POOL}, {:.1} s, load average {} before, {} after\n",
            self.elapsed.as_secs_f64(),
            self.load.0,
            self.load.1
        );
        if let Some(cpu) = self.cpu {
            let requests = self.rows.last().map_or(0, |all| all.requests).max(1);
            println!(
                "CPU time of the process (server and clients): {:.1} s, {:.0} µs per request\n",
                cpu.as_secs_f64(),
                cpu.as_secs_f64() * 1e6 / requests as f64
            );
        }
        println!("| kind | requests | req/s | p50 ms | p99 ms | statuses |");
        println!("|---|---|---|---|---|---|");
        for row in &self.rows {
            println!(
                "| {} | {} | {:.0} | {} | {} | {} |",
                row.name,
                row.requests,
                row.per_second,
                ms(row.p50),
                ms(row.p99),
                row.statuses
            );
        }
    }
}

/// The async driver's run against the blocking one's: throughput and p99 of each kind.
fn compare(backend: &str, fast: &Run, slow: &Run) {
    println!("\n{backend}: the async driver against the blocking one through spawn_blocking\n");
    println!("| kind | req/s async | req/s blocking | async / blocking | p99 ms async | p99 ms blocking | async / blocking |");
    println!("|---|---|---|---|---|---|---|");
    for row in &fast.rows {
        let Some(other) = slow.rows.iter().find(|other| other.name == row.name) else {
            continue;
        };
        println!(
            "| {} | {:.0} | {:.0} | **{:.2}×** | {} | {} | **{:.2}×** |",
            row.name,
            row.per_second,
            other.per_second,
            row.per_second / other.per_second,
            ms(row.p99),
            ms(other.p99),
            row.p99.as_secs_f64() / other.p99.as_secs_f64()
        );
    }
    let per_request = |run: &Run| {
        let requests = run.rows.last().map_or(0, |all| all.requests).max(1);
        run.cpu.map(|cpu| cpu.as_secs_f64() * 1e6 / requests as f64)
    };
    if let (Some(fast_cpu), Some(slow_cpu)) = (per_request(fast), per_request(slow)) {
        println!(
            "\nCPU per request (server and clients): {fast_cpu:.0} µs async, {slow_cpu:.0} µs blocking: **{:.2}×**",
            fast_cpu / slow_cpu
        );
    }
}

/// The server's own runtime, on a thread of its own, as a separate process would have it:
/// its tasks do not queue behind the clients'. `make` builds the store and seeds it there.
/// Answers the address it listens on, and what stops it.
async fn serve<F>(
    make: F,
) -> (
    SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    std::thread::JoinHandle<()>,
)
where
    F: std::future::Future<Output = axum::Router> + Send + 'static,
{
    let (listening, address) = tokio::sync::oneshot::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let router = make.await;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            listening.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
    });
    let address = address.await.expect("the server starts");
    (address, stop, thread)
}

/// Serves the router `make` builds on 127.0.0.1 and runs the mix against it for
/// [`seconds`]; fails on a wrong answer, a 5xx or a transport error.
async fn run<F>(make: F) -> Run
where
    F: std::future::Future<Output = axum::Router> + Send + 'static,
{
    let (address, stop, server) = serve(make).await;
    let base = format!("http://{address}");
    let http = Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();

    let load_before = load_average();
    let cpu_before = cpu_time();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds());
    let clients: Vec<_> = (0..CLIENTS)
        .map(|number| {
            let mut client = Shopper {
                number,
                rng: Rng::new(0x5eed + number as u64),
                http: http.clone(),
                base: base.clone(),
                own: [Own::Unbranded; OWN],
                wished: BTreeSet::new(),
            };
            tokio::spawn(async move {
                let mut tally = Tally::default();
                while Instant::now() < deadline {
                    let kind = Kind::pick(&mut client.rng);
                    match client.request(kind).await {
                        Ok(reply) => tally.add(kind, &reply),
                        Err(failure) => return Err(format!("client {number}: {failure}")),
                    }
                }
                Ok(tally)
            })
        })
        .collect();
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    for client in clients {
        match client.await.expect("a client does not panic") {
            Ok(client_tally) => tally.merge(client_tally),
            Err(failure) => failures.push(failure),
        }
    }
    let elapsed = started.elapsed();
    let load_after = load_average();
    let cpu = cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let _ = stop.send(());
    tokio::task::spawn_blocking(move || server.join())
        .await
        .unwrap()
        .expect("the server stops");
    assert!(
        failures.is_empty(),
        "wrong answers:\n{}",
        failures.join("\n")
    );
    let run = Run::new(tally, elapsed, (load_before, load_after), cpu);
    // Every kind ran, and every request of it was answered as it may be.
    assert_eq!(run.rows.len(), MIX.len() + 1, "a kind never ran");
    run
}

/// A directory of a test's, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let path =
            std::env::temp_dir().join(format!("storefront-load-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn file(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_storefront_under_load_on_sqlite() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = TempDir::new("sqlite");

    let path = dir.file("async.db");
    let fast = run(async move {
        let store = storefront::Store::sqlite_file_pool(&path, POOL)
            .await
            .unwrap();
        tokio::task::spawn_blocking(move || {
            seed(&mut SqliteSettings::new().establish(&path).unwrap())
        })
        .await
        .unwrap();
        storefront::router(store)
    })
    .await;
    fast.print("SQLite file, async driver");

    let path = dir.file("blocking.db");
    let slow = run(async move {
        let store = tokio::task::spawn_blocking(move || {
            let store = storefront::blocking::Store::sqlite_file_pool(&path, POOL).unwrap();
            seed(&mut SqliteSettings::new().establish(&path).unwrap());
            store
        })
        .await
        .unwrap();
        storefront::blocking::router(store)
    })
    .await;
    slow.print("SQLite file, blocking driver through spawn_blocking");
    compare("SQLite file", &fast, &slow);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_storefront_under_load_on_postgres() {
    let _one = ONE_AT_A_TIME.lock().await;
    let databases = tokio::task::spawn_blocking(|| {
        Some((
            link_test_support::postgres_database("storefront_load_async")?,
            link_test_support::postgres_database("storefront_load_blocking")?,
        ))
    })
    .await
    .unwrap();
    let Some((first, second)) = databases else {
        return;
    };

    let (url, database) = (first.url().to_owned(), Arc::new(first));
    let seeding = Arc::clone(&database);
    let fast = run(async move {
        let store = storefront::Store::postgres_pool(&url, POOL).await.unwrap();
        tokio::task::spawn_blocking(move || seed(&mut seeding.connect()))
            .await
            .unwrap();
        storefront::router(store)
    })
    .await;
    fast.print("PostgreSQL, async driver");
    drop(database);

    let (url, database) = (second.url().to_owned(), Arc::new(second));
    let seeding = Arc::clone(&database);
    let slow = run(async move {
        let store = tokio::task::spawn_blocking(move || {
            let store = storefront::blocking::Store::postgres_pool(&url, POOL).unwrap();
            seed(&mut seeding.connect());
            store
        })
        .await
        .unwrap();
        storefront::blocking::router(store)
    })
    .await;
    slow.print("PostgreSQL, blocking driver through spawn_blocking");
    compare("PostgreSQL", &fast, &slow);
}
