//! Every operation, ours against Alibaba's official Python SDK
//! (`alibabacloud-vod20170321`). `cargo xtask conformance` installs the
//! official packages as `bench-compare` does and runs this binary with their
//! Python: `vod-conformance --python PATH --work DIR --out CONFORMANCE.md`.
//! (A crate of its own: xtask must build while the generated code is stale.)
//!
//! For each operation of the spec one input is made from its parameter table
//! (a value of each parameter's type and rules; lists of two items; of a group
//! with precedence only the member that is sent) and one response body from
//! its response shape (every field, lists of two). Ours: the encoder's wire
//! parameters, and the body decoded and normalized. Theirs (the script
//! `official/conformance.py`, run with their virtualenv): the parameters their
//! client would sign, and their response model's `to_map()`. The two are
//! compared per operation and the result is written to CONFORMANCE.md.
//!
//! The input "as a user of the official SDK writes it": a simple list is one
//! string joined by its separator (their models type those as strings), and a
//! structured value their model keeps as a string is JSON text.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use aliyun_runtime::operation::{Operation, Param, Style, Ty};
use aliyun_runtime::shape::Shape;
use aliyun_runtime::Format;
use serde_json::{json, Map, Value};

const SCRIPT: &str = include_str!("conformance.py");

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut python, mut work, mut out) = (None, None, None);
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let mut value = || rest.next().map(PathBuf::from);
        match arg.as_str() {
            "--python" => python = value(),
            "--work" => work = value(),
            "--out" => out = value(),
            other => return usage(&format!("unknown argument {other}")),
        }
    }
    let (Some(python), Some(work), Some(out)) = (python, work, out) else {
        return usage("--python, --work and --out are required");
    };
    match run(&python, &work, &out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("conformance: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!(
        "conformance: {problem}\nusage: vod-conformance --python PATH --work DIR --out FILE (cargo xtask conformance runs it)"
    );
    ExitCode::from(2)
}

/// `python`: the official SDK's virtualenv Python; `work`: where the script
/// is written and run; `report_path`: the report.
fn run(python: &Path, work: &Path, report_path: &Path) -> Result<(), String> {
    let script = work.join("conformance.py");
    std::fs::write(&script, SCRIPT).map_err(|e| format!("{}: {e}", script.display()))?;

    let cases: Vec<Case> = aliyun_vod::OPERATIONS
        .iter()
        .map(|op| Case::new(op))
        .collect();
    let mut stdin = String::new();
    for c in &cases {
        let line = json!({"action": c.op.action, "input": c.official_input, "body": c.body});
        writeln!(stdin, "{line}").map_err(|e| e.to_string())?;
    }
    let mut child = Command::new(python)
        .current_dir(work)
        .arg("conformance.py")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("running the official SDK: {e}"))?;
    // Written from another thread: the script answers line by line, and a
    // full pipe on either side would otherwise block both.
    let mut input = child.stdin.take().ok_or("no stdin")?;
    let writer = std::thread::spawn(move || input.write_all(stdin.as_bytes()));
    let out = child
        .wait_with_output()
        .map_err(|e| format!("running the official SDK: {e}"))?;
    writer
        .join()
        .map_err(|_| "the writer thread panicked".to_owned())?
        .map_err(|e| format!("writing the cases: {e}"))?;
    if !out.status.success() {
        return Err(format!("the official SDK's script failed ({})", out.status));
    }
    let mut theirs: BTreeMap<String, Value> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: Value = serde_json::from_str(line).map_err(|e| format!("{e}: {line}"))?;
        let action = v["action"].as_str().unwrap_or_default().to_owned();
        theirs.insert(action, v);
    }
    let results: Vec<Outcome> = cases
        .iter()
        .map(|c| c.compare(theirs.get(c.op.action)))
        .collect();
    let report = report(&results);
    let path = report_path;
    std::fs::write(path, report).map_err(|e| format!("{}: {e}", path.display()))?;
    let same = results
        .iter()
        .filter(|r| r.params.is_empty() && r.decoded.is_empty() && r.error.is_none())
        .count();
    eprintln!(
        "conformance: {same} of {} operations the same both ways; see {}",
        results.len(),
        path.display()
    );
    Ok(())
}

/// One operation's input and body, and what our SDK makes of them.
struct Case {
    op: &'static Operation,
    official_input: Map<String, Value>,
    body: Value,
    ours_params: Result<BTreeMap<String, String>, String>,
    ours_decoded: Result<Value, String>,
}

