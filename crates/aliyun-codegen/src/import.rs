//! Spec files from a product's API metadata (Alibaba's `api-docs.json`), and a
//! three-way merge that keeps every curated decision when the metadata is
//! imported again.
//!
//! [`base_spec`] turns one operation's metadata into a spec file: names,
//! methods, operation type, parameters (types, formats, styles, required,
//! limits, examples) and the response tree, with a generated type name for
//! every object. The metadata's prose is Alibaba's and not ours, so it is left
//! out: a generated one-line summary and a link to the operation's page stand
//! in until someone writes the description.
//!
//! The base of the last import is kept beside the spec (`.imported/`).
//! Importing again computes a new base and [`merge`]s: a value the spec still
//! holds as last imported follows the metadata; a value someone changed (a
//! description, a `style`, a `typeName`, a list found in a string) stays. So
//! importing the same file twice changes nothing, and a newer file changes
//! only what Alibaba changed.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::prose;

/// The spec keys of Alibaba's schema vocabulary that are facts (kept when
/// importing); everything else in a schema (descriptions, titles, value
/// titles) is prose and left out.
const FACT_KEYS: &[&str] = &[
    "type",
    "format",
    "required",
    "example",
    "maxItems",
    "minItems",
    "maxLength",
    "minLength",
    "maximum",
    "minimum",
    "default",
    "pattern",
    "deprecated",
];

/// Each operation's cargo feature, from the metadata's `directories` (the API
/// reference's table of contents): every operation under a top-level
/// directory gets the feature `features` gives for that directory's `id`. A
/// top-level directory missing from `features` is an error naming it, so a
/// newer metadata file with a new section is noticed, not silently compiled in.
pub fn features_from_directories(
    meta: &Value,
    features: &[(i64, &str)],
) -> Result<BTreeMap<String, String>, String> {
    fn walk(nodes: &[Value], feature: &str, out: &mut BTreeMap<String, String>) {
        for node in nodes {
            match node {
                Value::String(op) => {
                    out.insert(op.clone(), feature.to_owned());
                }
                Value::Object(dir) => {
                    let children = dir.get("children").and_then(Value::as_array);
                    walk(
                        children.map(Vec::as_slice).unwrap_or_default(),
                        feature,
                        out,
                    );
                }
                _ => {}
            }
        }
    }
    let top = meta
        .get("directories")
        .and_then(Value::as_array)
        .ok_or("the metadata has no directories list")?;
    let mut out = BTreeMap::new();
    for dir in top {
        let id = dir
            .get("id")
            .and_then(Value::as_i64)
            .ok_or("a directory without an id")?;
        let feature = features
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, f)| *f)
            .ok_or_else(|| {
                format!("top-level directory {id} has no feature: add it to the import's table")
            })?;
        walk(std::slice::from_ref(dir), feature, &mut out);
    }
    Ok(out)
}

