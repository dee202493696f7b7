//! `check` finds stale, extra and missing generated files and `write` fixes
//! them. (That the repository's own generated code is up to date is checked by
//! xtask, which owns the repository's layout.)

mod common;

use std::path::{Path, PathBuf};

use aliyun_codegen::{check, check_tree, write, Drift};
use common::{copy_files, generate_real_spec, layout, real_spec_dir, CLI_OUT, SDK_OUT, SPEC_DIR};

/// A temporary repository root holding the spec and freshly written output.
fn temp_root() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    copy_files(&real_spec_dir(), &tmp.path().join(SPEC_DIR));
    let files = generate_real_spec();
    let touched =
        write(tmp.path(), &layout(SPEC_DIR), &files).expect("writing the generated files");
    assert_eq!(touched.len(), files.len(), "a fresh root gets every file");
    tmp
}

fn client_rs() -> PathBuf {
    Path::new(SDK_OUT).join("client.rs")
}

#[test]
fn check_reports_a_stale_and_an_extra_file_and_write_fixes_both() {
    let tmp = temp_root();
    let root = tmp.path();
    let l = layout(SPEC_DIR);
    let files = generate_real_spec();
    assert_eq!(check(root, &l, &files).expect("check"), vec![]);
    assert_eq!(check_tree(root, &l), Ok(()));

    let stale = client_rs();
    let extra = Path::new(SDK_OUT).join("removed_operation.rs");
    let mut text = std::fs::read_to_string(root.join(&stale)).expect("client.rs");
    text.push_str("// edited by hand\n");
    std::fs::write(root.join(&stale), text).expect("editing client.rs");
    std::fs::write(root.join(&extra), "// an operation the spec dropped\n").expect("stray file");

    assert_eq!(
        check(root, &l, &files).expect("check"),
        vec![Drift::Stale(stale.clone()), Drift::Extra(extra.clone())]
    );
    let msg = check_tree(root, &l).expect_err("drift must be reported");
    for needle in [
        format!("stale: {}", stale.display()),
        format!("no longer generated: {}", extra.display()),
        "run `cargo xtask codegen`".to_owned(),
    ] {
        assert!(msg.contains(&needle), "{needle:?} missing from:\n{msg}");
    }

    assert_eq!(
        write(root, &l, &files).expect("write"),
        vec![stale, extra.clone()]
    );
    assert!(!root.join(&extra).exists(), "write removes the stray file");
    assert_eq!(check(root, &l, &files).expect("check"), vec![]);
    assert_eq!(
        write(root, &l, &files).expect("write"),
        Vec::<PathBuf>::new()
    );
}

#[test]
fn check_reports_a_missing_file() {
    let tmp = temp_root();
    let root = tmp.path();
    let l = layout(SPEC_DIR);
    let commands = Path::new(CLI_OUT).join("commands.rs");
    std::fs::remove_file(root.join(&commands)).expect("removing commands.rs");
    assert_eq!(
        check(root, &l, &generate_real_spec()).expect("check"),
        vec![Drift::Stale(commands)]
    );
}

#[test]
fn windows_line_endings_are_not_drift() {
    let tmp = temp_root();
    let root = tmp.path();
    let l = layout(SPEC_DIR);
    let path = root.join(client_rs());
    let text = std::fs::read_to_string(&path).expect("client.rs");
    std::fs::write(&path, text.replace('\n', "\r\n")).expect("rewriting client.rs");
    let files = generate_real_spec();
    assert_eq!(check(root, &l, &files).expect("check"), vec![]);
    assert_eq!(
        write(root, &l, &files).expect("write"),
        Vec::<PathBuf>::new()
    );
}