impl Case {
    fn new(op: &'static Operation) -> Case {
        let input = example_input(op);
        let ours_params = aliyun_runtime::params::encode(op, &input)
            .map(|wire| wire.into_iter().map(|(k, v)| (k.into_owned(), v)).collect())
            .map_err(|e| e.to_string());
        let body = example_body(op.output);
        let ours_decoded =
            aliyun_runtime::decode_value(Format::Json, 200, body.to_string().as_bytes(), op.output)
                .map_err(|e| e.to_string());
        Case {
            op,
            official_input: official_form(op, &input),
            body,
            ours_params,
            ours_decoded,
        }
    }

    fn compare(&self, theirs: Option<&Value>) -> Outcome {
        let mut outcome = Outcome {
            action: self.op.action,
            params: Vec::new(),
            decoded: Vec::new(),
            error: None,
        };
        let Some(theirs) = theirs else {
            outcome.error = Some("no answer from the official script".into());
            return outcome;
        };
        if let Some(e) = theirs.get("error").and_then(Value::as_str) {
            outcome.error = Some(format!("official SDK: {e}"));
            return outcome;
        }
        match &self.ours_params {
            Err(e) => outcome.error = Some(format!("our encoder: {e}")),
            Ok(ours) => {
                let empty = Map::new();
                let their_query = theirs["query"].as_object().unwrap_or(&empty);
                outcome.params = param_differences(ours, their_query);
            }
        }
        match &self.ours_decoded {
            Err(e) => outcome.error = Some(format!("our decoder: {e}")),
            Ok(ours) => {
                let their_decoded =
                    canonical(theirs.get("decoded").cloned().unwrap_or(Value::Null));
                differences(
                    "",
                    &canonical(ours.clone()),
                    &their_decoded,
                    &mut outcome.decoded,
                );
            }
        }
        outcome
    }
}

/// What differed for one operation.
struct Outcome {
    action: &'static str,
    params: Vec<String>,
    decoded: Vec<String>,
    error: Option<String>,
}

/// Parameters that differ: missing on either side, or with other text. JSON
/// text that differs only in spacing or key order counts as the same.
fn param_differences(ours: &BTreeMap<String, String>, theirs: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    for (k, v) in ours {
        match theirs.get(k).map(text) {
            None => out.push(format!(
                "`{k}`: theirs does not send it (ours: `{}`)",
                short(v)
            )),
            Some(t) if &t == v => {}
            Some(t) if same_json(&t, v) => {}
            Some(t) => out.push(format!(
                "`{k}`: ours `{}`, theirs `{}`",
                short(v),
                short(&t)
            )),
        }
    }
    for (k, v) in theirs {
        if !ours.contains_key(k) {
            out.push(format!(
                "`{k}`: ours does not send it (theirs: `{}`)",
                short(&text(v))
            ));
        }
    }
    out
}

fn same_json(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<Value>(a),
        serde_json::from_str::<Value>(b),
    ) {
        (Ok(x), Ok(y)) => x == y && (x.is_object() || x.is_array()),
        _ => false,
    }
}

fn short(s: &str) -> String {
    let one_line = s.replace('\n', "\\n").replace('|', "\\|");
    if one_line.chars().count() > 60 {
        format!("{}…", one_line.chars().take(60).collect::<String>())
    } else {
        one_line
    }
}

/// A decoded value without what carries no information: `null`, empty lists
/// and objects (their models write an absent list as `[]`; ours keeps an
/// object the metadata describes with no fields as `{}`).
fn canonical(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k, canonical(v)))
                .filter(|(_, v)| !is_nothing(v))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
        other => other,
    }
}

fn is_nothing(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

/// Differences between two decoded values, as JSON paths.
fn differences(path: &str, ours: &Value, theirs: &Value, out: &mut Vec<String>) {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                let p = format!("{path}.{k}");
                match b.get(k) {
                    Some(vb) => differences(&p, va, vb, out),
                    None => out.push(format!("`{}`: theirs has no value", &p[1..])),
                }
            }
            for k in b.keys().filter(|k| !a.contains_key(*k)) {
                out.push(format!(
                    "`{}`: ours has no value",
                    &format!("{path}.{k}")[1..]
                ));
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                differences(&format!("{path}[{i}]"), va, vb, out);
            }
        }
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
        (a, b) if a == b => {}
        (a, b) => out.push(format!(
            "`{}`: ours `{}`, theirs `{}`",
            path.trim_start_matches('.'),
            short(&a.to_string()),
            short(&b.to_string())
        )),
    }
}

/// An input with every parameter set, as our SDK takes it (wire names,
/// lists as arrays, JSON-style values structured). Of a group with
/// precedence only the first member is set (the other is never sent).
fn example_input(op: &Operation) -> Map<String, Value> {
    let skipped: Vec<&str> = op
        .groups
        .iter()
        .filter(|g| g.precedence)
        .flat_map(|g| g.members.iter().skip(1).copied())
        .collect();
    op.params
        .iter()
        .filter(|p| !skipped.contains(&p.name))
        .map(|p| (p.name.to_owned(), example_value(p.name, p.ty, 0)))
        .collect()
}

