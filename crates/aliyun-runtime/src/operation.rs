//! Operations described as data. The generator emits one static [`Operation`]
//! per API operation; the one request pipeline ([`crate::Client::invoke`]) and
//! the one parameter encoder ([`crate::params::encode`]) run over it, so an
//! operation adds a table, not code.

use crate::config::HttpMethod;
use crate::pages::Pages;
use crate::shape::Shape;

/// An operation's static description, generated from its spec.
#[derive(Debug)]
pub struct Operation {
    /// `Action`, e.g. `GetURLUploadInfos`.
    pub action: &'static str,
    /// The HTTP methods the operation accepts. The configured method is used
    /// when it is one of them, the first one otherwise.
    pub methods: &'static [HttpMethod],
    /// Whether a request that may have reached the service can be sent again
    /// (reads: yes; writes that create something: no, a retry could duplicate).
    pub retry_safe: bool,
    /// Sent unsigned: the request carries its own proof of identity (STS's
    /// AssumeRoleWithOIDC carries an OIDC token), and no credentials are needed.
    pub anonymous: bool,
    /// The service's QPS limit per account for this operation, if any.
    pub qps_limit: Option<u32>,
    /// The parameters, in spec order.
    pub params: &'static [Param],
    /// Groups of parameters of which at least one must be set.
    pub groups: &'static [Group],
    /// The response's shape: how XML is read and what a body is normalized
    /// to before the typed output is read from it.
    pub output: &'static Shape,
    /// How the operation pages, when it does.
    pub pages: Option<&'static Pages>,
    /// The only regions the operation exists in; empty: every region.
    pub regions: &'static [&'static str],
}

impl Operation {
    /// The method a call is sent with: `preferred` when the operation accepts
    /// it, its first method otherwise (six VOD operations are GET-only).
    pub fn method(&self, preferred: HttpMethod) -> HttpMethod {
        match self.methods.first() {
            Some(first) if !self.methods.contains(&preferred) => *first,
            _ => preferred,
        }
    }

    /// The parameter with wire name `name`.
    pub fn param(&self, name: &str) -> Option<&'static Param> {
        self.params.iter().find(|p| p.name == name)
    }
}

/// One parameter (or one field of an object inside a parameter).
#[derive(Debug)]
pub struct Param {
    /// Wire name, e.g. `JobIds`.
    pub name: &'static str,
    /// Must be set.
    pub required: bool,
    /// How the value travels.
    pub style: Style,
    /// Type and rules.
    pub ty: Ty,
    /// A number or boolean written as a JSON string inside a JSON-style
    /// parameter (`"FileSize": "1024"`).
    pub as_string: bool,
    /// A secret (a private key, a callback key): tools that show a request
    /// (the CLI's `--dry-run`) blank its value.
    pub sensitive: bool,
}

impl Param {
    /// An optional parameter sent as it is (`style: simple`).
    pub const fn new(name: &'static str, ty: Ty) -> Self {
        Param {
            name,
            required: false,
            style: Style::Simple,
            ty,
            as_string: false,
            sensitive: false,
        }
    }

    /// The same parameter, a secret (see [`Param::sensitive`]).
    pub const fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// The same parameter, required.
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// The same parameter, travelling with `style`.
    pub const fn style(mut self, style: Style) -> Self {
        self.style = style;
        self
    }

    /// The same field, written as a JSON string.
    pub const fn as_string(mut self) -> Self {
        self.as_string = true;
        self
    }
}

/// How a parameter travels on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Scalars as text; lists joined by their separator.
    Simple,
    /// The value serialised as JSON text.
    Json,
    /// Lists and objects flattened into numbered names: `Tag.1.Key`.
    RepeatList,
}

