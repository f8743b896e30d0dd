//! [`Scope`]: what a graph query from an untrusted client may reach, and the [`Gate`] the
//! planner asks about each name as it resolves it.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{Error, Refusal, Result};
use crate::graph::limits::Limits;

/// What a graph query may reach: which entities, and of each which fields and which link
/// fields; how many links a path may follow; how large a page may be; whether soft-deleted
/// records may be read. A web service that runs queries its clients send builds one scope
/// per kind of client and runs their queries under it with
/// [`Query::scope`](crate::graph::Query::scope).
///
/// A query outside its scope is refused with [`Error::Forbidden`] before any SQL runs,
/// whether it is built in Rust, read from JSON or typed ([`GraphSelect`](crate::graph::GraphSelect)).
///
/// - **Entities.** The query's entity must be one the scope lists
///   ([`entity`](Self::entity)), and so must every entity a link of the query leads to.
///   Entities are named as queries name them: a model's name (`"product"`), or a link's
///   table for a query of pivot rows.
/// - **Fields.** Every field the query selects, filters on or orders by must be one the
///   scope lets through on its entity ([`Fields::all`] or [`Fields::only`]). `"*"`, and a
///   query without fields, read every field the scope lets through, and no other.
/// - **Links.** Every link field a path follows, in fields, filters and orders alike, must
///   be one the scope lists on its entity ([`link`](Self::link)), and lead to an entity in
///   the scope. A link field selected whole (`"brand"`, which reads `"brand.*"`) is a link
///   too.
/// - **Depth.** A path follows at most [`max_depth`](Self::max_depth) links:
///   `"brand.products.name"` follows two.
/// - **Page size.** A query's `take` is at most [`max_take`](Self::max_take); a query
///   without a `take` reads a page of `max_take` rows, as if it had asked for it (its
///   result's `metadata.take` says so), so that no client reads a whole table at once.
/// - **Deleted records.** `with_deleted` is refused unless the scope
///   [allows it](Self::allow_with_deleted).
/// - **Cost.** A query runs under the scope's [`Limits`] ([`limits`](Self::limits)), or
///   the defaults; a query over them is refused with [`Error::TooCostly`] once it is in
///   the scope.
///
/// The first thing refused is the one the error names, checked in this order: the query's
/// entity, `with_deleted`, `take`; then the fields: the names on the query's entity in the
/// order the query lists them, then, link by link in that order, the names past each link;
/// then the filters; then the order keys.
///
/// **What a refusal tells.** The scope decides on the names the query uses, before the
/// registry is asked what they are, so a refusal never tells what exists outside the scope:
/// an entity outside the scope is [`Refusal::Entity`], whether some module registers it or
/// not (it is not [`Error::UnknownEntity`], whose message lists every registered entity);
/// a name outside the scope is [`Refusal::Link`] when the path goes on past it
/// (`supplier` in `"supplier.name"`) and [`Refusal::Field`] when it ends the path,
/// whatever the registry holds under that name. Errors about names the scope does let
/// through (a field a scope lists that the model lacks) list only names in the scope.
///
/// ```
/// use link_runtime::graph::{Fields, Graph, Refusal, Scope};
/// use link_runtime::{Error, ErrorKind};
/// # use link_runtime::prelude::*;
/// # #[derive(Linkable)] #[linkable(module = "product", table = "product")]
/// # pub struct Product { pub id: String, pub title: String }
/// # #[derive(Linkable)] #[linkable(module = "brand", table = "brand")]
/// # pub struct Brand { pub id: String, pub name: String }
/// # mod product_brand { use super::*; link_runtime::define_link!(Product(is_list), Brand); }
///
/// # fn main() {
/// // A storefront's clients read products, their brand's id and name, and a brand's products.
/// let store = Scope::new()
///     .entity("product", Fields::all())
///     .entity("brand", Fields::only(["id", "name"]))
///     .link("product", "brand")
///     .link("brand", "products")
///     .max_depth(2)
///     .max_take(100);
///
/// assert!(store.allows_link("product", "brand"));
/// assert!(!store.allows_field("brand", "country"));
///
/// // Nothing in the scope reaches a customer: the query is refused before any SQL runs.
/// let query = Graph::entity("product").fields(["id", "wishlists.customer.email"]);
/// let refused = store.check(&query).unwrap_err();
/// assert_eq!(refused.kind(), ErrorKind::Forbidden);
/// assert!(matches!(
///     &refused,
///     Error::Forbidden { field: Some(field), reason: Refusal::Link, .. } if field == "wishlists"
/// ));
/// assert_eq!(
///     refused.to_string(),
///     "the scope refuses `wishlists` of `product`: link not in scope"
/// );
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// Every entity, field and link, whatever `entities` and `links` list.
    everything: bool,
    entities: BTreeMap<String, Fields>,
    /// `(entity, link field)`.
    links: BTreeSet<(String, String)>,
    max_depth: Option<usize>,
    max_take: Option<u64>,
    with_deleted: bool,
    limits: Option<Limits>,
}

