//! `commerce [--database PATH]`: runs the commerce demo and prints what it does.
//!
//! Without `--database` the demo runs on an in-memory SQLite database; with it, on the
//! file at `PATH` (created if missing), which the demo can run on again and again.

#![deny(warnings)]
#![forbid(unsafe_code)]

use std::process::ExitCode;

use diesel::{Connection, SqliteConnection};

const USAGE: &str = "usage: commerce [--database PATH]    (default: an in-memory database)";

fn main() -> ExitCode {
    let database = match database(std::env::args().skip(1)) {
        Ok(Some(database)) => database,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("commerce: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut conn = match SqliteConnection::establish(&database) {
        Ok(conn) => conn,
        Err(error) => {
            eprintln!("commerce: cannot open the database `{database}`: {error}");
            return ExitCode::FAILURE;
        }
    };
    match commerce::run(&mut conn, &mut std::io::stdout()) {
        Ok(_) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("commerce: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The database to open: `--database PATH` (or `--database=PATH`), `:memory:` without it,
/// and `None` when help was asked for.
fn database(mut args: impl Iterator<Item = String>) -> Result<Option<String>, String> {
    let mut database = None;
    while let Some(arg) = args.next() {
        let path = match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--database" => args
                .next()
                .ok_or_else(|| "`--database` needs a path".to_owned())?,
            _ => match arg.strip_prefix("--database=") {
                Some(path) => path.to_owned(),
                None => return Err(format!("unexpected argument `{arg}`")),
            },
        };
        if database.replace(path).is_some() {
            return Err("`--database` is given twice".to_owned());
        }
    }
    Ok(Some(database.unwrap_or_else(|| ":memory:".to_owned())))
}
