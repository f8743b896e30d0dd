//! The runtime's operations as a test calls them, run by the driver of the test's row.
//!
//! In the rows of `backend_tests! { drivers; .. }` named `async_*`, each function runs its
//! operation through `link_runtime::aio` on the thread's mirror connection (a second,
//! diesel-async connection to the same database); elsewhere, through the blocking API on
//! the connection it is given. A test written with these functions is therefore one set of
//! scenarios that both drivers must pass.
//!
//! Each function has the signature of the blocking form it stands for; the per-link methods
//! of `define_link!` (`product_brand::Link::create(conn, ..)`) are [`Via`]'s
//! (`Via::<product_brand::Link>::create(conn, ..)`).
//!
//! A test calls them with no transaction of its own open: the mirror connection could not
//! see what it wrote.

use std::marker::PhantomData;

use diesel::{PgConnection, SqliteConnection};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::AsyncPgConnection;
use link_runtime::graph::{GraphRequest, Limits, Query, Scope};
use link_runtime::migrate::{Applied, Plan};
use link_runtime::service::{
    self, Deletion, Integrity, ListFilter, Modules, Pair, PairWith, SoftDelete,
};
use link_runtime::{
    aio, Created, Id, LinkConnection, LinkSchema, Linkable, LinkedFrom, Result, WritableLink,
};

use crate::mirror::{on_mirror, Mirror};

/// Runs `$aio` (an expression over the async connection `$m`) on the mirror connection when
/// there is one, `$blocking` otherwise. `$aio` is written once and compiled for each of
/// the two async connection types.
macro_rules! routed {
    (|$m:ident| $aio:expr, or $blocking:expr) => {
        match on_mirror(|runtime, mirror| match mirror {
            Mirror::Sqlite($m) => runtime.block_on($aio),
            Mirror::Postgres($m) => {
                let $m = &mut **$m;
                runtime.block_on($aio)
            }
        }) {
            Some(outcome) => outcome,
            None => $blocking,
        }
    };
}

/// The modules a delete or restore cascades into, for every connection type a test row
/// runs on: the blocking connections, and the async ones of the mirror.
pub struct Cascades {
    sqlite: Modules<SqliteConnection>,
    postgres: Modules<PgConnection>,
    async_sqlite: aio::Modules<SyncConnectionWrapper<SqliteConnection>>,
    async_postgres: aio::Modules<AsyncPgConnection>,
}

impl Cascades {
    /// No module: a cascade that reaches one is refused.
    pub fn new() -> Self {
        Cascades {
            sqlite: Modules::new(),
            postgres: Modules::new(),
            async_sqlite: aio::Modules::new(),
            async_postgres: aio::Modules::new(),
        }
    }

    /// With `T`'s module, on every connection type.
    pub fn with<T>(self) -> Self
    where
        T: SoftDelete<SqliteConnection>
            + SoftDelete<PgConnection>
            + aio::SoftDelete<SyncConnectionWrapper<SqliteConnection>>
            + aio::SoftDelete<AsyncPgConnection>,
    {
        Cascades {
            sqlite: self.sqlite.with::<T>(),
            postgres: self.postgres.with::<T>(),
            async_sqlite: self.async_sqlite.with::<T>(),
            async_postgres: self.async_postgres.with::<T>(),
        }
    }
}

impl Default for Cascades {
    fn default() -> Self {
        Cascades::new()
    }
}

/// A blocking connection a test row hands out.
pub trait RowConnection: LinkConnection {
    /// The modules of `cascades` for this connection type.
    fn modules(cascades: &Cascades) -> &Modules<Self>;
}

impl RowConnection for SqliteConnection {
    fn modules(cascades: &Cascades) -> &Modules<Self> {
        &cascades.sqlite
    }
}

impl RowConnection for PgConnection {
    fn modules(cascades: &Cascades) -> &Modules<Self> {
        &cascades.postgres
    }
}

/// `link_runtime::migrate`.
pub fn migrate<C: LinkConnection>(conn: &mut C) -> Result<Applied> {
    routed!(|m| aio::migrate(m), or link_runtime::migrate(conn))
}

/// `link_runtime::migrate::plan`.
pub fn plan<C: LinkConnection>(conn: &mut C) -> Result<Plan> {
    routed!(|m| aio::plan(m), or link_runtime::migrate::plan(conn))
}

