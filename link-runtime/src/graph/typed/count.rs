//! Counts of linked records in typed queries: [`TypedCount`], what a filter on a count
//! compares, and [`CountKeys`], where a selecting struct reads each count it asks for.

use std::marker::PhantomData;

use crate::graph::filter::{Condition, Filter};
use crate::graph::typed::field::TypedFilter;
use crate::graph::typed::link::GraphLink;
use crate::linkable::Linkable;

/// The count of a record's live linked records through one link (`_count.products`), as
/// the closure of [`TypedGraph::filter_count`](crate::graph::TypedGraph::filter_count)
/// receives it: its comparisons are filters on the records of `M`.
///
/// ```
/// use link_runtime::graph::{Filter, GraphSelect, Condition};
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
/// // Brands with two to five products.
/// let graph = BrandName::graph().filter_count::<Product, _>(|count| count.ge(2).and(count.le(5)));
/// assert_eq!(
///     graph.into_graph().filters_requested(),
///     [Filter::and([
///         Filter::field("_count.products", Condition::ge(2)),
///         Filter::field("_count.products", Condition::le(5)),
///     ])]
/// );
/// # }
/// ```
#[derive(Debug)]
pub struct TypedCount<M> {
    path: String,
    marker: PhantomData<fn() -> M>,
}

impl<M> Clone for TypedCount<M> {
    fn clone(&self) -> Self {
        TypedCount::new(self.path.clone())
    }
}

impl<M> TypedCount<M> {
    /// The count at `path` (`_count.{field}`).
    pub(crate) fn new(path: String) -> Self {
        TypedCount {
            path,
            marker: PhantomData,
        }
    }

    /// The count's path: `_count.` and the link field.
    pub fn path(&self) -> &str {
        &self.path
    }

    fn filter(&self, condition: Condition) -> TypedFilter<M> {
        TypedFilter::new(Filter::field(self.path.clone(), condition))
    }

    /// `= n`
    pub fn eq(&self, n: u64) -> TypedFilter<M> {
        self.filter(Condition::eq(n))
    }
    /// `<> n`
    pub fn ne(&self, n: u64) -> TypedFilter<M> {
        self.filter(Condition::ne(n))
    }
    /// `> n`
    pub fn gt(&self, n: u64) -> TypedFilter<M> {
        self.filter(Condition::gt(n))
    }
    /// `>= n`
    pub fn ge(&self, n: u64) -> TypedFilter<M> {
        self.filter(Condition::ge(n))
    }
    /// `< n`
    pub fn lt(&self, n: u64) -> TypedFilter<M> {
        self.filter(Condition::lt(n))
    }
    /// `<= n`
    pub fn le(&self, n: u64) -> TypedFilter<M> {
        self.filter(Condition::le(n))
    }
}

/// The path of the count of `E`'s linked `T`s through `L`: `_count.{field}`.
pub(crate) fn count_path<E, T, L>() -> String
where
    T: Linkable,
    E: GraphLink<T, L>,
{
    format!("_count.{}", E::FIELD)
}

/// Where a selecting struct reads the counts it asks for: the result holds a record's
/// counts under `_count` by link field, and a `#[graph(count = Model)]` field reads one
/// of them under the field's own name. `#[derive(GraphSelect)]` builds it, for the struct
/// and the structs of its `#[graph(link)]` fields.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct CountKeys {
    /// The link field counted, and the struct field that reads its count.
    counts: Vec<(&'static str, &'static str)>,
    /// By link field, the keys of the struct that reads the linked records.
    links: Vec<(&'static str, CountKeys)>,
}

static NO_COUNTS: CountKeys = CountKeys {
    counts: Vec::new(),
    links: Vec::new(),
};

impl CountKeys {
    /// The struct field `key` reads the count through the link field `link`.
    pub fn count(&mut self, link: &'static str, key: &'static str) {
        self.counts.push((link, key));
    }

    /// The records at the link field `link` read their counts as `keys` say.
    pub fn link(&mut self, link: &'static str, keys: CountKeys) {
        if !keys.is_empty() {
            self.links.push((link, keys));
        }
    }

    fn is_empty(&self) -> bool {
        self.counts.is_empty() && self.links.is_empty()
    }

    /// Each count read: its link field and the struct field that reads it.
    pub(crate) fn counts(&self) -> &[(&'static str, &'static str)] {
        &self.counts
    }

    /// The keys of the records at the link field `link`.
    pub(crate) fn of_link(&self, link: &str) -> &CountKeys {
        self.links
            .iter()
            .find(|(name, _)| *name == link)
            .map_or(&NO_COUNTS, |(_, keys)| keys)
    }
}
