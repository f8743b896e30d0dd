//! Checks a parsed `define_link!` and builds the plain model, collecting every error so
//! that one compile shows them all.

use darling::util::SpannedValue;
use darling::FromMeta;
use syn::ext::IdentExt;

use super::model::{Column, ColumnKind, DefaultValue, Link, Names, ResolvedNames, Side};
use super::parse::{ColumnInput, LinkInput, LinkOption, SideInput};
use crate::names::{is_sql_identifier, MAX_IDENTIFIER_LEN};

/// The options of a side: `Product(is_list, delete_cascade)`.
#[derive(FromMeta, Default)]
struct SideOptions {
    /// A record of the other side may be linked to many records of this side.
    #[darling(default)]
    is_list: SpannedValue<bool>,
    /// Deleting a record of the other side deletes its linked records of this side.
    #[darling(default)]
    delete_cascade: SpannedValue<bool>,
    /// The name of this side's field in graph queries from the other side.
    #[darling(default)]
    alias: Option<SpannedValue<String>>,
    /// For a read-only link, on its left side: the model's field that holds the right
    /// model's id.
    #[darling(default)]
    field: Option<syn::Ident>,
}

/// `database(table = "...", id_prefix = "...")`, each optional.
#[derive(FromMeta)]
struct DatabaseOptions {
    #[darling(default)]
    table: Option<SpannedValue<String>>,
    #[darling(default)]
    id_prefix: Option<SpannedValue<String>>,
}

/// The prefix of link ids unless `database(id_prefix = "...")` gives one: Medusa's.
const DEFAULT_ID_PREFIX: &str = "link";

/// The longest `id_prefix`: an id is the prefix, `_` and a 26-character ULID.
const MAX_ID_PREFIX_LEN: usize = 16;

/// The pivot's own columns, which extra columns may not reuse.
const RESERVED_COLUMNS: [&str; 4] = ["id", "created_at", "updated_at", "deleted_at"];

/// Names that diesel's `table!` gives a meaning of its own.
const DIESEL_RESERVED: [&str; 3] = ["table", "star", "columns"];

/// Validates `input`; with `names` (the second stage) also what depends on the models'
/// names: the table name and the id columns.
pub fn validate(input: &LinkInput, names: Option<(&Names, &Names)>) -> darling::Result<Link> {
    let mut errors = darling::Error::accumulator();

    let (mut left, left_field) = side(&mut errors, &input.left);
    let (right, right_field) = side(&mut errors, &input.right);

    let mut database_given = false;
    let mut table: Option<SpannedValue<String>> = None;
    let mut id_prefix: Option<SpannedValue<String>> = None;
    let mut columns: Option<Vec<Column>> = None;
    let mut read_only: Option<&syn::Ident> = None;
    for option in &input.options {
        match option {
            LinkOption::ReadOnly { keyword } => {
                if read_only.is_some() {
                    errors.push(duplicate_option(keyword));
                }
                read_only = Some(keyword);
            }
            LinkOption::Database { keyword, metas } => {
                if database_given {
                    errors.push(duplicate_option(keyword));
                    continue;
                }
                database_given = true;
                match DatabaseOptions::from_list(metas) {
                    Ok(options) => {
                        if options.table.is_none() && options.id_prefix.is_none() {
                            errors.push(
                                darling::Error::custom(
                                    "`database` sets `table = \"...\"`, `id_prefix = \"...\"` \
                                     or both; without either, leave it out",
                                )
                                .with_span(keyword),
                            );
                        }
                        if let Some(given) = &options.table {
                            check_table_name(&mut errors, given);
                        }
                        if let Some(given) = &options.id_prefix {
                            check_id_prefix(&mut errors, given);
                        }
                        table = options.table;
                        id_prefix = options.id_prefix;
                    }
                    // A missing `table` has no span of its own: point at `database`.
                    Err(error) => {
                        for error in error.flatten() {
                            errors.push(error.with_span(keyword));
                        }
                    }
                }
            }
            LinkOption::Columns {
                keyword,
                columns: inputs,
            } => {
                if columns.is_some() {
                    errors.push(duplicate_option(keyword));
                    continue;
                }
                columns = Some(
                    inputs
                        .iter()
                        .filter_map(|c| column(&mut errors, c))
                        .collect(),
                );
            }
            LinkOption::Unknown { keyword } => {
                errors.push(
                    darling::Error::unknown_field_with_alts(
                        &keyword.to_string(),
                        &["database", "columns", "read_only"],
                    )
                    .with_span(keyword),
                );
            }
        }
    }
    let columns = columns.unwrap_or_default();
    check_duplicate_columns(&mut errors, &columns);
    let read_only = check_read_only(
        &mut errors,
        input,
        read_only,
        (left_field, right_field),
        [&left, &right],
    );
    // The field's side is a list seen from the other model: a right record's id may be
    // held by many left records.
    if read_only.is_some() {
        left.is_list = true;
    }

    let resolved = names.map(|(left_names, right_names)| {
        let resolved = ResolvedNames {
            table: table.as_ref().map_or_else(
                || {
                    format!(
                        "{}_{}_{}_{}",
                        left_names.module, left_names.model, right_names.module, right_names.model
                    )
                },
                |t| t.as_str().to_owned(),
            ),
            left: left_names.clone(),
            right: right_names.clone(),
        };
        check_resolved(
            &mut errors,
            input,
            &resolved,
            &columns,
            table.is_some() || read_only.is_some(),
        );
        resolved
    });

    errors.finish_with(Link {
        left,
        right,
        columns,
        id_prefix: id_prefix
            .map_or_else(|| DEFAULT_ID_PREFIX.to_owned(), |p| p.as_str().to_owned()),
        read_only,
        resolved,
    })
}