/// The fields of an entity a [`Scope`] lets a query read: all of them, or some.
///
/// ```
/// use link_runtime::graph::Fields;
///
/// assert!(Fields::all().allows("price"));
/// let public = Fields::only(["id", "name"]);
/// assert!(public.allows("name"));
/// assert!(!public.allows("cost"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields(FieldSet);

#[derive(Debug, Clone, PartialEq, Eq)]
enum FieldSet {
    All,
    Only(BTreeSet<String>),
}

impl Fields {
    /// Every field of the entity (not its link fields: a scope lists those with
    /// [`Scope::link`]).
    ///
    /// ```
    /// use link_runtime::graph::Fields;
    ///
    /// assert!(Fields::all().allows("id"));
    /// ```
    pub fn all() -> Self {
        Fields(FieldSet::All)
    }

    /// The fields named, and no other. A name the entity does not have lets nothing
    /// through.
    ///
    /// ```
    /// use link_runtime::graph::Fields;
    ///
    /// assert!(Fields::only(["id"]).allows("id"));
    /// assert!(!Fields::only(["id"]).allows("name"));
    /// assert!(!Fields::only(Vec::<String>::new()).allows("id"));
    /// ```
    pub fn only<I, S>(fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Fields(FieldSet::Only(fields.into_iter().map(Into::into).collect()))
    }

    /// Whether the field `field` is let through.
    ///
    /// ```
    /// use link_runtime::graph::Fields;
    ///
    /// assert!(!Fields::only(["name"]).allows("email"));
    /// ```
    pub fn allows(&self, field: &str) -> bool {
        match &self.0 {
            FieldSet::All => true,
            FieldSet::Only(fields) => fields.contains(field),
        }
    }

    /// Whether the set names `field` itself, rather than letting every field through.
    fn names(&self, field: &str) -> bool {
        match &self.0 {
            FieldSet::All => false,
            FieldSet::Only(fields) => fields.contains(field),
        }
    }
}

impl Default for Scope {
    /// [`Scope::new`]: nothing.
    fn default() -> Self {
        Scope::new()
    }
}

impl Scope {
    /// A scope that lets nothing through; [`entity`](Self::entity) and
    /// [`link`](Self::link) add to it.
    ///
    /// ```
    /// use link_runtime::graph::{Graph, Scope};
    ///
    /// assert!(Scope::new().check(&Graph::entity("product")).is_err());
    /// ```
    pub fn new() -> Self {
        Scope {
            everything: false,
            entities: BTreeMap::new(),
            links: BTreeSet::new(),
            max_depth: None,
            max_take: None,
            with_deleted: false,
            limits: None,
        }
    }

    /// A scope that lets everything through, `with_deleted` included: a query runs under
    /// it as it runs under no scope. Its limits can still be set
    /// ([`max_depth`](Self::max_depth), [`max_take`](Self::max_take)); `entity` and `link`
    /// change nothing on it.
    ///
    /// ```
    /// use link_runtime::graph::{Graph, Scope};
    ///
    /// let admin = Scope::all().max_take(1_000);
    /// assert!(admin.allows_field("customer", "email"));
    /// assert_eq!(admin.take_limit(), Some(1_000));
    /// assert!(admin.check(&Graph::entity("product").take(5_000)).is_err());
    /// ```
    pub fn all() -> Self {
        Scope {
            everything: true,
            with_deleted: true,
            ..Scope::new()
        }
    }

