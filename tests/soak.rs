//! A soak: many clients on one PostgreSQL database through an r2d2 pool, each running a
//! random mix of the link service's operations for a while, some on pairs every client
//! touches (so that batches meet, one-to-one links race, cascades cross), some on pairs of
//! its own (so that their final state is known). Then:
//!
//! - no operation ended in a raw database error: each returned its result or a typed error
//!   (a cardinality refusal, or `ErrorKind::Unavailable` after bounded retries);
//! - no record holds two live partners on a side that allows one, and no pair is live
//!   twice;
//! - each client's own pairs are exactly as its last successful operations left them;
//! - a batch that was refused wrote none of its pairs that were new.
//!
//! It runs for `LINK_SOAK_SECS` seconds (3 by default, as in CI) with `LINK_SOAK_CLIENTS`
//! clients (16), and prints a table of operations, outcomes and latencies
//! (`cargo test -p link-tests --test soak -- --nocapture`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use diesel::r2d2::{ConnectionManager, Pool};
use diesel::PgConnection;
use link_runtime::graph::{Graph, Query};
use link_runtime::service::{ListFilter, Modules};
use link_runtime::{Error, Id};
use link_test_support::TestSql;
use link_tests::links::{customer_wishlist, product_brand, product_tag};
use link_tests::modules::supplier::{Store, Supplier};
use link_tests::modules::{
    brand::Brand, customer::Customer, product::Product, tag::Tag, wishlist::Wishlist,
};

/// Products every client touches.
const SHARED_PRODUCTS: usize = 400;
/// Brands every client touches.
const BRANDS: usize = 40;
/// Customers and wishlists every client races for.
const PEOPLE: usize = 60;
/// Tags of the clients' own pairs.
const TAGS: usize = 8;
/// Products of each client's own.
const OWN_PRODUCTS: usize = 30;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// A small, seeded random number generator (xorshift64*): the soak needs no more.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn between(&mut self, low: usize, high: usize) -> usize {
        low + self.below(high - low + 1)
    }
}

/// The operations of the mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Op {
    Create,
    CreateMany,
    CreateManyWith,
    Dismiss,
    DismissMany,
    Delete,
    Restore,
    Graph,
    OneToOne,
    OwnWrite,
    RefusedBatch,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::CreateMany => "create_many",
            Op::CreateManyWith => "create_many_with",
            Op::Dismiss => "dismiss",
            Op::DismissMany => "dismiss_many",
            Op::Delete => "delete",
            Op::Restore => "restore",
            Op::Graph => "graph page",
            Op::OneToOne => "one-to-one race",
            Op::OwnWrite => "own pairs",
            Op::RefusedBatch => "refused batch",
        }
    }
}

/// How an operation ended.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Done,
    /// A typed refusal or a transient failure, by kind.
    Typed(&'static str),
    /// A database error that reached the caller as such: what must not happen.
    Raw(String),
}

fn outcome<T>(result: &Result<T, Error>) -> Outcome {
    match result {
        Ok(_) => Outcome::Done,
        Err(Error::Database(error)) => Outcome::Raw(error.to_string()),
        Err(error) => Outcome::Typed(error.kind().as_str()),
    }
}

#[derive(Default)]
struct Tally {
    latencies: BTreeMap<Op, Vec<Duration>>,
    outcomes: BTreeMap<(Op, Outcome), usize>,
    /// Pairs of a refused batch that were new before it and live after it.
    refused_but_written: Vec<String>,
}

impl Tally {
    fn record<T>(&mut self, op: Op, took: Duration, result: &Result<T, Error>) {
        self.latencies.entry(op).or_default().push(took);
        *self.outcomes.entry((op, outcome(result))).or_default() += 1;
    }