/// An id prefix is lower-case ASCII letters and digits, a letter first, at most
/// [`MAX_ID_PREFIX_LEN`] bytes: ids stay readable, and `_` stays the one separator.
fn check_id_prefix(errors: &mut darling::error::Accumulator, prefix: &SpannedValue<String>) {
    let text = prefix.as_str();
    let well_formed = text.starts_with(|c: char| c.is_ascii_lowercase())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !well_formed || text.len() > MAX_ID_PREFIX_LEN {
        errors.push(
            darling::Error::custom(format!(
                "id prefix `{text}` must be lower-case ASCII letters and digits, a letter \
                 first, at most {MAX_ID_PREFIX_LEN} bytes, like `pm`: ids are `pm_<ULID>`"
            ))
            .with_span(&prefix.span()),
        );
    }
}

/// A side, and its `field` if it names one.
fn side(errors: &mut darling::error::Accumulator, input: &SideInput) -> (Side, Option<syn::Ident>) {
    let options = errors
        .handle(SideOptions::from_list(&input.options))
        .unwrap_or_default();
    if let Some(alias) = &options.alias {
        check_alias(errors, alias);
    }
    let side = Side {
        path: input.path.clone(),
        is_list: *options.is_list,
        is_list_span: options.is_list.span(),
        delete_cascade: *options.delete_cascade,
        delete_cascade_span: options.delete_cascade.span(),
        alias: options
            .alias
            .map(|alias| (alias.as_str().to_owned(), alias.span())),
    };
    (side, options.field)
}

/// A read-only link names its left model's field, and takes none of the options that
/// describe a pivot table or writes: returns the field of a well-formed one.
fn check_read_only(
    errors: &mut darling::error::Accumulator,
    input: &LinkInput,
    read_only: Option<&syn::Ident>,
    (left_field, right_field): (Option<syn::Ident>, Option<syn::Ident>),
    sides: [&Side; 2],
) -> Option<syn::Ident> {
    if let Some(field) = &right_field {
        errors.push(
            darling::Error::custom(
                "`field` goes on the left side, the model that holds the other one's id: \
                 `define_link!(Review(field = product_id), Product, read_only)`",
            )
            .with_span(field),
        );
    }
    let Some(keyword) = read_only else {
        if let Some(field) = &left_field {
            errors.push(
                darling::Error::custom(
                    "`field` is for a read-only link, whose left model holds the right \
                     one's id: add `read_only` to the link, \
                     `define_link!(Review(field = product_id), Product, read_only)`",
                )
                .with_span(field),
            );
        }
        return None;
    };
    if left_field.is_none() && right_field.is_none() {
        errors.push(
            darling::Error::custom(
                "a read-only link has no table: name the left model's field that holds the \
                 right model's id, `define_link!(Review(field = product_id), Product, read_only)`",
            )
            .with_span(keyword),
        );
    }
    for side in sides {
        if side.is_list {
            errors.push(
                darling::Error::custom(
                    "a read-only link's cardinality is its field's: a left record holds one \
                     right id, and a right record is held by a list of left records; \
                     `is_list` cannot change that",
                )
                .with_span(&side.is_list_span),
            );
        }
        if side.delete_cascade {
            errors.push(
                darling::Error::custom(
                    "a read-only link writes nothing, so deleting a record cannot cascade \
                     through it: `delete_cascade` is for links with a pivot table",
                )
                .with_span(&side.delete_cascade_span),
            );
        }
    }
    for option in &input.options {
        let (keyword, what) = match option {
            LinkOption::Database { keyword, .. } => (keyword, "a table name or an id prefix"),
            LinkOption::Columns { keyword, .. } => (keyword, "extra columns"),
            LinkOption::ReadOnly { .. } | LinkOption::Unknown { .. } => continue,
        };
        errors.push(
            darling::Error::custom(format!(
                "a read-only link has no pivot table, so it takes no `{keyword}`: \
                 {what} belong to a link with one"
            ))
            .with_span(keyword),
        );
    }
    left_field
}