/// `link_runtime::migrate::plan_for`.
pub fn plan_for<C: LinkConnection>(conn: &mut C, links: &[&LinkSchema]) -> Result<Plan> {
    routed!(
        |m| aio::plan_for(m, links),
        or link_runtime::migrate::plan_for(conn, links)
    )
}

/// `link_runtime::migrate::apply`.
pub fn apply<C: LinkConnection>(conn: &mut C, plan: &Plan, allow_unsafe: bool) -> Result<Applied> {
    routed!(
        |m| aio::apply(m, plan, allow_unsafe),
        or link_runtime::migrate::apply(conn, plan, allow_unsafe)
    )
}

/// `Query::new(conn).graph(request)`.
pub fn graph<C, R>(conn: &mut C, request: R) -> Result<R::Output>
where
    C: LinkConnection,
    R: GraphRequest,
{
    graph_under(conn, None, None, request)
}

/// `Query::new(conn).scope(scope).graph(request)`.
pub fn graph_scoped<C, R>(conn: &mut C, scope: &Scope, request: R) -> Result<R::Output>
where
    C: LinkConnection,
    R: GraphRequest,
{
    graph_under(conn, Some(scope), None, request)
}

/// `Query::new(conn).limits(limits).graph(request)`, under `scope` too if there is one.
pub fn graph_limited<C, R>(
    conn: &mut C,
    scope: Option<&Scope>,
    limits: &Limits,
    request: R,
) -> Result<R::Output>
where
    C: LinkConnection,
    R: GraphRequest,
{
    graph_under(conn, scope, Some(limits), request)
}

/// A graph query, under `scope` and `limits` if there are.
fn graph_under<C, R>(
    conn: &mut C,
    scope: Option<&Scope>,
    limits: Option<&Limits>,
    request: R,
) -> Result<R::Output>
where
    C: LinkConnection,
    R: GraphRequest,
{
    /// `$query` under `scope` and `limits`.
    macro_rules! under {
        ($query:expr) => {{
            let query = $query;
            let query = match scope {
                Some(scope) => query.scope(scope),
                None => query,
            };
            match limits {
                Some(limits) => query.limits(limits.clone()),
                None => query,
            }
        }};
    }
    let mut request = Some(request);
    let routed = on_mirror(|runtime, mirror| {
        let request = request.take().expect("taken once");
        match mirror {
            Mirror::Sqlite(m) => runtime.block_on(under!(aio::Query::new(m)).graph(request)),
            Mirror::Postgres(m) => {
                runtime.block_on(under!(aio::Query::new(&mut **m)).graph(request))
            }
        }
    });
    match (routed, request) {
        (Some(outcome), _) => outcome,
        (None, Some(request)) => under!(Query::new(conn)).graph(request),
        (None, None) => unreachable!("the request is taken only on the mirror"),
    }
}

/// `link_runtime::create`.
pub fn create<C, A, B, L>(conn: &mut C, left: Id<A>, right: Id<B>) -> Result<Created>
where
    C: LinkConnection,
    A: Linkable,
    B: LinkedFrom<A, L>,
    L: WritableLink<Left = A, Right = B>,
{
    Via::<L>::create(conn, left, right)
}

/// `link_runtime::dismiss`.
pub fn dismiss<C, A, B, L>(conn: &mut C, left: Id<A>, right: Id<B>) -> Result<bool>
where
    C: LinkConnection,
    A: Linkable,
    B: LinkedFrom<A, L>,
    L: WritableLink<Left = A, Right = B>,
{
    Via::<L>::dismiss(conn, left, right)
}

/// `link_runtime::delete`, cascading into `cascades`.
pub fn delete<M, C>(conn: &mut C, cascades: &Cascades, ids: &[Id<M>]) -> Result<Deletion>
where
    M: Linkable,
    C: RowConnection,
{
    routed!(
        |m| aio::delete(m, AsyncRow::modules(cascades), ids),
        or link_runtime::delete(conn, C::modules(cascades), ids)
    )
}

/// `link_runtime::restore`, through `cascades`.
pub fn restore<C: RowConnection>(
    conn: &mut C,
    cascades: &Cascades,
    deletion: &Deletion,
) -> Result<usize> {
    routed!(
        |m| aio::restore(m, AsyncRow::modules(cascades), deletion),
        or link_runtime::restore(conn, C::modules(cascades), deletion)
    )
}