/// The spec file of operation `name` from its metadata entry (`apis.<name>`).
/// `reference` is the URL prefix of the operation pages, e.g.
/// `https://www.alibabacloud.com/help/en/vod/developer-reference/api-vod-2017-03-21-`.
pub fn base_spec(name: &str, api: &Value, reference: &str) -> Result<Value, String> {
    let api = api
        .as_object()
        .ok_or_else(|| format!("{name}: the metadata entry is not an object"))?;
    let mut spec = Map::new();
    spec.insert("name".into(), name.into());
    spec.insert("summary".into(), summary_from_name(name).into());
    spec.insert(
        "description".into(),
        format!(
            "Imported from Alibaba's API metadata, not yet described here. Reference: {reference}{}",
            name.to_ascii_lowercase()
        )
        .into(),
    );
    let methods = api
        .get("methods")
        .cloned()
        .unwrap_or_else(|| Value::from(vec!["post", "get"]));
    spec.insert("methods".into(), methods);
    let operation_type = match api.get("operationType").and_then(Value::as_str) {
        Some(t) => t.to_owned(),
        // Some entries state none: reads by name, every other call is a write
        // (never resent once it may have arrived) until someone decides.
        None if is_read_name(name) => "read".to_owned(),
        None => "write".to_owned(),
    };
    spec.insert("operationType".into(), operation_type.into());
    if let Some(qps) = api
        .get("description")
        .and_then(Value::as_str)
        .and_then(prose::qps)
    {
        spec.insert("qps".into(), qps.into());
    }
    if let Some(regions) = api
        .get("description")
        .and_then(Value::as_str)
        .and_then(prose::regions)
    {
        spec.insert("regions".into(), regions.into());
    }
    let mut params = Vec::new();
    for (i, p) in api
        .get("parameters")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        params.push(parameter(name, p).map_err(|e| format!("{name}: parameters[{i}]: {e}"))?);
    }
    let schema = api
        .get("responses")
        .and_then(|r| r.get("200"))
        .and_then(|r| r.get("schema"))
        .ok_or_else(|| format!("{name}: no responses.200.schema"))?;
    // Named for their place under the operation (`GetVideoInfoVideo`); the
    // request side's names are the operation's and a parameter's.
    let mut response = schema_facts(schema, name, true);
    response_enums(schema, &mut response, name);
    response.insert("type".into(), "object".into());
    // The response is the operation's output type, named by the generator.
    response.remove("typeName");
    // A parameter and a response field of one name (DescribeVodDomainUsageData's
    // `Type`) would name two types alike: the parameter's takes `Param`.
    let mut taken = std::collections::BTreeSet::new();
    type_names(&Value::Object(response.clone()), &mut taken);
    for p in &mut params {
        rename_clashes(p, &taken);
    }
    spec.insert("parameters".into(), Value::Array(params));
    let mut responses = Map::new();
    responses.insert(
        "200".into(),
        Value::Object(Map::from_iter([(
            "schema".to_owned(),
            Value::Object(response),
        )])),
    );
    spec.insert("responses".into(), Value::Object(responses));
    Ok(Value::Object(spec))
}

fn parameter(op: &str, p: &Value) -> Result<Value, String> {
    let name = p
        .get("name")
        .and_then(Value::as_str)
        .ok_or("no name")?
        .to_owned();
    let schema = p.get("schema").ok_or("no schema")?;
    let mut out = Map::new();
    out.insert("name".into(), name.clone().into());
    out.insert("in".into(), "query".into());
    if let Some(style) = p.get("style").and_then(Value::as_str) {
        out.insert("style".into(), style.into());
    }
    let structured = matches!(
        p.get("style").and_then(Value::as_str),
        Some("json" | "repeatList")
    );
    let mut facts = schema_facts(schema, &format!("{op}{name}"), structured);
    let description = schema
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("");
    let is_text = facts.get("type").and_then(Value::as_str) == Some("string");
    if is_text && !structured {
        if let Some(list) = prose::text_list(description) {
            // A list in a string: items of text, joined on the wire.
            let mut items = Map::new();
            items.insert("type".into(), "string".into());
            facts.insert("type".into(), "array".into());
            facts.insert("items".into(), Value::Object(items));
            facts.remove("maxLength");
            facts.remove("format");
            if let Some(max) = list.max_items {
                facts.insert("maxItems".into(), max.into());
            }
            out.insert("style".into(), "simple".into());
            if list.separator == '\n' {
                out.insert("separator".into(), "\n".into());
            }
        } else if prose::json_text(description) {
            facts.insert("format".into(), "json".into());
        }
        // Values the prose lists become an open enum named for its place
        // (`GetPlayInfoFormats`), on the items of a list.
        if let Some(values) = prose::enum_values(description) {
            let target = match facts.get_mut("items") {
                Some(Value::Object(items)) => items,
                _ => &mut facts,
            };
            if !target.contains_key("format") {
                target.insert("enum".into(), values.into());
                target.insert(
                    "enumName".into(),
                    crate::names::pascal(&ident(&format!("{op}{name}"))).into(),
                );
            }
        }
    }
    out.insert("schema".into(), Value::Object(facts));
    Ok(Value::Object(out))
}

