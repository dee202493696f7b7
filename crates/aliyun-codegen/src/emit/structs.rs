//! Data structs with serde derives: outputs and the objects in responses and
//! JSON-style parameters; their redacting `Debug`, derives and typed accessors.
//! Response types derive a plain `Deserialize` only: they are read from the
//! runtime's normalized value (`aliyun_runtime::normalize`), which leaves them
//! nothing to be lenient about. Objects that travel in requests serialize too.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{doc, field_type, is_plain, serde_attrs};
use crate::model::{Field, Model, TypeRef};

/// A struct with serde derives, a redacting `Debug` when a field is sensitive,
/// and typed accessors for time and JSON fields. `request`: the object travels
/// in requests (a JSON-style parameter), so it serializes as well.
pub(crate) fn emit_struct(
    model: &Model,
    name: &str,
    doc_text: &str,
    fields: &[Field],
    request: bool,
    open: bool,
) -> TokenStream {
    let ident = format_ident!("{}", name);
    // Every public item is documented, even one the spec has not described yet.
    let doc_attr = if doc_text.trim().is_empty() {
        doc(&format!(
            "The `{name}` object (not described in the spec yet)."
        ))
    } else {
        doc(doc_text)
    };
    let defs = fields.iter().map(|f| {
        let fid = format_ident!("{}", f.rust);
        let mut text = f.doc.clone();
        if f.sensitive {
            text.push_str(if text.is_empty() { "" } else { "\n\n" });
            text.push_str("Sensitive: redacted in `Debug` output.");
        }
        let fdoc = doc(&format!("{text}\n\nWire name: `{}`.", f.wire));
        let attrs = serde_attrs(f, request);
        let ty = field_type(model, f);
        quote! { #fdoc #attrs pub #fid: #ty }
    });
    let other_keys = open.then(|| {
        let fid = format_ident!("{}", crate::model::OTHER_KEYS);
        quote! {
            /// Keys this SDK does not type (the service may know more than the
            /// docs list), sent as given beside the fields above.
            #[serde(flatten)]
            pub #fid: ::aliyun_runtime::serde_json::Map<::std::string::String, ::aliyun_runtime::serde_json::Value>
        }
    });
    let defs = defs.chain(other_keys);
    let any_sensitive = fields.iter().any(|f| f.sensitive);
    let derive = derives(
        !any_sensitive,
        !fields.iter().any(|f| contains_float(model, &f.ty)),
        if request {
            Serde::Both
        } else {
            Serde::Deserialize
        },
    );
    let debug_impl = if any_sensitive {
        // Keys the SDK does not type may hold secrets too: redacted whole.
        let other = open.then_some((crate::model::OTHER_KEYS, true, true));
        debug_impl(
            &ident,
            fields
                .iter()
                .map(|f| (f.rust.as_str(), f.sensitive, is_plain(f)))
                .chain(other),
        )
    } else {
        quote! {}
    };
    let accessors: Vec<TokenStream> = fields
        .iter()
        .filter_map(accessor)
        .chain(fields.iter().filter_map(|f| wrapper_accessor(model, f)))
        .collect();
    let accessors = if accessors.is_empty() {
        quote! {}
    } else {
        quote! { impl #ident { #(#accessors)* } }
    };
    quote! {
        #doc_attr
        #derive
        pub struct #ident { #(#defs,)* }
        #debug_impl
        #accessors
    }
}

/// Which serde traits a generated type derives.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Serde {
    /// Response types: read from the normalized value.
    Deserialize,
    /// Inputs and request objects: written by the encoder, read from users' JSON.
    Both,
}

/// The derives of a generated struct: `Debug` unless a hand-written one redacts
/// fields, `Eq` unless it holds a float, and serde.
pub(crate) fn derives(debug: bool, eq: bool, serde: Serde) -> TokenStream {
    let mut list = vec![quote! { ::std::clone::Clone }];
    if debug {
        list.push(quote! { ::std::fmt::Debug });
    }
    list.push(quote! { ::std::default::Default });
    list.push(quote! { ::std::cmp::PartialEq });
    if eq {
        list.push(quote! { ::std::cmp::Eq });
    }
    if serde == Serde::Both {
        list.push(quote! { ::serde::Serialize });
    }
    list.push(quote! { ::serde::Deserialize });
    quote! { #[derive(#(#list),*)] }
}

/// Whether a type holds an `f64` anywhere, so that it cannot derive `Eq`:
/// directly, in a list, or in a field of a named object.
pub(crate) fn contains_float(model: &Model, ty: &TypeRef) -> bool {
    fn walk<'m>(model: &'m Model, ty: &'m TypeRef, seen: &mut Vec<&'m str>) -> bool {
        match ty {
            TypeRef::Number => true,
            TypeRef::List(item, _) => walk(model, item, seen),
            TypeRef::Object(name) => {
                if seen.contains(&name.as_str()) {
                    return false;
                }
                seen.push(name);
                model
                    .objects
                    .get(name)
                    .is_some_and(|o| o.fields.iter().any(|f| walk(model, &f.ty, seen)))
            }
            _ => false,
        }
    }
    walk(model, ty, &mut Vec::new())
}

/// A `Debug` that prints `** redacted **` for sensitive fields: as
/// `Some("** redacted **")` or `None` for an optional one, so whether it is set
/// stays visible. Fields are `(rust name, sensitive, plain type)`.
pub(crate) fn debug_impl<'a>(
    ident: &proc_macro2::Ident,
    fields: impl Iterator<Item = (&'a str, bool, bool)>,
) -> TokenStream {
    let name = ident.to_string();
    let entries = fields.map(|(rust, sensitive, plain)| {
        let fid = format_ident!("{}", rust);
        match (sensitive, plain) {
            (false, _) => quote! { .field(#rust, &self.#fid) },
            (true, false) => {
                quote! { .field(#rust, &self.#fid.as_ref().map(|_| "** redacted **")) }
            }
            (true, true) => quote! { .field(#rust, &"** redacted **") },
        }
    });
    quote! {
        impl ::std::fmt::Debug for #ident {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(#name) #(#entries)* .finish()
            }
        }
    }
}

/// For a field holding a wrapper object (an object whose one field is a list,
/// as `PlayInfoList { PlayInfo: [..] }`): a method of the field's name that
/// gives the list directly, empty when the wrapper is absent. The field keeps
/// the wire shape.
fn wrapper_accessor(model: &Model, f: &Field) -> Option<TokenStream> {
    let TypeRef::Object(name) = &f.ty else {
        return None;
    };
    let [inner] = model.objects.get(name)?.fields.as_slice() else {
        return None;
    };
    let TypeRef::List(item, _) = &inner.ty else {
        return None;
    };
    let item = super::rust_type(model, item);
    let fid = format_ident!("{}", f.rust);
    let iid = format_ident!("{}", inner.rust);
    let d = doc(&format!(
        "The items of `{}` (`{}.{}`) directly; empty when it is absent.",
        f.wire, f.wire, inner.wire
    ));
    let body = if is_plain(f) {
        quote! { self.#fid.#iid.as_slice() }
    } else {
        quote! { self.#fid.as_ref().map_or(&[], |w| w.#iid.as_slice()) }
    };
    Some(quote! {
        #d
        pub fn #fid(&self) -> &[#item] {
            #body
        }
    })
}

fn accessor(f: &Field) -> Option<TokenStream> {
    let fid = format_ident!("{}", f.rust);
    let TypeRef::String(Some(format)) = &f.ty else {
        return None;
    };
    let value = if is_plain(f) {
        quote! { ::std::option::Option::Some(self.#fid.as_str()).filter(|s| !s.is_empty()) }
    } else {
        quote! { self.#fid.as_deref() }
    };
    match format.as_str() {
        "date-time" => {
            let name = format_ident!("{}_at", f.rust);
            let d = doc(&format!(
                "`{}` parsed as a UTC time; `None` when absent.",
                f.wire
            ));
            Some(quote! {
                #d
                pub fn #name(&self) -> ::std::option::Option<::std::result::Result<::aliyun_runtime::time::OffsetDateTime, ::aliyun_runtime::time::error::Parse>> {
                    #value.map(::aliyun_runtime::parse_time)
                }
            })
        }
        "json" => {
            let name = format_ident!("{}_json", f.rust);
            let d = doc(&format!("`{}` parsed as JSON; `None` when absent.", f.wire));
            Some(quote! {
                #d
                pub fn #name(&self) -> ::std::option::Option<::std::result::Result<::aliyun_runtime::serde_json::Value, ::aliyun_runtime::serde_json::Error>> {
                    #value.map(::aliyun_runtime::serde_json::from_str)
                }
            })
        }
        _ => None,
    }
}
