//! Typed graph queries: the selection is a struct the compiler checks against the models and
//! their links ([`GraphSelect`]), and the result deserializes into it; [`TypedGraph`], the
//! query, with filters, orders and pages built from typed fields (`field.rs`), counts
//! (`count.rs`), links (`link.rs`) and pages inside each record (`nested.rs`).

pub mod checks;
mod count;
mod field;
mod link;
mod nested;

use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use crate::graph::filter::{Order, Quantifier};
use crate::graph::request::Graph;
use crate::linkable::Linkable;

pub use self::count::{CountKeys, TypedCount};
pub use self::field::{Field, TypedFilter, TypedOrder};
pub use self::link::{GraphLink, ListSide, Many, One};
#[doc(hidden)]
pub use self::nested::push_page;
pub use self::nested::TypedNested;

use self::count::count_path;
use self::link::linked_filter;
use self::nested::page_of;
use crate::graph::nested::Nested;

/// A struct that selects fields of a linkable model and, through its links, of linked
/// models: a typed graph query whose result deserializes into the struct.
///
/// Derive it with `#[derive(GraphSelect, Deserialize)]` and `#[graph(entity = Model)]`.
/// Every field names a field of the model, or, marked `#[graph(link)]`, a link of the model:
/// an `Option<T>` for a side with at most one partner, a `Vec<T>` for a list side, where `T`
/// selects from the linked model in turn. A field the model does not have, a link that
/// does not exist, or the wrong container for the link's cardinality does not compile.
///
/// A field marked `#[graph(count = Model)]` holds how many live `Model`s are linked to the
/// record (the dynamic form's `_count.{field}`), read under the struct field's own name; its
/// type is an integer (`u64`, `i32`, `usize`..), else it does not compile. Where several
/// links join the entity to `Model`, `field = ".."` names the one counted (its link field:
/// `#[graph(count = Shop, field = "supplied_shops")]`); without it, the compiler asks which.
/// [`TypedGraph::nested`] has an example.
///
/// A `Vec<T>` link field can declare the page inside each record it holds:
/// `#[graph(link, take = 3)]` holds at most three linked records in each record (in the
/// order of the links, or one [`TypedGraph::nested`] gives).
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

    /// Where the struct, and the structs of its link fields, read the counts they ask for
    /// (`#[graph(count = Model)]` fields).
    #[doc(hidden)]
    fn count_keys() -> CountKeys {
        CountKeys::default()
    }

    /// The pages inside each record the struct declares (`#[graph(link, take = 3)]`), by link
    /// field, with those of the structs of its link fields below them.
    #[doc(hidden)]
    fn pages() -> Vec<(&'static str, Nested)> {
        Vec::new()
    }

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

/// A container that can hold the records of a link side of cardinality `K`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold the linked records of a side of cardinality `{K}`",
    label = "this container does not match the link",
    note = "a side with at most one partner (`One`) is read into an `Option<_>`, a list side (`Many`) into a `Vec<_>`"
)]
pub trait HoldsLinked<K> {}

impl<T: GraphSelect> HoldsLinked<One> for Option<T> {}
impl<T: GraphSelect> HoldsLinked<Many> for Vec<T> {}

/// A typed graph query: `S`'s fields from `S::Entity`, with typed filters and ordering. Made
/// by [`GraphSelect::graph`] and run by [`Query::graph`](crate::graph::Query::graph), whose
/// result holds `S`s.
pub struct TypedGraph<S> {
    graph: Graph,
    marker: PhantomData<fn() -> S>,
}

// By hand: a query is cloned and printed whatever its struct can do.
impl<S> Clone for TypedGraph<S> {
    fn clone(&self) -> Self {
        TypedGraph {
            graph: self.graph.clone(),
            marker: PhantomData,
        }
    }
}

impl<S> std::fmt::Debug for TypedGraph<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("TypedGraph").field(&self.graph).finish()
    }
}

