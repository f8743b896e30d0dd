//! Typed record ids.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

/// The id of a record of the linkable model `T`.
///
/// Ids are text, as in Medusa (`prod_01H...`), but typed: an `Id<Product>` cannot be
/// passed where an `Id<Brand>` is expected, which is what lets the compiler check the
/// direction of a link.
///
/// `Id<T>` maps to a diesel `Text` column, so it can be used in diesel queries and in
/// `Queryable` structs.
///
/// ```
/// use link_runtime::prelude::*;
///
/// #[derive(Linkable)]
/// #[linkable(module = "brand")]
/// struct Brand {
///     id: String,
/// }
///
/// let id = Brand::id("brand_456");
/// assert_eq!(id.as_str(), "brand_456");
/// assert_eq!(id, Id::<Brand>::new("brand_456"));
/// ```
#[derive(AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub struct Id<T: ?Sized> {
    value: String,
    // `fn() -> T` keeps `Id<T>` Send, Sync and covariant whatever `T` is.
    model: PhantomData<fn() -> T>,
}

impl<T: ?Sized> Id<T> {
    /// Wraps a raw id.
    pub fn new(value: impl Into<String>) -> Self {
        Id {
            value: value.into(),
            model: PhantomData,
        }
    }

    /// The raw id.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// Unwraps the raw id.
    pub fn into_inner(self) -> String {
        self.value
    }
}

// The impls below are written by hand so that they do not require `T` to implement the
// trait as well (derives would add a `T: Clone` bound, and so on).

impl<T: ?Sized> Clone for Id<T> {
    fn clone(&self) -> Self {
        Id::new(self.value.clone())
    }
}

impl<T: ?Sized> fmt::Debug for Id<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.value, f)
    }
}

impl<T: ?Sized> fmt::Display for Id<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

impl<T: ?Sized> PartialEq for Id<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: ?Sized> Eq for Id<T> {}

impl<T: ?Sized> PartialOrd for Id<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T: ?Sized> Ord for Id<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.value.cmp(&other.value)
    }
}

impl<T: ?Sized> Hash for Id<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.value.hash(state)
    }
}

impl<T: ?Sized> AsRef<str> for Id<T> {
    fn as_ref(&self) -> &str {
        &self.value
    }
}

impl<T: ?Sized> Borrow<str> for Id<T> {
    fn borrow(&self) -> &str {
        &self.value
    }
}

impl<T: ?Sized> From<Id<T>> for String {
    fn from(id: Id<T>) -> String {
        id.value
    }
}

impl<T: ?Sized, DB> FromSql<Text, DB> for Id<T>
where
    DB: Backend,
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        String::from_sql(bytes).map(Id::new)
    }
}

impl<T: ?Sized, DB> ToSql<Text, DB> for Id<T>
where
    DB: Backend,
    str: ToSql<Text, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        <str as ToSql<Text, DB>>::to_sql(&self.value, out)
    }
}
