//! The shape of a response, as generated code describes it, and the XML reader
//! that uses it. XML carries no types: whether an element is a list, and how its
//! items are laid out, comes from the shape. The reader builds the JSON value of
//! the form the JSON API returns (objects, arrays, text), which
//! [`crate::normalize`] then brings to the shape's types, as it does a JSON body.

use std::borrow::Cow;

use quick_xml::events::Event;
use serde_json::{Map, Value};

/// The shape of a value in a response.
#[derive(Debug)]
pub enum Shape {
    /// Text (XML text; in JSON also a number or boolean, kept as its text).
    String,
    /// Text that is a credential (an upload or play authorization, a data
    /// key): read as [`Shape::String`], and replaced by [`REDACTED`] by
    /// [`redact_secrets`] wherever a value is shown (the CLI's output).
    SecretText,
    /// A whole number (`i64`).
    Integer,
    /// A number (`f64`).
    Number,
    /// A boolean.
    Boolean,
    /// An object with these fields (wire names).
    Object(&'static [Field]),
    /// A list of items of one shape.
    List {
        /// The items' shape.
        item: &'static Shape,
        /// The element name that wraps each item in XML, when the list element
        /// wraps its items (`<URLUploadInfoList><UrlUploadJobInfoDTO>..`).
        xml_item: Option<&'static str>,
    },
}

/// One field of an object shape.
#[derive(Debug)]
pub struct Field {
    /// The wire name.
    pub name: &'static str,
    /// Its shape.
    pub shape: &'static Shape,
}

/// What a redacted secret shows.
pub const REDACTED: &str = "** redacted **";

/// Replaces every value of a [`Shape::SecretText`] field in `value` (a value
/// of `shape`, as [`crate::normalize`] gives it) by [`REDACTED`].
pub fn redact_secrets(value: &mut Value, shape: &Shape) {
    match (shape, value) {
        (Shape::SecretText, v) => *v = Value::String(REDACTED.to_owned()),
        (Shape::Object(fields), Value::Object(map)) => {
            for f in *fields {
                if let Some(v) = map.get_mut(f.name) {
                    redact_secrets(v, f.shape);
                }
            }
        }
        (Shape::List { item, .. }, Value::Array(items)) => {
            for v in items {
                redact_secrets(v, item);
            }
        }
        _ => {}
    }
}

/// Why XML could not be decoded.
#[derive(Debug)]
pub struct XmlError(pub String);

impl std::fmt::Display for XmlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for XmlError {}

impl serde::de::Error for XmlError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        XmlError(msg.to_string())
    }
}

/// Parses `body` as XML and converts its root element by `shape` into the JSON
/// value of the form the JSON API returns: an object of the shape's fields that
/// are present, lists as arrays, every scalar as its trimmed text.
pub fn xml_to_value(body: &[u8], shape: &Shape) -> Result<Value, XmlError> {
    let doc = Doc::parse(body)?;
    Ok(node_value(&doc, ROOT, shape))
}

/// Parses `body` as XML and returns the root element's children as a flat object
/// of strings (for error bodies: `<Error><Code>..</Code>..</Error>`).
pub fn xml_to_flat_object(body: &[u8]) -> Result<Map<String, Value>, XmlError> {
    let doc = Doc::parse(body)?;
    let mut map = Map::new();
    for c in doc.children(ROOT) {
        let node = &doc.nodes[c as usize];
        map.entry(String::from_utf8_lossy(&node.name).into_owned())
            .or_insert_with(|| Value::String(node.text.clone().into_owned()));
    }
    Ok(map)
}

const MAX_DEPTH: usize = 64;
/// At most this many elements (64 MiB of tree at most): a body of `<a/>`s
/// would otherwise grow 16-fold in memory. The service's answers hold about
/// one element per 40 bytes, so a full 16 MiB answer stays under it.
const MAX_NODES: usize = 1 << 20;
const NONE: u32 = u32::MAX;
const ROOT: u32 = 0;