impl<S: GraphSelect> TypedGraph<S> {
    fn new() -> Self {
        let mut graph = Graph::of(S::Entity::ENTITY).fields(S::field_paths());
        for (field, page) in S::pages() {
            graph = graph.nested(field, page);
        }
        TypedGraph {
            graph,
            marker: PhantomData,
        }
    }

    /// Keeps the records that meet a filter built from the model's fields.
    pub fn filter(
        mut self,
        filter: impl FnOnce(<S::Entity as Linkable>::Fields) -> TypedFilter<S::Entity>,
    ) -> Self {
        self.graph = self
            .graph
            .filter_by(filter(S::Entity::fields()).into_filter());
        self
    }

    /// Keeps the records with a live linked `T` that meets a filter built from `T`'s fields.
    pub fn filter_linked<T, L>(mut self, filter: impl FnOnce(T::Fields) -> TypedFilter<T>) -> Self
    where
        T: Linkable,
        S::Entity: GraphLink<T, L>,
    {
        let filter = filter(T::fields()).into_filter();
        let field = <S::Entity as GraphLink<T, L>>::FIELD;
        self.graph = self.graph.filter_by(filter.prefixed(field));
        self
    }

    /// Keeps the records with some live linked `T` that meets a filter built from `T`'s
    /// fields: one linked record meets the whole filter (JSON `$some`), where
    /// [`filter_linked`](Self::filter_linked)'s conditions each follow the link on their own.
    /// Links are told apart by `L`, which the compiler infers when one link joins the two
    /// models (`filter_some::<Product, _>`); see [`filter_every`](Self::filter_every) for a
    /// running example.
    pub fn filter_some<T, L>(self, filter: impl FnOnce(T::Fields) -> TypedFilter<T>) -> Self
    where
        T: Linkable,
        S::Entity: GraphLink<T, L>,
    {
        self.quantified::<T, L>(Quantifier::Some, Some(filter(T::fields())))
    }

    /// Keeps the records whose live linked `T`s all meet a filter built from `T`'s fields
    /// (JSON `$every`): a record with no linked `T` is kept too.
    ///
    /// ```
    /// # use diesel::{Connection, SqliteConnection};
    /// # use diesel::connection::SimpleConnection;
    /// use link_runtime::graph::{GraphSelect, Query, TypedGraph};
    /// # use link_runtime::prelude::*;
    /// # use serde::Deserialize;
    /// # #[derive(Linkable)] #[linkable(module = "product", table = "product")] pub struct Product { pub id: String, pub title: String }
    /// # #[derive(Linkable)] #[linkable(module = "brand", table = "brand")] pub struct Brand { pub id: String, pub name: String }
    /// # mod product_brand { use super::{Brand, Product}; link_runtime::define_link!(Product(is_list), Brand); }
    /// #[derive(GraphSelect, Deserialize)]
    /// #[graph(entity = Brand)]
    /// struct BrandName { name: String }
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mut conn = SqliteConnection::establish(":memory:")?;
    /// # conn.batch_execute("CREATE TABLE product (id TEXT PRIMARY KEY, title TEXT NOT NULL);
    /// #     CREATE TABLE brand (id TEXT PRIMARY KEY, name TEXT NOT NULL);
    /// #     INSERT INTO product VALUES ('p1', 'Lamp'), ('p2', 'Chair'), ('p3', 'Zither');
    /// #     INSERT INTO brand VALUES ('b1', 'Acme'), ('b2', 'Birch'), ('b3', 'Cedar');")?;
    /// # link_runtime::migrate(&mut conn)?;
    /// # link_runtime::create(&mut conn, Product::id("p1"), Brand::id("b1"))?;
    /// # link_runtime::create(&mut conn, Product::id("p2"), Brand::id("b1"))?;
    /// # link_runtime::create(&mut conn, Product::id("p3"), Brand::id("b2"))?;
    /// // Acme holds the Lamp and the Chair, Birch the Zither, Cedar nothing.
    /// let mut names = |graph: TypedGraph<BrandName>| -> Result<Vec<String>, link_runtime::Error> {
    ///     let brands = Query::new(&mut conn).graph(graph)?;
    ///     Ok(brands.data.into_iter().map(|brand: BrandName| brand.name).collect())
    /// };
    /// let by_name = || BrandName::graph().order(|brand| brand.name.asc());
    /// let no_zither = |product: ProductFields| product.title.ne("Zither");
    /// assert_eq!(names(by_name().filter_every::<Product, _>(no_zither))?, ["Acme", "Cedar"]);
    /// assert_eq!(names(by_name().filter_some::<Product, _>(no_zither))?, ["Acme"]);
    /// assert_eq!(names(by_name().filter_none::<Product, _>(no_zither))?, ["Birch", "Cedar"]);
    /// assert_eq!(names(by_name().filter_unlinked::<Product, _>())?, ["Cedar"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn filter_every<T, L>(self, filter: impl FnOnce(T::Fields) -> TypedFilter<T>) -> Self
    where
        T: Linkable,
        S::Entity: GraphLink<T, L>,
    {
        self.quantified::<T, L>(Quantifier::Every, Some(filter(T::fields())))
    }

