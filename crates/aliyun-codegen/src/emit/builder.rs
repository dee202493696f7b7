//! The fluent builder of an operation: `client.op().param(x).send()`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::doc;
use super::input::{list_item_type, param_type, text_type};
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
            ParamKind::String(rules) => {
                let text = text_type(model, rules);
                quote! {
                    #d
                    pub fn #fid(mut self, value: impl ::std::convert::Into<#text>) -> Self {
                        self.input.#fid = ::std::option::Option::Some(value.into());
                        self
                    }
                }
            }
            ParamKind::List { item_ty, item, .. } => {
                let text = list_item_type(model, *item_ty, item);
                quote! {
                #d
                pub fn #fid<I, S>(mut self, items: I) -> Self
                where
                    I: ::std::iter::IntoIterator<Item = S>,
                    S: ::std::convert::Into<#text>,
                {
                    self.input.#fid = ::std::option::Option::Some(items.into_iter().map(::std::convert::Into::into).collect());
                    self
                }
                }
            }
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

    let paging = paging_items(model, op, &output);
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

            #paging
        }
    }
}

/// `into_pages()` and `into_items()` for an operation that pages.
fn paging_items(model: &Model, op: &Operation, output: &proc_macro2::Ident) -> TokenStream {
    let (Some(pages), Some(item)) = (&op.pages, model.page_item(op)) else {
        return quote! {};
    };
    let item = super::rust_type(model, &item);
    let page_doc = doc(&format!(
        "Every page of the call, in order, one request each: `{}` counts up from the one set (or 1) until a page is empty{}{}{}. Each page is checked and sent as `send()` sends it; after an error the stream ends.",
        pages.page,
        pages.size.as_ref().map(|s| format!(", shorter than the `{s}` set")).unwrap_or_default(),
        pages.total.as_ref().map(|t| format!(", or `{t}` items have come")).unwrap_or_default(),
        pages.token.as_ref().map(|(i, o)| format!("; `{o}` of each page is sent back as `{i}`, and a page without one is the last")).unwrap_or_default(),
    ));
    let items_doc = doc(&format!(
        "Every item of every page (`{}`), in order: [`Self::into_pages`] flattened.",
        pages.items.join(".")
    ));
    quote! {
        #page_doc
        pub fn into_pages(self) -> impl ::aliyun_runtime::pages::Stream<Item = ::std::result::Result<#output, ::aliyun_runtime::Error>> + ::std::marker::Send {
            ::aliyun_runtime::pages::typed_pages(self.client.paginate(&OPERATION, &self.input))
        }

        #items_doc
        pub fn into_items(self) -> impl ::aliyun_runtime::pages::Stream<Item = ::std::result::Result<#item, ::aliyun_runtime::Error>> + ::std::marker::Send {
            ::aliyun_runtime::pages::typed_items(self.client.paginate(&OPERATION, &self.input))
        }
    }
}
