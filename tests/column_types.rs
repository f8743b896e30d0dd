//! Extra columns of the types beyond numbers and text: exact decimals, dates, times,
//! timestamps with a time zone, UUIDs and bytes, on both backends and drivers. Each is
//! written through `create_with` / `create_many_with`, read back by `list`, by a graph
//! query of the link entity (in its JSON form) and by a typed read of that JSON, and
//! compared exactly; defaults are the declared ones; a sync adds a column of each type to
//! a table that exists, then plans nothing.

#![deny(warnings)]

use diesel::connection::SimpleConnection;
use link_runtime::bigdecimal::BigDecimal;
use link_runtime::chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use link_runtime::graph::{Graph, GraphSelect, Order as SortOrder};
use link_runtime::migrate::ActionKind;
use link_runtime::prelude::*;
use link_runtime::service::ListFilter;
use link_runtime::uuid::Uuid;
use link_runtime::{LinkConnection, LinkDefinition, LinkSchema};
use link_test_support::via::{self, apply, plan_for, Via};
use serde::Deserialize;
use serde_json::json;

/// An order, with a timestamp with a time zone and a date of its own.
#[derive(Debug, Linkable)]
#[linkable(module = "ordering", table = "orders")]
pub struct Order {
    /// Its id.
    pub id: String,
    /// When it was placed.
    pub placed_at: DateTime<Utc>,
    /// When it is due.
    pub due_on: NaiveDate,
}

/// A carrier.
#[derive(Debug, Linkable)]
#[linkable(module = "shipping", table = "carriers")]
pub struct Carrier {
    /// Its id.
    pub id: String,
}

/// An order's carrier, with one column of each type.
mod order_carrier {
    use super::{Carrier, Order};
    use link_runtime::bigdecimal::BigDecimal;
    use link_runtime::chrono::{DateTime, NaiveDate, NaiveTime, Utc};
    use link_runtime::uuid::Uuid;
    link_runtime::define_link! {
        Order(is_list), Carrier,
        database(table = "order_carrier"),
        columns {
            price: BigDecimal = "12.50",
            ship_on: NaiveDate = "2024-01-31",
            slot: NaiveTime = "09:30:00",
            handed_at: DateTime<Utc> = "2024-01-31T09:30:00.250Z",
            parcel: Uuid = "67E55044-10B1-426F-9247-BB680E5FE0C8",
            label: Vec<u8> = b"\x00\x01\xff",
            refund: Option<BigDecimal>,
            delivered_at: Option<DateTime<Utc>>,
            returned_on: Option<NaiveDate> = Some("2024-02-29"),
        },
    }
}

/// The same link without extra columns, for the sync to add them to.
mod order_carrier_bare {
    use super::{Carrier, Order};
    link_runtime::define_link!(
        Order(is_list),
        Carrier,
        database(table = "order_carrier_bare")
    );
}

/// An `amount` column as a float, which the next version makes a decimal.
mod order_carrier_float_amount {
    use super::{Carrier, Order};
    link_runtime::define_link! {
        Order(is_list), Carrier,
        database(table = "order_carrier_float_amount"),
        columns { amount: Option<f64> },
    }
}

/// `amount` as a decimal.
mod order_carrier_decimal_amount {
    use super::{Carrier, Order};
    link_runtime::define_link! {
        Order(is_list), Carrier,
        database(table = "order_carrier_decimal_amount"),
        columns { amount: Option<link_runtime::bigdecimal::BigDecimal> },
    }
}

/// A pivot row of `order_carrier` read from graph JSON with serde, as a typed query reads.
#[derive(Debug, PartialEq, Deserialize)]
struct Shipment {
    order_id: String,
    price: BigDecimal,
    ship_on: NaiveDate,
    slot: NaiveTime,
    handed_at: DateTime<Utc>,
    parcel: Uuid,
    #[serde(with = "link_runtime::base64_bytes")]
    label: Vec<u8>,
    refund: Option<BigDecimal>,
    delivered_at: Option<DateTime<Utc>>,
    returned_on: Option<NaiveDate>,
}

/// An order through a typed graph query: its own timestamp and date.
#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Order)]
struct OrderDates {
    id: String,
    placed_at: DateTime<Utc>,
    due_on: NaiveDate,
}

