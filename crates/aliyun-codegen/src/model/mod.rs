//! The validated model of a product's spec. Loading reads the JSON once, checks
//! everything, and reports every problem with its file and JSON path; emitters
//! read only this model, never JSON.
//!
//! The types live here; `load` reads files into them, `check` holds the rules
//! over more than one value, and `types` decides where each named type lives.

mod check;
mod load;
mod types;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

pub(crate) use load::OTHER_KEYS;
pub use load::{load, load_from_strs};
pub use types::types_used;

/// One problem in a spec file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecError {
    /// The file.
    pub file: PathBuf,
    /// Where in it, as a JSON path (`$.parameters[1].schema.maxItems`).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}",
            self.file.display(),
            self.path,
            self.message
        )
    }
}

/// Every problem found in a spec directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecErrors(pub Vec<SpecError>);

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the spec has {} problem(s):", self.0.len())?;
        for e in &self.0 {
            writeln!(f, "  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecErrors {}

/// A whole product: its description, operations and named types.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// The product file.
    pub product: Product,
    /// Operations, sorted by wire name.
    pub operations: Vec<Operation>,
    /// Named object types, by type name.
    pub objects: BTreeMap<String, ObjectType>,
    /// Named enums, by type name.
    pub enums: BTreeMap<String, EnumType>,
    /// The module each named type lives in: the one operation that uses it
    /// (its snake name), or `types` when several do.
    pub homes: BTreeMap<String, String>,
    /// The Rust path the generated code lives under (`crate`, or a module
    /// such as `crate::sts`): `<root>::generated`, `<root>::Client`.
    pub root: String,
}

impl Model {
    /// [`Model::root`] as tokens.
    pub fn root_path(&self) -> proc_macro2::TokenStream {
        self.root
            .parse()
            .unwrap_or_else(|_| quote::quote! { crate })
    }

    /// The generated module a named type lives in.
    pub fn home(&self, type_name: &str) -> &str {
        self.homes.get(type_name).map_or("types", String::as_str)
    }

    /// The features that need named type `type_name`: those of the
    /// operations using it, sorted; `None` when one of them is always
    /// compiled (so is the type).
    pub fn type_features(&self, type_name: &str) -> Option<Vec<&str>> {
        let mut features = Vec::new();
        for op in &self.operations {
            if !types::types_used(op, &self.objects)
                .iter()
                .any(|n| n == type_name)
            {
                continue;
            }
            match &op.feature {
                None => return None,
                Some(f) if !features.contains(&f.as_str()) => features.push(f.as_str()),
                Some(_) => {}
            }
        }
        features.sort_unstable();
        Some(features)
    }

    /// The type of one item of a paginated operation's list (`None` when the
    /// operation does not page or the path does not lead to a list, which the
    /// loader reports).
    pub fn page_item(&self, op: &Operation) -> Option<TypeRef> {
        page_item(op, &self.objects)
    }

    /// Whether any named type is used by several operations (and so lives in
    /// the shared `types` module, which is generated only then).
    pub fn has_shared_types(&self) -> bool {
        self.objects
            .keys()
            .chain(self.enums.keys())
            .any(|name| self.home(name) == "types")
    }
}

/// The product file.
#[derive(Clone, Debug, PartialEq)]
pub struct Product {
    /// Spec file name.
    pub file: String,
    /// Product code (`vod`).
    pub code: String,
    /// API version.
    pub version: String,
    /// Human title.
    pub title: String,
    /// Region used when none is configured.
    pub default_region: String,
    /// `(region, host)` pairs, in file order.
    pub endpoints: Vec<(String, String)>,
}

/// One operation.
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    /// Spec file name (`GetURLUploadInfos.json`).
    pub file: String,
    /// Wire name (`GetURLUploadInfos`).
    pub name: String,
    /// `get_url_upload_infos`.
    pub snake: String,
    /// `GetUrlUploadInfos`.
    pub pascal: String,
    /// One line.
    pub summary: String,
    /// More, may be empty.
    pub description: String,
    /// Safe to send again after it may have reached the service.
    pub retry_safe: bool,
    /// Sent unsigned (the request carries its own proof, as STS's
    /// AssumeRoleWithOIDC carries an OIDC token).
    pub anonymous: bool,
    /// QPS limit per account.
    pub qps: Option<u32>,
    /// The HTTP methods the operation accepts, in file order.
    pub methods: Vec<Method>,
    /// What `--wait` waits for after this operation, if anything.
    pub wait: Option<Wait>,
    /// The only regions the operation exists in (`regions`); empty: all.
    pub regions: Vec<String>,
    /// How the operation pages (`paginate` in the spec), if it does.
    pub pages: Option<Pages>,
    /// The cargo feature that compiles this operation in (`upload`); `None`:
    /// always compiled.
    pub feature: Option<String>,
    /// Parameters in file order.
    pub params: Vec<Param>,
    /// Parameter groups.
    pub groups: Vec<Group>,
    /// The response's fields, sorted by wire name (see [`load`](fn@load)).
    pub output: Vec<Field>,
}

