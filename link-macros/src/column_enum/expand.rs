//! What `#[derive(ColumnEnum)]` generates: `ColumnEnum`, serde's `Serialize` and
//! `Deserialize`, and diesel's `FromSql<Text, _>` and `Queryable<_, _>`, each through the
//! runtime, so that the enum reads and writes as its variants' texts everywhere.

use proc_macro2::TokenStream;
use quote::quote;

use super::validate::ColumnEnum;

pub fn expand(model: &ColumnEnum) -> TokenStream {
    let ident = &model.ident;
    let variants: Vec<&syn::Ident> = model.variants.iter().map(|v| &v.ident).collect();
    let texts: Vec<&str> = model.variants.iter().map(|v| v.text.as_str()).collect();
    quote! {
        #[automatically_derived]
        impl ::link_runtime::ColumnEnum for #ident {
            const VARIANTS: &'static [&'static str] = &[#(#texts),*];
            const DISCRIMINANTS: &'static [i128] = &[#(Self::#variants as i128),*];

            fn as_str(&self) -> &'static str {
                match self {
                    #(Self::#variants => #texts,)*
                }
            }

            fn parse(text: &str) -> ::core::option::Option<Self> {
                match text {
                    #(#texts => ::core::option::Option::Some(Self::#variants),)*
                    _ => ::core::option::Option::None,
                }
            }
        }

        const _: () = {
            use ::link_runtime::diesel::backend::Backend;
            use ::link_runtime::diesel::deserialize::{self, FromSql, Queryable};
            use ::link_runtime::diesel::sql_types::{SingleValue, Text};
            use ::link_runtime::serde::{Deserialize, Deserializer, Serialize, Serializer};

            #[automatically_derived]
            impl Serialize for #ident {
                fn serialize<__S: Serializer>(
                    &self,
                    serializer: __S,
                ) -> ::core::result::Result<__S::Ok, __S::Error> {
                    ::link_runtime::__private::serialize(self, serializer)
                }
            }

            #[automatically_derived]
            impl<'de> Deserialize<'de> for #ident {
                fn deserialize<__D: Deserializer<'de>>(
                    deserializer: __D,
                ) -> ::core::result::Result<Self, __D::Error> {
                    ::link_runtime::__private::deserialize(deserializer)
                }
            }

            #[automatically_derived]
            impl<__DB> FromSql<Text, __DB> for #ident
            where
                __DB: Backend,
                ::std::string::String: FromSql<Text, __DB>,
            {
                fn from_sql(value: __DB::RawValue<'_>) -> deserialize::Result<Self> {
                    let text = <::std::string::String as FromSql<Text, __DB>>::from_sql(value)?;
                    ::link_runtime::__private::from_sql(&text)
                }
            }

            // What diesel's `FromSqlRow` derive gives a type of one column.
            #[automatically_derived]
            impl<__DB, __ST> Queryable<__ST, __DB> for #ident
            where
                __DB: Backend,
                __ST: SingleValue,
                Self: FromSql<__ST, __DB>,
            {
                type Row = Self;

                fn build(row: Self) -> deserialize::Result<Self> {
                    ::core::result::Result::Ok(row)
                }
            }
        };
    }
}
