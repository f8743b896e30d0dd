//! `cargo run -p storefront -- --listen 127.0.0.1:3000 [--database FILE | --postgres URL]`

use std::net::SocketAddr;

use clap::Parser;
use storefront::Store;

/// Serves the storefront's admin and store APIs.
#[derive(Debug, Parser)]
struct Args {
    /// The address to listen on (port 0: any free port; the line printed says which).
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// A SQLite file to keep the shop in, instead of memory.
    #[arg(long, conflicts_with = "postgres")]
    database: Option<String>,
    /// A PostgreSQL URL to keep the shop in, instead of memory.
    #[arg(long)]
    postgres: Option<String>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let store = match (&args.database, &args.postgres) {
        (Some(path), _) => Store::sqlite_file(path).await?,
        (_, Some(url)) => Store::postgres(url).await?,
        _ => Store::memory().await?,
    };
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    println!("storefront listening on http://{}", listener.local_addr()?);
    axum::serve(listener, storefront::router(store))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
