//! Writing a plan out as a diesel migration.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::migrate::plan::Plan;
use crate::migrate::sql::comment;

/// Writes the actions [`apply`](super::apply) would run (with the same `allow_unsafe`) as a
/// diesel migration: a folder `DIR/{YYYY-MM-DD-HHMMSS}_link_sync` holding `up.sql` and
/// `down.sql`. Returns the folder, or `None` when there is nothing to run (and nothing is
/// written).
///
/// The files are literal SQL, the `link_metadata` statements included, so that once diesel
/// has run the migration a new [`plan`](super::plan) is empty, and once it has reverted it
/// the plan is back. Skipped actions are listed in `up.sql` as comments. Statements are
/// written for the backend the plan was made on.
///
/// # Errors
///
/// [`Error::Export`] if the folder or a file cannot be written, or if the folder exists.
///
/// ```
/// # use link_runtime::prelude::*;
/// # #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
/// # #[derive(Linkable)] #[linkable(module = "brand")] pub struct Brand { pub id: String }
/// # mod product_brand { use super::*; define_link!(Product, Brand); }
/// use diesel::{Connection, SqliteConnection};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut conn = SqliteConnection::establish(":memory:")?;
/// let plan = link_runtime::migrate::plan(&mut conn)?;
/// let dir = std::env::temp_dir().join(format!("link-export-doc-{}", std::process::id()));
/// let folder = link_runtime::migrate::export_migrations(&plan, &dir, false)?.unwrap();
/// let up = std::fs::read_to_string(folder.join("up.sql"))?;
/// assert!(up.contains(r#"CREATE TABLE IF NOT EXISTS "product_product_brand_brand""#));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(())
/// # }
/// ```
pub fn export_migrations(
    plan: &Plan,
    dir: impl AsRef<Path>,
    allow_unsafe: bool,
) -> Result<Option<PathBuf>> {
    let (run, skipped) = plan.select(allow_unsafe);
    if run.is_empty() {
        return Ok(None);
    }
    let now = chrono::Utc::now();
    let header = format!(
        "-- Link sync for {:?}, planned {} UTC.\n",
        plan.dialect(),
        now.format("%Y-%m-%d %H:%M:%S")
    );

    let mut up = header.clone();
    for skip in &skipped {
        let line = comment(format_args!("skipped: {} [{}]", skip.action, skip.reason));
        writeln!(up, "{line}").expect("String");
    }
    let mut down = header;
    for action in &run {
        write!(up, "\n{}\n", action.heading()).expect("String");
        for statement in action.up() {
            writeln!(up, "{statement}").expect("String");
        }
    }
    for action in run.iter().rev() {
        write!(down, "\n{}\n", comment(format_args!("undo: {action}"))).expect("String");
        for statement in action.down() {
            writeln!(down, "{statement}").expect("String");
        }
    }

    let dir = dir.as_ref();
    let folder = dir.join(format!("{}_link_sync", now.format("%Y-%m-%d-%H%M%S")));
    let fail = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::Export { path, source }
    };
    fs::create_dir_all(dir).map_err(fail(dir))?;
    fs::create_dir(&folder).map_err(fail(&folder))?;
    for (name, text) in [("up.sql", up), ("down.sql", down)] {
        let path = folder.join(name);
        fs::write(&path, text).map_err(fail(&path))?;
    }
    Ok(Some(folder))
}
