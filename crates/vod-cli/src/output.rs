//! Printing responses: pretty JSON with the API's own field names (the default,
//! like the `aliyun` CLI), or a table for people. Both work on the JSON value of
//! any response, so no operation needs code of its own here.

use serde_json::{Map, Value};

/// How results are printed (`--output`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputKind {
    /// The response as pretty-printed JSON, with the API's field names.
    Json,
    /// `Key: value` lines for scalars, a table for each list of objects.
    Table,
}

/// Renders a response, ending with a newline.
pub fn render(value: &Value, kind: OutputKind) -> String {
    match kind {
        OutputKind::Json => {
            let s = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
            // serde_json escapes C0 controls but lets DEL and the C1 range (an
            // 8-bit CSI among them) through; escape those too. Outside strings
            // pretty JSON holds no control character but the newline.
            let mut out = String::with_capacity(s.len() + 1);
            for c in s.chars() {
                if c.is_control() && c != '\n' {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push(c);
                }
            }
            out.push('\n');
            out
        }
        OutputKind::Table => {
            let mut out = String::new();
            table_value(&mut out, "", value);
            if out.is_empty() {
                out.push_str("(empty response)\n");
            }
            out
        }
    }
}

fn table_value(out: &mut String, prefix: &str, value: &Value) {
    match value {
        Value::Object(map) => table_object(out, prefix, map),
        Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => {
            section(out, if prefix.is_empty() { "Items" } else { prefix }, items)
        }
        other => {
            out.push_str(&cell(other));
            out.push('\n');
        }
    }
}

/// Scalars (and lists of scalars) first as aligned `Key: value` lines, then one
/// section per list of objects, then nested objects under a dotted prefix.
fn table_object(out: &mut String, prefix: &str, map: &Map<String, Value>) {
    let name = |k: &str| {
        if prefix.is_empty() {
            k.to_owned()
        } else {
            format!("{prefix}.{k}")
        }
    };
    let scalars: Vec<(String, String)> = map
        .iter()
        .filter(|(_, v)| !is_object_list(v) && !v.is_object())
        .map(|(k, v)| (name(k), cell(v)))
        .collect();
    let width = scalars
        .iter()
        .map(|(k, _)| k.chars().count() + 1)
        .max()
        .unwrap_or(0);
    for (k, v) in &scalars {
        let line = format!("{} {v}", pad(&format!("{k}:"), width));
        out.push_str(line.trim_end());
        out.push('\n');
    }
    for (k, v) in map {
        match v {
            Value::Object(inner) => table_object(out, &name(k), inner),
            Value::Array(items) if is_object_list(v) => section(out, &name(k), items),
            _ => {}
        }
    }
}

fn is_object_list(v: &Value) -> bool {
    matches!(v, Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object))
}

/// A titled table: one row per object, one column per field that has a value
/// in some row.
fn section(out: &mut String, title: &str, rows: &[Value]) {
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&format!("{title} ({}):\n", rows.len()));
    let mut columns: Vec<&str> = Vec::new();
    for row in rows.iter().filter_map(Value::as_object) {
        for (k, v) in row {
            if !v.is_null() && !columns.contains(&k.as_str()) {
                columns.push(k);
            }
        }
    }
    columns.sort_by_key(|c| (column_rank(c, rows), *c));
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            columns
                .iter()
                .map(|c| row.get(*c).map(cell).unwrap_or_default())
                .collect()
        })
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cells
                .iter()
                .map(|r| r[i].chars().count())
                .chain([c.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |values: &[String]| {
        let mut s = String::new();
        for (i, v) in values.iter().enumerate() {
            if i + 1 == values.len() {
                s.push_str(v); // no trailing spaces after the last column
            } else {
                s.push_str(&pad(v, widths[i]));
                s.push_str("  ");
            }
        }
        s.push('\n');
        s
    };
    let header: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
    out.push_str(&line(&header));
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str(&line(&rule));
    for row in &cells {
        out.push_str(&line(row));
    }
}

/// Column order, from the field names and values alone: identifiers, then
/// statuses, then numbers, then other text, then URLs (long, so last).
fn column_rank(column: &str, rows: &[Value]) -> u8 {
    let lower = column.to_ascii_lowercase();
    let numeric = rows
        .iter()
        .filter_map(|r| r.get(column))
        .all(|v| v.is_number() || v.is_null());
    if lower.ends_with("id") {
        0
    } else if lower.ends_with("status") || lower == "state" {
        1
    } else if numeric {
        2
    } else if lower.ends_with("url") || lower.ends_with("urls") {
        4
    } else {
        3
    }
}

/// A value as one table cell: strings bare, lists of scalars comma-joined,
/// anything deeper as compact JSON.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect(),
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            items.iter().map(cell).collect::<Vec<_>>().join(", ")
        }
        other => other.to_string(),
    }
}

