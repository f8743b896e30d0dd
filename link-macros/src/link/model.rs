//! The plain model of a link that validation produces and expansion consumes.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;

/// A validated link. Names are known in the second stage only.
pub struct Link {
    pub left: Side,
    pub right: Side,
    pub columns: Vec<Column>,
    /// Link ids are `{id_prefix}_{ULID}`.
    pub id_prefix: String,
    /// `read_only`: the field of the left model that holds the right model's id. The link
    /// has no table then.
    pub read_only: Option<syn::Ident>,
    pub resolved: Option<ResolvedNames>,
}

pub struct Side {
    pub path: syn::Path,
    pub is_list: bool,
    /// Where `is_list` was written, or the call site.
    pub is_list_span: proc_macro2::Span,
    pub delete_cascade: bool,
    pub delete_cascade_span: proc_macro2::Span,
    /// `alias = "..."`: the side's field name from the other side, and where it was written.
    pub alias: Option<(String, proc_macro2::Span)>,
}

/// The names only the models' `#[linkable]` attributes know.
pub struct ResolvedNames {
    pub table: String,
    pub left: Names,
    pub right: Names,
}

impl ResolvedNames {
    pub fn left_column(&self) -> String {
        format!("{}_id", self.left.model)
    }

    pub fn right_column(&self) -> String {
        format!("{}_id", self.right.model)
    }
}

#[derive(Clone)]
pub struct Names {
    pub module: String,
    pub model: String,
}

impl Parse for Names {
    /// `module = "..", model = ".."`, as the derive's macro writes it.
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let field = |key: &str| -> syn::Result<String> {
            let ident: syn::Ident = input.parse()?;
            if ident != key {
                return Err(syn::Error::new(ident.span(), format!("expected `{key}`")));
            }
            input.parse::<syn::Token![=]>()?;
            let value: syn::LitStr = input.parse()?;
            if input.peek(syn::Token![,]) {
                input.parse::<syn::Token![,]>()?;
            }
            Ok(value.value())
        };
        let module = field("module")?;
        let model = field("model")?;
        Ok(Names { module, model })
    }
}

/// An extra column of the pivot table.
pub struct Column {
    pub name: syn::Ident,
    pub ty: syn::Type,
    /// `ty` without its `Option`: for an enum column, the enum.
    pub value_ty: syn::Type,
    pub kind: ColumnKind,
    pub nullable: bool,
    pub default: Option<DefaultValue>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Bool,
    SmallInt,
    Integer,
    BigInt,
    Float,
    Double,
    Text,
    Timestamp,
    Json,
    /// `chrono::DateTime<Utc>`
    TimestampTz,
    /// `chrono::NaiveDate`
    Date,
    /// `chrono::NaiveTime`
    Time,
    /// `bigdecimal::BigDecimal`
    Decimal,
    /// `uuid::Uuid`
    Uuid,
    /// `Vec<u8>`
    Bytes,
    /// Any other path without generic arguments: an enum deriving `ColumnEnum`, whose
    /// variants only the compiler sees (an unsupported type is refused through that trait).
    Enum,
    /// `Vec<T>` for the element types arrays have.
    Array(Element),
}

/// The element of an array column.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Element {
    Text,
    Integer,
    BigInt,
    Double,
    Bool,
}

impl Element {
    /// The element's kind, for its defaults.
    pub fn kind(self) -> ColumnKind {
        match self {
            Element::Text => ColumnKind::Text,
            Element::Integer => ColumnKind::Integer,
            Element::BigInt => ColumnKind::BigInt,
            Element::Double => ColumnKind::Double,
            Element::Bool => ColumnKind::Bool,
        }
    }

    /// The variant of `link_runtime::ArrayElement` and the diesel SQL type of the element
    /// (the runtime names its elements after diesel's types).
    pub fn type_name(self) -> TokenStream {
        self.kind().type_name()
    }

    fn from_type_name(name: &str) -> Option<Self> {
        Some(match name {
            "String" => Element::Text,
            "i32" => Element::Integer,
            "i64" => Element::BigInt,
            "f64" => Element::Double,
            "bool" => Element::Bool,
            _ => return None,
        })
    }
}