    /// Keeps the records with no live linked `T` that meets a filter built from `T`'s
    /// fields (JSON `$none`): a record with no linked `T` is kept too. See
    /// [`filter_every`](Self::filter_every) for a running example.
    pub fn filter_none<T, L>(self, filter: impl FnOnce(T::Fields) -> TypedFilter<T>) -> Self
    where
        T: Linkable,
        S::Entity: GraphLink<T, L>,
    {
        self.quantified::<T, L>(Quantifier::None, Some(filter(T::fields())))
    }

    /// Keeps the records with no live linked `T` at all (JSON `"brand": null`). See
    /// [`filter_every`](Self::filter_every) for a running example.
    pub fn filter_unlinked<T, L>(self) -> Self
    where
        T: Linkable,
        S::Entity: GraphLink<T, L>,
    {
        self.quantified::<T, L>(Quantifier::None, None)
    }

    fn quantified<T, L>(mut self, quantifier: Quantifier, filter: Option<TypedFilter<T>>) -> Self
    where
        T: Linkable,
        S::Entity: GraphLink<T, L>,
    {
        self.graph = self
            .graph
            .filter_by(linked_filter::<S::Entity, T, L>(quantifier, filter));
        self
    }

    /// Keeps the records whose count of live linked `T`s meets a filter on the count: the
    /// count the page inside each record ([`nested`](Self::nested)) filters, if there is
    /// one, as a `#[graph(count = T)]` field reads it. See [`TypedCount`] for an example.
    pub fn filter_count<T, L>(
        mut self,
        filter: impl FnOnce(TypedCount<S::Entity>) -> TypedFilter<S::Entity>,
    ) -> Self
    where
        T: Linkable,
        S::Entity: GraphLink<T, L>,
    {
        let count = TypedCount::new(count_path::<S::Entity, T, L>());
        self.graph = self.graph.filter_by(filter(count).into_filter());
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

    /// Orders by the count of live linked `T`s (as [`filter_count`](Self::filter_count)
    /// counts them); later calls break ties of earlier ones.
    ///
    /// ```
    /// use link_runtime::graph::{GraphSelect, Order};
    /// # use link_runtime::prelude::*;
    /// # use serde::Deserialize;
    /// # #[derive(Linkable)] #[linkable(module = "product", table = "product")] pub struct Product { pub id: String, pub title: String }
    /// # #[derive(Linkable)] #[linkable(module = "brand", table = "brand")] pub struct Brand { pub id: String, pub name: String }
    /// # mod product_brand { use super::{Brand, Product}; link_runtime::define_link!(Product(is_list), Brand); }
    /// #[derive(GraphSelect, Deserialize)]
    /// #[graph(entity = Brand)]
    /// struct BrandName { name: String }
    ///
    /// # fn main() {
    /// let graph = BrandName::graph()
    ///     .order_count::<Product, _>(Order::Desc)
    ///     .order(|brand| brand.name.asc())
    ///     .into_graph();
    /// assert_eq!(
    ///     graph.order_requested(),
    ///     [("_count.products".to_owned(), Order::Desc), ("name".to_owned(), Order::Asc)]
    /// );
    /// # }
    /// ```
    pub fn order_count<T, L>(mut self, order: Order) -> Self
    where
        T: Linkable,
        S::Entity: GraphLink<T, L>,
    {
        self.graph = self.graph.order(count_path::<S::Entity, T, L>(), order);
        self
    }

    /// Pages the list of linked `T`s inside each record: which of them the struct's
    /// `Vec<_>` field holds (filters, order, `skip`, `take`, as [`TypedNested`] builds
    /// them), and which of them its `#[graph(count = T)]` field counts (the filters). The
    /// page starts as the struct declares it (`#[graph(link, take = 3)]`, and the pages of
    /// the linked struct's own lists), so a closure that only orders keeps the struct's
    /// `take`. Only a list side can be paged: a side that holds one `T` at most does not
    /// compile.
    ///
    /// ```
    /// # use diesel::{Connection, SqliteConnection};
    /// # use diesel::connection::SimpleConnection;
    /// use link_runtime::graph::{GraphSelect, Query, TypedNested};
    /// # use link_runtime::prelude::*;
    /// # use serde::Deserialize;
    /// # #[derive(Linkable)] #[linkable(module = "product", table = "product")] pub struct Product { pub id: String, pub title: String }
    /// # #[derive(Linkable)] #[linkable(module = "brand", table = "brand")] pub struct Brand { pub id: String, pub name: String }
    /// # mod product_brand { use super::{Brand, Product}; link_runtime::define_link!(Product(is_list), Brand); }
    /// #[derive(GraphSelect, Deserialize)]
    /// #[graph(entity = Brand)]
    /// struct BrandShelf {
    ///     name: String,
    ///     #[graph(link)]
    ///     products: Vec<ProductTitle>,
    ///     #[graph(count = Product)]
    ///     product_count: u64,
    /// }
    ///
    /// #[derive(GraphSelect, Deserialize)]
    /// #[graph(entity = Product)]
    /// struct ProductTitle { title: String }
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mut conn = SqliteConnection::establish(":memory:")?;
    /// # conn.batch_execute("CREATE TABLE product (id TEXT PRIMARY KEY, title TEXT NOT NULL);
    /// #     CREATE TABLE brand (id TEXT PRIMARY KEY, name TEXT NOT NULL);
    /// #     INSERT INTO product VALUES ('p1', 'Lamp'), ('p2', 'Chair'), ('p3', 'Kettle'), ('p4', 'Zither');
    /// #     INSERT INTO brand VALUES ('b1', 'Acme');")?;
    /// # link_runtime::migrate(&mut conn)?;
    /// # for p in ["p1", "p2", "p3", "p4"] { link_runtime::create(&mut conn, Product::id(p), Brand::id("b1"))?; }
    /// // Each brand with its first two products by title, of those but the Zither, and how
    /// // many such products it has.
    /// let shelves = Query::new(&mut conn).graph(BrandShelf::graph().nested::<Product, _>(
    ///     |page: TypedNested<Product>| {
    ///         page.filter(|product| product.title.ne("Zither"))
    ///             .order(|product| product.title.asc())
    ///             .take(2)
    ///     },
    /// ))?;
    /// let titles: Vec<&str> = shelves.data[0].products.iter().map(|p| p.title.as_str()).collect();
    /// assert_eq!(titles, ["Chair", "Kettle"]);
    /// assert_eq!(shelves.data[0].product_count, 3);
    /// # Ok(())
    /// # }
    /// ```
    pub fn nested<T, L>(mut self, page: impl FnOnce(TypedNested<T>) -> TypedNested<T>) -> Self
    where
        T: Linkable,
        S::Entity: GraphLink<T, L>,
        <S::Entity as GraphLink<T, L>>::Cardinality: ListSide<S::Entity, T>,
    {
        let field = <S::Entity as GraphLink<T, L>>::FIELD;
        let start = TypedNested::from_nested(page_of(&S::pages(), field));
        self.graph = self.graph.nested(field, page(start).into_nested());
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