/// An alias is a graph field name: lower-case snake_case, at most
/// [`MAX_IDENTIFIER_LEN`] bytes, and not a Rust keyword (a typed query's struct field
/// takes it as its name).
fn check_alias(errors: &mut darling::error::Accumulator, alias: &SpannedValue<String>) {
    let text = alias.as_str();
    if !is_sql_identifier(text) || text.len() > MAX_IDENTIFIER_LEN || text.starts_with('_') {
        errors.push(
            darling::Error::custom(format!(
                "alias `{text}` must be lower-case snake_case (letters, digits, `_`, a letter \
                 first), not a Rust keyword, and at most {MAX_IDENTIFIER_LEN} bytes, like \
                 `maker`: it names a field of graph queries"
            ))
            .with_span(&alias.span()),
        );
    }
}

fn duplicate_option(keyword: &syn::Ident) -> darling::Error {
    darling::Error::custom(format!("`{keyword}` is given twice")).with_span(keyword)
}

fn check_table_name(errors: &mut darling::error::Accumulator, table: &SpannedValue<String>) {
    if !is_sql_identifier(table.as_str()) {
        errors.push(
            darling::Error::custom(format!(
                "table name `{}` must be lower-case snake_case (letters, digits, `_`) \
                 and not a Rust keyword",
                table.as_str()
            ))
            .with_span(&table.span()),
        );
    } else if table.len() > MAX_IDENTIFIER_LEN {
        errors.push(
            darling::Error::custom(format!(
                "table name `{}` is {} bytes; PostgreSQL keeps {MAX_IDENTIFIER_LEN}",
                table.as_str(),
                table.len()
            ))
            .with_span(&table.span()),
        );
    }
}

fn column(errors: &mut darling::error::Accumulator, input: &ColumnInput) -> Option<Column> {
    let name = input.name.to_string();
    if RESERVED_COLUMNS.contains(&name.as_str()) || DIESEL_RESERVED.contains(&name.as_str()) {
        errors.push(
            darling::Error::custom(format!(
                "`{name}` is a column name the link table reserves; choose another"
            ))
            .with_span(&input.name),
        );
    } else if !is_sql_identifier(&name) || name.len() > MAX_IDENTIFIER_LEN {
        errors.push(
            darling::Error::custom(format!(
                "column name `{name}` must be lower-case snake_case (letters, digits, `_`), \
                 not a Rust keyword, and at most {MAX_IDENTIFIER_LEN} bytes"
            ))
            .with_span(&input.name),
        );
    }

    let (kind, nullable, value_ty) = match column_type(&input.ty) {
        Some(found) => found,
        None => {
            errors.push(
                darling::Error::custom(format!(
                    "unsupported extra column type; supported: {}",
                    ColumnKind::SUPPORTED
                ))
                .with_span(&input.ty),
            );
            return None;
        }
    };

    let default = match &input.default {
        Some(expr) => Some(errors.handle(default_value(expr, kind, &value_ty, nullable, &name))?),
        None if nullable => None,
        None => {
            errors.push(
                darling::Error::custom(format!(
                    "column `{name}` cannot hold NULL, so it needs a default for the rows \
                     that exist: `{name}: {ty} = ...`, or make it `Option<{ty}>`",
                    ty = written(kind, &value_ty)
                ))
                .with_span(&input.name),
            );
            return None;
        }
    };

    Some(Column {
        name: input.name.clone(),
        ty: input.ty.clone(),
        value_ty,
        kind,
        nullable,
        default,
    })
}

