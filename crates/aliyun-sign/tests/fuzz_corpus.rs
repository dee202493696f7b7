//! Replays the committed corpus of the percent-encoding fuzz target
//! (`fuzz/corpus/percent_encode`: seeds, and every input that once crashed
//! it) with the target's round trips, plus a deterministic sweep of the
//! inputs the word-at-a-time encoder is most likely to get wrong: every byte
//! value at every position of inputs around the word size.

use std::path::PathBuf;

use aliyun_sign::{decode_pairs, is_unreserved, percent_decode, percent_encode, rpc, HttpMethod};

/// What `fuzz/fuzz_targets/percent_encode.rs` checks for one input.
fn check(data: &[u8]) {
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
    // The encoder agrees with the byte-by-byte definition.
    let mut slow = String::new();
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
    assert_eq!(decode_pairs(&canonical), sorted);
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
}

#[test]
fn percent_encode_corpus() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/percent_encode");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        check(&std::fs::read(entry.unwrap().path()).unwrap());
        n += 1;
    }
    assert!(n > 0);
}

#[test]
fn every_ascii_byte_at_every_position_around_the_word_size() {
    for len in 1..=17 {
        for pos in 0..len {
            for b in 0u8..=127 {
                let mut input = vec![b'a'; len];
                input[pos] = b;
                check(&input);
                // Neighbours reserved too, so runs start and end everywhere.
                let mut input = vec![b'/'; len];
                input[pos] = b;
                check(&input);
            }
        }
    }
    for s in [
        "é",
        "a😀b",
        "\u{7f}\u{80}",
        "~~~~~~~~~",
        "-_.~AZaz09",
        "%%%%%%%%%",
    ] {
        check(s.as_bytes());
    }
}
