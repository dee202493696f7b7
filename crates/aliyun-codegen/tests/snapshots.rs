//! Snapshot tests: every file the generator emits for each fixture spec (one
//! per feature of the format), checked against the committed snapshots in
//! `tests/snapshots/`. The real spec's output is pinned by the drift check
//! (`cargo xtask codegen --check`), not copied here.
//!
//! After an intended change to the generator, review the new output and rewrite
//! the snapshots with `INSTA_UPDATE=always cargo test -p aliyun-codegen --test
//! snapshots` (or `cargo insta review`). CI runs with `INSTA_UPDATE=no`, so a
//! changed snapshot fails, and `no_unreferenced_snapshots` fails on a snapshot
//! that no test produces any more.

mod common;

use std::collections::BTreeSet;

use aliyun_codegen::Files;
use common::{fixture_names, generate_fixture, snapshot_name};

fn assert_files(case: &str, files: &Files) {
    for (rel, text) in files {
        insta::with_settings!({
            description => rel.display().to_string(),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(snapshot_name(case, rel), text);
        });
    }
}

macro_rules! fixture_tests {
    ($($name:ident),* $(,)?) => {
        /// The fixtures with a test; `every_fixture_has_a_test` keeps this list
        /// equal to the folders in `tests/fixtures`.
        const FIXTURES: &[&str] = &[$(stringify!($name)),*];
        $(
            #[test]
            fn $name() {
                let case = stringify!($name);
                assert_files(case, &generate_fixture(case));
            }
        )*
    };
}

fixture_tests!(
    array_of_objects,
    features,
    list_limit,
    nested_object,
    number_as_string,
    one_of_group,
    open_enum,
    repeat_list,
    sensitive_field,
    xml_list_wrapper,
);

#[test]
fn every_fixture_has_a_test() {
    assert_eq!(
        fixture_names(),
        FIXTURES,
        "tests/fixtures and fixture_tests! in tests/snapshots.rs differ"
    );
}

/// Every `.snap` file must be one these tests write: a fixture or a generated
/// file that no longer exists leaves a stale snapshot behind, which would
/// otherwise pass unnoticed.
#[test]
fn no_unreferenced_snapshots() {
    let mut expected = BTreeSet::new();
    let cases = fixture_names().into_iter().map(|name| {
        let files = generate_fixture(&name);
        (name, files)
    });
    for (case, files) in cases {
        for rel in files.keys() {
            // insta names a snapshot file `<test file>__<snapshot name>.snap`.
            expected.insert(format!("snapshots__{}.snap", snapshot_name(&case, rel)));
        }
    }
    let dir = common::crate_dir().join("tests/snapshots");
    let mut stray = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let name = entry.expect("directory entry").file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".snap") && !expected.contains(name.as_ref()) {
            stray.push(name.into_owned());
        }
    }
    stray.sort();
    assert!(
        stray.is_empty(),
        "snapshots that no test produces (delete them from {}):\n  {}",
        dir.display(),
        stray.join("\n  ")
    );
}
