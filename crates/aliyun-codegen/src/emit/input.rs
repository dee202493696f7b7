//! The typed input of an operation: one field per parameter, documented once
//! (the builder's setters link here), serialised by wire name for the
//! runtime's encoder; and the parameter table that encoder reads.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::structs::{contains_float, debug_impl, derives, Serde};
use super::types::{field_ty, object_ty};
use super::{doc, lit, rust_type, string_ty};
use crate::model::{ItemType, Model, Operation, Param, ParamKind, StringRules, TypeRef};
use crate::names;

pub(crate) fn param_type(model: &Model, p: &Param) -> TokenStream {
    match &p.kind {
        ParamKind::String(r) => text_type(model, r),
        ParamKind::Integer => quote! { i64 },
        ParamKind::Number => quote! { f64 },
        ParamKind::Boolean => quote! { bool },
        ParamKind::List { item_ty, item, .. } => {
            let item = list_item_type(model, *item_ty, item);
            quote! { ::std::vec::Vec<#item> }
        }
        ParamKind::Json { ty, .. } | ParamKind::RepeatList { ty, .. } => rust_type(model, ty),
    }
}

/// A text value's type: its open enum when it has one, else `String`.
pub(crate) fn text_type(model: &Model, rules: &StringRules) -> TokenStream {
    match &rules.enum_name {
        Some(name) => rust_type(model, &TypeRef::Enum(name.clone())),
        None => string_ty(),
    }
}

/// The Rust type of a `simple` list's items.
pub(crate) fn list_item_type(model: &Model, item_ty: ItemType, rules: &StringRules) -> TokenStream {
    match item_ty {
        ItemType::Text => text_type(model, rules),
        ItemType::Integer => quote! { i64 },
        ItemType::Number => quote! { f64 },
        ItemType::Boolean => quote! { bool },
    }
}

/// The one place a parameter is documented: its input field.
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
            separator,
            ..
        } => {
            let joined = if *separator == '\n' {
                "newline-separated"
            } else {
                "comma-separated"
            };
            let mut n = format!("Sent as a {joined} list of {min_items}");
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
        ParamKind::RepeatList { .. } => notes.push(format!(
            "Sent as numbered parameters: `{0}.1`, `{0}.2`, ... for list items, `{0}.1.Key` for their fields.",
            p.wire
        )),
        _ => {}
    }
    for g in op.groups.iter().filter(|g| g.members.contains(&p.wire)) {
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

fn string_rules(r: &StringRules, no_control: bool) -> TokenStream {
    let mut t = quote! { op::StringRules::ANY };
    if let Some(m) = r.max_length {
        let m = lit(m);
        t = quote! { #t.max_length(#m) };
    }
    if r.http_url {
        t = quote! { #t.http_url() };
    } else if no_control {
        t = quote! { #t.no_control() };
    }
    if r.json {
        t = quote! { #t.json() };
    }
    if !r.allowed.is_empty() {
        let allowed = &r.allowed;
        t = quote! { #t.allowed(&[#(#allowed),*]) };
    }
    t
}

/// `JOB_IDS_MAX_ITEMS` for a list parameter `JobIds`.
fn max_items_const(p: &Param) -> proc_macro2::Ident {
    format_ident!("{}_MAX_ITEMS", names::screaming(&p.wire))
}

/// The parameter's entry in the descriptor's table, and any list rules it
/// refers to (a `static` of its own).
fn param_entry(model: &Model, p: &Param) -> (TokenStream, Option<TokenStream>) {
    let list_id = format_ident!("{}_LIST", names::screaming(&p.wire));
    let (ty, style, list) = match &p.kind {
        ParamKind::String(r) => {
            let rules = string_rules(r, r.http_url);
            (quote! { op::Ty::String(#rules) }, None, None)
        }
        ParamKind::Integer => (quote! { op::Ty::Integer }, None, None),
        ParamKind::Number => (quote! { op::Ty::Number }, None, None),
        ParamKind::Boolean => (quote! { op::Ty::Boolean }, None, None),
        ParamKind::List {
            item_ty,
            item,
            min_items,
            max_items,
            encode_items,
            separator,
        } => {
            let item = match item_ty {
                ItemType::Text => {
                    let rules = string_rules(item, true);
                    quote! { op::Ty::String(#rules) }
                }
                ItemType::Integer => quote! { op::Ty::Integer },
                ItemType::Number => quote! { op::Ty::Number },
                ItemType::Boolean => quote! { op::Ty::Boolean },
            };
            let sep = (*separator != ',').then(|| quote! { .separator(#separator) });
            let min = lit(*min_items);
            let max = max_items.map(|_| {
                let c = max_items_const(p);
                quote! { .max_items(#c) }
            });
            let encoded = encode_items.then(|| quote! { .items_encoded() });
            let list = quote! {
                static #list_id: op::ListRules =
                    op::ListRules::of(#item).min_items(#min) #max #encoded #sep;
            };
            (quote! { op::Ty::List(&#list_id) }, None, Some(list))
        }
        ParamKind::Json { ty, max_items } | ParamKind::RepeatList { ty, max_items } => {
            let style = Some(if matches!(p.kind, ParamKind::Json { .. }) {
                quote! { .style(op::Style::Json) }
            } else {
                quote! { .style(op::Style::RepeatList) }
            });
            match ty {
                TypeRef::List(item, _) => {
                    let item = field_ty(model, item, None);
                    let max = max_items.map(|m| {
                        let m = lit(m);
                        quote! { .max_items(#m) }
                    });
                    let list = quote! {
                        static #list_id: op::ListRules = op::ListRules::of(#item).min_items(0) #max;
                    };
                    (quote! { op::Ty::List(&#list_id) }, style, Some(list))
                }
                TypeRef::Object(name) => (object_ty(model, name), style, None),
                _ => (quote! { op::Ty::Any }, style, None),
            }
        }
    };
    let name = &p.wire;
    let required = p.required.then(|| quote! { .required() });
    let sensitive = p.sensitive.then(|| quote! { .sensitive() });
    (
        quote! { op::Param::new(#name, #ty) #required #style #sensitive },
        list,
    )
}

/// The input struct, its limits, its redacting `Debug` when a parameter is
/// sensitive, and `validate()`.
pub(crate) fn input_items(model: &Model, op: &Operation) -> TokenStream {
    let input = format_ident!("{}Input", op.pascal);
    // Input: one documented field per parameter, serialised by wire name.
    let input_fields = op.params.iter().map(|p| {
        let fid = format_ident!("{}", p.rust);
        let ty = param_type(model, p);
        let d = doc(&param_doc(op, p));
        let wire = &p.wire;
        quote! {
            #d
            #[serde(rename = #wire, default, skip_serializing_if = "::std::option::Option::is_none")]
            pub #fid: ::std::option::Option<#ty>
        }
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
        ParamKind::Json { ty, .. } | ParamKind::RepeatList { ty, .. } => contains_float(model, ty),
        _ => false,
    });
    let input_derive = derives(!sensitive_input, !input_float, Serde::Both);
    let input_doc = doc(&format!(
        "Input of `{}`. Build it with [`{}::Client::{}`], fill the fields directly, \
         or deserialize it from a JSON object keyed by the API's parameter names (lists \
         as arrays); the rules of each parameter are checked before anything is sent.",
        op.name, model.root, op.snake
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
        #(#limits)*

        #input_doc
        #input_derive
        #[serde(deny_unknown_fields)]
        pub struct #input { #(#input_fields,)* }

        #input_debug

        impl #input {
            /// Checks the input against the operation's rules without sending it.
            pub fn validate(&self) -> ::std::result::Result<(), ::aliyun_runtime::ValidationError> {
                ::aliyun_runtime::params::encode_input(&OPERATION, self).map(::std::mem::drop)
            }
        }
    }
}

/// The descriptor's parameter table and group list, and the `static` list
/// rules the table refers to.
pub(crate) fn param_table(
    model: &Model,
    op: &Operation,
) -> (TokenStream, TokenStream, TokenStream) {
    // The descriptor's parameter table.
    let mut lists = Vec::new();
    let entries: Vec<TokenStream> = op
        .params
        .iter()
        .map(|p| {
            let (entry, list) = param_entry(model, p);
            lists.extend(list);
            entry
        })
        .collect();
    let groups = op.groups.iter().map(|g| {
        let members = &g.members;
        let precedence = g.precedence;
        quote! { op::Group { members: &[#(#members),*], precedence: #precedence } }
    });

    (
        quote! { &[#(#entries),*] },
        quote! { &[#(#groups),*] },
        quote! { #(#lists)* },
    )
}
