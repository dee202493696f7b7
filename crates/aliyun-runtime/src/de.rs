//! Lenient field decoders for generated response types, used through
//! `#[serde(deserialize_with = "...")]`. The real service is loose: numbers arrive
//! as strings (FileSize), lists may be bare arrays or wrapped in an object, fields
//! are left out when empty. These accept all of it and never fail a response over
//! a field's spelling; unknown fields are ignored by serde already.
//!
//! Each decoder is a serde visitor, so the usual shapes decode straight from the
//! input (the JSON parser, or the XML tree of [`crate::shape`]) with no
//! intermediate [`Value`]; only the rare layouts (a list wrapped in an object, a
//! string where an object belongs) go through one.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{DeserializeOwned, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

/// Implements the `visit_*` methods a visitor answers the same way for
/// `null`, a missing value and `Some`.
macro_rules! null_and_some {
    ($none:expr) => {
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    };
}

/// Implements `visit_seq` and `visit_map` for a scalar visitor: an array or
/// object where a scalar belongs is skipped and the field is absent. A map can
/// also be a number: with serde_json's `arbitrary_precision` feature (which any
/// crate in a build can turn on) numbers arrive as a one-entry map, which
/// `Value` recognises; `$number` converts it.
macro_rules! containers_absent {
    ($number:expr) => {
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            skip_seq(seq).map(|()| None)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            Ok(match Value::deserialize(MapAccessDeserializer::new(map))? {
                Value::Number(n) => $number(n),
                _ => None,
            })
        }
    };
}

fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// An optional string; numbers and booleans are kept as their text. `null` and
/// the empty string are `None`: the service leaves a field out, or sends it
/// empty (`<MediaId/>` in XML, `""` in JSON), for the same meaning. An array or
/// object where a string belongs is kept as its JSON text.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(OptString)
}

struct OptString;

impl<'de> Visitor<'de> for OptString {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, number, boolean or null")
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok((!v.is_empty()).then(|| v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok((!v.is_empty()).then_some(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        // serde_json's spelling of a float (`1.0`, `1e300`), as before.
        Ok(Some(Value::from(v).to_string()))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    null_and_some!(None);
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let v = Value::deserialize(SeqAccessDeserializer::new(seq))?;
        Ok(Some(v.to_string()))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let v = Value::deserialize(MapAccessDeserializer::new(map))?;
        Ok(Some(v.to_string()))
    }
}

/// A string the API always returns; absent or `null` becomes empty.
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(opt_string(d)?.unwrap_or_default())
}

/// An optional integer from a number or a numeric string; an empty or
/// unparseable value is `None` (it is logged, never fatal). A fraction is
/// truncated toward zero; a value beyond `i64` saturates.
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    d.deserialize_any(OptI64)
}

struct OptI64;

impl<'de> Visitor<'de> for OptI64 {
    type Value = Option<i64>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer or a numeric string")
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(i64::try_from(v).unwrap_or(i64::MAX)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok((!v.is_nan()).then_some(v as i64))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        let t = v.trim();
        if t.is_empty() {
            return Ok(None);
        }
        let parsed = t.parse::<i64>().ok().or_else(|| {
            t.parse::<f64>()
                .ok()
                .filter(|f| !f.is_nan())
                .map(|f| f as i64)
        });
        if parsed.is_none() {
            tracing::warn!(value = %t, "integer field is not a number; kept as absent");
        }
        Ok(parsed)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    null_and_some!(None);
    containers_absent!(|n: serde_json::Number| n
        .as_i64()
        .or_else(|| n.as_u64().map(|_| i64::MAX))
        .or_else(|| n.as_f64().filter(|f| !f.is_nan()).map(|f| f as i64)));
}

/// An integer the API always returns; absent becomes 0.
pub fn i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(opt_i64(d)?.unwrap_or_default())
}

/// An optional float from a number or a numeric string.
pub fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    d.deserialize_any(OptF64)
}

struct OptF64;

impl<'de> Visitor<'de> for OptF64 {
    type Value = Option<f64>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number or a numeric string")
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.trim().parse().ok())
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    null_and_some!(None);
    containers_absent!(|n: serde_json::Number| n.as_f64());
}

/// A float the API always returns; absent becomes 0.
pub fn f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(opt_f64(d)?.unwrap_or_default())
}

