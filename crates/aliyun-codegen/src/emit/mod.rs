//! Emitters: the model in, Rust tokens out, one module per artefact.
//! `operation` assembles one module per operation from `input` (the typed
//! input and the parameter table), `structs` (the output and objects),
//! `builder` and the descriptor; `enums` writes open enums, `types` the named
//! types of a module (shared ones in `generated/types.rs`), `product` the
//! product's endpoints, the client's methods and the module list, `cli` the
//! CLI's command table. Every path into other crates is spelled
//! fully (`::std::string::String`) so generated code cannot collide with names
//! a user or the spec brings in.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use crate::model::{Field, Model, TypeRef};

use crate::names;

mod builder;
pub mod cli;
mod enums;
mod input;
pub mod operation;
pub mod product;
mod structs;
pub mod types;

pub use operation::operation_module;
pub use product::{client_module, mod_module, product_module};
pub use types::types_module;

/// `#[doc = ...]` lines for a text; an empty text gives none.
///
/// A code block without a language in a description (a JSON example, say)
/// would become a doctest that `cargo test` compiles as Rust, so it is marked
/// `text`.
pub(crate) fn doc(text: &str) -> TokenStream {
    let mut in_code = false;
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            let l = l.trim_end();
            if let Some(info) = l.trim_start().strip_prefix("```") {
                let opening = !in_code;
                in_code = !in_code;
                if opening && info.trim().is_empty() {
                    return format!(" {l}text");
                }
            }
            format!(" {l}")
        })
        .collect();
    quote! { #( #[doc = #lines] )* }
}

pub(crate) fn string_ty() -> TokenStream {
    quote! { ::std::string::String }
}

pub(crate) fn shape_ident(type_name: &str) -> proc_macro2::Ident {
    format_ident!("{}_SHAPE", names::screaming(type_name))
}

