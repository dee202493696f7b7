//! Percent-encoding as Alibaba Cloud's signatures define it.
//!
//! Every byte of the UTF-8 input is written as `%XX` with upper-case hex, except the
//! RFC 3986 unreserved set `A-Z a-z 0-9 - _ . ~`. A space is therefore `%20` (never
//! `+`), `*` is `%2A` and `~` stays as it is. The same function encodes the canonical
//! string, the string to sign and the bytes that go on the wire, so what is sent is
//! exactly what was signed.

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// `true` for the bytes that stay unencoded: `A-Z a-z 0-9 - _ . ~`.
#[inline]
pub const fn is_unreserved(b: u8) -> bool {
    matches!(b, b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~')
}

/// Percent-encodes `input` (its UTF-8 bytes) into a new string.
///
/// ```
/// use aliyun_sign::percent_encode;
/// assert_eq!(percent_encode("a b*c~d/é"), "a%20b%2Ac~d%2F%C3%A9");
/// ```
pub fn percent_encode(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + input.len() / 2);
    percent_encode_into(&mut out, input);
    out
}

/// Percent-encodes `input`, appending to `out` (no allocation when `out` has room).
pub fn percent_encode_into(out: &mut String, input: &str) {
    let bytes = input.as_bytes();
    // Copy runs of unreserved bytes in one go; they are ASCII, so each run is valid UTF-8.
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if is_unreserved(b) {
            continue;
        }
        if start < i {
            out.push_str(&input[start..i]);
        }
        push_escaped(out, b);
        start = i + 1;
    }
    if start < bytes.len() {
        out.push_str(&input[start..]);
    }
}

#[inline]
fn push_escaped(out: &mut String, b: u8) {
    out.push('%');
    out.push(HEX[(b >> 4) as usize] as char);
    out.push(HEX[(b & 0x0F) as usize] as char);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_exactly_the_unreserved_set() {
        for b in 0u8..=127 {
            let s = (b as char).to_string();
            let e = percent_encode(&s);
            if is_unreserved(b) {
                assert_eq!(e, s);
            } else {
                assert_eq!(e, format!("%{b:02X}"));
            }
        }
    }

    #[test]
    fn known_spellings() {
        assert_eq!(percent_encode(" "), "%20");
        assert_eq!(percent_encode("+"), "%2B");
        assert_eq!(percent_encode("*"), "%2A");
        assert_eq!(percent_encode("~"), "~");
        assert_eq!(percent_encode("%"), "%25");
        assert_eq!(percent_encode("😀"), "%F0%9F%98%80");
        assert_eq!(percent_encode(""), "");
    }
}