    /// Lets a query reach the entity `entity`, reading `fields` of it. Another call for the
    /// same entity replaces its fields.
    ///
    /// ```
    /// use link_runtime::graph::{Fields, Scope};
    ///
    /// let scope = Scope::new().entity("brand", Fields::only(["id", "name"]));
    /// assert!(scope.allows_entity("brand"));
    /// assert!(scope.allows_field("brand", "name"));
    /// assert!(!scope.allows_entity("product"));
    /// ```
    pub fn entity(mut self, entity: impl Into<String>, fields: Fields) -> Self {
        self.entities.insert(entity.into(), fields);
        self
    }

    /// Lets a query follow the link field `field` of the entity `entity` (`"brand"` of a
    /// product, `"products"` of a brand), in its fields, filters and orders. The entity it
    /// leads to must be in the scope too.
    ///
    /// ```
    /// use link_runtime::graph::{Fields, Scope};
    ///
    /// let scope = Scope::new()
    ///     .entity("product", Fields::all())
    ///     .entity("brand", Fields::all())
    ///     .link("product", "brand");
    /// assert!(scope.allows_link("product", "brand"));
    /// // One direction only: from a brand, `products` stays out.
    /// assert!(!scope.allows_link("brand", "products"));
    /// ```
    pub fn link(mut self, entity: impl Into<String>, field: impl Into<String>) -> Self {
        self.links.insert((entity.into(), field.into()));
        self
    }

