//! The spec loader: the fuzzed bytes are one operation file next to VOD's real
//! `product.json`, loaded in memory with `model::load_from_strs`. Loading must
//! answer a model or spec errors, never panic; a model that loads must generate
//! code (a render error there is a generator bug).
#![no_main]

use std::path::Path;

use aliyun_codegen::model;
use libfuzzer_sys::fuzz_target;

const PRODUCT: &str = include_str!("../../spec/vod/2017-03-21/product.json");

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return; // the loader reads files as UTF-8 text; other bytes never reach it
    };
    // Name the file after the operation it declares, when it declares a plain
    // one, so mutations get past the file-name check to the deeper rules.
    let name = aliyun_runtime::serde_json::from_str::<aliyun_runtime::serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("name").and_then(|n| n.as_str()).map(str::to_owned))
        .filter(|n| {
            !n.is_empty()
                && n.len() < 64
                && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
        .unwrap_or_else(|| "Fuzzed".to_owned());
    let file = format!("{name}.json");
    let dir = Path::new("spec/vod/2017-03-21");
    match model::load_from_strs(dir, &[("product.json", PRODUCT), (&file, text)]) {
        Ok(model) => {
            let layout = aliyun_codegen::Layout {
                spec_dir: dir.into(),
                sdk_out: "sdk".into(),
                cli_out: "cli".into(),
                cli_reserved_flags: vec!["help".into()],
            };
            if let Err(e) = aliyun_codegen::generate_model(&model, &layout) {
                panic!("a spec that loads does not generate: {e}");
            }
        }
        Err(errors) => {
            assert!(
                !errors.0.is_empty(),
                "an error result lists at least one problem"
            );
            let _ = errors.to_string();
        }
    }
});