/// `text` with every control character but the newline shown as U+FFFD, so
/// that what a server sent (an error message, a job's status) cannot move the
/// cursor, recolour or retitle the terminal it is printed to.
/// Writes one line to stderr; a closed stderr is not an error.
pub fn print_stderr(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

fn pad(s: &str, width: usize) -> String {
    let n = s.chars().count();
    let mut out = s.to_owned();
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(n)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn control_characters_from_the_server_never_reach_the_terminal() {
        let hostile = "a\u{1b}]0;pwned\u{7}b\u{1b}[2Jc\u{9b}31md\re\tf\u{7f}";
        let v = json!({"Status": hostile, "List": [{"JobId": hostile}]});
        let table = render(&v, OutputKind::Table);
        assert!(
            !table.chars().any(|c| c.is_control() && c != '\n'),
            "{table:?}"
        );
        assert_eq!(printable("x\u{1b}[31my\nz"), "x\u{FFFD}[31my\nz");
        // JSON output escapes them all, DEL and C1 included, and stays JSON.
        let json = render(&v, OutputKind::Json);
        assert!(
            !json.chars().any(|c| c.is_control() && c != '\n'),
            "{json:?}"
        );
        assert_eq!(serde_json::from_str::<Value>(&json).unwrap(), v);
    }

    #[test]
    fn json_keeps_the_wire_names() {
        let v = json!({"RequestId": "R", "URLUploadInfoList": [{"JobId": "j"}]});
        let s = render(&v, OutputKind::Json);
        assert!(
            s.contains("\"URLUploadInfoList\"") && s.ends_with("}\n"),
            "{s}"
        );
    }

    #[test]
    fn table_lists_scalars_then_a_table_per_object_list() {
        let v = json!({
            "RequestId": "R-1",
            "NonExists": ["x", "y"],
            "URLUploadInfoList": [
                {"JobId": "j1", "Status": "SUCCESS", "FileSize": 1024, "MediaId": "m1",
                 "UploadURL": "http://h/a.mp4", "CreationTime": "2024-01-01T00:00:00Z"},
                {"JobId": "j2", "Status": "DOWNLOAD_FAIL", "UploadURL": "http://h/b.mp4",
                 "ErrorCode": "DownloadFailed"}
            ]
        });
        let s = render(&v, OutputKind::Table);
        let expected = "\
NonExists: x, y
RequestId: R-1

URLUploadInfoList (2):
JobId  MediaId  Status         FileSize  CreationTime          ErrorCode       UploadURL
-----  -------  -------------  --------  --------------------  --------------  --------------
j1     m1       SUCCESS        1024      2024-01-01T00:00:00Z                  http://h/a.mp4
j2              DOWNLOAD_FAIL                                  DownloadFailed  http://h/b.mp4
";
        assert_eq!(s, expected);
    }

    #[test]
    fn nested_objects_get_dotted_keys() {
        let v = json!({"A": {"B": 1, "C": [{"D": "x"}]}, "E": null});
        assert_eq!(
            render(&v, OutputKind::Table),
            "E:\nA.B: 1\n\nA.C (1):\nD\n-\nx\n"
        );
    }
}