const EXACT: &str = "12345678901234567890.0123456789";

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// The values of the first shipment: none of them its column's default.
fn chosen() -> order_carrier::Columns {
    order_carrier::Columns {
        price: EXACT.parse().unwrap(),
        ship_on: NaiveDate::from_ymd_opt(1999, 12, 31).unwrap(),
        slot: NaiveTime::from_hms_micro_opt(23, 59, 58, 123_456).unwrap(),
        handed_at: utc("2030-06-15T20:45:10.123456Z"),
        parcel: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11".parse().unwrap(),
        label: vec![0xde, 0xad, 0xbe, 0xef, 0x00],
        refund: Some("-0.000000000000000000000000001".parse().unwrap()),
        delivered_at: Some(utc("2030-06-16T08:00:00+02:00")),
        returned_on: None,
    }
}

fn setup<C: LinkConnection + SimpleConnection>(conn: &mut C) {
    let timestamptz = match C::DIALECT {
        link_runtime::Dialect::Postgres => "TIMESTAMPTZ",
        _ => "TEXT",
    };
    conn.batch_execute(&format!(
        "CREATE TABLE orders (id TEXT PRIMARY KEY NOT NULL, placed_at {timestamptz} NOT NULL, \
         due_on DATE NOT NULL);
         CREATE TABLE carriers (id TEXT PRIMARY KEY NOT NULL);
         INSERT INTO orders VALUES ('order_1', '2024-03-01 10:15:30.5+00:00', '2024-03-08'),
                                   ('order_2', '2024-03-02 00:00:00+00:00', '2024-03-09');
         INSERT INTO carriers VALUES ('carrier_1');"
    ))
    .unwrap();
    via::migrate(conn).unwrap();
    let rows = [(Order::id("order_1"), Carrier::id("carrier_1"), chosen())];
    Via::<order_carrier::Link>::create_many_with(conn, &rows).unwrap();
    Via::<order_carrier::Link>::create(conn, Order::id("order_2"), Carrier::id("carrier_1"))
        .unwrap();
}

/// `L`'s schema, moved onto the table `order_carrier_probe`.
fn probe<L: LinkDefinition>() -> &'static LinkSchema {
    const PROBE: &str = "order_carrier_probe";
    let schema = L::SCHEMA;
    let moved = |text: &str| -> &'static str { text.replace(schema.table, PROBE).leak() };
    let indexes: Vec<link_runtime::Index> = schema
        .indexes
        .iter()
        .map(|index| link_runtime::Index {
            name: moved(index.name),
            sql: moved(index.sql),
        })
        .collect();
    Box::leak(Box::new(LinkSchema {
        table: PROBE,
        indexes: indexes.leak(),
        sqlite_sql: moved(schema.sqlite_sql),
        postgres_sql: moved(schema.postgres_sql),
        ..*schema
    }))
}

