//! The trait of a data model that links can point at.

use crate::entity::EntitySchema;

/// A data model of a module that links can associate with models of other modules
/// (Medusa's `.linkable`).
///
/// Derive it with `#[derive(Linkable)]` and name the owning module with
/// `#[linkable(module = "...")]`. The derive also gives the model a typed id constructor,
/// `Model::id("...")`, returning an [`Id<Model>`](crate::Id).
///
/// ```
/// use link_runtime::prelude::*;
///
/// #[derive(Linkable)]
/// #[linkable(module = "product", table = "product")]
/// pub struct Product {
///     pub id: String,
///     pub title: String,
/// }
///
/// assert_eq!(Product::MODULE, "product");
/// assert_eq!(Product::MODEL, "product");
/// assert_eq!(Product::TABLE, "product");
/// assert_eq!(Product::PRIMARY_KEY, "id");
/// assert_eq!(Product::FIELDS, ["id", "title"]);
/// ```
///
/// Attribute keys of `#[linkable(...)]`:
///
/// | key | meaning | default |
/// |---|---|---|
/// | `module` | the module that owns the model (required) | |
/// | `model` | the model's name in links and graph queries | the struct's name in snake_case |
/// | `table` | the model's table | the diesel `table_name`, else the snake_case name plus `s` (diesel's default) |
/// | `primary_key` | the id field | `id` |
///
/// The derive also registers the model as an entity of [graph queries](crate::graph), and
/// generates `{Model}Fields` (`ProductFields` above): one typed
/// [`Field`](crate::graph::Field) per field, for the filters of typed graph queries. A
/// field's column is its name, unless `#[diesel(column_name = ...)]` renames it.
///
/// `define_link!` reads the module and model names through a hidden macro that the derive
/// puts next to the struct, so a link must be defined in the crate that derives both of its
/// models.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a linkable model",
    label = "not linkable",
    note = "derive it: `#[derive(Linkable)]` with `#[linkable(module = \"...\")]` on the struct"
)]
pub trait Linkable: 'static {
    /// The model: its module, name, table, primary key and typed columns. The one place
    /// its identity is written; the constants below read it.
    const ENTITY: &'static EntitySchema;
    /// The module that owns the model, e.g. `"product"`.
    const MODULE: &'static str = Self::ENTITY.module;
    /// The model's name, e.g. `"product"`: it names the link's id column (`product_id`).
    const MODEL: &'static str = Self::ENTITY.model;
    /// The table the module stores the model in.
    const TABLE: &'static str = Self::ENTITY.table;
    /// The primary key column.
    const PRIMARY_KEY: &'static str = Self::ENTITY.primary_key;
    /// The model's fields, in declaration order.
    const FIELDS: &'static [&'static str];

    /// Typed paths to the model's fields for [typed graph queries](crate::graph::GraphSelect):
    /// the generated struct `{Model}Fields`, with one [`Field`](crate::graph::Field) per field.
    type Fields;

    /// The model's typed field paths.
    fn fields() -> Self::Fields;
}
