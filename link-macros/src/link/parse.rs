//! The syntax of `define_link!`, parsed with syn; meaning is checked in `validate.rs`.
//!
//! ```text
//! define_link!(Left[(side options)], Right[(side options)]
//!              [, database(table = "...")] [, columns { name: Type [= default], .. }]
//!              [, read_only] [,])
//! ```

use darling::ast::NestedMeta;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{token, Token};

pub struct LinkInput {
    pub left: SideInput,
    pub right: SideInput,
    pub options: Vec<LinkOption>,
}

pub struct SideInput {
    pub path: syn::Path,
    /// `(is_list, delete_cascade)`.
    pub options: Vec<NestedMeta>,
}

pub enum LinkOption {
    /// `database(table = "...")`.
    Database {
        keyword: syn::Ident,
        metas: Vec<NestedMeta>,
    },
    /// `columns { .. }`.
    Columns {
        keyword: syn::Ident,
        columns: Vec<ColumnInput>,
    },
    /// `read_only`: the left model holds the right one's id in its `field`.
    ReadOnly { keyword: syn::Ident },
    /// Anything else, reported by validation with the known options.
    Unknown { keyword: syn::Ident },
}

pub struct ColumnInput {
    pub name: syn::Ident,
    pub ty: syn::Type,
    pub default: Option<syn::Expr>,
}

const USAGE: &str = "expected two linkable models: `define_link!(Left, Right)`";

const SIDE_USAGE: &str = "write a side as the model's type, with options in parentheses: \
                          `Product(is_list)`";

impl Parse for LinkInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(input.error(USAGE));
        }
        if input.peek(token::Bracket) {
            let group: proc_macro2::TokenTree = input.parse()?;
            return Err(syn::Error::new_spanned(
                group,
                "`define_link!` declares one link, not a list: \
                 put each link in a file of its own under `src/links/`",
            ));
        }
        let left: SideInput = input.parse()?;
        if input.is_empty() {
            return Err(syn::Error::new_spanned(&left.path, USAGE));
        }
        input.parse::<Token![,]>()?;
        if input.is_empty() {
            return Err(syn::Error::new_spanned(&left.path, USAGE));
        }
        let right: SideInput = input.parse()?;

        let mut options = Vec::new();
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            options.push(input.parse()?);
        }
        Ok(LinkInput {
            left,
            right,
            options,
        })
    }
}

impl Parse for SideInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if !(input.peek(syn::Ident::peek_any) || input.peek(Token![::])) {
            let token: proc_macro2::TokenTree = input.parse()?;
            return Err(syn::Error::new_spanned(token, SIDE_USAGE));
        }
        let path = input.call(syn::Path::parse_mod_style)?;
        let options = if input.peek(token::Paren) {
            let content;
            syn::parenthesized!(content in input);
            parse_metas(&content)?
        } else {
            Vec::new()
        };
        if !input.is_empty() && !input.peek(Token![,]) {
            return Err(input.error(format!("expected `,` after a side; {SIDE_USAGE}")));
        }
        Ok(SideInput { path, options })
    }
}

impl Parse for LinkOption {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let keyword: syn::Ident = input.parse()?;
        if keyword == "read_only" && (input.is_empty() || input.peek(Token![,])) {
            Ok(LinkOption::ReadOnly { keyword })
        } else if keyword == "read_only" {
            Err(syn::Error::new_spanned(
                keyword,
                "`read_only` takes no arguments: the field goes on the left side, \
                 `define_link!(Review(field = product_id), Product, read_only)`",
            ))
        } else if keyword == "database" && input.peek(token::Paren) {
            let content;
            syn::parenthesized!(content in input);
            let metas = parse_metas(&content)?;
            Ok(LinkOption::Database { keyword, metas })
        } else if keyword == "columns" && input.peek(token::Brace) {
            let content;
            syn::braced!(content in input);
            let columns = Punctuated::<ColumnInput, Token![,]>::parse_terminated(&content)?;
            Ok(LinkOption::Columns {
                keyword,
                columns: columns.into_iter().collect(),
            })
        } else if keyword == "database" {
            Err(syn::Error::new_spanned(
                keyword,
                "`database` takes its options in parentheses: `database(table = \"...\")`",
            ))
        } else if keyword == "columns" {
            Err(syn::Error::new_spanned(
                keyword,
                "`columns` takes its columns in braces: `columns { name: Type = default, .. }`",
            ))
        } else {
            // Skip whatever follows the unknown keyword up to the next option.
            while !input.is_empty() && !input.peek(Token![,]) {
                input.parse::<proc_macro2::TokenTree>()?;
            }
            Ok(LinkOption::Unknown { keyword })
        }
    }
}

impl Parse for ColumnInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let name: syn::Ident = input.parse()?;
        input.parse::<Token![:]>()?;
        let ty: syn::Type = input.parse().map_err(|error| {
            syn::Error::new(
                error.span(),
                format!("expected the type of the column `{name}`"),
            )
        })?;
        let default = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            Some(input.parse()?)
        } else {
            None
        };
        Ok(ColumnInput { name, ty, default })
    }
}

fn parse_metas(input: ParseStream) -> syn::Result<Vec<NestedMeta>> {
    Ok(
        Punctuated::<NestedMeta, Token![,]>::parse_terminated(input)?
            .into_iter()
            .collect(),
    )
}
