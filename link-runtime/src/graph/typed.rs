//! Typed graph queries: the selection is a struct the compiler checks against the models and
//! their links, and the result deserializes into it.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::graph::filter::{Condition, Filter, Order};
use crate::graph::request::Graph;
use crate::linkable::Linkable;

/// A struct that selects fields of a linkable model and, through its links, of linked
/// models: a typed graph query whose result deserializes into the struct.
///
/// Derive it with `#[derive(GraphSelect, Deserialize)]` and `#[graph(entity = Model)]`.
/// Every field names a field of the model, or, marked `#[graph(link)]`, a link of the model:
/// an `Option<T>` for a side with at most one partner, a `Vec<T>` for a list side, where `T`
/// selects from the linked model in turn. A field the model does not have, a link that
/// does not exist, or the wrong container for the link's cardinality does not compile.
///
/// ```
/// use diesel::{Connection, SqliteConnection};
/// use link_runtime::graph::Query;
/// use link_runtime::prelude::*;
/// use serde::Deserialize;
///
/// #[derive(Linkable)]
/// #[linkable(module = "product", table = "product")]
/// pub struct Product { pub id: String, pub title: String }
///
/// #[derive(Linkable)]
/// #[linkable(module = "brand", table = "brand")]
/// pub struct Brand { pub id: String, pub name: String }
///
/// mod product_brand {
///     use super::{Brand, Product};
///     link_runtime::define_link!(Product(is_list), Brand);
/// }
///
/// #[derive(GraphSelect, Deserialize)]
/// #[graph(entity = Product)]
/// struct ProductCard {
///     title: String,
///     #[graph(link)]
///     brand: Option<BrandName>,
/// }
///
/// #[derive(GraphSelect, Deserialize)]
/// #[graph(entity = Brand)]
/// struct BrandName {
///     name: String,
/// }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut conn = SqliteConnection::establish(":memory:")?;
/// diesel::RunQueryDsl::execute(diesel::sql_query("CREATE TABLE product (id TEXT PRIMARY KEY, title TEXT NOT NULL)"), &mut conn)?;
/// diesel::RunQueryDsl::execute(diesel::sql_query("CREATE TABLE brand (id TEXT PRIMARY KEY, name TEXT NOT NULL)"), &mut conn)?;
/// diesel::RunQueryDsl::execute(diesel::sql_query("INSERT INTO product VALUES ('p1', 'Chair'), ('p2', 'Lamp')"), &mut conn)?;
/// diesel::RunQueryDsl::execute(diesel::sql_query("INSERT INTO brand VALUES ('b1', 'Acme')"), &mut conn)?;
/// link_runtime::migrate(&mut conn)?;
/// link_runtime::create(&mut conn, Product::id("p1"), Brand::id("b1"))?;
///
/// let cards = Query::new(&mut conn).graph(
///     ProductCard::graph()
///         .filter(|product| product.title.eq_any(["Chair", "Lamp"]))
///         .order(|product| product.title.asc()),
/// )?;
/// assert_eq!(cards.metadata.count, 2);
/// assert_eq!(cards.data[0].title, "Chair");
/// assert_eq!(cards.data[0].brand.as_ref().unwrap().name, "Acme");
/// assert!(cards.data[1].brand.is_none());
/// # Ok(())
/// # }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not select fields of a graph query",
    label = "not a `GraphSelect` struct",
    note = "a `#[graph(link)]` field holds structs that derive `GraphSelect` (with `#[graph(entity = Model)]`) and `Deserialize`"
)]
pub trait GraphSelect: DeserializeOwned {
    /// The model the struct selects from.
    type Entity: Linkable;

    /// Appends the struct's field paths, each after `prefix`.
    #[doc(hidden)]
    fn push_fields(prefix: &str, fields: &mut Vec<String>);

    /// The struct's field paths, as a dynamic [`Graph`] would list them.
    fn field_paths() -> Vec<String> {
        let mut fields = Vec::new();
        Self::push_fields("", &mut fields);
        fields
    }

    /// A typed query selecting this struct from its model.
    fn graph() -> TypedGraph<Self>
    where
        Self: Sized,
    {
        TypedGraph::new()
    }
}

