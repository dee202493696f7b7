//! Request parameters: the spec's rules checked and values put in wire form,
//! by reading an operation's parameter table ([`crate::operation`]).
//!
//! Both ways into the pipeline pass through [`encode`]: the typed SDK, whose
//! generated inputs serialise to a JSON object keyed by wire names
//! ([`encode_input`]), and tools that build that object themselves (the CLI
//! from its flags). Each rule has this one implementation.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{Rule, ValidationError};
use crate::operation::{Operation, Param, Style, Ty};
use crate::validate::check_string;

/// Parameters in wire form, in the order they were declared. Names are owned
/// only when flattening made them (`Tag.1.Key`).
pub type WireParams = Vec<(Cow<'static, str>, String)>;

/// Validates a typed input and returns its parameters in wire form; nothing is
/// sent when this fails. The input serialises to an object keyed by wire names
/// (unset parameters absent or `null`).
pub fn encode_input<T: Serialize + ?Sized>(
    op: &'static Operation,
    input: &T,
) -> Result<WireParams, ValidationError> {
    match serde_json::to_value(input) {
        Ok(Value::Object(map)) => encode(op, &map),
        Ok(_) => Err(ValidationError::new(
            op.action,
            "",
            Rule::WrongType {
                expected: "an object",
            },
        )),
        Err(e) => Err(ValidationError::new(
            op.action,
            "",
            Rule::Json(e.to_string()),
        )),
    }
}

/// Validates `input` (a JSON object keyed by wire names; `null` is unset)
/// against the operation's table and returns its parameters in wire form.
///
/// In order: unknown names, required parameters, groups, then each parameter's
/// rules in table order; the first broken rule is the error. Every set
/// parameter is checked, but in a precedence group only the first member set
/// is sent.
pub fn encode(op: &Operation, input: &Map<String, Value>) -> Result<WireParams, ValidationError> {
    let err = |param: &str, rule| Err(ValidationError::new(op.action, param, rule));
    if let Some(unknown) = input.keys().find(|k| op.param(k).is_none()) {
        return err(unknown, unknown_rule(op.params));
    }
    let set = |name: &str| input.get(name).filter(|v| !v.is_null());
    if let Some(p) = op
        .params
        .iter()
        .find(|p| p.required && set(p.name).is_none())
    {
        return err(p.name, Rule::Required);
    }
    for g in op.groups {
        if !g.members.iter().any(|m| set(m).is_some()) {
            let members = g.members.iter().map(|m| (*m).to_owned()).collect();
            return err(
                g.members.first().copied().unwrap_or(""),
                Rule::AtLeastOneOf(members),
            );
        }
    }
    let mut out = WireParams::with_capacity(input.len());
    for p in op.params {
        let Some(value) = set(p.name) else { continue };
        check(op.action, p.name, &p.ty, p.style, value, None)?;
        let outranked = op.groups.iter().filter(|g| g.precedence).any(|g| {
            let mut earlier = g.members.iter().take_while(|m| **m != p.name);
            g.members.contains(&p.name) && earlier.any(|m| set(m).is_some())
        });
        if !outranked {
            write(op.action, p, value, &mut out)?;
        }
    }
    Ok(out)
}

fn unknown_rule(params: &[Param]) -> Rule {
    Rule::Unknown {
        known: params.iter().map(|p| p.name.to_owned()).collect(),
    }
}

/// Checks one value against its parameter's type and rules. `path` names it in
/// errors (`UploadMetadatas[0].SourceURL`); `index` is its place in a simple list.
fn check(
    action: &'static str,
    path: &str,
    ty: &Ty,
    style: Style,
    value: &Value,
    index: Option<usize>,
) -> Result<(), ValidationError> {
    let err = |rule| Err(ValidationError::new(action, path, rule));
    let wrong = |expected| err(Rule::WrongType { expected });
    match ty {
        Ty::String(rules) => match scalar_text(value) {
            Some(text) => check_string(action, path, &text, rules, index),
            None => wrong("a string"),
        },
        Ty::Integer if as_i64(value).is_none() => wrong("an integer"),
        Ty::Number if as_f64(value).is_none() => wrong("a number"),
        Ty::Boolean if as_bool(value).is_none() => wrong("a boolean (true or false)"),
        Ty::Integer | Ty::Number | Ty::Boolean | Ty::Any => Ok(()),
        Ty::List(rules) => {
            let Value::Array(items) = value else {
                return wrong("a list");
            };
            if items.len() < rules.min_items {
                return err(Rule::MinItems {
                    min: rules.min_items,
                    got: items.len(),
                });
            }
            if let Some(max) = rules.max_items.filter(|max| items.len() > *max) {
                return err(Rule::MaxItems {
                    max,
                    got: items.len(),
                });
            }
            // Items joined into one string must not be blank or hold the separator.
            let joined = style == Style::Simple && scalar_ty(&rules.item);
            for (i, item) in items.iter().enumerate() {
                if joined {
                    let text = scalar_text(item).unwrap_or_default();
                    if text.trim().is_empty() {
                        return err(Rule::BlankItem { index: i });
                    }
                    if !rules.items_encoded && text.contains(rules.separator) {
                        return err(Rule::ItemContainsSeparator {
                            index: i,
                            separator: rules.separator,
                        });
                    }
                    check(action, path, &rules.item, style, item, Some(i))?;
                } else {
                    let item_path = format!("{path}[{i}]");
                    check(action, &item_path, &rules.item, style, item, None)?;
                }
            }
            Ok(())
        }
        Ty::Object(fields) | Ty::OpenObject(fields) => {
            let Value::Object(map) = value else {
                return wrong("an object");
            };
            let unknown = map.keys().find(|k| !fields.iter().any(|f| f.name == *k));
            if let (Some(unknown), Ty::Object(_)) = (unknown, ty) {
                return Err(ValidationError::new(
                    action,
                    format!("{path}.{unknown}"),
                    unknown_rule(fields),
                ));
            }
            for field in *fields {
                let field_path = format!("{path}.{}", field.name);
                let present = map.get(field.name).filter(|v| !v.is_null());
                match present {
                    Some(v)
                        if field.required
                            && scalar_text(v).is_some_and(|t| t.trim().is_empty()) =>
                    {
                        return Err(ValidationError::new(action, field_path, Rule::Required));
                    }
                    Some(v) => check(action, &field_path, &field.ty, style, v, None)?,
                    None if field.required => {
                        return Err(ValidationError::new(action, field_path, Rule::Required));
                    }
                    None => {}
                }
            }
            Ok(())
        }
    }
}

fn scalar_ty(ty: &Ty) -> bool {
    matches!(ty, Ty::String(_) | Ty::Integer | Ty::Number | Ty::Boolean)
}

/// Puts a checked value on the wire as its style says.
fn write(
    action: &'static str,
    param: &'static Param,
    value: &Value,
    out: &mut WireParams,
) -> Result<(), ValidationError> {
    match param.style {
        Style::Simple => {
            let text = match (&param.ty, value) {
                (Ty::List(rules), Value::Array(items)) => {
                    let mut joined = String::new();
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            joined.push(rules.separator);
                        }
                        let text = wire_text(&rules.item, item).unwrap_or_default();
                        if rules.items_encoded {
                            aliyun_sign::percent_encode_into(&mut joined, &text);
                        } else {
                            joined.push_str(&text);
                        }
                    }
                    joined
                }
                _ => match wire_text(&param.ty, value) {
                    Some(text) => text.into_owned(),
                    None => json_text(action, param, value)?,
                },
            };
            out.push((Cow::Borrowed(param.name), text));
        }
        Style::Json => out.push((Cow::Borrowed(param.name), json_text(action, param, value)?)),
        Style::RepeatList => flatten(param.name.to_owned(), &param.ty, value, out),
    }
    Ok(())
}

