//! `cargo xtask`: repository chores. `codegen` regenerates the client and CLI
//! from `spec/`; `codegen --check` fails when checked-in code has drifted.
//! `bench-compare` runs our benchmarks and Alibaba's official SDKs side by side
//! (see BENCHMARKS.md).

use std::process::ExitCode;

mod bench_compare;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["codegen"] => codegen(false),
        ["codegen", "--check"] => codegen(true),
        ["bench-compare", rest @ ..] => bench_compare::main(rest),
        _ => {
            eprintln!(
                "usage: cargo xtask codegen [--check]\n       cargo xtask bench-compare [--help]"
            );
            ExitCode::from(2)
        }
    }
}

fn codegen(check: bool) -> ExitCode {
    let root = aliyun_codegen::repo_root();
    if check {
        return match aliyun_codegen::check_repo(&root) {
            Ok(()) => {
                println!(
                    "generated code is up to date with {}",
                    aliyun_codegen::SPEC_DIR
                );
                ExitCode::SUCCESS
            }
            Err(msg) => {
                eprint!("{msg}");
                ExitCode::FAILURE
            }
        };
    }
    let files = match aliyun_codegen::generate(
        &root.join(aliyun_codegen::SPEC_DIR),
        aliyun_codegen::SPEC_DIR,
    ) {
        Ok(f) => f,
        Err(e) => {
            eprint!("{e}");
            return ExitCode::FAILURE;
        }
    };
    match aliyun_codegen::write(&root, &files) {
        Ok(touched) if touched.is_empty() => println!("generated code is already up to date"),
        Ok(touched) => {
            for p in touched {
                println!("wrote {}", p.display());
            }
        }
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
