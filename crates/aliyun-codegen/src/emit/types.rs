//! `generated/types.rs`: the enums and objects operations share, with the
//! parameter tables of objects that travel in requests.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::*;
use crate::model::{EnumType, ObjectType, ParamKind};

/// A struct with serde derives, a redacting `Debug` when a field is sensitive,
/// and typed accessors for time and JSON fields.
pub(crate) fn emit_struct(
    model: &Model,
    name: &str,
    doc_text: &str,
    fields: &[Field],
) -> TokenStream {
    let ident = format_ident!("{}", name);
    let doc_attr = doc(doc_text);
    let defs = fields.iter().map(|f| {
        let fid = format_ident!("{}", f.rust);
        let mut text = f.doc.clone();
        if f.sensitive {
            text.push_str(if text.is_empty() { "" } else { "\n\n" });
            text.push_str("Sensitive: redacted in `Debug` output.");
        }
        let fdoc = doc(&format!("{text}\n\nWire name: `{}`.", f.wire));
        let attrs = serde_attrs(f);
        let ty = field_type(model, f);
        quote! { #fdoc #attrs pub #fid: #ty }
    });
    let any_sensitive = fields.iter().any(|f| f.sensitive);
    let derive = derives(
        !any_sensitive,
        !fields.iter().any(|f| contains_float(model, &f.ty)),
        true,
    );
    let debug_impl = if any_sensitive {
        debug_impl(
            &ident,
            fields
                .iter()
                .map(|f| (f.rust.as_str(), f.sensitive, is_plain(f))),
        )
    } else {
        quote! {}
    };
    let accessors: Vec<TokenStream> = fields.iter().filter_map(accessor).collect();
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

/// The derives of a generated struct: `Debug` unless a hand-written one redacts
/// fields, `Eq` unless it holds a float, serde for response and JSON types.
pub(crate) fn derives(debug: bool, eq: bool, serde: bool) -> TokenStream {
    let mut list = vec![quote! { ::std::clone::Clone }];
    if debug {
        list.push(quote! { ::std::fmt::Debug });
    }
    list.push(quote! { ::std::default::Default });
    list.push(quote! { ::std::cmp::PartialEq });
    if eq {
        list.push(quote! { ::std::cmp::Eq });
    }
    if serde {
        list.push(quote! { ::serde::Serialize });
        list.push(quote! { ::serde::Deserialize });
    }
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

fn emit_enum(e: &EnumType) -> TokenStream {
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
                ::aliyun_runtime::de::from_string(d)
            }
        }
    }
}

/// `generated/types.rs`: enums and objects shared by operations.
pub fn types_module(model: &Model) -> TokenStream {
    let (alias, types) = named_types(model, "types");
    quote! { #alias #types }
}

/// The enums and objects whose home ([`Model::home`]) is `module`, each object
/// with its shape and, when it travels in a request, its parameter table; and
/// the `op` alias those tables need (empty when none does).
pub(crate) fn named_types(model: &Model, module: &str) -> (TokenStream, TokenStream) {
    let request_objects = request_object_names(model);
    let enums = model
        .enums
        .values()
        .filter(|e| model.home(&e.name) == module)
        .map(emit_enum);
    let mut tables = false;
    let objects: Vec<TokenStream> = model
        .objects
        .values()
        .filter(|o| model.home(&o.name) == module)
        .map(|o| {
            let s = emit_struct(model, &o.name, &o.doc, &o.fields);
            let shape_id = shape_ident(&o.name);
            let shape = object_shape(model, &o.fields);
            let table = if request_objects.contains(&o.name) {
                tables = true;
                object_table(model, o)
            } else {
                quote! {}
            };
            quote! {
                #s
                #[doc(hidden)]
                pub static #shape_id: ::aliyun_runtime::shape::Shape = #shape;
                #table
            }
        })
        .collect();
    let alias = if tables {
        quote! { use ::aliyun_runtime::operation as op; }
    } else {
        quote! {}
    };
    (alias, quote! { #(#enums)* #(#objects)* })
}

/// `NAME_FIELDS`: the parameter table of a request object, read by the
/// runtime's encoder (required fields, lengths, numbers sent as strings).
pub(crate) fn fields_ident(type_name: &str) -> proc_macro2::Ident {
    format_ident!("{}_FIELDS", names::screaming(type_name))
}

fn object_table(model: &Model, o: &ObjectType) -> TokenStream {
    let id = fields_ident(&o.name);
    let n = lit(o.fields.len());
    let mut lists = Vec::new();
    let fields: Vec<TokenStream> = o
        .fields
        .iter()
        .map(|f| {
            let ty = match &f.ty {
                TypeRef::List(item, _) => {
                    let list_id = format_ident!(
                        "{}_{}_ITEMS",
                        names::screaming(&o.name),
                        names::screaming(&f.wire)
                    );
                    let item = field_ty(model, item, None);
                    lists.push(quote! {
                        static #list_id: op::ListRules = op::ListRules::of(#item).min_items(0);
                    });
                    quote! { op::Ty::List(&#list_id) }
                }
                other => field_ty(model, other, f.max_length),
            };
            let name = &f.wire;
            let required = f.required.then(|| quote! { .required() });
            let as_string = f.encode_as_string.then(|| quote! { .as_string() });
            quote! { op::Param::new(#name, #ty) #required #as_string }
        })
        .collect();
    let d = doc(&format!(
        "The fields of [`{}`] as the request encoder checks them.",
        o.name
    ));
    quote! {
        #d
        #[doc(hidden)]
        pub static #id: [op::Param; #n] = [#(#fields),*];
        #(#lists)*
    }
}

/// The runtime type of a field inside a request object.
pub(crate) fn field_ty(model: &Model, ty: &TypeRef, max_length: Option<usize>) -> TokenStream {
    match ty {
        TypeRef::String(_) | TypeRef::Enum(_) => match max_length {
            Some(m) => {
                let m = lit(m);
                quote! { op::Ty::String(op::StringRules::ANY.max_length(#m)) }
            }
            None => quote! { op::Ty::String(op::StringRules::ANY) },
        },
        TypeRef::Integer => quote! { op::Ty::Integer },
        TypeRef::Number => quote! { op::Ty::Number },
        TypeRef::Boolean => quote! { op::Ty::Boolean },
        TypeRef::Object(name) => {
            let path = type_item_path(model, name, &fields_ident(name));
            quote! { op::Ty::Object(&#path) }
        }
        // A list inside a list has no table of its own: checked as JSON only.
        TypeRef::List(..) => quote! { op::Ty::Any },
    }
}

fn request_object_names(model: &Model) -> Vec<String> {
    fn walk(ty: &TypeRef, model: &Model, out: &mut Vec<String>) {
        match ty {
            TypeRef::Object(n) if !out.contains(n) => {
                out.push(n.clone());
                if let Some(o) = model.objects.get(n) {
                    for f in &o.fields {
                        walk(&f.ty, model, out);
                    }
                }
            }
            TypeRef::List(item, _) => walk(item, model, out),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for op in &model.operations {
        for p in &op.params {
            if let ParamKind::Json { ty, .. } = &p.kind {
                walk(ty, model, &mut out);
            }
        }
    }
    out
}
