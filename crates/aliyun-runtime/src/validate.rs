//! String rules ([`StringRules`]) and the checks behind them: control
//! characters, lengths, allowed values, JSON text, and `http(s)` URLs (a cheap scan with
//! the full WHATWG parse as its fallback). [`crate::params`] applies them.

use crate::error::{Rule, ValidationError};
pub use crate::operation::StringRules;

/// Checks one string value.
pub fn check_string(
    operation: &'static str,
    param: &str,
    value: &str,
    rules: &StringRules,
    index: Option<usize>,
) -> Result<(), ValidationError> {
    let err = |rule| Err(ValidationError::new(operation, param, rule));
    if rules.no_control && has_control(value) {
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
    if rules.json {
        if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(value) {
            return err(Rule::NotJson(e.to_string()));
        }
    }
    if !rules.allowed.is_empty() && !rules.allowed.contains(&value) {
        return err(Rule::NotInEnum {
            allowed: rules.allowed.iter().map(|a| (*a).to_owned()).collect(),
        });
    }
    Ok(())
}

/// `value.chars().any(char::is_control)`, without decoding every char.
///
/// A control character is a byte below 0x20, 0x7F, or (U+0080-U+009F) 0xC2
/// followed by 0x80-0x9F. Bytes are tested a block at a time with no early
/// exit (which the compiler vectorizes); only a string holding one of those
/// bytes (0xC2 also starts U+00A0-U+00BF) is decoded to decide.
fn has_control(value: &str) -> bool {
    const BLOCK: usize = 32;
    let suspect = |b: &u8| u8::from(*b < 0x20 || *b == 0x7F || *b == 0xC2);
    let bytes = value.as_bytes();
    let mut blocks = bytes.chunks_exact(BLOCK);
    let found = blocks
        .by_ref()
        .any(|block| block.iter().map(suspect).fold(0, |a, f| a | f) != 0)
        || blocks.remainder().iter().any(|b| suspect(b) != 0);
    found && value.chars().any(char::is_control)
}

/// `true` for an absolute `http://` or `https://` URL with a host: exactly the
/// inputs for which [`url::Url::parse`] succeeds with scheme `http` or `https`
/// (WHATWG rules, so e.g. `HTTP://h`, `http:/h`, `http:\\h`, surrounding spaces,
/// userinfo, a trailing `:` port, IDNA and percent-encoded hosts are accepted;
/// `http://`, `http://h:65536` and `http://1.2.3.256` are refused).
///
/// The overwhelmingly common form, `http(s)://` + a plain ASCII host name or
/// dotted-quad IPv4 address + an optional decimal port + anything from the
/// first `/`, `\`, `?` or `#` on, is accepted by a cheap scan (see
/// `is_plain_http_url`) without building a `Url`; everything else falls back
/// to the full parse. The scan only accepts inputs the parser accepts too (a
/// property test checks this), so the answer is the same either way.
pub fn is_http_url(value: &str) -> bool {
    is_plain_http_url(value) || parses_as_http_url(value)
}

/// The full WHATWG check: what [`is_http_url`] answers for inputs the fast path
/// does not recognise.
fn parses_as_http_url(value: &str) -> bool {
    match url::Url::parse(value) {
        Ok(u) => {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
        }
        Err(_) => false,
    }
}

/// Inputs longer than this skip the fast path: `url` refuses a URL whose
/// serialization passes `u32::MAX` bytes, and percent-encoding can triple the
/// input, so only inputs well below a third of that are sure to fit.
const PLAIN_MAX_LEN: usize = 1 << 30;

/// The fast path of [`is_http_url`]: `true` only for inputs `url::Url::parse`
/// accepts as `http`/`https` URLs with a host; `false` means "not sure", not
/// "invalid".
///
/// Recognised: a case-insensitive `http://` or `https://` (so no leading space,
/// tab or newline, which the parser would strip), then an authority running to
/// the first `/`, `\`, `?`, `#` or the end, made of
/// - a host: either dot-separated non-empty labels of ASCII letters, digits and
///   `-` whose last label starts with a letter (so it is a domain, never parsed
///   as IPv4) and none of which has `--` at bytes 3-4 (so no `xn--` punycode to
///   validate), or a dotted-quad IPv4 address with parts 0-255 in plain decimal;
/// - optionally `:` and a port of 1-5 digits not above 65535.
///
/// What follows the authority (path, query, fragment) never makes the parser
/// fail for `http`/`https`: it percent-encodes what needs encoding, and drops
/// tabs, newlines and trailing spaces. Anything else in the authority (userinfo,
/// `%`, brackets, non-ASCII, whitespace, controls, an empty port) is left to
/// the parser.
fn is_plain_http_url(value: &str) -> bool {
    let b = value.as_bytes();
    if b.len() > PLAIN_MAX_LEN {
        return false;
    }
    let rest = if b.len() >= 7 && b[..7].eq_ignore_ascii_case(b"http://") {
        &b[7..]
    } else if b.len() >= 8 && b[..8].eq_ignore_ascii_case(b"https://") {
        &b[8..]
    } else {
        return false;
    };
    // One pass over the host, checking each label as its `.` (or the end) comes.
    let mut label_start = 0;
    let mut host_end = rest.len();
    for (i, &c) in rest.iter().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' => {}
            b'.' => {
                if !plain_label(&rest[label_start..i]) {
                    return false;
                }
                label_start = i + 1;
            }
            b':' | b'/' | b'\\' | b'?' | b'#' => {
                host_end = i;
                break;
            }
            _ => return false,
        }
    }
    let last = &rest[label_start..host_end];
    if !plain_label(last) {
        return false;
    }
    let host_ok = last[0].is_ascii_alphabetic() || is_dotted_quad(&rest[..host_end]);
    if !host_ok {
        return false;
    }
    if rest.get(host_end) == Some(&b':') {
        let port = &rest[host_end + 1..];
        let digits = port.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0
            || digits > 5
            || !matches!(port.get(digits), None | Some(b'/' | b'\\' | b'?' | b'#'))
        {
            return false;
        }
        let n = port[..digits]
            .iter()
            .fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
        if n > u32::from(u16::MAX) {
            return false;
        }
    }
    true
}

