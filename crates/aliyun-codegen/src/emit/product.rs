//! The product's endpoints (`product.rs`), one client method per operation
//! (`client.rs`) and the module list (`mod.rs`).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{cfg_operation, doc};
use crate::model::Model;

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
        #[doc(hidden)]
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
    let root = model.root_path();
    let methods = model.operations.iter().map(|op| {
        let method = format_ident!("{}", op.snake);
        let module = format_ident!("{}", op.snake);
        let builder = format_ident!("{}FluentBuilder", op.pascal);
        let d = doc(&format!(
            "`{}`: {}\n\nSet parameters on the returned builder, then call `send()`.",
            op.name, op.summary
        ));
        let cfg = cfg_operation(op);
        quote! {
            #d
            #cfg
            pub fn #method(&self) -> #root::generated::#module::#builder {
                #root::generated::#module::#builder::new(self.runtime().clone())
            }
        }
    });
    quote! {
        impl #root::Client { #(#methods)* }
    }
}

/// `generated/mod.rs`.
pub fn mod_module(model: &Model) -> TokenStream {
    let mods = model.operations.iter().map(|op| {
        let m = format_ident!("{}", op.snake);
        let d = doc(&super::operation::operation_doc(op));
        let cfg = cfg_operation(op);
        quote! { #d #cfg pub mod #m; }
    });
    let types = model.has_shared_types().then(|| {
        quote! {
            /// Enums and objects shared by several operations (a type only one
            /// operation uses lives in that operation's module).
            pub mod types;
        }
    });
    let registry = model.operations.iter().map(|op| {
        let m = format_ident!("{}", op.snake);
        let cfg = cfg_operation(op);
        quote! { #cfg &#m::OPERATION }
    });
    quote! {
        /// Every operation this build compiles in (see the crate's features), as
        /// data: for tools that treat all operations alike (an emulator, a
        /// conformance check).
        pub static OPERATIONS: &[&::aliyun_runtime::Operation] = &[#(#registry),*];
        /// Methods on [`crate::Client`], one per operation.
        pub mod client;
        #[doc(hidden)]
        pub mod product;
        #types
        #(#mods)*
    }
}
