//! `#[linkable(module = "...", model = "...", table = "...", primary_key = "...")]`.

use darling::util::SpannedValue;
use darling::{FromDeriveInput, FromField};
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use crate::link::model::ColumnKind;
use crate::names::{is_sql_identifier, snake_case};

#[derive(FromDeriveInput)]
#[darling(attributes(linkable), forward_attrs(diesel), supports(struct_named))]
struct LinkableAttr {
    ident: syn::Ident,
    vis: syn::Visibility,
    generics: syn::Generics,
    data: darling::ast::Data<(), LinkableField>,
    attrs: Vec<syn::Attribute>,
    module: Option<SpannedValue<String>>,
    model: Option<SpannedValue<String>>,
    table: Option<SpannedValue<String>>,
    primary_key: Option<SpannedValue<String>>,
}

#[derive(FromField)]
#[darling(forward_attrs(diesel))]
struct LinkableField {
    ident: Option<syn::Ident>,
    vis: syn::Visibility,
    ty: syn::Type,
    attrs: Vec<syn::Attribute>,
}

/// What the derive knows about a model, checked.
pub struct LinkableModel {
    pub ident: syn::Ident,
    pub vis: syn::Visibility,
    pub module: String,
    pub model: String,
    pub table: String,
    /// The primary key's column.
    pub primary_key: String,
    pub fields: Vec<ModelField>,
}

/// A field of the model and the column it is stored in.
pub struct ModelField {
    pub ident: syn::Ident,
    pub vis: syn::Visibility,
    pub ty: syn::Type,
    /// The name in graph queries: the field's name, without `r#`.
    pub name: String,
    /// The field's name unless `#[diesel(column_name = ...)]` renames it.
    pub column: String,
    /// The variant of `link_runtime::ColumnKind` the Rust type maps to, if any.
    pub kind: Option<ColumnKind>,
    pub nullable: bool,
}

impl ModelField {
    fn new(field: LinkableField) -> Option<Self> {
        let ident = field.ident?;
        let name = ident.unraw().to_string();
        let column = diesel_column_name(&field.attrs).unwrap_or_else(|| name.clone());
        let (kind, nullable) = match option_inner(&field.ty) {
            Some(inner) => (column_kind(inner), true),
            None => (column_kind(&field.ty), false),
        };
        Some(ModelField {
            ident,
            vis: field.vis,
            ty: field.ty,
            name,
            column,
            kind,
            nullable,
        })
    }
}

impl LinkableModel {
    /// The model `input` declares and its errors. With errors, the model is a best effort
    /// (an empty string for a name that is missing, no fields for a struct that has none),
    /// for a placeholder expansion; there is none for a generic type, which no impl fits.
    pub fn from_input(input: &syn::DeriveInput) -> (Option<Self>, Option<darling::Error>) {
        let attr = match LinkableAttr::from_derive_input(input) {
            Ok(attr) => attr,
            Err(error) => return (Self::fallback(input), Some(error)),
        };
        let generic = !attr.generics.params.is_empty();
        let (model, errors) = Self::from_attr(input, attr);
        let errors = errors.into_inner();
        let error = (!errors.is_empty()).then(|| darling::Error::multiple(errors));
        ((!generic).then_some(model), error)
    }

    /// What a placeholder can know of an input darling could not read: its name and fields.
    fn fallback(input: &syn::DeriveInput) -> Option<Self> {
        if !input.generics.params.is_empty() {
            return None;
        }
        let fields = match &input.data {
            syn::Data::Struct(syn::DataStruct {
                fields: syn::Fields::Named(fields),
                ..
            }) => fields
                .named
                .iter()
                .filter_map(|field| LinkableField::from_field(field).ok())
                .filter_map(ModelField::new)
                .collect(),
            _ => Vec::new(),
        };
        Some(LinkableModel {
            ident: input.ident.clone(),
            vis: input.vis.clone(),
            module: String::new(),
            model: snake_case(&input.ident.unraw().to_string()),
            table: String::new(),
            primary_key: String::new(),
            fields,
        })
    }

