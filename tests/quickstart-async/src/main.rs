use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use link_runtime::aio;
use link_runtime::graph::Graph;

// A module `links` with one submodule per file in src/links/.
link_runtime::links!();

mod modules {
    use link_runtime::prelude::*;

    #[derive(Linkable)]
    #[linkable(module = "product", table = "product")]
    pub struct Product {
        pub id: String,
        pub title: String,
    }

    #[derive(Linkable)]
    #[linkable(module = "brand", table = "brand")]
    pub struct Brand {
        pub id: String,
        pub name: String,
    }
}

use modules::{Brand, Product};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args().nth(1).expect("a PostgreSQL URL");
    let mut conn = AsyncPgConnection::establish(&url).await?;
    // Each module creates its own tables.
    conn.batch_execute(
        "CREATE TABLE product (id TEXT PRIMARY KEY, title TEXT NOT NULL);
         CREATE TABLE brand (id TEXT PRIMARY KEY, name TEXT NOT NULL);
         INSERT INTO product VALUES ('prod_1', 'Kettle');
         INSERT INTO brand VALUES ('brand_1', 'Acme'), ('brand_2', 'Birch');",
    )
    .await?;

    let synced = aio::migrate(&mut conn).await?;
    for table in synced.tables_created() {
        println!("created link table {table}");
    }
    let created = aio::create(&mut conn, Product::id("prod_1"), Brand::id("brand_1")).await?;
    println!("create: {created:?}");
    // A product has one brand: a second one is refused, and nothing is written.
    let refused = aio::create(&mut conn, Product::id("prod_1"), Brand::id("brand_2")).await;
    println!("second brand: {}", refused.unwrap_err());

    // The futures are Send: the query runs on another task of the runtime.
    let page = tokio::spawn(async move {
        aio::Query::new(&mut conn)
            .graph(Graph::entity("product").fields(["id", "title", "brand.*"]))
            .await
            .map(|page| (page, conn))
    })
    .await??;
    let (page, mut conn) = page;
    println!("{}", serde_json::to_string(&page.data)?);

    let dismissed = aio::dismiss(&mut conn, Product::id("prod_1"), Brand::id("brand_1")).await?;
    println!("dismissed: {dismissed}");
    Ok(())
}
