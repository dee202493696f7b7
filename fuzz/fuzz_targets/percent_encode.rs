//! The percent-encoder and the RPC V1 canonicalizer, with round trips: decoding
//! what was encoded gives the input back, and the one-pass signer agrees with the
//! stage-by-stage functions. Input: lines of `name<TAB>value` pairs.
#![no_main]

use aliyun_sign::{decode_pairs, is_unreserved, percent_decode, percent_encode, rpc, HttpMethod};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);

    let encoded = percent_encode(&text);
    assert_eq!(percent_decode(&encoded), text, "decode(encode(x)) != x");
    let bytes = encoded.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = &bytes[i + 1..i + 3];
            assert!(
                hex.iter()
                    .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b)),
                "{encoded}"
            );
            i += 3;
        } else {
            assert!(is_unreserved(bytes[i]), "{encoded}");
            i += 1;
        }
    }

    // And it is exactly the byte-by-byte definition (no over-escaping either).
    let mut slow = String::with_capacity(text.len() * 3);
    for b in text.as_bytes() {
        if is_unreserved(*b) {
            slow.push(*b as char);
        } else {
            slow.push_str(&format!("%{b:02X}"));
        }
    }
    assert_eq!(encoded, slow);

    let pairs: Vec<(&str, &str)> = text
        .split('\n')
        .map(|line| line.split_once('\t').unwrap_or((line, "")))
        .collect();
    let canonical = rpc::canonicalized_query_string(&pairs);
    let mut sorted: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    sorted.sort_by(|a, b| {
        a.0.as_bytes()
            .cmp(b.0.as_bytes())
            .then_with(|| a.1.cmp(&b.1))
    });
    assert_eq!(
        decode_pairs(&canonical),
        sorted,
        "canonical string does not decode back"
    );

    for method in [HttpMethod::Get, HttpMethod::Post] {
        let signed = rpc::sign_params("fuzz-secret", method, pairs.clone());
        assert_eq!(signed.canonicalized_query_string(), canonical);
        assert_eq!(
            signed.string_to_sign(),
            rpc::string_to_sign(method, &canonical)
        );
        assert_eq!(
            signed.signature(),
            rpc::signature("fuzz-secret", &signed.string_to_sign())
        );
        let mut params = signed.params();
        let (name, value) = params.pop().expect("Signature is last");
        assert_eq!(
            (name.as_str(), value.as_str()),
            ("Signature", signed.signature())
        );
        assert_eq!(params, sorted);
    }
});