/// One element of a parsed document.
#[derive(Debug)]
struct Node<'a> {
    /// The local name (without a namespace prefix), as bytes: it is only
    /// compared with the shape's names.
    name: Cow<'a, [u8]>,
    /// The element's own text, unescaped; whitespace-only runs that cannot
    /// matter once trimmed are left out.
    text: Cow<'a, str>,
    first_child: u32,
    last_child: u32,
    next_sibling: u32,
}

/// A parsed document: elements in document order, linked to their children.
/// The root is the first node.
#[derive(Debug)]
struct Doc<'a> {
    nodes: Vec<Node<'a>>,
}

impl<'a> Doc<'a> {
    fn parse(body: &'a [u8]) -> Result<Self, XmlError> {
        let mut reader = quick_xml::Reader::from_reader(body);
        reader.config_mut().trim_text(false);
        // About one element per 40 bytes in the service's responses.
        let mut doc = Doc {
            nodes: Vec::with_capacity(body.len() / 40 + 1),
        };
        let mut stack: Vec<u32> = Vec::new();
        loop {
            let event = reader
                .read_event()
                .map_err(|e| XmlError(format!("at byte {}: {e}", reader.buffer_position())))?;
            match event {
                Event::Start(_) | Event::Empty(_) if doc.nodes.len() >= MAX_NODES => {
                    return Err(XmlError(format!("more than {MAX_NODES} elements")));
                }
                Event::Start(start) => {
                    if stack.len() >= MAX_DEPTH {
                        return Err(XmlError(format!("nesting deeper than {MAX_DEPTH}")));
                    }
                    let id = doc.push(local_name(body, start.name().as_ref()), stack.last());
                    stack.push(id);
                }
                Event::Empty(start) => {
                    let parent = stack.last().copied();
                    doc.push(local_name(body, start.name().as_ref()), parent.as_ref());
                    if parent.is_none() {
                        return Ok(doc);
                    }
                }
                Event::End(_) => {
                    if stack.pop().is_none() {
                        return Err(XmlError("unbalanced end tag".into()));
                    }
                    if stack.is_empty() {
                        return Ok(doc);
                    }
                }
                Event::Text(t) => {
                    if let Some(&top) = stack.last() {
                        let text = t.unescape().map_err(|e| {
                            XmlError(format!(
                                "bad text in <{}>: {e}",
                                String::from_utf8_lossy(&doc.nodes[top as usize].name)
                            ))
                        })?;
                        doc.add_text(top, text);
                    }
                }
                Event::CData(t) => {
                    if let Some(&top) = stack.last() {
                        let text = match t.into_inner() {
                            Cow::Borrowed(b) => String::from_utf8_lossy(b),
                            Cow::Owned(b) => Cow::Owned(String::from_utf8_lossy(&b).into_owned()),
                        };
                        doc.add_text(top, text);
                    }
                }
                Event::Eof => {
                    return Err(XmlError(
                        "document ended before the root element closed".into(),
                    ))
                }
                _ => {}
            }
        }
    }

    fn push(&mut self, name: Cow<'a, [u8]>, parent: Option<&u32>) -> u32 {
        let id = self.nodes.len() as u32;
        self.nodes.push(Node {
            name,
            text: Cow::Borrowed(""),
            first_child: NONE,
            last_child: NONE,
            next_sibling: NONE,
        });
        if let Some(&p) = parent {
            let prev = self.nodes[p as usize].last_child;
            if prev == NONE {
                self.nodes[p as usize].first_child = id;
            } else {
                self.nodes[prev as usize].next_sibling = id;
            }
            self.nodes[p as usize].last_child = id;
        }
        id
    }

    fn add_text(&mut self, node: u32, piece: Cow<'a, str>) {
        let node = &mut self.nodes[node as usize];
        if node.text.is_empty() && piece.trim().is_empty() {
            // Leading whitespace (and all of a list wrapper's): gone once the
            // text is trimmed, and not worth a copy.
            return;
        }
        if node.text.is_empty() {
            node.text = piece;
        } else {
            node.text.to_mut().push_str(&piece);
        }
    }

    fn children(&self, node: u32) -> Children<'_, 'a> {
        Children {
            doc: self,
            next: self.nodes[node as usize].first_child,
        }
    }

    fn node(&self, id: u32) -> &Node<'a> {
        &self.nodes[id as usize]
    }
}

