//! Response bodies in the two formats the real service speaks.
//!
//! Operations build one [`Node`] tree; [`render`] turns it into JSON or XML, so
//! the two formats cannot drift apart. Lists carry their XML style explicitly,
//! because VOD uses both: `UploadJobs` repeats the element per item, while
//! `URLUploadInfoList` wraps `UrlUploadJobInfoDTO` items.

use serde::ser::{SerializeMap, SerializeSeq};

/// The `Format` of a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Xml,
}

impl Format {
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json;charset=utf-8",
            Format::Xml => "application/xml;charset=utf-8",
        }
    }
}

/// A response value: text, an object with ordered fields, or a list.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Node {
    Text(String),
    /// A number: a JSON number, XML text.
    Number(serde_json::Number),
    /// A boolean: a JSON boolean, XML text.
    Bool(bool),
    Object(Vec<(&'static str, Node)>),
    /// `item: Some(name)` wraps each item in `<name>` inside the list element;
    /// `None` repeats the list element once per item.
    List {
        item: Option<&'static str>,
        items: Vec<Node>,
    },
}

impl Node {
    pub(crate) fn text(value: impl Into<String>) -> Node {
        Node::Text(value.into())
    }
}

impl serde::Serialize for Node {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Text(t) => s.serialize_str(t),
            Node::Number(n) => n.serialize(s),
            Node::Bool(b) => s.serialize_bool(*b),
            Node::Object(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Node::List { items, .. } => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
        }
    }
}

const XML_DECLARATION: &str = "<?xml version='1.0' encoding='UTF-8'?>";

/// Renders `body` (an object) as the whole response: a JSON object, or an XML
/// document whose root element is `root`.
pub(crate) fn render(format: Format, root: &str, body: &Node) -> String {
    match format {
        // Serialising a tree of strings cannot fail.
        Format::Json => serde_json::to_string(body).unwrap_or_default(),
        Format::Xml => {
            let mut out = String::with_capacity(256);
            out.push_str(XML_DECLARATION);
            write_element(&mut out, root, body);
            out
        }
    }
}

fn write_element(out: &mut String, name: &str, node: &Node) {
    match node {
        Node::Text(t) => {
            open(out, name);
            out.push_str(&quick_xml::escape::escape(t.as_str()));
            close(out, name);
        }
        Node::Number(n) => {
            open(out, name);
            out.push_str(&n.to_string());
            close(out, name);
        }
        Node::Bool(b) => {
            open(out, name);
            out.push_str(if *b { "true" } else { "false" });
            close(out, name);
        }
        Node::Object(fields) => {
            open(out, name);
            for (k, v) in fields {
                write_element(out, k, v);
            }
            close(out, name);
        }
        Node::List {
            item: Some(item),
            items,
        } => {
            open(out, name);
            for v in items {
                write_element(out, item, v);
            }
            close(out, name);
        }
        Node::List { item: None, items } => {
            for v in items {
                write_element(out, name, v);
            }
        }
    }
}

fn open(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Node {
        Node::Object(vec![
            ("RequestId", Node::text("R")),
            (
                "NonExists",
                Node::List {
                    item: None,
                    items: vec![Node::text("a<b"), Node::text("c")],
                },
            ),
            (
                "List",
                Node::List {
                    item: Some("Dto"),
                    items: vec![Node::Object(vec![("Url", Node::text("http://h/?a=1&b=2"))])],
                },
            ),
        ])
    }

    #[test]
    fn json_keeps_field_order() {
        assert_eq!(
            render(Format::Json, "X", &sample()),
            r#"{"RequestId":"R","NonExists":["a<b","c"],"List":[{"Url":"http://h/?a=1&b=2"}]}"#
        );
    }

    #[test]
    fn xml_repeats_or_wraps_lists_and_escapes_text() {
        assert_eq!(
            render(Format::Xml, "XResponse", &sample()),
            "<?xml version='1.0' encoding='UTF-8'?><XResponse><RequestId>R</RequestId>\
             <NonExists>a&lt;b</NonExists><NonExists>c</NonExists>\
             <List><Dto><Url>http://h/?a=1&amp;b=2</Url></Dto></List></XResponse>"
        );
    }
}
