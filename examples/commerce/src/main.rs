//! `commerce [--database PATH | --per-module DIR] [links <COMMAND>]`: runs the commerce
//! demo, or syncs its link tables.
//!
//! Where the tables are:
//!
//! - `--database PATH`: everything in one SQLite database, the file at `PATH` (created if
//!   missing). Without either flag, everything is in one in-memory database.
//! - `--per-module DIR`: each module in a SQLite database of its own, `DIR/<module>.db`
//!   (`product.db`, `brand.db`, `customer.db`, `review.db`), and the link tables in
//!   `DIR/links.db`. `DIR` and the files are created if missing; each use of a database
//!   opens a new connection to its file.
//!
//! On files, the demo can run again and again and prints the same listing. `links` is the
//! runtime's embeddable command (`link_runtime::cli::LinksCommand`): `links plan`,
//! `links migrate [--allow-unsafe]`, `links sql`, `links export-migrations DIR` and
//! `links check [--prune]`. The sync commands run on the database that holds the link tables:
//! `PATH`, or `DIR/links.db`; `check` looks each linked record up in its module's database.

#![deny(warnings)]
#![forbid(unsafe_code)]

use std::error::Error;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use diesel::{Connection, SqliteConnection};
use link_runtime::cli::LinksCommand;
use link_runtime::databases::{Database, Databases};

/// The commerce demo: product, brand, customer and review modules, joined by links.
#[derive(Parser)]
#[command(name = "commerce")]
struct Cli {
    /// The SQLite database file for every module and the link tables, created if missing.
    #[arg(long, value_name = "PATH", default_value = ":memory:")]
    database: String,

    /// A folder of SQLite databases, created if missing: DIR/<module>.db for each module's
    /// tables, DIR/links.db for the link tables.
    #[arg(long, value_name = "DIR", conflicts_with = "database")]
    per_module: Option<PathBuf>,

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

/// Everything in the database at `path`, on one connection.
fn one(path: &str) -> Result<Databases<SqliteConnection>, Box<dyn Error>> {
    let conn = SqliteConnection::establish(path)
        .map_err(|error| format!("cannot open the database `{path}`: {error}"))?;
    Ok(Databases::new(&Database::from_connection(conn).named(path)))
}

/// Each module in `dir/<module>.db`, the link tables in `dir/links.db`.
fn per_module(dir: &Path) -> Result<Databases<SqliteConnection>, Box<dyn Error>> {
    std::fs::create_dir_all(dir)
        .map_err(|error| format!("cannot create the folder `{}`: {error}", dir.display()))?;
    let mut databases = Databases::new(&file(dir, "links")?);
    for module in commerce::MODULES {
        databases = databases.module(module, &file(dir, module)?);
    }
    Ok(databases)
}

/// The database in the file `dir/<name>.db`, named by its path: a new connection per use.
fn file(dir: &Path, name: &str) -> Result<Database<SqliteConnection>, Box<dyn Error>> {
    let path = dir.join(format!("{name}.db"));
    let path = path
        .to_str()
        .ok_or_else(|| format!("the path `{}` is not UTF-8", path.display()))?
        .to_owned();
    Ok(Database::connect(path.clone(), move || {
        SqliteConnection::establish(&path)
    }))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let databases = match &cli.per_module {
        Some(dir) => per_module(dir),
        None => one(&cli.database),
    };
    let mut out = std::io::stdout().lock();
    let result = databases.and_then(|databases| -> Result<(), Box<dyn Error>> {
        match &cli.command {
            None => commerce::run(&databases, &mut out)
                .map(drop)
                .map_err(Into::into),
            Some(Command::Links(links)) => {
                links.run_across(&databases, &mut out).map_err(Into::into)
            }
        }
    });
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
