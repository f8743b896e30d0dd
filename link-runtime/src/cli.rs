//! The `links` command, for a binary to embed with clap (feature `cli`).
//!
//! [`LinksCommand`] is a clap subcommand; a binary nests it under a name of its choosing
//! and runs it on its own connection:
//!
//! ```
//! # use link_runtime::prelude::*;
//! # #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
//! # #[derive(Linkable)] #[linkable(module = "brand")] pub struct Brand { pub id: String }
//! # mod product_brand { use super::*; define_link!(Product, Brand); }
//! use clap::{Parser, Subcommand};
//! use diesel::{Connection, SqliteConnection};
//! use link_runtime::cli::LinksCommand;
//!
//! #[derive(Parser)]
//! struct Cli {
//!     #[arg(long, default_value = "app.db")]
//!     database: String,
//!     #[command(subcommand)]
//!     command: Command,
//! }
//!
//! #[derive(Subcommand)]
//! enum Command {
//!     /// Sync the link tables: plan, migrate, sql, export-migrations; check links.
//!     #[command(subcommand)]
//!     Links(LinksCommand),
//!     Serve,
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // `app --database :memory: links plan`
//! let cli = Cli::parse_from(["app", "--database", ":memory:", "links", "plan"]);
//! let mut conn = SqliteConnection::establish(&cli.database)?;
//! let mut out = Vec::new();
//! if let Command::Links(links) = &cli.command {
//!     links.run(&mut conn, &mut out)?;
//! }
//! let out = String::from_utf8(out)?;
//! assert!(out.contains("[safe] create table `product_product_brand_brand` (product -> brand)"));
//! # Ok(())
//! # }
//! ```

use std::io::Write;
use std::path::PathBuf;

use crate::backend::LinkConnection;
use crate::databases::Databases;
use crate::error::{Error, Result};
use crate::migrate::{self, Plan, SkipReason, Skipped};
use crate::service::{self, Gone, Integrity};

/// `links <command>`: sync a database's link tables with the links the program defines.
#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
#[non_exhaustive]
pub enum LinksCommand {
    /// List what a sync would do, each action marked safe or unsafe. Changes nothing.
    Plan,
    /// Run the plan: its safe actions, and the unsafe ones with `--allow-unsafe`.
    Migrate {
        /// Also run actions that lose data, such as dropping a link table that holds rows.
        #[arg(long)]
        allow_unsafe: bool,
    },
    /// Print the plan as the SQL it runs, to review. Changes nothing.
    Sql,
    /// Write the plan as a diesel migration folder (up.sql, down.sql) in DIR.
    ExportMigrations {
        /// The migrations folder, e.g. `migrations`.
        dir: PathBuf,
        /// Also export actions that lose data.
        #[arg(long)]
        allow_unsafe: bool,
    },
    /// List the live links whose records are missing or soft-deleted, and the records with
    /// more live links than their link allows, per link table. Changes nothing without
    /// `--prune`.
    Check {
        /// Soft-delete the links found (a dismiss: they can be revived): those to missing
        /// or deleted records, then all but the newest live link of each record that holds
        /// too many.
        #[arg(long)]
        prune: bool,
    },
}

impl LinksCommand {
    /// Runs the command on `conn`, writing what it does to `out`.
    ///
    /// # Errors
    ///
    /// The errors of [`migrate::plan`], [`migrate::apply`],
    /// [`migrate::export_migrations`] and [`service::check`], and [`Error::Output`] if
    /// `out` cannot be written.
    pub fn run<C: LinkConnection>(&self, conn: &mut C, out: &mut dyn Write) -> Result<()> {
        match self {
            LinksCommand::Plan => write_plan(&migrate::plan(conn)?, out).map_err(Error::Output),
            LinksCommand::Sql => write!(out, "{}", migrate::plan(conn)?).map_err(Error::Output),
            LinksCommand::Migrate { allow_unsafe } => {
                let plan = migrate::plan(conn)?;
                let applied = migrate::apply(conn, &plan, *allow_unsafe)?;
                for action in &applied.applied {
                    writeln!(out, "applied: {action}").map_err(Error::Output)?;
                }
                write_skipped(&applied.skipped, out)?;
                writeln!(
                    out,
                    "{} action(s) applied, {} skipped",
                    applied.applied.len(),
                    applied.skipped.len()
                )
                .map_err(Error::Output)
            }
            LinksCommand::ExportMigrations { dir, allow_unsafe } => {
                let plan = migrate::plan(conn)?;
                let skipped = plan.skipped(*allow_unsafe);
                match migrate::export_migrations(&plan, dir, *allow_unsafe)? {
                    Some(folder) => {
                        writeln!(out, "wrote {}", folder.join("{up.sql,down.sql}").display())
                    }
                    None => writeln!(out, "nothing to export"),
                }
                .map_err(Error::Output)?;
                write_skipped(&skipped, out)
            }
            LinksCommand::Check { prune } => {
                let integrity = service::check(conn, *prune)?;
                write_integrity(&integrity, *prune, out).map_err(Error::Output)
            }
        }
    }

