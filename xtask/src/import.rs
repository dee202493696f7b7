//! `cargo xtask import --metadata FILE (--operation NAME... | --all)`: writes
//! spec files from Alibaba's API metadata, keeping every curated decision
//! (see `aliyun_codegen::import`). The base of each import is kept in
//! `<spec dir>/.imported/` for the next one.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aliyun_codegen::import::{base_spec, features_from_directories, merge, to_spec_json};
use serde_json::Value;

/// Where the operation pages of VOD's API reference live (the operation's
/// name, lower-cased, follows).
const REFERENCE: &str =
    "https://www.alibabacloud.com/help/en/vod/developer-reference/api-vod-2017-03-21-";

/// The cargo feature of each top-level section of VOD's API reference (by its
/// directory id in the metadata): media upload, playback, media management,
/// media processing, editing, review, AI, live-to-VOD recordings, the CDN,
/// video security, statistics, multi-application, global settings. The
/// features are declared in `crates/aliyun-vod/Cargo.toml` and
/// `crates/vod-cli/Cargo.toml`.
const FEATURES: &[(i64, &str)] = &[
    (121934, "upload"),
    (167476, "playback"),
    (122051, "media"),
    (122014, "processing"),
    (122002, "editing"),
    (122044, "audit"),
    (121971, "ai"),
    (168862, "live-record"),
    (122065, "cdn"),
    (171333, "security"),
    (167479, "stats"),
    (121982, "apps"),
    (122086, "config"),
];

const USAGE: &str = "usage: cargo xtask import --metadata FILE (--operation NAME... | --all)";

pub fn main(root: &Path, spec_dir: &Path, args: &[&str]) -> ExitCode {
    let mut metadata = None;
    let mut names: Vec<String> = Vec::new();
    let mut all = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match *arg {
            "--metadata" => metadata = rest.next().map(PathBuf::from),
            "--operation" => match rest.next() {
                Some(n) => names.push((*n).to_owned()),
                None => return usage("--operation needs a name"),
            },
            "--all" => all = true,
            other => return usage(&format!("unknown argument {other}")),
        }
    }
    let Some(metadata) = metadata else {
        return usage("--metadata FILE is required");
    };
    if all != names.is_empty() {
        return usage("give --all or --operation NAME, not both or neither");
    }
    match run(root, spec_dir, &metadata, &names, all) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("import: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("import: {problem}\n{USAGE}");
    ExitCode::from(2)
}

fn read_json(path: &Path) -> Result<Option<Value>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn run(
    root: &Path,
    spec_dir: &Path,
    metadata: &Path,
    names: &[String],
    all: bool,
) -> Result<(), String> {
    let meta = read_json(metadata)?.ok_or_else(|| format!("{}: not found", metadata.display()))?;
    let apis = meta
        .get("apis")
        .and_then(Value::as_object)
        .ok_or_else(|| format!("{}: no apis object", metadata.display()))?;
    let wanted: Vec<String> = if all {
        apis.keys().cloned().collect()
    } else {
        names.to_vec()
    };
    let features = features_from_directories(&meta, FEATURES)?;
    let dir = root.join(spec_dir);
    for name in &wanted {
        let api = apis
            .get(name)
            .ok_or_else(|| format!("{name} is not an operation of {}", metadata.display()))?;
        let mut new = base_spec(name, api, REFERENCE)?;
        if let (Some(feature), Value::Object(spec)) = (features.get(name), &mut new) {
            spec.insert("feature".into(), feature.as_str().into());
        }
        let base_path = dir.join(".imported").join(format!("{name}.json"));
        let spec_path = dir.join(format!("{name}.json"));
        let old = read_json(&base_path)?;
        let current = read_json(&spec_path)?;
        let merged = merge(old.as_ref(), current.as_ref(), Some(&new))
            .ok_or_else(|| format!("{name}: the merge left nothing"))?;
        let text = to_spec_json(&merged);
        // The layout counts too: a file edited by hand is written back in
        // the importer's layout, so every spec file reads the same way.
        let on_disk = std::fs::read_to_string(&spec_path).ok();
        let verdict = match (&current, on_disk) {
            (None, _) => "created",
            (Some(_), Some(t)) if t.replace("\r\n", "\n") == text => "unchanged",
            (Some(c), _) if *c == merged => "relaid",
            (Some(_), _) => "updated",
        };
        if verdict != "unchanged" {
            write(&spec_path, &text)?;
        }
        write(&base_path, &to_spec_json(&new))?;
        println!(
            "{verdict} {}",
            spec_path.strip_prefix(root).unwrap_or(&spec_path).display()
        );
    }
    println!("run `cargo xtask codegen` to regenerate the client and the CLI");
    Ok(())
}
