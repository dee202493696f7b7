//! One module per operation: its input, output and builder, the types only it
//! uses, and its descriptor, the data the runtime's one pipeline runs over. No
//! logic: validation and wire encoding live in the runtime and read the
//! descriptor's parameter table.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::builder::builder_items;
use super::input::{input_items, param_table};
use super::object_shape;
use super::structs::emit_struct;
use super::types::named_types;
use crate::model::{Method, Model, Operation};

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

/// One operation's module.
pub fn operation_module(model: &Model, op: &Operation) -> TokenStream {
    let output = format_ident!("{}Output", op.pascal);
    let action = &op.name;
    let retry_safe = op.retry_safe;
    let anonymous = op.anonymous;
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
    let input = input_items(model, op);
    let (params, groups, lists) = param_table(model, op);
    let out_struct = emit_struct(
        model,
        &output.to_string(),
        &format!("Response of `{}`.", op.name),
        &op.output,
        false,
        false,
    );
    let out_shape = object_shape(model, &op.output);
    let builder = builder_items(model, op);
    let pages = pages_expr(op);
    let regions = &op.regions;
    let (types_alias, own_types) = named_types(model, &op.snake);
    // Shared types are re-exported, so `operation::Type` keeps working when a
    // later operation starts to use the same type and it moves to `types`.
    let mut shared: Vec<_> = crate::model::types_used(op, &model.objects)
        .into_iter()
        .filter(|name| model.home(name) == "types")
        .map(|name| format_ident!("{}", name))
        .collect();
    shared.sort();
    let root = model.root_path();
    let reexports = (!shared.is_empty()).then(|| {
        quote! { pub use #root::generated::types::{#(#shared),*}; }
    });
    let alias = if op.params.is_empty() && op.groups.is_empty() {
        types_alias
    } else {
        quote! { use ::aliyun_runtime::operation as op; }
    };
    quote! {
        #alias

        #reexports

        #input

        #out_struct

        #builder

        /// The operation as data, for the runtime's request pipeline.
        #[doc(hidden)]
        pub static OPERATION: ::aliyun_runtime::Operation = ::aliyun_runtime::Operation {
            action: #action,
            methods: &[#(#methods),*],
            retry_safe: #retry_safe,
            anonymous: #anonymous,
            qps_limit: #qps,
            params: #params,
            groups: #groups,
            output: &#out_shape,
            pages: #pages,
            regions: &[#(#regions),*],
        };

        #lists

        #own_types
    }
}

/// The descriptor's `pages`: how the operation pages, or `None`.
fn pages_expr(op: &Operation) -> TokenStream {
    let Some(p) = &op.pages else {
        return quote! { ::std::option::Option::None };
    };
    let opt = |v: &Option<String>| match v {
        Some(s) => quote! { ::std::option::Option::Some(#s) },
        None => quote! { ::std::option::Option::None },
    };
    let page = &p.page;
    let size = opt(&p.size);
    let items = &p.items;
    let total = opt(&p.total);
    let token = match &p.token {
        Some((i, o)) => quote! { ::std::option::Option::Some((#i, #o)) },
        None => quote! { ::std::option::Option::None },
    };
    quote! {
        ::std::option::Option::Some(&::aliyun_runtime::pages::Pages {
            page: #page,
            size: #size,
            items: &[#(#items),*],
            total: #total,
            token: #token,
        })
    }
}