/// An HTTP method an operation accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `get`.
    Get,
    /// `post`.
    Post,
}

/// What waiting after an operation means (`wait` in the spec): polling
/// `poll` with the IDs in `ids` until every item is terminal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wait {
    /// The operation that polls (`GetURLUploadInfos`).
    pub poll: String,
    /// Where the IDs come from.
    pub ids: WaitIds,
}

/// How an operation pages (`paginate`): by page number, with a page size, a
/// total and a token handed back where the operation has them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pages {
    /// The page-number parameter (`PageNo`).
    pub page: String,
    /// The page-size parameter.
    pub size: Option<String>,
    /// The path of the items' list in the output (`["VideoList", "Video"]`).
    pub items: Vec<String>,
    /// The top-level output field with the total number of items.
    pub total: Option<String>,
    /// A token handed back: `(input parameter, output field)`.
    pub token: Option<(String, String)>,
}

/// Where a wait finds the IDs it polls for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WaitIds {
    /// The operation's own input (the poll operation waits for what it was asked).
    Input,
    /// A list in the operation's output and the ID field of its items
    /// (`UploadJobs[].JobId`).
    Output {
        /// The list field's wire name.
        list: String,
        /// The item field's wire name.
        field: String,
    },
}

/// A request parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// Wire name.
    pub wire: String,
    /// Rust field name.
    pub rust: String,
    /// Documentation.
    pub doc: String,
    /// Must be set.
    pub required: bool,
    /// Redacted in Debug.
    pub sensitive: bool,
    /// An example value.
    pub example: Option<String>,
    /// Type and wire style.
    pub kind: ParamKind,
}

/// Rules on one string.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StringRules {
    /// Maximum bytes.
    pub max_length: Option<usize>,
    /// Absolute http(s) URL.
    pub http_url: bool,
    /// Allowed values (a closed set, `enum` without `enumName`): anything
    /// else is refused before sending.
    pub allowed: Vec<String>,
    /// JSON text (`format: json`): checked to parse before sending.
    pub json: bool,
    /// The open enum typing the value (`enum` with `enumName`): the known
    /// values get variants, any other value is still sent as given.
    pub enum_name: Option<String>,
}

/// The items of a `simple` list: text, or scalars written in decimal
/// (`CateIds=1,2`) or as `true`/`false`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemType {
    /// Text, with the list's item rules.
    Text,
    /// An integer.
    Integer,
    /// A float.
    Number,
    /// A boolean.
    Boolean,
}