/// A boolean the API always returns; absent becomes `false`.
pub fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(opt_bool(d)?.unwrap_or_default())
}

/// An optional boolean from `true`/`false`, their string forms or `1`/`0`.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    d.deserialize_any(OptBool)
}

struct OptBool;

impl<'de> Visitor<'de> for OptBool {
    type Value = Option<bool>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        let t = v.trim();
        Ok(if t.eq_ignore_ascii_case("true") || t == "1" {
            Some(true)
        } else if t.eq_ignore_ascii_case("false") || t == "0" {
            Some(false)
        } else {
            None
        })
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v != 0))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v != 0))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    null_and_some!(None);
    containers_absent!(|n: serde_json::Number| n
        .as_i64()
        .map(|i| i != 0)
        .or_else(|| n.as_u64().map(|u| u != 0)));
}

/// An optional open enum from its text, read as [`opt_string`] reads a string.
/// A known value borrowed from the input is matched without being copied;
/// only an unknown one is kept as an owned `String`.
pub fn opt_from_string<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: for<'a> From<&'a str> + From<String>,
{
    d.deserialize_any(OptText(PhantomData))
}

/// An open enum the API always returns; absent or `null` is read as the empty
/// text (`T::from("")`), as [`string`] reads it.
pub fn from_string<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: for<'a> From<&'a str> + From<String>,
{
    Ok(opt_from_string(d)?.unwrap_or_else(|| T::from("")))
}

/// [`OptString`] for an open enum: text is handed over by reference; every
/// other form goes through `OptString` and its `String`.
struct OptText<T>(PhantomData<T>);

/// Forwards `visit_*` methods taking a value to [`OptString`].
macro_rules! via_opt_string {
    ($($method:ident($ty:ty)),*) => {$(
        fn $method<E: serde::de::Error>(self, v: $ty) -> Result<Self::Value, E> {
            OptString.$method(v).map(|s| s.map(T::from))
        }
    )*};
}

impl<'de, T: for<'a> From<&'a str> + From<String>> Visitor<'de> for OptText<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        OptString.expecting(f)
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok((!v.is_empty()).then(|| T::from(v)))
    }
    via_opt_string!(
        visit_string(String),
        visit_u64(u64),
        visit_i64(i64),
        visit_f64(f64),
        visit_bool(bool)
    );
    null_and_some!(None);
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        OptString.visit_seq(seq).map(|s| s.map(T::from))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        OptString.visit_map(map).map(|s| s.map(T::from))
    }
}

/// A nested object the API always returns; absent becomes the default value.
pub fn object<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    Ok(opt_object(d)?.unwrap_or_default())
}

/// An optional nested object; `null` or an empty string is `None`, and an
/// empty object (`{}`, or `<Obj/>` in XML) is `Some` with every field absent.
/// Anything else that is not an object (a number, a non-empty string, an
/// array) is logged and `None`: one odd field must not cost the caller the
/// whole response.
pub fn opt_object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    d.deserialize_any(OptObject(PhantomData))
}

struct OptObject<T>(PhantomData<T>);

impl<T> OptObject<T> {
    fn not_an_object<E>(what: &str) -> Result<Option<T>, E> {
        tracing::warn!(found = what, "an object was expected; left out");
        Ok(None)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for OptObject<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Some)
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        if v.trim().is_empty() {
            Ok(None)
        } else {
            Self::not_an_object("a string")
        }
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Self::not_an_object("a number")
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Self::not_an_object("a number")
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Self::not_an_object("a number")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Self::not_an_object("a boolean")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        skip_seq(seq)?;
        Self::not_an_object("an array")
    }
    null_and_some!(None);
}

/// A list: a bare array, `null`/absent/`""`/`{}` (empty), an object wrapping one array
/// (`{"Item": [..]}`), or a single item standing for a one-item list. One item
/// that does not decode is logged and left out; the others are kept.
///
/// Items are buffered as [`Value`]s so that a bad one can be skipped without
/// losing the input's position; for lists of generated objects, whose lenient
/// fields cannot fail, [`object_list`] avoids that copy.
pub fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    d.deserialize_any(ListVisitor(PhantomData, ValueItems))
}

