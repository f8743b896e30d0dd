//! Two links between the same models, told apart by aliases: `shop_vendor` (from a shop,
//! its `vendor`; from a vendor, its `shops`) and `shop_supplier` (from a shop, its
//! `supplier`; from a vendor, its `supplied_shops`). Both work in dynamic and typed graph
//! queries, in fields, filters and order, on both backends and drivers. Two links that keep
//! their default names make those names ambiguous, and a query says so.

use diesel::connection::SimpleConnection;
use link_runtime::graph::{Graph, GraphResult, GraphSelect, Order};
use link_runtime::prelude::*;
use link_runtime::{Error, LinkConnection};
use link_test_support::via::{self, Via};
use serde::Deserialize;
use serde_json::json;

/// A shop.
#[derive(Debug, Linkable)]
#[linkable(module = "shop", table = "shops")]
pub struct Shop {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// A vendor.
#[derive(Debug, Linkable)]
#[linkable(module = "vendor", table = "vendors")]
pub struct Vendor {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// An owner.
#[derive(Debug, Linkable)]
#[linkable(module = "owner", table = "owners")]
pub struct Owner {
    /// Its id.
    pub id: String,
}

/// A shop's vendor, under the default names.
mod shop_vendor {
    use super::{Shop, Vendor};
    link_runtime::define_link!(Shop(is_list), Vendor);
}

/// A shop's supplier: a second link between shops and vendors, under aliases.
mod shop_supplier {
    use super::{Shop, Vendor};
    link_runtime::define_link! {
        Shop(is_list, alias = "supplied_shops"),
        Vendor(alias = "supplier"),
        database(table = "shop_supplier"),
    }
}

/// Two links between shops and owners, both under the default names.
mod shop_owner {
    use super::{Owner, Shop};
    link_runtime::define_link!(Shop, Owner);
}

mod shop_owner_again {
    use super::{Owner, Shop};
    link_runtime::define_link!(Shop, Owner, database(table = "shop_owner_again"));
}

#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Vendor)]
struct VendorName {
    name: String,
}

#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Shop)]
struct ShopId {
    id: String,
}

/// A shop with the vendor of each link: the typed form picks each link by its field's name.
#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Shop)]
struct ShopSources {
    id: String,
    #[graph(link)]
    vendor: Option<VendorName>,
    #[graph(link)]
    supplier: Option<VendorName>,
}

#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Vendor)]
struct VendorReach {
    id: String,
    #[graph(link)]
    shops: Vec<ShopId>,
    #[graph(link)]
    supplied_shops: Vec<ShopId>,
}

/// A vendor with how many shops each link joins it to: each count names its link.
#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Vendor)]
struct VendorCounts {
    id: String,
    #[graph(count = Shop, field = "shops")]
    sells_at: u64,
    #[graph(count = Shop, field = "supplied_shops")]
    supplies: u64,
}

/// Three shops and two vendors: `ven_a` sells at shops 1 and 2, `ven_b` at shop 3;
/// `ven_b` supplies shops 1 and 2.
fn setup<C: LinkConnection + SimpleConnection>(conn: &mut C) {
    conn.batch_execute(
        "CREATE TABLE shops (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
         CREATE TABLE vendors (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
         CREATE TABLE owners (id TEXT PRIMARY KEY NOT NULL);
         INSERT INTO shops VALUES ('shop_1', 'Corner'), ('shop_2', 'Market'), ('shop_3', 'Outlet');
         INSERT INTO vendors VALUES ('ven_a', 'Alder'), ('ven_b', 'Beech');",
    )
    .unwrap();
    via::migrate(conn).unwrap();
    for (shop, vendor) in [
        ("shop_1", "ven_a"),
        ("shop_2", "ven_a"),
        ("shop_3", "ven_b"),
    ] {
        Via::<shop_vendor::Link>::create(conn, Shop::id(shop), Vendor::id(vendor)).unwrap();
    }
    for shop in ["shop_1", "shop_2"] {
        Via::<shop_supplier::Link>::create(conn, Shop::id(shop), Vendor::id("ven_b")).unwrap();
    }
}

/// The ids of a query's rows, in order.
fn ids(result: GraphResult<serde_json::Value>) -> Vec<String> {
    result
        .data
        .iter()
        .map(|row| row["id"].as_str().unwrap().to_owned())
        .collect()
}

link_test_support::backend_tests! {
    drivers;

    fn aliased_fields_follow_their_own_link(conn) {
        setup(conn);
        let shops = via::graph(
            conn,
            Graph::entity("shop")
                .fields(["id", "vendor.name", "supplier.name"])
                .order("id", Order::Asc),
        )
        .unwrap();
        assert_eq!(
            shops.data,
            [
                json!({ "id": "shop_1", "vendor": { "name": "Alder" }, "supplier": { "name": "Beech" } }),
                json!({ "id": "shop_2", "vendor": { "name": "Alder" }, "supplier": { "name": "Beech" } }),
                json!({ "id": "shop_3", "vendor": { "name": "Beech" }, "supplier": null }),
            ]
        );

        let vendors = via::graph(
            conn,
            Graph::entity("vendor")
                .fields(["id", "shops.id", "supplied_shops.id"])
                .order("id", Order::Asc),
        )
        .unwrap();
        assert_eq!(
            vendors.data,
            [
                json!({ "id": "ven_a", "shops": [{ "id": "shop_1" }, { "id": "shop_2" }], "supplied_shops": [] }),
                json!({ "id": "ven_b", "shops": [{ "id": "shop_3" }], "supplied_shops": [{ "id": "shop_1" }, { "id": "shop_2" }] }),
            ]
        );
    }

    fn aliased_fields_filter_and_order(conn) {
        setup(conn);
        let supplied_by_beech = via::graph(
            conn,
            Graph::entity("shop").fields(["id"]).filter("supplier.name", "Beech").order("id", Order::Asc),
        )
        .unwrap();
        assert_eq!(ids(supplied_by_beech), ["shop_1", "shop_2"]);
        let sold_by_beech = via::graph(
            conn,
            Graph::entity("shop").fields(["id"]).filter("vendor.name", "Beech"),
        )
        .unwrap();
        assert_eq!(ids(sold_by_beech), ["shop_3"]);
        // Through the aliased list side, from the vendors.
        let supplying = via::graph(
            conn,
            Graph::entity("vendor").fields(["id"]).filter("supplied_shops.id", "shop_2"),
        )
        .unwrap();
        assert_eq!(ids(supplying), ["ven_b"]);
        // Ordered by the supplier's name (shop_3 has none, and comes last), then the id.
        let ordered = via::graph(
            conn,
            Graph::entity("shop")
                .fields(["id"])
                .order("supplier.name", Order::Asc)
                .order("id", Order::Desc),
        )
        .unwrap();
        assert_eq!(ids(ordered), ["shop_2", "shop_1", "shop_3"]);
    }

    fn typed_queries_pick_the_link_by_its_name(conn) {
        setup(conn);
        assert_eq!(
            ShopSources::field_paths(),
            ["id", "vendor.name", "supplier.name"]
        );
        let shops = via::graph(conn, ShopSources::graph().order(|shop| shop.id.asc())).unwrap();
        let name = |vendor: Option<VendorName>| vendor.map(|vendor| vendor.name);
        let sources: Vec<(String, Option<String>, Option<String>)> = shops
            .data
            .into_iter()
            .map(|shop| (shop.id, name(shop.vendor), name(shop.supplier)))
            .collect();
        let some = |name: &str| Some(name.to_owned());
        assert_eq!(
            sources,
            [
                ("shop_1".to_owned(), some("Alder"), some("Beech")),
                ("shop_2".to_owned(), some("Alder"), some("Beech")),
                ("shop_3".to_owned(), some("Beech"), None),
            ]
        );
        let vendors = via::graph(conn, VendorReach::graph().order(|vendor| vendor.id.asc())).unwrap();
        let reach: Vec<(String, usize, usize)> = vendors
            .data
            .into_iter()
            .map(|vendor| (vendor.id, vendor.shops.len(), vendor.supplied_shops.len()))
            .collect();
        assert_eq!(reach, [("ven_a".to_owned(), 2, 0), ("ven_b".to_owned(), 1, 2)]);
    }

    fn typed_counts_name_their_link(conn) {
        setup(conn);
        assert_eq!(
            VendorCounts::field_paths(),
            ["id", "_count.shops", "_count.supplied_shops"]
        );
        let typed = VendorCounts::graph()
            .filter_count::<Shop, shop_supplier::Link>(|count| count.ge(1))
            .order_count::<Shop, shop_vendor::Link>(Order::Desc);
        let vendors = via::graph(conn, typed).unwrap().data;
        let dynamic = via::graph(
            conn,
            Graph::entity("vendor")
                .fields(["id", "_count.shops", "_count.supplied_shops"])
                .filter("_count.supplied_shops", link_runtime::graph::Condition::ge(1))
                .order("_count.shops", Order::Desc),
        )
        .unwrap()
        .data;
        let expected: Vec<VendorCounts> = dynamic
            .iter()
            .map(|row| VendorCounts {
                id: row["id"].as_str().unwrap().to_owned(),
                sells_at: row["_count"]["shops"].as_u64().unwrap(),
                supplies: row["_count"]["supplied_shops"].as_u64().unwrap(),
            })
            .collect();
        assert_eq!(vendors, expected);
        assert_eq!(
            vendors,
            [VendorCounts { id: "ven_b".to_owned(), sells_at: 1, supplies: 2 }]
        );
    }

    fn default_names_that_two_links_give_are_ambiguous(conn) {
        setup(conn);
        // `shop_owner` and `shop_owner_again` give their sides the same names: a query of
        // those names cannot tell which link it means, and names the links it could.
        let refused = via::graph(conn, Graph::entity("shop").fields(["id", "owner.id"]))
            .unwrap_err();
        match &refused {
            Error::AmbiguousField { entity, field, links } => {
                assert_eq!((entity.as_str(), field.as_str()), ("shop", "owner"));
                let mut links = links.clone();
                links.sort_unstable();
                assert_eq!(links, ["shop_owner_again", "shop_shop_owner_owner"]);
            }
            other => panic!("expected AmbiguousField: {other:?}"),
        }
        // The aliased links' names stay clear.
        assert!(via::graph(conn, Graph::entity("shop").fields(["id", "supplier.name"])).is_ok());
    }
}