    fn from_attr(
        input: &syn::DeriveInput,
        attr: LinkableAttr,
    ) -> (Self, darling::error::Accumulator) {
        let mut errors = darling::Error::accumulator();

        if !attr.generics.params.is_empty() {
            errors.push(
                darling::Error::custom("a linkable model cannot be generic")
                    .with_span(&attr.generics),
            );
        }

        let module = match &attr.module {
            Some(module) => {
                check_name(&mut errors, module, "module");
                module.as_str().to_owned()
            }
            None => {
                let at = input
                    .attrs
                    .iter()
                    .find(|a| a.path().is_ident("linkable"))
                    .map(|a| a.meta.span())
                    .unwrap_or_else(|| attr.ident.span());
                errors.push(
                    darling::Error::custom(
                        "a linkable model names the module that owns it: \
                         add `#[linkable(module = \"...\")]`",
                    )
                    .with_span(&at),
                );
                String::new()
            }
        };

        let model = match &attr.model {
            Some(model) => {
                check_name(&mut errors, model, "model");
                model.as_str().to_owned()
            }
            None => {
                let model = snake_case(&attr.ident.unraw().to_string());
                if syn::parse_str::<syn::Ident>(&model).is_err() {
                    errors.push(
                        darling::Error::custom(format!(
                            "the model name `{model}`, taken from the struct's name, is a Rust \
                             keyword: name the model with `#[linkable(model = \"...\")]`"
                        ))
                        .with_span(&attr.ident),
                    );
                }
                model
            }
        };

        let fields: Vec<ModelField> = attr
            .data
            .take_struct()
            .map(|fields| fields.into_iter().filter_map(ModelField::new).collect())
            .unwrap_or_default();
        let field = |name: &str| fields.iter().find(|f| f.name == name);

        let primary_key = match &attr.primary_key {
            Some(key) => {
                if field(key.as_str()).is_none() {
                    errors.push(
                        darling::Error::custom(format!(
                            "`{}` is not a field of `{}`",
                            key.as_str(),
                            attr.ident
                        ))
                        .with_span(&key.span()),
                    );
                }
                key.as_str().to_owned()
            }
            None => {
                if field("id").is_none() {
                    errors.push(
                        darling::Error::custom(
                            "a linkable model needs an `id` field, or \
                             `#[linkable(primary_key = \"...\")]` naming its id field",
                        )
                        .with_span(&attr.ident),
                    );
                }
                "id".to_owned()
            }
        };
        // The key names a field; the runtime wants its column.
        let primary_key = field(&primary_key).map_or(primary_key, |f| f.column.clone());

        let table = match &attr.table {
            Some(table) => {
                check_name(&mut errors, table, "table");
                table.as_str().to_owned()
            }
            None => diesel_table_name(&attr.attrs)
                .unwrap_or_else(|| format!("{}s", snake_case(&attr.ident.unraw().to_string()))),
        };

        let model = LinkableModel {
            ident: attr.ident,
            vis: attr.vis,
            module,
            model,
            table,
            primary_key,
            fields,
        };
        (model, errors)
    }
}

fn check_name(errors: &mut darling::error::Accumulator, value: &SpannedValue<String>, what: &str) {
    if !is_sql_identifier(value.as_str()) {
        errors.push(
            darling::Error::custom(format!(
                "{what} name `{}` must be lower-case snake_case (letters, digits, `_`) \
                 and not a Rust keyword",
                value.as_str()
            ))
            .with_span(&value.span()),
        );
    }
}

/// The last segment of `#[diesel(table_name = path::to::table)]`, when the model has one.
fn diesel_table_name(attrs: &[syn::Attribute]) -> Option<String> {
    match diesel_value(attrs, "table_name")? {
        syn::Expr::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// The column of `#[diesel(column_name = column)]` (or `= "column"`), when the field has one.
fn diesel_column_name(attrs: &[syn::Attribute]) -> Option<String> {
    match diesel_value(attrs, "column_name")? {
        syn::Expr::Path(path) => path.path.get_ident().map(|i| i.unraw().to_string()),
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(name),
            ..
        }) => Some(name.value()),
        _ => None,
    }
}

/// The value of `key = value` in `#[diesel(...)]` attributes. Other diesel keys are
/// diesel's business: they are skipped whatever their shape, and diesel reports their
/// mistakes.
fn diesel_value(attrs: &[syn::Attribute], key: &str) -> Option<syn::Expr> {
    let mut value = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("diesel")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.input.peek(syn::Token![=]) {
                let expr: syn::Expr = meta.value()?.parse()?;
                if meta.path.is_ident(key) {
                    value = Some(expr);
                }
            } else if meta.input.peek(syn::token::Paren) {
                let _ = meta.parse_nested_meta(|_| Ok(()));
            }
            Ok(())
        });
    }
    value
}

/// `T` of `Option<T>`.
fn option_inner(ty: &syn::Type) -> Option<&syn::Type> {
    let segment = last_segment(ty)?;
    if segment.ident != "Option" {
        return None;
    }
    match &segment.arguments {
        syn::PathArguments::AngleBracketed(args) if args.args.len() == 1 => {
            match args.args.first()? {
                syn::GenericArgument::Type(inner) => Some(inner),
                _ => None,
            }
        }
        _ => None,
    }
}

fn last_segment(ty: &syn::Type) -> Option<&syn::PathSegment> {
    match ty {
        syn::Type::Path(path) if path.qself.is_none() => path.path.segments.last(),
        syn::Type::Group(group) => last_segment(&group.elem),
        syn::Type::Paren(paren) => last_segment(&paren.elem),
        _ => None,
    }
}

/// The variant of `link_runtime::ColumnKind` that a field's Rust type maps to, by the last
/// segment of its path: the types of link extra columns (`link::model::ColumnKind`), and
/// `Id<T>`, which is text.
fn column_kind(ty: &syn::Type) -> Option<ColumnKind> {
    let last = last_segment(ty)?;
    match last.ident.to_string().as_str() {
        "Id" => Some(ColumnKind::Text),
        _ => ColumnKind::from_column_type(last),
    }
}
