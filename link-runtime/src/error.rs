//! The errors of the link runtime: [`Error`], what each means to a caller
//! ([`ErrorKind`], in `kind.rs`) and how to describe one to a client ([`ErrorDetails`], in
//! `details.rs`).

mod details;
mod kind;

pub use details::ErrorDetails;
#[cfg(feature = "tracing")]
pub(crate) use kind::database_kind;
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

    /// A row of a typed graph query does not fit the struct that selected it.
    #[error("a `{entity}` row does not fit its `GraphSelect` struct")]
    Deserialize {
        /// The entity queried.
        entity: &'static str,
        /// serde's error.
        #[source]
        source: serde_json::Error,
    },

    /// The database refused a statement.
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// The runtime's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