/// The records of `Target` linked to `Self` by the link `L`, as a graph query names them.
///
/// `define_link!` implements it in both directions: for `define_link!(Product(is_list),
/// Brand)`, `Product: GraphLink<Brand, Link>` with `FIELD = "brand"` and cardinality
/// [`One`], and `Brand: GraphLink<Product, Link>` with `FIELD = "products"` and [`Many`].
#[diagnostic::on_unimplemented(
    message = "no link is defined between `{Self}` and `{Target}`",
    label = "`{Self}` has no link to `{Target}`",
    note = "a `#[graph(link)]` field selects records of a model linked to the entity by a `define_link!`"
)]
pub trait GraphLink<Target: Linkable, L>: Linkable {
    /// The field that holds the linked records: the target model's name, plural when the
    /// target's side is a list.
    const FIELD: &'static str;
    /// [`One`] or [`Many`].
    type Cardinality;
}

/// A link side on which a record has at most one partner: read into an `Option<T>`.
#[derive(Debug)]
pub enum One {}

/// A list side: read into a `Vec<T>`.
#[derive(Debug)]
pub enum Many {}

/// A container that can hold the records of a link side of cardinality `K`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold the linked records of a side of cardinality `{K}`",
    label = "this container does not match the link",
    note = "a side with at most one partner (`One`) is read into an `Option<_>`, a list side (`Many`) into a `Vec<_>`"
)]
pub trait HoldsLinked<K> {}

impl<T: GraphSelect> HoldsLinked<One> for Option<T> {}
impl<T: GraphSelect> HoldsLinked<Many> for Vec<T> {}

/// A typed path to a field of the model `M` whose Rust type is `T`, for filters and
/// ordering of [typed queries](GraphSelect). `#[derive(Linkable)]` generates a struct of
/// them, `{Model}Fields`, that the closures of [`TypedGraph`] receive.
pub struct Field<M, T> {
    name: &'static str,
    marker: PhantomData<fn() -> (M, T)>,
}

impl<M, T> Clone for Field<M, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M, T> Copy for Field<M, T> {}

impl<M, T> std::fmt::Debug for Field<M, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Field({})", self.name)
    }
}

impl<M, T> Field<M, T> {
    #[doc(hidden)]
    pub const fn new(name: &'static str) -> Self {
        Field {
            name,
            marker: PhantomData,
        }
    }

    /// The field's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Orders by this field, smallest first.
    pub fn asc(self) -> TypedOrder<M> {
        TypedOrder::new(self.name, Order::Asc)
    }

    /// Orders by this field, largest first.
    pub fn desc(self) -> TypedOrder<M> {
        TypedOrder::new(self.name, Order::Desc)
    }

    fn filter(self, condition: Condition) -> TypedFilter<M> {
        TypedFilter {
            filter: Filter::field(self.name, condition),
            marker: PhantomData,
        }
    }
}

impl<M, T: Serialize> Field<M, T> {
    /// `= value`
    pub fn eq(self, value: impl Into<T>) -> TypedFilter<M> {
        self.filter(Condition::from(json(value.into())))
    }
    /// `<> value`
    pub fn ne(self, value: impl Into<T>) -> TypedFilter<M> {
        self.filter(Condition::Ne(json(value.into())))
    }
    /// `> value`
    pub fn gt(self, value: impl Into<T>) -> TypedFilter<M> {
        self.filter(Condition::Gt(json(value.into())))
    }
    /// `>= value`
    pub fn ge(self, value: impl Into<T>) -> TypedFilter<M> {
        self.filter(Condition::Ge(json(value.into())))
    }
    /// `< value`
    pub fn lt(self, value: impl Into<T>) -> TypedFilter<M> {
        self.filter(Condition::Lt(json(value.into())))
    }
    /// `<= value`
    pub fn le(self, value: impl Into<T>) -> TypedFilter<M> {
        self.filter(Condition::Le(json(value.into())))
    }
    /// `IN (values)`, as diesel's `eq_any`.
    pub fn eq_any<V: Into<T>>(self, values: impl IntoIterator<Item = V>) -> TypedFilter<M> {
        self.filter(Condition::EqAny(
            values.into_iter().map(|v| json(v.into())).collect(),
        ))
    }
    /// `NOT IN (values)`, as diesel's `ne_all`.
    pub fn ne_all<V: Into<T>>(self, values: impl IntoIterator<Item = V>) -> TypedFilter<M> {
        self.filter(Condition::NeAll(
            values.into_iter().map(|v| json(v.into())).collect(),
        ))
    }
}