/// A list of generated objects: as [`list`], but the items of a bare array are
/// decoded straight from the input. An object cannot fail on its fields (each
/// field decoder is lenient); an item that is not an object is logged and left
/// out, as [`list`] does. The one exception, an object repeating a key (serde's
/// derive refuses a duplicate field), fails the direct decode, which
/// [`crate::decode_output`] then retries through a [`Value`] (the last one wins).
pub fn object_list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    d.deserialize_any(ListVisitor(PhantomData, ObjectItems))
}

/// How a [`ListVisitor`] reads the items of a bare array.
trait ItemReader {
    fn next<'de, A: SeqAccess<'de>, T: DeserializeOwned>(
        seq: &mut A,
    ) -> Result<Option<Option<T>>, A::Error>;
}

/// Any item type: buffered as a [`Value`], then converted.
struct ValueItems;

impl ItemReader for ValueItems {
    fn next<'de, A: SeqAccess<'de>, T: DeserializeOwned>(
        seq: &mut A,
    ) -> Result<Option<Option<T>>, A::Error> {
        Ok(seq.next_element::<Value>()?.map(item_from_value))
    }
}

/// Generated objects: straight from the input.
struct ObjectItems;

impl ItemReader for ObjectItems {
    fn next<'de, A: SeqAccess<'de>, T: DeserializeOwned>(
        seq: &mut A,
    ) -> Result<Option<Option<T>>, A::Error> {
        Ok(seq.next_element::<ObjectItem<T>>()?.map(|item| item.0))
    }
}

fn item_from_value<T: DeserializeOwned>(v: Value) -> Option<T> {
    match serde_json::from_value(v) {
        Ok(item) => Some(item),
        Err(e) => {
            tracing::warn!(error = %e, "list item does not decode; left out");
            None
        }
    }
}

/// The rare list layouts, through a [`Value`].
fn list_from_value<T: DeserializeOwned>(value: Value) -> Vec<T> {
    let items = match value {
        Value::Null => return Vec::new(),
        Value::String(s) if s.trim().is_empty() => return Vec::new(),
        Value::Object(map) if map.is_empty() => return Vec::new(),
        Value::Array(items) => items,
        Value::Object(map)
            if map.len() == 1 && matches!(map.values().next(), Some(Value::Array(_))) =>
        {
            match map.into_iter().next() {
                Some((_, Value::Array(items))) => items,
                _ => Vec::new(),
            }
        }
        single => vec![single],
    };
    items.into_iter().filter_map(item_from_value).collect()
}

struct ListVisitor<T, R>(PhantomData<T>, R);