/// `bool` → (Bool, false); `Option<String>` → (Text, true); `Option<Status>` → (Enum,
/// true), with the type inside the `Option`.
fn column_type(ty: &syn::Type) -> Option<(ColumnKind, bool, syn::Type)> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident == "Option" {
        let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        let [syn::GenericArgument::Type(inner)] = args.args.iter().collect::<Vec<_>>()[..] else {
            return None;
        };
        let (kind, nullable, value_ty) = column_type(inner)?;
        return (!nullable).then_some((kind, true, value_ty));
    }
    let kind = ColumnKind::from_column_type(last).or_else(|| {
        // A type's name (capitalized, as a type's is: `u32` is refused here) without
        // generic arguments: an enum the compiler checks to derive `ColumnEnum`.
        let plain = path.qself.is_none()
            && path
                .path
                .segments
                .iter()
                .all(|segment| segment.arguments.is_empty());
        let capitalized = last
            .ident
            .unraw()
            .to_string()
            .starts_with(|c: char| c.is_ascii_uppercase());
        (plain && capitalized).then_some(ColumnKind::Enum)
    })?;
    Some((kind, false, ty.clone()))
}

/// How the column's type reads in a message: an enum's as written.
fn written(kind: ColumnKind, value_ty: &syn::Type) -> String {
    match kind {
        ColumnKind::Enum => quote::quote!(#value_ty).to_string().replace(' ', ""),
        other => other.rust_name().to_owned(),
    }
}

fn default_value(
    expr: &syn::Expr,
    kind: ColumnKind,
    value_ty: &syn::Type,
    nullable: bool,
    name: &str,
) -> darling::Result<DefaultValue> {
    let none = matches!(expr, syn::Expr::Path(path) if path.path.is_ident("None"));
    let some = nullable
        && matches!(expr, syn::Expr::Call(call)
            if call.args.len() == 1
                && matches!(&*call.func, syn::Expr::Path(p) if p.path.is_ident("Some")));
    if !none && !some {
        match kind {
            ColumnKind::Enum => return variant_default(expr, name, &written(kind, value_ty)),
            ColumnKind::Array(element) => return array_default(expr, element.kind(), name),
            _ => {}
        }
    }
    let mismatch = |found: &str| {
        darling::Error::custom(format!(
            "the default of `{name}` is {found}, but the column is `{ty}`",
            ty = if nullable {
                format!("Option<{}>", kind.rust_name())
            } else {
                kind.rust_name().to_owned()
            }
        ))
        .with_span(expr)
    };
    if let Some(number) = number(expr, kind, name) {
        return number;
    }
    if let syn::Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Str(text),
        ..
    }) = expr
    {
        if let Some(parsed) = text_default(kind, &text.value()) {
            return parsed.map_err(|expected| {
                darling::Error::custom(format!(
                    "the default of `{name}` must be {expected} in a string, got {:?}",
                    text.value()
                ))
                .with_span(text)
            });
        }
    }
    match expr {
        syn::Expr::Path(path) if path.path.is_ident("None") => {
            if nullable {
                Ok(DefaultValue::Null)
            } else {
                Err(mismatch("`None`"))
            }
        }
        syn::Expr::Call(call)
            if nullable
                && call.args.len() == 1
                && matches!(&*call.func, syn::Expr::Path(p) if p.path.is_ident("Some")) =>
        {
            default_value(&call.args[0], kind, value_ty, false, name)
        }
        syn::Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            ..
        }) => Err(mismatch("not a literal of that type")),
        syn::Expr::Lit(syn::ExprLit { lit, .. }) => match (lit, kind) {
            (syn::Lit::ByteStr(bytes), ColumnKind::Bytes) => Ok(DefaultValue::Bytes(bytes.value())),
            (syn::Lit::Bool(b), ColumnKind::Bool) => Ok(DefaultValue::Bool(b.value)),
            (syn::Lit::Str(text), ColumnKind::Text) => Ok(DefaultValue::Text(text.value())),
            (syn::Lit::Str(text), ColumnKind::Json) => {
                match serde_json::from_str::<serde_json::Value>(&text.value()) {
                    Ok(_) => Ok(DefaultValue::Json(text.value())),
                    Err(error) => Err(darling::Error::custom(format!(
                        "the default of `{name}` must be a JSON document in a string: {error}"
                    ))
                    .with_span(text)),
                }
            }
            (syn::Lit::Bool(_), _) => Err(mismatch("a `bool`")),
            (syn::Lit::Int(_), _) => Err(mismatch("an integer")),
            (syn::Lit::Float(_), _) => Err(mismatch("a float")),
            (syn::Lit::Str(_), _) => Err(mismatch("a string")),
            _ => Err(mismatch("a literal of another type")),
        },
        _ => Err(darling::Error::custom(format!(
            "the default of `{name}` must be a literal (`false`, `0`, `1.5`, `\"text\"`{none})",
            none = if nullable { ", `None`" } else { "" }
        ))
        .with_span(expr)),
    }
}