/// The facts of a schema, recursively; objects get `type_name` (the generated
/// name of the object's type) when `typed`.
fn schema_facts(schema: &Value, type_name: &str, typed: bool) -> Map<String, Value> {
    let mut out = Map::new();
    let Some(s) = schema.as_object() else {
        return out;
    };
    for key in FACT_KEYS {
        if let Some(v) = s.get(*key) {
            // Examples are data, but some carry prose; keep plain ASCII ones.
            if *key == "example" && !v.as_str().is_some_and(|t| t.is_ascii()) {
                continue;
            }
            // Only the string formats the spec knows travel (integer widths do
            // not change the Rust type).
            if *key == "format" && s.get("type").and_then(Value::as_str) == Some("string") {
                continue;
            }
            out.insert((*key).to_owned(), v.clone());
        }
    }
    let description = s.get("description").and_then(Value::as_str).unwrap_or("");
    if s.get("type").and_then(Value::as_str) == Some("string") && prose::utc_time(description) {
        out.insert("format".into(), "date-time".into());
    }
    if let Some(items) = s.get("items") {
        let item_name = format!("{type_name}Item");
        out.insert(
            "items".into(),
            Value::Object(schema_facts(items, &item_name, typed)),
        );
    }
    if let Some(Value::Object(props)) = s.get("properties") {
        if typed {
            out.insert(
                "typeName".into(),
                crate::names::pascal(&ident(type_name)).into(),
            );
        }
        let props: Map<String, Value> = props
            .iter()
            .map(|(k, v)| {
                let child = format!("{type_name}{}", ident(k));
                (k.clone(), Value::Object(schema_facts(v, &child, typed)))
            })
            .collect();
        out.insert("properties".into(), Value::Object(props));
    }
    out
}

/// Text fields of a response whose description lists their values become open
/// enums named for their place (`GetVideoInfoVideoStatus`): `schema`
/// is the metadata's, `facts` what [`schema_facts`] made of it, named alike.
fn response_enums(schema: &Value, facts: &mut Map<String, Value>, type_name: &str) {
    let description = schema
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("");
    if facts.get("type").and_then(Value::as_str) == Some("string") && !facts.contains_key("enum") {
        if let Some(values) = prose::enum_values(description) {
            facts.insert("enum".into(), values.into());
            facts.insert(
                "enumName".into(),
                crate::names::pascal(&ident(type_name)).into(),
            );
        }
    }
    if let (Some(items), Some(Value::Object(item_facts))) =
        (schema.get("items"), facts.get_mut("items"))
    {
        response_enums(items, item_facts, &format!("{type_name}Item"));
    }
    if let (Some(Value::Object(props)), Some(Value::Object(prop_facts))) =
        (schema.get("properties"), facts.get_mut("properties"))
    {
        for (k, v) in props {
            if let Some(Value::Object(f)) = prop_facts.get_mut(k) {
                response_enums(v, f, &format!("{type_name}{}", ident(k)));
            }
        }
    }
}

/// Every `typeName` and `enumName` in `v`.
fn type_names(v: &Value, out: &mut std::collections::BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("typeName" | "enumName", Value::String(n)) => {
                        out.insert(n.clone());
                    }
                    _ => type_names(x, out),
                }
            }
        }
        Value::Array(xs) => xs.iter().for_each(|x| type_names(x, out)),
        _ => {}
    }
}

/// Appends `Param` to every `typeName` and `enumName` in `v` that `taken` has.
fn rename_clashes(v: &mut Value, taken: &std::collections::BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                match (k.as_str(), x) {
                    ("typeName" | "enumName", Value::String(n)) if taken.contains(n.as_str()) => {
                        n.push_str("Param");
                    }
                    (_, x) => rename_clashes(x, taken),
                }
            }
        }
        Value::Array(xs) => xs.iter_mut().for_each(|x| rename_clashes(x, taken)),
        _ => {}
    }
}

/// `GetURLUploadInfos` -> `Get URL upload infos.`
fn summary_from_name(name: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let chars: Vec<char> = name.chars().collect();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
        let prev_lower = i > 0 && chars[i - 1].is_lowercase();
        if c.is_uppercase() && !current.is_empty() && (prev_lower || next_lower) {
            words.push(std::mem::take(&mut current));
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    let text: Vec<String> = words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let acronym = w.len() > 1 && w.chars().all(|c| c.is_uppercase() || c.is_ascii_digit());
            if i == 0 || acronym {
                w.clone()
            } else {
                w.to_lowercase()
            }
        })
        .collect();
    format!("{}.", text.join(" "))
}

