//! Lenient field decoders for generated response types, used through
//! `#[serde(deserialize_with = "...")]`. The real service is loose: numbers arrive
//! as strings (FileSize), lists may be bare arrays or wrapped in an object, fields
//! are left out when empty. These accept all of it and never fail a response over
//! a field's spelling; unknown fields are ignored by serde already.

use serde::de::{DeserializeOwned, Deserializer};
use serde::Deserialize;
use serde_json::Value;

/// An optional string; numbers and booleans are kept as their text. `null` and
/// the empty string are `None`: the service leaves a field out, or sends it
/// empty (`<MediaId/>` in XML, `""` in JSON), for the same meaning.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    })
}

/// A string the API always returns; absent or `null` becomes empty.
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(opt_string(d)?.unwrap_or_default())
}

/// An optional integer from a number or a numeric string; an empty or
/// unparseable value is `None` (it is logged, never fatal).
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                None
            } else {
                let parsed = t
                    .parse::<i64>()
                    .ok()
                    .or_else(|| t.parse::<f64>().ok().map(|f| f as i64));
                if parsed.is_none() {
                    tracing::warn!(value = %t, "integer field is not a number; kept as absent");
                }
                parsed
            }
        }
        _ => None,
    })
}

/// An integer the API always returns; absent becomes 0.
pub fn i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(opt_i64(d)?.unwrap_or_default())
}

/// An optional float from a number or a numeric string.
pub fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// A float the API always returns; absent becomes 0.
pub fn f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(opt_f64(d)?.unwrap_or_default())
}

/// A boolean the API always returns; absent becomes `false`.
pub fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(opt_bool(d)?.unwrap_or_default())
}

/// An optional open enum (any `From<String>` type) from its text.
pub fn opt_from_string<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: From<String>,
{
    Ok(opt_string(d)?.map(T::from))
}

/// A nested object the API always returns; absent becomes the default value.
pub fn object<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    Ok(opt_object(d)?.unwrap_or_default())
}

/// An optional boolean from `true`/`false` or their string forms.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => Some(b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        _ => None,
    })
}

/// A list: a bare array, `null`/absent (empty), an object wrapping one array
/// (`{"Item": [..]}`), or a single item standing for a one-item list.
pub fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = Value::deserialize(d)?;
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::String(s) if s.trim().is_empty() => return Ok(Vec::new()),
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
    // One malformed item must not cost the caller every other item: it is
    // logged and left out.
    Ok(items
        .into_iter()
        .filter_map(|v| match serde_json::from_value(v) {
            Ok(item) => Some(item),
            Err(e) => {
                tracing::warn!(error = %e, "list item does not decode; left out");
                None
            }
        })
        .collect())
}

/// An optional nested object; `null`, an empty string or an empty XML element
/// is `None`.
pub fn opt_object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        v => serde_json::from_value(v)
            .map(Some)
            .map_err(serde::de::Error::custom),
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
    }

    fn t(json: &str) -> T {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn numbers_from_strings_or_numbers() {
        assert_eq!(t(r#"{"n": "24"}"#).n, Some(24));
        assert_eq!(t(r#"{"n": 24}"#).n, Some(24));
        assert_eq!(t(r#"{"n": " 24 "}"#).n, Some(24));
        assert_eq!(t(r#"{"n": ""}"#).n, None);
        assert_eq!(t(r#"{"n": "x"}"#).n, None);
        assert_eq!(t(r#"{}"#).n, None);
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
        assert_eq!(o(r#"{"s": 24}"#).as_deref(), Some("24"));
    }

    #[test]
    fn strings_and_bools() {
        assert_eq!(t(r#"{"s": 12}"#).s, "12");
        assert_eq!(t(r#"{}"#).s, "");
        assert_eq!(t(r#"{"b": "true"}"#).b, Some(true));
        assert_eq!(t(r#"{"b": false}"#).b, Some(false));
    }
}
