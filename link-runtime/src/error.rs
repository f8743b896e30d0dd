//! The errors of the link runtime: [`Error`], what each means to a caller
//! ([`ErrorKind`], in `kind.rs`) and how to describe one to a client ([`ErrorDetails`], in
//! `details.rs`).

mod details;
mod kind;

pub use details::ErrorDetails;
#[cfg(feature = "tracing")]
pub(crate) use kind::database_kind;
pub(crate) use kind::gave_up_for_concurrency;
pub use kind::ErrorKind;

/// Everything that can go wrong in the link runtime.
///
/// ```
/// use link_runtime::Error;
///
/// let error = Error::Cardinality {
///     link: "product_product_brand_brand",
///     model: "product",
///     record: "prod_1".into(),
///     partner_model: "brand",
///     partner: "brand_1".into(),
///     refused: "brand_2".into(),
/// };
/// assert_eq!(
///     error.to_string(),
///     "link `product_product_brand_brand` allows one brand per product, \
///      and product `prod_1` is already linked to brand `brand_1` (refused: brand `brand_2`)"
/// );
/// ```
///
/// To answer a request with it, [`kind`](Error::kind) says what it means to the caller
/// (and so the status code), and [`details`](Error::details) what to tell them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A link would give a record a second live partner on a side that is not a list.
    /// Nothing was written.
    #[error(
        "link `{link}` allows one {partner_model} per {model}, and {model} `{record}` is \
         already linked to {partner_model} `{partner}` (refused: {partner_model} `{refused}`)"
    )]
    Cardinality {
        /// The link's table.
        link: &'static str,
        /// The model of the record that would have two partners.
        model: &'static str,
        /// The record that would have two partners.
        record: String,
        /// The model on the other side.
        partner_model: &'static str,
        /// The record's current partner.
        partner: String,
        /// The partner that was refused.
        refused: String,
    },

    /// A graph query read a side on which a record holds one partner at most, and a record
    /// it read holds several live links there: a table adopted from Medusa, whose own
    /// cardinality check was a read before the write, before `links check --prune` (or
    /// [`check`](crate::service::check) with `prune`) dismissed all but the newest. The
    /// query fails as a whole, naming the first such record it found; a side whose unique
    /// index exists cannot hold one, and is not looked at.
    ///
    /// ```
    /// use link_runtime::{Error, ErrorKind};
    ///
    /// let error = Error::OverLinked {
    ///     link: "product_product_brand_brand",
    ///     model: "product",
    ///     record: "prod_2".into(),
    ///     partner_model: "brand",
    ///     partners: vec!["brand_1".into(), "brand_2".into()],
    /// };
    /// assert_eq!(
    ///     error.to_string(),
    ///     "link `product_product_brand_brand` allows one brand per product, and product \
    ///      `prod_2` has 2 live links, to brand `brand_1`, `brand_2`: `links check --prune` \
    ///      keeps the newest and dismisses the others"
    /// );
    /// assert_eq!(error.kind(), ErrorKind::Conflict);
    /// ```
    #[error(
        "link `{link}` allows one {partner_model} per {model}, and {model} `{record}` has {} \
         live links, to {partner_model} {}: `links check --prune` keeps the newest and \
         dismisses the others",
        partners.len(),
        listed(partners)
    )]
    OverLinked {
        /// The link's table.
        link: &'static str,
        /// The model of the record.
        model: &'static str,
        /// The record that holds several live links.
        record: String,
        /// The model on the other side.
        partner_model: &'static str,
        /// Its live partners, sorted.
        partners: Vec<String>,
    },

    /// An update of extra column values named pairs that have no live link: never linked,
    /// or dismissed. Nothing was written.
    ///
    /// ```
    /// use link_runtime::{Error, ErrorKind};
    ///
    /// let error = Error::LinkNotFound {
    ///     link: "product_product_brand_brand",
    ///     model: "product",
    ///     partner_model: "brand",
    ///     missing: vec![("prod_1".into(), "brand_9".into())],
    /// };
    /// assert_eq!(
    ///     error.to_string(),
    ///     "link `product_product_brand_brand` has no live link between product `prod_1` \
    ///      and brand `brand_9`"
    /// );
    /// assert_eq!(error.kind(), ErrorKind::NotFound);
    /// ```
    #[error(
        "link `{link}` has no live link between {}",
        missing_pairs(model, partner_model, missing)
    )]
    LinkNotFound {
        /// The link's table.
        link: &'static str,
        /// The model of the link's first side.
        model: &'static str,
        /// The model of the link's second side.
        partner_model: &'static str,
        /// The pairs without a live link, as (first side's id, second side's id), in
        /// order, each once.
        missing: Vec<(String, String)>,
    },

    /// Two registered links use the same table.
    #[error("links `{first}` and `{second}` both use the table `{table}`: name one with `database(table = \"...\")`")]
    DuplicateTable {
        /// The table both links use.
        table: &'static str,
        /// The first link, as `left -> right`.
        first: String,
        /// The second link, as `left -> right`.
        second: String,
    },

    /// A `delete_cascade` reached a model whose module was not given to
    /// [`delete`](crate::service::delete) or [`restore`](crate::service::restore).
    /// Nothing was deleted or restored.
    #[error(
        "`delete_cascade` reaches {module}.{model}, but the modules given have no `SoftDelete` \
         for it: add `.with::<{model}'s type>()` to `Modules`"
    )]
    NoSoftDelete {
        /// The module of the model.
        module: &'static str,
        /// The model.
        model: &'static str,
    },

    /// A module failed to soft-delete or restore its records for a cascade. Nothing was
    /// deleted or restored.
    #[error("module `{module}` could not {action} its `{model}` records")]
    Module {
        /// The module.
        module: &'static str,
        /// The model whose records were being changed.
        model: &'static str,
        /// `soft-delete` or `restore`.
        action: &'static str,
        /// The module's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// [`Databases::for_module`](crate::databases::Databases::for_module) names a module
    /// that no linkable model belongs to and no database was given for.
    #[error("no module `{module}` is registered (known: {})", known.join(", "))]
    UnknownModule {
        /// The name asked for.
        module: String,
        /// The modules of the registered models.
        known: Vec<String>,
    },

    /// A database's connection source could not hand out a connection.
    #[error("cannot connect to the database `{database}`")]
    Connection {
        /// The database's name.
        database: String,
        /// The source's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// A write across PostgreSQL databases needs `database` to prepare its transaction,
    /// and the server does not allow prepared transactions: its
    /// `max_prepared_transactions` is 0, PostgreSQL's default. Nothing was written. Set it
    /// above 0 (at least the number of writes across databases that may run at once) and
    /// restart the server.
    #[error(
        "the database `{database}` cannot prepare the transaction of a write across \
         databases: its server's `max_prepared_transactions` is 0; set it above 0 and \
         restart the server (nothing was written)"
    )]
    PreparedTransactionsDisabled {
        /// The database's name.
        database: String,
    },

    /// A write across PostgreSQL databases was cut off after its databases had prepared
    /// their parts: its outcome is settled by
    /// [`Databases::recover`](crate::databases::Databases::recover), which commits every
    /// part if the write decided to commit, and rolls every part back if not. Until then
    /// the prepared parts hold their locks.
    ///
    /// ```
    /// use diesel::result::{DatabaseErrorKind, Error as DieselError};
    /// use link_runtime::{Error, ErrorKind};
    ///
    /// let error = Error::InDoubt {
    ///     id: "01J9ZQ3V5W6X7Y8Z9A0B1C2D3E".into(),
    ///     database: "brands".into(),
    ///     decided: true,
    ///     source: DieselError::DatabaseError(
    ///         DatabaseErrorKind::ClosedConnection,
    ///         Box::new(String::from("server closed the connection unexpectedly")),
    ///     ),
    /// };
    /// assert_eq!(
    ///     error.to_string(),
    ///     "the write across databases 01J9ZQ3V5W6X7Y8Z9A0B1C2D3E committed, but `brands` \
    ///      has not committed its part: `Databases::recover` commits it"
    /// );
    /// assert_eq!(error.kind(), ErrorKind::Unavailable);
    /// ```
    #[error("{}", in_doubt(id, database, *decided))]
    InDoubt {
        /// The write's id: its parts are the prepared transactions `link_runtime_{id}_{n}`.
        id: String,
        /// The database where it was cut off.
        database: String,
        /// Whether the write had decided to commit: then it is committed where it could
        /// be, and `recover` commits the rest. If not, whether it decided is unknown, and
        /// `recover` reads the decision.
        decided: bool,
        /// What the database said.
        #[source]
        source: diesel::result::Error,
    },

    /// A table an operation reads does not exist in the database it should be in: a link
    /// table not synced yet, or a module's table.
    #[error("the table `{table}` of {owner} does not exist in its database")]
    MissingTable {
        /// The table.
        table: &'static str,
        /// Whose table it is: ``link `...` `` or ``module `...` ``.
        owner: String,
    },

    /// No registered link has this table.
    #[error("no registered link uses the table `{table}`")]
    UnknownLink {
        /// The table that was asked for.
        table: String,
    },

    /// A sync action failed; it was rolled back, and the actions before it stay applied.
    #[error("link sync could not {action}")]
    Sync {
        /// The action, in words.
        action: String,
        /// The database's error.
        #[source]
        source: diesel::result::Error,
    },

    /// A [`Plan`](crate::migrate::Plan) was applied through a connection of another backend
    /// than the one it was planned on. Nothing was applied.
    #[error("this plan was made for {planned:?} and cannot be applied to {connection:?}")]
    WrongDialect {
        /// The backend the plan was made on.
        planned: crate::Dialect,
        /// The backend of the connection given to `apply`.
        connection: crate::Dialect,
    },

    /// A migration file or folder could not be written.
    #[error("cannot write `{}`", path.display())]
    Export {
        /// The file or folder.
        path: std::path::PathBuf,
        /// The file system's error.
        #[source]
        source: std::io::Error,
    },

    /// The output of a command could not be written.
    #[error("cannot write the output")]
    Output(#[source] std::io::Error),

    /// Records a graph query was told to find are missing: ids its filter names
    /// ([`Graph::fail_if_key_not_found`](crate::graph::Graph::fail_if_key_not_found)), or
    /// the records live links point to
    /// ([`Graph::fail_if_relation_not_found`](crate::graph::Graph::fail_if_relation_not_found)).
    ///
    /// ```
    /// use link_runtime::{Error, ErrorKind};
    ///
    /// let error = Error::NotFound {
    ///     entity: "brand".into(),
    ///     ids: vec!["brand_9".into()],
    ///     field: Some("brand".into()),
    /// };
    /// assert_eq!(error.to_string(), "not found: brand `brand_9`, linked as `brand`");
    /// assert_eq!(error.kind(), ErrorKind::NotFound);
    /// ```
    #[error("not found: {entity} {}{}", listed(ids), linked_as(field.as_deref()))]
    NotFound {
        /// The entity whose records are missing.
        entity: String,
        /// Their ids, each once, in order.
        ids: Vec<String>,
        /// For records linked to, the link field's path from the query's entity.
        field: Option<String>,
    },

    /// A graph query names an entity that is neither a registered linkable model nor a
    /// registered link's table.
    #[error("no entity `{entity}` is registered (known: {})", known.join(", "))]
    UnknownEntity {
        /// The name asked for.
        entity: String,
        /// The entities the registry knows.
        known: Vec<String>,
    },

    /// A graph query names an entity that several modules define.
    #[error("the entity `{entity}` is ambiguous: it is a model of the modules {}", modules.join(", "))]
    AmbiguousEntity {
        /// The name asked for.
        entity: String,
        /// The modules that define it.
        modules: Vec<&'static str>,
    },

    /// A graph query asks for a field, or follows a link, that the entity does not have.
    #[error("`{entity}` has no field `{field}` (known: {})", known.join(", "))]
    UnknownField {
        /// The entity.
        entity: String,
        /// The field asked for.
        field: String,
        /// The entity's fields and link fields.
        known: Vec<String>,
    },

    /// A link field of a graph query is reached by several links.
    #[error(
        "`{entity}.{field}` is ambiguous: the links {} all reach it; query one of them as an entity",
        links.join(", ")
    )]
    AmbiguousField {
        /// The entity.
        entity: String,
        /// The field asked for.
        field: String,
        /// The links' tables.
        links: Vec<&'static str>,
    },

    /// A filter of a graph query cannot apply to its field.
    #[error("filter on `{entity}.{field}`: {reason}")]
    InvalidFilter {
        /// The entity.
        entity: String,
        /// The field filtered on.
        field: String,
        /// What is wrong.
        reason: String,
    },

    /// A graph query orders by something that has no single value per row.
    #[error("cannot order `{entity}` by `{path}`: {reason}")]
    InvalidOrder {
        /// The entity.
        entity: String,
        /// The path ordered by.
        path: String,
        /// What is wrong.
        reason: String,
    },

    /// A graph query is not well formed (a JSON query of the wrong shape, an empty path).
    #[error("malformed graph query: {reason}")]
    MalformedQuery {
        /// What is wrong.
        reason: String,
    },

    /// A graph query's cursor ([`Graph::after`](crate::graph::Graph::after)) is not one
    /// this query may start after: edited, cut short, made by another query (another
    /// entity, filters, order or `with_deleted`), signed with another
    /// [`CursorKey`](crate::graph::CursorKey), or longer than a cursor may be. Refused
    /// before any SQL runs: a cursor never selects rows it was not made for.
    ///
    /// ```
    /// use link_runtime::{Error, ErrorKind};
    ///
    /// let error = Error::InvalidCursor { reason: "it is not base64url text".into() };
    /// assert_eq!(error.kind(), ErrorKind::Invalid);
    /// assert_eq!(error.to_string(), "invalid cursor: it is not base64url text");
    /// ```
    #[error("invalid cursor: {reason}")]
    InvalidCursor {
        /// What is wrong with it.
        reason: String,
    },

    /// A graph query reaches outside the [`Scope`](crate::graph::Scope) it runs under:
    /// `reason` says what the scope refused, `field` where. Nothing was read: the scope is
    /// checked before any SQL runs.
    ///
    /// The message names only what the query itself names (its entity, a prefix of one of
    /// its paths) and the scope's limits, so it is safe to show to the client that sent
    /// the query.
    ///
    /// ```
    /// use link_runtime::graph::Refusal;
    /// use link_runtime::{Error, ErrorKind};
    ///
    /// let error = Error::Forbidden {
    ///     entity: "product".into(),
    ///     field: Some("brand.supplier".into()),
    ///     reason: Refusal::Link,
    /// };
    /// assert_eq!(
    ///     error.to_string(),
    ///     "the scope refuses `brand.supplier` of `product`: link not in scope"
    /// );
    /// assert_eq!(error.kind(), ErrorKind::Forbidden);
    /// ```
    #[error("the scope refuses {}: {reason}", refused_at(entity, field.as_deref()))]
    Forbidden {
        /// The query's entity, as the query names it.
        entity: String,
        /// The path refused, from the query's entity through the first name the scope
        /// refused (`brand.supplier` for a field `brand.supplier.name` whose `supplier`
        /// link is out of scope); `None` when the refusal is about the whole query (its
        /// entity, its `take`, `with_deleted`).
        field: Option<String>,
        /// What the scope refused.
        reason: Refusal,
    },

    /// A graph query would cost more than its [`Limits`](crate::graph::Limits) allow:
    /// `value` of what `limit` counts, over `max`. Refused before any SQL runs, except
    /// over [`CostLimit::Records`], which is known as the linked records load: the query
    /// is refused at the first link whose records cross it, before the links below it
    /// load and before any output is built.
    ///
    /// The message names only the limit and the two numbers, so it is safe to show to the
    /// client that sent the query.
    ///
    /// ```
    /// use link_runtime::graph::CostLimit;
    /// use link_runtime::{Error, ErrorKind};
    ///
    /// let error = Error::TooCostly { limit: CostLimit::FilterLinks, value: 4_000, max: 64 };
    /// assert_eq!(
    ///     error.to_string(),
    ///     "the graph query is too costly: 4000 links followed by its filters, over the limit of 64"
    /// );
    /// assert_eq!(error.kind(), ErrorKind::Invalid);
    /// ```
    #[error("the graph query is too costly: {value} {limit}, over the limit of {max}")]
    TooCostly {
        /// What the query asks too much of.
        limit: CostLimit,
        /// How much of it the query asks for (at least this much, for
        /// [`CostLimit::Records`]).
        value: u64,
        /// The most the limits allow.
        max: u64,
    },

    /// A statement of a graph query ran past the query's statement timeout on PostgreSQL
    /// ([`Limits::statement_timeout`](crate::graph::Limits::statement_timeout)), and the
    /// database cancelled it. Nothing was returned; the query's statements ran in a
    /// transaction of their own, rolled back.
    ///
    /// ```
    /// use std::time::Duration;
    /// use link_runtime::{Error, ErrorKind};
    ///
    /// let error = Error::QueryTimeout { timeout: Duration::from_secs(5) };
    /// assert_eq!(
    ///     error.to_string(),
    ///     "the graph query ran past its time limit: a statement took longer than 5s"
    /// );
    /// assert_eq!(error.kind(), ErrorKind::Unavailable);
    /// ```
    #[error("the graph query ran past its time limit: a statement took longer than {timeout:?}")]
    QueryTimeout {
        /// The statement timeout the query ran under.
        timeout: std::time::Duration,
    },

    /// A row of a typed graph query does not fit the struct that selected it.
    #[error("a `{entity}` row does not fit its `GraphSelect` struct")]
    Deserialize {
        /// The entity queried.
        entity: &'static str,
        /// serde's error.
        #[source]
        source: serde_json::Error,
    },

    /// A write's transaction kept meeting concurrent writers: the database gave it up
    /// (a deadlock, a serialization failure, a lock it could not take) on every one of
    /// `attempts` attempts, each of which was rolled back whole. Nothing of it was written;
    /// the same request may succeed later.
    ///
    /// A write inside a transaction its caller opened is not run again (the locks that
    /// transaction holds would meet the same writers): it fails at once with
    /// [`Error::Database`], of kind [`Unavailable`](ErrorKind::Unavailable) too, and the
    /// caller runs its own transaction again.
    ///
    /// ```
    /// use diesel::result::{DatabaseErrorKind, Error as DieselError};
    /// use link_runtime::{Error, ErrorKind};
    ///
    /// let error = Error::Contention {
    ///     attempts: 5,
    ///     source: DieselError::DatabaseError(
    ///         DatabaseErrorKind::SerializationFailure,
    ///         Box::new(String::from("could not serialize access")),
    ///     ),
    /// };
    /// assert_eq!(error.kind(), ErrorKind::Unavailable);
    /// assert_eq!(error.kind().http_status(), 503);
    /// ```
    #[error(
        "the write met concurrent writers on each of its {attempts} attempts; nothing was written"
    )]
    Contention {
        /// How many times the transaction ran.
        attempts: usize,
        /// What the database said the last time.
        #[source]
        source: diesel::result::Error,
    },

    /// The database refused a statement.
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// What a [`Scope`](crate::graph::Scope) refused, in an [`Error::Forbidden`]. It displays
/// as the reason the error's message gives.
///
/// ```
/// use link_runtime::graph::Refusal;
///
/// assert_eq!(Refusal::Link.to_string(), "link not in scope");
/// assert_eq!(Refusal::Depth { max: 2 }.to_string(), "deeper than 2");
/// assert_eq!(Refusal::Take { asked: 500, max: 100 }.to_string(), "take 500 over 100");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Refusal {
    /// The query's entity, or the entity a link leads to, is not in the scope.
    Entity,
    /// A field is not in the scope: a selected field, or one a filter or an order reads.
    /// A name the path does not go on from is refused as a field, whatever the registry
    /// holds under that name.
    Field,
    /// A link is not in the scope: a name the path goes on from.
    Link,
    /// The path follows more links than the scope's
    /// [`max_depth`](crate::graph::Scope::max_depth).
    Depth {
        /// The most links a path may follow.
        max: usize,
    },
    /// The query asks for a larger page than the scope's
    /// [`max_take`](crate::graph::Scope::max_take).
    Take {
        /// The `take` the query asked for.
        asked: u64,
        /// The largest the scope allows.
        max: u64,
    },
    /// The query asks for soft-deleted records and dismissed links, which the scope does
    /// not [allow](crate::graph::Scope::allow_with_deleted).
    WithDeleted,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Entity => f.write_str("entity not in scope"),
            Refusal::Field => f.write_str("field not in scope"),
            Refusal::Link => f.write_str("link not in scope"),
            Refusal::Depth { max } => write!(f, "deeper than {max}"),
            Refusal::Take { asked, max } => write!(f, "take {asked} over {max}"),
            Refusal::WithDeleted => f.write_str("with_deleted not allowed"),
        }
    }
}

