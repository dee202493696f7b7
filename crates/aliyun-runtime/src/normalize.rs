//! A response body, parsed (JSON) or read by its shape (XML), brought to the
//! types its [`Shape`] gives, by data and in one place: what the typed outputs
//! decode from and what the CLI prints.
//!
//! The real service is loose, and these rules absorb it without ever failing a
//! response over one field: numbers arrive as strings (`FileSize`), lists may be
//! bare arrays, wrapped in an object or a single item, fields are left out or
//! sent empty for the same meaning. Fields the shape does not name are dropped,
//! so a JSON and an XML body of the same answer normalize to the same value
//! (XML text comes trimmed; JSON text is kept as sent).
//!
//! Generated output types derive a plain `Deserialize` (names and defaults
//! only) and are read from the normalized value, which has nothing left for
//! them to be lenient about. That keeps each output type to one small serde
//! impl, the largest part of what an operation costs to compile.

use serde_json::{Number, Value};

use crate::shape::Shape;

/// `value` brought to `shape`, or `None` where the field counts as absent:
///
/// - text: a string (empty is absent); a number or boolean as its text; an
///   array or object where text belongs as its JSON text;
/// - integer: a number or numeric text (trimmed); a fraction is truncated
///   toward zero, a value beyond `i64` saturates; anything else is absent;
/// - number: a finite number or numeric text;
/// - boolean: `true`/`false`, their text in any case, `1`/`0`;
/// - object: an object, keeping the shape's fields; `{}` stays an object with
///   every field absent; anything else is absent;
/// - list: an array; `null`, blank text and `{}` are empty; an object holding
///   just one array is that array (`{"PlayInfo": [..]}`); anything else is a
///   one-item list. An item that does not fit the item shape is left out;
///   a list left empty is absent (XML cannot tell it from a missing one).
///
/// Whatever is absent or left out is logged at `warn` when it was not empty.
pub fn normalize(mut value: Value, shape: &Shape) -> Option<Value> {
    fix(&mut value, shape).then_some(value)
}

/// [`normalize`] in place: a value already of its shape's type is left as it
/// is (nothing is copied or allocated for it); `false` when it is absent.
fn fix(value: &mut Value, shape: &Shape) -> bool {
    match shape {
        Shape::String | Shape::SecretText => match value {
            Value::String(s) => !s.is_empty(),
            _ => replace(value, text),
        },
        Shape::Integer => match value {
            Value::Number(n) if n.is_i64() => true,
            _ => replace(value, integer),
        },
        Shape::Number => match value {
            Value::Number(n) if n.is_f64() => true,
            _ => replace(value, number),
        },
        Shape::Boolean => match value {
            Value::Bool(_) => true,
            _ => replace(value, boolean),
        },
        Shape::Object(fields) => match value {
            Value::Object(map) => {
                map.retain(|name, v| match fields.iter().find(|f| f.name == name) {
                    Some(field) => fix(v, field.shape),
                    None => false,
                });
                true
            }
            other => {
                if !is_empty(other) {
                    tracing::warn!(
                        found = kind(other),
                        "object field is not an object; kept as absent"
                    );
                }
                false
            }
        },
        Shape::List { item, .. } => {
            if !value.is_array() {
                *value = Value::Array(as_items(std::mem::take(value)));
            }
            let Value::Array(items) = value else {
                return false;
            };
            items.retain_mut(|v| {
                let null = v.is_null();
                let kept = list_item(v, item);
                if !kept && !null {
                    tracing::warn!("list item does not fit its shape; left out");
                }
                kept
            });
            // An empty list is absent: XML cannot tell an empty list from a
            // missing one, and the typed field is empty either way.
            !items.is_empty()
        }
    }
}

/// Runs a converting rule on `value`, leaving its result in place.
fn replace(value: &mut Value, rule: fn(Value) -> Option<Value>) -> bool {
    match rule(std::mem::take(value)) {
        Some(v) => {
            *value = v;
            true
        }
        None => false,
    }
}

/// The items of a list sent in another layout: nothing for `null`, blank text
/// or `{}`; the array an object holds as its only field; else one item.
fn as_items(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        v if is_empty(&v) => Vec::new(),
        Value::Object(map)
            if map.len() == 1 && matches!(map.values().next(), Some(Value::Array(_))) =>
        {
            match map.into_iter().next() {
                Some((_, Value::Array(items))) => items,
                _ => Vec::new(),
            }
        }
        single => vec![single],
    }
}

