//! Enums stored as text: an extra column of an enum of unit variants holds one of the
//! variants' texts, which a `CHECK` constraint names, and reads it back into the variant.

use std::borrow::Cow;
use std::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serializer};

use crate::column::{ColumnKind, ColumnValue, ToColumnValue};
use crate::error::UnknownVariant;

/// An enum of unit variants that an extra column holds as text: `TEXT` with a `CHECK` that
/// it is one of [`VARIANTS`](Self::VARIANTS), on SQLite and PostgreSQL alike, and the same
/// text in graph JSON and through serde.
///
/// Derive it with `#[derive(ColumnEnum)]`: each variant's text is its name in snake_case,
/// or the one `#[column(rename = "..")]` gives. The derive also implements serde's
/// `Serialize` and `Deserialize` as that text (so do not derive serde's as well), and
/// diesel's `FromSql<Text, _>`, so that the link's `Row` loads through diesel's own query
/// builder too. Any column of the enum's type is then such a column, nullable as
/// `Option<Status>`, its default a variant:
///
/// ```
/// use diesel::{Connection, SqliteConnection};
/// use link_runtime::prelude::*;
/// use link_runtime::ColumnEnum;
/// # #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
/// # #[derive(Linkable)] #[linkable(module = "brand")] pub struct Brand { pub id: String }
///
/// #[derive(Debug, Clone, Copy, PartialEq, Eq, ColumnEnum)]
/// pub enum Status {
///     Active,
///     OnHold,
///     #[column(rename = "gone")]
///     Archived,
/// }
///
/// mod product_brand {
///     use super::{Brand, Product, Status};
///     link_runtime::define_link!(Product, Brand, columns { status: Status = Status::Active });
/// }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// assert_eq!(Status::VARIANTS, ["active", "on_hold", "gone"]);
/// assert_eq!(Status::OnHold.as_str(), "on_hold");
/// assert_eq!(Status::parse("gone"), Some(Status::Archived));
/// assert_eq!(serde_json::to_string(&Status::Archived)?, r#""gone""#);
/// assert!(product_brand::Link::SQLITE_SQL.contains(
///     r#""status" TEXT NOT NULL DEFAULT 'active' CHECK ("status" IN ('active', 'on_hold', 'gone'))"#
/// ));
///
/// let mut conn = SqliteConnection::establish(":memory:")?;
/// link_runtime::migrate(&mut conn)?;
/// let columns = product_brand::Columns { status: Status::OnHold };
/// product_brand::Link::create_with(&mut conn, Product::id("p1"), Brand::id("b1"), columns)?;
/// let rows = product_brand::Link::list(&mut conn, &Default::default())?;
/// assert_eq!(rows[0].status, Status::OnHold);
/// # Ok(())
/// # }
/// ```
///
/// A type that is neither one of the built-in column types nor such an enum is refused
/// where the column declares it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a type an extra column can hold",
    label = "not a column type",
    note = "extra columns hold bool, i16, i32, i64, f32, f64, String, chrono's NaiveDateTime, \
            DateTime<Utc>, NaiveDate and NaiveTime, BigDecimal, Uuid, Vec<u8>, serde_json::Value, \
            a Vec of String, i32, i64, f64 or bool, or Option of one of them",
    note = "an enum of unit variants is stored as text once it derives \
            `link_runtime::ColumnEnum`: `#[derive(ColumnEnum)] enum {Self} {{ .. }}`"
)]
pub trait ColumnEnum: Clone + Eq + fmt::Debug + Send + Sync + 'static {
    /// The variants' texts, in declaration order: what the column's `CHECK` allows.
    const VARIANTS: &'static [&'static str];

    /// Each variant's discriminant (`Variant as i128`), in the order of `VARIANTS`: how
    /// `define_link!` finds a default's text at compile time. Written by the derive.
    #[doc(hidden)]
    const DISCRIMINANTS: &'static [i128];

    /// The variant's text.
    fn as_str(&self) -> &'static str;

    /// The variant whose text is `text`, if one is.
    fn parse(text: &str) -> Option<Self>;
}

#[diagnostic::do_not_recommend]
impl<T: ColumnEnum> ToColumnValue for T {
    const KIND: ColumnKind = ColumnKind::Enum(T::VARIANTS);
    fn to_column_value(&self) -> ColumnValue<'_> {
        ColumnValue::Text(self.as_str())
    }
}

/// `text` as a variant of `T`, or the error that names the variants there are.
pub(crate) fn read<T: ColumnEnum>(text: &str) -> Result<T, UnknownVariant> {
    T::parse(text).ok_or_else(|| UnknownVariant {
        enum_name: std::any::type_name::<T>(),
        text: text.to_owned(),
        variants: T::VARIANTS,
    })
}

/// What the derive's `Serialize` does: the variant's text.
#[doc(hidden)]
pub fn serialize<T: ColumnEnum, S: Serializer>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(value.as_str())
}

/// What the derive's `Deserialize` does: a variant from its text, or serde's error naming
/// the variants there are.
#[doc(hidden)]
pub fn deserialize<'de, T: ColumnEnum, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    let text = <Cow<'de, str>>::deserialize(deserializer)?;
    T::parse(&text).ok_or_else(|| D::Error::unknown_variant(&text, T::VARIANTS))
}

/// What the derive's `FromSql<Text, _>` does with the text it read.
#[doc(hidden)]
pub fn from_sql<T: ColumnEnum>(text: &str) -> diesel::deserialize::Result<T> {
    Ok(read(text)?)
}
