//! Generating is a pure function of the spec's content: the same bytes every
//! time, whatever order the files were written in on disk and however their JSON
//! is laid out (key order, whitespace).

mod common;

use std::path::Path;

use aliyun_codegen::{generate, Files};
use common::{
    fixture_label, fixture_names, fixtures_dir, generate_real_spec, layout, real_spec_dir, SPEC_DIR,
};
use serde_json::Value;

#[test]
fn generating_the_real_spec_twice_gives_identical_bytes() {
    let first = generate_real_spec();
    let second = generate_real_spec();
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (path, text) in &first {
        assert!(
            text.as_bytes() == second[path].as_bytes(),
            "{} differs between two runs",
            path.display()
        );
    }
}

/// JSON with every object's keys in reverse order and a different layout from
/// the original files.
fn write_reversed(v: &Value, out: &mut String, depth: usize) {
    let pad = "\t".repeat(depth + 1);
    match v {
        Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().rev().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                out.push_str(&pad);
                out.push_str(&serde_json::to_string(k).expect("a key"));
                out.push_str(" :  ");
                write_reversed(x, out, depth + 1);
            }
            out.push_str(" }");
        }
        Value::Array(xs) => {
            out.push_str("[ ");
            for (i, x) in xs.iter().enumerate() {
                if i > 0 {
                    out.push_str(" ,\n");
                    out.push_str(&pad);
                }
                write_reversed(x, out, depth + 1);
            }
            out.push_str(" ]");
        }
        scalar => out.push_str(&serde_json::to_string(scalar).expect("a value")),
    }
}

/// Copies a spec directory, writing the files in reverse name order with their
/// JSON re-laid-out, and generates from the copy.
fn generate_from_shuffled_copy(dir: &Path, label: &str) -> Files {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let spec = tmp.path().join(label);
    std::fs::create_dir_all(&spec).expect("the copy's directory");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .expect("spec directory")
        .map(|e| e.expect("directory entry").file_name())
        .filter(|name| dir.join(name).is_file())
        .collect();
    names.sort();
    for name in names.iter().rev() {
        let text = std::fs::read_to_string(dir.join(name)).expect("a spec file");
        let value: Value = serde_json::from_str(&text).expect("spec JSON");
        let mut out = String::new();
        write_reversed(&value, &mut out, 0);
        assert_ne!(out, text, "the copy must be laid out differently");
        std::fs::write(spec.join(name), out).expect("writing the copy");
    }
    generate(tmp.path(), &layout(label)).unwrap_or_else(|e| panic!("copy of {label}: {e}"))
}

fn assert_same(label: &str, original: &Files, copy: &Files) {
    assert_eq!(
        original.keys().collect::<Vec<_>>(),
        copy.keys().collect::<Vec<_>>(),
        "{label}: different files"
    );
    for (path, text) in original {
        assert!(
            *text == copy[path],
            "{label}: {} differs when the spec's files are reordered",
            path.display()
        );
    }
}

#[test]
fn file_and_key_order_on_disk_do_not_change_the_real_spec_output() {
    let copy = generate_from_shuffled_copy(&real_spec_dir(), SPEC_DIR);
    assert_same(SPEC_DIR, &generate_real_spec(), &copy);
}

#[test]
fn file_and_key_order_on_disk_do_not_change_fixture_output() {
    for name in fixture_names() {
        let label = fixture_label(&name);
        let copy = generate_from_shuffled_copy(&fixtures_dir().join(&name), &label);
        assert_same(&label, &common::generate_fixture(&name), &copy);
    }
}
