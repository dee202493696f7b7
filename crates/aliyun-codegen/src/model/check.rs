//! Rules over more than one value: operations, parameters and generated types
//! must not collide once they become Rust names, and a `wait.poll` must name an
//! operation of the spec that polls.

use std::collections::BTreeMap;
use std::path::Path;

use super::load::Cx;
use super::{EnumType, ObjectType, Operation, Param, ParamKind, SpecError, TypeRef, WaitIds};
use crate::names;

/// Modules every generated client has besides one per operation.
const FIXED_MODULES: &[&str] = &["client", "product", "types"];

/// Operations become modules and type names: those must be Rust names and must
/// not collide (`GetURL` and `GetUrl` both become `get_url`).
pub(super) fn check_operation_names(dir: &Path, ops: &[Operation], errors: &mut Vec<SpecError>) {
    let mut sorted: Vec<&Operation> = ops.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for op in sorted {
        let mut err = |message: String| {
            errors.push(SpecError {
                file: dir.join(&op.file),
                path: "$.name".into(),
                message,
            })
        };
        if names::is_keyword(&op.snake) {
            err(format!(
                "operation {} becomes the module name `{}`, a Rust keyword",
                op.name, op.snake
            ));
        } else if FIXED_MODULES.contains(&op.snake.as_str()) {
            err(format!(
                "operation {} becomes the module name `{}`, which the generated code already uses",
                op.name, op.snake
            ));
        }
        for key in [op.snake.as_str(), op.pascal.as_str()] {
            if let Some(other) = seen.insert(key, &op.name) {
                err(format!(
                    "operations {other} and {} both become the Rust name {key}",
                    op.name
                ));
                break;
            }
        }
    }
}

/// A `wait.poll` must name an operation of this spec, one that itself waits for
/// its own input and is compiled whenever the waiting one is (same feature).
pub(super) fn check_wait_polls(dir: &Path, ops: &[Operation], errors: &mut Vec<SpecError>) {
    for op in ops {
        let Some(wait) = &op.wait else { continue };
        match ops.iter().find(|o| o.name == wait.poll) {
            None => errors.push(SpecError {
                file: dir.join(&op.file),
                path: "$.wait.poll".into(),
                message: format!("{} is not an operation of this spec", wait.poll),
            }),
            Some(poll) if !poll.wait.as_ref().is_some_and(|w| w.ids == WaitIds::Input) => errors
                .push(SpecError {
                    file: dir.join(&op.file),
                    path: "$.wait.poll".into(),
                    message: format!(
                        "{} must itself declare wait {{poll: {0}, ids: \"input\"}}",
                        wait.poll
                    ),
                }),
            Some(poll) if poll.feature.is_some() && poll.feature != op.feature => {
                errors.push(SpecError {
                    file: dir.join(&op.file),
                    path: "$.wait.poll".into(),
                    message: format!(
                        "{} is in feature {:?}, this operation in {:?}: a waiter polls an operation of its own feature",
                        wait.poll,
                        poll.feature.as_deref().unwrap_or_default(),
                        op.feature.as_deref().unwrap_or("(always compiled)")
                    ),
                })
            }
            Some(_) => {}
        }
    }
}

/// Generated type names must not collide with each other.
pub(super) fn check_type_names(
    dir: &Path,
    ops: &[Operation],
    objects: &BTreeMap<String, ObjectType>,
    enums: &BTreeMap<String, EnumType>,
    errors: &mut Vec<SpecError>,
) {
    let mut taken: BTreeMap<String, String> = BTreeMap::new();
    for op in ops {
        for suffix in ["Input", "Output", "FluentBuilder"] {
            taken.insert(format!("{}{suffix}", op.pascal), op.file.clone());
        }
    }
    for (name, file) in objects
        .iter()
        .map(|(n, o)| (n, &o.defined_in))
        .chain(enums.iter().map(|(n, e)| (n, &e.defined_in)))
    {
        if let Some(other) = taken.insert(name.clone(), file.clone()) {
            errors.push(SpecError {
                file: dir.join(file),
                path: "$".into(),
                message: format!("type name {name} is also used by {other}"),
            });
        }
    }
}

