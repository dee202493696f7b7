//! Every operation the emulator does not model with state, answered from its
//! descriptor in `aliyun-vod` (the same tables the SDK encodes with): the
//! parameters are checked as the service checks them (`MissingParameter`,
//! `InvalidParameter` naming the parameter) and the answer is a body of the
//! operation's response shape, every field present, in JSON or XML. Users'
//! tests can call any operation offline and get something their decoder must
//! read; the values are placeholders, not a model of VOD.

use aliyun_runtime::operation::{Operation, Param, Style, Ty};
use aliyun_runtime::shape::Shape;

use crate::error::ApiError;
use crate::render::Node;
use crate::request::ApiRequest;

/// Nesting deeper than this in a response shape is answered empty (shapes are
/// static trees, but a spec could describe a type that contains itself).
const MAX_DEPTH: usize = 16;

/// The operation named `action`, if the spec has it.
pub(crate) fn find(action: &str) -> Option<&'static Operation> {
    aliyun_vod::OPERATIONS
        .iter()
        .copied()
        .find(|op| op.action == action)
}

/// Answers a body of the operation's response shape (the caller has checked
/// `req` against its parameters with [`check`]).
pub(crate) fn answer(
    op: &'static Operation,
    req: &ApiRequest,
    request_id: &str,
) -> Result<Node, ApiError> {
    // One page of one item each: a page past the first is empty, so a
    // paginator (with no total or size to stop it) ends after page 1.
    let later_page = op
        .pages
        .and_then(|p| req.param(p.page))
        .and_then(|v| v.trim().parse::<i64>().ok())
        .is_some_and(|n| n > 1);
    Ok(body(op.output, request_id, if later_page { 0 } else { 1 }))
}

/// The service's own checks, in table order: a required parameter that is
/// absent or empty, a value that is not of the parameter's type, a list over
/// its limit, JSON that does not parse; then groups with no member set.
///
/// `list_limits: false` leaves the lists' item limits to the caller (an
/// operation modelled with state whose limit is configurable).
pub(crate) fn check(op: &Operation, req: &ApiRequest, list_limits: bool) -> Result<(), ApiError> {
    for p in op.params {
        if p.style == Style::RepeatList {
            let prefix = format!("{}.", p.name);
            if p.required && !req.params().any(|(k, _)| k.starts_with(&prefix)) {
                return Err(ApiError::missing(p.name));
            }
            continue;
        }
        match req.param(p.name).filter(|v| !v.is_empty()) {
            None if p.required => return Err(ApiError::missing(p.name)),
            None => {}
            Some(value) => check_value(p, value, list_limits)?,
        }
    }
    for group in op.groups {
        let set = group
            .members
            .iter()
            .any(|m| req.param(m).is_some_and(|v| !v.is_empty()));
        if !set {
            let first = group.members.first().copied().unwrap_or("(group)");
            return Err(ApiError::missing(first));
        }
    }
    Ok(())
}

fn check_value(p: &Param, value: &str, list_limits: bool) -> Result<(), ApiError> {
    if p.style == Style::Json {
        return serde_json::from_str::<serde_json::Value>(value)
            .map(drop)
            .map_err(|_| ApiError::invalid(p.name, "it is not valid JSON."));
    }
    match p.ty {
        Ty::Integer if value.trim().parse::<i64>().is_err() => {
            Err(ApiError::invalid(p.name, "it must be an integer."))
        }
        Ty::Number if value.trim().parse::<f64>().map_or(true, |f| !f.is_finite()) => {
            Err(ApiError::invalid(p.name, "it must be a number."))
        }
        Ty::Boolean if !matches!(value, "true" | "false") => {
            Err(ApiError::invalid(p.name, "it must be true or false."))
        }
        Ty::String(rules) if rules.max_length.is_some_and(|m| value.chars().count() > m) => {
            Err(ApiError::invalid(p.name, "it is too long."))
        }
        Ty::List(rules) => {
            let items: Vec<&str> = value.split(rules.separator).collect();
            let whole = |s: &&str| s.trim().parse::<i64>().is_ok();
            if matches!(rules.item, Ty::Integer) && !items.iter().all(whole) {
                return Err(ApiError::invalid(p.name, "its items must be integers."));
            }
            match rules.max_items {
                Some(max) if list_limits && items.len() > max => Err(ApiError::invalid(
                    p.name,
                    &format!("it holds {} items, more than {max}.", items.len()),
                )),
                _ => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

/// A body of `shape`: `RequestId` is the call's; every other field present,
/// with a placeholder of its type; every list with `items` items.
fn body(shape: &Shape, request_id: &str, items: usize) -> Node {
    match shape {
        Shape::Object(fields) => Node::Object(
            fields
                .iter()
                .map(|f| {
                    let value = if f.name == "RequestId" {
                        Node::text(request_id)
                    } else {
                        placeholder(f.name, f.shape, 1, items)
                    };
                    (f.name, value)
                })
                .collect(),
        ),
        other => placeholder("Body", other, 1, items),
    }
}

fn placeholder(name: &str, shape: &Shape, depth: usize, items: usize) -> Node {
    match shape {
        Shape::String | Shape::SecretText => Node::text(format!("{name}-example")),
        Shape::Integer => Node::Number(1.into()),
        Shape::Number => Node::Number(serde_json::Number::from_f64(1.5).unwrap_or(1.into())),
        Shape::Boolean => Node::Bool(true),
        Shape::Object(_) if depth > MAX_DEPTH => Node::Object(Vec::new()),
        Shape::Object(fields) => Node::Object(
            fields
                .iter()
                .map(|f| (f.name, placeholder(f.name, f.shape, depth + 1, items)))
                .collect(),
        ),
        Shape::List { item, xml_item } => Node::List {
            item: *xml_item,
            items: if depth > MAX_DEPTH {
                Vec::new()
            } else {
                (0..items)
                    .map(|_| placeholder(name, item, depth + 1, items))
                    .collect()
            },
        },
    }
}
