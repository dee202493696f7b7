//! Emitters for the `aliyun-vod` crate: one module per operation, shared types in
//! `types`, the product description and the client's methods. Every path into
//! other crates is spelled fully (`::std::string::String`) so generated code
//! cannot collide with names a user or the spec brings in.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use crate::model::{
    EnumType, Field, Model, ObjectType, Operation, Param, ParamKind, StringRules, TypeRef,
};
use crate::names;

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

fn shape_ident(type_name: &str) -> proc_macro2::Ident {
    format_ident!("{}_SHAPE", names::screaming(type_name))
}

/// The Rust type of a field (before `Option`).
fn rust_type(ty: &TypeRef) -> TokenStream {
    match ty {
        TypeRef::String(_) => string_ty(),
        TypeRef::Integer => quote! { i64 },
        TypeRef::Number => quote! { f64 },
        TypeRef::Boolean => quote! { bool },
        TypeRef::Enum(name) | TypeRef::Object(name) => {
            let id = format_ident!("{}", name);
            quote! { crate::generated::types::#id }
        }
        TypeRef::List(item, _) => {
            let item = rust_type(item);
            quote! { ::std::vec::Vec<#item> }
        }
    }
}

/// Whether a field is a plain type: lists always, scalars and objects when the
/// spec says the API always returns them; enums stay `Option` (an absent status
/// is not a status).
fn is_plain(f: &Field) -> bool {
    match &f.ty {
        TypeRef::List(..) => true,
        TypeRef::Enum(_) => false,
        _ => f.required,
    }
}

fn field_type(f: &Field) -> TokenStream {
    let ty = rust_type(&f.ty);
    if is_plain(f) {
        ty
    } else {
        quote! { ::std::option::Option<#ty> }
    }
}

fn serde_attrs(f: &Field) -> TokenStream {
    let wire = &f.wire;
    let plain = is_plain(f);
    let de = match (&f.ty, plain) {
        (TypeRef::String(_), true) => "::aliyun_runtime::de::string",
        (TypeRef::String(_), false) => "::aliyun_runtime::de::opt_string",
        (TypeRef::Integer, true) => "::aliyun_runtime::de::i64",
        (TypeRef::Integer, false) => "::aliyun_runtime::de::opt_i64",
        (TypeRef::Number, true) => "::aliyun_runtime::de::f64",
        (TypeRef::Number, false) => "::aliyun_runtime::de::opt_f64",
        (TypeRef::Boolean, true) => "::aliyun_runtime::de::bool",
        (TypeRef::Boolean, false) => "::aliyun_runtime::de::opt_bool",
        (TypeRef::Enum(_), _) => "::aliyun_runtime::de::opt_from_string",
        (TypeRef::Object(_), true) => "::aliyun_runtime::de::object",
        (TypeRef::Object(_), false) => "::aliyun_runtime::de::opt_object",
        // Objects cannot fail on their fields, so their items decode straight
        // from the input; other items are buffered so a bad one can be skipped.
        (TypeRef::List(item, _), _) if matches!(**item, TypeRef::Object(_)) => {
            "::aliyun_runtime::de::object_list"
        }
        (TypeRef::List(..), _) => "::aliyun_runtime::de::list",
    };
    let skip = match (&f.ty, plain) {
        (TypeRef::List(..), _) => quote! { skip_serializing_if = "::std::vec::Vec::is_empty", },
        (_, false) => quote! { skip_serializing_if = "::std::option::Option::is_none", },
        _ => quote! {},
    };
    let ser = if f.encode_as_string {
        let path = match (&f.ty, plain) {
            (TypeRef::Integer, true) => "::aliyun_runtime::ser::i64_as_string",
            (TypeRef::Integer, false) => "::aliyun_runtime::ser::opt_i64_as_string",
            (TypeRef::Number, true) => "::aliyun_runtime::ser::f64_as_string",
            (TypeRef::Number, false) => "::aliyun_runtime::ser::opt_f64_as_string",
            (TypeRef::Boolean, true) => "::aliyun_runtime::ser::bool_as_string",
            _ => "::aliyun_runtime::ser::opt_bool_as_string",
        };
        quote! { serialize_with = #path, }
    } else {
        quote! {}
    };
    quote! { #[serde(rename = #wire, default, deserialize_with = #de, #skip #ser)] }
}

/// The static shape of a list of fields, for XML decoding.
fn shape_expr(ty: &TypeRef) -> TokenStream {
    match ty {
        TypeRef::Object(name) => {
            let id = shape_ident(name);
            quote! { &crate::generated::types::#id }
        }
        TypeRef::List(item, xml_item) => {
            let item = shape_expr(item);
            let xml_item = match xml_item {
                Some(x) => quote! { ::std::option::Option::Some(#x) },
                None => quote! { ::std::option::Option::None },
            };
            quote! { &::aliyun_runtime::shape::Shape::List { item: #item, xml_item: #xml_item } }
        }
        _ => quote! { &::aliyun_runtime::shape::Shape::Scalar },
    }
}

fn object_shape(fields: &[Field]) -> TokenStream {
    let entries = fields.iter().map(|f| {
        let name = &f.wire;
        let shape = shape_expr(&f.ty);
        quote! { ::aliyun_runtime::shape::Field { name: #name, shape: #shape } }
    });
    quote! { ::aliyun_runtime::shape::Shape::Object(&[ #(#entries),* ]) }
}

/// A struct with serde derives, a redacting `Debug` when a field is sensitive,
/// and typed accessors for time and JSON fields.
fn emit_struct(model: &Model, name: &str, doc_text: &str, fields: &[Field]) -> TokenStream {
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
        let ty = field_type(f);
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
fn derives(debug: bool, eq: bool, serde: bool) -> TokenStream {
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
fn contains_float(model: &Model, ty: &TypeRef) -> bool {
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
fn debug_impl<'a>(
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

/// Checks for an object used inside a JSON-style parameter.
fn emit_object_checks(o: &ObjectType) -> TokenStream {
    let ident = format_ident!("{}", o.name);
    let checks: Vec<TokenStream> = o
        .fields
        .iter()
        .filter_map(|f| {
            let fid = format_ident!("{}", f.rust);
            let wire = &f.wire;
            let name = quote! { ::std::format!("{}[{}].{}", param, index, #wire) };
            let max = f.max_length.map(lit).map(|m| {
                quote! {
                    if v.len() > #m {
                        return ::std::result::Result::Err(::aliyun_runtime::ValidationError::new(operation, #name, ::aliyun_runtime::Rule::MaxLength { max: #m, got: v.len(), index: ::std::option::Option::None }));
                    }
                }
            });
            match (&f.ty, is_plain(f)) {
                (TypeRef::String(_), true) if f.required => Some(quote! {
                    let v = &self.#fid;
                    if v.trim().is_empty() {
                        return ::std::result::Result::Err(::aliyun_runtime::ValidationError::new(operation, #name, ::aliyun_runtime::Rule::Required));
                    }
                    #max
                }),
                (TypeRef::String(_), false) if max.is_some() => Some(quote! {
                    if let ::std::option::Option::Some(v) = &self.#fid { #max }
                }),
                _ => None,
            }
        })
        .collect();
    quote! {
        impl #ident {
            /// Checks this item against the spec's rules; `param` and `index` name
            /// it in errors (`Param[0].Field`).
            #[allow(unused_variables)]
            pub fn validate_item(&self, operation: &'static str, param: &str, index: usize) -> ::std::result::Result<(), ::aliyun_runtime::ValidationError> {
                #(#checks)*
                ::std::result::Result::Ok(())
            }
        }
    }
}

/// `generated/types.rs`: enums and objects shared by operations.
pub fn types_module(model: &Model) -> TokenStream {
    let request_objects = request_object_names(model);
    let enums = model.enums.values().map(emit_enum);
    let objects = model.objects.values().map(|o| {
        let s = emit_struct(model, &o.name, &o.doc, &o.fields);
        let shape_id = shape_ident(&o.name);
        let shape = object_shape(&o.fields);
        let shape_doc = doc(&format!("The shape of [`{}`], for XML decoding.", o.name));
        let checks = if request_objects.contains(&o.name) {
            emit_object_checks(o)
        } else {
            quote! {}
        };
        quote! {
            #s
            #checks
            #shape_doc
            pub static #shape_id: ::aliyun_runtime::shape::Shape = #shape;
        }
    });
    quote! { #(#enums)* #(#objects)* }
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

/// `generated/product.rs`.
pub fn product_module(model: &Model) -> TokenStream {
    let p = &model.product;
    let (code, version, region) = (&p.code, &p.version, &p.default_region);
    let endpoints = p.endpoints.iter().map(|(r, h)| quote! { (#r, #h) });
    let d = doc(&format!(
        "{} ({}, API version {version}): endpoints and defaults.",
        if p.title.is_empty() { code } else { &p.title },
        code
    ));
    quote! {
        #d
        pub static PRODUCT: ::aliyun_runtime::Product = ::aliyun_runtime::Product {
            code: #code,
            version: #version,
            endpoints: &[#(#endpoints),*],
            default_region: #region,
        };
    }
}

/// `generated/client.rs`: one method per operation on the hand-written `Client`.
pub fn client_module(model: &Model) -> TokenStream {
    let methods = model.operations.iter().map(|op| {
        let method = format_ident!("{}", op.snake);
        let module = format_ident!("{}", op.snake);
        let builder = format_ident!("{}FluentBuilder", op.pascal);
        let d = doc(&format!(
            "`{}`: {}\n\nSet parameters on the returned builder, then call `send()`.",
            op.name, op.summary
        ));
        quote! {
            #d
            pub fn #method(&self) -> crate::generated::#module::#builder {
                crate::generated::#module::#builder::new(self.runtime().clone())
            }
        }
    });
    quote! {
        impl crate::Client { #(#methods)* }
    }
}

/// `generated/mod.rs`.
pub fn mod_module(model: &Model) -> TokenStream {
    let mods = model.operations.iter().map(|op| {
        let m = format_ident!("{}", op.snake);
        let d = doc(&format!("`{}`: {}", op.name, op.summary));
        quote! { #d pub mod #m; }
    });
    quote! {
        /// Methods on [`crate::Client`], one per operation.
        pub mod client;
        /// The product's endpoints and defaults.
        pub mod product;
        /// Enums and objects shared by operations.
        pub mod types;
        #(#mods)*
    }
}

fn param_type(p: &Param) -> TokenStream {
    match &p.kind {
        ParamKind::String(_) => string_ty(),
        ParamKind::Integer => quote! { i64 },
        ParamKind::Number => quote! { f64 },
        ParamKind::Boolean => quote! { bool },
        ParamKind::List { .. } => quote! { ::std::vec::Vec<::std::string::String> },
        ParamKind::Json { ty, .. } => rust_type(ty),
    }
}

fn param_doc(op: &Operation, p: &Param) -> String {
    let mut text = p.doc.clone();
    let mut notes = Vec::new();
    if p.required {
        notes.push("Required.".to_owned());
    }
    match &p.kind {
        ParamKind::List {
            min_items,
            max_items,
            encode_items,
            ..
        } => {
            let mut n = format!("Sent as a comma-separated list of {min_items}");
            match max_items {
                Some(m) => n.push_str(&format!(" to {m} items")),
                None => n.push_str(" or more items"),
            }
            if *encode_items {
                n.push_str(", each item percent-encoded first");
            }
            n.push('.');
            notes.push(n);
        }
        ParamKind::Json { .. } => notes.push("Sent as a JSON string.".to_owned()),
        _ => {}
    }
    for g in &op.groups {
        if g.members.contains(&p.wire) {
            let mut n = format!(
                "At least one of {} must be set.",
                join_words(&g.members, "or")
            );
            if g.precedence {
                let pos = g.members.iter().position(|m| *m == p.wire).unwrap_or(0);
                let rest = g.members.get(pos + 1..).unwrap_or_default();
                if pos > 0 {
                    n.push_str(&format!(
                        " Not sent when {} is set, which takes precedence.",
                        join_words(&g.members[..pos], "or")
                    ));
                } else if !rest.is_empty() {
                    n.push_str(&format!(
                        " When set, {} {} not sent.",
                        join_words(rest, "and"),
                        if rest.len() == 1 { "is" } else { "are" }
                    ));
                }
            }
            notes.push(n);
        }
    }
    if p.sensitive {
        notes.push("Sensitive: redacted in `Debug` output.".to_owned());
    }
    if let Some(e) = &p.example {
        notes.push(format!("Example: `{e}`."));
    }
    notes.push(format!("Wire name: `{}`.", p.wire));
    if !text.is_empty() {
        text.push_str("\n\n");
    }
    text.push_str(&notes.join("\n\n"));
    text
}

/// `A`, `A or B`, `A, B or C`.
fn join_words(words: &[String], conjunction: &str) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {conjunction} {last}", init.join(", ")),
    }
}

fn string_rules_tokens(r: &StringRules, no_control: bool) -> TokenStream {
    let max = match r.max_length {
        Some(m) => {
            let m = lit(m);
            quote! { ::std::option::Option::Some(#m) }
        }
        None => quote! { ::std::option::Option::None },
    };
    let url = r.http_url;
    quote! { ::aliyun_runtime::validate::StringRules { max_length: #max, http_url: #url, no_control: #no_control } }
}

/// One operation's module.
pub fn operation_module(model: &Model, op: &Operation) -> TokenStream {
    let _ = model;
    let input = format_ident!("{}Input", op.pascal);
    let output = format_ident!("{}Output", op.pascal);
    let builder = format_ident!("{}FluentBuilder", op.pascal);
    let action = &op.name;
    let retry_safe = op.retry_safe;
    let qps = match op.qps {
        Some(q) => {
            let q = Literal::u32_unsuffixed(q);
            quote! { ::std::option::Option::Some(#q) }
        }
        None => quote! { ::std::option::Option::None },
    };
    let mut op_doc = format!("`{}`: {}", op.name, op.summary);
    if !op.description.is_empty() {
        op_doc.push_str("\n\n");
        op_doc.push_str(&op.description);
    }
    op_doc.push_str(&format!(
        "\n\n{} QPS limit: {}.",
        if op.retry_safe {
            "Safe to retry."
        } else {
            "Never resent once it may have reached the service."
        },
        op.qps
            .map(|q| format!("{q} per second per account"))
            .unwrap_or_else(|| "none stated".into())
    ));
    let meta_doc = doc(&op_doc);

    // Input struct.
    let input_fields = op.params.iter().map(|p| {
        let fid = format_ident!("{}", p.rust);
        let ty = param_type(p);
        let d = doc(&param_doc(op, p));
        quote! { #d pub #fid: ::std::option::Option<#ty> }
    });
    let sensitive_input = op.params.iter().any(|p| p.sensitive);
    let input_debug = if sensitive_input {
        debug_impl(
            &input,
            op.params
                .iter()
                .map(|p| (p.rust.as_str(), p.sensitive, false)),
        )
    } else {
        quote! {}
    };
    let input_float = op.params.iter().any(|p| match &p.kind {
        ParamKind::Number => true,
        ParamKind::Json { ty, .. } => contains_float(model, ty),
        _ => false,
    });
    let input_derive = derives(!sensitive_input, !input_float, false);

    // Validation.
    let required = op.params.iter().filter(|p| p.required).map(|p| {
        let fid = format_ident!("{}", p.rust);
        let wire = &p.wire;
        quote! {
            if self.#fid.is_none() {
                return ::std::result::Result::Err(::aliyun_runtime::ValidationError::new(OPERATION, #wire, ::aliyun_runtime::Rule::Required));
            }
        }
    });
    let groups = op.groups.iter().filter_map(|g| {
        let conds = g.members.iter().filter_map(|m| {
            let p = op.params.iter().find(|p| p.wire == *m)?;
            let fid = format_ident!("{}", p.rust);
            Some(quote! { self.#fid.is_none() })
        });
        let first = g.members.first()?;
        let members = &g.members;
        Some(quote! {
            if #(#conds)&&* {
                return ::std::result::Result::Err(::aliyun_runtime::ValidationError::new(
                    OPERATION, #first, ::aliyun_runtime::Rule::AtLeastOneOf(::std::vec![#(::std::string::String::from(#members)),*]),
                ));
            }
        })
    });
    let checks = op.params.iter().filter_map(|p| {
        let fid = format_ident!("{}", p.rust);
        let wire = &p.wire;
        match &p.kind {
            ParamKind::List { item, min_items, max_items, encode_items } => {
                let rules = string_rules_tokens(item, true);
                let min_items = lit(*min_items);
                let max = match max_items {
                    Some(_) => {
                        let c = max_items_const(p);
                        quote! { ::std::option::Option::Some(#c) }
                    }
                    None => quote! { ::std::option::Option::None },
                };
                Some(quote! {
                    if let ::std::option::Option::Some(v) = &self.#fid {
                        ::aliyun_runtime::validate::check_list(OPERATION, #wire, v, &::aliyun_runtime::validate::ListRules {
                            min_items: #min_items, max_items: #max, items_encoded: #encode_items, item: #rules,
                        })?;
                    }
                })
            }
            ParamKind::String(r) if r.max_length.is_some() || r.http_url || !r.allowed.is_empty() => {
                let string_check = (r.max_length.is_some() || r.http_url).then(|| {
                    let rules = string_rules_tokens(r, r.http_url);
                    quote! {
                        ::aliyun_runtime::validate::check_string(OPERATION, #wire, v, &#rules, ::std::option::Option::None)?;
                    }
                });
                let allowed = &r.allowed;
                let enum_check = if allowed.is_empty() {
                    quote! {}
                } else {
                    quote! {
                        if ![#(#allowed),*].contains(&v.as_str()) {
                            return ::std::result::Result::Err(::aliyun_runtime::ValidationError::new(OPERATION, #wire,
                                ::aliyun_runtime::Rule::NotInEnum { allowed: ::std::vec![#(::std::string::String::from(#allowed)),*] }));
                        }
                    }
                };
                Some(quote! {
                    if let ::std::option::Option::Some(v) = &self.#fid {
                        #string_check
                        #enum_check
                    }
                })
            }
            ParamKind::Json { ty: TypeRef::List(item, _), max_items } => {
                let max = max_items.map(lit).map(|m| quote! {
                    if v.len() > #m {
                        return ::std::result::Result::Err(::aliyun_runtime::ValidationError::new(OPERATION, #wire, ::aliyun_runtime::Rule::MaxItems { max: #m, got: v.len() }));
                    }
                });
                let items = matches!(**item, TypeRef::Object(_)).then(|| quote! {
                    for (i, item) in v.iter().enumerate() {
                        item.validate_item(OPERATION, #wire, i)?;
                    }
                });
                Some(quote! {
                    if let ::std::option::Option::Some(v) = &self.#fid { #max #items }
                })
            }
            ParamKind::Json { ty: TypeRef::Object(_), .. } => Some(quote! {
                if let ::std::option::Option::Some(v) = &self.#fid {
                    v.validate_item(OPERATION, #wire, 0)?;
                }
            }),
            _ => None,
        }
    });

    // Mapping to wire parameters.
    let pushes: Vec<TokenStream> = op.params.iter().map(|p| {
        let fid = format_ident!("{}", p.rust);
        let wire = &p.wire;
        let value = match &p.kind {
            ParamKind::String(_) => quote! { v.clone() },
            ParamKind::Integer | ParamKind::Number | ParamKind::Boolean => quote! { ::std::string::ToString::to_string(v) },
            ParamKind::List { encode_items, .. } => quote! { ::aliyun_runtime::validate::join_list(v, #encode_items) },
            ParamKind::Json { .. } => quote! {
                ::aliyun_runtime::serde_json::to_string(v).map_err(|e| {
                    ::aliyun_runtime::ValidationError::new(OPERATION, #wire, ::aliyun_runtime::Rule::Json(e.to_string()))
                })?
            },
        };
        // Members after the first in a precedence group are sent only when no
        // earlier member is set.
        let blockers: Vec<TokenStream> = op
            .groups
            .iter()
            .filter(|g| g.precedence)
            .flat_map(|g| {
                let pos = g.members.iter().position(|m| *m == p.wire);
                match pos {
                    Some(i) => g.members[..i].to_vec(),
                    None => Vec::new(),
                }
            })
            .filter_map(|m| {
                let other = op.params.iter().find(|x| x.wire == m)?;
                let oid = format_ident!("{}", other.rust);
                Some(quote! { self.#oid.is_none() })
            })
            .collect();
        let push = quote! {
            if let ::std::option::Option::Some(v) = &self.#fid {
                params.push((#wire, #value));
            }
        };
        if blockers.is_empty() {
            push
        } else {
            quote! { if #(#blockers)&&* { #push } }
        }
    }).collect();
    // Without parameters, `let mut params` would be an unused `mut`.
    let to_params_body = if pushes.is_empty() {
        quote! { ::std::result::Result::Ok(::std::vec::Vec::new()) }
    } else {
        let n_params = lit(pushes.len());
        quote! {
            let mut params = ::std::vec::Vec::with_capacity(#n_params);
            #(#pushes)*
            ::std::result::Result::Ok(params)
        }
    };

    // Builder setters.
    let setters = op.params.iter().map(|p| {
        let fid = format_ident!("{}", p.rust);
        let set = format_ident!("set_{}", p.rust);
        let d = doc(&param_doc(op, p));
        let set_doc = doc(&format!("Sets or clears `{}`.", p.wire));
        let ty = param_type(p);
        let main = match &p.kind {
            ParamKind::String(_) => quote! {
                #d
                pub fn #fid(mut self, value: impl ::std::convert::Into<::std::string::String>) -> Self {
                    self.input.#fid = ::std::option::Option::Some(value.into());
                    self
                }
            },
            ParamKind::List { .. } => quote! {
                #d
                pub fn #fid<I, S>(mut self, items: I) -> Self
                where
                    I: ::std::iter::IntoIterator<Item = S>,
                    S: ::std::convert::Into<::std::string::String>,
                {
                    self.input.#fid = ::std::option::Option::Some(items.into_iter().map(::std::convert::Into::into).collect());
                    self
                }
            },
            ParamKind::Json { ty: TypeRef::List(item, _), .. } => {
                let item = rust_type(item);
                quote! {
                    #d
                    pub fn #fid<I>(mut self, items: I) -> Self
                    where
                        I: ::std::iter::IntoIterator<Item = #item>,
                    {
                        self.input.#fid = ::std::option::Option::Some(items.into_iter().collect());
                        self
                    }
                }
            }
            _ => quote! {
                #d
                pub fn #fid(mut self, value: #ty) -> Self {
                    self.input.#fid = ::std::option::Option::Some(value);
                    self
                }
            },
        };
        quote! {
            #main
            #set_doc
            pub fn #set(mut self, value: ::std::option::Option<#ty>) -> Self {
                self.input.#fid = value;
                self
            }
        }
    });

    let out_struct = emit_struct(
        model,
        &output.to_string(),
        &format!("Response of `{}`.", op.name),
        &op.output,
    );
    let out_shape = object_shape(&op.output);
    let input_doc = doc(&format!(
        "Input of `{}`. Build it with [`crate::Client::{}`] or fill the fields directly; \
         [`{input}::to_params`] validates it before anything is sent.",
        op.name, op.snake
    ));

    let limits = op.params.iter().filter_map(|p| match &p.kind {
        ParamKind::List {
            max_items: Some(m), ..
        } => {
            let c = max_items_const(p);
            let m = lit(*m);
            let d = doc(&format!("The most items `{}` takes in one call.", p.wire));
            Some(quote! { #d pub const #c: usize = #m; })
        }
        _ => None,
    });

    quote! {
        /// The wire name, as validation errors report it.
        const OPERATION: &str = #action;

        #(#limits)*

        #meta_doc
        pub static META: ::aliyun_runtime::OperationMeta = ::aliyun_runtime::OperationMeta {
            action: OPERATION,
            retry_safe: #retry_safe,
            qps_limit: #qps,
        };

        #input_doc
        #input_derive
        pub struct #input { #(#input_fields,)* }

        #input_debug

        impl #input {
            /// Checks the input against the spec's rules.
            pub fn validate(&self) -> ::std::result::Result<(), ::aliyun_runtime::ValidationError> {
                #(#required)*
                #(#groups)*
                #(#checks)*
                ::std::result::Result::Ok(())
            }

            /// Validates the input and returns its parameters in wire form.
            pub fn to_params(&self) -> ::std::result::Result<::std::vec::Vec<(&'static str, ::std::string::String)>, ::aliyun_runtime::ValidationError> {
                self.validate()?;
                #to_params_body
            }
        }

        impl ::aliyun_runtime::Operation for #input {
            type Output = #output;
            const META: &'static ::aliyun_runtime::OperationMeta = &META;
            fn to_params(&self) -> ::std::result::Result<::std::vec::Vec<(&'static str, ::std::string::String)>, ::aliyun_runtime::ValidationError> {
                #input::to_params(self)
            }
        }

        #out_struct

        /// The response's shape, for XML decoding.
        pub static OUTPUT_SHAPE: ::aliyun_runtime::shape::Shape = #out_shape;

        impl ::aliyun_runtime::Output for #output {
            const SHAPE: &'static ::aliyun_runtime::shape::Shape = &OUTPUT_SHAPE;
        }

        /// Builds and sends one call; get it from the client's method of the same name.
        #[derive(::std::clone::Clone, ::std::fmt::Debug)]
        pub struct #builder {
            client: ::aliyun_runtime::Client,
            input: #input,
        }

        impl #builder {
            /// A builder with no parameters set.
            pub fn new(client: ::aliyun_runtime::Client) -> Self {
                #builder { client, input: ::std::default::Default::default() }
            }

            #(#setters)*

            /// The input built so far.
            pub fn as_input(&self) -> &#input {
                &self.input
            }

            /// Validates the input, then signs, sends (retrying as the operation
            /// allows) and decodes the response.
            pub async fn send(self) -> ::std::result::Result<#output, ::aliyun_runtime::Error> {
                self.client.send(&self.input).await
            }
        }
    }
}

/// `JOB_IDS_MAX_ITEMS` for a list parameter `JobIds`.
fn max_items_const(p: &Param) -> proc_macro2::Ident {
    format_ident!("{}_MAX_ITEMS", names::screaming(&p.wire))
}

/// An unsuffixed literal (`10`, not `10usize`).
fn lit(n: usize) -> Literal {
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
