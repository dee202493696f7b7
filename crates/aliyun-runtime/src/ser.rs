//! Serialisers for generated types: numbers the API wants as JSON strings.

use serde::Serializer;

/// An integer written as a JSON string (`"FileSize": "1024"`).
pub fn i64_as_string<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// An optional integer written as a JSON string; call with `skip_serializing_if`.
pub fn opt_i64_as_string<S: Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(x) => s.collect_str(x),
        None => s.serialize_none(),
    }
}

/// A float written as a JSON string.
pub fn f64_as_string<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// An optional float written as a JSON string.
pub fn opt_f64_as_string<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(x) => s.collect_str(x),
        None => s.serialize_none(),
    }
}

/// A boolean written as a JSON string.
pub fn bool_as_string<S: Serializer>(v: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// An optional boolean written as a JSON string.
pub fn opt_bool_as_string<S: Serializer>(v: &Option<bool>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(x) => s.collect_str(x),
        None => s.serialize_none(),
    }
}