struct Children<'d, 'a> {
    doc: &'d Doc<'a>,
    next: u32,
}

impl Iterator for Children<'_, '_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.next == NONE {
            return None;
        }
        let id = self.next;
        self.next = self.doc.node(id).next_sibling;
        Some(id)
    }
}

/// The local part of a tag name, borrowed from the body.
fn local_name<'a>(body: &'a [u8], qname: &[u8]) -> Cow<'a, [u8]> {
    let name = match qname.iter().rposition(|b| *b == b':') {
        Some(i) => &qname[i + 1..],
        None => qname,
    };
    match reborrow(body, name) {
        Some(borrowed) => Cow::Borrowed(borrowed),
        None => Cow::Owned(name.to_vec()),
    }
}

/// `part` as a slice of `body` with `body`'s lifetime, when `part` lies inside
/// it (the slice reader hands out names borrowed from the input, but typed with
/// a shorter lifetime).
fn reborrow<'a>(body: &'a [u8], part: &[u8]) -> Option<&'a [u8]> {
    let start = (part.as_ptr() as usize).checked_sub(body.as_ptr() as usize)?;
    body.get(start..start.checked_add(part.len())?)
}

/// Adds the items one list element holds. Two layouts occur in Alibaba's
/// responses: the element wraps its items (`<L><Item>..</Item><Item>..</Item></L>`),
/// or the element is repeated once per item (`<L>..</L><L>..</L>`).
fn collect_items(doc: &Doc<'_>, el: u32, item: &Shape, xml_item: Option<&str>, out: &mut Vec<u32>) {
    let node = doc.node(el);
    if node.first_child == NONE && node.text.trim().is_empty() {
        return; // `<L/>`: an empty list
    }
    if is_wrapper(doc, el, item, xml_item) {
        out.extend(doc.children(el));
    } else {
        out.push(el);
    }
}

fn is_wrapper(doc: &Doc<'_>, el: u32, item: &Shape, xml_item: Option<&str>) -> bool {
    let first = doc.node(el).first_child;
    if first == NONE {
        return false; // text only: a scalar item of the repeated layout
    }
    let first_name: &[u8] = &doc.node(first).name;
    if !doc.children(el).all(|c| *doc.node(c).name == *first_name) {
        return false;
    }
    if xml_item.map(str::as_bytes) == Some(first_name) {
        return true;
    }
    match item {
        // Children named like the item's own fields mean the element is the item.
        Shape::Object(fields) => !fields.iter().any(|f| f.name.as_bytes() == first_name),
        _ => true,
    }
}

/// One element read by its shape: a scalar is its trimmed text, an object the
/// shape's fields the element has (a list field gathers every element of its
/// name), a list its items.
fn node_value(doc: &Doc<'_>, node: u32, shape: &Shape) -> Value {
    match shape {
        Shape::Object(fields) => {
            let mut map = Map::new();
            for field in *fields {
                let mut matching = doc
                    .children(node)
                    .filter(|c| *doc.node(*c).name == *field.name.as_bytes());
                let Some(first) = matching.next() else {
                    continue;
                };
                let value = match field.shape {
                    Shape::List { item, xml_item } => {
                        let mut items = Vec::new();
                        collect_items(doc, first, item, *xml_item, &mut items);
                        for m in matching {
                            collect_items(doc, m, item, *xml_item, &mut items);
                        }
                        items_value(doc, &items, item)
                    }
                    shape => node_value(doc, first, shape),
                };
                map.insert(field.name.to_owned(), value);
            }
            Value::Object(map)
        }
        Shape::List { item, xml_item } => {
            let mut items = Vec::new();
            collect_items(doc, node, item, *xml_item, &mut items);
            items_value(doc, &items, item)
        }
        Shape::String | Shape::SecretText | Shape::Integer | Shape::Number | Shape::Boolean => {
            Value::String(doc.node(node).text.trim().to_owned())
        }
    }
}

