//! A page inside each record, typed: [`TypedNested`], which of each record's linked `T`s a
//! list field holds, built from `T`'s fields.

use std::marker::PhantomData;

use crate::graph::filter::{Order, Quantifier};
use crate::graph::nested::Nested;
use crate::graph::typed::count::{count_path, TypedCount};
use crate::graph::typed::field::{TypedFilter, TypedOrder};
use crate::graph::typed::link::{linked_filter, GraphLink, ListSide};
use crate::linkable::Linkable;

/// Which of each record's linked `T`s a list field holds, in what order: the typed form of
/// [`Nested`], built in the closure of [`TypedGraph::nested`](crate::graph::TypedGraph::nested)
/// (which see for a running example).
///
/// Its filters keep the linked records that meet them, and apply to the field's count
/// (`#[graph(count = T)]`) too; its order, `skip` and `take` page each record's list.
///
/// ```
/// use link_runtime::graph::{Nested, Order, TypedNested};
/// # use link_runtime::prelude::*;
/// # #[derive(Linkable)] #[linkable(module = "product", table = "product")] pub struct Product { pub id: String, pub title: String }
///
/// let page = TypedNested::<Product>::new()
///     .filter(|product| product.title.ne("Zither"))
///     .order(|product| product.title.asc())
///     .skip(1)
///     .take(2);
/// assert_eq!(
///     page.into_nested(),
///     Nested::new().filter("title", link_runtime::graph::Condition::ne("Zither"))
///         .order("title", Order::Asc)
///         .skip(1)
///         .take(2)
/// );
/// ```
pub struct TypedNested<T> {
    nested: Nested,
    marker: PhantomData<fn() -> T>,
}

// By hand: a page is cloned and printed whatever its model can do.
impl<T> Clone for TypedNested<T> {
    fn clone(&self) -> Self {
        TypedNested {
            nested: self.nested.clone(),
            marker: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for TypedNested<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("TypedNested").field(&self.nested).finish()
    }
}

impl<T> Default for TypedNested<T> {
    fn default() -> Self {
        TypedNested {
            nested: Nested::new(),
            marker: PhantomData,
        }
    }
}

impl<T: Linkable> TypedNested<T> {
    /// Every linked record, in the order the links were made.
    pub fn new() -> Self {
        Self::default()
    }

    /// A page that starts as `nested`: the page a selecting struct declares.
    pub(crate) fn from_nested(nested: Nested) -> Self {
        TypedNested {
            nested,
            marker: PhantomData,
        }
    }

    /// Keeps the linked records that meet a filter built from `T`'s fields. Filters add
    /// up.
    pub fn filter(mut self, filter: impl FnOnce(T::Fields) -> TypedFilter<T>) -> Self {
        self.nested = self.nested.filter_by(filter(T::fields()).into_filter());
        self
    }

    /// Keeps the linked records whose count of linked `U`s meets a filter; see
    /// [`TypedGraph::filter_count`](crate::graph::TypedGraph::filter_count).
    pub fn filter_count<U, L>(
        mut self,
        filter: impl FnOnce(TypedCount<T>) -> TypedFilter<T>,
    ) -> Self
    where
        U: Linkable,
        T: GraphLink<U, L>,
    {
        let count = TypedCount::new(count_path::<T, U, L>());
        self.nested = self.nested.filter_by(filter(count).into_filter());
        self
    }

    /// Keeps the linked records with some live linked `U` that meets a filter; see
    /// [`TypedGraph::filter_some`](crate::graph::TypedGraph::filter_some).
    pub fn filter_some<U, L>(self, filter: impl FnOnce(U::Fields) -> TypedFilter<U>) -> Self
    where
        U: Linkable,
        T: GraphLink<U, L>,
    {
        self.quantified::<U, L>(Quantifier::Some, Some(filter(U::fields())))
    }

    /// Keeps the linked records whose live linked `U`s all meet a filter; see
    /// [`TypedGraph::filter_every`](crate::graph::TypedGraph::filter_every).
    pub fn filter_every<U, L>(self, filter: impl FnOnce(U::Fields) -> TypedFilter<U>) -> Self
    where
        U: Linkable,
        T: GraphLink<U, L>,
    {
        self.quantified::<U, L>(Quantifier::Every, Some(filter(U::fields())))
    }

