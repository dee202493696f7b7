//! The worked examples of Alibaba's URL signing pages (types A, B and C) and of
//! its HTTP callback authentication page, as known answers
//! (`tests/vectors-url-signing/`, each hash recomputed when it was collected).

use aliyun_vod::url_signing::{self, CForm, UrlKey};
use serde_json::Value;

fn vectors(name: &str) -> Vec<Value> {
    let path = format!(
        "{}/tests/vectors-url-signing/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str::<Value>(&text)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("{key} in {v}"))
}

#[test]
fn type_a_known_answers() {
    for v in vectors("type-a.json") {
        let i = &v["inputs"];
        let key = UrlKey::new(s(i, "private_key"));
        let url = format!("http://{}{}", s(i, "domain"), s(i, "path"));
        let ts = i["timestamp"].as_i64().unwrap();
        let signed = url_signing::sign_a(&url, &key, ts, s(i, "rand"), s(i, "uid")).unwrap();
        assert_eq!(signed, s(&v["expected"], "signed_url"), "{}", s(&v, "name"));
        assert!(url_signing::verify_a(&signed, &key, ts, 1800).is_ok());
    }
}

#[test]
fn type_b_known_answers() {
    for v in vectors("type-b.json") {
        let i = &v["inputs"];
        let key = UrlKey::new(s(i, "private_key"));
        let url = format!("http://{}{}", s(i, "domain"), s(i, "path"));
        let ts = i["equivalent_unix_seconds"].as_i64().unwrap();
        let signed = url_signing::sign_b(&url, &key, ts).unwrap();
        assert_eq!(signed, s(&v["expected"], "signed_url"), "{}", s(&v, "name"));
        assert!(url_signing::verify_b(&signed, &key, ts, 1800).is_ok());
    }
}

#[test]
fn type_c_known_answers_in_both_forms() {
    // The documented vector only: the other one is derived, with lower-case hex.
    let v = vectors("type-c.json")
        .into_iter()
        .find(|v| s(v, "name").starts_with("cdn-typeC-doc-example"))
        .unwrap();
    let i = &v["inputs"];
    let key = UrlKey::new(s(i, "private_key"));
    let url = format!("http://{}{}", s(i, "domain"), s(i, "path"));
    let ts = i["equivalent_unix_seconds"].as_i64().unwrap();
    let e = &v["expected"];
    let path = url_signing::sign_c(&url, &key, ts, CForm::Path).unwrap();
    assert_eq!(path, s(e, "signed_url_format1_path"));
    let query = url_signing::sign_c(&url, &key, ts, CForm::Query).unwrap();
    assert_eq!(query, s(e, "signed_url_format2_query"));
    for signed in [path, query] {
        assert!(url_signing::verify_c(&signed, &key, ts, 1800).is_ok());
    }
}

#[test]
fn callback_known_answer() {
    for v in vectors("callback.json") {
        let i = &v["inputs"];
        let e = &v["expected"];
        let ts: i64 = s(i, "x_vod_timestamp").parse().unwrap();
        let result = aliyun_vod::callback::verify(
            s(i, "callback_url"),
            Some(s(i, "x_vod_timestamp")),
            Some(s(e, "x_vod_signature")),
            &[&aliyun_vod::callback::CallbackKey::new(s(i, "private_key"))],
            ts + 5,
            300,
        );
        assert_eq!(result, Ok(()), "{}", s(&v, "name"));
    }
}
