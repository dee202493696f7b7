//! Replays the committed corpus of the spec-loader fuzz target
//! (`fuzz/corpus/spec_loader`: seeds, and every input that once crashed it)
//! with the target's checks: each file, as an operation next to VOD's real
//! `product.json`, loads into a model that generates code, or into spec errors;
//! never a panic.

mod common;

use std::path::{Path, PathBuf};

use aliyun_codegen::model;

const PRODUCT: &str = include_str!("../../../spec/vod/2017-03-21/product.json");

/// What `fuzz/fuzz_targets/spec_loader.rs` does with one input; answers
/// whether it loaded.
fn check(name: &str, data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let op = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("name").and_then(|n| n.as_str()).map(str::to_owned))
        .filter(|n| {
            !n.is_empty()
                && n.len() < 64
                && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
        .unwrap_or_else(|| "Fuzzed".to_owned());
    let file = format!("{op}.json");
    let dir = Path::new("spec/vod/2017-03-21");
    match model::load_from_strs(dir, &[("product.json", PRODUCT), (&file, text)]) {
        Ok(m) => {
            if let Err(e) =
                aliyun_codegen::generate_model(&m, &common::layout("spec/vod/2017-03-21"))
            {
                panic!("{name}: a spec that loads does not generate: {e}");
            }
            true
        }
        Err(errors) => {
            assert!(!errors.0.is_empty(), "{name}");
            false
        }
    }
}

#[test]
fn spec_loader_corpus() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/spec_loader");
    let mut loaded = 0;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy();
        loaded += usize::from(check(&name, &std::fs::read(path).unwrap()));
    }
    // The real operation files among the seeds load.
    assert!(loaded >= 3, "{loaded} of {} loaded", files.len());
}

#[test]
fn in_memory_and_on_disk_loading_agree() {
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../spec/vod/2017-03-21");
    let on_disk = model::load(&spec).unwrap();
    let texts: Vec<(String, String)> = std::fs::read_dir(&spec)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    let pairs: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    assert_eq!(model::load_from_strs(&spec, &pairs).unwrap(), on_disk);
    // Errors name the same files too.
    let broken: Vec<(&str, &str)> = vec![("product.json", PRODUCT), ("GetThing.json", "{")];
    let errors = model::load_from_strs(Path::new("x"), &broken).unwrap_err();
    assert_eq!(errors.0[0].file, Path::new("x/GetThing.json"));
}
