//! Emitter for the `vod` CLI: one clap command per operation, and the code that
//! turns its flags into the generated input. Hand-written CLI code (`ops.rs` in
//! vod-cli) supplies `list_arg`, `json_arg` and `Context::run`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::emit::doc;
use crate::model::{Model, Operation, ParamKind};
use crate::names;

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    match line.find(". ") {
        Some(i) => line[..=i].to_owned(),
        None => line.to_owned(),
    }
}

fn command_fn(op: &Operation) -> TokenStream {
    let f = format_ident!("{}_command", op.snake);
    let cmd_name = names::kebab(&op.name);
    let about = first_line(&op.summary);
    let long_about = if op.description.is_empty() {
        format!("{} (API: {})", op.summary, op.name)
    } else {
        format!("{}\n\n{}\n\nAPI: {}", op.summary, op.description, op.name)
    };
    let args = op.params.iter().map(|p| {
        let id = &p.wire;
        // A parameter whose kebab-case name is one of the CLI's own flags (VOD's
        // `Region` vs the global `--region`) keeps only its wire spelling
        // (`--Region`), which is also how the aliyun CLI spells it.
        let kebab = names::kebab(&p.wire);
        let reserved = crate::CLI_RESERVED_FLAGS.contains(&kebab.as_str());
        let long = if reserved { p.wire.clone() } else { kebab };
        let mut help = first_line(&p.doc);
        if p.required {
            help.push_str(" [required]");
        }
        let (value_name, extra) = match &p.kind {
            ParamKind::String(_) => ("VALUE", quote! {}),
            ParamKind::Integer => ("N", quote! { .value_parser(::clap::value_parser!(i64)) }),
            ParamKind::Number => ("X", quote! { .value_parser(::clap::value_parser!(f64)) }),
            ParamKind::Boolean => ("BOOL", quote! { .value_parser(::clap::value_parser!(bool)) }),
            ParamKind::List { max_items, .. } => {
                help.push_str(&format!(
                    " Comma-separated, or repeat the flag for items that contain commas{}.",
                    max_items.map(|m| format!("; at most {m}")).unwrap_or_default()
                ));
                ("ITEM[,ITEM...]", quote! { .action(::clap::ArgAction::Append) })
            }
            ParamKind::Json { .. } => {
                help.push_str(" A JSON value.");
                ("JSON", quote! {})
            }
        };
        // The aliyun CLI spells flags as the wire name (`--JobIds`); accept it too,
        // unless it is the same as the kebab-case spelling.
        let alias = if p.wire != long { quote! { .alias(#id) } } else { quote! {} };
        quote! {
            .arg(::clap::Arg::new(#id).long(#long) #alias .value_name(#value_name).help(#help) #extra)
        }
    });
    let d = doc(&format!("The `{cmd_name}` command."));
    quote! {
        #d
        pub fn #f() -> ::clap::Command {
            ::clap::Command::new(#cmd_name)
                .about(#about)
                .long_about(#long_about)
                #(#args)*
        }
    }
}

fn run_fn(op: &Operation) -> TokenStream {
    let f = format_ident!("run_{}", op.snake);
    let module = format_ident!("{}", op.snake);
    let input = format_ident!("{}Input", op.pascal);
    let fields = op.params.iter().map(|p| {
        let id = &p.wire;
        let fid = format_ident!("{}", p.rust);
        let value = match &p.kind {
            ParamKind::String(_) => {
                quote! { matches.get_one::<::std::string::String>(#id).cloned() }
            }
            ParamKind::Integer => quote! { matches.get_one::<i64>(#id).copied() },
            ParamKind::Number => quote! { matches.get_one::<f64>(#id).copied() },
            ParamKind::Boolean => quote! { matches.get_one::<bool>(#id).copied() },
            ParamKind::List { .. } => quote! { crate::ops::list_arg(matches, #id) },
            ParamKind::Json { .. } => quote! { crate::ops::json_arg(matches, #id)? },
        };
        quote! { #fid: #value }
    });
    let build = if op.params.is_empty() {
        quote! { let input = ::aliyun_vod::#module::#input::default(); }
    } else {
        quote! { let input = ::aliyun_vod::#module::#input { #(#fields,)* }; }
    };
    let d = doc(&format!("Runs `{}` from the command's flags.", op.name));
    quote! {
        #d
        pub async fn #f(matches: &::clap::ArgMatches, ctx: &crate::ops::Context) -> ::std::result::Result<(), crate::ops::CliError> {
            #build
            ctx.run(&input).await
        }
    }
}

/// `crates/vod-cli/src/generated/commands.rs`.
pub fn commands_module(model: &Model) -> TokenStream {
    let command_fns = model.operations.iter().map(command_fn);
    let run_fns = model.operations.iter().map(run_fn);
    let all = model.operations.iter().map(|op| {
        let f = format_ident!("{}_command", op.snake);
        quote! { #f() }
    });
    let arms = model.operations.iter().map(|op| {
        let name = names::kebab(&op.name);
        let f = format_ident!("run_{}", op.snake);
        quote! { #name => ::std::option::Option::Some(#f(matches, ctx).await) }
    });
    quote! {
        /// One command per operation in the spec.
        pub fn commands() -> ::std::vec::Vec<::clap::Command> {
            ::std::vec![#(#all),*]
        }

        /// Runs the operation command `name`; `None` when `name` is not one.
        pub async fn run(name: &str, matches: &::clap::ArgMatches, ctx: &crate::ops::Context) -> ::std::option::Option<::std::result::Result<(), crate::ops::CliError>> {
            match name {
                #(#arms,)*
                _ => ::std::option::Option::None,
            }
        }

        #(#command_fns)*
        #(#run_fns)*
    }
}
