//! Property tests: the encoder against a standard decoder, and signatures that do
//! not depend on the order the caller supplies parameters in.

use aliyun_sign::{is_unreserved, percent_encode, rpc, Credentials, HttpMethod, Nonce, Timestamp};
use proptest::prelude::*;

proptest! {
    #[test]
    fn encoder_round_trips_through_a_standard_decoder(s in any::<String>()) {
        let encoded = percent_encode(&s);
        let decoded = percent_encoding::percent_decode_str(&encoded).decode_utf8().expect("valid UTF-8");
        prop_assert_eq!(decoded.as_ref(), s.as_str());
    }

    #[test]
    fn encoder_leaves_exactly_the_unreserved_set(s in any::<String>()) {
        let encoded = percent_encode(&s);
        let bytes = encoded.as_bytes();
        let mut i = 0;
        let mut count_escapes = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                prop_assert!(i + 2 < bytes.len(), "truncated escape");
                let hi = bytes[i + 1];
                let lo = bytes[i + 2];
                prop_assert!(hi.is_ascii_digit() || (b'A'..=b'F').contains(&hi), "upper-case hex");
                prop_assert!(lo.is_ascii_digit() || (b'A'..=b'F').contains(&lo), "upper-case hex");
                let byte = u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap(), 16).unwrap();
                prop_assert!(!is_unreserved(byte), "unreserved byte {byte:#x} was escaped");
                count_escapes += 1;
                i += 3;
            } else {
                prop_assert!(is_unreserved(bytes[i]), "reserved byte {:#x} left bare", bytes[i]);
                i += 1;
            }
        }
        let reserved_in_input = s.bytes().filter(|b| !is_unreserved(*b)).count();
        prop_assert_eq!(count_escapes, reserved_in_input);
    }

    #[test]
    fn parameter_order_never_changes_the_signature(
        params in proptest::collection::btree_map("[A-Za-z][A-Za-z0-9_.~-]{0,12}", any::<String>(), 0..12),
        seed in any::<u64>(),
    ) {
        let creds = Credentials::new("id", "secret");
        let ts = Timestamp::parse("2024-05-06T07:08:09Z").unwrap();
        let nonce = Nonce::new("n");
        let req = rpc::RpcRequest { method: HttpMethod::Post, action: "A", version: "V", format: "JSON", timestamp: &ts, nonce: &nonce };
        let sorted: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut shuffled = sorted.clone();
        // A deterministic shuffle driven by the generated seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let a = rpc::sign(&creds, &req, &sorted);
        let b = rpc::sign(&creds, &req, &shuffled);
        prop_assert_eq!(a.signature(), b.signature());
        prop_assert_eq!(a.encoded(), b.encoded());
    }
}