    /// Lets a path follow at most `depth` links: `0` keeps a query to its entity's own
    /// fields, `1` lets it read `"brand.name"`, `2` `"brand.products.name"`.
    ///
    /// ```
    /// use link_runtime::graph::{Fields, Graph, Refusal, Scope};
    /// use link_runtime::Error;
    /// # use link_runtime::prelude::*;
    /// # #[derive(Linkable)] #[linkable(module = "product", table = "product")]
    /// # pub struct Product { pub id: String, pub title: String }
    /// # #[derive(Linkable)] #[linkable(module = "brand", table = "brand")]
    /// # pub struct Brand { pub id: String, pub name: String }
    /// # mod product_brand { use super::*; link_runtime::define_link!(Product(is_list), Brand); }
    ///
    /// # fn main() {
    /// let scope = Scope::new()
    ///     .entity("product", Fields::all())
    ///     .entity("brand", Fields::all())
    ///     .link("product", "brand")
    ///     .link("brand", "products")
    ///     .max_depth(1);
    /// let error = scope
    ///     .check(&Graph::entity("product").fields(["brand.products.name"]))
    ///     .unwrap_err();
    /// assert!(matches!(error, Error::Forbidden { reason: Refusal::Depth { max: 1 }, .. }));
    /// assert_eq!(
    ///     error.to_string(),
    ///     "the scope refuses `brand.products` of `product`: deeper than 1"
    /// );
    /// # }
    /// ```
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = Some(depth);
        self
    }

    /// Caps a query's page at `take` rows: a larger `take` is refused, and a query without
    /// one reads `take` rows at most, as if it had asked for them.
    ///
    /// ```
    /// use link_runtime::graph::{Fields, Graph, Scope};
    ///
    /// let scope = Scope::new().entity("brand", Fields::all()).max_take(100);
    /// let error = scope.check(&Graph::entity("brand").take(500)).unwrap_err();
    /// assert_eq!(error.to_string(), "the scope refuses `brand`: take 500 over 100");
    /// ```
    pub fn max_take(mut self, take: u64) -> Self {
        self.max_take = Some(take);
        self
    }

    /// Lets a query read soft-deleted records and dismissed links
    /// ([`Graph::with_deleted`](crate::graph::Graph::with_deleted)), which a scope refuses
    /// otherwise.
    ///
    /// ```
    /// use link_runtime::graph::{Fields, Graph, Scope};
    ///
    /// let store = Scope::new().entity("brand", Fields::all());
    /// let audit = store.clone().allow_with_deleted();
    /// let query = Graph::entity("brand").with_deleted();
    /// assert_eq!(
    ///     store.check(&query).unwrap_err().to_string(),
    ///     "the scope refuses `brand`: with_deleted not allowed"
    /// );
    /// assert!(audit.allows_with_deleted());
    /// ```
    pub fn allow_with_deleted(mut self) -> Self {
        self.with_deleted = true;
        self
    }

    /// Whether a query may reach the entity `entity`.
    ///
    /// ```
    /// use link_runtime::graph::{Fields, Scope};
    ///
    /// assert!(Scope::new().entity("tag", Fields::all()).allows_entity("tag"));
    /// assert!(!Scope::new().allows_entity("tag"));
    /// ```
    pub fn allows_entity(&self, entity: &str) -> bool {
        self.everything || self.entities.contains_key(entity)
    }

    /// Whether a query may read the field `field` of the entity `entity`: the entity is in
    /// the scope and its [`Fields`] let the field through.
    ///
    /// ```
    /// use link_runtime::graph::{Fields, Scope};
    ///
    /// let scope = Scope::new().entity("customer", Fields::only(["id"]));
    /// assert!(scope.allows_field("customer", "id"));
    /// assert!(!scope.allows_field("customer", "email"));
    /// assert!(!scope.allows_field("wishlist", "id"));
    /// ```
    pub fn allows_field(&self, entity: &str, field: &str) -> bool {
        self.everything
            || self
                .entities
                .get(entity)
                .is_some_and(|fields| fields.allows(field))
    }

    /// Whether a query may follow the link field `field` of the entity `entity`: the
    /// entity is in the scope and the scope lists the link. (Whether the entity the link
    /// leads to is in the scope is known once the link is looked up in the registry, when a
    /// query runs.)
    ///
    /// ```
    /// use link_runtime::graph::{Fields, Scope};
    ///
    /// let scope = Scope::new().link("product", "tags");
    /// // The link is listed, but its entity is not in the scope.
    /// assert!(!scope.allows_link("product", "tags"));
    /// assert!(scope.entity("product", Fields::all()).allows_link("product", "tags"));
    /// ```
    pub fn allows_link(&self, entity: &str, field: &str) -> bool {
        self.everything
            || (self.entities.contains_key(entity)
                && self.links.contains(&(entity.to_owned(), field.to_owned())))
    }

    /// The most links a path may follow, if the scope limits it.
    ///
    /// ```
    /// use link_runtime::graph::Scope;
    ///
    /// assert_eq!(Scope::new().depth_limit(), None);
    /// assert_eq!(Scope::new().max_depth(2).depth_limit(), Some(2));
    /// ```
    pub fn depth_limit(&self) -> Option<usize> {
        self.max_depth
    }

    /// The largest page a query may ask for, and the page a query without `take` gets, if
    /// the scope limits it.
    ///
    /// ```
    /// use link_runtime::graph::Scope;
    ///
    /// assert_eq!(Scope::new().max_take(50).take_limit(), Some(50));
    /// ```
    pub fn take_limit(&self) -> Option<u64> {
        self.max_take
    }

    /// Runs the scope's queries under `limits` rather than the defaults. A query that
    /// sets limits of its own ([`Query::limits`](crate::graph::Query::limits)) runs under
    /// the stricter of the two, limit by limit ([`Limits::stricter`]): a client's scope
    /// cannot be loosened by the query, nor the query's limits by the scope.
    ///
    /// ```
    /// use link_runtime::graph::{CostLimit, Fields, Graph, Limits, Order, Scope};
    /// use link_runtime::Error;
    /// # use link_runtime::prelude::*;
    /// # #[derive(Linkable)] #[linkable(module = "product", table = "product")]
    /// # pub struct Product { pub id: String, pub title: String }
    ///
    /// # fn main() {
    /// let store = Scope::new()
    ///     .entity("product", Fields::all())
    ///     .limits(Limits::new().max(CostLimit::OrderKeys, 1));
    /// let sorted = Graph::entity("product").order("title", Order::Asc).order("id", Order::Desc);
    /// let error = store.check(&sorted).unwrap_err();
    /// assert!(matches!(error, Error::TooCostly { limit: CostLimit::OrderKeys, value: 2, max: 1 }));
    /// assert_eq!(store.cost_limits().map(|l| l.limit(CostLimit::OrderKeys)), Some(1));
    /// # }
    /// ```
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = Some(limits);
        self
    }

    /// The limits the scope's queries run under, if it sets them ([`limits`](Self::limits)).
    ///
    /// ```
    /// use link_runtime::graph::{Limits, Scope};
    ///
    /// assert_eq!(Scope::new().cost_limits(), None);
    /// assert_eq!(Scope::new().limits(Limits::new()).cost_limits(), Some(&Limits::new()));
    /// ```
    pub fn cost_limits(&self) -> Option<&Limits> {
        self.limits.as_ref()
    }

    /// Whether a query may read soft-deleted records and dismissed links.
    ///
    /// ```
    /// use link_runtime::graph::Scope;
    ///
    /// assert!(!Scope::new().allows_with_deleted());
    /// assert!(Scope::all().allows_with_deleted());
    /// ```
    pub fn allows_with_deleted(&self) -> bool {
        self.with_deleted
    }

    /// Whether the scope names `name` on `entity`, as a link or as a field of a list: a
    /// name the scope means to let through, which the registry may lack.
    fn names(&self, entity: &str, name: &str) -> bool {
        self.everything
            || self.allows_link(entity, name)
            || self
                .entities
                .get(entity)
                .is_some_and(|fields| fields.names(name))
    }
}

