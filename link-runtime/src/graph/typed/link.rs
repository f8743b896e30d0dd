//! How a typed query follows a link: [`GraphLink`] (the field and cardinality of each link
//! of a model), its two cardinalities, and [`ListSide`], what a page inside each record asks
//! of a link.

use crate::graph::filter::{Filter, Quantifier};
use crate::graph::typed::field::TypedFilter;
use crate::linkable::Linkable;

/// The records of `Target` linked to `Self` by the link `L`, as a graph query names them.
///
/// `define_link!` implements it in both directions: for `define_link!(Product(is_list),
/// Brand)`, `Product: GraphLink<Brand, Link>` with `FIELD = "brand"` and cardinality
/// [`One`], and `Brand: GraphLink<Product, Link>` with `FIELD = "products"` and [`Many`].
#[diagnostic::on_unimplemented(
    message = "no link is defined between `{Self}` and `{Target}`",
    label = "`{Self}` has no link to `{Target}`",
    note = "a `#[graph(link)]` field, a `#[graph(count = Model)]` field and a typed filter reach a model linked to the entity by a `define_link!`"
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

/// A link side that a page inside each record ([`TypedGraph::nested`]) can page: a list
/// side, of cardinality [`Many`]. `E` is the model whose records hold the list, `T` the
/// model listed.
///
/// A brand holds a list of products, so a page of products inside each brand compiles; a
/// product holds one brand at most, so a page of brands inside each product does not:
///
/// ```compile_fail,E0277
/// use link_runtime::graph::GraphSelect;
/// # use link_runtime::prelude::*;
/// # use serde::Deserialize;
/// # #[derive(Linkable)] #[linkable(module = "product", table = "product")] pub struct Product { pub id: String, pub title: String }
/// # #[derive(Linkable)] #[linkable(module = "brand", table = "brand")] pub struct Brand { pub id: String, pub name: String }
/// # mod product_brand { use super::{Brand, Product}; link_runtime::define_link!(Product(is_list), Brand); }
/// #[derive(GraphSelect, Deserialize)]
/// #[graph(entity = Product)]
/// struct ProductTitle { title: String }
///
/// # fn main() {
/// // error: each `Product` holds one `Brand` at most, and a page inside each record pages a list
/// let _ = ProductTitle::graph().nested::<Brand, _>(|page| page.take(1));
/// # }
/// ```
///
/// [`TypedGraph::nested`]: crate::graph::TypedGraph::nested
#[diagnostic::on_unimplemented(
    message = "each `{E}` holds one `{T}` at most, and a page inside each record pages a list",
    label = "`{E}`'s link to `{T}` is not a list side",
    note = "`nested` pages a link field that holds a `Vec<_>` (cardinality `Many`); a side that holds one record at most has nothing to skip, take or order: filter it with `filter_some` or `filter_linked` instead"
)]
pub trait ListSide<E, T> {}

impl<E, T> ListSide<E, T> for Many {}

/// The filter of `E`'s records whose live linked `T`s (through `L`) meet `filter` as
/// `quantifier` says; with no filter, whether they have any.
pub(crate) fn linked_filter<E, T, L>(
    quantifier: Quantifier,
    filter: Option<TypedFilter<T>>,
) -> Filter
where
    T: Linkable,
    E: GraphLink<T, L>,
{
    Filter::linked(E::FIELD, quantifier, filter.map(TypedFilter::into_filter))
}