impl<M> Field<M, String> {
    /// `LIKE pattern`, case included; see [`Condition::Like`].
    pub fn like(self, pattern: impl Into<String>) -> TypedFilter<M> {
        self.filter(Condition::Like(pattern.into()))
    }
    /// `LIKE pattern`, ignoring case.
    pub fn ilike(self, pattern: impl Into<String>) -> TypedFilter<M> {
        self.filter(Condition::ILike(pattern.into()))
    }
}

impl<M, T> Field<M, Option<T>> {
    /// `IS NULL`
    pub fn is_null(self) -> TypedFilter<M> {
        self.filter(Condition::IsNull)
    }
    /// `IS NOT NULL`
    pub fn is_not_null(self) -> TypedFilter<M> {
        self.filter(Condition::IsNotNull)
    }
}

/// Values of the runtime's own types serialize infallibly; a user type whose `Serialize`
/// fails filters on `null`, which matches nothing but `is_null`.
fn json<T: Serialize>(value: T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// A filter on the model `M`, built from its [`Field`]s.
#[derive(Debug, Clone)]
pub struct TypedFilter<M> {
    filter: Filter,
    marker: PhantomData<fn() -> M>,
}

impl<M> TypedFilter<M> {
    /// Both filters hold.
    pub fn and(self, other: TypedFilter<M>) -> Self {
        self.combine(other, Filter::And)
    }

    /// At least one of the filters holds.
    pub fn or(self, other: TypedFilter<M>) -> Self {
        self.combine(other, Filter::Or)
    }

    fn combine(self, other: TypedFilter<M>, with: fn(Vec<Filter>) -> Filter) -> Self {
        TypedFilter {
            filter: with(vec![self.filter, other.filter]),
            marker: PhantomData,
        }
    }

    /// The untyped filter.
    pub fn into_filter(self) -> Filter {
        self.filter
    }
}

/// An order on a field of the model `M`.
#[derive(Debug, Clone)]
pub struct TypedOrder<M> {
    path: &'static str,
    order: Order,
    marker: PhantomData<fn() -> M>,
}

impl<M> TypedOrder<M> {
    fn new(path: &'static str, order: Order) -> Self {
        TypedOrder {
            path,
            order,
            marker: PhantomData,
        }
    }
}

/// A typed graph query: `S`'s fields from `S::Entity`, with typed filters and ordering. Made
/// by [`GraphSelect::graph`] and run by [`Query::graph`](crate::graph::Query::graph), whose
/// result holds `S`s.
#[derive(Debug, Clone)]
pub struct TypedGraph<S> {
    graph: Graph,
    marker: PhantomData<fn() -> S>,
}

impl<S: GraphSelect> TypedGraph<S> {
    fn new() -> Self {
        TypedGraph {
            graph: Graph::of(S::Entity::ENTITY).fields(S::field_paths()),
            marker: PhantomData,
        }
    }

    /// Keeps the records that meet a filter built from the model's fields.
    pub fn filter(
        mut self,
        filter: impl FnOnce(<S::Entity as Linkable>::Fields) -> TypedFilter<S::Entity>,
    ) -> Self {
        let filter = filter(S::Entity::fields()).filter;
        self.graph = self.graph.filter_by(filter);
        self
    }

    /// Keeps the records with a live linked `T` that meets a filter built from `T`'s fields.
    pub fn filter_linked<T, L>(mut self, filter: impl FnOnce(T::Fields) -> TypedFilter<T>) -> Self
    where
        T: Linkable,
        S::Entity: GraphLink<T, L>,
    {
        let filter = filter(T::fields()).filter;
        let field = <S::Entity as GraphLink<T, L>>::FIELD;
        self.graph = self.graph.filter_by(filter.prefixed(field));
        self
    }

    /// Orders by a field of the model; later calls break ties of earlier ones.
    pub fn order(
        mut self,
        order: impl FnOnce(<S::Entity as Linkable>::Fields) -> TypedOrder<S::Entity>,
    ) -> Self {
        let order = order(S::Entity::fields());
        self.graph = self.graph.order(order.path, order.order);
        self
    }

    /// Skips the first `skip` records.
    pub fn skip(mut self, skip: u64) -> Self {
        self.graph = self.graph.skip(skip);
        self
    }

    /// Reads at most `take` records; when more follow, the result's
    /// [`next_cursor`](crate::graph::Metadata::next_cursor) reads the next page with
    /// [`after`](Self::after).
    pub fn take(mut self, take: u64) -> Self {
        self.graph = self.graph.take(take);
        self
    }

    /// Reads the records after the last one of an earlier page of this query, in its
    /// order: `cursor` is that page's [`next_cursor`](crate::graph::Metadata::next_cursor).
    /// See [`Graph::after`], which this is.
    pub fn after(mut self, cursor: impl Into<String>) -> Self {
        self.graph = self.graph.after(cursor);
        self
    }

    /// Includes soft-deleted records and dismissed links.
    pub fn with_deleted(mut self) -> Self {
        self.graph = self.graph.with_deleted();
        self
    }

    /// The dynamic query this typed query runs.
    pub fn into_graph(self) -> Graph {
        self.graph
    }
}

/// Helpers of `#[derive(GraphSelect)]`'s compile-time checks.
#[doc(hidden)]
pub mod checks {
    use super::{GraphLink, HoldsLinked};
    use crate::entity::EntitySchema;
    use crate::linkable::Linkable;

    /// `Self` reaches `Target` by the link `L` under the field whose name's key (a hash
    /// that `define_link!` and `#[derive(GraphSelect)]` compute alike) is `KEY`: what tells
    /// two links between the same models apart in a typed query. Links that give one name
    /// to the same models implement it alike, and a typed query of that name is ambiguous.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` has no link field to `{Target}` of this name",
        label = "no link of `{Self}` to `{Target}` goes by this name",
        note = "a `#[graph(link)]` field takes the linked model's name, in the plural when that model's side of the link is a list, or the `alias` that side has in `define_link!`"
    )]
    pub trait LinkNamed<const KEY: u64, Target: Linkable, L>: GraphLink<Target, L> {}

    /// The column of `entity`'s field `name`: a read-only link's column. Empty for a name
    /// that is no field, which the compiler reports at the field itself.
    pub const fn field_column(entity: &EntitySchema, name: &str) -> &'static str {
        let mut i = 0;
        while i < entity.fields.len() {
            if same_name(entity.fields[i].name, name) {
                return entity.fields[i].column;
            }
            i += 1;
        }
        ""
    }

    /// A field's type that holds the id of a `Model`: what a read-only link's `field` must
    /// be.
    #[diagnostic::on_unimplemented(
        message = "a read-only link's field holds the id of `{Model}`, and `{Self}` cannot",
        label = "this field is `{Self}`",
        note = "the field holding the other model's id is `String`, `Id<{Model}>`, or an `Option` of either"
    )]
    pub trait HoldsId<Model: ?Sized> {}

    impl<M: ?Sized> HoldsId<M> for String {}
    impl<M: ?Sized> HoldsId<M> for Option<String> {}
    impl<M: ?Sized> HoldsId<M> for crate::id::Id<M> {}
    impl<M: ?Sized> HoldsId<M> for Option<crate::id::Id<M>> {}

    /// Compiles only if `field` holds the id of a `Model`.
    pub fn holds_id<Model: ?Sized, T: HoldsId<Model> + ?Sized>(field: &T) {
        let _ = field;
    }

    /// Whether `entity` has a field named `name`.
    pub const fn has_field(entity: &EntitySchema, name: &str) -> bool {
        let mut i = 0;
        while i < entity.fields.len() {
            if same_name(entity.fields[i].name, name) {
                return true;
            }
            i += 1;
        }
        false
    }

    /// The field name of the link from `E` to `T` whose field's name has the key `KEY`. It
    /// compiles only if `E` links to `T` under that name and the container `C` fits the
    /// link's cardinality: one set of bounds, so that a missing link is one error.
    pub const fn link_field<E, T, L, C, const KEY: u64>() -> &'static str
    where
        E: LinkNamed<KEY, T, L>,
        T: Linkable,
        C: HoldsLinked<<E as GraphLink<T, L>>::Cardinality>,
    {
        E::FIELD
    }

    /// String equality in a constant.
    pub const fn same_name(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }

    /// The length of `parts` joined: a const panic prints a `&str` but cannot format one,
    /// so a message naming a field is joined into an array first.
    pub const fn message_len(parts: &[&str]) -> usize {
        let mut len = 0;
        let mut part = 0;
        while part < parts.len() {
            len += parts[part].len();
            part += 1;
        }
        len
    }

    /// `parts` joined, as bytes; `N` is their [`message_len`].
    pub const fn message<const N: usize>(parts: &[&str]) -> [u8; N] {
        let mut out = [0u8; N];
        let mut at = 0;
        let mut part = 0;
        while part < parts.len() {
            let bytes = parts[part].as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                out[at] = bytes[i];
                at += 1;
                i += 1;
            }
            part += 1;
        }
        out
    }
}
