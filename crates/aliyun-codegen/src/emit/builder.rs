//! The fluent builder of an operation: `client.op().param(x).send()`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::doc;
use super::input::param_type;
use super::rust_type;
use crate::model::{Model, Operation, ParamKind, TypeRef};

/// The builder struct and its setters (each linking to the input field that
/// documents the parameter), `as_input` and `send`.
pub(crate) fn builder_items(model: &Model, op: &Operation) -> TokenStream {
    let input = format_ident!("{}Input", op.pascal);
    let output = format_ident!("{}Output", op.pascal);
    let builder = format_ident!("{}FluentBuilder", op.pascal);
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
            ParamKind::Json { ty: TypeRef::List(item, _), .. }
            | ParamKind::RepeatList { ty: TypeRef::List(item, _), .. } => {
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

    quote! {
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
    }
}
