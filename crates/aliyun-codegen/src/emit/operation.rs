//! One module per operation: the typed input (each parameter documented once,
//! on its field), the output, the fluent builder, and the operation's
//! descriptor, the data the runtime's one pipeline runs over. No logic:
//! validation and wire encoding live in the runtime and read the descriptor's
//! parameter table.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::types::{
    contains_float, debug_impl, derives, emit_struct, field_ty, fields_ident, named_types,
};
use super::{doc, lit, object_shape, rust_type, string_ty, type_item_path};
use crate::model::{Method, Model, Operation, Param, ParamKind, StringRules, TypeRef};
use crate::names;

fn param_type(model: &Model, p: &Param) -> TokenStream {
    match &p.kind {
        ParamKind::String(_) => string_ty(),
        ParamKind::Integer => quote! { i64 },
        ParamKind::Number => quote! { f64 },
        ParamKind::Boolean => quote! { bool },
        ParamKind::List { .. } => quote! { ::std::vec::Vec<::std::string::String> },
        ParamKind::Json { ty, .. } => rust_type(model, ty),
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

/// The operation's documentation, on its module (see `product::mod_module`).
pub fn operation_doc(op: &Operation) -> String {
    let mut text = format!("`{}`: {}", op.name, op.summary);
    if !op.description.is_empty() {
        text.push_str("\n\n");
        text.push_str(&op.description);
    }
    text.push_str(&format!(
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
    text
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
            item,
            min_items,
            max_items,
            encode_items,
        } => {
            let item = string_rules(item, true);
            let min = lit(*min_items);
            let max = max_items.map(|_| {
                let c = max_items_const(p);
                quote! { .max_items(#c) }
            });
            let encoded = encode_items.then(|| quote! { .items_encoded() });
            let list = quote! {
                static #list_id: op::ListRules =
                    op::ListRules::of(op::Ty::String(#item)).min_items(#min) #max #encoded;
            };
            (quote! { op::Ty::List(&#list_id) }, None, Some(list))
        }
        ParamKind::Json { ty, max_items } => {
            let style = Some(quote! { .style(op::Style::Json) });
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
                TypeRef::Object(name) => {
                    let path = type_item_path(model, name, &fields_ident(name));
                    (quote! { op::Ty::Object(&#path) }, style, None)
                }
                _ => (quote! { op::Ty::Any }, style, None),
            }
        }
    };
    let name = &p.wire;
    let required = p.required.then(|| quote! { .required() });
    (quote! { op::Param::new(#name, #ty) #required #style }, list)
}

/// One operation's module.
pub fn operation_module(model: &Model, op: &Operation) -> TokenStream {
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
    let methods = op.methods.iter().map(|m| match m {
        Method::Get => quote! { ::aliyun_runtime::HttpMethod::Get },
        Method::Post => quote! { ::aliyun_runtime::HttpMethod::Post },
    });

    // Input: one documented field per parameter, serialised by wire name.
    let input_fields = op.params.iter().map(|p| {
        let fid = format_ident!("{}", p.rust);
        let ty = param_type(model, p);
        let d = doc(&param_doc(op, p));
        let wire = &p.wire;
        quote! {
            #d
            #[serde(rename = #wire, skip_serializing_if = "::std::option::Option::is_none")]
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
        ParamKind::Json { ty, .. } => contains_float(model, ty),
        _ => false,
    });
    let mut input_derive = derives(!sensitive_input, !input_float, false);
    input_derive.extend(quote! { #[derive(::serde::Serialize)] });
    let input_doc = doc(&format!(
        "Input of `{}`. Build it with [`crate::Client::{}`] or fill the fields directly; \
         the rules of each parameter are checked before anything is sent.",
        op.name, op.snake
    ));

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

    // Builder: setters point at the field's documentation.
    let setters = op.params.iter().map(|p| {
        let fid = format_ident!("{}", p.rust);
        let set = format_ident!("set_{}", p.rust);
        let d = doc(&format!("Sets [`{input}::{}`] (`{}`).", p.rust, p.wire));
        let set_doc = doc(&format!("Sets or clears [`{input}::{}`].", p.rust));
        let ty = param_type(model, p);
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
                let item = rust_type(model, item);
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
    let out_shape = object_shape(model, &op.output);
    let (types_alias, own_types) = named_types(model, &op.snake);
    let alias = if op.params.is_empty() && op.groups.is_empty() {
        types_alias
    } else {
        quote! { use ::aliyun_runtime::operation as op; }
    };

    quote! {
        #alias

        #(#limits)*

        #input_doc
        #input_derive
        pub struct #input { #(#input_fields,)* }

        #input_debug

        impl #input {
            /// Checks the input against the operation's rules without sending it.
            pub fn validate(&self) -> ::std::result::Result<(), ::aliyun_runtime::ValidationError> {
                ::aliyun_runtime::params::encode_input(&OPERATION, self).map(::std::mem::drop)
            }
        }

        #out_struct

        /// Builds and sends one call; get it from the client's method of the same name.
        #[derive(::std::clone::Clone, ::std::fmt::Debug)]
        pub struct #builder {
            client: ::aliyun_runtime::Client,
            input: #input,
        }

        impl #builder {
            #[doc(hidden)]
            pub fn new(client: ::aliyun_runtime::Client) -> Self {
                #builder { client, input: ::std::default::Default::default() }
            }

            #(#setters)*

            /// The input built so far.
            pub fn as_input(&self) -> &#input {
                &self.input
            }

            /// Checks the input against the operation's rules, then signs,
            /// sends (retrying as the operation allows) and decodes the response.
            pub async fn send(self) -> ::std::result::Result<#output, ::aliyun_runtime::Error> {
                self.client.send(&OPERATION, &self.input).await
            }
        }

        /// The operation as data, for the runtime's request pipeline.
        #[doc(hidden)]
        pub static OPERATION: ::aliyun_runtime::Operation = ::aliyun_runtime::Operation {
            action: #action,
            methods: &[#(#methods),*],
            retry_safe: #retry_safe,
            qps_limit: #qps,
            params: &[#(#entries),*],
            groups: &[#(#groups),*],
            output: &#out_shape,
            output_json: ::aliyun_runtime::decode::typed_json::<#output>,
        };

        #(#lists)*

        #own_types
    }
}
