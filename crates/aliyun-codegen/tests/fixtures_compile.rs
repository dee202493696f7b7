//! The client code generated for every fixture must compile with warnings
//! denied, under clippy, exactly as `aliyun-vod` compiles the real spec's.
//!
//! Compiling is slow on a small machine, so all fixtures go into one throwaway
//! Cargo workspace (one small crate per fixture, since generated code refers to
//! `crate::generated` and `crate::Client`) checked by a single `cargo clippy`
//! with its own target directory under this workspace's `target/tmp`, kept
//! between runs. The CLI's generated commands need `vod-cli`'s hand-written
//! `ops` module and are not compiled here: `vod-cli` compiles the real spec's.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{crate_dir, fixture_names, generate_fixture, repo_root, SDK_OUT};

/// Where the throwaway workspace and its target directory live.
fn check_root() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("codegen-fixture-check")
}

/// Writes `text` unless the file already holds it, so unchanged files keep
/// their modification time and Cargo does not recompile them.
fn put(path: &Path, text: &str) {
    if std::fs::read_to_string(path).is_ok_and(|t| t == text) {
        return;
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// A TOML literal string (no escapes inside, fine for the paths used here).
fn toml_path(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    assert!(!s.contains('\''), "{s}: a quote in the path");
    format!("'{s}'")
}

/// The hand-written part of a fixture crate, as `crates/aliyun-vod/src/lib.rs`
/// has it: the generated modules plus the `Client` their methods extend.
const LIB_RS: &str = r#"//! Generated code of one fixture spec, compiled by the generator's tests.

#![deny(missing_docs)]

#[rustfmt::skip]
mod generated;

pub use generated::*;

/// The client the generated methods extend.
#[derive(Clone, Debug)]
pub struct Client {
    runtime: aliyun_runtime::Client,
}

impl Client {
    /// A client for the fixture's product.
    pub fn new(config: aliyun_runtime::Config) -> Result<Self, aliyun_runtime::Error> {
        Ok(Client {
            runtime: aliyun_runtime::Client::new(&product::PRODUCT, config)?,
        })
    }

    /// The runtime client underneath.
    pub fn runtime(&self) -> &aliyun_runtime::Client {
        &self.runtime
    }
}
"#;

/// The `[features]` table of a fixture crate: every feature its spec files
/// name, all on by default (as `aliyun-vod` declares its own).
fn features_toml(fixture: &str) -> String {
    let dir = crate_dir().join("tests/fixtures").join(fixture);
    let mut features: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixture folder")
        .filter_map(|e| {
            let text = std::fs::read_to_string(e.ok()?.path()).ok()?;
            let spec: serde_json::Value = serde_json::from_str(&text).ok()?;
            Some(spec.get("feature")?.as_str()?.to_owned())
        })
        .collect();
    features.sort();
    features.dedup();
    if features.is_empty() {
        return String::new();
    }
    let quoted: Vec<String> = features.iter().map(|f| format!("\"{f}\"")).collect();
    let mut out = format!("\n[features]\ndefault = [{}]\n", quoted.join(", "));
    for f in &features {
        out.push_str(&format!("{f} = []\n"));
    }
    out
}

/// Lays out the throwaway workspace; returns its root.
fn write_workspace() -> PathBuf {
    let root = check_root();
    let runtime = crate_dir()
        .join("../aliyun-runtime")
        .canonicalize()
        .expect("crates/aliyun-runtime");
    let fixtures = fixture_names();
    let members: Vec<String> = fixtures.iter().map(|f| format!("\"{f}\"")).collect();
    put(
        &root.join("Cargo.toml"),
        &format!(
            "[workspace]\nresolver = \"2\"\nmembers = [{}]\n",
            members.join(", ")
        ),
    );
    // The same dependency versions as this workspace, so `--offline` finds
    // everything `cargo test` already fetched. (Cargo then adds the fixture
    // crates to this copy; rewriting it next time costs an offline resolve.)
    let lock = std::fs::read_to_string(repo_root().join("Cargo.lock"))
        .expect("the workspace's Cargo.lock");
    put(&root.join("Cargo.lock"), &lock);
    for fixture in &fixtures {
        let dir = root.join(fixture);
        put(
            &dir.join("Cargo.toml"),
            &format!(
                "[package]\nname = \"fixture-{}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
                 [dependencies]\naliyun-runtime = {{ path = {} }}\nserde = {{ version = \"1\", features = [\"derive\"] }}\n{}",
                fixture.replace('_', "-"),
                toml_path(&runtime),
                features_toml(fixture)
            ),
        );
        put(&dir.join("src/lib.rs"), LIB_RS);
        let generated = dir.join("src/generated");
        let files = generate_fixture(fixture);
        let mut wanted = Vec::new();
        for (rel, text) in &files {
            if let Ok(name) = rel.strip_prefix(SDK_OUT) {
                put(&generated.join(name), text);
                wanted.push(generated.join(name));
            }
        }
        // Drop files left from an earlier run (an operation renamed since).
        for entry in std::fs::read_dir(&generated).expect("generated folder") {
            let path = entry.expect("directory entry").path();
            if !wanted.contains(&path) {
                std::fs::remove_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
        }
    }
    root
}

#[test]
fn generated_fixtures_compile_without_warnings() {
    let root = write_workspace();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let started = std::time::Instant::now();
    let out = Command::new(cargo)
        .current_dir(&root)
        .args([
            "clippy",
            "--workspace",
            "--offline",
            "--quiet",
            "--target-dir",
        ])
        .arg(root.join("target"))
        .args(["--", "-D", "warnings"])
        // Flags meant for the outer build (coverage, a developer's own) must not
        // change what is checked here; the outer target directory is locked.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .output()
        .expect("running cargo clippy");
    eprintln!(
        "cargo clippy on {} fixtures took {:.1?}",
        fixture_names().len(),
        started.elapsed()
    );
    assert!(
        out.status.success(),
        "generated fixture code does not compile cleanly (workspace in {}):\n{}{}",
        root.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