fn json_text(
    action: &'static str,
    param: &Param,
    value: &Value,
) -> Result<String, ValidationError> {
    serde_json::to_string(&normalized(&param.ty, param.as_string, value))
        .map_err(|e| ValidationError::new(action, param.name, Rule::Json(e.to_string())))
}

/// The value as JSON-style parameters carry it: integers, numbers and booleans
/// given as text become JSON numbers and booleans, except fields the spec sends
/// as strings (`"FileSize": "1024"`), which become strings.
fn normalized(ty: &Ty, as_string: bool, value: &Value) -> Value {
    if as_string {
        if let Some(text) = scalar_text(value) {
            return Value::String(text.into_owned());
        }
    }
    match (ty, value) {
        (Ty::String(_), Value::Number(_) | Value::Bool(_)) => {
            Value::String(scalar_text(value).unwrap_or_default().into_owned())
        }
        (Ty::Integer, Value::String(_)) => as_i64(value).map_or_else(|| value.clone(), Value::from),
        (Ty::Number, Value::String(_)) => as_f64(value).map_or_else(|| value.clone(), Value::from),
        (Ty::Boolean, Value::String(_)) => {
            as_bool(value).map_or_else(|| value.clone(), Value::from)
        }
        (Ty::List(rules), Value::Array(items)) => Value::Array(
            items
                .iter()
                .map(|v| normalized(&rules.item, false, v))
                .collect(),
        ),
        // A null field is unset: left out, as the typed inputs leave it out.
        (Ty::Object(fields) | Ty::OpenObject(fields), Value::Object(map)) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| match fields.iter().find(|f| f.name == k) {
                    Some(f) => (k.clone(), normalized(&f.ty, f.as_string, v)),
                    None => (k.clone(), v.clone()),
                })
                .collect(),
        ),
        _ => value.clone(),
    }
}