/// What a graph query's cost is counted in: each a limit of [`Limits`](crate::graph::Limits),
/// named by an [`Error::TooCostly`]. It displays as what it counts, and
/// [`as_str`](Self::as_str) gives its snake_case name.
///
/// ```
/// use link_runtime::graph::CostLimit;
///
/// assert_eq!(CostLimit::FilterLinks.to_string(), "links followed by its filters");
/// assert_eq!(CostLimit::FilterLinks.as_str(), "filter_links");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CostLimit {
    /// The links the filters follow: each condition through a link is a subquery (a
    /// semi-join) of the query's statement, and each link of its path one more. An
    /// `$or` of conditions through the same link is one: `{"$or": [{"brand": {"name":
    /// "A"}}, {"brand": {"name": "B"}}]}` follows `brand` once, for a brand named `A` or
    /// `B`.
    FilterLinks,
    /// The values the filters compare with: one per comparison, one per value of an
    /// `$in` or `$nin` list.
    FilterValues,
    /// The links the fields follow: each a join in the statement above it, or two
    /// statements of its own.
    FieldLinks,
    /// The order keys, once a repeated key is dropped (it orders nothing more).
    OrderKeys,
    /// The records the result holds, the linked ones included, each counted as often as
    /// it appears: a brand's 10 products under each of 100 products is 1,000 records.
    Records,
}