    fn merge(&mut self, other: Tally) {
        for (op, mut latencies) in other.latencies {
            self.latencies.entry(op).or_default().append(&mut latencies);
        }
        for (key, count) in other.outcomes {
            *self.outcomes.entry(key).or_default() += count;
        }
        self.refused_but_written.extend(other.refused_but_written);
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

fn ms(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1000.0)
}

fn shared_product(i: usize) -> Id<Product> {
    Product::id(format!("prod_{i:04}"))
}

fn brand(i: usize) -> Id<Brand> {
    Brand::id(format!("brand_{i:03}"))
}

fn own_product(client: usize, i: usize) -> Id<Product> {
    Product::id(format!("own_{client:02}_{i:03}"))
}

fn tag(i: usize) -> Id<Tag> {
    Tag::id(format!("tag_{i}"))
}

/// One client's run: its operations until `until`, and what its own pairs should be.
fn client(
    pool: Pool<ConnectionManager<PgConnection>>,
    number: usize,
    until: Instant,
) -> (Tally, BTreeSet<(String, String)>) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ ((number as u64 + 1) * 0x1000_0001));
    let mut tally = Tally::default();
    let mut own_live: BTreeSet<(String, String)> = BTreeSet::new();
    let mut deletions = Vec::new();

    let modules = Modules::<PgConnection>::new().with::<Supplier>();
    while Instant::now() < until {
        let mut conn = pool.get().expect("a connection from the pool");
        let conn = &mut *conn;
        let op = match rng.below(100) {
            0..=14 => Op::Create,
            15..=29 => Op::CreateMany,
            30..=39 => Op::CreateManyWith,
            40..=49 => Op::Dismiss,
            50..=59 => Op::DismissMany,
            60..=64 => Op::Delete,
            65..=69 => Op::Restore,
            70..=79 => Op::Graph,
            80..=87 => Op::OneToOne,
            88..=95 => Op::OwnWrite,
            _ => Op::RefusedBatch,
        };
        let started = Instant::now();
        match op {
            Op::Create => {
                // Mostly the product's own brand, as the batches give it; now and then
                // another, which a product that has its brand refuses.
                let product = rng.below(SHARED_PRODUCTS);
                let offset = usize::from(rng.below(40) == 0);
                let result = product_brand::Link::create(
                    conn,
                    shared_product(product),
                    brand((product + offset) % BRANDS),
                );
                tally.record(op, started.elapsed(), &result);
            }
            Op::CreateMany => {
                // Products in a window every client also writes to, each with a brand:
                // batches overlap, and some give a product a second brand (refused).
                let count = rng.between(10, 120);
                let start = rng.below(SHARED_PRODUCTS);
                let mut pairs = Vec::with_capacity(count + 1);
                let mut product = start;
                for _ in 0..count {
                    product = (product + rng.between(1, 3)) % SHARED_PRODUCTS;
                    pairs.push((shared_product(product), brand(product % BRANDS)));
                }
                if rng.below(4) == 0 {
                    let product = rng.below(SHARED_PRODUCTS);
                    pairs.push((shared_product(product), brand((product + 1) % BRANDS)));
                }
                let result = product_brand::Link::create_many(conn, &pairs);
                tally.record(op, started.elapsed(), &result);
            }
            Op::RefusedBatch => {
                // On the client's own products: new pairs, and one that gives a product
                // that has a brand a second one. The batch is refused, and none of its new
                // pairs may be live after it.
                let holder = own_product(number, 0);
                let held = product_brand::Link::create(conn, holder.clone(), brand(0));
                tally.record(Op::Create, started.elapsed(), &held);
                if held.is_err() {
                    continue;
                }
                let started = Instant::now();
                // Products 1.. of the client's own never get a brand: only refused batches
                // try to give them one.
                let mut fresh = Vec::new();
                for _ in 0..rng.between(5, 100) {
                    let product = own_product(number, 1 + rng.below(OWN_PRODUCTS - 1));
                    fresh.push((product, brand(rng.below(BRANDS))));
                }
                let mut pairs = fresh.clone();
                pairs.insert(rng.below(pairs.len() + 1), (holder, brand(1)));
                let result = product_brand::Link::create_many(conn, &pairs);
                tally.record(op, started.elapsed(), &result);
                match result {
                    Err(Error::Cardinality { .. }) => {
                        let written = live_brand_pairs(conn, &fresh);
                        tally
                            .refused_but_written
                            .extend(written.into_iter().map(|(p, b)| format!("{p}->{b}")));
                    }
                    Err(_) => {}
                    Ok(_) => tally
                        .refused_but_written
                        .push("the batch was not refused".into()),
                }
            }
            Op::CreateManyWith => {
                let count = rng.between(5, 60);
                let start = rng.below(SHARED_PRODUCTS);
                let rows: Vec<_> = (0..count)
                    .map(|i| {
                        (
                            shared_product((start + i) % SHARED_PRODUCTS),
                            tag(rng.below(TAGS)),
                            product_tag::Columns {
                                position: rng.below(100) as i32,
                                ..Default::default()
                            },
                        )
                    })
                    .collect();
                let result = product_tag::Link::create_many_with(conn, &rows);
                tally.record(op, started.elapsed(), &result);
            }
            Op::Dismiss => {
                // The product's own brand, or the other one that single creates give now
                // and then.
                let product = rng.below(SHARED_PRODUCTS);
                let offset = rng.below(2);
                let result = product_brand::Link::dismiss(
                    conn,
                    shared_product(product),
                    brand((product + offset) % BRANDS),
                );
                tally.record(op, started.elapsed(), &result);
            }
            Op::DismissMany => {
                let count = rng.between(10, 100);
                let start = rng.below(SHARED_PRODUCTS);
                let pairs: Vec<_> = (0..count)
                    .map(|i| {
                        let product = (start + i) % SHARED_PRODUCTS;
                        (shared_product(product), brand(product % BRANDS))
                    })
                    .collect();
                let result = product_brand::Link::dismiss_many(conn, &pairs);
                tally.record(op, started.elapsed(), &result);
            }
            Op::Delete => {
                let ids: Vec<_> = (0..rng.between(1, 5))
                    .map(|_| shared_product(rng.below(SHARED_PRODUCTS)))
                    .collect();
                let result = link_runtime::delete(conn, &modules, &ids);
                tally.record(op, started.elapsed(), &result);
                if let Ok(deletion) = result {
                    deletions.push(deletion);
                }
            }
            Op::Restore => {
                let Some(deletion) = deletions.pop() else {
                    continue;
                };
                let result = link_runtime::restore(conn, &modules, &deletion);
                // A record that found another partner meanwhile refuses its restore.
                tally.record(op, started.elapsed(), &result);
            }
            Op::Graph => {
                let result = Query::new(conn).graph(
                    Graph::entity("brand")
                        .fields(["id", "products.id", "products.tags.id"])
                        .skip(rng.below(BRANDS) as u64)
                        .take(5),
                );
                tally.record(op, started.elapsed(), &result);
            }
            Op::OneToOne => {
                let result = customer_wishlist::Link::create(
                    conn,
                    Customer::id(format!("cus_{}", rng.below(PEOPLE))),
                    Wishlist::id(format!("wish_{}", rng.below(PEOPLE))),
                );
                tally.record(op, started.elapsed(), &result);
            }
            Op::OwnWrite => {
                // The client's own pairs: no other client touches them, so what it did
                // last is what they are.
                let pairs: Vec<_> = (0..rng.between(1, 20))
                    .map(|_| {
                        (
                            own_product(number, rng.below(OWN_PRODUCTS)),
                            tag(rng.below(TAGS)),
                        )
                    })
                    .collect();
                let create = rng.below(2) == 0;
                let result = if create {
                    product_tag::Link::create_many(conn, &pairs).map(drop)
                } else {
                    product_tag::Link::dismiss_many(conn, &pairs).map(drop)
                };
                tally.record(op, started.elapsed(), &result);
                if result.is_ok() {
                    for (product, tag) in pairs {
                        let key = (product.into_inner(), tag.into_inner());
                        if create {
                            own_live.insert(key);
                        } else {
                            own_live.remove(&key);
                        }
                    }
                }
            }
        }
    }
    (tally, own_live)
}

