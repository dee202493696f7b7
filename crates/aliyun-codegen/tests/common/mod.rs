//! Helpers shared by the generator's integration tests: where the fixtures are,
//! how their generated files are named in snapshots, small file utilities.
#![allow(dead_code)] // each test crate uses a different part

use std::path::{Path, PathBuf};

use aliyun_codegen::{Files, Layout};

/// Where a test layout puts the client's files, relative to the root.
pub const SDK_OUT: &str = "sdk/generated";
/// Where a test layout puts the CLI's command table.
pub const CLI_OUT: &str = "cli/generated";
/// The real spec, relative to the repository root.
pub const SPEC_DIR: &str = "spec/vod/2017-03-21";

/// The layout the tests generate with: the spec in `spec_dir` (relative to
/// the root handed to `generate`), output in the test folders.
pub fn layout(spec_dir: &str) -> Layout {
    Layout {
        spec_dir: spec_dir.into(),
        sdk_out: SDK_OUT.into(),
        cli_out: Some(CLI_OUT.into()),
        module_root: "crate".to_owned(),
        cli_reserved_flags: ["region", "help", "version", "wait"]
            .map(String::from)
            .to_vec(),
    }
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    crate_dir().join("../..")
}

/// This crate's directory.
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/fixtures`: one small spec directory per feature of the format.
pub fn fixtures_dir() -> PathBuf {
    crate_dir().join("tests/fixtures")
}

/// The fixture names (directory names), sorted.
pub fn fixture_names() -> Vec<String> {
    subdirs(&fixtures_dir())
}

/// The names of the directories in `dir`, sorted.
pub fn subdirs(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry"))
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The label a fixture's files name as their source.
pub fn fixture_label(name: &str) -> String {
    format!("fixtures/{name}")
}

/// Generates every file of a fixture, failing with the generator's message.
pub fn generate_fixture(name: &str) -> Files {
    aliyun_codegen::generate(&crate_dir().join("tests"), &layout(&fixture_label(name)))
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// The real spec's directory.
pub fn real_spec_dir() -> PathBuf {
    repo_root().join(SPEC_DIR)
}

/// Generates every file of the real spec, labelled as `cargo xtask codegen` does.
pub fn generate_real_spec() -> Files {
    aliyun_codegen::generate(&repo_root(), &layout(SPEC_DIR))
        .unwrap_or_else(|e| panic!("{SPEC_DIR}: {e}"))
}

/// The snapshot name of one generated file of `case` (a fixture name, or
/// `real_spec`): `case__vod_<stem>` for the client's files and
/// `case__cli_<stem>` for the CLI's, so an operation named `Commands` cannot
/// collide with the CLI's `commands.rs`.
pub fn snapshot_name(case: &str, rel: &Path) -> String {
    let stem = rel
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let side = if rel.starts_with(SDK_OUT) {
        "vod"
    } else if rel.starts_with(CLI_OUT) {
        "cli"
    } else {
        panic!("{} is in neither generated folder", rel.display())
    };
    format!("{case}__{side}_{stem}")
}

/// Copies the files (not subdirectories) of `from` into `to`, creating it.
pub fn copy_files(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let path = entry.expect("directory entry").path();
        if path.is_file() {
            let dest = to.join(path.file_name().expect("a file name"));
            std::fs::copy(&path, &dest).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
}