fn example_value(name: &str, ty: Ty, depth: usize) -> Value {
    match ty {
        Ty::String(rules) => {
            if let Some(first) = rules.allowed.first() {
                return json!(first);
            }
            if rules.http_url {
                return json!(format!("https://example.com/media/{name}.mp4"));
            }
            if rules.json {
                return json!(r#"{"Key":"value"}"#);
            }
            let text = format!("ex-{name}");
            let max = rules.max_length.unwrap_or(usize::MAX);
            json!(text.chars().take(max.max(1)).collect::<String>())
        }
        Ty::Integer => json!(7),
        Ty::Number => json!(2.5),
        Ty::Boolean => json!(true),
        Ty::List(rules) => {
            let n = rules.max_items.unwrap_or(2).min(2);
            Value::Array(
                (1..=n)
                    .map(|i| match rules.item {
                        Ty::String(r) if r.allowed.is_empty() && !r.http_url => {
                            json!(format!("ex-{name}-{i}"))
                        }
                        Ty::String(r) if r.http_url => {
                            json!(format!("https://example.com/media/{name}-{i}.mp4"))
                        }
                        item => example_value(name, item, depth + 1),
                    })
                    .collect(),
            )
        }
        Ty::Object(fields) | Ty::OpenObject(fields) if depth < 4 => Value::Object(
            fields
                .iter()
                .map(|f: &Param| (f.name.to_owned(), example_value(f.name, f.ty, depth + 1)))
                .collect(),
        ),
        Ty::Object(_) | Ty::OpenObject(_) | Ty::Any => json!({"Key": "value"}),
    }
}

/// `input` as a user of the official SDK writes it: simple lists joined by
/// their separator (the official models type them as strings).
fn official_form(op: &Operation, input: &Map<String, Value>) -> Map<String, Value> {
    input
        .iter()
        .map(|(k, v)| {
            let joined = match (op.param(k), v) {
                (Some(p), Value::Array(items)) if p.style == Style::Simple => {
                    let sep = match p.ty {
                        Ty::List(rules) => rules.separator,
                        _ => ',',
                    };
                    let texts: Vec<String> = items
                        .iter()
                        .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                        .collect();
                    Some(Value::String(texts.join(&sep.to_string())))
                }
                _ => None,
            };
            (k.clone(), joined.unwrap_or_else(|| v.clone()))
        })
        .collect()
}

/// A response body of `shape` with every field: text `s-<Field>`, 3, 2.5,
/// `true`, lists of two.
fn example_body(shape: &Shape) -> Value {
    fn value(name: &str, shape: &Shape, depth: usize) -> Value {
        match shape {
            Shape::String | Shape::SecretText => json!(format!("s-{name}")),
            Shape::Integer => json!(3),
            Shape::Number => json!(2.5),
            Shape::Boolean => json!(true),
            Shape::Object(fields) if depth < 10 => Value::Object(
                fields
                    .iter()
                    .map(|f| (f.name.to_owned(), value(f.name, f.shape, depth + 1)))
                    .collect(),
            ),
            Shape::Object(_) => json!({}),
            Shape::List { item, .. } => {
                json!([value(name, item, depth + 1), value(name, item, depth + 1)])
            }
        }
    }
    value("Body", shape, 0)
}

fn report(results: &[Outcome]) -> String {
    let same = |r: &&Outcome| r.error.is_none() && r.params.is_empty() && r.decoded.is_empty();
    let params_ok = results
        .iter()
        .filter(|r| r.error.is_none() && r.params.is_empty())
        .count();
    let decoded_ok = results
        .iter()
        .filter(|r| r.error.is_none() && r.decoded.is_empty())
        .count();
    let errors = results.iter().filter(|r| r.error.is_some()).count();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Conformance with Alibaba's official SDK\n\n\
         Generated by `cargo xtask conformance` (do not edit by hand; the notes\n\
         below the table are in `crates/vod-conformance/src/main.rs`). Every operation of the\n\
         spec, with one input made from its parameter table and one JSON response\n\
         body made from its response shape, given to our SDK and to Alibaba's official\n\
         Python SDK `alibabacloud-vod20170321` 3.12.1 (nothing is sent: the official\n\
         client's `call_api` is replaced by one that records the request and answers\n\
         the body).\n\n\
         - Request: the parameters each would sign and send (common parameters such as\n  \
           `Action`, `Timestamp` and the signature aside).\n\
         - Response: our decoded, normalized value against the official response\n  \
           model's `to_map()` (on both sides `null`s, empty lists and empty objects\n  \
           dropped: the official models write an absent list as `[]`, ours keeps an\n  \
           object the metadata describes without fields, such as `ThumbnailList`, as\n  \
           `{{}}`).\n\n\
         | | operations |\n| --- | --- |\n\
         | the same both ways | {} of {} |\n\
         | request parameters the same | {params_ok} |\n\
         | decoded response the same | {decoded_ok} |\n\
         | not compared (an error on either side) | {errors} |\n",
        results.iter().filter(same).count(),
        results.len(),
    );
    out.push_str(NOTES);
    out.push_str("\n## Per operation\n\n| operation | request | response |\n| --- | --- | --- |\n");
    for r in results {
        let cell = |diffs: &[String]| {
            if diffs.is_empty() {
                "same".to_owned()
            } else {
                diffs.join("<br>")
            }
        };
        match &r.error {
            Some(e) => {
                let _ = writeln!(out, "| {} | not compared: {} | |", r.action, short(e));
            }
            None => {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} |",
                    r.action,
                    cell(&r.params),
                    cell(&r.decoded)
                );
            }
        }
    }
    out
}

