use serde_json::json;

use super::*;
use crate::operation::{Group, ListRules, Operation, StringRules};
use crate::shape::Shape;
use crate::HttpMethod;

static IDS: ListRules = ListRules::of(Ty::String(StringRules::ANY.no_control())).max_items(10);
static URLS: ListRules = ListRules::of(Ty::String(StringRules::ANY.max_length(64).http_url()))
    .max_items(10)
    .items_encoded();
static META_FIELDS: [Param; 3] = [
    Param::new("SourceURL", Ty::String(StringRules::ANY)).required(),
    Param::new("Title", Ty::String(StringRules::ANY.max_length(5))),
    Param::new("FileSize", Ty::Integer).as_string(),
];
static METAS: ListRules = ListRules::of(Ty::Object(&META_FIELDS))
    .min_items(0)
    .max_items(2);
static TAG_FIELDS: [Param; 2] = [
    Param::new("Key", Ty::String(StringRules::ANY)),
    Param::new("Value", Ty::String(StringRules::ANY)),
];
static TAGS: ListRules = ListRules::of(Ty::Object(&TAG_FIELDS));
static NAMES: ListRules = ListRules::of(Ty::String(StringRules::ANY)).separator('\n');

static OP: Operation = Operation {
    action: "Op",
    methods: &[HttpMethod::Post],
    retry_safe: true,
    anonymous: false,
    qps_limit: None,
    params: &[
        Param::new("JobIds", Ty::List(&IDS)),
        Param::new("UploadURLs", Ty::List(&URLS)),
        Param::new("Metas", Ty::List(&METAS)).style(Style::Json),
        Param::new("Tag", Ty::List(&TAGS)).style(Style::RepeatList),
        Param::new("PageNo", Ty::Integer),
        Param::new("Ratio", Ty::Number),
        Param::new("Force", Ty::Boolean),
        Param::new("Kind", Ty::String(StringRules::ANY.allowed(&["a", "b"]))),
        Param::new("Names", Ty::List(&NAMES)),
        Param::new("Extra", Ty::Any).style(Style::Json),
    ],
    groups: &[Group {
        members: &["JobIds", "UploadURLs"],
        precedence: true,
    }],
    output: &Shape::Object(&[]),
    pages: None,
    regions: &[],
};

static REQUIRED: Operation = Operation {
    action: "Req",
    params: &[Param::new("Title", Ty::String(StringRules::ANY)).required()],
    groups: &[],
    ..OP_TEMPLATE
};
const OP_TEMPLATE: Operation = Operation {
    action: "T",
    methods: &[],
    retry_safe: false,
    anonymous: false,
    qps_limit: None,
    params: &[],
    groups: &[],
    output: &Shape::Object(&[]),
    pages: None,
    regions: &[],
};

fn run(input: serde_json::Value) -> Result<Vec<(String, String)>, ValidationError> {
    let serde_json::Value::Object(map) = input else {
        panic!("an object")
    };
    encode(&OP, &map).map(|p| p.into_iter().map(|(k, v)| (k.into_owned(), v)).collect())
}