/// A parameter's type and how it travels.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamKind {
    /// A string.
    String(StringRules),
    /// An integer, sent in decimal.
    Integer,
    /// A float.
    Number,
    /// `true`/`false`.
    Boolean,
    /// A comma-separated list (`style: simple`).
    List {
        /// What each item is: text (with `item`'s rules) or a number or boolean.
        item_ty: ItemType,
        /// Item rules, for text items.
        item: StringRules,
        /// Minimum items when set.
        min_items: usize,
        /// Maximum items.
        max_items: Option<usize>,
        /// Each item percent-encoded before joining.
        encode_items: bool,
        /// What joins the items (`,` unless the spec's `separator` says).
        separator: char,
    },
    /// A value sent as a JSON string (`style: json`).
    Json {
        /// The value's type.
        ty: TypeRef,
        /// Maximum items, for arrays.
        max_items: Option<usize>,
    },
    /// A list or object flattened into numbered parameters (`style:
    /// repeatList`): `Tag.1.Key=..`, `Tag.2.Key=..`.
    RepeatList {
        /// The value's type: a list (of objects or scalars) or an object.
        ty: TypeRef,
        /// Maximum items, for lists.
        max_items: Option<usize>,
    },
}

/// A group of parameters: at least one must be set; with precedence, only the
/// first one set (in member order) is sent.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// Member wire names, in precedence order.
    pub members: Vec<String>,
    /// Whether only the first set member is sent.
    pub precedence: bool,
    /// Documentation.
    pub doc: String,
}

/// A type in a response or a JSON-style parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeRef {
    /// A string; `format` is `date-time`, `json` or none.
    String(Option<String>),
    /// 64-bit integer.
    Integer,
    /// 64-bit float.
    Number,
    /// Boolean.
    Boolean,
    /// A named enum.
    Enum(String),
    /// A named object.
    Object(String),
    /// A list, with the XML item element name when the list wraps its items.
    List(Box<TypeRef>, Option<String>),
    /// Free-form JSON (`additionalProperties: true`, no properties), in
    /// requests: an object as a rule, though any value is taken and sent.
    Json,
}

/// A field of an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// Wire name.
    pub wire: String,
    /// Rust name.
    pub rust: String,
    /// Documentation.
    pub doc: String,
    /// Always present (a plain type rather than `Option`).
    pub required: bool,
    /// Redacted in Debug.
    pub sensitive: bool,
    /// Sent as a JSON string even though it is a number.
    pub encode_as_string: bool,
    /// Maximum bytes, for strings in requests.
    pub max_length: Option<usize>,
    /// Type.
    pub ty: TypeRef,
}

/// A named object type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectType {
    /// Type name (`UrlUploadJobInfo`).
    pub name: String,
    /// Documentation.
    pub doc: String,
    /// Fields sorted by wire name (see [`load`](fn@load)).
    pub fields: Vec<Field>,
    /// Open (`additionalProperties: true`, requests only): other keys are
    /// kept in `other_keys` and sent as given.
    pub open: bool,
    /// Where it was first defined (file name).
    pub defined_in: String,
}

/// A named enum: known values plus an `Unknown` fallback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumType {
    /// Type name.
    pub name: String,
    /// Documentation.
    pub doc: String,
    /// `(wire value, variant name, doc)`.
    pub values: Vec<(String, String, String)>,
    /// Wire values that are terminal states.
    pub terminal: Vec<String>,
    /// Where it was first defined.
    pub defined_in: String,
}

/// [`Model::page_item`] before the model exists (for the loader's check).
pub(crate) fn page_item(op: &Operation, objects: &BTreeMap<String, ObjectType>) -> Option<TypeRef> {
    let pages = op.pages.as_ref()?;
    let (last, wrappers) = pages.items.split_last()?;
    let mut fields = &op.output;
    for name in wrappers {
        let f = fields.iter().find(|f| &f.wire == name)?;
        let TypeRef::Object(o) = &f.ty else {
            return None;
        };
        fields = &objects.get(o)?.fields;
    }
    match &fields.iter().find(|f| &f.wire == last)?.ty {
        TypeRef::List(item, _) => Some((**item).clone()),
        _ => None,
    }
}
