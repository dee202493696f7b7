//! The shape of a response, as generated code describes it, and the XML decoder
//! that uses it. XML carries no types: whether an element is a list, and how its
//! items are laid out, comes from the shape. The decoder turns XML into a JSON
//! value of the same form the JSON API returns, so one set of lenient serde
//! definitions decodes both formats.

use quick_xml::events::Event;
use serde_json::{Map, Value};

/// The shape of a value in a response.
#[derive(Debug)]
pub enum Shape {
    /// A string, number or boolean; XML text.
    Scalar,
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

/// A parsed XML element.
#[derive(Debug, Default)]
struct Element {
    name: String,
    text: String,
    children: Vec<Element>,
}

/// Why XML could not be decoded.
#[derive(Debug)]
pub struct XmlError(pub String);

/// Parses `body` as XML and converts its root element by `shape`.
pub fn xml_to_value(body: &[u8], shape: &Shape) -> Result<Value, XmlError> {
    let root = parse(body)?;
    Ok(convert(&root, shape))
}

/// Parses `body` as XML and returns the root element's children as a flat object
/// of strings (for error bodies: `<Error><Code>..</Code>..</Error>`).
pub fn xml_to_flat_object(body: &[u8]) -> Result<Map<String, Value>, XmlError> {
    let root = parse(body)?;
    let mut map = Map::new();
    for c in &root.children {
        map.entry(c.name.clone())
            .or_insert_with(|| Value::String(c.text.clone()));
    }
    Ok(map)
}

const MAX_DEPTH: usize = 64;

fn parse(body: &[u8]) -> Result<Element, XmlError> {
    let mut reader = quick_xml::Reader::from_reader(body);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Element> = Vec::new();
    let mut buf = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| XmlError(format!("at byte {}: {e}", reader.buffer_position())))?;
        match event {
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError(format!("nesting deeper than {MAX_DEPTH}")));
                }
                stack.push(Element {
                    name: local_name(start.name().as_ref()),
                    ..Element::default()
                });
            }
            Event::Empty(start) => {
                let el = Element {
                    name: local_name(start.name().as_ref()),
                    ..Element::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => return Ok(el),
                }
            }
            Event::End(_) => {
                let Some(el) = stack.pop() else {
                    return Err(XmlError("unbalanced end tag".into()));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => return Ok(el),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    let text = t
                        .unescape()
                        .map_err(|e| XmlError(format!("bad text in <{}>: {e}", top.name)))?;
                    top.text.push_str(&text);
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&t.into_inner()));
                }
            }
            Event::Eof => {
                return Err(XmlError(
                    "document ended before the root element closed".into(),
                ))
            }
            _ => {}
        }
        buf.clear();
    }
}

fn local_name(qname: &[u8]) -> String {
    let name = match qname.iter().rposition(|b| *b == b':') {
        Some(i) => &qname[i + 1..],
        None => qname,
    };
    String::from_utf8_lossy(name).into_owned()
}

fn convert(el: &Element, shape: &Shape) -> Value {
    match shape {
        Shape::Scalar => Value::String(el.text.trim().to_owned()),
        Shape::Object(fields) => {
            let mut map = Map::new();
            for field in fields.iter() {
                let mut matching = el
                    .children
                    .iter()
                    .filter(|c| c.name == field.name)
                    .peekable();
                if matching.peek().is_none() {
                    continue;
                }
                let value = match field.shape {
                    Shape::List { item, xml_item } => {
                        let mut items = Vec::new();
                        for m in matching {
                            collect_items(m, item, *xml_item, &mut items);
                        }
                        Value::Array(items)
                    }
                    other => convert(matching.next().expect("peeked"), other),
                };
                map.insert(field.name.to_owned(), value);
            }
            Value::Object(map)
        }
        Shape::List { item, xml_item } => {
            let mut items = Vec::new();
            collect_items(el, item, *xml_item, &mut items);
            Value::Array(items)
        }
    }
}

/// Adds the items one list element holds. Two layouts occur in Alibaba's
/// responses: the element wraps its items (`<L><Item>..</Item><Item>..</Item></L>`),
/// or the element is repeated once per item (`<L>..</L><L>..</L>`).
fn collect_items(el: &Element, item: &Shape, xml_item: Option<&str>, out: &mut Vec<Value>) {
    if el.children.is_empty() && el.text.trim().is_empty() {
        return; // `<L/>`: an empty list
    }
    if is_wrapper(el, item, xml_item) {
        for child in &el.children {
            out.push(convert(child, item));
        }
    } else {
        out.push(convert(el, item));
    }
}

fn is_wrapper(el: &Element, item: &Shape, xml_item: Option<&str>) -> bool {
    let Some(first) = el.children.first() else {
        return false; // text only: a scalar item of the repeated layout
    };
    if !el.children.iter().all(|c| c.name == first.name) {
        return false;
    }
    if xml_item == Some(first.name.as_str()) {
        return true;
    }
    match item {
        // Children named like the item's own fields mean the element is the item.
        Shape::Object(fields) => !fields.iter().any(|f| f.name == first.name),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static ITEM: Shape = Shape::Object(&[
        Field {
            name: "JobId",
            shape: &Shape::Scalar,
        },
        Field {
            name: "Status",
            shape: &Shape::Scalar,
        },
    ]);
    static OUT: Shape = Shape::Object(&[
        Field {
            name: "RequestId",
            shape: &Shape::Scalar,
        },
        Field {
            name: "NonExists",
            shape: &Shape::List {
                item: &Shape::Scalar,
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