impl CostLimit {
    /// Every limit, in the order the planner checks them.
    pub const ALL: [CostLimit; 5] = [
        CostLimit::FieldLinks,
        CostLimit::FilterLinks,
        CostLimit::FilterValues,
        CostLimit::OrderKeys,
        CostLimit::Records,
    ];

    /// The limit's name in snake_case: `filter_links`, `filter_values`, `field_links`,
    /// `order_keys` or `records`, as an [`ErrorDetails`] gives it.
    ///
    /// ```
    /// use link_runtime::graph::CostLimit;
    ///
    /// assert_eq!(CostLimit::Records.as_str(), "records");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            CostLimit::FilterLinks => "filter_links",
            CostLimit::FilterValues => "filter_values",
            CostLimit::FieldLinks => "field_links",
            CostLimit::OrderKeys => "order_keys",
            CostLimit::Records => "records",
        }
    }
}

impl std::fmt::Display for CostLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CostLimit::FilterLinks => "links followed by its filters",
            CostLimit::FilterValues => "values in its filters",
            CostLimit::FieldLinks => "links followed by its fields",
            CostLimit::OrderKeys => "order keys",
            CostLimit::Records => "records in its result",
        })
    }
}

/// Where a [`Error::Forbidden`] refused a query: `` `path` of `entity` ``, or
/// `` `entity` ``.
fn refused_at(entity: &str, field: Option<&str>) -> String {
    match field {
        Some(field) => format!("`{field}` of `{entity}`"),
        None => format!("`{entity}`"),
    }
}

