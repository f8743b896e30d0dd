//! The storefront as its clients see it: the real server on 127.0.0.1, spoken to with a real
//! HTTP client, on an in-memory SQLite database and on PostgreSQL (when
//! `LINK_TEST_POSTGRES_URL` is set): every route, every error status, the store's scope,
//! and concurrent writers racing for one product's brand.

use std::net::SocketAddr;

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use storefront::Store;

/// A server of its own on a free port, stopped when the test's runtime ends.
struct Server {
    base: String,
    client: Client,
    /// Keeps a PostgreSQL database alive as long as the server.
    _database: Option<link_test_support::PgDatabase>,
    /// A SQLite file to remove after the test.
    _file: Option<SqliteFile>,
}

/// A SQLite file of a test's, and its WAL files, removed when dropped.
struct SqliteFile(String);

impl SqliteFile {
    fn new(test: &str) -> SqliteFile {
        let path =
            std::env::temp_dir().join(format!("storefront-{test}-{}.db", std::process::id()));
        let file = SqliteFile(path.to_str().unwrap().to_owned());
        file.remove();
        file
    }

    fn remove(&self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0));
        }
    }
}

impl Drop for SqliteFile {
    fn drop(&mut self) {
        self.remove();
    }
}

impl Server {
    async fn start(store: Store, database: Option<link_test_support::PgDatabase>) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, storefront::router(store))
                .await
                .unwrap();
        });
        Server {
            base: format!("http://{address}"),
            client: Client::new(),
            _database: database,
            _file: None,
        }
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        answer(response).await
    }

    async fn get(&self, path_and_query: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .get(format!("{}{path_and_query}", self.base))
            .send()
            .await
            .unwrap();
        answer(response).await
    }

    async fn delete(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .delete(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        answer(response).await
    }

    async fn post_raw(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: &str,
    ) -> (StatusCode, Value) {
        let mut request = self.client.post(format!("{}{path}", self.base));
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        answer(request.body(body.to_owned()).send().await.unwrap()).await
    }
}

async fn answer(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{status}: not JSON ({error}): {text}"));
    (status, body)
}

/// Asserts an error answer: its status and the `type` of its JSON body.
#[track_caller]
fn refused((status, body): &(StatusCode, Value), expected: StatusCode, kind: &str) {
    assert_eq!(*status, expected, "{body}");
    assert_eq!(body["type"], kind, "{body}");
    assert!(body["message"].is_string(), "{body}");
}

/// The servers to run each scenario on: in-memory SQLite, a SQLite file (a pool of
/// connections that wait for each other's writes), and PostgreSQL when configured.
async fn servers(test: &str) -> Vec<Server> {
    let mut servers = vec![Server::start(Store::memory().await.unwrap(), None).await];
    let file = SqliteFile::new(test);
    let store = Store::sqlite_file(&file.0).await.unwrap();
    let mut server = Server::start(store, None).await;
    server._file = Some(file);
    servers.push(server);
    let test = test.to_owned();
    let database = tokio::task::spawn_blocking(move || link_test_support::postgres_database(&test))
        .await
        .unwrap();
    if let Some(database) = database {
        let store = Store::postgres(database.url()).await.unwrap();
        servers.push(Server::start(store, Some(database)).await);
    }
    servers
}

