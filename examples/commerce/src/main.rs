//! `commerce [--database PATH] [links <COMMAND>]`: runs the commerce demo, or syncs its link
//! tables.
//!
//! Without `--database` it runs on an in-memory SQLite database; with it, on the file at
//! `PATH` (created if missing), which the demo can run on again and again. `links` is the
//! runtime's embeddable command (`link_runtime::cli::LinksCommand`): `links plan`,
//! `links migrate [--allow-unsafe]`, `links sql` and `links export-migrations DIR`.

#![deny(warnings)]
#![forbid(unsafe_code)]

use std::error::Error;
use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use diesel::{Connection, SqliteConnection};
use link_runtime::cli::LinksCommand;

/// The commerce demo: product, brand, customer and review modules, joined by links.
#[derive(Parser)]
#[command(name = "commerce")]
struct Cli {
    /// The SQLite database file, created if missing.
    #[arg(long, default_value = ":memory:")]
    database: String,

    /// Without a command, the demo runs.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Sync the link tables with the files of src/links.
    #[command(subcommand)]
    Links(LinksCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut conn = match SqliteConnection::establish(&cli.database) {
        Ok(conn) => conn,
        Err(error) => {
            eprintln!(
                "commerce: cannot open the database `{}`: {error}",
                cli.database
            );
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    let result: Result<(), Box<dyn Error>> = match &cli.command {
        None => commerce::run(&mut conn, &mut out)
            .map(drop)
            .map_err(Into::into),
        Some(Command::Links(links)) => links.run(&mut conn, &mut out).map_err(Into::into),
    };
    let _ = out.flush();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("commerce: {error}");
            let mut source = error.source();
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}