/// What an [`Error::InDoubt`] says: what is known of the write `id`, cut off at `database`.
fn in_doubt(id: &str, database: &str, decided: bool) -> String {
    if decided {
        format!(
            "the write across databases {id} committed, but `{database}` has not committed \
             its part: `Databases::recover` commits it"
        )
    } else {
        format!(
            "the write across databases {id} was cut off at `{database}` before it was known \
             to commit: `Databases::recover` commits or rolls back every part of it"
        )
    }
}

/// Text read from an enum column that is none of its enum's variants: a row written
/// before the variant was removed, or by something other than the link. Reading the row
/// fails with it (inside [`Error::Database`], as diesel's deserialization error).
///
/// ```
/// use link_runtime::UnknownVariant;
///
/// let error = UnknownVariant {
///     enum_name: "shop::Status",
///     text: "paused".into(),
///     variants: &["active", "archived"],
/// };
/// assert_eq!(
///     error.to_string(),
///     "`paused` is not a variant of `shop::Status` (its variants: `active`, `archived`)"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{text}` is not a variant of `{enum_name}` (its variants: {})",
    quoted(variants)
)]
pub struct UnknownVariant {
    /// The enum's type name.
    pub enum_name: &'static str,
    /// The text read.
    pub text: String,
    /// The texts of the enum's variants.
    pub variants: &'static [&'static str],
}

