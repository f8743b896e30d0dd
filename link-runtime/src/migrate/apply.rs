//! Running a plan.

use crate::backend::{block_on, finish, Blocking, Executor, LinkConnection};
use crate::error::{Error, Result};
use crate::migrate::plan::{Action, ActionKind, Plan, Skipped};
use crate::trace::operation;

/// What [`apply`] (or [`migrate`](crate::migrate())) did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Applied {
    /// The actions that ran, in order.
    pub applied: Vec<Action>,
    /// The actions that did not run, with the reason.
    pub skipped: Vec<Skipped>,
}

impl Applied {
    /// The link tables that were created.
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
    /// let applied = link_runtime::migrate(&mut conn)?;
    /// assert_eq!(applied.tables_created().collect::<Vec<_>>(), ["product_product_brand_brand"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn tables_created(&self) -> impl Iterator<Item = &str> {
        self.applied
            .iter()
            .filter(|action| *action.kind() == ActionKind::CreateTable)
            .map(Action::table)
    }
}

/// Runs `plan`'s safe actions, and its unsafe ones when `allow_unsafe` is true.
///
/// Each action runs in its own transaction, so an action either happens whole or not at
/// all, and a sync cut short resumes where it stopped: the next [`plan`](super::plan)
/// finds only what is left. A link is recorded in `link_metadata` in the last transaction
/// of its actions, and not at all while any of them is skipped.
///
/// # Errors
///
/// - [`Error::WrongDialect`] if the plan was made on another backend (nothing runs);
/// - [`Error::Sync`] naming the action that failed: it was rolled back, and the actions
///   before it stay applied.
///
/// ```
/// # use link_runtime::prelude::*;
/// # #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
/// # #[derive(Linkable)] #[linkable(module = "brand")] pub struct Brand { pub id: String }
/// # mod product_brand { use super::*; define_link!(Product, Brand); }
/// use diesel::{Connection, SqliteConnection};
/// use link_runtime::migrate::{apply, plan};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut conn = SqliteConnection::establish(":memory:")?;
/// let plan = plan(&mut conn)?;
/// println!("{plan}"); // the SQL, for review
/// let applied = apply(&mut conn, &plan, false)?;
/// assert_eq!(applied.applied.len(), plan.actions().len());
/// assert!(applied.skipped.is_empty());
/// # Ok(())
/// # }
/// ```
pub fn apply<C: LinkConnection>(conn: &mut C, plan: &Plan, allow_unsafe: bool) -> Result<Applied> {
    block_on(apply_in(&mut Blocking(conn), plan, allow_unsafe))
}

/// [`apply`] on any executor.
pub(crate) async fn apply_in<E: Executor>(
    conn: &mut E,
    plan: &Plan,
    allow_unsafe: bool,
) -> Result<Applied> {
    operation!(
        "link_runtime.apply",
        { actions = plan.actions().len(), allow_unsafe, applied = Empty, skipped = Empty, },
        |span| async {
            let applied = apply_actions(conn, plan, allow_unsafe).await?;
            span.record("applied", applied.applied.len());
            span.record("skipped", applied.skipped.len());
            Ok(applied)
        }
    )
}

async fn apply_actions<E: Executor>(
    conn: &mut E,
    plan: &Plan,
    allow_unsafe: bool,
) -> Result<Applied> {
    if plan.dialect() != E::DIALECT {
        return Err(Error::WrongDialect {
            planned: plan.dialect(),
            connection: E::DIALECT,
        });
    }
    let (run, skipped) = plan.select(allow_unsafe);
    let mut applied = Vec::with_capacity(run.len());
    for action in run {
        conn.begin().await.map_err(|source| Error::Sync {
            action: action.to_string(),
            source,
        })?;
        let ran = async {
            for statement in action.up() {
                conn.batch_execute(statement).await?;
            }
            Ok(())
        }
        .await;
        finish(conn, ran).await.map_err(|source| Error::Sync {
            action: action.to_string(),
            source,
        })?;
        applied.push(action.clone());
    }
    Ok(Applied { applied, skipped })
}