impl<'de, T: DeserializeOwned, R: ItemReader> Visitor<'de> for ListVisitor<T, R> {
    type Value = Vec<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = R::next::<A, T>(&mut seq)? {
            out.extend(item);
        }
        Ok(out)
    }
    null_and_some!(Vec::new());
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Vec<T>, A::Error> {
        Ok(list_from_value(Value::deserialize(
            MapAccessDeserializer::new(map),
        )?))
    }
    fn visit_str<E>(self, v: &str) -> Result<Vec<T>, E> {
        Ok(list_from_value(Value::String(v.to_owned())))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Vec<T>, E> {
        Ok(list_from_value(Value::from(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Vec<T>, E> {
        Ok(list_from_value(Value::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Vec<T>, E> {
        Ok(list_from_value(Value::from(v)))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Vec<T>, E> {
        Ok(list_from_value(Value::Bool(v)))
    }
}

/// One item of [`object_list`]: read as [`opt_object`] reads a field, so an
/// item that is not an object is logged and left out.
struct ObjectItem<T>(Option<T>);

impl<'de, T: DeserializeOwned> Deserialize<'de> for ObjectItem<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        opt_object(d).map(ObjectItem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug, PartialEq)]
    struct T {
        #[serde(default, deserialize_with = "opt_i64")]
        n: Option<i64>,
        #[serde(default, deserialize_with = "list")]
        l: Vec<String>,
        #[serde(default, deserialize_with = "string")]
        s: String,
        #[serde(default, deserialize_with = "opt_bool")]
        b: Option<bool>,
        #[serde(default, deserialize_with = "opt_f64")]
        f: Option<f64>,
    }

    fn t(json: &str) -> T {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn numbers_from_strings_or_numbers() {
        assert_eq!(t(r#"{"n": "24"}"#).n, Some(24));
        assert_eq!(t(r#"{"n": 24}"#).n, Some(24));
        assert_eq!(t(r#"{"n": -24}"#).n, Some(-24));
        assert_eq!(t(r#"{"n": 24.9}"#).n, Some(24));
        assert_eq!(t(r#"{"n": "24.9"}"#).n, Some(24));
        assert_eq!(t(r#"{"n": " 24 "}"#).n, Some(24));
        assert_eq!(t(r#"{"n": 18446744073709551615}"#).n, Some(i64::MAX));
        assert_eq!(t(r#"{"n": ""}"#).n, None);
        assert_eq!(t(r#"{"n": "x"}"#).n, None);
        assert_eq!(t(r#"{"n": "NaN"}"#).n, None);
        assert_eq!(t(r#"{"n": [1]}"#).n, None);
        assert_eq!(t(r#"{"n": {"a": 1}, "s": "kept"}"#), {
            T {
                n: None,
                l: vec![],
                s: "kept".into(),
                b: None,
                f: None,
            }
        });
        assert_eq!(t(r#"{}"#).n, None);
        assert_eq!(t(r#"{"f": "1.5"}"#).f, Some(1.5));
        assert_eq!(t(r#"{"f": 2}"#).f, Some(2.0));
        assert_eq!(t(r#"{"f": true}"#).f, None);
    }

    #[test]
    fn lists_in_every_layout() {
        assert_eq!(t(r#"{"l": ["a","b"]}"#).l, ["a", "b"]);
        assert_eq!(t(r#"{"l": {"Item": ["a","b"]}}"#).l, ["a", "b"]);
        assert_eq!(t(r#"{"l": "a"}"#).l, ["a"]);
        assert_eq!(t(r#"{"l": null}"#).l, Vec::<String>::new());
        assert_eq!(t(r#"{"l": ""}"#).l, Vec::<String>::new());
        assert_eq!(t(r#"{"l": ["a", {"x": 1}, "b"]}"#).l, ["a", "b"]);
        assert_eq!(t(r#"{}"#).l, Vec::<String>::new());
    }

    #[derive(Deserialize, Debug, PartialEq, Default)]
    struct Item {
        #[serde(rename = "Id", default, deserialize_with = "opt_string")]
        id: Option<String>,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct Outer {
        #[serde(rename = "Items", default, deserialize_with = "object_list")]
        items: Vec<Item>,
        #[serde(rename = "One", default, deserialize_with = "opt_object")]
        one: Option<Item>,
        #[serde(rename = "RequestId", default, deserialize_with = "string")]
        request_id: String,
    }

    fn outer(json: &str) -> Outer {
        serde_json::from_str(json).unwrap()
    }

    fn ids(o: &Outer) -> Vec<&str> {
        o.items
            .iter()
            .map(|i| i.id.as_deref().unwrap_or("-"))
            .collect()
    }

    #[test]
    fn object_lists_in_every_layout_and_bad_items_left_out() {
        let o =
            outer(r#"{"Items": [{"Id": "a"}, 3, "x", [1], null, {"Id": 7}], "RequestId": "r"}"#);
        assert_eq!(ids(&o), ["a", "7"]);
        assert_eq!(o.request_id, "r");
        assert_eq!(ids(&outer(r#"{"Items": {"Dto": [{"Id": "a"}]}}"#)), ["a"]);
        assert_eq!(ids(&outer(r#"{"Items": {"Id": "solo"}}"#)), ["solo"]);
        assert!(outer(r#"{"Items": ""}"#).items.is_empty());
        assert!(outer(r#"{"Items": null}"#).items.is_empty());
        assert!(outer(r#"{"Items": {}}"#).items.is_empty());
    }

    #[test]
    fn odd_objects_are_absent_not_fatal() {
        assert_eq!(
            outer(r#"{"One": {"Id": "a"}}"#).one,
            Some(Item {
                id: Some("a".into())
            })
        );
        for odd in [r#""""#, "null", "3", r#""text""#, "[1, 2]", "true"] {
            let o = outer(&format!(r#"{{"One": {odd}, "RequestId": "r"}}"#));
            assert_eq!(o.one, None, "{odd}");
            assert_eq!(o.request_id, "r", "{odd}");
        }
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct O {
        #[serde(default, deserialize_with = "opt_string")]
        s: Option<String>,
    }

    #[test]
    fn empty_optional_strings_are_absent() {
        let o = |json: &str| serde_json::from_str::<O>(json).unwrap().s;
        assert_eq!(o(r#"{"s": ""}"#), None);
        assert_eq!(o(r#"{"s": null}"#), None);
        assert_eq!(o(r#"{}"#), None);
        assert_eq!(o(r#"{"s": " x "}"#).as_deref(), Some(" x "));
        assert_eq!(o(r#"{"s": "a\"b\u00e9"}"#).as_deref(), Some("a\"bé"));
        assert_eq!(o(r#"{"s": 24}"#).as_deref(), Some("24"));
        assert_eq!(o(r#"{"s": -2}"#).as_deref(), Some("-2"));
        assert_eq!(o(r#"{"s": 1.5}"#).as_deref(), Some("1.5"));
        assert_eq!(o(r#"{"s": [1, "a"]}"#).as_deref(), Some(r#"[1,"a"]"#));
        assert_eq!(o(r#"{"s": {"k": 1}}"#).as_deref(), Some(r#"{"k":1}"#));
    }

    #[test]
    fn strings_and_bools() {
        assert_eq!(t(r#"{"s": 12}"#).s, "12");
        assert_eq!(t(r#"{}"#).s, "");
        assert_eq!(t(r#"{"b": "true"}"#).b, Some(true));
        assert_eq!(t(r#"{"b": " TRUE "}"#).b, Some(true));
        assert_eq!(t(r#"{"b": "0"}"#).b, Some(false));
        assert_eq!(t(r#"{"b": 1}"#).b, Some(true));
        assert_eq!(t(r#"{"b": false}"#).b, Some(false));
        assert_eq!(t(r#"{"b": "maybe"}"#).b, None);
    }

    /// An open enum as the generator writes one: `From<&str>` and `From<String>`.
    #[derive(Debug, PartialEq)]
    enum Open {
        Known,
        Unknown(String),
    }
    impl From<&str> for Open {
        fn from(s: &str) -> Self {
            match s {
                "KNOWN" => Open::Known,
                other => Open::Unknown(other.to_owned()),
            }
        }
    }
    impl From<String> for Open {
        fn from(s: String) -> Self {
            match s.as_str() {
                "KNOWN" => Open::Known,
                _ => Open::Unknown(s),
            }
        }
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct E {
        #[serde(default, deserialize_with = "opt_from_string")]
        o: Option<Open>,
        #[serde(default = "absent", deserialize_with = "from_string")]
        r: Open,
    }

    fn absent() -> Open {
        Open::Unknown("<default>".into())
    }

    #[test]
    fn open_enums_from_text_in_every_form() {
        let e = |json: &str| serde_json::from_str::<E>(json).unwrap();
        // Borrowed text, and text that had to be unescaped (handed over owned).
        assert_eq!(e(r#"{"o": "KNOWN"}"#).o, Some(Open::Known));
        assert_eq!(e(r#"{"o": "KN\u004fWN"}"#).o, Some(Open::Known));
        assert_eq!(e(r#"{"o": "NEW"}"#).o, Some(Open::Unknown("NEW".into())));
        assert_eq!(
            e(r#"{"o": "N\"EW"}"#).o,
            Some(Open::Unknown("N\"EW".into()))
        );
        // Other scalars are read as their text; empty, null and containers are absent.
        assert_eq!(e(r#"{"o": 7}"#).o, Some(Open::Unknown("7".into())));
        assert_eq!(e(r#"{"o": true}"#).o, Some(Open::Unknown("true".into())));
        assert_eq!(e(r#"{"o": ""}"#).o, None);
        assert_eq!(e(r#"{"o": null}"#).o, None);
        assert_eq!(e(r#"{"o": [1]}"#).o, Some(Open::Unknown("[1]".into())));
        assert_eq!(e(r#"{}"#).o, None);
        // A required one: null or empty reads as the empty text.
        assert_eq!(e(r#"{"r": "KNOWN"}"#).r, Open::Known);
        assert_eq!(e(r#"{"r": null}"#).r, Open::Unknown(String::new()));
        assert_eq!(e(r#"{"r": ""}"#).r, Open::Unknown(String::new()));
    }
}
