//! Each baseline returns the data of the graph query it is measured against, so a ratio in
//! the benchmarks compares equal work. Checked on a catalog with a product whose link was
//! dismissed and a brand with no product, on SQLite and PostgreSQL.

use link_bench::baseline::{
    brands_as_json, brands_by_count_apart, group_by_brand, products_as_json,
};
use link_bench::catalog::{self, Backend, Brand, Product, Size};
use link_bench::links::product_brand::Link;
use link_bench::queries::{self, BrandWithProducts, ProductCard};
use link_runtime::graph::Query;
use link_runtime::prelude::*;
use link_runtime::service::ListFilter;
use link_runtime::Created;

/// 120 products over 12 brands; product 0 unlinked; one more brand with no product.
fn catalog<C: Backend>(conn: &mut C) {
    catalog::seed(conn, Size::tenth(120)).unwrap();
    Link::dismiss(
        conn,
        Id::new(Size::product_id(0)),
        Id::new(Size::brand_id(0)),
    )
    .unwrap();
    conn.batch_execute(&format!(
        "INSERT INTO brand (id, name) VALUES ('{}', '{}')",
        Size::brand_id(12),
        Size::brand_name(12)
    ))
    .unwrap();
}

link_test_support::backend_tests! {
    fn brands_by_product_count(conn) {
        catalog(conn);
        let baseline = conn.brands_by_product_count().unwrap();
        assert_eq!(baseline.len(), 13);
        // Brand 0 lost product 0; brand 12 holds none, and comes last.
        assert_eq!(baseline.last().unwrap().1, 0);
        assert!(baseline.iter().any(|(_, n)| *n == 9));
        let graph = Query::new(conn)
            .graph(queries::brands_by_product_count().to_json())
            .unwrap()
            .into_body();
        assert_eq!(graph, link_bench::baseline::brand_counts_as_json(baseline));
    }

    fn the_baseline_for_two_databases_orders_as_the_grouped_one(conn) {
        catalog(conn);
        // Its two halves, read here from one database, sorted in the application.
        let counts = conn.product_counts_by_brand().unwrap();
        assert_eq!(counts.len(), 12, "a brand without products has no group");
        let apart = brands_by_count_apart(counts, conn.brands().unwrap());
        let grouped = conn.brands_by_product_count().unwrap();
        let pairs = |rows: &[(Brand, i64)]| -> Vec<(String, i64)> {
            rows.iter().map(|(brand, n)| (brand.id.clone(), *n)).collect()
        };
        assert_eq!(pairs(&apart), pairs(&grouped));
    }

    fn products_with_their_brand(conn) {
        catalog(conn);
        let baseline = conn.products_with_brand().unwrap();
        assert_eq!(baseline.len(), 120);
        assert_eq!(baseline[0].1, None, "product 0's link was dismissed");

        let graph = Query::new(conn).graph(queries::products_with_brand()).unwrap();
        let typed: Vec<ProductCard> = serde_json::from_value(graph.data.into()).unwrap();
        let as_baseline: Vec<(Product, Option<Brand>)> = typed
            .into_iter()
            .map(|card| (Product { id: card.id, title: card.title }, card.brand))
            .collect();
        assert_eq!(as_baseline, baseline);

        let graph = Query::new(conn).graph(queries::products_with_brand()).unwrap();
        assert_eq!(graph.data, products_as_json(baseline.clone()));

        let typed = Query::new(conn).graph(ProductCard::graph()).unwrap();
        assert_eq!(typed.data.len(), 120);
    }

    fn brands_with_their_products(conn) {
        catalog(conn);
        let baseline = group_by_brand(conn.brand_product_rows().unwrap());
        assert_eq!(baseline.len(), 13);
        assert_eq!(baseline[0].1.len(), 9, "brand 0 lost product 0");
        assert!(baseline[12].1.is_empty());

        let typed = Query::new(conn).graph(BrandWithProducts::graph()).unwrap();
        let as_baseline: Vec<(Brand, Vec<Product>)> = typed
            .data
            .into_iter()
            .map(|b| (Brand { id: b.id, name: b.name }, b.products))
            .collect();
        assert_eq!(as_baseline, baseline);

        let graph = Query::new(conn).graph(queries::brands_with_products()).unwrap();
        assert_eq!(graph.data, brands_as_json(baseline));
    }

    fn a_page_filtered_by_brand_name(conn) {
        catalog(conn);
        let names = [Size::brand_name(0), Size::brand_name(5)];
        let (page, count) = conn.page_by_brand_name(&names, 12).unwrap();
        assert_eq!((page.len(), count), (12, 19));

        let graph = Query::new(conn)
            .graph(queries::page_by_brand_name(&names, 12))
            .unwrap();
        assert_eq!(graph.metadata.count, 19);
        let typed: Vec<ProductCard> = serde_json::from_value(graph.data.into()).unwrap();
        let as_baseline: Vec<(Product, Brand)> = typed
            .into_iter()
            .map(|card| (Product { id: card.id, title: card.title }, card.brand.unwrap()))
            .collect();
        assert_eq!(as_baseline, page);
    }

    fn keyset_and_offset_pages_are_the_baselines(conn) {
        catalog(conn);
        let take = 7;
        let mut after: Option<String> = None;
        let mut last: Option<Product> = None;
        let mut pages = 0;
        loop {
            let graph = Query::new(conn)
                .graph(queries::products_by_title(take, after.take()))
                .unwrap();
            let key = last.as_ref().map(|p| (p.title.as_str(), p.id.as_str()));
            let (page, more, count) = conn.keyset_page(key, take as i64).unwrap();
            assert_eq!(graph.data, page, "page {pages}");
            assert_eq!(graph.metadata.next_cursor.is_some(), more, "page {pages}");
            assert_eq!(graph.metadata.count, count as u64);
            let by_offset = Query::new(conn)
                .graph(queries::products_by_title_from(pages * take, take))
                .unwrap();
            let (offset_page, offset_more, _) =
                conn.offset_page((pages * take) as i64, take as i64).unwrap();
            assert_eq!(by_offset.data, offset_page);
            assert_eq!(offset_page, page, "an offset reads the same page");
            assert_eq!(offset_more, more);
            pages += 1;
            last = page.last().cloned();
            match graph.metadata.next_cursor {
                Some(cursor) => after = Some(cursor),
                None => break,
            }
        }
        assert_eq!(pages, 120u64.div_ceil(take));
    }

    fn the_row_number_baseline_answers_the_nested_page(conn) {
        catalog(conn);
        // Brand 0 lost product 0, and brand 12 holds none: within a page of 13.
        for (take, per_brand) in [(5, 3), (13, 2), (13, 20)] {
            let graph = Query::new(conn)
                .graph(queries::brands_with_newest_products(take, per_brand).to_json())
                .unwrap()
                .into_body();
            let (rows, count) = conn.brands_with_newest_products(take as i64, per_brand as i64).unwrap();
            let baseline = link_bench::baseline::newest_as_json(rows, count, take);
            let parse = |bytes: &[u8]| serde_json::from_slice::<serde_json::Value>(bytes).unwrap();
            let (graph, baseline) = (parse(&graph), parse(&baseline));
            assert_eq!(graph["data"], baseline["data"], "{take} × {per_brand}");
            assert_eq!(graph["metadata"]["count"], baseline["metadata"]["count"]);
            let brands = graph["data"].as_array().unwrap();
            assert_eq!(brands.len(), take as usize);
            let shown = |i: usize| brands[i]["products"].as_array().unwrap().len() as u64;
            assert_eq!(shown(0), per_brand.min(9), "brand 0 holds 9 products");
            if take == 13 {
                assert_eq!(shown(12), 0);
                assert_eq!(brands[12]["_count"]["products"], 0);
            }
        }
    }

    fn the_insert_baseline_writes_what_the_service_writes(conn) {
        catalog::migrate(conn).unwrap();
        let pairs = Size::tenth(50).pairs();
        conn.insert_pivot_rows(&pairs).unwrap();
        let mut rows: Vec<_> = Link::list(conn, &ListFilter::new())
            .unwrap()
            .into_iter()
            .map(|row| {
                assert!(row.id.starts_with("link_") && row.deleted_at.is_none());
                (row.product_id, row.brand_id)
            })
            .collect();
        rows.sort();
        assert_eq!(rows, pairs);
        // The service sees them as links: creating them again changes nothing.
        let created = Link::create_many(conn, &pairs).unwrap();
        assert!(created.iter().all(|c| *c == Created::Unchanged));
    }
}
