//! Named types: the shared `generated/types.rs`, and for any module the enums
//! and objects that live there, each object with its XML shape and, when it
//! travels in a request, its parameter table.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::enums::emit_enum;
use super::structs::emit_struct;
use super::{doc, lit, object_shape, shape_ident, type_item_path};
use crate::model::{Model, ObjectType, ParamKind, TypeRef};
use crate::names;

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
    // Shared types are compiled when an operation using them is; a type in
    // an operation's module goes with the module.
    let cfg = |name: &str| {
        if module == "types" {
            super::cfg_features(model.type_features(name).as_deref())
        } else {
            quote! {}
        }
    };
    let enums = model
        .enums
        .values()
        .filter(|e| model.home(&e.name) == module)
        .map(|e| super::each_item(cfg(&e.name), emit_enum(e)));
    let mut tables = false;
    let objects: Vec<TokenStream> = model
        .objects
        .values()
        .filter(|o| model.home(&o.name) == module)
        .map(|o| {
            let request = request_objects.contains(&o.name);
            let s = emit_struct(model, &o.name, &o.doc, &o.fields, request, o.open);
            let shape_id = shape_ident(&o.name);
            let shape = object_shape(model, &o.fields);
            let table = if request {
                tables = true;
                object_table(model, o)
            } else {
                quote! {}
            };
            super::each_item(
                cfg(&o.name),
                quote! {
                    #s
                    #[doc(hidden)]
                    pub static #shape_id: ::aliyun_runtime::shape::Shape = #shape;
                    #table
                },
            )
        })
        .collect();
    let alias = if tables {
        // Unused when the features of every table's operations are off.
        quote! { #[allow(unused_imports)] use ::aliyun_runtime::operation as op; }
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
        TypeRef::Json => quote! { op::Ty::Any },
        TypeRef::Object(name) => object_ty(model, name),
        // A list inside a list has no table of its own: checked as JSON only.
        TypeRef::List(..) => quote! { op::Ty::Any },
    }
}

/// The runtime type of a request object: its table, open or not.
pub(crate) fn object_ty(model: &Model, name: &str) -> TokenStream {
    let path = type_item_path(model, name, &fields_ident(name));
    if model.objects.get(name).is_some_and(|o| o.open) {
        quote! { op::Ty::OpenObject(&#path) }
    } else {
        quote! { op::Ty::Object(&#path) }
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
            if let ParamKind::Json { ty, .. } | ParamKind::RepeatList { ty, .. } = &p.kind {
                walk(ty, model, &mut out);
            }
        }
    }
    out
}
