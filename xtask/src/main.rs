//! `cargo xtask`: repository chores. `codegen` regenerates the client and CLI
//! from `spec/`; `codegen --check` fails when checked-in code has drifted.
//! `import` writes spec files from Alibaba's API metadata, keeping curated
//! decisions. `bench-compare` runs our benchmarks and Alibaba's official SDKs
//! side by side, `bench-upload` times local-file uploads against curl and
//! oss2 (see BENCHMARKS.md). `conformance` checks every operation
//! against Alibaba's official Python SDK (CONFORMANCE.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aliyun_codegen::Layout;

mod bench_compare;
mod conformance;
mod import;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["codegen"] => codegen(false),
        ["codegen", "--check"] => codegen(true),
        ["bench-compare", rest @ ..] => bench_compare::main(rest),
        ["bench-upload", rest @ ..] => bench_compare::upload::main(rest),
        ["conformance", rest @ ..] => conformance::main(rest),
        ["import", rest @ ..] => import::main(&repo_root(), &vod_layout().spec_dir, rest),
        _ => {
            eprintln!(
                "usage: cargo xtask codegen [--check]\n       cargo xtask import --metadata FILE (--operation NAME... | --all)\n       cargo xtask bench-compare [--help]\n       cargo xtask bench-upload [--help]\n       cargo xtask conformance [--skip-setup] [--official-src DIR]"
            );
            ExitCode::from(2)
        }
    }
}

/// The repository root (xtask lives one level below it).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
}

/// What `cargo xtask codegen` generates from where: VOD's spec into the SDK
/// crate and the CLI.
fn vod_layout() -> Layout {
    Layout {
        spec_dir: "spec/vod/2017-03-21".into(),
        sdk_out: "crates/aliyun-vod/src/generated".into(),
        cli_out: Some("crates/vod-cli/src/generated".into()),
        module_root: "crate".to_owned(),
        // The `vod` CLI's own long flags: global flags, the waiter's flags and
        // clap's. vod-cli's tests check that every flag it defines is here.
        cli_reserved_flags: [
            "region",
            "endpoint",
            "profile",
            "format",
            "signature",
            "method",
            "timeout",
            "output",
            "dry-run",
            "verbose",
            "rate-limit-redis",
            "wait",
            "interval",
            "max-interval",
            "max-wait",
            "input-json",
            "generate-skeleton",
            "all-pages",
            "help",
            "version",
        ]
        .map(String::from)
        .to_vec(),
    }
}

/// STS (2015-04-01), which the credential providers call: generated into
/// the runtime itself (`aliyun_runtime::sts`), with no CLI.
fn sts_layout() -> Layout {
    Layout {
        spec_dir: "spec/sts/2015-04-01".into(),
        sdk_out: "crates/aliyun-runtime/src/sts/generated".into(),
        cli_out: None,
        module_root: "crate::sts".to_owned(),
        cli_reserved_flags: Vec::new(),
    }
}

fn layouts() -> [Layout; 2] {
    [vod_layout(), sts_layout()]
}

fn codegen(check: bool) -> ExitCode {
    let root = repo_root();
    let mut failed = false;
    for layout in layouts() {
        if !codegen_one(&root, &layout, check) {
            failed = true;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn codegen_one(root: &Path, layout: &Layout, check: bool) -> bool {
    if check {
        return match aliyun_codegen::check_tree(root, layout) {
            Ok(()) => {
                println!(
                    "generated code is up to date with {}",
                    layout.spec_dir.display()
                );
                true
            }
            Err(msg) => {
                eprint!("{msg}");
                false
            }
        };
    }
    let files = match aliyun_codegen::generate(root, layout) {
        Ok(f) => f,
        Err(e) => {
            eprint!("{e}");
            return false;
        }
    };
    match aliyun_codegen::write(root, layout, &files) {
        Ok(touched) if touched.is_empty() => println!(
            "generated code is already up to date with {}",
            layout.spec_dir.display()
        ),
        Ok(touched) => {
            for p in touched {
                println!("wrote {}", p.display());
            }
        }
        Err(e) => {
            eprintln!("{e}");
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    /// The checked-in generated code matches the spec: a plain `cargo test`
    /// fails when the spec was edited without running `cargo xtask codegen`.
    #[test]
    fn generated_code_is_up_to_date() {
        for layout in super::layouts() {
            if let Err(msg) = aliyun_codegen::check_tree(&super::repo_root(), &layout) {
                panic!("{msg}");
            }
        }
    }
}