fn is_read_name(name: &str) -> bool {
    ["Get", "List", "Describe", "Search", "Query"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// A type-name-safe spelling: ASCII letters and digits, first letter upper.
fn ident(text: &str) -> String {
    let mut out: String = text.chars().filter(char::is_ascii_alphanumeric).collect();
    if let Some(first) = out.get(..1) {
        let upper = first.to_ascii_uppercase();
        out.replace_range(..1, &upper);
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'T');
    }
    out
}

/// Three-way merge of a spec value. `old` is what the last import produced,
/// `current` the spec as it stands (curated), `new` what this import
/// produces. Where `current` still equals `old`, `new` wins; where it differs
/// (curated), `current` stays. Objects merge key by key; arrays of objects with
/// a `name` (parameters) merge item by item in `new`'s order, curated items
/// `new` lacks staying at the end; other arrays are values.
pub fn merge(old: Option<&Value>, current: Option<&Value>, new: Option<&Value>) -> Option<Value> {
    match (old, current, new) {
        // New (or never curated away): what the metadata says.
        (None, None, new) => new.cloned(),
        // Removed by the curator: stays removed unless Alibaba changed it.
        (Some(o), None, Some(n)) => (o != n).then(|| n.clone()),
        (Some(_), None, None) => None,
        (old, Some(c), new) if old == Some(c) || old.is_none() && new == Some(c) => new.cloned(),
        (old, Some(Value::Object(c)), Some(Value::Object(n))) => {
            let o = old.and_then(Value::as_object);
            let mut out = Map::new();
            let keys = n.keys().chain(c.keys().filter(|k| !n.contains_key(*k)));
            for k in keys {
                let merged = merge(o.and_then(|o| o.get(k)), c.get(k), n.get(k));
                if let Some(v) = merged {
                    out.insert(k.clone(), v);
                }
            }
            Some(Value::Object(out))
        }
        (old, Some(Value::Array(c)), Some(Value::Array(n))) if named(c) && named(n) => {
            let o = old.and_then(Value::as_array);
            let find = |items: &[Value], name: &str| {
                items
                    .iter()
                    .find(|i| i.get("name").and_then(Value::as_str) == Some(name))
                    .cloned()
            };
            let mut out = Vec::new();
            for item in n {
                let name = item.get("name").and_then(Value::as_str).unwrap_or("");
                let old_item = o.and_then(|o| find(o, name));
                if let Some(v) = merge(old_item.as_ref(), find(c, name).as_ref(), Some(item)) {
                    out.push(v);
                }
            }
            for item in c {
                let name = item.get("name").and_then(Value::as_str).unwrap_or("");
                let in_old = o.is_some_and(|o| find(o, name).is_some());
                if find(n, name).is_none() && !in_old {
                    out.push(item.clone()); // added by the curator
                }
            }
            Some(Value::Array(out))
        }
        (_, Some(c), _) => Some(c.clone()),
    }
}

/// Pretty JSON with the spec's keys in reading order (name and summary
/// first, schema before responses, ...) and any others after them, sorted.
pub fn to_spec_json(value: &Value) -> String {
    let mut out = String::new();
    write_value(value, 0, &mut out);
    out.push('\n');
    out
}

/// The order keys are written in; keys not listed follow, sorted.
const KEY_ORDER: &[&str] = &[
    "name",
    "summary",
    "description",
    "methods",
    "operationType",
    "feature",
    "retrySafe",
    "qps",
    "wait",
    "paginate",
    "regions",
    "in",
    "style",
    "itemEncoding",
    "separator",
    "schema",
    "type",
    "format",
    "typeName",
    "enumName",
    "required",
    "parameters",
    "groups",
    "responses",
];

fn write_value(value: &Value, depth: usize, out: &mut String) {
    let pad = |d: usize| "  ".repeat(d);
    match value {
        Value::Object(map) if !map.is_empty() => {
            let mut keys: Vec<&String> = map.keys().collect();
            let rank = |k: &str| {
                KEY_ORDER
                    .iter()
                    .position(|o| *o == k)
                    .unwrap_or(KEY_ORDER.len())
            };
            keys.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
            out.push_str("{\n");
            for (i, k) in keys.iter().enumerate() {
                out.push_str(&pad(depth + 1));
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push_str(": ");
                write_value(&map[k.as_str()], depth + 1, out);
                if i + 1 < keys.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            out.push_str(&pad(depth));
            out.push('}');
        }
        // A list of scalars on one line: `["post", "get"]`.
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            let texts: Vec<String> = items.iter().map(Value::to_string).collect();
            out.push('[');
            out.push_str(&texts.join(", "));
            out.push(']');
        }
        Value::Array(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                out.push_str(&pad(depth + 1));
                write_value(item, depth + 1, out);
                if i + 1 < items.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            out.push_str(&pad(depth));
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn named(items: &[Value]) -> bool {
    items
        .iter()
        .all(|i| i.get("name").and_then(Value::as_str).is_some())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn features_come_from_the_top_level_section_at_any_depth() {
        let meta = json!({"directories": [
            {"id": 1, "children": ["A", {"id": 11, "children": ["B", {"id": 111, "children": ["C"]}]}]},
            {"id": 2, "children": ["D"]}
        ]});
        let features = features_from_directories(&meta, &[(1, "one"), (2, "two")]).unwrap();
        let got: Vec<(&str, &str)> = features
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            got,
            [("A", "one"), ("B", "one"), ("C", "one"), ("D", "two")]
        );
        let err = features_from_directories(&meta, &[(1, "one")]).unwrap_err();
        assert!(err.contains("directory 2"), "{err}");
        assert!(features_from_directories(&json!({}), &[]).is_err());
    }

    #[test]
    fn spec_json_reads_in_order_and_parses_back() {
        let v = json!({"responses": {}, "name": "A", "parameters": [{"schema": {"type": "string"}, "name": "X"}], "summary": "S."});
        let text = to_spec_json(&v);
        assert!(text.find("\"name\"").unwrap() < text.find("\"summary\"").unwrap());
        assert!(text.find("\"summary\"").unwrap() < text.find("\"parameters\"").unwrap());
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), v);
    }

    #[test]
    fn summaries_read_the_name() {
        assert_eq!(
            summary_from_name("GetURLUploadInfos"),
            "Get URL upload infos."
        );
        assert_eq!(summary_from_name("GetVideoInfo"), "Get video info.");
        assert_eq!(
            summary_from_name("DescribeVodAIData"),
            "Describe vod AI data."
        );
    }

    #[test]
    fn the_base_keeps_facts_and_leaves_prose_out() {
        let api = json!({
            "methods": ["post", "get"],
            "operationType": "read",
            "parameters": [{"name": "VideoId", "in": "query", "schema": {
                "description": "视频ID。", "type": "string", "required": true, "example": "93ab850b4f****"}}],
            "responses": {"200": {"schema": {"description": "返回", "type": "object", "properties": {
                "RequestId": {"description": "请求ID。", "type": "string", "example": "2566"},
                "Video": {"description": "视频", "type": "object", "properties": {
                    "Title": {"description": "标题", "type": "string", "example": "测试"},
                    "Snapshots": {"type": "object", "properties": {"Snapshot": {"type": "array", "items": {"type": "string"}}}}
                }}
            }}}}
        });
        let spec = base_spec("GetVideoInfo", &api, "https://example.com/api-").unwrap();
        let text = spec.to_string();
        assert!(text.is_ascii(), "no prose: {text}");
        assert_eq!(spec["summary"], "Get video info.");
        assert_eq!(
            spec["parameters"][0],
            json!({"name": "VideoId", "in": "query", "schema": {"type": "string", "required": true, "example": "93ab850b4f****"}})
        );
        let video = &spec["responses"]["200"]["schema"]["properties"]["Video"];
        assert_eq!(video["typeName"], "GetVideoInfoVideo");
        assert_eq!(
            video["properties"]["Snapshots"]["typeName"],
            "GetVideoInfoVideoSnapshots"
        );
        assert!(video["properties"]["Title"].get("example").is_none());
    }

    #[test]
    fn values_listed_in_a_parameter_become_an_open_enum_named_for_it() {
        let api = json!({"parameters": [
            {"name": "OutputType", "in": "query", "schema": {"type": "string",
                "description": "取值：\n- **oss**：…\n- **cdn**：…"}},
            {"name": "Formats", "in": "query", "schema": {"type": "string",
                "description": "多个用半角逗号（,）分隔。取值：**mp4**、**m3u8**"}},
            {"name": "Extend", "in": "query", "schema": {"type": "string",
                "description": "JSON字符串，取值：**a**、**b**"}}
        ], "responses": {"200": {"schema": {"type": "object", "properties": {}}}}});
        let spec = base_spec("GetPlayInfo", &api, "https://example.com/api-").unwrap();
        let p = &spec["parameters"];
        assert_eq!(
            p[0]["schema"],
            json!({"type": "string", "enum": ["oss", "cdn"], "enumName": "GetPlayInfoOutputType"})
        );
        // A list: the items are the enum.
        assert_eq!(
            p[1]["schema"]["items"],
            json!({"type": "string", "enum": ["mp4", "m3u8"], "enumName": "GetPlayInfoFormats"})
        );
        // JSON text is not an enum, whatever it quotes.
        assert!(p[2]["schema"].get("enum").is_none(), "{}", p[2]);
    }

    #[test]
    fn a_parameter_named_like_a_response_field_gets_its_own_type_name() {
        let values = |a: &str, b: &str| format!("取值：**{a}**、**{b}**");
        let api = json!({
            "parameters": [{"name": "Type", "in": "query",
                "schema": {"type": "string", "description": values("static", "dynamic")}}],
            "responses": {"200": {"schema": {"type": "object", "properties": {
                "Type": {"type": "string", "description": values("bps", "traf")}}}}}
        });
        let spec = base_spec("DescribeUsage", &api, "https://example.com/api-").unwrap();
        let response = &spec["responses"]["200"]["schema"]["properties"]["Type"];
        assert_eq!(response["enumName"], "DescribeUsageType");
        assert_eq!(
            spec["parameters"][0]["schema"]["enumName"],
            "DescribeUsageTypeParam"
        );
    }

    #[test]
    fn an_unchanged_import_changes_nothing_and_curation_stays() {
        let old = json!({"summary": "Get video info.", "parameters": [
            {"name": "A", "schema": {"type": "string", "required": true}},
            {"name": "B", "schema": {"type": "string"}}]});
        let mut curated = old.clone();
        curated["summary"] = json!("Reads one video's details.");
        curated["parameters"][1]["style"] = json!("simple");
        curated["parameters"][1]["schema"] =
            json!({"type": "array", "items": {"type": "string"}, "maxItems": 20});
        // The same metadata again: nothing changes.
        assert_eq!(
            merge(Some(&old), Some(&curated), Some(&old)),
            Some(curated.clone())
        );
        // Alibaba makes A optional and adds C: only that changes.
        let new = json!({"summary": "Get video info.", "parameters": [
            {"name": "A", "schema": {"type": "string", "required": false}},
            {"name": "B", "schema": {"type": "string"}},
            {"name": "C", "schema": {"type": "integer"}}]});
        let merged = merge(Some(&old), Some(&curated), Some(&new)).unwrap();
        assert_eq!(merged["summary"], "Reads one video's details.");
        assert_eq!(merged["parameters"][0]["schema"]["required"], false);
        assert_eq!(merged["parameters"][1]["style"], "simple");
        assert_eq!(merged["parameters"][1]["schema"]["maxItems"], 20);
        assert_eq!(merged["parameters"][2]["name"], "C");
        // A first import takes the base as it is.
        assert_eq!(merge(None, None, Some(&new)), Some(new.clone()));
        // A parameter Alibaba drops goes, unless curated.
        let dropped = json!({"summary": "Get video info.", "parameters": [{"name": "B", "schema": {"type": "string"}}]});
        let merged = merge(Some(&new), Some(&new), Some(&dropped)).unwrap();
        assert_eq!(merged["parameters"].as_array().unwrap().len(), 1);
    }
}