impl ColumnKind {
    /// The Rust types a column can be declared with (the last path segment).
    pub const SUPPORTED: &'static str = "bool, i16, i32, i64, f32, f64, String, \
         chrono::NaiveDateTime, chrono::DateTime<Utc>, chrono::NaiveDate, chrono::NaiveTime, \
         bigdecimal::BigDecimal, uuid::Uuid, Vec<u8>, serde_json::Value, a Vec of String, i32, \
         i64, f64 or bool, an enum deriving `ColumnEnum`, or Option of one of them";

    /// The kind of an extra column's type, by the last segment of its path: the kinds of
    /// [`from_type_name`](Self::from_type_name), and those only extra columns have.
    pub fn from_column_type(last: &syn::PathSegment) -> Option<Self> {
        let argument = match &last.arguments {
            syn::PathArguments::None => None,
            syn::PathArguments::AngleBracketed(args) => match &args.args.iter().collect::<Vec<_>>()
                [..]
            {
                [syn::GenericArgument::Type(syn::Type::Path(inner))] if inner.qself.is_none() => {
                    Some(inner.path.segments.last()?)
                }
                _ => return None,
            },
            syn::PathArguments::Parenthesized(_) => return None,
        };
        let plain = |argument: &syn::PathSegment, name: &str| {
            argument.ident == name && argument.arguments.is_empty()
        };
        match (last.ident.to_string().as_str(), argument) {
            ("DateTime", Some(zone)) if plain(zone, "Utc") => Some(ColumnKind::TimestampTz),
            ("Vec", Some(element)) if plain(element, "u8") => Some(ColumnKind::Bytes),
            ("Vec", Some(element)) if element.arguments.is_empty() => {
                Element::from_type_name(&element.ident.to_string()).map(ColumnKind::Array)
            }
            ("NaiveDate", None) => Some(ColumnKind::Date),
            ("NaiveTime", None) => Some(ColumnKind::Time),
            ("BigDecimal", None) => Some(ColumnKind::Decimal),
            ("Uuid", None) => Some(ColumnKind::Uuid),
            (name, None) => Self::from_type_name(name),
            _ => None,
        }
    }

    pub fn from_type_name(name: &str) -> Option<Self> {
        Some(match name {
            "bool" => ColumnKind::Bool,
            "i16" => ColumnKind::SmallInt,
            "i32" => ColumnKind::Integer,
            "i64" => ColumnKind::BigInt,
            "f32" => ColumnKind::Float,
            "f64" => ColumnKind::Double,
            "String" => ColumnKind::Text,
            "NaiveDateTime" => ColumnKind::Timestamp,
            "Value" => ColumnKind::Json,
            _ => return None,
        })
    }

