//! Open enums: the known values, `Unknown(..)` for the rest, `as_str()`,
//! `is_terminal()` where the spec marks terminal states.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::doc;
use crate::model::EnumType;

pub(crate) fn emit_enum(e: &EnumType) -> TokenStream {
    let ident = format_ident!("{}", e.name);
    let mut text = e.doc.clone();
    if !text.is_empty() {
        text.push_str("\n\n");
    }
    text.push_str(
        "An open enum: values this SDK does not know yet decode as `Unknown`, never as an error.",
    );
    let doc_attr = doc(&text);
    let variants = e.values.iter().map(|(wire, variant, vdoc)| {
        let v = format_ident!("{}", variant);
        let terminal = e.terminal.contains(wire);
        let t = match (vdoc != wire, terminal) {
            (true, true) => format!("`{wire}`: {vdoc} Terminal."),
            (true, false) => format!("`{wire}`: {vdoc}"),
            (false, true) => format!("`{wire}`: terminal."),
            (false, false) => format!("`{wire}`."),
        };
        let d = doc(&t);
        quote! { #d #v }
    });
    let to_str = e.values.iter().map(|(wire, variant, _)| {
        let v = format_ident!("{}", variant);
        quote! { #ident::#v => #wire }
    });
    let from_str: Vec<TokenStream> = e
        .values
        .iter()
        .map(|(wire, variant, _)| {
            let v = format_ident!("{}", variant);
            quote! { #wire => #ident::#v }
        })
        .collect();
    let wires: Vec<&String> = e.values.iter().map(|(w, _, _)| w).collect();
    let terminal = e.terminal.iter().filter_map(|wire| {
        let (_, variant, _) = e.values.iter().find(|(w, _, _)| w == wire)?;
        let v = format_ident!("{}", variant);
        Some(quote! { #ident::#v })
    });
    let terminal_fn = if e.terminal.is_empty() {
        quote! {}
    } else {
        quote! {
            /// Whether this is a final state: nothing more will happen to the job.
            pub fn is_terminal(&self) -> bool {
                ::std::matches!(self, #(#terminal)|*)
            }
        }
    };
    quote! {
        #doc_attr
        #[derive(::std::clone::Clone, ::std::fmt::Debug, ::std::cmp::PartialEq, ::std::cmp::Eq, ::std::hash::Hash)]
        #[non_exhaustive]
        pub enum #ident {
            #(#variants,)*
            /// A value this SDK does not know yet, kept as sent.
            Unknown(::std::string::String),
        }
        impl #ident {
            /// Every value this SDK knows, as spelled on the wire.
            pub const VALUES: &'static [&'static str] = &[#(#wires),*];
            /// The wire spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    #(#to_str,)*
                    #ident::Unknown(s) => s.as_str(),
                }
            }
            #terminal_fn
            /// The known value spelled `s` on the wire, if any.
            fn known(s: &str) -> ::std::option::Option<Self> {
                ::std::option::Option::Some(match s {
                    #(#from_str,)*
                    _ => return ::std::option::Option::None,
                })
            }
        }
        impl ::std::convert::From<&str> for #ident {
            fn from(s: &str) -> Self {
                #ident::known(s).unwrap_or_else(|| #ident::Unknown(s.to_owned()))
            }
        }
        impl ::std::convert::From<::std::string::String> for #ident {
            fn from(s: ::std::string::String) -> Self {
                #ident::known(&s).unwrap_or(#ident::Unknown(s))
            }
        }
        impl ::std::fmt::Display for #ident {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl ::serde::Serialize for #ident {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> ::serde::Deserialize<'de> for #ident {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                <::std::string::String as ::serde::Deserialize>::deserialize(d).map(#ident::from)
            }
        }
    }
}