/// A small catalog: two brands, three products, a customer with a wishlist.
async fn catalog(server: &Server) {
    for (id, name) in [("brand_1", "Acme"), ("brand_2", "Birch")] {
        let (status, body) = server
            .post("/admin/brands", json!({ "id": id, "name": name }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body, json!({ "id": id, "name": name }));
    }
    for (id, title) in [
        ("prod_1", "Kettle"),
        ("prod_2", "Teapot"),
        ("prod_3", "Toaster"),
    ] {
        let (status, body) = server
            .post("/admin/products", json!({ "id": id, "title": title }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body, json!({ "id": id, "title": title }));
    }
    let (status, _) = server
        .post(
            "/admin/customers",
            json!({ "id": "cus_1", "email": "ada@example.com" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = server
        .post(
            "/admin/wishlists",
            json!({ "id": "wl_1", "customer_id": "cus_1" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = server
        .post(
            "/admin/wishlists/wl_1/products",
            json!({ "product_id": "prod_1", "quantity": 2 }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_routes_write_and_answer_each_outcome_with_its_status() {
    for server in servers("storefront_admin").await {
        catalog(&server).await;
        // A record again: the database refuses the duplicate id.
        refused(
            &server
                .post("/admin/brands", json!({ "id": "brand_1", "name": "Acme" }))
                .await,
            StatusCode::CONFLICT,
            "conflict",
        );

        let link = |product: &str, brand: &str| json!({ "product_id": product, "brand_id": brand });
        let (status, body) = server
            .post("/admin/links/product-brand", link("prod_1", "brand_1"))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["created"], "inserted");
        let (status, body) = server
            .post("/admin/links/product-brand", link("prod_1", "brand_1"))
            .await;
        assert_eq!(status, StatusCode::OK, "already linked: {body}");
        assert_eq!(body["created"], "unchanged");
        // A product has one brand.
        let second = server
            .post("/admin/links/product-brand", link("prod_1", "brand_2"))
            .await;
        refused(&second, StatusCode::CONFLICT, "conflict");
        assert!(
            second.1["message"].as_str().unwrap().contains("prod_1"),
            "{}",
            second.1
        );
        refused(
            &server
                .post("/admin/links/product-brand", link("prod_9", "brand_1"))
                .await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
        refused(
            &server
                .post("/admin/links/product-brand", link("prod_2", "brand_9"))
                .await,
            StatusCode::NOT_FOUND,
            "not_found",
        );

        // Bodies that are not the JSON a route takes answer in the same shape.
        refused(
            &server
                .post_raw("/admin/brands", Some("application/json"), "{\"id\": ")
                .await,
            StatusCode::BAD_REQUEST,
            "invalid",
        );
        refused(
            &server
                .post("/admin/brands", json!({ "id": "brand_3" }))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        );
        refused(
            &server.post_raw("/admin/brands", None, "{}").await,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid",
        );

        // Deleting a product deletes its links; it is gone from the store.
        let (status, body) = server.delete("/admin/products/prod_1").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body,
            json!({ "id": "prod_1", "object": "product", "deleted": true })
        );
        refused(
            &server.delete("/admin/products/prod_1").await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
        let (status, body) = server
            .get("/store/products?fields=id,brand.id&order=id")
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body["products"],
            json!([{ "id": "prod_2", "brand": null }, { "id": "prod_3", "brand": null }])
        );
        // Its brand can be linked to another product now.
        let (status, _) = server
            .post("/admin/links/product-brand", link("prod_2", "brand_1"))
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_routes_read_through_links_and_pages() {
    for server in servers("storefront_store").await {
        catalog(&server).await;
        for (product, brand) in [
            ("prod_1", "brand_1"),
            ("prod_2", "brand_1"),
            ("prod_3", "brand_2"),
        ] {
            let (status, _) = server
                .post(
                    "/admin/links/product-brand",
                    json!({ "product_id": product, "brand_id": brand }),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED);
        }

        let (status, body) = server
            .get("/store/products?fields=id,title,brand.*&brand[name]=Acme&limit=12&offset=0&order=title")
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body,
            json!({
                "products": [
                    { "id": "prod_1", "title": "Kettle", "brand": { "id": "brand_1", "name": "Acme" } },
                    { "id": "prod_2", "title": "Teapot", "brand": { "id": "brand_1", "name": "Acme" } },
                ],
                "count": 2,
                "offset": 0,
                "limit": 12,
                "next_cursor": null,
            })
        );
        // The next page, newest title first, and the default page size.
        let (status, body) = server
            .get("/store/products?fields=id&order=-title&offset=1&limit=1")
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["products"], json!([{ "id": "prod_2" }]));
        assert_eq!(
            (body["count"].clone(), body["offset"].clone()),
            (json!(3), json!(1))
        );
        let (_, body) = server.get("/store/products?fields=id").await;
        assert_eq!(body["limit"], storefront::DEFAULT_LIMIT);
        // Keyset pages: each after the cursor of the one before, newest title first.
        let (status, first) = server
            .get("/store/products?fields=id,title&order=-title&limit=2")
            .await;
        assert_eq!(status, StatusCode::OK, "{first}");
        assert_eq!(
            first["products"],
            json!([{ "id": "prod_3", "title": "Toaster" }, { "id": "prod_2", "title": "Teapot" }])
        );
        let cursor = first["next_cursor"].as_str().expect("Kettle follows");
        let (status, next) = server
            .get(&format!(
                "/store/products?fields=id,title&order=-title&limit=2&after={cursor}"
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{next}");
        assert_eq!(
            next,
            json!({ "products": [{ "id": "prod_1", "title": "Kettle" }], "count": 3, "offset": 0,
                    "limit": 2, "next_cursor": null })
        );
        // A cursor of another order, or edited, is the client's mistake.
        let other = format!("/store/products?fields=id&order=title&limit=2&after={cursor}");
        refused(
            &server.get(&other).await,
            StatusCode::BAD_REQUEST,
            "invalid",
        );
        let edited = format!("/store/products?fields=id&order=-title&limit=2&after=A{cursor}");
        refused(
            &server.get(&edited).await,
            StatusCode::BAD_REQUEST,
            "invalid",
        );

        // From the brand's side, through the link the other way.
        let (status, body) = server
            .post(
                "/store/graph",
                json!({
                    "entity": "brand",
                    "fields": ["name", "products.title"],
                    "filters": { "id": "brand_1" },
                }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body["data"],
            json!([{ "name": "Acme", "products": [{ "title": "Kettle" }, { "title": "Teapot" }] }])
        );
        assert_eq!(body["metadata"]["count"], 1);
        // A brand listing with a page of products inside each brand and the brand's count.
        let (status, body) = server
            .post(
                "/store/graph",
                json!({
                    "entity": "brand",
                    "fields": ["name", "products.title", "_count.products"],
                    "filters": { "id": "brand_1" },
                    "nested": { "products": { "order": { "title": "DESC" }, "take": 1 } },
                }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body["data"],
            json!([{ "name": "Acme", "products": [{ "title": "Teapot" }], "_count": { "products": 2 } }])
        );

        // What a client cannot ask for.
        refused(
            &server.get("/store/products?limit=ten").await,
            StatusCode::BAD_REQUEST,
            "invalid",
        );
        // Under the store's scope, a name it does not list is refused whether or not it
        // exists, so that a client cannot probe for what else there is.
        refused(
            &server.get("/store/products?fields=nope").await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        refused(
            &server
                .post(
                    "/store/graph",
                    json!({ "entity": "product", "fields": ["id"], "nope": 1 }),
                )
                .await,
            StatusCode::BAD_REQUEST,
            "invalid",
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_scope_keeps_customers_out_of_reach() {
    for server in servers("storefront_scope").await {
        catalog(&server).await;

        // Through the wishlist link, a product reaches the customers who wished for it.
        let leak = server
            .post(
                "/store/graph",
                json!({ "entity": "product", "fields": ["id", "wishlists.customer.email"] }),
            )
            .await;
        refused(&leak, StatusCode::FORBIDDEN, "forbidden");
        assert!(
            !leak.1.to_string().contains("ada@example.com"),
            "{}",
            leak.1
        );
        let query = server
            .get("/store/products?fields=id,wishlists.customer.email")
            .await;
        refused(&query, StatusCode::FORBIDDEN, "forbidden");

        for forbidden in [
            json!({ "entity": "customer", "fields": ["email"] }),
            json!({ "entity": "wishlist" }),
            json!({ "entity": "product", "filters": { "wishlists": { "id": "wl_1" } } }),
            json!({ "entity": "product", "fields": ["id"], "pagination": { "take": 1000 } }),
            json!({
                "entity": "brand",
                "fields": ["products.id"],
                "nested": { "products": { "take": 1000 } },
            }),
            json!({ "entity": "product", "fields": ["id"], "with_deleted": true }),
        ] {
            let answer = server.post("/store/graph", forbidden.clone()).await;
            refused(&answer, StatusCode::FORBIDDEN, "forbidden");
            // A refusal names what was asked, not what else there is.
            let message = answer.1["message"].as_str().unwrap();
            assert!(
                !message.contains("customer_customer_wishlist"),
                "{forbidden}: {message}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_for_one_products_brand_end_in_one_winner() {
    const CLIENTS: usize = 16;
    for server in servers("storefront_race").await {
        let (status, _) = server
            .post(
                "/admin/products",
                json!({ "id": "prod_1", "title": "Kettle" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        for i in 0..CLIENTS {
            let (status, _) = server
                .post(
                    "/admin/brands",
                    json!({ "id": format!("brand_{i}"), "name": format!("Brand {i}") }),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED);
        }
        let server = std::sync::Arc::new(server);
        let racers: Vec<_> = (0..CLIENTS)
            .map(|i| {
                let server = std::sync::Arc::clone(&server);
                tokio::spawn(async move {
                    server
                        .post(
                            "/admin/links/product-brand",
                            json!({ "product_id": "prod_1", "brand_id": format!("brand_{i}") }),
                        )
                        .await
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for racer in racers {
            let (status, body) = racer.await.unwrap();
            if status == StatusCode::CONFLICT {
                assert_eq!(body["type"], "conflict", "{body}");
            }
            statuses.push(status);
        }
        let created = statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count();
        let conflicts = statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count();
        assert_eq!((created, conflicts), (1, CLIENTS - 1), "{statuses:?}");
        let (_, body) = server.get("/store/products?fields=id,brand.id").await;
        assert!(body["products"][0]["brand"]["id"].is_string(), "{body}");
    }
}

/// The binary, as the README runs it: it says where it listens, and serves there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_on_the_address_it_prints() {
    use tokio::io::AsyncBufReadExt;

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_storefront"))
        .args(["--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let line = tokio::time::timeout(std::time::Duration::from_secs(60), lines.next_line())
        .await
        .expect("the server starts")
        .unwrap()
        .unwrap();
    let base = line
        .strip_prefix("storefront listening on ")
        .unwrap_or_else(|| panic!("{line}"));
    let response = Client::new()
        .get(format!("{base}/store/products?fields=id"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({ "products": [], "count": 0, "offset": 0, "limit": storefront::DEFAULT_LIMIT,
                "next_cursor": null })
    );
    child.kill().await.unwrap();
}

/// A fault of the server's own is not the client's: a database gone is 503, a table gone
/// 500, each with a message that tells the client nothing of the server's insides.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_faults_answer_503_and_500() {
    let Some(server) =
        tokio::task::spawn_blocking(|| link_test_support::pg_server("storefront_faults"))
            .await
            .unwrap()
    else {
        return;
    };
    let url = server.url();
    let store = Store::postgres(&url).await.unwrap();
    let front = Server::start(store, None).await;
    let (status, _) = front
        .post("/admin/brands", json!({ "id": "brand_1", "name": "Acme" }))
        .await;
    assert_eq!(status, StatusCode::CREATED);

    // A table the service needs is gone: the database's error is the server's fault.
    tokio::task::spawn_blocking({
        let url = url.clone();
        move || {
            use diesel::connection::SimpleConnection;
            link_test_support::connect(&url)
                .batch_execute("DROP TABLE brand")
                .unwrap();
        }
    })
    .await
    .unwrap();
    let gone = front
        .post("/admin/brands", json!({ "id": "brand_2", "name": "Birch" }))
        .await;
    refused(&gone, StatusCode::INTERNAL_SERVER_ERROR, "internal");
    assert_eq!(gone.1["message"], "internal error", "{}", gone.1);

    // The database itself is gone.
    let server = tokio::task::spawn_blocking(move || {
        server.kill();
        server
    })
    .await
    .unwrap();
    let down = front.get("/store/products?fields=id").await;
    refused(&down, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    drop(server);
}
