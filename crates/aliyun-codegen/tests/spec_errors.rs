//! A bad spec is reported, never a panic: each error names the file, the JSON
//! path and what is wrong. Each folder in `tests/bad` is a complete spec with
//! one kind of mistake and an `expected.txt` listing the exact errors, one per
//! line as `<file name>: <JSON path>: <message>`.
//!
//! `real_spec_mutations_never_panic` then breaks the real spec in a few hundred
//! deterministic ways and asserts loading returns (never panics), and that a
//! spec that loads also generates.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use aliyun_codegen::model::{self, SpecErrors};
use common::{crate_dir, real_spec_dir, subdirs};
use serde_json::Value;

fn bad_dir() -> PathBuf {
    crate_dir().join("tests/bad")
}

/// Loads `dir`, turning a panic into a test failure that names the spec.
fn load_without_panic(dir: &Path, what: &str) -> Result<model::Model, SpecErrors> {
    catch_unwind(AssertUnwindSafe(|| model::load(dir)))
        .unwrap_or_else(|_| panic!("model::load panicked on {what}"))
}

/// Each error as `<file name>: <path>: <message>`.
fn error_lines(errors: &SpecErrors) -> Vec<String> {
    errors
        .0
        .iter()
        .map(|e| {
            let file = e
                .file
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            format!("{file}: {}: {}", e.path, e.message)
        })
        .collect()
}

fn check_bad(case: &str) {
    let dir = bad_dir().join(case);
    let errors = match load_without_panic(&dir, case) {
        Ok(_) => panic!("{case}: the spec loaded, but it is wrong"),
        Err(e) => e,
    };
    // The full report names each file by its whole path.
    let report = errors.to_string();
    for e in &errors.0 {
        assert!(
            e.file.starts_with(&dir),
            "{case}: {} is not in the spec folder",
            e.file.display()
        );
        assert!(report.contains(&e.file.display().to_string()), "{report}");
    }
    let actual = error_lines(&errors);
    let expected_path = dir.join("expected.txt");
    let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
    let expected: Vec<&str> = expected.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        actual,
        expected,
        "{case}: errors differ from {}; actual:\n{}\n",
        expected_path.display(),
        actual.join("\n")
    );
}

macro_rules! bad_specs {
    ($($name:ident),* $(,)?) => {
        /// The cases with a test; `every_bad_spec_has_a_test` keeps it equal to
        /// the folders in `tests/bad`.
        const BAD_SPECS: &[&str] = &[$(stringify!($name)),*];
        $(
            #[test]
            fn $name() {
                check_bad(stringify!($name));
            }
        )*
    };
}

bad_specs!(
    bad_type_and_enum_names,
    control_characters,
    duplicate_parameter,
    enum_variants_and_item_rules,
    feature_name_invalid,
    file_name_does_not_match,
    group_names_a_missing_parameter,
    invalid_json,
    max_items_a_string,
    max_items_below_min_items,
    max_items_zero,
    missing_product_file,
    object_without_type_name,
    open_object_in_a_response,
    operation_is_a_keyword_or_fixed_module,
    operation_names_collide,
    paginate_names_what_is_not_there,
    parameter_is_a_builder_method,
    parameter_is_a_common_parameter,
    region_not_in_product,
    type_defined_twice_differently,
    unknown_key_did_you_mean,
    unknown_type,
    wait_polls_another_feature,
);

#[test]
fn every_bad_spec_has_a_test() {
    assert_eq!(
        subdirs(&bad_dir()),
        BAD_SPECS,
        "tests/bad and bad_specs! in tests/spec_errors.rs differ"
    );
}

#[test]
fn a_missing_spec_folder_is_an_error() {
    let dir = bad_dir().join("no such folder");
    let errors = load_without_panic(&dir, "a missing folder").expect_err("nothing to load");
    assert_eq!(errors.0.len(), 1);
    assert_eq!(errors.0[0].file, dir);
    assert!(
        errors.0[0]
            .message
            .starts_with("cannot read the spec directory"),
        "{errors}"
    );
}

#[test]
fn an_empty_spec_folder_is_an_error() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let errors = load_without_panic(tmp.path(), "an empty folder").expect_err("nothing to load");
    assert_eq!(
        error_lines(&errors),
        ["product.json: $: missing: every spec directory needs a product file"]
    );
}

// ---------------------------------------------------------------------------
// Mutations of the real spec.