    /// Runs the command on `databases`: the sync commands on the database of the links not
    /// placed elsewhere (as [`run`](Self::run) on
    /// [`Databases::for_links`](crate::databases::Databases::for_links)), and `check`
    /// across every database, each record looked up where its module is.
    ///
    /// # Errors
    ///
    /// As [`run`](Self::run), and [`Error::Connection`].
    pub fn run_across<C: LinkConnection>(
        &self,
        databases: &Databases<C>,
        out: &mut dyn Write,
    ) -> Result<()> {
        match self {
            LinksCommand::Check { prune } => {
                let integrity = databases.check(*prune)?;
                write_integrity(&integrity, *prune, out).map_err(Error::Output)
            }
            _ => self.run(&mut *databases.for_links()?, out),
        }
    }
}

fn write_integrity(integrity: &Integrity, prune: bool, out: &mut dyn Write) -> std::io::Result<()> {
    for link in &integrity.links {
        let (left, right) = link.models;
        write!(
            out,
            "{}: {} live link(s), {} to missing or deleted records",
            link.table,
            link.live,
            link.dangling.len()
        )?;
        if link.overlinked.is_empty() {
            writeln!(out)?;
        } else {
            writeln!(
                out,
                ", {} record(s) with more live partners than the link allows",
                link.overlinked.len()
            )?;
        }
        let gone = |gone: Option<Gone>| gone.map(|gone| format!(" ({gone})")).unwrap_or_default();
        for dangling in &link.dangling {
            writeln!(
                out,
                "  {}: {left} {}{} -> {right} {}{}",
                dangling.link_id,
                dangling.left,
                gone(dangling.left_gone),
                dangling.right,
                gone(dangling.right_gone),
            )?;
        }
        for overlinked in &link.overlinked {
            let (kept, others) = overlinked
                .partners
                .split_first()
                .expect("an overlinked record has partners");
            writeln!(
                out,
                "  {} {} has {} live {} links where it may have one: {kept} (the newest, which a prune keeps), {}",
                overlinked.model,
                overlinked.record,
                overlinked.partners.len(),
                overlinked.partner_model,
                others.join(", "),
            )?;
        }
        if link.pruned > 0 {
            writeln!(out, "  pruned {} link(s): soft-deleted", link.pruned)?;
        }
    }
    if integrity.is_clean() {
        writeln!(out, "every live link points at live records")
    } else if prune {
        writeln!(out, "the links found were pruned")
    } else {
        writeln!(out, "`links check --prune` soft-deletes the links found")
    }
}

fn write_plan(plan: &Plan, out: &mut dyn Write) -> std::io::Result<()> {
    if plan.is_empty() {
        return writeln!(out, "the database is in sync with the links: nothing to do");
    }
    writeln!(out, "link sync plan ({:?}):", plan.dialect())?;
    for action in plan.actions() {
        writeln!(out, "  [{}] {action}", action.safety())?;
    }
    if plan.actions().iter().any(|action| !action.is_safe()) {
        writeln!(
            out,
            "`links migrate` runs the safe actions only; `links migrate --allow-unsafe` runs all"
        )?;
    }
    Ok(())
}

fn write_skipped(skipped: &[Skipped], out: &mut dyn Write) -> Result<()> {
    for skip in skipped {
        writeln!(out, "skipped: {} [{}]", skip.action, skip.reason).map_err(Error::Output)?;
    }
    if skipped
        .iter()
        .any(|skip| matches!(skip.reason, SkipReason::Unsafe { .. }))
    {
        writeln!(out, "unsafe actions run with `--allow-unsafe`").map_err(Error::Output)?;
    }
    Ok(())
}