/// The scope a query is planned under, as the planner asks it about each name it resolves;
/// without a scope, it lets everything through and changes nothing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Gate<'s> {
    scope: Option<&'s Scope>,
    /// The query's entity, as the query names it, for the errors.
    entity: &'s str,
}

impl<'s> Gate<'s> {
    pub fn new(scope: Option<&'s Scope>, entity: &'s str) -> Self {
        Gate { scope, entity }
    }

    /// The refusal of `field` (the query's entity itself when `None`) for `reason`.
    pub fn refuse(&self, field: Option<String>, reason: Refusal) -> Error {
        Error::Forbidden {
            entity: self.entity.to_owned(),
            field,
            reason,
        }
    }

    /// Refuses the query's entity, `with_deleted` or a `take` the scope does not allow; the
    /// page the query reads.
    pub fn query(&self, with_deleted: bool, take: Option<u64>) -> Result<Option<u64>> {
        let Some(scope) = self.scope else {
            return Ok(take);
        };
        if !scope.allows_entity(self.entity) {
            return Err(self.refuse(None, Refusal::Entity));
        }
        if with_deleted && !scope.with_deleted {
            return Err(self.refuse(None, Refusal::WithDeleted));
        }
        match (take, scope.max_take) {
            (Some(asked), Some(max)) if asked > max => {
                Err(self.refuse(None, Refusal::Take { asked, max }))
            }
            (None, Some(max)) => Ok(Some(max)),
            (take, _) => Ok(take),
        }
    }

    /// Refuses a page inside each record (`nested.{path}`) larger than the scope's
    /// [`max_take`](Scope::max_take); the page it reads.
    pub fn nested_take(&self, path: &str, take: Option<u64>) -> Result<Option<u64>> {
        match (take, self.scope.and_then(|scope| scope.max_take)) {
            (Some(asked), Some(max)) if asked > max => {
                Err(self.refuse(Some(format!("nested.{path}")), Refusal::Take { asked, max }))
            }
            (take, _) => Ok(take),
        }
    }

    /// Whether the field `field` of `entity` may be read.
    pub fn field(&self, entity: &str, field: &str) -> bool {
        self.scope
            .is_none_or(|scope| scope.allows_field(entity, field))
    }

    /// Whether the link field `field` of `entity` may be followed.
    pub fn link(&self, entity: &str, field: &str) -> bool {
        self.scope
            .is_none_or(|scope| scope.allows_link(entity, field))
    }

    /// Whether the scope means to let `name` of `entity` through, though the registry has
    /// no such field or link: then the query's mistake is the registry's to tell.
    pub fn names(&self, entity: &str, name: &str) -> bool {
        self.scope.is_none_or(|scope| scope.names(entity, name))
    }

    /// Refuses `path`, which follows its `depth`-th link, if the scope allows fewer.
    pub fn depth(&self, path: &str, depth: usize) -> Result<()> {
        match self.scope.and_then(|scope| scope.max_depth) {
            Some(max) if depth > max => {
                Err(self.refuse(Some(path.to_owned()), Refusal::Depth { max }))
            }
            _ => Ok(()),
        }
    }

    /// Refuses `path`, a link leading to `entity`, if `entity` is not in the scope.
    pub fn target(&self, path: &str, entity: &str) -> Result<()> {
        if self.entity(entity) {
            Ok(())
        } else {
            Err(self.refuse(Some(path.to_owned()), Refusal::Entity))
        }
    }