/// A step into a JSON value.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every path in `v`, parents before children.
fn paths(v: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(prefix.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                prefix.push(Step::Key(k.clone()));
                paths(x, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(xs) => {
            for (i, x) in xs.iter().enumerate() {
                prefix.push(Step::Index(i));
                paths(x, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn get_mut<'v>(v: &'v mut Value, path: &[Step]) -> Option<&'v mut Value> {
    path.iter().try_fold(v, |v, step| match step {
        Step::Key(k) => v.get_mut(k.as_str()),
        Step::Index(i) => v.get_mut(*i),
    })
}

/// The replacements tried at a path; `None` deletes the key or item.
fn replacements() -> Vec<(&'static str, Option<Value>)> {
    vec![
        ("delete", None),
        ("null", Some(Value::Null)),
        ("number", Some(serde_json::json!(7))),
        ("negative", Some(serde_json::json!(-1))),
        ("fraction", Some(serde_json::json!(1.5))),
        ("zero", Some(serde_json::json!(0))),
        ("string", Some(serde_json::json!("x"))),
        ("empty string", Some(serde_json::json!(""))),
        ("keyword", Some(serde_json::json!("Self"))),
        ("non-ASCII", Some(serde_json::json!("Ab\u{b2}"))),
        ("control character", Some(serde_json::json!("a\rb"))),
        ("bidi override", Some(serde_json::json!("a\u{202e}b"))),
        ("boolean", Some(serde_json::json!(true))),
        ("empty list", Some(serde_json::json!([]))),
        ("empty object", Some(serde_json::json!({}))),
        ("list of numbers", Some(serde_json::json!([1, 2]))),
    ]
}

/// Applies one replacement; false when it does not apply (deleting the root).
fn mutate(v: &mut Value, path: &[Step], with: Option<&Value>) -> bool {
    match with {
        Some(new) => match get_mut(v, path) {
            Some(slot) => {
                *slot = new.clone();
                true
            }
            None => false,
        },
        None => {
            let Some((last, parent)) = path.split_last() else {
                return false;
            };
            match (get_mut(v, parent), last) {
                (Some(Value::Object(m)), Step::Key(k)) => m.remove(k).is_some(),
                (Some(Value::Array(xs)), Step::Index(i)) if *i < xs.len() => {
                    xs.remove(*i);
                    true
                }
                _ => false,
            }
        }
    }
}

/// A fixed-seed generator (SplitMix64), so the mutations are the same every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z % n as u64) as usize
    }
}

#[test]
fn real_spec_mutations_never_panic() {
    let src = real_spec_dir();
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let mut all_names: Vec<String> = std::fs::read_dir(&src)
        .expect("spec directory")
        .map(|e| {
            e.expect("directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| src.join(name).is_file())
        .collect();
    all_names.sort();
    // Every mutation loads and generates the whole directory, so it holds a
    // fixed sample: the product, the hand-curated operations and a few
    // imported ones spread over the alphabet.
    let curated = [
        "product.json",
        "CancelUrlUploadJobs.json",
        "GetURLUploadInfos.json",
        "UploadMediaByURL.json",
    ];
    let stride = (all_names.len() / 4).max(1);
    let names: Vec<String> = all_names
        .iter()
        .enumerate()
        .filter(|(i, n)| curated.contains(&n.as_str()) || i % stride == stride / 2)
        .map(|(_, n)| n.clone())
        .collect();
    for name in &names {
        std::fs::copy(src.join(name), tmp.path().join(name)).expect("copying a spec file");
    }
    let originals: Vec<(String, String, Value)> = names
        .into_iter()
        .map(|name| {
            let text = std::fs::read_to_string(src.join(&name)).expect("a spec file");
            let value = serde_json::from_str(&text).expect("spec JSON");
            (name, text, value)
        })
        .collect();

    let mut rng = Rng(0x5EED_C0DE);
    let replacements = replacements();
    let (mut tried, mut loaded, mut rejected) = (0, 0, 0);
    let mut run = |what: String, name: &str, text: &str, original: &str| {
        std::fs::write(tmp.path().join(name), text).expect("writing a mutation");
        match load_without_panic(tmp.path(), &what) {
            Ok(m) => {
                loaded += 1;
                // A spec that validates must generate code that parses.
                let generated = catch_unwind(AssertUnwindSafe(|| {
                    aliyun_codegen::generate_model(&m, &common::layout("x"))
                }))
                .unwrap_or_else(|_| panic!("generate_model panicked on {what}"));
                if let Err(e) = generated {
                    panic!("{what}: the spec loads but does not generate: {e}");
                }
            }
            Err(errors) => {
                rejected += 1;
                assert!(!errors.0.is_empty(), "{what}: an error without errors");
            }
        }
        std::fs::write(tmp.path().join(name), original).expect("restoring a file");
        tried += 1;
    };

    for (name, text, value) in &originals {
        let mut all = Vec::new();
        paths(value, &mut Vec::new(), &mut all);
        // About 60 value mutations per file, at random paths.
        for _ in 0..60 {
            let path = &all[rng.below(all.len())];
            let (label, with) = &replacements[rng.below(replacements.len())];
            let mut v = value.clone();
            if !mutate(&mut v, path, with.as_ref()) {
                continue;
            }
            let what = format!("{name}: {label} at {path:?}");
            let mutated = serde_json::to_string_pretty(&v).expect("JSON");
            run(what, name, &mutated, text);
        }
        // Truncations, every 1/12 of the file.
        for i in 0..12 {
            let mut cut = text.len() * i / 12;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            run(
                format!("{name} cut at byte {cut}"),
                name,
                &text[..cut],
                text,
            );
        }
    }
    eprintln!("{tried} mutations: {loaded} still load, {rejected} rejected");
    assert!(tried >= 200, "only {tried} mutations applied");
    assert!(rejected > tried / 2, "most mutations must be caught");
}
