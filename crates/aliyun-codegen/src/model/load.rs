//! Reading spec files and turning their JSON into the [`Model`]: the parsing
//! context `Cx` with its per-key readers, and the checks made while reading.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::types::homes;
use super::{
    check, EnumType, Field, Group, ItemType, Method, Model, ObjectType, Operation, Pages, Param,
    ParamKind, Product, SpecError, SpecErrors, StringRules, TypeRef, Wait, WaitIds,
};
use crate::names;

const SCHEMA_KEYS: &[&str] = &[
    // Alibaba's own vocabulary
    "description",
    "type",
    "required",
    "example",
    "format",
    "enum",
    "items",
    "properties",
    "docRequired",
    "title",
    "maxItems",
    "minItems",
    "maxLength",
    "minLength",
    "maximum",
    "minimum",
    "default",
    "pattern",
    "enumValueTitles",
    "deprecated",
    "readOnly",
    "isFileTransferUrl",
    // ours: what Alibaba keeps in prose
    "typeName",
    "enumName",
    "enumDescriptions",
    "enumVariants",
    "additionalProperties",
    "terminal",
    "sensitive",
    "xmlItemName",
    "xmlName",
    "encodeAs",
];

/// Schema keys that only text takes.
const TEXT_ONLY_KEYS: &[&str] = &[
    "maxLength",
    "enum",
    "enumName",
    "enumVariants",
    "enumDescriptions",
];

const PARAM_KEYS: &[&str] = &[
    "name",
    "in",
    "style",
    "schema",
    "itemEncoding",
    "separator",
    "description",
];

/// Loads and validates every `*.json` in `dir` (`product.json` plus one file per
/// operation). `dir` is shown in errors as given.
///
/// The result depends only on the files' names and JSON content: files are read
/// in sorted order, operations are sorted by name, and an object's fields are
/// sorted by wire name. The last is deliberate: `serde_json` keeps object keys in
/// file order only with its `preserve_order` feature, and Cargo's feature
/// unification could switch that on from any crate built alongside, so relying on
/// either order would let generated code change with what else is compiled.
pub fn load(dir: &Path) -> Result<Model, SpecErrors> {
    let entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect(),
        Err(e) => {
            return Err(SpecErrors(vec![SpecError {
                file: dir.to_owned(),
                path: "$".into(),
                message: format!("cannot read the spec directory: {e}"),
            }]))
        }
    };
    let files = entries
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).map_err(|e| e.to_string());
            (path, text)
        })
        .collect();
    load_files(dir, files)
}

/// Like [`load`], for a spec held in memory: `files` are `(file name, JSON text)`
/// pairs standing for the files of `dir` (names not ending in `.json` are
/// ignored, as [`load`] ignores such files). Nothing is read from disk; `dir` only
/// names the files in errors. Fuzzing and in-memory tests go through it.
///
/// ```
/// use std::path::Path;
/// let errors = aliyun_codegen::model::load_from_strs(Path::new("spec"), &[("GetThing.json", "{")])
///     .unwrap_err();
/// assert!(errors.to_string().contains("not valid JSON"));
/// ```
pub fn load_from_strs(dir: &Path, files: &[(&str, &str)]) -> Result<Model, SpecErrors> {
    let files = files
        .iter()
        .map(|(name, text)| (dir.join(name), Ok((*text).to_owned())))
        .filter(|(p, _)| p.extension().is_some_and(|x| x == "json"))
        .collect();
    load_files(dir, files)
}

/// The loader proper: `files` are the spec's paths with their text (or why it
/// could not be read).
fn load_files(
    dir: &Path,
    mut files: Vec<(PathBuf, Result<String, String>)>,
) -> Result<Model, SpecErrors> {
    let mut errors = Vec::new();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut product = None;
    let mut ops = Vec::new();
    let mut reg = Registry::default();
    for (path, text) in &files {
        let file_name = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut cx = Cx {
            file: path.clone(),
            errors: &mut errors,
        };
        let text = match text {
            Ok(t) => t,
            Err(e) => {
                cx.err("$", format!("cannot read: {e}"));
                continue;
            }
        };
        let value: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                cx.err("$", format!("not valid JSON: {e}"));
                continue;
            }
        };
        cx.check_text(&value, "$");
        if file_name == "product.json" {
            product = cx.product(&value, &file_name);
        } else if let Some(op) = cx.operation(&value, &file_name, &mut reg) {
            let expected = format!("{}.json", op.name);
            if file_name != expected {
                cx.err(
                    "$.name",
                    format!("operation {} must live in {expected}", op.name),
                );
            }
            ops.push(op);
        }
    }
    if product.is_none() && !errors.iter().any(|e| e.file.ends_with("product.json")) {
        errors.push(SpecError {
            file: dir.join("product.json"),
            path: "$".into(),
            message: "missing: every spec directory needs a product file".into(),
        });
    }
    check::check_operation_names(dir, &ops, &mut errors);
    check::check_wait_polls(dir, &ops, &mut errors);
    if ops.is_empty() && errors.is_empty() {
        errors.push(SpecError {
            file: dir.to_owned(),
            path: "$".into(),
            message: "no operation files".into(),
        });
    }
    check::check_type_names(dir, &ops, &reg.objects, &reg.enums, &mut errors);
    check::check_pages(dir, &ops, &reg.objects, &mut errors);
    if let Some(p) = &product {
        check::check_regions(dir, &ops, p, &mut errors);
    }
    let product = match product {
        Some(p) if errors.is_empty() => p,
        _ => return Err(SpecErrors(errors)),
    };
    ops.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Model {
        product,
        homes: homes(&ops, &reg.objects),
        operations: ops,
        objects: reg.objects,
        enums: reg.enums,
        root: "crate".to_owned(),
    })
}