    /// Whether the entity `entity` may be reached.
    pub fn entity(&self, entity: &str) -> bool {
        self.scope.is_none_or(|scope| scope.allows_entity(entity))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Scope {
        Scope::new()
            .entity("product", Fields::all())
            .entity("brand", Fields::only(["id", "name"]))
            .link("product", "brand")
            .link("brand", "products")
            .max_depth(2)
            .max_take(100)
    }

    #[test]
    fn a_scope_is_shared_across_threads() {
        fn shared<T: Send + Sync + Clone + std::fmt::Debug + 'static>() {}
        shared::<Scope>();
        shared::<Fields>();
    }

    #[test]
    fn what_a_scope_lets_through() {
        let store = store();
        assert!(store.allows_entity("product"));
        assert!(!store.allows_entity("customer"));
        assert!(store.allows_field("product", "anything"));
        assert!(store.allows_field("brand", "name"));
        assert!(!store.allows_field("brand", "country"));
        assert!(!store.allows_field("customer", "email"));
        assert!(store.allows_link("product", "brand"));
        assert!(!store.allows_link("product", "wishlists"));
        assert!(!store.allows_link("customer", "wishlist"));
        assert!(!store.allows_with_deleted());
        assert_eq!(
            (store.depth_limit(), store.take_limit()),
            (Some(2), Some(100))
        );

        // A link listed from an entity outside the scope is no way in.
        let orphan = Scope::new().link("customer", "wishlist");
        assert!(!orphan.allows_link("customer", "wishlist"));

        let all = Scope::all();
        assert!(all.allows_entity("customer"));
        assert!(all.allows_field("customer", "email"));
        assert!(all.allows_link("customer", "wishlist"));
        assert!(all.allows_with_deleted());
        assert_eq!((all.depth_limit(), all.take_limit()), (None, None));
        // `entity` adds nothing to everything.
        assert!(Scope::all()
            .entity("brand", Fields::only(["id"]))
            .allows_field("brand", "name"));
    }

    #[test]
    fn a_later_entity_call_replaces_its_fields() {
        let scope = Scope::new()
            .entity("brand", Fields::all())
            .entity("brand", Fields::only(["id"]));
        assert!(scope.allows_field("brand", "id"));
        assert!(!scope.allows_field("brand", "name"));
    }

    #[test]
    fn the_gate_refuses_the_query_s_entity_with_deleted_and_take() {
        let store = store();
        let gate = Gate::new(Some(&store), "product");
        assert_eq!(gate.query(false, None).unwrap(), Some(100));
        assert_eq!(gate.query(false, Some(100)).unwrap(), Some(100));
        assert_eq!(gate.query(false, Some(7)).unwrap(), Some(7));
        let over = gate.query(false, Some(101)).unwrap_err();
        assert_eq!(
            over.to_string(),
            "the scope refuses `product`: take 101 over 100"
        );
        let deleted = gate.query(true, Some(1_000)).unwrap_err();
        assert_eq!(
            deleted.to_string(),
            "the scope refuses `product`: with_deleted not allowed"
        );
        let outside = Gate::new(Some(&store), "customer")
            .query(true, Some(1_000))
            .unwrap_err();
        assert_eq!(
            outside.to_string(),
            "the scope refuses `customer`: entity not in scope"
        );

        let open = Gate::new(None, "customer");
        assert_eq!(open.query(true, None).unwrap(), None);
        assert_eq!(open.query(true, Some(1_000)).unwrap(), Some(1_000));
        assert!(open.field("customer", "email") && open.link("customer", "wishlist"));
        assert!(open.depth("a.b.c.d", 4).is_ok());
    }

    #[test]
    fn the_gate_names_what_a_scope_lists_only() {
        let store = store();
        let gate = Gate::new(Some(&store), "product");
        // Listed: a field of a list, a link.
        assert!(gate.names("brand", "name"));
        assert!(gate.names("product", "brand"));
        // Not listed: every field lets any field through, but names none.
        assert!(!gate.names("product", "cost"));
        assert!(!gate.names("brand", "country"));
        assert!(gate.entity("brand") && !gate.entity("customer"));
        assert!(Gate::new(None, "product").entity("customer"));
        assert!(gate.depth("brand.products", 2).is_ok());
        assert_eq!(
            gate.depth("brand.products.brand", 3)
                .unwrap_err()
                .to_string(),
            "the scope refuses `brand.products.brand` of `product`: deeper than 2"
        );
        assert_eq!(
            gate.target("brand.supplier", "supplier")
                .unwrap_err()
                .to_string(),
            "the scope refuses `brand.supplier` of `product`: entity not in scope"
        );
    }
}