/// The default of an enum column: a path, which the compiler checks is a variant of the
/// column's enum (`Status::Active`).
fn variant_default(expr: &syn::Expr, name: &str, ty: &str) -> darling::Result<DefaultValue> {
    match expr {
        syn::Expr::Path(_) => Ok(DefaultValue::Variant(expr.clone())),
        _ => Err(darling::Error::custom(format!(
            "the default of `{name}` must be a variant of `{ty}`, written as its path: \
             `{ty}::SomeVariant`"
        ))
        .with_span(expr)),
    }
}

/// The default of an array column: an array of literals of its element's `kind`.
fn array_default(expr: &syn::Expr, kind: ColumnKind, name: &str) -> darling::Result<DefaultValue> {
    let syn::Expr::Array(array) = expr else {
        return Err(darling::Error::custom(format!(
            "the default of `{name}` must be an array of `{ty}` literals: `[]`, or `[{example}]`",
            ty = kind.rust_name(),
            example = match kind {
                ColumnKind::Text => "\"a\", \"b\"",
                ColumnKind::Bool => "true, false",
                ColumnKind::Double => "0.5, 1.0",
                _ => "1, 2",
            }
        ))
        .with_span(expr));
    };
    let mut errors = darling::Error::accumulator();
    let elements = array
        .elems
        .iter()
        .filter_map(|element| errors.handle(element_default(element, kind, name)))
        .collect();
    errors.finish_with(DefaultValue::Array(elements))
}

/// An element of an array column's default: a literal of the element's `kind`.
fn element_default(
    element: &syn::Expr,
    kind: ColumnKind,
    name: &str,
) -> darling::Result<DefaultValue> {
    if let Some(number) = number(element, kind, name) {
        return number;
    }
    match (element, kind) {
        (
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Bool(b),
                ..
            }),
            ColumnKind::Bool,
        ) => Ok(DefaultValue::Bool(b.value)),
        (
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }),
            ColumnKind::Text,
        ) => Ok(DefaultValue::Text(text.value())),
        _ => Err(darling::Error::custom(format!(
            "the elements of the default of `{name}` are `{}` literals",
            kind.rust_name()
        ))
        .with_span(element)),
    }
}

/// The default of a column whose type has a text form (a decimal, a date, a time, a
/// timestamp, a UUID) read from `text`: `None` for other kinds, and the form the text must
/// have if it is not that.
fn text_default(kind: ColumnKind, text: &str) -> Option<Result<DefaultValue, &'static str>> {
    use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
    Some(match kind {
        ColumnKind::Decimal => decimal(text)
            .map(DefaultValue::Decimal)
            .ok_or("a decimal such as \"12.50\" or \"-0.5\""),
        ColumnKind::Date => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(DefaultValue::Date)
            .map_err(|_| "a date such as \"2024-01-31\""),
        ColumnKind::Time => NaiveTime::parse_from_str(text, "%H:%M:%S%.f")
            .map(DefaultValue::Time)
            .map_err(|_| "a time of day such as \"09:30:00\""),
        ColumnKind::TimestampTz => DateTime::parse_from_rfc3339(text)
            .map(|time| DefaultValue::TimestampTz(time.with_timezone(&Utc)))
            .map_err(|_| "an RFC 3339 timestamp such as \"2024-01-31T09:30:00Z\""),
        ColumnKind::Uuid => uuid(text)
            .map(DefaultValue::Uuid)
            .ok_or("a hyphenated UUID such as \"67e55044-10b1-426f-9247-bb680e5fe0c8\""),
        _ => return None,
    })
}

/// `-?digits[.digits]`, leading zeros dropped: the plain text the runtime writes.
fn decimal(text: &str) -> Option<String> {
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|fraction| !digits(fraction)) {
        return None;
    }
    let whole = match whole.trim_start_matches('0') {
        "" => "0",
        trimmed => trimmed,
    };
    Some(match fraction {
        Some(fraction) => format!("{sign}{whole}.{fraction}"),
        None => format!("{sign}{whole}"),
    })
}

