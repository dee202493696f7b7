//! Where each named type lives: which operations use it, and so whether it goes
//! with its one operation or in the shared `types` module.

use std::collections::BTreeMap;

use super::{ObjectType, Operation, ParamKind, TypeRef};

/// The named types an operation uses, directly or inside other types, in the
/// order first met.
pub fn types_used(op: &Operation, objects: &BTreeMap<String, ObjectType>) -> Vec<String> {
    fn walk(ty: &TypeRef, objects: &BTreeMap<String, ObjectType>, seen: &mut Vec<String>) {
        let name = match ty {
            TypeRef::List(item, _) => return walk(item, objects, seen),
            TypeRef::Object(n) | TypeRef::Enum(n) => n,
            _ => return,
        };
        if seen.contains(name) {
            return;
        }
        seen.push(name.clone());
        if let Some(o) = objects.get(name) {
            for f in &o.fields {
                walk(&f.ty, objects, seen);
            }
        }
    }
    let mut seen = Vec::new();
    for f in &op.output {
        walk(&f.ty, objects, &mut seen);
    }
    for p in &op.params {
        match &p.kind {
            ParamKind::Json { ty, .. } | ParamKind::RepeatList { ty, .. } => {
                walk(ty, objects, &mut seen);
            }
            ParamKind::String(rules) | ParamKind::List { item: rules, .. } => {
                if let Some(name) = &rules.enum_name {
                    walk(&TypeRef::Enum(name.clone()), objects, &mut seen);
                }
            }
            _ => {}
        }
    }
    seen
}

/// Where each named type goes: with the operation that uses it when only one
/// does (its module reads whole), in the shared `types` module otherwise.
pub(super) fn homes(
    ops: &[Operation],
    objects: &BTreeMap<String, ObjectType>,
) -> BTreeMap<String, String> {
    let mut users: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for op in ops {
        for name in types_used(op, objects) {
            users.entry(name).or_default().push(&op.snake);
        }
    }
    users
        .into_iter()
        .map(|(name, ops)| {
            let home = match ops.as_slice() {
                [one] => (*one).to_owned(),
                _ => "types".to_owned(),
            };
            (name, home)
        })
        .collect()
}
