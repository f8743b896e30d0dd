//! Cardinality under concurrent writers, on PostgreSQL: clients racing to create links
//! leave the database consistent, and every loser gets a typed outcome. Each race runs
//! through both drivers: the clients write with the blocking API, or with
//! `link_runtime::aio` on connections of their own.

use std::sync::{Arc, Barrier};
use std::thread;

use link_runtime::service::ListFilter;
use link_runtime::{Created, Error};
use link_test_support::via::{self, Via};
use link_test_support::Driver;
use link_tests::links::customer_wishlist;
use link_tests::modules::{customer::Customer, wishlist::Wishlist};

const CLIENTS: usize = 8;

/// Runs `write` on `CLIENTS` connections to the test's schema at once, through `driver`;
/// returns each client's outcome.
fn race<T: Send + 'static>(
    driver: Driver,
    db: &link_test_support::PgSchema,
    write: impl Fn(usize, &mut diesel::PgConnection) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let url = std::env::var(link_test_support::POSTGRES_URL).expect("the schema's server");
    let schema = db.name().to_owned();
    let write = Arc::new(write);
    let start = Arc::new(Barrier::new(CLIENTS));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let mut conn = db.connect_again();
            let (write, start) = (Arc::clone(&write), Arc::clone(&start));
            let (url, schema) = (url.clone(), schema.clone());
            thread::spawn(move || {
                let _mirror = driver.mirror_postgres(&url, Some(&schema));
                start.wait();
                write(client, &mut conn)
            })
        })
        .collect();
    clients
        .into_iter()
        .map(|client| client.join().expect("a client does not panic"))
        .collect()
}

fn live_pairs(conn: &mut diesel::PgConnection) -> Vec<(String, String)> {
    Via::<customer_wishlist::Link>::list(conn, &ListFilter::new())
        .unwrap()
        .into_iter()
        .map(|row| (row.customer_id.into_inner(), row.wishlist_id.into_inner()))
        .collect()
}