/// `` `a`, `b` ``: texts in a message.
pub(crate) fn quoted<S: AsRef<str>>(texts: &[S]) -> String {
    let quoted: Vec<String> = texts
        .iter()
        .map(|text| format!("`{}`", text.as_ref()))
        .collect();
    quoted.join(", ")
}

/// The runtime's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The pairs of [`Error::LinkNotFound`] in its message: the first, and how many more.
fn missing_pairs(model: &str, partner_model: &str, missing: &[(String, String)]) -> String {
    let Some((record, partner)) = missing.first() else {
        return String::from("the pairs given");
    };
    let more = match missing.len() - 1 {
        0 => String::new(),
        1 => String::from(" (and 1 more pair)"),
        n => format!(" (and {n} more pairs)"),
    };
    format!("{model} `{record}` and {partner_model} `{partner}`{more}")
}

/// Ids in a message: the first five, and how many more.
fn listed(ids: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut text: Vec<String> = ids.iter().take(SHOWN).map(|id| format!("`{id}`")).collect();
    if ids.len() > SHOWN {
        text.push(format!("and {} more", ids.len() - SHOWN));
    }
    text.join(", ")
}

/// `, linked as `field`` for records linked to.
fn linked_as(field: Option<&str>) -> String {
    field.map_or_else(String::new, |field| format!(", linked as `{field}`"))
}
