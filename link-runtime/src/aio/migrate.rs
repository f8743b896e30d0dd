//! The sync of link tables, awaited: [`migrate`], [`plan`], [`plan_for`], [`apply`].

use super::connection::{Async, AsyncLinkConnection};
use crate::definition::LinkSchema;
use crate::error::Result;
use crate::migrate::{self as sync, Applied, Plan};

/// [`link_runtime::migrate`](crate::migrate()), awaited: plans the sync of every registered
/// link and applies its safe actions.
///
/// # Errors
///
/// As [`link_runtime::migrate`](crate::migrate()).
pub async fn migrate<C: AsyncLinkConnection>(conn: &mut C) -> Result<Applied> {
    sync::migrate_in(&mut Async(conn)).await
}

/// [`migrate::plan`](crate::migrate::plan), awaited.
///
/// # Errors
///
/// As [`migrate::plan`](crate::migrate::plan).
pub async fn plan<C: AsyncLinkConnection>(conn: &mut C) -> Result<Plan> {
    sync::plan_in(&mut Async(conn)).await
}

/// [`migrate::plan_for`](crate::migrate::plan_for), awaited.
///
/// # Errors
///
/// As [`migrate::plan_for`](crate::migrate::plan_for).
pub async fn plan_for<C: AsyncLinkConnection>(conn: &mut C, links: &[&LinkSchema]) -> Result<Plan> {
    sync::plan_for_in(&mut Async(conn), links).await
}

/// [`migrate::apply`](crate::migrate::apply), awaited.
///
/// # Errors
///
/// As [`migrate::apply`](crate::migrate::apply).
pub async fn apply<C: AsyncLinkConnection>(
    conn: &mut C,
    plan: &Plan,
    allow_unsafe: bool,
) -> Result<Applied> {
    sync::apply_in(&mut Async(conn), plan, allow_unsafe).await
}