/// `repeatList`: `Name.1`, `Name.1.Key`, `Name.1.Sub.2.Key`, ... (1-based).
fn flatten(prefix: String, ty: &Ty, value: &Value, out: &mut WireParams) {
    match (ty, value) {
        (Ty::List(rules), Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                flatten(format!("{prefix}.{}", i + 1), &rules.item, item, out);
            }
        }
        (Ty::Object(fields), Value::Object(map)) => {
            for field in *fields {
                if let Some(v) = map.get(field.name).filter(|v| !v.is_null()) {
                    flatten(format!("{prefix}.{}", field.name), &field.ty, v, out);
                }
            }
        }
        // Keys beyond the known fields go as given, in the object's order.
        (Ty::OpenObject(fields), Value::Object(map)) => {
            for (key, v) in map.iter().filter(|(_, v)| !v.is_null()) {
                let ty = fields
                    .iter()
                    .find(|f| f.name == key)
                    .map_or(&Ty::Any, |f| &f.ty);
                flatten(format!("{prefix}.{key}"), ty, v, out);
            }
        }
        _ => {
            let text = match wire_text(ty, value) {
                Some(text) => text.into_owned(),
                None => value.to_string(),
            };
            out.push((Cow::Owned(prefix), text));
        }
    }
}

/// A checked scalar of type `ty` as it goes on the wire, in canonical form:
/// an integer given as `"007"` or `"+7"` is sent as `7`, a boolean as
/// `true`/`false`; strings as given. `None` for arrays, objects and `null`.
fn wire_text<'v>(ty: &Ty, value: &'v Value) -> Option<Cow<'v, str>> {
    let canonical = match ty {
        Ty::Integer => as_i64(value).map(|i| i.to_string()),
        Ty::Number => as_f64(value).map(|f| f.to_string()),
        Ty::Boolean => as_bool(value).map(|b| b.to_string()),
        _ => None,
    };
    match canonical {
        Some(text) => Some(Cow::Owned(text)),
        None => scalar_text(value),
    }
}

/// The text of a scalar as it goes on the wire (`5`, `0.5`, `true`); `None`
/// for arrays, objects and `null`.
fn scalar_text(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        Value::Number(n) => Some(Cow::Owned(match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (None, Some(u), _) => u.to_string(),
            (None, None, Some(f)) => f.to_string(),
            _ => n.to_string(),
        })),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// An integer parameter's value as the encoder reads it: a JSON number or
/// its decimal text (the CLI passes every flag as text).
pub(crate) fn as_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn as_f64(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

fn as_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
