//! Helpers of `#[derive(GraphSelect)]`'s compile-time checks: traits and `const fn`s the
//! generated code calls, so that a wrong field, link or type is an error at the user's token.

use super::link::GraphLink;
use super::HoldsLinked;
use crate::entity::EntitySchema;
use crate::linkable::Linkable;

/// `Self` reaches `Target` by the link `L` under the field whose name's key (a hash
/// that `define_link!` and `#[derive(GraphSelect)]` compute alike) is `KEY`: what tells
/// two links between the same models apart in a typed query. Links that give one name
/// to the same models implement it alike, and a typed query of that name is ambiguous.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no link field to `{Target}` of this name",
    label = "no link of `{Self}` to `{Target}` goes by this name",
    note = "a `#[graph(link)]` field, or the `field = \"..\"` of a `#[graph(count = Model)]` field, names the link by the linked model's name, in the plural when that model's side of the link is a list, or by the `alias` that side has in `define_link!`"
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

/// The link field of the link from `E` to `T` that a `#[graph(count = T)]` field counts:
/// it compiles only if exactly one link joins `E` to `T` (else `field = ".."` names it).
pub const fn count_field<E, T, L>() -> &'static str
where
    E: GraphLink<T, L>,
    T: Linkable,
{
    E::FIELD
}

/// The link field of the link from `E` to `T` whose field's name has the key `KEY`: what a
/// `#[graph(count = T, field = "..")]` field counts.
pub const fn count_field_named<E, T, L, const KEY: u64>() -> &'static str
where
    E: LinkNamed<KEY, T, L>,
    T: Linkable,
{
    E::FIELD
}

/// A type a `#[graph(count = Model)]` field can be: an integer.
#[diagnostic::on_unimplemented(
    message = "a count of linked records is an integer, and `{Self}` is not one",
    label = "this field is `{Self}`",
    note = "a `#[graph(count = Model)]` field is `u64`, `u32`, `i64`, `usize` or another integer type"
)]
pub trait CountInteger {}

macro_rules! count_integers {
    ($($ty:ty)*) => { $(impl CountInteger for $ty {})* };
}
count_integers!(u8 u16 u32 u64 u128 usize i8 i16 i32 i64 i128 isize);

/// Compiles only if `T` can hold a count.
pub const fn count_integer<T: CountInteger>() {}

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