    /// The SQL type written in the generated `table!`: diesel's type of the same name, or
    /// the runtime's where diesel has none for both backends.
    pub fn sql_type(self) -> TokenStream {
        match self {
            ColumnKind::Json => quote!(::link_runtime::sql_types::Json),
            ColumnKind::TimestampTz => quote!(::link_runtime::sql_types::TimestampTz),
            ColumnKind::Decimal => quote!(::link_runtime::sql_types::ExactDecimal),
            ColumnKind::Uuid => quote!(::link_runtime::sql_types::Uuid),
            ColumnKind::Bytes => quote!(Binary),
            ColumnKind::Enum => quote!(Text),
            ColumnKind::Array(element) => {
                let element = element.type_name();
                quote!(::link_runtime::sql_types::Array<#element>)
            }
            other => other.type_name(),
        }
    }

    /// The `link_runtime::ColumnKind` of a column of this kind whose type (`Option` left
    /// out) is `value_ty`: an enum's is the enum's to say, with its variants.
    pub fn runtime_kind(self, value_ty: &syn::Type) -> TokenStream {
        match self {
            ColumnKind::Enum => quote_spanned! {value_ty.span()=>
                ::link_runtime::ColumnKind::Enum(<#value_ty as ::link_runtime::ColumnEnum>::VARIANTS)
            },
            ColumnKind::Array(element) => {
                let element = element.type_name();
                quote!(::link_runtime::ColumnKind::Array(::link_runtime::ArrayElement::#element))
            }
            other => {
                let name = other.type_name();
                quote!(::link_runtime::ColumnKind::#name)
            }
        }
    }

    /// The kind's name: the variant of `link_runtime::ColumnKind`, and for all but `Json`
    /// the diesel SQL type of the same name (the runtime names its kinds after diesel's).
    /// An array's is its element's.
    fn type_name(self) -> TokenStream {
        match self {
            ColumnKind::Bool => quote!(Bool),
            ColumnKind::SmallInt => quote!(SmallInt),
            ColumnKind::Integer => quote!(Integer),
            ColumnKind::BigInt => quote!(BigInt),
            ColumnKind::Float => quote!(Float),
            ColumnKind::Double => quote!(Double),
            ColumnKind::Text => quote!(Text),
            ColumnKind::Timestamp => quote!(Timestamp),
            ColumnKind::Json => quote!(Json),
            ColumnKind::TimestampTz => quote!(TimestampTz),
            ColumnKind::Date => quote!(Date),
            ColumnKind::Time => quote!(Time),
            ColumnKind::Decimal => quote!(Decimal),
            ColumnKind::Uuid => quote!(Uuid),
            ColumnKind::Bytes => quote!(Bytes),
            // Its SQL type: an enum is text.
            ColumnKind::Enum => quote!(Text),
            ColumnKind::Array(element) => element.type_name(),
        }
    }

    pub fn is_integer(self) -> bool {
        matches!(
            self,
            ColumnKind::SmallInt | ColumnKind::Integer | ColumnKind::BigInt
        )
    }

    pub fn is_float(self) -> bool {
        matches!(self, ColumnKind::Float | ColumnKind::Double)
    }

    /// Whether its values hold floats, which are not `Eq`: a float, or an array of them.
    pub fn holds_floats(self) -> bool {
        self.is_float() || self == ColumnKind::Array(Element::Double)
    }

    /// How a user would name the type in a message.
    pub fn rust_name(self) -> &'static str {
        match self {
            ColumnKind::Bool => "bool",
            ColumnKind::SmallInt => "i16",
            ColumnKind::Integer => "i32",
            ColumnKind::BigInt => "i64",
            ColumnKind::Float => "f32",
            ColumnKind::Double => "f64",
            ColumnKind::Text => "String",
            ColumnKind::Timestamp => "NaiveDateTime",
            ColumnKind::Json => "serde_json::Value",
            ColumnKind::TimestampTz => "DateTime<Utc>",
            ColumnKind::Date => "NaiveDate",
            ColumnKind::Time => "NaiveTime",
            ColumnKind::Decimal => "BigDecimal",
            ColumnKind::Uuid => "Uuid",
            ColumnKind::Bytes => "Vec<u8>",
            ColumnKind::Enum => "an enum",
            ColumnKind::Array(Element::Text) => "Vec<String>",
            ColumnKind::Array(Element::Integer) => "Vec<i32>",
            ColumnKind::Array(Element::BigInt) => "Vec<i64>",
            ColumnKind::Array(Element::Double) => "Vec<f64>",
            ColumnKind::Array(Element::Bool) => "Vec<bool>",
        }
    }
}

/// A column default, a literal checked against the column's type.
pub enum DefaultValue {
    /// `None`, for an `Option` column.
    Null,
    Bool(bool),
    /// An integer, sign included, as written.
    Integer(String),
    /// A float, sign included, as written (an integer literal gets `.0`).
    Float(String),
    Text(String),
    /// A JSON document, as written (checked to parse).
    Json(String),
    /// A decimal: its plain text, without leading zeros (`-12.50`).
    Decimal(String),
    /// A date, checked.
    Date(chrono::NaiveDate),
    /// A time of day, checked.
    Time(chrono::NaiveTime),
    /// A point in time, checked, in UTC.
    TimestampTz(chrono::DateTime<chrono::Utc>),
    /// A UUID, checked: its 128 bits.
    Uuid(u128),
    /// Bytes, from a byte string literal.
    Bytes(Vec<u8>),
    /// A variant of the column's enum: the path as written (`Status::Active`), which the
    /// compiler resolves.
    Variant(syn::Expr),
    /// An array, from an array of literals of its element's type.
    Array(Vec<DefaultValue>),
}