/// An item of a list: as a field, except that a container where a scalar
/// belongs is left out (never turned into text) and empty text is kept.
fn list_item(value: &mut Value, item: &Shape) -> bool {
    let scalar = !matches!(item, Shape::Object(_) | Shape::List { .. });
    match value {
        Value::Array(_) | Value::Object(_) if scalar => false,
        Value::Null => false,
        Value::String(s) if s.is_empty() && matches!(item, Shape::String | Shape::SecretText) => {
            true
        }
        v => fix(v, item),
    }
}

/// `null`, blank text or `{}`: how the service says "nothing here".
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn text(value: Value) -> Option<Value> {
    let s = match value {
        Value::Null => return None,
        Value::String(s) => s,
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        container => container.to_string(),
    };
    (!s.is_empty()).then_some(Value::String(s))
}

fn integer(value: Value) -> Option<Value> {
    let n = match &value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_u64().map(|_| i64::MAX))
            .or_else(|| n.as_f64().map(truncate)),
        Value::String(s) => {
            let t = s.trim();
            t.parse::<i64>().ok().or_else(|| {
                t.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(truncate)
            })
        }
        _ => None,
    };
    if n.is_none() && !is_empty(&value) {
        tracing::warn!(
            found = kind(&value),
            "integer field is not a number; kept as absent"
        );
    }
    n.map(Value::from)
}

/// Toward zero, saturating at `i64`'s bounds (what `as` does).
fn truncate(f: f64) -> i64 {
    f as i64
}

fn number(value: Value) -> Option<Value> {
    let f = match &value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    let n = f.and_then(Number::from_f64);
    if n.is_none() && !is_empty(&value) {
        tracing::warn!(
            found = kind(&value),
            "number field is not a number; kept as absent"
        );
    }
    n.map(Value::Number)
}