link_test_support::driver_tests! {
    fn eight_clients_creating_the_same_one_to_one_pair_leave_one_live_row(driver) {
        let Some(mut db) = link_test_support::postgres("same_pair") else {
            return;
        };
        via::migrate(&mut *db).unwrap();

        for round in 0..5 {
            let customer = format!("cus_{round}");
            let wishlist = format!("wl_{round}");
            let outcomes = {
                let (customer, wishlist) = (customer.clone(), wishlist.clone());
                race(driver, &db, move |_, conn| {
                    Via::<customer_wishlist::Link>::create(
                        conn,
                        Customer::id(customer.as_str()),
                        Wishlist::id(wishlist.as_str()),
                    )
                })
            };
            let inserted = outcomes
                .iter()
                .filter(|outcome| matches!(outcome, Ok(Created::Inserted)))
                .count();
            assert_eq!(inserted, 1, "round {round}: {outcomes:?}");
            for outcome in &outcomes {
                assert!(
                    matches!(outcome, Ok(Created::Inserted | Created::Unchanged)),
                    "round {round}: a client got {outcome:?}"
                );
            }
        }
        let live = live_pairs(&mut db);
        assert_eq!(live.len(), 5, "{live:?}");
        let all = Via::<customer_wishlist::Link>::list(&mut *db, &ListFilter::new().with_deleted()).unwrap();
        assert_eq!(all.len(), 5, "no second row, live or not");
    }

    fn eight_clients_giving_one_customer_different_wishlists_leave_one_winner(driver) {
        let Some(mut db) = link_test_support::postgres("one_customer") else {
            return;
        };
        via::migrate(&mut *db).unwrap();

        let outcomes = race(driver, &db, |client, conn| {
            Via::<customer_wishlist::Link>::create(
                conn,
                Customer::id("cus_1"),
                Wishlist::id(format!("wl_{client}")),
            )
        });
        let live = live_pairs(&mut db);
        assert_eq!(live.len(), 1, "{live:?}");
        let winner = &live[0].1;
        for (client, outcome) in outcomes.iter().enumerate() {
            let wishlist = format!("wl_{client}");
            if &wishlist == winner {
                assert!(matches!(outcome, Ok(Created::Inserted)), "{outcome:?}");
            } else {
                assert!(
                    matches!(outcome, Err(Error::Cardinality { record, partner, refused, .. })
                        if record == "cus_1" && partner == winner && *refused == wishlist),
                    "client {client} got {outcome:?}"
                );
            }
        }
    }

    fn eight_clients_creating_the_same_bulk_batch_insert_each_pair_once(driver) {
        let Some(mut db) = link_test_support::postgres("same_batch") else {
            return;
        };
        via::migrate(&mut *db).unwrap();

        // Big enough for the plain insert of new pairs: a racing client finds the winner's
        // rows only after its own insert fails, and writes the batch again.
        const PAIRS: usize = 300;
        for round in 0..3 {
            let outcomes = race(driver, &db, move |_, conn| {
                let pairs: Vec<_> = (0..PAIRS)
                    .map(|i| {
                        (
                            Customer::id(format!("cus_{round}_{i}")),
                            Wishlist::id(format!("wl_{round}_{i}")),
                        )
                    })
                    .collect();
                Via::<customer_wishlist::Link>::create_many(conn, &pairs)
            });
            let mut inserted = vec![0; PAIRS];
            for outcome in &outcomes {
                let created = outcome
                    .as_ref()
                    .unwrap_or_else(|error| panic!("round {round}: a client got {error:?}"));
                for (i, created) in created.iter().enumerate() {
                    match created {
                        Created::Inserted => inserted[i] += 1,
                        Created::Unchanged => {}
                        other => panic!("round {round}: pair {i} was {other:?}"),
                    }
                }
            }
            assert!(
                inserted.iter().all(|&count| count == 1),
                "round {round}: {inserted:?}"
            );
        }
        assert_eq!(live_pairs(&mut db).len(), 3 * PAIRS);
    }

    /// Clients that sync the links at once (services starting together) end with one
    /// correct schema: one of them creates the tables, and the others, which wait for it,
    /// find nothing left to do.
    fn eight_clients_syncing_at_once_apply_each_action_once(driver) {
        let Some(mut db) = link_test_support::postgres("sync_race") else {
            return;
        };
        let outcomes = race(driver, &db, |_, conn| via::migrate(conn));
        let mut applied = Vec::new();
        for outcome in outcomes {
            let outcome =
                outcome.unwrap_or_else(|error| panic!("a client's sync failed: {error:?}"));
            applied.push(outcome.applied.len());
        }
        applied.sort_unstable();
        assert_eq!(
            applied[..CLIENTS - 1],
            [0; CLIENTS - 1],
            "one client applies the plan, the others find nothing to do: {applied:?}"
        );
        assert!(applied[CLIENTS - 1] > 0, "{applied:?}");
        assert!(via::plan(&mut *db).unwrap().is_empty());
    }
}

/// On a SQLite file, whose connections wait for each other's writes: every sync succeeds
/// and the schema is whole. (There, a sync that met another one's write plans again; its
/// actions create only what is missing, so two may both report creating a table.)
#[test]
fn eight_connections_syncing_a_sqlite_file_at_once_all_succeed() {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;

    let dir = std::env::temp_dir().join(format!("link-sync-race-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("links.db").to_string_lossy().into_owned();
    let start = Arc::new(Barrier::new(CLIENTS));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (file, start) = (file.clone(), Arc::clone(&start));
            thread::spawn(move || {
                let mut conn = diesel::SqliteConnection::establish(&file).unwrap();
                conn.batch_execute("PRAGMA busy_timeout = 10000").unwrap();
                start.wait();
                link_runtime::migrate(&mut conn)
            })
        })
        .collect();
    for client in clients {
        if let Err(error) = client.join().unwrap() {
            panic!("a sync failed: {error}");
        }
    }
    let mut conn = diesel::SqliteConnection::establish(&file).unwrap();
    assert!(link_runtime::migrate::plan(&mut conn).unwrap().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}