link_test_support::backend_tests! {
    drivers;

    fn values_and_defaults_survive_list(conn) {
        setup(conn);
        let rows = Via::<order_carrier::Link>::list(conn, &ListFilter::new()).unwrap();
        let columns = |order: &str| {
            let row = rows.iter().find(|row| row.order_id == Order::id(order)).unwrap();
            <order_carrier::Link as LinkDefinition>::row_parts(row).2
        };
        assert_eq!(columns("order_1"), chosen());
        assert_eq!(columns("order_1").price.to_string(), EXACT);
        assert_eq!(columns("order_2"), order_carrier::Columns::default());
        let defaults = order_carrier::Columns::default();
        assert_eq!(defaults.price.to_string(), "12.50");
        assert_eq!(defaults.handed_at, utc("2024-01-31T09:30:00.250Z"));
        assert_eq!(defaults.parcel.to_string(), "67e55044-10b1-426f-9247-bb680e5fe0c8");
        assert_eq!(defaults.label, [0, 1, 255]);
        assert_eq!(defaults.returned_on, NaiveDate::from_ymd_opt(2024, 2, 29));
    }

    fn graph_json_has_one_exact_form_per_type(conn) {
        setup(conn);
        let fields = [
            "order_id", "price", "ship_on", "slot", "handed_at", "parcel", "label", "refund",
            "delivered_at", "returned_on",
        ];
        let query = Graph::entity("order_carrier").fields(fields).order("order_id", SortOrder::Asc);
        let shipments = via::graph(conn, query.clone()).unwrap();
        // The JSON written straight from the rows' cells is the same, value for value.
        let written = via::graph(conn, query.to_json()).unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(written.data_json()).unwrap(),
            serde_json::Value::from(shipments.data.clone())
        );
        assert_eq!(
            shipments.data,
            [
                json!({
                    "order_id": "order_1",
                    "price": EXACT,
                    "ship_on": "1999-12-31",
                    "slot": "23:59:58.123456",
                    "handed_at": "2030-06-15T20:45:10.123456Z",
                    "parcel": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                    "label": "3q2+7wA=",
                    "refund": "-0.000000000000000000000000001",
                    "delivered_at": "2030-06-16T06:00:00Z",
                    "returned_on": null,
                }),
                json!({
                    "order_id": "order_2",
                    "price": "12.50",
                    "ship_on": "2024-01-31",
                    "slot": "09:30:00",
                    "handed_at": "2024-01-31T09:30:00.250Z",
                    "parcel": "67e55044-10b1-426f-9247-bb680e5fe0c8",
                    "label": "AAH/",
                    "refund": null,
                    "delivered_at": null,
                    "returned_on": "2024-02-29",
                }),
            ]
        );

        // What a typed read makes of that JSON: the values written, exactly.
        let typed: Vec<Shipment> = shipments
            .data
            .into_iter()
            .map(|row| serde_json::from_value(row).unwrap())
            .collect();
        let first = chosen();
        assert_eq!(
            typed[0],
            Shipment {
                order_id: "order_1".into(),
                price: first.price,
                ship_on: first.ship_on,
                slot: first.slot,
                handed_at: first.handed_at,
                parcel: first.parcel,
                label: first.label,
                refund: first.refund,
                delivered_at: first.delivered_at,
                returned_on: None,
            }
        );
    }

    fn typed_graph_queries_read_time_zones_and_dates(conn) {
        setup(conn);
        let orders = via::graph(conn, OrderDates::graph().order(|order| order.id.asc())).unwrap();
        assert_eq!(
            orders.data,
            [
                OrderDates {
                    id: "order_1".into(),
                    placed_at: utc("2024-03-01T10:15:30.5Z"),
                    due_on: NaiveDate::from_ymd_opt(2024, 3, 8).unwrap(),
                },
                OrderDates {
                    id: "order_2".into(),
                    placed_at: utc("2024-03-02T00:00:00Z"),
                    due_on: NaiveDate::from_ymd_opt(2024, 3, 9).unwrap(),
                },
            ]
        );
        let json = via::graph(conn, Graph::entity("order").fields(["placed_at"]).filter("id", "order_1"))
            .unwrap();
        assert_eq!(json.data, [json!({ "placed_at": "2024-03-01T10:15:30.500Z" })]);
    }

    fn a_sync_adds_a_column_of_each_type_then_plans_nothing(conn) {
        let bare = probe::<order_carrier_bare::Link>();
        let plan = plan_for(conn, &[bare]).unwrap();
        apply(conn, &plan, false).unwrap();
        conn.batch_execute(
            "INSERT INTO order_carrier_probe (id, order_id, carrier_id) VALUES ('link_1', 'o', 'c')",
        )
        .unwrap();

        let typed = probe::<order_carrier::Link>();
        let plan = plan_for(conn, &[typed]).unwrap();
        let added: Vec<String> = plan
            .actions()
            .iter()
            .filter_map(|action| match action.kind() {
                ActionKind::AddColumn { column } => Some(column.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(
            added,
            [
                "price", "ship_on", "slot", "handed_at", "parcel", "label", "refund",
                "delivered_at", "returned_on",
            ]
        );
        assert!(plan.actions().iter().all(|action| action.is_safe()), "{plan}");
        apply(conn, &plan, false).unwrap();
        assert!(plan_for(conn, &[typed]).unwrap().is_empty());

        // The row that was there has the defaults, read back exactly.
        let json = conn_json(conn);
        assert_eq!(json["price"], "12.50");
        assert_eq!(json["parcel"], "67e55044-10b1-426f-9247-bb680e5fe0c8");
    }

    fn a_sync_turns_a_float_column_into_a_decimal(conn) {
        let text = probe::<order_carrier_float_amount::Link>();
        let plan = plan_for(conn, &[text]).unwrap();
        apply(conn, &plan, false).unwrap();
        let decimal = probe::<order_carrier_decimal_amount::Link>();
        let plan = plan_for(conn, &[decimal]).unwrap();
        assert!(
            plan.actions()
                .iter()
                .any(|action| matches!(action.kind(), ActionKind::AlterColumn { column, .. } if column == "amount")),
            "{plan}"
        );
        apply(conn, &plan, false).unwrap();
        assert!(plan_for(conn, &[decimal]).unwrap().is_empty());
    }
}

/// The probe table's one row, with its `price` and `parcel` as text on both backends.
fn conn_json<C: LinkConnection + link_test_support::TestSql>(conn: &mut C) -> serde_json::Value {
    let row = conn.rows(
        match C::DIALECT {
            link_runtime::Dialect::Postgres => {
                "SELECT price::text, parcel::text FROM order_carrier_probe"
            }
            _ => "SELECT price, parcel FROM order_carrier_probe",
        },
        &[],
    );
    json!({ "price": row[0][0], "parcel": row[0][1] })
}