/// A label the fast path takes as it is (its bytes are already known to be
/// ASCII letters, digits and `-`): non-empty, no `--` at bytes 3-4.
fn plain_label(label: &[u8]) -> bool {
    !label.is_empty() && label.get(2..4) != Some(b"--")
}

/// `d.d.d.d`, each 0-255 in decimal without leading zeros.
fn is_dotted_quad(host: &[u8]) -> bool {
    let mut parts = 0;
    for part in host.split(|&c| c == b'.') {
        parts += 1;
        if parts > 4
            || part.is_empty()
            || part.len() > 3
            || (part.len() > 1 && part[0] == b'0')
            || !part.iter().all(u8::is_ascii_digit)
        {
            return false;
        }
        let n = part.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
        if n > 255 {
            return false;
        }
    }
    parts == 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_text_must_parse() {
        let rules = StringRules::ANY.json();
        assert!(check_string("Op", "P", r#"{"a": [1, "b"]}"#, &rules, None).is_ok());
        assert!(check_string("Op", "P", "3", &rules, None).is_ok());
        let err = check_string("Op", "P", "{a: 1}", &rules, None).unwrap_err();
        assert_eq!(err.param, "P");
        assert!(matches!(err.rule, Rule::NotJson(_)), "{err}");
        assert!(err.to_string().contains("is not valid JSON"), "{err}");
        // Without the rule, any text.
        assert!(check_string("Op", "P", "{a: 1}", &StringRules::ANY, None).is_ok());
    }
    use proptest::prelude::*;
    use proptest::test_runner::TestCaseError;

    #[test]
    fn urls() {
        assert!(is_http_url("https://example.com/视频 1.mp4?a=b,c"));
        assert!(is_http_url("http://127.0.0.1:8080/x"));
        assert!(!is_http_url("ftp://example.com/x"));
        assert!(!is_http_url("example.com/x"));
        assert!(!is_http_url("file:///etc/passwd"));
    }

    /// The check `is_http_url` used before the fast path, kept as the oracle.
    fn oracle(value: &str) -> bool {
        match url::Url::parse(value) {
            Ok(u) => {
                matches!(u.scheme(), "http" | "https")
                    && u.host_str().is_some_and(|h| !h.is_empty())
            }
            Err(_) => false,
        }
    }

    /// Asserts the fast path never accepts what the parser refuses, and that
    /// the combined answer is the parser's.
    fn agrees(s: &str) -> Result<(), TestCaseError> {
        let want = oracle(s);
        prop_assert!(
            !is_plain_http_url(s) || want,
            "fast path accepts {s:?}, url refuses it"
        );
        prop_assert_eq!(is_http_url(s), want, "{:?}", s);
        Ok(())
    }

    #[test]
    fn tricky_urls_agree_with_url_parse() {
        let cases = [
            // Common forms, all taken by the fast path.
            "https://example.com",
            "https://example.com/",
            "http://a.b-c.D9:8080/x?y#z",
            "HTTP://EXAMPLE.COM/",
            "hTtPs://example.com",
            "http://127.0.0.1:8080/x",
            "http://0.0.0.0",
            "https://h:65535",
            "https://h:0",
            "https://h:00080/",
            "https://h\\path",
            "https://h#",
            "https://h?",
            "https://h/ \t\n\r\u{0}\u{7f}%zz%%/é视频",
            "https://h/x   ",
            // Left to the parser (accepted or refused there).
            "https://h:65536",
            "https://h:99999",
            "https://h:",
            "https://h:/x",
            "https://h:-1",
            "https://h:8a",
            "https://h:00000080",
            "http://",
            "https://",
            "http:/x",
            "http:x",
            "http:///x",
            "http:\\\\x",
            "http:/\\x",
            "http://\\x",
            "http://@x",
            "http://user@x",
            "http://u:p@x:1/",
            "http://a@b@c",
            "http://[::1]",
            "http://[::1]:8080/",
            "http://[::1",
            "http://[1.2.3.4]",
            "http://[::ffff:1.2.3.4]",
            "http://[g::1]",
            "http://1.2.3.256",
            "http://1.2.3.4.5",
            "http://1.2.3",
            "http://1.2.3.",
            "http://01.2.3.4",
            "http://0x7f.1",
            "http://0x",
            "http://a.0x1f",
            "http://999999999999",
            "http://a.1",
            "http://a.1a",
            "http://a..b",
            "http://.a",
            "http://a.",
            "http://.",
            "http://..",
            "http://-",
            "http://a-",
            "http://-a.b-",
            "http://ab--c",
            "http://xn--",
            "http://xn--a",
            "http://xn--nxasmq6b",
            "http://XN--NXASMQ6B.com",
            "http://xn--zz-zz.com",
            "http://exa%6Dple.com",
            "http://exa%41mple.com",
            "http://%",
            "http://%zz",
            "http://%2e",
            "http://例子.测试/",
            "http://ÉXAMPLE.com",
            "http://ß.de",
            "http://a\u{ff0e}b",
            "http://\u{200b}",
            "http://a\u{0}b",
            "http://a\u{7f}b",
            "http://a b",
            "http://a\tb",
            "http://a\nb.com",
            "http://a|b",
            "http://a^b",
            "http://a<b",
            " https://h",
            "https://h ",
            "\thttps://h",
            "\u{0}https://h",
            "ht\ttp://h",
            "https\n://h",
            "http ://h",
            "https:// h",
            "ftp://example.com/x",
            "file:///etc/passwd",
            "example.com/x",
            "//example.com",
            "http",
            "http:",
            "",
            "http+x://h",
            "httpx://h",
            "ws://h",
        ];
        for case in cases {
            agrees(case).unwrap();
        }
        for fast in &cases[..14] {
            assert!(
                is_plain_http_url(fast),
                "{fast:?} should take the fast path"
            );
        }
    }

    #[test]
    fn control_characters_at_every_position_and_block_edge() {
        for c in ['\u{0}', '\u{1f}', '\u{7f}', '\u{80}', '\u{9f}'] {
            for len in [0, 1, 31, 32, 33, 63, 64, 65, 100] {
                for at in [0, len / 2, len] {
                    let mut s = "a".repeat(len);
                    s.insert(at, c);
                    assert!(has_control(&s), "{s:?}");
                }
            }
        }
        for clean in [
            "",
            "abc",
            "\u{a0}\u{bf}\u{c0}é視",
            &"x".repeat(70),
            &"\u{a0}".repeat(40),
        ] {
            assert!(!has_control(clean), "{clean:?}");
        }
    }

    #[test]
    fn bench_urls_take_the_fast_path() {
        let url = "https://example-bucket.oss-cn-shanghai.aliyuncs.com/videos/2024/05/06/\
                   lecture 01 (final)-é.mp4?Expires=1715000001&OSSAccessKeyId=LTAI5tExample\
                   &Signature=k2Hx%2Bq19zQ%3D&response-content-type=video/mp4";
        assert!(is_plain_http_url(url));
        assert!(oracle(url));
    }

    /// Pieces that exercise each part of the WHATWG parse.
    fn url_like() -> impl Strategy<Value = String> {
        let ws = prop::sample::select(vec!["", "", "", " ", "\t", "\n", "\u{0}", "\u{1f}"]);
        let scheme = prop::sample::select(vec![
            "http", "https", "HTTP", "HttpS", "ftp", "file", "ws", "", "ht\ttp", "h ttp", "http+x",
            "httpx",
        ]);
        let sep = prop::sample::select(vec![
            "://", "://", "://", ":", ":/", ":///", ":\\\\", ":/\\", "://\\", ":// ", "//", ":\t//",
        ]);
        let userinfo = prop::sample::select(vec!["", "", "", "u@", "u:p@", "@", "a@b@", ":@"]);
        let host = prop_oneof![
            4 => "[a-zA-Z0-9\\-]{1,6}(\\.[a-zA-Z0-9\\-]{0,6}){0,3}",
            2 => "[0-9]{1,4}(\\.[0-9]{0,4}){0,4}",
            1 => "(0x|0X)?[0-9a-fA-F]{0,4}(\\.(0x)?[0-9a-fA-F]{0,3}){0,3}",
            1 => "\\[[0-9a-fA-F:.]{0,16}\\]?",
            1 => "(xn--|XN--)[a-z0-9\\-]{0,8}(\\.[a-z]{1,3})?",
            1 => "[a-z%0-9A-F.]{0,8}",
            1 => "[a-zé视频ßÉ\u{ff0e}\u{200b}\u{7f}\u{0}\u{1} \t|^<>*.\\-]{0,6}",
            1 => ".{0,6}",
        ];
        let port = prop::sample::select(vec![
            "", "", "", ":", ":0", ":80", ":65535", ":65536", ":99999", ":123456", ":-1", ":8a",
            ":000080", ": 80",
        ]);
        let rest = prop_oneof![
            3 => Just(String::new()),
            6 => "[/\\\\?#][ -~é视\t\n\u{0}\u{7f}%]{0,12}",
            1 => ".{0,8}",
        ];
        (ws.clone(), scheme, sep, userinfo, host, port, rest, ws).prop_map(
            |(lead, scheme, sep, userinfo, host, port, rest, trail)| {
                format!("{lead}{scheme}{sep}{userinfo}{host}{port}{rest}{trail}")
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn structured_urls_agree_with_url_parse(s in url_like()) {
            agrees(&s)?;
        }

        #[test]
        fn url_alphabet_strings_agree_with_url_parse(
            s in "[hHtTpPsS:/\\\\@\\[\\]%.a-f0-9 \t\u{0}é-]{0,24}"
        ) {
            agrees(&s)?;
        }

        #[test]
        fn prefixed_strings_agree_with_url_parse(
            prefix in prop::sample::select(vec!["http://", "https://", "HTTPS://"]),
            s in "[ -~]{0,24}",
        ) {
            agrees(&format!("{prefix}{s}"))?;
        }

        #[test]
        fn any_strings_agree_with_url_parse(s in ".{0,32}") {
            agrees(&s)?;
        }

        #[test]
        fn control_scan_agrees_with_char_is_control(
            s in "[a-z\u{0}-\u{1f}\u{7f}-\u{c0}é視\u{2028}\u{feff}]{0,80}",
            t in ".{0,80}",
        ) {
            prop_assert_eq!(has_control(&s), s.chars().any(char::is_control), "{:?}", s);
            prop_assert_eq!(has_control(&t), t.chars().any(char::is_control), "{:?}", t);
        }
    }
}