/// Methods every generated builder has besides one setter pair per parameter.
const BUILDER_METHODS: &[&str] = &["new", "as_input", "send"];

impl Cx<'_> {
    /// Each parameter becomes a builder method `x` and `set_x` next to the
    /// builder's own `new`, `as_input` and `send`, and a CLI flag `--x` next to
    /// clap's `--help`: none of those may collide.
    pub(super) fn check_param_names(&mut self, params: &[Param], paths: &[String]) {
        for (param, p) in params.iter().zip(paths) {
            let np = format!("{p}.name");
            if BUILDER_METHODS.contains(&param.rust.as_str()) {
                self.err(
                    &np,
                    format!(
                        "{} becomes the builder method `{}`, which every builder already has",
                        param.wire, param.rust
                    ),
                );
            } else if let Some(other) = params
                .iter()
                .find(|o| format!("set_{}", o.rust) == param.rust)
            {
                self.err(
                    &np,
                    format!(
                        "{} becomes the builder method `{}`, which is also the setter of {}",
                        param.wire, param.rust, other.wire
                    ),
                );
            }
            if crate::COMMON_PARAMETERS.contains(&param.wire.as_str()) {
                self.err(
                    &np,
                    format!(
                        "{} is a common parameter the signer adds to every call; an operation cannot declare it",
                        param.wire
                    ),
                );
            }
            if names::kebab(&param.wire) == "help" {
                self.err(
                    &np,
                    format!(
                        "{} becomes the CLI flag --help, which clap reserves",
                        param.wire
                    ),
                );
            }
        }
    }
}

/// `paginate` must name an integer page parameter, an integer size parameter,
/// a list in the output (through objects), a top-level integer total and, for
/// a token, a string parameter and a top-level output field.
pub(super) fn check_pages(
    dir: &Path,
    ops: &[Operation],
    objects: &BTreeMap<String, ObjectType>,
    errors: &mut Vec<SpecError>,
) {
    for op in ops {
        let Some(pages) = &op.pages else { continue };
        let mut fail = |path: &str, message: String| {
            errors.push(SpecError {
                file: dir.join(&op.file),
                path: format!("$.paginate.{path}"),
                message,
            })
        };
        let kind = |name: &str| op.params.iter().find(|p| p.wire == name).map(|p| &p.kind);
        for (key, name) in [("page", Some(&pages.page)), ("size", pages.size.as_ref())] {
            let Some(name) = name else { continue };
            if !matches!(kind(name), Some(ParamKind::Integer)) {
                fail(
                    key,
                    format!("{name} is not an integer parameter of {}", op.name),
                );
            }
        }
        if super::page_item(op, objects).is_none() {
            fail(
                "items",
                format!(
                    "{} does not lead to a list in the response",
                    pages.items.join(".")
                ),
            );
        }
        let top = |name: &str| op.output.iter().find(|f| f.wire == name).map(|f| &f.ty);
        if let Some(total) = &pages.total {
            if !matches!(top(total), Some(TypeRef::Integer)) {
                fail(
                    "total",
                    format!("{total} is not an integer field of the response"),
                );
            }
        }
        if let Some((input, output)) = &pages.token {
            if !matches!(kind(input), Some(ParamKind::String(_))) {
                fail(
                    "token.input",
                    format!("{input} is not a string parameter of {}", op.name),
                );
            }
            if !matches!(top(output), Some(TypeRef::String(_))) {
                fail(
                    "token.output",
                    format!("{output} is not a text field of the response"),
                );
            }
        }
    }
}

/// Every region an operation is limited to must be one of the product's.
pub(super) fn check_regions(
    dir: &Path,
    ops: &[Operation],
    product: &super::Product,
    errors: &mut Vec<SpecError>,
) {
    for op in ops {
        for (i, r) in op.regions.iter().enumerate() {
            if !product.endpoints.iter().any(|(known, _)| known == r) {
                errors.push(SpecError {
                    file: dir.join(&op.file),
                    path: format!("$.regions[{i}]"),
                    message: format!("{r} is not a region of the product file"),
                });
            }
        }
    }
}