/// `crate::generated::<module>::<item>` for an item of named type `type_name`'s
/// module (see [`Model::home`]).
pub(crate) fn type_item_path(
    model: &Model,
    type_name: &str,
    item: &proc_macro2::Ident,
) -> TokenStream {
    let module = format_ident!("{}", model.home(type_name));
    let root = model.root_path();
    quote! { #root::generated::#module::#item }
}

/// The Rust type of a field (before `Option`).
pub(crate) fn rust_type(model: &Model, ty: &TypeRef) -> TokenStream {
    match ty {
        TypeRef::String(_) => string_ty(),
        TypeRef::Integer => quote! { i64 },
        TypeRef::Number => quote! { f64 },
        TypeRef::Boolean => quote! { bool },
        TypeRef::Json => quote! { ::aliyun_runtime::serde_json::Value },
        TypeRef::Enum(name) | TypeRef::Object(name) => {
            type_item_path(model, name, &format_ident!("{}", name))
        }
        TypeRef::List(item, _) => {
            let item = rust_type(model, item);
            quote! { ::std::vec::Vec<#item> }
        }
    }
}

/// Whether a field is a plain type: lists always, scalars and objects when the
/// spec says the API always returns them; enums stay `Option` (an absent status
/// is not a status).
pub(crate) fn is_plain(f: &Field) -> bool {
    match &f.ty {
        TypeRef::List(..) => true,
        TypeRef::Enum(_) => false,
        _ => f.required,
    }
}

pub(crate) fn field_type(model: &Model, f: &Field) -> TokenStream {
    let ty = rust_type(model, &f.ty);
    if is_plain(f) {
        ty
    } else {
        quote! { ::std::option::Option<#ty> }
    }
}

/// A field's serde attributes: its wire name and a default when absent; a
/// request object's fields also skip serializing when unset.
pub(crate) fn serde_attrs(f: &Field, serialize: bool) -> TokenStream {
    let wire = &f.wire;
    let skip = match (&f.ty, is_plain(f), serialize) {
        (_, _, false) => quote! {},
        (TypeRef::List(..), _, true) => {
            quote! { , skip_serializing_if = "::std::vec::Vec::is_empty" }
        }
        (_, false, true) => quote! { , skip_serializing_if = "::std::option::Option::is_none" },
        _ => quote! {},
    };
    // Numbers the API wants as strings inside JSON parameters (`encodeAs`)
    // are written so by the runtime's encoder, from the parameter table; the
    // typed value stays a number.
    quote! { #[serde(rename = #wire, default #skip)] }
}

/// The static shape of a value, for reading XML and normalizing bodies.
pub(crate) fn shape_expr(model: &Model, ty: &TypeRef) -> TokenStream {
    match ty {
        TypeRef::Object(name) => {
            let path = type_item_path(model, name, &shape_ident(name));
            quote! { &#path }
        }
        TypeRef::List(item, xml_item) => {
            let item = shape_expr(model, item);
            let xml_item = match xml_item {
                Some(x) => quote! { ::std::option::Option::Some(#x) },
                None => quote! { ::std::option::Option::None },
            };
            quote! { &::aliyun_runtime::shape::Shape::List { item: #item, xml_item: #xml_item } }
        }
        TypeRef::String(_) | TypeRef::Enum(_) => quote! { &::aliyun_runtime::shape::Shape::String },
        TypeRef::Integer => quote! { &::aliyun_runtime::shape::Shape::Integer },
        TypeRef::Number => quote! { &::aliyun_runtime::shape::Shape::Number },
        TypeRef::Boolean => quote! { &::aliyun_runtime::shape::Shape::Boolean },
        // Only in request objects, whose shape is never read: no known fields.
        TypeRef::Json => quote! { &::aliyun_runtime::shape::Shape::Object(&[]) },
    }
}

pub(crate) fn object_shape(model: &Model, fields: &[Field]) -> TokenStream {
    let entries = fields.iter().map(|f| {
        let name = &f.wire;
        let shape = match &f.ty {
            // A credential the CLI must not print.
            TypeRef::String(_) if f.sensitive => {
                quote! { &::aliyun_runtime::shape::Shape::SecretText }
            }
            other => shape_expr(model, other),
        };
        quote! { ::aliyun_runtime::shape::Field { name: #name, shape: #shape } }
    });
    quote! { ::aliyun_runtime::shape::Shape::Object(&[ #(#entries),* ]) }
}

/// `#[cfg(feature = ..)]` for code needed by operations of these features
/// (any of them); nothing when the list is absent or empty (always compiled).
pub(crate) fn cfg_features(features: Option<&[&str]>) -> TokenStream {
    match features {
        None | Some([]) => quote! {},
        Some([one]) => quote! { #[cfg(feature = #one)] },
        Some(many) => quote! { #[cfg(any(#(feature = #many),*))] },
    }
}

/// `items` with `attr` (a `#[cfg]`) on each of them; unchanged when `attr` is
/// empty or `items` do not parse as items (which the formatter then reports).
pub(crate) fn each_item(attr: TokenStream, items: TokenStream) -> TokenStream {
    if attr.is_empty() {
        return items;
    }
    let Ok(file) = syn::parse2::<syn::File>(items.clone()) else {
        return items;
    };
    let items = file.items.iter();
    quote! { #(#attr #items)* }
}

/// The `cfg` of an operation's items: its feature, if it has one.
pub(crate) fn cfg_operation(op: &crate::model::Operation) -> TokenStream {
    match op.feature.as_deref() {
        Some(f) => cfg_features(Some(&[f])),
        None => quote! {},
    }
}

/// An unsuffixed literal (`10`, not `10usize`).
pub(crate) fn lit(n: usize) -> Literal {
    Literal::usize_unsuffixed(n)
}

#[cfg(test)]
mod tests {
    use super::doc;

    /// The strings of the `#[doc]` attributes `doc` gives for `text`.
    fn doc_lines(text: &str) -> Vec<String> {
        let tokens = doc(text);
        let item: syn::ItemStruct =
            syn::parse2(quote::quote! { #tokens struct S; }).expect("doc attributes");
        item.attrs
            .iter()
            .map(|a| match &a.meta {
                syn::Meta::NameValue(nv) => match &nv.value {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => s.value(),
                    _ => panic!("not a string"),
                },
                _ => panic!("not #[doc = ..]"),
            })
            .collect()
    }

    #[test]
    fn untagged_code_blocks_become_text() {
        assert_eq!(
            doc_lines("Settings, e.g.\n```\n{\"a\": 1}\n```\nthen\n  ```json\n{}\n  ```"),
            [
                " Settings, e.g.",
                " ```text",
                " {\"a\": 1}",
                " ```",
                " then",
                "   ```json",
                " {}",
                "   ```",
            ]
        );
    }

    #[test]
    fn empty_text_gives_no_doc() {
        assert!(doc_lines("").is_empty());
        assert_eq!(doc_lines("One line.  "), [" One line."]);
    }
}