fn items_value(doc: &Doc<'_>, items: &[u32], item: &Shape) -> Value {
    Value::Array(items.iter().map(|&n| node_value(doc, n, item)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    static ITEM: Shape = Shape::Object(&[
        Field {
            name: "JobId",
            shape: &Shape::String,
        },
        Field {
            name: "Status",
            shape: &Shape::String,
        },
    ]);
    static OUT: Shape = Shape::Object(&[
        Field {
            name: "RequestId",
            shape: &Shape::String,
        },
        Field {
            name: "NonExists",
            shape: &Shape::List {
                item: &Shape::String,
                xml_item: None,
            },
        },
        Field {
            name: "List",
            shape: &Shape::List {
                item: &ITEM,
                xml_item: Some("Dto"),
            },
        },
    ]);

    #[test]
    fn wrapped_and_repeated_layouts_decode_alike() {
        let wrapped = br#"<R><RequestId>r</RequestId><NonExists>a</NonExists><NonExists>b</NonExists>
            <List><Dto><JobId>1</JobId><Status>S</Status></Dto><Dto><JobId>2</JobId></Dto></List></R>"#;
        let repeated = br#"<R><RequestId>r</RequestId><NonExists><Id>a</Id><Id>b</Id></NonExists>
            <List><JobId>1</JobId><Status>S</Status></List><List><JobId>2</JobId></List></R>"#;
        let a = xml_to_value(wrapped, &OUT).unwrap();
        let b = xml_to_value(repeated, &OUT).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            a,
            serde_json::json!({"RequestId": "r", "NonExists": ["a", "b"],
                "List": [{"JobId": "1", "Status": "S"}, {"JobId": "2"}]})
        );
    }

    #[test]
    fn empty_elements_and_unknown_fields() {
        let body =
            br#"<?xml version="1.0"?><R><Extra>x</Extra><RequestId/><NonExists/><List></List></R>"#;
        let v = xml_to_value(body, &OUT).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"RequestId": "", "NonExists": [], "List": []})
        );
    }

    #[test]
    fn text_keeps_its_inner_whitespace_and_loses_the_outer() {
        static TEXT: Shape = Shape::Object(&[Field {
            name: "T",
            shape: &Shape::String,
        }]);
        let v = xml_to_value(b"<R><T>\n  a<b/> <c/>b &amp; c \n</T></R>", &TEXT).unwrap();
        assert_eq!(v, serde_json::json!({"T": "a b & c"}));
    }

    #[test]
    fn secrets_are_redacted_wherever_they_are() {
        static ITEM: Shape = Shape::Object(&[Field {
            name: "Auth",
            shape: &Shape::SecretText,
        }]);
        static S: Shape = Shape::Object(&[
            Field {
                name: "UploadAuth",
                shape: &Shape::SecretText,
            },
            Field {
                name: "VideoId",
                shape: &Shape::String,
            },
            Field {
                name: "List",
                shape: &Shape::List {
                    item: &ITEM,
                    xml_item: None,
                },
            },
        ]);
        let mut v = serde_json::json!({"UploadAuth": "eyJ...", "VideoId": "v",
            "List": [{"Auth": "a"}, {"Auth": "b"}]});
        redact_secrets(&mut v, &S);
        assert_eq!(
            v,
            serde_json::json!({"UploadAuth": REDACTED, "VideoId": "v",
                "List": [{"Auth": REDACTED}, {"Auth": REDACTED}]})
        );
    }

    #[test]
    fn element_count_is_bounded() {
        let mut body = b"<R>".to_vec();
        body.extend(b"<a/>".repeat(MAX_NODES));
        body.extend(b"</R>");
        let err = xml_to_value(&body, &OUT).unwrap_err();
        assert!(err.0.contains("elements"), "{}", err.0);
        // One fewer fits (the root is one of them).
        let fits = [&b"<R>"[..], &b"<a/>".repeat(MAX_NODES - 1), b"</R>"].concat();
        assert!(xml_to_value(&fits, &OUT).is_ok());
    }

    #[test]
    fn bad_xml_is_an_error_not_a_panic() {
        for body in [
            &b"<R><A>"[..],
            b"</R>",
            b"",
            b"<R><A></B></R>",
            b"\xff\xfe<",
        ] {
            assert!(xml_to_value(body, &OUT).is_err(), "{body:?}");
        }
    }
}