/// The bits of a UUID written `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, in either case.
fn uuid(text: &str) -> Option<u128> {
    let groups: Vec<&str> = text.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|group| group.len()).collect();
    if lengths != [8, 4, 4, 4, 12] || !groups.concat().bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u128::from_str_radix(&groups.concat(), 16).ok()
}

/// The default of a numeric column written as a number, `-` included: without a type suffix
/// or with the column's, and in the range of the column's type. `None` for anything else,
/// which `default_value` checks.
fn number(expr: &syn::Expr, kind: ColumnKind, name: &str) -> Option<darling::Result<DefaultValue>> {
    if !kind.is_integer() && !kind.is_float() {
        return None;
    }
    let (sign, literal) = match expr {
        syn::Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr,
            ..
        }) => ("-", &**expr),
        expr => ("", expr),
    };
    let syn::Expr::Lit(syn::ExprLit { lit, .. }) = literal else {
        return None;
    };
    let (digits, suffix, is_float) = match lit {
        syn::Lit::Int(int) => (int.base10_digits(), int.suffix(), false),
        syn::Lit::Float(float) => (float.base10_digits(), float.suffix(), true),
        _ => return None,
    };
    let ty = kind.rust_name();
    if !suffix.is_empty() && suffix != ty {
        return Some(Err(darling::Error::custom(format!(
            "the default of `{name}` has the type suffix `{suffix}`, but the column is `{ty}`: \
             write the number without a suffix"
        ))
        .with_span(lit)));
    }
    if is_float && kind.is_integer() {
        return None;
    }
    let value = if kind.is_float() && !is_float {
        format!("{sign}{digits}.0")
    } else {
        format!("{sign}{digits}")
    };
    let fits = match kind {
        ColumnKind::SmallInt => value.parse::<i16>().is_ok(),
        ColumnKind::Integer => value.parse::<i32>().is_ok(),
        ColumnKind::BigInt => value.parse::<i64>().is_ok(),
        ColumnKind::Float => value.parse::<f32>().is_ok_and(f32::is_finite),
        // `Double`, the only other numeric kind.
        _ => value.parse::<f64>().is_ok_and(f64::is_finite),
    };
    if !fits {
        return Some(Err(darling::Error::custom(format!(
            "the default of `{name}` is {value}, out of the range of `{ty}`"
        ))
        .with_span(lit)));
    }
    Some(Ok(if kind.is_integer() {
        DefaultValue::Integer(value)
    } else {
        DefaultValue::Float(value)
    }))
}

fn check_duplicate_columns(errors: &mut darling::error::Accumulator, columns: &[Column]) {
    for (i, column) in columns.iter().enumerate() {
        if columns[..i].iter().any(|c| c.name == column.name) {
            errors.push(
                darling::Error::custom(format!("column `{}` is declared twice", column.name))
                    .with_span(&column.name),
            );
        }
    }
}

/// What can only be checked once the models' names are known.
fn check_resolved(
    errors: &mut darling::error::Accumulator,
    input: &LinkInput,
    names: &ResolvedNames,
    columns: &[Column],
    table_given: bool,
) {
    let (left, right) = (&names.left, &names.right);
    if left.model == right.model && left.module == right.module {
        errors.push(
            darling::Error::custom(format!(
                "both sides are the model `{}`: a link joins two different models",
                left.model
            ))
            .with_span(&input.right.path),
        );
    } else if left.model == right.model {
        errors.push(
            darling::Error::custom(format!(
                "both sides are named `{model}` (in the modules `{}` and `{}`), so both would \
                 hold their ids in the column `{model}_id`: name one of them with \
                 `#[linkable(model = \"...\")]`",
                left.module,
                right.module,
                model = left.model,
            ))
            .with_span(&input.right.path),
        );
    }
    if !table_given && names.table.len() > MAX_IDENTIFIER_LEN {
        errors.push(
            darling::Error::custom(format!(
                "the link table's name `{}` is {} bytes, and PostgreSQL keeps \
                 {MAX_IDENTIFIER_LEN}: name it with `database(table = \"...\")`",
                names.table,
                names.table.len()
            ))
            .with_span(&input.left.path),
        );
    }
    for column in columns {
        let name = column.name.to_string();
        if name == names.left_column() || name == names.right_column() {
            errors.push(
                darling::Error::custom(format!(
                    "`{name}` is the column holding a side's ids; choose another name"
                ))
                .with_span(&column.name),
            );
        }
    }
}