fn live_brand_pairs(
    conn: &mut PgConnection,
    pairs: &[(Id<Product>, Id<Brand>)],
) -> BTreeSet<(String, String)> {
    let wanted: BTreeSet<(String, String)> = pairs
        .iter()
        .map(|(p, b)| (p.as_str().to_owned(), b.as_str().to_owned()))
        .collect();
    let filter = ListFilter::new().left(pairs.iter().map(|(p, _)| p.clone()));
    product_brand::Link::list(conn, &filter)
        .map(|rows| {
            rows.into_iter()
                .map(|row| (row.product_id.into_inner(), row.brand_id.into_inner()))
                .filter(|pair| wanted.contains(pair))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn many_clients_leave_the_links_consistent_and_get_no_raw_database_error() {
    let Some(database) = link_test_support::postgres_database("soak") else {
        return;
    };
    let seconds = env_number("LINK_SOAK_SECS", 3);
    let clients = env_number("LINK_SOAK_CLIENTS", 16) as usize;
    let pool = Pool::builder()
        .max_size(clients as u32)
        .build(ConnectionManager::<PgConnection>::new(database.url()))
        .expect("the pool connects");
    {
        let mut conn = pool.get().unwrap();
        link_runtime::migrate(&mut *conn).unwrap();
        conn.migrate_suppliers().unwrap();
        // The modules' tables the graph pages read.
        let mut sql = String::from(
            "CREATE TABLE brands (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
             CREATE TABLE products (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
             CREATE TABLE tags (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);",
        );
        for i in 0..BRANDS {
            sql.push_str(&format!(
                "INSERT INTO brands VALUES ('{}', 'Brand {i}');",
                brand(i).as_str()
            ));
        }
        for i in 0..SHARED_PRODUCTS {
            let id = shared_product(i);
            sql.push_str(&format!(
                "INSERT INTO products VALUES ('{}', 'Product {i}');",
                id.as_str()
            ));
        }
        for i in 0..TAGS {
            sql.push_str(&format!(
                "INSERT INTO tags VALUES ('{}', 'Tag {i}');",
                tag(i).as_str()
            ));
        }
        diesel::connection::SimpleConnection::batch_execute(&mut *conn, &sql).unwrap();
    }

    let start = Arc::new(Barrier::new(clients));
    let until = Arc::new(Mutex::new(None::<Instant>));
    let handles: Vec<_> = (0..clients)
        .map(|number| {
            let (pool, start, until) = (pool.clone(), Arc::clone(&start), Arc::clone(&until));
            std::thread::spawn(move || {
                if start.wait().is_leader() {
                    *until.lock().unwrap() = Some(Instant::now() + Duration::from_secs(seconds));
                }
                let deadline = loop {
                    if let Some(deadline) = *until.lock().unwrap() {
                        break deadline;
                    }
                    std::thread::yield_now();
                };
                client(pool, number, deadline)
            })
        })
        .collect();
    let mut tally = Tally::default();
    let mut own = Vec::new();
    for handle in handles {
        let (client_tally, own_live) = handle.join().expect("a client does not panic");
        tally.merge(client_tally);
        own.push(own_live);
    }

    // The table.
    println!("\nsoak: {clients} clients, {seconds} s, PostgreSQL\n");
    println!("| operation | count | ops/s | p50 ms | p99 ms | max ms | outcomes |");
    println!("|---|---|---|---|---|---|---|");
    for (op, latencies) in &mut tally.latencies {
        latencies.sort();
        let outcomes: Vec<String> = tally
            .outcomes
            .iter()
            .filter(|((o, _), _)| o == op)
            .map(|((_, outcome), count)| match outcome {
                Outcome::Done => format!("{count} done"),
                Outcome::Typed(kind) => format!("{count} {kind}"),
                Outcome::Raw(_) => format!("{count} RAW"),
            })
            .collect();
        println!(
            "| {} | {} | {:.0} | {} | {} | {} | {} |",
            op.name(),
            latencies.len(),
            latencies.len() as f64 / seconds as f64,
            ms(percentile(latencies, 0.5)),
            ms(percentile(latencies, 0.99)),
            ms(*latencies.last().unwrap()),
            outcomes.join(", ")
        );
    }

    let raw: Vec<String> = tally
        .outcomes
        .iter()
        .filter_map(|((op, outcome), count)| match outcome {
            Outcome::Raw(message) => Some(format!("{} ×{count}: {message}", op.name())),
            _ => None,
        })
        .collect();
    assert!(raw.is_empty(), "raw database errors:\n{}", raw.join("\n"));
    assert!(
        tally.refused_but_written.is_empty(),
        "refused batches wrote: {:?}",
        tally.refused_but_written
    );

    // The invariants, read from the database.
    let mut conn = pool.get().unwrap();
    let two_brands = conn.texts(
        "SELECT product_id FROM product_product_brand_brand WHERE deleted_at IS NULL \
         GROUP BY product_id HAVING COUNT(*) > 1",
        &[],
    );
    assert!(
        two_brands.is_empty(),
        "products with two brands: {two_brands:?}"
    );
    for side in ["customer_id", "wishlist_id"] {
        let doubled = conn.texts(
            &format!(
                "SELECT {side} FROM customer_customer_wishlist_wishlist \
                 WHERE deleted_at IS NULL GROUP BY {side} HAVING COUNT(*) > 1"
            ),
            &[],
        );
        assert!(doubled.is_empty(), "{side} with two partners: {doubled:?}");
    }
    for (number, expected) in own.into_iter().enumerate() {
        let products: Vec<_> = (0..OWN_PRODUCTS).map(|i| own_product(number, i)).collect();
        let live: BTreeSet<(String, String)> =
            product_tag::Link::list(&mut *conn, &ListFilter::new().left(products))
                .unwrap()
                .into_iter()
                .map(|row| (row.product_id.into_inner(), row.tag_id.into_inner()))
                .collect();
        assert_eq!(live, expected, "client {number}'s own pairs");
    }
}