fn boolean(value: Value) -> Option<Value> {
    let b = match &value {
        Value::Bool(b) => Some(*b),
        Value::String(s) => {
            let t = s.trim();
            if t.eq_ignore_ascii_case("true") || t == "1" {
                Some(true)
            } else if t.eq_ignore_ascii_case("false") || t == "0" {
                Some(false)
            } else {
                None
            }
        }
        Value::Number(n) => match n.as_u64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        _ => None,
    };
    if b.is_none() && !is_empty(&value) {
        tracing::warn!(
            found = kind(&value),
            "boolean field is not a boolean; kept as absent"
        );
    }
    b.map(Value::Bool)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::shape::Field;

    fn n(json: Value, shape: &Shape) -> Option<Value> {
        normalize(json, shape)
    }

    #[test]
    fn integers_from_numbers_and_numeric_text() {
        let i = |v: Value| n(v, &Shape::Integer);
        assert_eq!(i(json!("24")), Some(json!(24)));
        assert_eq!(i(json!(24)), Some(json!(24)));
        assert_eq!(i(json!(-24)), Some(json!(-24)));
        assert_eq!(i(json!(24.9)), Some(json!(24)));
        assert_eq!(i(json!(-24.9)), Some(json!(-24)));
        assert_eq!(i(json!("24.9")), Some(json!(24)));
        assert_eq!(i(json!(" 24 ")), Some(json!(24)));
        assert_eq!(i(json!(18446744073709551615u64)), Some(json!(i64::MAX)));
        assert_eq!(i(json!("1e300")), Some(json!(i64::MAX)));
        for absent in [
            json!(""),
            json!("x"),
            json!("NaN"),
            json!("inf"),
            json!([1]),
            json!({"a": 1}),
            json!(true),
            Value::Null,
        ] {
            assert_eq!(i(absent.clone()), None, "{absent}");
        }
    }

    #[test]
    fn numbers_are_finite() {
        let f = |v: Value| n(v, &Shape::Number);
        assert_eq!(f(json!("1.5")), Some(json!(1.5)));
        assert_eq!(f(json!(2)), Some(json!(2.0)));
        assert_eq!(f(json!(true)), None);
        assert_eq!(f(json!("NaN")), None);
        assert_eq!(f(json!("-inf")), None);
    }

    #[test]
    fn text_from_any_scalar_and_empty_is_absent() {
        let t = |v: Value| n(v, &Shape::String);
        assert_eq!(t(json!("")), None);
        assert_eq!(t(Value::Null), None);
        assert_eq!(t(json!(" x ")), Some(json!(" x ")));
        assert_eq!(t(json!(24)), Some(json!("24")));
        assert_eq!(t(json!(-2)), Some(json!("-2")));
        assert_eq!(t(json!(1.5)), Some(json!("1.5")));
        assert_eq!(t(json!(true)), Some(json!("true")));
        assert_eq!(t(json!([1, "a"])), Some(json!(r#"[1,"a"]"#)));
        assert_eq!(t(json!({"k": 1})), Some(json!(r#"{"k":1}"#)));
    }

    #[test]
    fn booleans_in_their_usual_spellings() {
        let b = |v: Value| n(v, &Shape::Boolean);
        assert_eq!(b(json!("true")), Some(json!(true)));
        assert_eq!(b(json!(" TRUE ")), Some(json!(true)));
        assert_eq!(b(json!("0")), Some(json!(false)));
        assert_eq!(b(json!(1)), Some(json!(true)));
        assert_eq!(b(json!(false)), Some(json!(false)));
        assert_eq!(b(json!("maybe")), None);
        assert_eq!(b(json!(2)), None);
    }

    static STRINGS: Shape = Shape::List {
        item: &Shape::String,
        xml_item: None,
    };

    #[test]
    fn lists_in_every_layout() {
        let l = |v: Value| n(v, &STRINGS);
        assert_eq!(l(json!(["a", "b"])), Some(json!(["a", "b"])));
        assert_eq!(l(json!({"Item": ["a", "b"]})), Some(json!(["a", "b"])));
        assert_eq!(l(json!("a")), Some(json!(["a"])));
        assert_eq!(l(Value::Null), None);
        assert_eq!(l(json!(" ")), None);
        assert_eq!(l(json!({})), None);
        assert_eq!(l(json!([])), None);
        assert_eq!(l(json!([{"x": 1}])), None);
        assert_eq!(
            l(json!(["a", {"x": 1}, [2], null, "", 3])),
            Some(json!(["a", "", "3"]))
        );
    }

    static ITEM: Shape = Shape::Object(&[Field {
        name: "Id",
        shape: &Shape::String,
    }]);
    static OUTER: Shape = Shape::Object(&[
        Field {
            name: "Items",
            shape: &Shape::List {
                item: &ITEM,
                xml_item: None,
            },
        },
        Field {
            name: "One",
            shape: &ITEM,
        },
        Field {
            name: "RequestId",
            shape: &Shape::String,
        },
    ]);

    #[test]
    fn object_lists_in_every_layout_and_bad_items_left_out() {
        let o = |v: Value| n(v, &OUTER).unwrap();
        assert_eq!(
            o(json!({"Items": [{"Id": "a"}, 3, "x", [1], null, {"Id": 7}], "RequestId": "r"})),
            json!({"Items": [{"Id": "a"}, {"Id": "7"}], "RequestId": "r"})
        );
        assert_eq!(
            o(json!({"Items": {"Dto": [{"Id": "a"}]}})),
            json!({"Items": [{"Id": "a"}]})
        );
        assert_eq!(
            o(json!({"Items": {"Id": "solo"}})),
            json!({"Items": [{"Id": "solo"}]})
        );
        for empty in [json!(""), Value::Null, json!({}), json!([])] {
            assert_eq!(o(json!({"Items": empty})), json!({}));
        }
    }

    #[test]
    fn odd_objects_are_absent_not_fatal_and_unknown_fields_go() {
        let o = |v: Value| n(v, &OUTER).unwrap();
        assert_eq!(
            o(json!({"One": {"Id": "a", "New": 1}})),
            json!({"One": {"Id": "a"}})
        );
        assert_eq!(o(json!({"One": {}})), json!({"One": {}}));
        for odd in [
            json!(""),
            Value::Null,
            json!(3),
            json!("text"),
            json!([1, 2]),
            json!(true),
        ] {
            assert_eq!(
                o(json!({"One": odd, "RequestId": "r"})),
                json!({"RequestId": "r"}),
                "{odd}"
            );
        }
        assert_eq!(n(json!("not an object"), &OUTER), None);
    }
}