#[derive(Default)]
struct Registry {
    objects: BTreeMap<String, ObjectType>,
    enums: BTreeMap<String, EnumType>,
}

/// Reading one file: its path, and where its problems go.
pub(super) struct Cx<'a> {
    file: PathBuf,
    errors: &'a mut Vec<SpecError>,
}

impl Cx<'_> {
    pub(super) fn err(&mut self, path: &str, message: impl Into<String>) {
        self.errors.push(SpecError {
            file: self.file.clone(),
            path: path.to_owned(),
            message: message.into(),
        });
    }

    fn obj<'v>(&mut self, v: &'v Value, path: &str) -> Option<&'v Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            _ => {
                self.err(path, format!("expected an object, found {}", kind(v)));
                None
            }
        }
    }

    fn str_opt(&mut self, m: &Map<String, Value>, key: &str, path: &str) -> Option<String> {
        match m.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.err(
                    &format!("{path}.{key}"),
                    format!("expected a string, found {}", kind(other)),
                );
                None
            }
        }
    }

    fn str_req(&mut self, m: &Map<String, Value>, key: &str, path: &str) -> Option<String> {
        let v = self.str_opt(m, key, path);
        if v.is_none() && !m.contains_key(key) {
            self.err(&format!("{path}.{key}"), "missing (required)");
        }
        v
    }

    fn bool_opt(&mut self, m: &Map<String, Value>, key: &str, path: &str) -> Option<bool> {
        match m.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(other) => {
                self.err(
                    &format!("{path}.{key}"),
                    format!("expected true or false, found {}", kind(other)),
                );
                None
            }
        }
    }

    fn count_opt(
        &mut self,
        m: &Map<String, Value>,
        key: &str,
        path: &str,
        min: u64,
        max: u64,
    ) -> Option<u64> {
        match m.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => match n.as_u64() {
                Some(x) if (min..=max).contains(&x) => Some(x),
                _ => {
                    self.err(
                        &format!("{path}.{key}"),
                        format!("must be a whole number from {min} to {max}, found {n}"),
                    );
                    None
                }
            },
            Some(other) => {
                self.err(
                    &format!("{path}.{key}"),
                    format!("expected a number, found {}", kind(other)),
                );
                None
            }
        }
    }

    /// Every string in the file, keys included, ends up (or may end up) in doc
    /// comments and string literals, which cannot hold control characters
    /// (a lone CR breaks a doc comment) and where rustc denies bidirectional
    /// overrides (`text_direction_codepoint_in_comment`).
    fn check_text(&mut self, v: &Value, path: &str) {
        fn bad(s: &str) -> Option<char> {
            s.chars().find(|&c| {
                (c.is_control() && c != '\n' && c != '\t')
                    || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
            })
        }
        let message = |c: char| {
            format!(
                "contains the character U+{:04X}, which generated code cannot hold",
                c as u32
            )
        };
        match v {
            Value::String(s) => {
                if let Some(c) = bad(s) {
                    self.err(path, message(c));
                }
            }
            Value::Array(xs) => {
                for (i, x) in xs.iter().enumerate() {
                    self.check_text(x, &format!("{path}[{i}]"));
                }
            }
            Value::Object(m) => {
                for (k, x) in m {
                    let kp = format!("{path}.{}", k.escape_debug());
                    if let Some(c) = bad(k) {
                        self.err(&kp, format!("the key {}", message(c)));
                    }
                    self.check_text(x, &kp);
                }
            }
            _ => {}
        }
    }

    fn check_keys(&mut self, m: &Map<String, Value>, allowed: &[&str], path: &str) {
        for k in m.keys() {
            if !allowed.contains(&k.as_str()) {
                let hint = allowed
                    .iter()
                    .find(|a| a.eq_ignore_ascii_case(k))
                    .map(|a| format!(" (did you mean {a}?)"))
                    .unwrap_or_default();
                self.err(&format!("{path}.{k}"), format!("unknown key{hint}"));
            }
        }
    }

    /// A name that becomes a Rust type: ASCII, UpperCamelCase as
    /// [`names::pascal`] spells it, and not a keyword (`Self`).
    fn type_name(&mut self, name: &str, path: &str) -> bool {
        let ascii = name.starts_with(|c: char| c.is_ascii_uppercase())
            && name.chars().all(|c| c.is_ascii_alphanumeric());
        if !ascii {
            self.err(
                path,
                format!(
                    "type name {name:?} must be ASCII letters and digits, starting with an upper-case letter"
                ),
            );
            return false;
        }
        let pascal = names::pascal(name);
        if pascal != name {
            self.err(
                path,
                format!("type name {name:?} must be UpperCamelCase ({pascal})"),
            );
            return false;
        }
        if names::is_keyword(name) {
            self.err(path, format!("type name {name:?} is a Rust keyword"));
            return false;
        }
        true
    }

    fn wire_name(&mut self, name: &str, path: &str) -> bool {
        let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            self.err(path, format!("{name:?} is not a valid name (ASCII letters, digits and _, starting with a letter)"));
        }
        ok
    }

    fn product(&mut self, v: &Value, file: &str) -> Option<Product> {
        let m = self.obj(v, "$")?;
        self.check_keys(
            m,
            &[
                "product",
                "version",
                "style",
                "title",
                "defaults",
                "endpoints",
            ],
            "$",
        );
        let code = self.str_req(m, "product", "$");
        let version = self.str_req(m, "version", "$");
        let title = self.str_opt(m, "title", "$").unwrap_or_default();
        match self.str_opt(m, "style", "$").as_deref() {
            Some("RPC") | None => {}
            Some(other) => self.err(
                "$.style",
                format!("style {other:?} is not supported (only RPC)"),
            ),
        }
        let mut endpoints = Vec::new();
        match m.get("endpoints") {
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let p = format!("$.endpoints[{i}]");
                    if let Some(e) = self.obj(item, &p) {
                        if let (Some(r), Some(h)) = (
                            self.str_req(e, "regionId", &p),
                            self.str_req(e, "endpoint", &p),
                        ) {
                            if endpoints.iter().any(|(er, _): &(String, String)| *er == r) {
                                self.err(&p, format!("region {r} is listed twice"));
                            }
                            endpoints.push((r, h));
                        }
                    }
                }
            }
            _ => self.err("$.endpoints", "missing: a list of {regionId, endpoint}"),
        }
        let default_region = m
            .get("defaults")
            .and_then(|d| d.get("region"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| endpoints.first().map(|(r, _)| r.clone()))
            .unwrap_or_default();
        if !endpoints.is_empty() && !endpoints.iter().any(|(r, _)| *r == default_region) {
            self.err(
                "$.defaults.region",
                format!("default region {default_region} has no endpoint"),
            );
        }
        Some(Product {
            file: file.to_owned(),
            code: code?,
            version: version?,
            title,
            default_region,
            endpoints,
        })
    }

    fn operation(&mut self, v: &Value, file: &str, reg: &mut Registry) -> Option<Operation> {
        let m = self.obj(v, "$")?;
        self.check_keys(
            m,
            &[
                "name",
                "summary",
                "description",
                "title",
                "methods",
                "schemes",
                "security",
                "operationType",
                "deprecated",
                "systemTags",
                "parameters",
                "responses",
                "groups",
                "qps",
                "retrySafe",
                "anonymous",
                "wait",
                "feature",
                "paginate",
                "regions",
                "responseDemo",
                "responseParamsDescription",
                "requestParamsDescription",
                "extraInfo",
            ],
            "$",
        );
        let name = self.str_req(m, "name", "$")?;
        if !self.wire_name(&name, "$.name") {
            return None;
        }
        let summary = self.str_opt(m, "summary", "$").unwrap_or_default();
        if summary.trim().is_empty() {
            self.err(
                "$.summary",
                "missing: one line saying what the operation does",
            );
        }
        let description = self.str_opt(m, "description", "$").unwrap_or_default();
        let mut methods = Vec::new();
        match m.get("methods") {
            Some(Value::Array(ms)) if !ms.is_empty() => {
                for (i, x) in ms.iter().enumerate() {
                    match x.as_str() {
                        Some("get") if !methods.contains(&Method::Get) => methods.push(Method::Get),
                        Some("post") if !methods.contains(&Method::Post) => {
                            methods.push(Method::Post)
                        }
                        _ => self.err(
                            &format!("$.methods[{i}]"),
                            format!("unknown or repeated method {x} (get or post)"),
                        ),
                    }
                }
            }
            _ => self.err("$.methods", "missing: a non-empty list of get/post"),
        }
        let wait = m.get("wait").and_then(|w| self.wait(w));
        let pages = m.get("paginate").and_then(|v| self.pages(v));
        let mut regions = Vec::new();
        match m.get("regions") {
            None => {}
            Some(Value::Array(items)) if !items.is_empty() => {
                for (i, r) in items.iter().enumerate() {
                    match r.as_str() {
                        Some(r) if !regions.iter().any(|x| x == r) => regions.push(r.to_owned()),
                        _ => self.err(
                            &format!("$.regions[{i}]"),
                            format!("expected a region ID not listed before, found {r}"),
                        ),
                    }
                }
            }
            Some(other) => self.err(
                "$.regions",
                format!(
                    "expected a non-empty list of region IDs, found {}",
                    kind(other)
                ),
            ),
        }
        let feature = self.str_opt(m, "feature", "$");
        if let Some(f) = &feature {
            let ok = f.starts_with(|c: char| c.is_ascii_lowercase())
                && f.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !ok {
                self.err(
                    "$.feature",
                    format!("{f:?} is not a cargo feature name (lowercase letters, digits and -, starting with a letter)"),
                );
            }
        }
        let read = match self.str_req(m, "operationType", "$").as_deref() {
            Some("read") => true,
            Some("write" | "readAndWrite") => false,
            Some(other) => {
                self.err(
                    "$.operationType",
                    format!("unknown operationType {other:?} (read, write or readAndWrite)"),
                );
                false
            }
            None => false,
        };
        let retry_safe = self.bool_opt(m, "retrySafe", "$").unwrap_or(read);
        let anonymous = self.bool_opt(m, "anonymous", "$").unwrap_or(false);
        let qps = self
            .count_opt(m, "qps", "$", 1, 1_000_000)
            .map(|q| q as u32);

        let mut params: Vec<Param> = Vec::new();
        // Where each kept parameter is in the file, for errors found later.
        let mut param_paths: Vec<String> = Vec::new();
        match m.get("parameters") {
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let p = format!("$.parameters[{i}]");
                    if let Some(param) = self.param(item, &p, file, reg) {
                        if params.iter().any(|x| x.wire == param.wire) {
                            self.err(
                                &format!("{p}.name"),
                                format!("duplicate parameter {}", param.wire),
                            );
                        } else if let Some(x) = params.iter().find(|x| x.rust == param.rust) {
                            self.err(
                                &format!("{p}.name"),
                                format!(
                                    "{} and {} both become the Rust name {}",
                                    x.wire, param.wire, param.rust
                                ),
                            );
                        } else {
                            params.push(param);
                            param_paths.push(p);
                        }
                    }
                }
            }
            None => {}
            Some(other) => self.err(
                "$.parameters",
                format!("expected a list, found {}", kind(other)),
            ),
        }
        self.check_param_names(&params, &param_paths);

        let mut groups = Vec::new();
        if let Some(gs) = m.get("groups") {
            match gs {
                Value::Array(items) => {
                    for (i, g) in items.iter().enumerate() {
                        let p = format!("$.groups[{i}]");
                        let Some(gm) = self.obj(g, &p) else { continue };
                        self.check_keys(gm, &["kind", "members", "precedence", "description"], &p);
                        match self.str_req(gm, "kind", &p).as_deref() {
                            Some("atLeastOne") | None => {}
                            Some(other) => self.err(
                                &format!("{p}.kind"),
                                format!("unknown group kind {other:?} (atLeastOne)"),
                            ),
                        }
                        let mut members = Vec::new();
                        match gm.get("members") {
                            Some(Value::Array(ms)) => {
                                for (j, x) in ms.iter().enumerate() {
                                    let mp = format!("{p}.members[{j}]");
                                    match x.as_str() {
                                        Some(n) => match params.iter().find(|pp| pp.wire == n) {
                                            Some(pp) if pp.required => self.err(
                                                &mp,
                                                format!("{n} is required, so a group adds nothing"),
                                            ),
                                            Some(_) => members.push(n.to_owned()),
                                            None => {
                                                self.err(&mp, format!("no parameter named {n}"))
                                            }
                                        },
                                        None => self.err(&mp, "expected a parameter name"),
                                    }
                                }
                            }
                            _ => self.err(
                                &format!("{p}.members"),
                                "missing: a list of parameter names",
                            ),
                        }
                        if members.len() < 2 && gm.get("members").is_some_and(Value::is_array) {
                            self.err(
                                &format!("{p}.members"),
                                "a group needs at least two parameters",
                            );
                        }
                        let precedence = self.bool_opt(gm, "precedence", &p).unwrap_or(false);
                        let doc = self.str_opt(gm, "description", &p).unwrap_or_default();
                        groups.push(Group {
                            members,
                            precedence,
                            doc,
                        });
                    }
                }
                other => self.err(
                    "$.groups",
                    format!("expected a list, found {}", kind(other)),
                ),
            }
        }

        let schema = m
            .get("responses")
            .and_then(|r| r.get("200"))
            .and_then(|r| r.get("schema"));
        let output = match schema {
            Some(s) => {
                let p = "$.responses.200.schema";
                let sm = self.obj(s, p)?;
                self.check_keys(sm, SCHEMA_KEYS, p);
                if sm.get("type").and_then(Value::as_str) != Some("object") {
                    self.err(&format!("{p}.type"), "the response must be an object");
                }
                // For readers of the spec only: the decoder accepts any root.
                let _ = self.str_opt(sm, "xmlName", p);
                let fields = self.fields(sm, p, file, reg, false);
                if !fields.iter().any(|f| f.wire == "RequestId") {
                    self.err(&format!("{p}.properties"), "every response has a RequestId");
                }
                fields
            }
            None => {
                self.err("$.responses", "missing: responses.200.schema");
                return None;
            }
        };
        Some(Operation {
            file: file.to_owned(),
            snake: names::snake(&name),
            pascal: names::pascal(&name),
            name,
            summary,
            description,
            retry_safe,
            anonymous,
            qps,
            methods,
            wait,
            pages,
            regions,
            feature,
            params,
            groups,
            output,
        })
    }

    /// `wait: {poll, ids}`; `ids` is `input` or `List[].Field`. That `poll`
    /// names an operation is checked once every file is loaded.
    fn wait(&mut self, v: &Value) -> Option<Wait> {
        let m = self.obj(v, "$.wait")?;
        self.check_keys(m, &["poll", "ids"], "$.wait");
        let poll = self.str_req(m, "poll", "$.wait")?;
        let ids = self.str_req(m, "ids", "$.wait")?;
        let ids = match ids.as_str() {
            "input" => WaitIds::Input,
            other => match other.split_once("[].") {
                Some((list, field)) if !list.is_empty() && !field.is_empty() => WaitIds::Output {
                    list: list.to_owned(),
                    field: field.to_owned(),
                },
                _ => {
                    self.err(
                        "$.wait.ids",
                        format!("{other:?}: expected \"input\" or \"List[].Field\""),
                    );
                    return None;
                }
            },
        };
        Some(Wait { poll, ids })
    }

    /// `paginate: {page, size?, items, total?, token?: {input, output}}`; that
    /// the names exist is checked once the whole spec is loaded.
    fn pages(&mut self, v: &Value) -> Option<Pages> {
        let p = "$.paginate";
        let m = self.obj(v, p)?;
        self.check_keys(m, &["page", "size", "items", "total", "token"], p);
        let page = self.str_req(m, "page", p)?;
        let size = self.str_opt(m, "size", p);
        let items: Vec<String> = self
            .str_req(m, "items", p)?
            .split('.')
            .map(str::to_owned)
            .collect();
        if items.iter().any(String::is_empty) {
            self.err(
                "$.paginate.items",
                "a dotted path of output fields (VideoList.Video)",
            );
            return None;
        }
        let total = self.str_opt(m, "total", p);
        let token = match m.get("token") {
            None => None,
            Some(t) => {
                let tp = "$.paginate.token";
                let tm = self.obj(t, tp)?;
                self.check_keys(tm, &["input", "output"], tp);
                Some((
                    self.str_req(tm, "input", tp)?,
                    self.str_req(tm, "output", tp)?,
                ))
            }
        };
        Some(Pages {
            page,
            size,
            items,
            total,
            token,
        })
    }

    fn param(&mut self, v: &Value, p: &str, file: &str, reg: &mut Registry) -> Option<Param> {
        let m = self.obj(v, p)?;
        self.check_keys(m, PARAM_KEYS, p);
        let wire = self.str_req(m, "name", p)?;
        if !self.wire_name(&wire, &format!("{p}.name")) {
            return None;
        }
        match self.str_opt(m, "in", p).as_deref() {
            Some("query") | None => {}
            Some(other) => self.err(
                &format!("{p}.in"),
                format!("parameters in {other:?} are not supported (query)"),
            ),
        }
        let sp = format!("{p}.schema");
        let Some(schema) = m.get("schema") else {
            self.err(&sp, "missing");
            return None;
        };
        let s = self.obj(schema, &sp)?;
        let style = self.str_opt(m, "style", p);
        // A JSON-style or repeatList parameter's schema is a type, checked by
        // `type_ref`.
        if !matches!(style.as_deref(), Some("json" | "repeatList")) {
            self.check_keys(s, SCHEMA_KEYS, &sp);
        }
        let ty = self.str_req(s, "type", &sp)?;
        let required = self.bool_opt(s, "required", &sp).unwrap_or(false);
        let sensitive = self.bool_opt(s, "sensitive", &sp).unwrap_or(false);
        let doc = self
            .str_opt(s, "description", &sp)
            .or_else(|| self.str_opt(m, "description", p))
            .unwrap_or_default();
        let example = self.str_opt(s, "example", &sp);
        let encoding = self.str_opt(m, "itemEncoding", p);
        if let Some(e) = &encoding {
            if e != "percent" {
                self.err(
                    &format!("{p}.itemEncoding"),
                    format!("unknown item encoding {e:?} (percent)"),
                );
            }
            if style.as_deref() != Some("simple") {
                self.err(
                    &format!("{p}.itemEncoding"),
                    "itemEncoding applies only to style simple",
                );
            }
        }
        let kind = match (style.as_deref(), ty.as_str()) {
            (None, "string") => ParamKind::String(self.string_rules(s, &sp, file, reg)),
            (None, "integer") => ParamKind::Integer,
            (None, "number") => ParamKind::Number,
            (None, "boolean") => ParamKind::Boolean,
            (None, other) if other != "array" && other != "object" => {
                self.err(
                    &format!("{sp}.type"),
                    format!("unknown type {other:?} (string, integer, number, boolean, array)"),
                );
                return None;
            }
            (None, _) => {
                self.err(
                    &format!("{p}.style"),
                    format!(
                        "a parameter of type {ty} needs a style: simple (comma-separated) or json"
                    ),
                );
                return None;
            }
            (Some("simple"), "array") => {
                let ip = format!("{sp}.items");
                let items = s.get("items").and_then(|i| self.obj(i, &ip));
                let Some(items) = items else {
                    self.err(&ip, "missing: the item schema");
                    return None;
                };
                self.check_keys(items, SCHEMA_KEYS, &ip);
                let item_ty = match items.get("type").and_then(Value::as_str) {
                    Some("string") => ItemType::Text,
                    Some("integer") => ItemType::Integer,
                    Some("number") => ItemType::Number,
                    Some("boolean") => ItemType::Boolean,
                    other => {
                        self.err(
                            &format!("{ip}.type"),
                            format!(
                                "items of a simple list must be strings, integers, numbers or booleans, found {other:?}"
                            ),
                        );
                        ItemType::Text
                    }
                };
                let item = if item_ty == ItemType::Text {
                    self.string_rules(items, &ip, file, reg)
                } else {
                    // Rules for text have nothing to act on here.
                    for key in TEXT_ONLY_KEYS {
                        if items.contains_key(*key) {
                            self.err(
                                &format!("{ip}.{key}"),
                                "applies to text items only, not to numbers or booleans",
                            );
                        }
                    }
                    StringRules::default()
                };
                let min_items =
                    self.count_opt(s, "minItems", &sp, 0, 100_000).unwrap_or(1) as usize;
                let max_items = self
                    .count_opt(s, "maxItems", &sp, 1, 100_000)
                    .map(|x| x as usize);
                if let Some(max) = max_items {
                    if max < min_items {
                        self.err(
                            &format!("{sp}.maxItems"),
                            format!("maxItems {max} is below minItems {min_items}"),
                        );
                    }
                }
                let separator = match self.str_opt(m, "separator", p).as_deref() {
                    None | Some(",") => ',',
                    Some("\n") => '\n',
                    Some(other) => {
                        self.err(
                            &format!("{p}.separator"),
                            format!("separator {other:?} is not supported (\",\" or a newline)"),
                        );
                        ','
                    }
                };
                ParamKind::List {
                    item_ty,
                    item,
                    min_items,
                    max_items,
                    encode_items: encoding.is_some(),
                    separator,
                }
            }
            (Some("simple"), other) => {
                self.err(
                    &format!("{sp}.type"),
                    format!("style simple needs type array, found {other}"),
                );
                return None;
            }
            (Some("json"), _) => {
                let ty = self.type_ref(schema, &sp, file, reg, true)?;
                let max_items = self
                    .count_opt(s, "maxItems", &sp, 1, 100_000)
                    .map(|x| x as usize);
                ParamKind::Json { ty, max_items }
            }
            (Some("repeatList"), "array" | "object") => {
                let ty = self.type_ref(schema, &sp, file, reg, true)?;
                let max_items = self
                    .count_opt(s, "maxItems", &sp, 1, 100_000)
                    .map(|x| x as usize);
                ParamKind::RepeatList { ty, max_items }
            }
            (Some("repeatList"), other) => {
                self.err(
                    &format!("{sp}.type"),
                    format!("style repeatList needs type array or object, found {other}"),
                );
                return None;
            }
            (Some(other), _) => {
                self.err(
                    &format!("{p}.style"),
                    format!("unknown style {other:?} (simple, json or repeatList)"),
                );
                return None;
            }
        };
        Some(Param {
            rust: rust_field(&wire),
            wire,
            doc,
            required,
            sensitive,
            example,
            kind,
        })
    }

    /// A string parameter's (or list item's) rules. With an `enumName` its
    /// `enum` names an open enum (registered like a response's); without,
    /// the `enum` is a closed set checked before sending.
    fn string_rules(
        &mut self,
        s: &Map<String, Value>,
        p: &str,
        file: &str,
        reg: &mut Registry,
    ) -> StringRules {
        let max_length = self
            .count_opt(s, "maxLength", p, 1, 10_000_000)
            .map(|x| x as usize);
        let format = self.str_opt(s, "format", p);
        let (http_url, json) = match format.as_deref() {
            Some("url") => (true, false),
            Some("json") => (false, true),
            Some("date-time") | None => (false, false),
            Some(other) => {
                self.err(
                    &format!("{p}.format"),
                    format!("unknown string format {other:?} (url, json, date-time)"),
                );
                (false, false)
            }
        };
        let mut allowed: Vec<String> = Vec::new();
        let enum_name = self.str_opt(s, "enumName", p);
        if enum_name.is_none() {
            for key in ["enumVariants", "enumDescriptions", "terminal"] {
                if s.contains_key(key) {
                    self.err(
                        &format!("{p}.{key}"),
                        "applies to an open enum: set enumName too",
                    );
                }
            }
        }
        if let Some(name) = &enum_name {
            match s.get("enum") {
                Some(values) => {
                    if let Some(e) = self.enum_type(s, values, name, p, file) {
                        self.register_enum(reg, e, p);
                    }
                }
                None => self.err(&format!("{p}.enumName"), "an enum name needs `enum` values"),
            }
        }
        match s.get("enum").filter(|_| enum_name.is_none()) {
            None | Some(Value::Null) => {}
            Some(Value::Array(xs)) if !xs.is_empty() => {
                for (i, x) in xs.iter().enumerate() {
                    match x.as_str() {
                        Some(v) if allowed.iter().any(|a| a == v) => {
                            self.err(&format!("{p}.enum[{i}]"), format!("duplicate value {v}"))
                        }
                        Some(v) => allowed.push(v.to_owned()),
                        None => self.err(
                            &format!("{p}.enum[{i}]"),
                            format!("expected a string, found {}", kind(x)),
                        ),
                    }
                }
            }
            Some(_) => self.err(
                &format!("{p}.enum"),
                "expected a non-empty list of allowed values",
            ),
        }
        StringRules {
            max_length,
            http_url,
            allowed,
            json,
            enum_name,
        }
    }

    fn fields(
        &mut self,
        m: &Map<String, Value>,
        p: &str,
        file: &str,
        reg: &mut Registry,
        request: bool,
    ) -> Vec<Field> {
        let mut fields: Vec<Field> = Vec::new();
        let pp = format!("{p}.properties");
        let Some(props) = m.get("properties") else {
            self.err(&pp, "missing: an object needs properties");
            return fields;
        };
        let Some(props) = self.obj(props, &pp) else {
            return fields;
        };
        let mut props: Vec<(&String, &Value)> = props.iter().collect();
        props.sort_by(|a, b| a.0.cmp(b.0));
        for (wire, schema) in props {
            let fp = format!("{pp}.{wire}");
            if !self.wire_name(wire, &fp) {
                continue;
            }
            let Some(s) = self.obj(schema, &fp) else {
                continue;
            };
            let Some(ty) = self.type_ref(schema, &fp, file, reg, request) else {
                continue;
            };
            let encode_as_string = match self.str_opt(s, "encodeAs", &fp).as_deref() {
                Some("string") => {
                    if !matches!(ty, TypeRef::Integer | TypeRef::Number | TypeRef::Boolean) {
                        self.err(
                            &format!("{fp}.encodeAs"),
                            "encodeAs string applies to numbers and booleans",
                        );
                    }
                    true
                }
                None => false,
                Some(other) => {
                    self.err(
                        &format!("{fp}.encodeAs"),
                        format!("unknown encodeAs {other:?} (string)"),
                    );
                    false
                }
            };
            let field = Field {
                wire: wire.clone(),
                rust: rust_field(wire),
                doc: self.str_opt(s, "description", &fp).unwrap_or_default(),
                required: self.bool_opt(s, "required", &fp).unwrap_or(false),
                sensitive: self.bool_opt(s, "sensitive", &fp).unwrap_or(false),
                encode_as_string,
                max_length: self
                    .count_opt(s, "maxLength", &fp, 1, 10_000_000)
                    .map(|x| x as usize),
                ty,
            };
            if let Some(x) = fields.iter().find(|x| x.rust == field.rust) {
                self.err(
                    &fp,
                    format!(
                        "{} and {} both become the Rust name {}",
                        x.wire, field.wire, field.rust
                    ),
                );
                continue;
            }
            fields.push(field);
        }
        fields
    }

    fn type_ref(
        &mut self,
        v: &Value,
        p: &str,
        file: &str,
        reg: &mut Registry,
        request: bool,
    ) -> Option<TypeRef> {
        let s = self.obj(v, p)?;
        self.check_keys(s, SCHEMA_KEYS, p);
        let ty = self.str_req(s, "type", p)?;
        match ty.as_str() {
            "string" => {
                if let Some(values) = s.get("enum") {
                    let Some(name) = self.str_opt(s, "enumName", p) else {
                        self.err(
                            &format!("{p}.enumName"),
                            "missing: an enum needs a type name",
                        );
                        return None;
                    };
                    let e = self.enum_type(s, values, &name, p, file)?;
                    self.register_enum(reg, e, p);
                    return Some(TypeRef::Enum(name));
                }
                let format = self.str_opt(s, "format", p);
                match format.as_deref() {
                    None | Some("date-time" | "json" | "url") => {}
                    Some(other) => self.err(
                        &format!("{p}.format"),
                        format!("unknown string format {other:?} (date-time, json, url)"),
                    ),
                }
                Some(TypeRef::String(format.filter(|f| f != "url")))
            }
            "integer" => Some(TypeRef::Integer),
            "number" => Some(TypeRef::Number),
            "boolean" => Some(TypeRef::Boolean),
            "array" => {
                let ip = format!("{p}.items");
                let Some(items) = s.get("items") else {
                    self.err(&ip, "missing: an array needs items");
                    return None;
                };
                let item = self.type_ref(items, &ip, file, reg, request)?;
                if matches!(item, TypeRef::List(..)) {
                    self.err(&ip, "lists of lists are not supported");
                    return None;
                }
                let xml_item = self.str_opt(s, "xmlItemName", p);
                if let Some(x) = &xml_item {
                    self.wire_name(x, &format!("{p}.xmlItemName"));
                }
                Some(TypeRef::List(Box::new(item), xml_item))
            }
            "object"
                if s.get("additionalProperties") == Some(&Value::Bool(true))
                    && !s.contains_key("typeName") =>
            {
                // Free-form JSON (UserData's `Extend`): whatever object the
                // caller writes, sent as written. Requests only: a response
                // is read by its shape, which needs its fields.
                if s.contains_key("properties") {
                    self.err(
                        &format!("{p}.additionalProperties"),
                        "an object with properties needs a typeName",
                    );
                }
                if !request {
                    self.err(
                        &format!("{p}.additionalProperties"),
                        "free-form objects are for request parameters only",
                    );
                    return None;
                }
                Some(TypeRef::Json)
            }
            "object" => {
                let Some(name) = self.str_opt(s, "typeName", p) else {
                    self.err(
                        &format!("{p}.typeName"),
                        "missing: every object needs a type name",
                    );
                    return None;
                };
                if !self.type_name(&name, &format!("{p}.typeName")) {
                    return None;
                }
                let doc = self.str_opt(s, "description", p).unwrap_or_default();
                let fields = self.fields(s, p, file, reg, request);
                // Open: keys beyond the typed fields are kept and sent (a
                // JSON parameter whose docs may lag the service).
                let open = match s.get("additionalProperties") {
                    None | Some(Value::Bool(false)) => false,
                    Some(Value::Bool(true)) if request => true,
                    Some(Value::Bool(true)) => {
                        self.err(
                            &format!("{p}.additionalProperties"),
                            "open objects are for request parameters only",
                        );
                        false
                    }
                    Some(_) => {
                        self.err(
                            &format!("{p}.additionalProperties"),
                            "expected true or false",
                        );
                        false
                    }
                };
                if open && fields.iter().any(|f| f.rust == OTHER_KEYS) {
                    self.err(
                        &format!("{p}.properties"),
                        format!("a field named like `{OTHER_KEYS}`, which holds an open object's other keys"),
                    );
                }
                let obj = ObjectType {
                    name: name.clone(),
                    doc,
                    fields,
                    open,
                    defined_in: file.to_owned(),
                };
                match reg.objects.get(&name) {
                    Some(existing)
                        if existing.fields != obj.fields || existing.open != obj.open =>
                    {
                        let other = existing.defined_in.clone();
                        self.err(
                            &format!("{p}.typeName"),
                            format!("type {name} is defined differently in {other}"),
                        );
                    }
                    Some(_) => {}
                    None => {
                        reg.objects.insert(name.clone(), obj);
                    }
                }
                Some(TypeRef::Object(name))
            }
            other => {
                self.err(
                    &format!("{p}.type"),
                    format!(
                        "unknown type {other:?} (string, integer, number, boolean, array, object)"
                    ),
                );
                None
            }
        }
    }

    fn enum_type(
        &mut self,
        s: &Map<String, Value>,
        values: &Value,
        name: &str,
        p: &str,
        file: &str,
    ) -> Option<EnumType> {
        if !self.type_name(name, &format!("{p}.enumName")) {
            return None;
        }
        let Value::Array(items) = values else {
            self.err(&format!("{p}.enum"), "expected a list of strings");
            return None;
        };
        let dp = format!("{p}.enumDescriptions");
        let descriptions = match s.get("enumDescriptions") {
            None | Some(Value::Null) => None,
            Some(d) => self.obj(d, &dp),
        };
        let vp = format!("{p}.enumVariants");
        let variants = match s.get("enumVariants") {
            None | Some(Value::Null) => None,
            Some(v) => self.obj(v, &vp),
        };
        if let Some(v) = variants {
            for key in v.keys() {
                if !items.iter().any(|x| x.as_str() == Some(key)) {
                    self.err(&vp, format!("{key} is not one of the enum's values"));
                }
            }
        }
        let mut out: Vec<(String, String, String)> = Vec::new();
        for (i, x) in items.iter().enumerate() {
            let ep = format!("{p}.enum[{i}]");
            let Some(value) = x.as_str() else {
                self.err(&ep, "expected a string");
                continue;
            };
            // A curated name (`300` -> `FiveMinutes`) where the value reads badly.
            let chosen = match variants.and_then(|v| v.get(value)) {
                None => None,
                Some(Value::String(name))
                    if name.starts_with(|c: char| c.is_ascii_uppercase())
                        && name.chars().all(|c| c.is_ascii_alphanumeric())
                        && name != "Unknown" =>
                {
                    Some(name.as_str())
                }
                Some(_) => {
                    self.err(
                        &format!("{vp}.{value}"),
                        "a variant name is UpperCamelCase ASCII letters and digits, not Unknown",
                    );
                    continue;
                }
            };
            let mut variant = chosen.map_or_else(|| names::pascal(value), str::to_owned);
            // A value that is not an identifier (`2K`, `1.0`, `0`): `V` and
            // its digits and letters, dots as `Dot` (`V2K`, `V1Dot0`, `V0`).
            if chosen.is_none() && value.starts_with(|c: char| c.is_ascii_digit()) {
                variant = format!(
                    "V{}",
                    value
                        .replace('.', "Dot")
                        .replace(|c: char| !c.is_ascii_alphanumeric(), "")
                );
            }
            let problem = if !variant.starts_with(|c: char| c.is_ascii_alphabetic()) {
                Some("must start with an ASCII letter".to_owned())
            } else if !variant.chars().all(|c| c.is_ascii_alphanumeric()) {
                Some("may hold only ASCII letters, digits and separators".to_owned())
            } else if variant == "Unknown" {
                Some("becomes the variant Unknown, which holds values the SDK does not know".into())
            } else if names::is_keyword(&variant) {
                Some(format!("becomes the variant {variant}, a Rust keyword"))
            } else {
                None
            };
            if let Some(problem) = problem {
                self.err(
                    &ep,
                    format!("value {value:?} cannot be a variant name: it {problem}"),
                );
                continue;
            }
            if out.iter().any(|(w, _, _)| w == value) {
                self.err(&ep, format!("duplicate value {value}"));
                continue;
            }
            if let Some((w, _, _)) = out.iter().find(|(_, v, _)| *v == variant) {
                self.err(
                    &ep,
                    format!("value {value} and value {w} both become the variant {variant}"),
                );
                continue;
            }
            let doc = descriptions
                .and_then(|d| d.get(value))
                .and_then(Value::as_str)
                .unwrap_or(value)
                .to_owned();
            out.push((value.to_owned(), variant, doc));
        }
        if out.is_empty() {
            self.err(&format!("{p}.enum"), "an enum needs at least one value");
            return None;
        }
        for (key, d) in descriptions.into_iter().flatten() {
            let kp = format!("{dp}.{key}");
            if !out.iter().any(|(w, _, _)| w == key) {
                self.err(&kp, format!("{key} is not one of the enum's values"));
            } else if !d.is_string() {
                self.err(&kp, format!("expected a string, found {}", kind(d)));
            }
        }
        let mut terminal = Vec::new();
        if let Some(t) = s.get("terminal") {
            match t {
                Value::Array(ts) => {
                    for (i, x) in ts.iter().enumerate() {
                        match x.as_str() {
                            Some(v) if terminal.iter().any(|t| t == v) => self.err(
                                &format!("{p}.terminal[{i}]"),
                                format!("{v} is listed twice"),
                            ),
                            Some(v) if out.iter().any(|(w, _, _)| w == v) => {
                                terminal.push(v.to_owned())
                            }
                            Some(v) => self.err(
                                &format!("{p}.terminal[{i}]"),
                                format!("{v} is not one of the enum's values"),
                            ),
                            None => self.err(
                                &format!("{p}.terminal[{i}]"),
                                format!("expected a string, found {}", kind(x)),
                            ),
                        }
                    }
                }
                _ => self.err(&format!("{p}.terminal"), "expected a list of enum values"),
            }
        }
        Some(EnumType {
            name: name.to_owned(),
            doc: self.str_opt(s, "description", p).unwrap_or_default(),
            values: out,
            terminal,
            defined_in: file.to_owned(),
        })
    }

    fn register_enum(&mut self, reg: &mut Registry, e: EnumType, p: &str) {
        match reg.enums.get(&e.name) {
            Some(existing) if existing.values != e.values || existing.terminal != e.terminal => {
                let other = existing.defined_in.clone();
                self.err(
                    &format!("{p}.enumName"),
                    format!("enum {} is defined differently in {other}", e.name),
                );
            }
            Some(_) => {}
            None => {
                reg.enums.insert(e.name.clone(), e);
            }
        }
    }
}

/// The field of an open object that holds the keys it does not type.
pub(crate) const OTHER_KEYS: &str = "other_keys";

fn rust_field(wire: &str) -> String {
    let s = names::snake(wire);
    if names::is_keyword(&s) {
        format!("{s}_")
    } else {
        s
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