    /// Keeps the linked records with no live linked `U` that meets a filter; see
    /// [`TypedGraph::filter_none`](crate::graph::TypedGraph::filter_none).
    pub fn filter_none<U, L>(self, filter: impl FnOnce(U::Fields) -> TypedFilter<U>) -> Self
    where
        U: Linkable,
        T: GraphLink<U, L>,
    {
        self.quantified::<U, L>(Quantifier::None, Some(filter(U::fields())))
    }

    /// Keeps the linked records with no live linked `U` at all; see
    /// [`TypedGraph::filter_unlinked`](crate::graph::TypedGraph::filter_unlinked).
    pub fn filter_unlinked<U, L>(self) -> Self
    where
        U: Linkable,
        T: GraphLink<U, L>,
    {
        self.quantified::<U, L>(Quantifier::None, None)
    }

    fn quantified<U, L>(mut self, quantifier: Quantifier, filter: Option<TypedFilter<U>>) -> Self
    where
        U: Linkable,
        T: GraphLink<U, L>,
    {
        self.nested = self
            .nested
            .filter_by(linked_filter::<T, U, L>(quantifier, filter));
        self
    }

    /// Orders each record's linked records by a field of theirs; later calls break ties of
    /// earlier ones, and the linked records' primary key the last ones.
    pub fn order(mut self, order: impl FnOnce(T::Fields) -> TypedOrder<T>) -> Self {
        let order = order(T::fields());
        self.nested = self.nested.order(order.path, order.order);
        self
    }

    /// Orders each record's linked records by their count of live linked `U`s (which the
    /// page's own `nested` filters of that link say); see
    /// [`TypedGraph::order_count`](crate::graph::TypedGraph::order_count).
    pub fn order_count<U, L>(mut self, order: Order) -> Self
    where
        U: Linkable,
        T: GraphLink<U, L>,
    {
        self.nested = self.nested.order(count_path::<T, U, L>(), order);
        self
    }

    /// Skips each record's first `skip` linked records.
    pub fn skip(mut self, skip: u64) -> Self {
        self.nested = self.nested.skip(skip);
        self
    }

    /// Holds at most `take` linked records in each record.
    pub fn take(mut self, take: u64) -> Self {
        self.nested = self.nested.take(take);
        self
    }

    /// Pages each linked record's list of `U`s in turn (the tags of each product of each
    /// brand), starting from what this page holds for them already (a `take` the selecting
    /// struct declares). Only a list side can be paged: a side that holds one `U` at most
    /// does not compile.
    pub fn nested<U, L>(mut self, page: impl FnOnce(TypedNested<U>) -> TypedNested<U>) -> Self
    where
        U: Linkable,
        T: GraphLink<U, L>,
        <T as GraphLink<U, L>>::Cardinality: ListSide<T, U>,
    {
        let field = <T as GraphLink<U, L>>::FIELD;
        let start = page_of(&self.nested.nested, field);
        self.nested = self
            .nested
            .nested(field, page(TypedNested::from_nested(start)).nested);
        self
    }

    /// The untyped page.
    pub fn into_nested(self) -> Nested {
        self.nested
    }
}

/// The page `pages` hold for the link field `field`, or every linked record.
pub(crate) fn page_of<F: AsRef<str>>(pages: &[(F, Nested)], field: &str) -> Nested {
    pages
        .iter()
        .find(|(name, _)| name.as_ref() == field)
        .map_or_else(Nested::new, |(_, page)| page.clone())
}

/// Adds the page of the link field `field` that `#[graph(link, take = ..)]` declares, with
/// the pages of the linked struct's own link fields (`below`), to a selecting struct's
/// `pages`: only if there is something to page.
#[doc(hidden)]
pub fn push_page(
    pages: &mut Vec<(&'static str, Nested)>,
    field: &'static str,
    take: Option<u64>,
    below: Vec<(&'static str, Nested)>,
) {
    if take.is_none() && below.is_empty() {
        return;
    }
    let mut page = Nested::new();
    if let Some(take) = take {
        page = page.take(take);
    }
    for (field, nested) in below {
        page = page.nested(field, nested);
    }
    pages.push((field, page));
}