/// What the differences mean, and which side the docs support.
const NOTES: &str = "
## What the differences mean

- **Percent-encoded URL items** (`UploadURLs` of UploadMediaByURL and
  GetURLUploadInfos, `UploadUrls` of CancelUrlUploadJobs): the API reference
  asks for each URL to be URL-encoded before the list is joined with commas, so
  that a comma inside a URL cannot split it. Our SDK does that for the caller;
  the official SDK sends what it is given, so its users must encode each URL
  themselves. Ours follows the docs.
- **Numbers inside JSON-style parameters** (`FileSize` and `CateId` in
  `UploadMetadatas`, `PreviewTime` in GetPlayInfo's `PlayConfig`, `CateId` in
  ProduceEditingProjectVideo's `MediaMetadata`, the sizes and counts in
  SubmitSnapshotJob's `SpriteSnapshotConfig` and in Add/UpdateVodTemplate's
  `TemplateConfig`): the docs type them as strings
  inside the JSON, and our spec sends them so (the typed field is a number);
  the official SDK writes whatever its caller put in the JSON text (here the
  same input, so a number).
- **Booleans**: the official Python SDK sends a boolean parameter as Python
  spells it, `True`/`False`; the API reference gives `true`/`false`, which our
  SDK sends. A service that parses strictly would read theirs as not `true`.
- **JSON text**: values compare as JSON; only spacing and key order differ
  (the official SDK's users write the text themselves).
- **Responses**: the official models copy values as they come; ours normalizes
  them to the shape's types. With the well-typed bodies used here the two agree
  wherever both know a field; a field one side's model lacks shows as \"has no
  value\" (the official SDK 3.12.1 is newer than the metadata our spec was
  imported from).
- XML responses are not compared: the official V3 client reads JSON only.
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_text_compares_as_json_and_other_text_exactly() {
        let ours: BTreeMap<String, String> = [
            ("A".to_owned(), r#"{"a":1,"b":[2]}"#.to_owned()),
            ("B".to_owned(), "x".to_owned()),
            ("C".to_owned(), "1".to_owned()),
        ]
        .into();
        let theirs = json!({"A": "{\"b\": [2], \"a\": 1}", "B": "y", "D": "z"});
        let diffs = param_differences(&ours, theirs.as_object().unwrap());
        assert_eq!(
            diffs,
            [
                "`B`: ours `x`, theirs `y`",
                "`C`: theirs does not send it (ours: `1`)",
                "`D`: ours does not send it (theirs: `z`)",
            ]
        );
    }

    #[test]
    fn decoded_values_compare_by_path_and_numbers_by_value() {
        let ours = json!({"A": {"N": 3, "L": [1, 2]}, "Only": "o"});
        let theirs =
            canonical(json!({"A": {"N": 3.0, "L": [1, 5]}, "Empty": [], "Null": null, "Extra": 1}));
        let mut out = Vec::new();
        differences("", &ours, &theirs, &mut out);
        assert_eq!(
            out,
            [
                "`A.L[1]`: ours `2`, theirs `5`",
                "`Only`: theirs has no value",
                "`Extra`: ours has no value",
            ]
        );
    }

    #[test]
    fn official_inputs_join_simple_lists_by_their_separator() {
        let op = &aliyun_vod::get_url_upload_infos::OPERATION;
        let input = example_input(op);
        // JobIds takes precedence over UploadURLs: only it is set.
        assert_eq!(input.keys().collect::<Vec<_>>(), ["JobIds"]);
        let official = official_form(op, &input);
        assert_eq!(official["JobIds"], json!("ex-JobIds-1,ex-JobIds-2"));
        let op = &aliyun_vod::preload_vod_object_caches::OPERATION;
        let official = official_form(op, &example_input(op));
        assert!(official["ObjectPath"].as_str().unwrap().contains('\n'));
    }
}