/// `service::check`.
pub fn check<C: LinkConnection>(conn: &mut C, prune: bool) -> Result<Integrity> {
    routed!(|m| aio::check(m, prune), or service::check(conn, prune))
}

/// An async connection of the mirror.
trait AsyncRow: Sized {
    fn modules(cascades: &Cascades) -> &aio::Modules<Self>;
}

impl AsyncRow for SyncConnectionWrapper<SqliteConnection> {
    fn modules(cascades: &Cascades) -> &aio::Modules<Self> {
        &cascades.async_sqlite
    }
}

impl AsyncRow for AsyncPgConnection {
    fn modules(cascades: &Cascades) -> &aio::Modules<Self> {
        &cascades.async_postgres
    }
}

/// The methods `define_link!` gives a link (`Link::create`, `Link::list`, ..), run by the
/// row's driver: `Via::<product_brand::Link>::create(conn, product, brand)`.
pub struct Via<L>(PhantomData<L>);

impl<L> Via<L>
where
    L: WritableLink,
    L::Right: LinkedFrom<L::Left, L>,
{
    /// `Link::create`.
    pub fn create<C: LinkConnection>(
        conn: &mut C,
        left: Id<L::Left>,
        right: Id<L::Right>,
    ) -> Result<Created> {
        routed!(
            |m| aio::create::<_, L::Left, L::Right, L>(m, left.clone(), right.clone()),
            or service::create::<L, C>(conn, &left, &right)
        )
    }

    /// `Link::create_with`.
    pub fn create_with<C: LinkConnection>(
        conn: &mut C,
        left: Id<L::Left>,
        right: Id<L::Right>,
        columns: L::Columns,
    ) -> Result<Created>
    where
        L::Columns: Clone,
    {
        routed!(
            |m| aio::create_with::<_, L::Left, L::Right, L>(
                m,
                left.clone(),
                right.clone(),
                columns.clone()
            ),
            or service::create_with::<L, C>(conn, &left, &right, &columns)
        )
    }

    /// `Link::create_many`.
    pub fn create_many<C: LinkConnection>(conn: &mut C, pairs: &[Pair<L>]) -> Result<Vec<Created>> {
        routed!(
            |m| aio::create_many::<_, L::Left, L::Right, L>(m, pairs),
            or service::create_many::<L, C>(conn, pairs)
        )
    }

    /// `Link::create_many_with`.
    pub fn create_many_with<C: LinkConnection>(
        conn: &mut C,
        rows: &[PairWith<L>],
    ) -> Result<Vec<Created>> {
        routed!(
            |m| aio::create_many_with::<_, L>(m, rows),
            or service::create_many_with::<L, C>(conn, rows)
        )
    }

    /// `Link::dismiss`.
    pub fn dismiss<C: LinkConnection>(
        conn: &mut C,
        left: Id<L::Left>,
        right: Id<L::Right>,
    ) -> Result<bool> {
        routed!(
            |m| aio::dismiss::<_, L::Left, L::Right, L>(m, left.clone(), right.clone()),
            or service::dismiss::<L, C>(conn, &left, &right)
        )
    }

    /// `Link::dismiss_many`.
    pub fn dismiss_many<C: LinkConnection>(conn: &mut C, pairs: &[Pair<L>]) -> Result<usize> {
        routed!(
            |m| aio::dismiss_many::<_, L::Left, L::Right, L>(m, pairs),
            or service::dismiss_many::<L, C>(conn, pairs)
        )
    }

    /// `Link::update`.
    pub fn update<C: LinkConnection>(
        conn: &mut C,
        left: Id<L::Left>,
        right: Id<L::Right>,
        columns: L::Columns,
    ) -> Result<()> {
        Self::update_many(conn, &[(left, right, columns)]).map(drop)
    }

    /// `Link::update_many`.
    pub fn update_many<C: LinkConnection>(conn: &mut C, rows: &[PairWith<L>]) -> Result<usize> {
        routed!(
            |m| aio::update_many::<_, L>(m, rows),
            or service::update_many::<L, C>(conn, rows)
        )
    }

    /// `Link::list`.
    pub fn list<C: LinkConnection>(conn: &mut C, filter: &ListFilter<L>) -> Result<Vec<L::Row>> {
        routed!(
            |m| aio::list(m, filter),
            or service::list::<L, C>(conn, filter)
        )
    }
}
