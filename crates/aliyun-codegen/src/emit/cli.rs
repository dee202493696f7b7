//! The CLI's command table: one entry per operation (name, help, flags, the
//! operation's descriptor, what `--wait` waits for). Data only: the CLI's
//! hand-written `command` module builds the clap commands from it and runs
//! every operation through one path.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::model::{Model, Operation, ParamKind, WaitIds};
use crate::names;

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    match line.find(". ") {
        Some(i) => line[..=i].to_owned(),
        None => line.to_owned(),
    }
}

fn entry(model: &Model, op: &Operation, reserved: &[String]) -> TokenStream {
    let name = names::kebab(&op.name);
    let about = first_line(&op.summary);
    let long_about = if op.description.is_empty() {
        format!("{} (API: {})", op.summary, op.name)
    } else {
        format!("{}\n\n{}\n\nAPI: {}", op.summary, op.description, op.name)
    };
    let module = format_ident!("{}", op.snake);
    let flags = op.params.iter().map(|p| {
        let param = &p.wire;
        // A parameter whose kebab-case name is one of the CLI's own flags (VOD's
        // `Region` vs the global `--region`) keeps only its wire spelling
        // (`--Region`), which is also how the aliyun CLI spells it.
        let kebab = names::kebab(&p.wire);
        let long = if reserved.contains(&kebab) {
            p.wire.clone()
        } else {
            kebab
        };
        let mut help = first_line(&p.doc);
        if p.required {
            help.push_str(" [required]");
        }
        // An open enum's known values (any other value is still sent).
        let known = match &p.kind {
            ParamKind::String(r) | ParamKind::List { item: r, .. } => r
                .enum_name
                .as_ref()
                .and_then(|n| model.enums.get(n))
                .map(|e| {
                    e.values
                        .iter()
                        .map(|(wire, _, _)| wire.as_str())
                        .collect::<Vec<_>>()
                }),
            _ => None,
        };
        if let Some(values) = &known {
            help.push_str(&format!(" Known values: {}.", values.join(", ")));
        }
        let kind = match &p.kind {
            ParamKind::List {
                max_items,
                separator: '\n',
                ..
            } => {
                help.push_str(&format!(
                    " Newline-separated, or repeat the flag{}.",
                    max_items
                        .map(|m| format!("; at most {m}"))
                        .unwrap_or_default()
                ));
                quote! { List }
            }
            ParamKind::List { max_items, .. } => {
                help.push_str(&format!(
                    " Comma-separated, or repeat the flag for items that contain commas{}.",
                    max_items
                        .map(|m| format!("; at most {m}"))
                        .unwrap_or_default()
                ));
                quote! { List }
            }
            ParamKind::Json { .. } | ParamKind::RepeatList { .. } => {
                help.push_str(" A JSON value, @FILE, or - for standard input.");
                quote! { Json }
            }
            _ => quote! { Value },
        };
        let example = p
            .example
            .as_deref()
            .or_else(|| known.as_ref().and_then(|v| v.first().copied()))
            .unwrap_or("");
        quote! {
            crate::command::Flag {
                param: #param,
                long: #long,
                help: #help,
                kind: crate::command::FlagKind::#kind,
                example: #example,
            }
        }
    });
    let wait = match &op.wait {
        None => quote! { ::std::option::Option::None },
        Some(w) => {
            let poll = format_ident!("{}", names::snake(&w.poll));
            let ids = match &w.ids {
                WaitIds::Input => quote! { crate::command::WaitIds::Input },
                WaitIds::Output { list, field } => {
                    quote! { crate::command::WaitIds::Output { list: #list, field: #field } }
                }
            };
            quote! {
                ::std::option::Option::Some(crate::command::Wait {
                    poll: &::aliyun_vod::#poll::OPERATION,
                    ids: #ids,
                })
            }
        }
    };
    quote! {
        crate::command::CommandSpec {
            name: #name,
            about: #about,
            long_about: #long_about,
            operation: &::aliyun_vod::#module::OPERATION,
            flags: &[#(#flags),*],
            wait: #wait,
        }
    }
}

/// The CLI's `generated/commands.rs`. `reserved` are the CLI's own long flags.
pub fn commands_module(model: &Model, reserved: &[String]) -> TokenStream {
    let entries = model.operations.iter().map(|op| {
        let cfg = super::cfg_operation(op);
        let e = entry(model, op, reserved);
        quote! { #cfg #e }
    });
    quote! {
        /// One command per operation in the spec.
        pub static COMMANDS: &[crate::command::CommandSpec] = &[#(#entries),*];

        /// The CLI's own long flags, which no parameter's flag may take (the
        /// CLI's tests check its flags against them).
        #[cfg(test)]
        pub const RESERVED_FLAGS: &[&str] = &[#(#reserved),*];
    }
}
