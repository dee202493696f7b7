//! Input rules the generated operations call before anything is sent. The spec
//! states the rules as data; these functions enforce them, so generated code
//! stays a list of calls.

use crate::error::{Rule, ValidationError};

/// Rules for one string value (a scalar parameter or a list item).
#[derive(Clone, Copy, Debug, Default)]
pub struct StringRules {
    /// Maximum length in bytes.
    pub max_length: Option<usize>,
    /// Must be an absolute `http://` or `https://` URL.
    pub http_url: bool,
    /// Control characters (U+0000-U+001F, U+007F) are refused.
    pub no_control: bool,
}

/// Rules for a comma-separated list parameter.
#[derive(Clone, Copy, Debug, Default)]
pub struct ListRules {
    /// Minimum number of items when the parameter is set (usually 1).
    pub min_items: usize,
    /// Maximum number of items.
    pub max_items: Option<usize>,
    /// Items are percent-encoded before joining, so a `,` inside one is allowed.
    pub items_encoded: bool,
    /// Rules for each item.
    pub item: StringRules,
}

/// Checks one string value.
pub fn check_string(
    operation: &'static str,
    param: &str,
    value: &str,
    rules: &StringRules,
    index: Option<usize>,
) -> Result<(), ValidationError> {
    let err = |rule| Err(ValidationError::new(operation, param, rule));
    if rules.no_control && value.chars().any(|c| c.is_control()) {
        return err(Rule::ControlCharacter { index });
    }
    if let Some(max) = rules.max_length {
        if value.len() > max {
            return err(Rule::MaxLength {
                max,
                got: value.len(),
                index,
            });
        }
    }
    if rules.http_url && !is_http_url(value) {
        return err(Rule::NotHttpUrl { index });
    }
    Ok(())
}

/// Checks a list parameter's items.
pub fn check_list(
    operation: &'static str,
    param: &str,
    items: &[String],
    rules: &ListRules,
) -> Result<(), ValidationError> {
    let err = |rule| Err(ValidationError::new(operation, param, rule));
    if items.len() < rules.min_items {
        return err(Rule::MinItems {
            min: rules.min_items,
            got: items.len(),
        });
    }
    if let Some(max) = rules.max_items {
        if items.len() > max {
            return err(Rule::MaxItems {
                max,
                got: items.len(),
            });
        }
    }
    for (index, item) in items.iter().enumerate() {
        if item.trim().is_empty() {
            return err(Rule::BlankItem { index });
        }
        if !rules.items_encoded && item.contains(',') {
            return err(Rule::ItemContainsSeparator { index });
        }
        check_string(operation, param, item, &rules.item, Some(index))?;
    }
    Ok(())
}

/// Joins list items with `,`, percent-encoding each item first when the spec says
/// so (VOD asks callers to encode each URL before joining them).
pub fn join_list(items: &[String], encode_items: bool) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if encode_items {
            aliyun_sign::percent_encode_into(&mut out, item);
        } else {
            out.push_str(item);
        }
    }
    out
}

/// `true` for an absolute `http://` or `https://` URL with a host.
pub fn is_http_url(value: &str) -> bool {
    match url::Url::parse(value) {
        Ok(u) => {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDS: ListRules = ListRules {
        min_items: 1,
        max_items: Some(10),
        items_encoded: false,
        item: StringRules {
            max_length: None,
            http_url: false,
            no_control: true,
        },
    };

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("id{i}")).collect()
    }

    #[test]
    fn list_rules_name_the_parameter_and_rule() {
        assert!(check_list("Op", "JobIds", &ids(10), &IDS).is_ok());
        let e = check_list("Op", "JobIds", &ids(11), &IDS).unwrap_err();
        assert_eq!(e.rule, Rule::MaxItems { max: 10, got: 11 });
        assert_eq!(
            e.to_string(),
            "invalid input for Op: parameter JobIds takes at most 10 items, got 11"
        );
        let e = check_list("Op", "JobIds", &[], &IDS).unwrap_err();
        assert_eq!(e.rule, Rule::MinItems { min: 1, got: 0 });
        let e = check_list("Op", "JobIds", &["a".into(), "b,c".into()], &IDS).unwrap_err();
        assert_eq!(e.rule, Rule::ItemContainsSeparator { index: 1 });
        let e = check_list("Op", "JobIds", &["a".into(), "  ".into()], &IDS).unwrap_err();
        assert_eq!(e.rule, Rule::BlankItem { index: 1 });
        let e = check_list("Op", "JobIds", &["a\u{7}".into()], &IDS).unwrap_err();
        assert_eq!(e.rule, Rule::ControlCharacter { index: Some(0) });
    }

    #[test]
    fn urls() {
        assert!(is_http_url("https://example.com/视频 1.mp4?a=b,c"));
        assert!(is_http_url("http://127.0.0.1:8080/x"));
        assert!(!is_http_url("ftp://example.com/x"));
        assert!(!is_http_url("example.com/x"));
        assert!(!is_http_url("file:///etc/passwd"));
    }

    #[test]
    fn join_encodes_items_when_asked() {
        let items = vec!["https://e.com/a b,c.mp4".to_owned(), "x".to_owned()];
        assert_eq!(
            join_list(&items, true),
            "https%3A%2F%2Fe.com%2Fa%20b%2Cc.mp4,x"
        );
        assert_eq!(join_list(&items[1..], false), "x");
    }
}