fn rule(input: serde_json::Value) -> (String, Rule) {
    let e = run(input).unwrap_err();
    (e.param, e.rule)
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn lists_are_checked_and_joined() {
    assert_eq!(
        run(json!({"JobIds": ["a", "b"]})).unwrap(),
        pairs(&[("JobIds", "a,b")])
    );
    let ids: Vec<String> = (0..11).map(|i| format!("id{i}")).collect();
    let e = run(json!({ "JobIds": ids })).unwrap_err();
    assert_eq!(e.rule, Rule::MaxItems { max: 10, got: 11 });
    assert_eq!(
        e.to_string(),
        "invalid input for Op: parameter JobIds takes at most 10 items, got 11"
    );
    assert_eq!(
        rule(json!({"JobIds": []})),
        ("JobIds".into(), Rule::MinItems { min: 1, got: 0 })
    );
    assert_eq!(
        rule(json!({"JobIds": ["a", "b,c"]})).1,
        Rule::ItemContainsSeparator {
            index: 1,
            separator: ','
        }
    );
    assert_eq!(
        rule(json!({"JobIds": ["a", "  "]})).1,
        Rule::BlankItem { index: 1 }
    );
    assert_eq!(
        rule(json!({"JobIds": ["a\u{7}"]})).1,
        Rule::ControlCharacter { index: Some(0) }
    );
    assert_eq!(
        rule(json!({"JobIds": "a,b"})).1,
        Rule::WrongType { expected: "a list" }
    );
}

#[test]
fn encoded_items_may_hold_the_separator_and_are_encoded_before_joining() {
    let out = run(json!({"UploadURLs": ["https://e.com/a b,c.mp4", "http://x.io/y"]})).unwrap();
    assert_eq!(
        out,
        pairs(&[(
            "UploadURLs",
            "https%3A%2F%2Fe.com%2Fa%20b%2Cc.mp4,http%3A%2F%2Fx.io%2Fy"
        )])
    );
    assert_eq!(
        rule(json!({"UploadURLs": ["ftp://e.com/a"]})).1,
        Rule::NotHttpUrl { index: Some(0) }
    );
}

#[test]
fn other_separators() {
    assert_eq!(
        run(json!({"JobIds": ["a"], "Names": ["x,y", "z"]})).unwrap(),
        pairs(&[("JobIds", "a"), ("Names", "x,y\nz")])
    );
    assert_eq!(
        rule(json!({"JobIds": ["a"], "Names": ["x\ny"]})).1,
        Rule::ItemContainsSeparator {
            index: 0,
            separator: '\n'
        }
    );
}

#[test]
fn groups_require_one_member_and_send_only_the_first_set() {
    assert_eq!(
        rule(json!({})),
        (
            "JobIds".into(),
            Rule::AtLeastOneOf(vec!["JobIds".into(), "UploadURLs".into()])
        )
    );
    assert_eq!(
        run(json!({"JobIds": ["a"], "UploadURLs": ["https://e.com/x"]})).unwrap(),
        pairs(&[("JobIds", "a")])
    );
    // An outranked member is still checked.
    assert_eq!(
        rule(json!({"JobIds": ["a"], "UploadURLs": ["nope"]})).0,
        "UploadURLs"
    );
    // null is unset.
    assert_eq!(
        run(json!({"JobIds": null, "UploadURLs": ["https://e.com/x"]})).unwrap(),
        pairs(&[("UploadURLs", "https%3A%2F%2Fe.com%2Fx")])
    );
}

#[test]
fn required_parameters() {
    let serde_json::Value::Object(empty) = json!({}) else {
        unreachable!()
    };
    let e = encode(&REQUIRED, &empty).unwrap_err();
    assert_eq!((e.param.as_str(), e.rule), ("Title", Rule::Required));
}

#[test]
fn json_style_checks_nested_fields_and_writes_json() {
    let out = run(json!({"JobIds": ["a"], "Metas": [{"SourceURL": "u", "FileSize": 12}]})).unwrap();
    assert_eq!(
        out[1],
        (
            "Metas".into(),
            r#"[{"FileSize":"12","SourceURL":"u"}]"#.into()
        )
    );
    // Numbers given as text (a CLI flag, --input-json) are checked as numbers.
    let out =
        run(json!({"JobIds": ["a"], "Metas": [{"SourceURL": "u", "FileSize": "12"}]})).unwrap();
    assert_eq!(out[1].1, r#"[{"FileSize":"12","SourceURL":"u"}]"#);
    assert_eq!(
        rule(json!({"JobIds": ["a"], "Metas": [{"Title": "t"}]})),
        ("Metas[0].SourceURL".into(), Rule::Required)
    );
    assert_eq!(
        rule(json!({"JobIds": ["a"], "Metas": [{"SourceURL": " "}]})),
        ("Metas[0].SourceURL".into(), Rule::Required)
    );
    assert_eq!(
        rule(json!({"JobIds": ["a"], "Metas": [{"SourceURL": "u", "Title": "too long"}]})),
        (
            "Metas[0].Title".into(),
            Rule::MaxLength {
                max: 5,
                got: 8,
                index: None
            }
        )
    );
    assert_eq!(
        rule(json!({"JobIds": ["a"], "Metas": [{"SourceURL": "u", "FileSize": "big"}]})),
        (
            "Metas[0].FileSize".into(),
            Rule::WrongType {
                expected: "an integer"
            }
        )
    );
    let (param, r) = rule(json!({"JobIds": ["a"], "Metas": [{"SourceURL": "u", "Titel": "t"}]}));
    assert_eq!(param, "Metas[0].Titel");
    assert!(matches!(r, Rule::Unknown { known } if known.contains(&"Title".to_owned())));
    let many = json!([{"SourceURL": "a"}, {"SourceURL": "b"}, {"SourceURL": "c"}]);
    assert_eq!(
        rule(json!({"JobIds": ["a"], "Metas": many})).1,
        Rule::MaxItems { max: 2, got: 3 }
    );
    // A null field is unset and left out; a string field given as a number
    // is sent as a string.
    let out =
        run(json!({"JobIds": ["a"], "Metas": [{"SourceURL": "u", "Title": null, "FileSize": 3}]}))
            .unwrap();
    assert_eq!(out[1].1, r#"[{"FileSize":"3","SourceURL":"u"}]"#);
    let out = run(json!({"JobIds": ["a"], "Metas": [{"SourceURL": 42}]})).unwrap();
    assert_eq!(out[1].1, r#"[{"SourceURL":"42"}]"#);
    let out = run(json!({"JobIds": ["a"], "Extra": {"x": [1, "y"]}})).unwrap();
    assert_eq!(out[1], ("Extra".into(), r#"{"x":[1,"y"]}"#.into()));
}

#[test]
fn repeat_lists_flatten_into_numbered_names() {
    let out = run(json!({
        "JobIds": ["a"],
        "Tag": [{"Key": "k1", "Value": "v1"}, {"Value": "v2"}]
    }))
    .unwrap();
    assert_eq!(
        out,
        pairs(&[
            ("JobIds", "a"),
            ("Tag.1.Key", "k1"),
            ("Tag.1.Value", "v1"),
            ("Tag.2.Value", "v2"),
        ])
    );
}

#[test]
fn scalars_are_typed_whether_given_as_values_or_text() {
    let out = run(json!({"JobIds": ["a"], "PageNo": 2, "Ratio": 0.5, "Force": true})).unwrap();
    assert_eq!(
        out[1..],
        pairs(&[("PageNo", "2"), ("Ratio", "0.5"), ("Force", "true")])[..]
    );
    let out = run(json!({"JobIds": ["a"], "PageNo": "2", "Force": "false"})).unwrap();
    assert_eq!(out[1..], pairs(&[("PageNo", "2"), ("Force", "false")])[..]);
    // Sent in canonical form, however they were typed.
    let out = run(json!({"JobIds": ["a"], "PageNo": "+007", "Ratio": "5e-1"})).unwrap();
    assert_eq!(out[1..], pairs(&[("PageNo", "7"), ("Ratio", "0.5")])[..]);
    assert_eq!(
        rule(json!({"JobIds": ["a"], "PageNo": "two"})),
        (
            "PageNo".into(),
            Rule::WrongType {
                expected: "an integer"
            }
        )
    );
    assert_eq!(
        rule(json!({"JobIds": ["a"], "Force": "yes"})).1,
        Rule::WrongType {
            expected: "a boolean (true or false)"
        }
    );
    assert_eq!(
        rule(json!({"JobIds": ["a"], "Kind": "c"})).1,
        Rule::NotInEnum {
            allowed: vec!["a".into(), "b".into()]
        }
    );
}

#[test]
fn unknown_names_are_refused_naming_the_known_ones() {
    let (param, r) = rule(json!({"JobIDs": ["a"]}));
    assert_eq!(param, "JobIDs");
    assert!(matches!(r, Rule::Unknown { known } if known[0] == "JobIds"));
}

#[test]
fn typed_inputs_serialise_through_the_same_rules() {
    #[derive(serde::Serialize)]
    struct Input {
        #[serde(rename = "JobIds", skip_serializing_if = "Option::is_none")]
        job_ids: Option<Vec<String>>,
        #[serde(rename = "PageNo", skip_serializing_if = "Option::is_none")]
        page_no: Option<i64>,
    }
    let out = encode_input(
        &OP,
        &Input {
            job_ids: Some(vec!["a".into()]),
            page_no: Some(3),
        },
    )
    .unwrap();
    assert_eq!(
        out,
        vec![
            (Cow::Borrowed("JobIds"), "a".to_owned()),
            (Cow::Borrowed("PageNo"), "3".to_owned())
        ]
    );
    let e = encode_input(
        &OP,
        &Input {
            job_ids: None,
            page_no: None,
        },
    )
    .unwrap_err();
    assert!(matches!(e.rule, Rule::AtLeastOneOf(_)));
}

static SETTING_FIELDS: [Param; 2] = [
    Param::new("Name", Ty::String(StringRules::ANY.max_length(5))),
    Param::new("Size", Ty::Integer).as_string(),
];
static OPEN: Operation = Operation {
    action: "Open",
    params: &[
        Param::new("Settings", Ty::OpenObject(&SETTING_FIELDS)).style(Style::Json),
        Param::new("Closed", Ty::Object(&SETTING_FIELDS)).style(Style::Json),
        Param::new("Label", Ty::OpenObject(&SETTING_FIELDS)).style(Style::RepeatList),
    ],
    ..OP_TEMPLATE
};

/// An open object (a JSON parameter whose docs may lag the service): its
/// known fields keep their rules and wire forms, any other key is sent as
/// given; a closed one refuses other keys.
#[test]
fn open_objects_check_known_fields_and_send_other_keys_as_given() {
    let enc = |v: serde_json::Value| {
        encode(&OPEN, v.as_object().unwrap()).map(|p| {
            p.into_iter()
                .map(|(k, v)| (k.into_owned(), v))
                .collect::<Vec<_>>()
        })
    };
    let out = enc(json!({"Settings": {"Size": 3, "Later": {"x": [1]}, "Name": "n"}})).unwrap();
    assert_eq!(
        out,
        pairs(&[("Settings", r#"{"Later":{"x":[1]},"Name":"n","Size":"3"}"#)])
    );
    let err = enc(json!({"Settings": {"Name": "too long"}})).unwrap_err();
    assert_eq!(err.param, "Settings.Name");
    let err = enc(json!({"Closed": {"Later": 1}})).unwrap_err();
    assert_eq!(err.param, "Closed.Later");
    assert!(matches!(err.rule, Rule::Unknown { .. }), "{err}");
    // repeatList: every key, known or not, becomes a numbered name.
    let out = enc(json!({"Label": {"Name": "a", "Later": "b", "Size": "7"}})).unwrap();
    assert_eq!(
        out,
        pairs(&[
            ("Label.Later", "b"),
            ("Label.Name", "a"),
            ("Label.Size", "7")
        ])
    );
}