/// A parameter's type, with the rules its values must keep.
#[derive(Clone, Copy, Debug)]
pub enum Ty {
    /// A string.
    String(StringRules),
    /// A 64-bit integer.
    Integer,
    /// A 64-bit float.
    Number,
    /// `true` or `false`.
    Boolean,
    /// A list.
    List(&'static ListRules),
    /// An object with the given fields.
    Object(&'static [Param]),
    /// An object with the given fields and any others, sent as given: a
    /// JSON parameter whose documented keys are typed, while keys the docs
    /// do not list yet still reach the service.
    OpenObject(&'static [Param]),
    /// Any JSON value (the SDK only checks it is JSON).
    Any,
}

/// Rules for one string value (a scalar parameter or a list item).
#[derive(Clone, Copy, Debug, Default)]
pub struct StringRules {
    /// Maximum length in bytes.
    pub max_length: Option<usize>,
    /// Must be an absolute `http://` or `https://` URL.
    pub http_url: bool,
    /// Control characters ([`char::is_control`]) are refused.
    pub no_control: bool,
    /// The allowed values; empty for any.
    pub allowed: &'static [&'static str],
    /// Must be JSON text (a parameter the API reads as JSON, sent as a string).
    pub json: bool,
}

impl StringRules {
    /// No rules.
    pub const ANY: StringRules = StringRules {
        max_length: None,
        http_url: false,
        no_control: false,
        allowed: &[],
        json: false,
    };

    /// At most `max` bytes.
    pub const fn max_length(mut self, max: usize) -> Self {
        self.max_length = Some(max);
        self
    }

    /// An absolute `http(s)` URL (control characters refused too).
    pub const fn http_url(mut self) -> Self {
        self.http_url = true;
        self.no_control = true;
        self
    }

    /// No control characters.
    pub const fn no_control(mut self) -> Self {
        self.no_control = true;
        self
    }

    /// JSON text: checked to parse before anything is sent.
    pub const fn json(mut self) -> Self {
        self.json = true;
        self
    }

    /// One of `values`.
    pub const fn allowed(mut self, values: &'static [&'static str]) -> Self {
        self.allowed = values;
        self
    }
}

/// Rules for a list.
#[derive(Debug)]
pub struct ListRules {
    /// The items' type.
    pub item: Ty,
    /// Minimum number of items when the parameter is set.
    pub min_items: usize,
    /// Maximum number of items.
    pub max_items: Option<usize>,
    /// With `style: simple`: the separator items are joined with.
    pub separator: char,
    /// With `style: simple`: each item is percent-encoded before joining, so a
    /// separator inside an item is allowed.
    pub items_encoded: bool,
}

impl ListRules {
    /// A comma-separated list of `item`, with at least one item when set.
    pub const fn of(item: Ty) -> Self {
        ListRules {
            item,
            min_items: 1,
            max_items: None,
            separator: ',',
            items_encoded: false,
        }
    }

    /// At least `min` items.
    pub const fn min_items(mut self, min: usize) -> Self {
        self.min_items = min;
        self
    }

    /// At most `max` items.
    pub const fn max_items(mut self, max: usize) -> Self {
        self.max_items = Some(max);
        self
    }

    /// Items percent-encoded before joining.
    pub const fn items_encoded(mut self) -> Self {
        self.items_encoded = true;
        self
    }

    /// Items joined with `separator` instead of `,`.
    pub const fn separator(mut self, separator: char) -> Self {
        self.separator = separator;
        self
    }
}

/// A group of parameters of which at least one must be set. With precedence,
/// only the first one set (in member order) is sent.
#[derive(Debug)]
pub struct Group {
    /// Member wire names, in precedence order.
    pub members: &'static [&'static str],
    /// Whether only the first member set is sent.
    pub precedence: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(methods: &'static [HttpMethod]) -> Operation {
        Operation {
            action: "A",
            methods,
            retry_safe: true,
            anonymous: false,
            qps_limit: None,
            params: &[],
            groups: &[],
            output: &Shape::Object(&[]),
            pages: None,
            regions: &[],
        }
    }

    #[test]
    fn the_configured_method_is_used_only_where_the_operation_accepts_it() {
        use HttpMethod::{Get, Post};
        assert_eq!(op(&[Post, Get]).method(Get), Get);
        assert_eq!(op(&[Post, Get]).method(Post), Post);
        assert_eq!(op(&[Get]).method(Post), Get);
        assert_eq!(op(&[Post]).method(Get), Post);
        assert_eq!(op(&[]).method(Get), Get);
    }
}
