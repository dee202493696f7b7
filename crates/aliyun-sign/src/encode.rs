//! Percent-encoding as Alibaba Cloud's signatures define it.
//!
//! Every byte of the UTF-8 input is written as `%XX` with upper-case hex, except the
//! RFC 3986 unreserved set `A-Z a-z 0-9 - _ . ~`. A space is therefore `%20` (never
//! `+`), `*` is `%2A` and `~` stays as it is. The same function encodes the canonical
//! string, the string to sign and the bytes that go on the wire, so what is sent is
//! exactly what was signed.
//!
//! Inputs are mostly long runs of unreserved bytes (IDs, dates, host names), so the
//! encoder classifies eight bytes at a time ([`reserved_bits`]) instead of one.

/// Upper-case hex digits.
const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// `%00%01..%FF`: the escape of byte `b` is `ESCAPES[3 * b..3 * b + 3]`.
const ESCAPES: &str = {
    const BYTES: [u8; 768] = {
        let mut t = [0u8; 768];
        let mut b = 0;
        while b < 256 {
            t[3 * b] = b'%';
            t[3 * b + 1] = HEX[b >> 4];
            t[3 * b + 2] = HEX[b & 0x0F];
            b += 1;
        }
        t
    };
    match std::str::from_utf8(&BYTES) {
        Ok(s) => s,
        Err(_) => panic!("the escape table is ASCII"),
    }
};

/// `%XX` (upper-case hex) for one byte, as bytes.
#[inline]
pub(crate) fn escape(b: u8) -> [u8; 3] {
    [b'%', HEX[(b >> 4) as usize], HEX[(b & 0x0F) as usize]]
}

/// `%XX` (upper-case hex) for one byte, as a string.
#[inline]
pub(crate) fn escaped(b: u8) -> &'static str {
    let i = 3 * b as usize;
    &ESCAPES[i..i + 3]
}

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
    let mut start = 0;
    while start < bytes.len() {
        let end = next_reserved(bytes, start);
        if start < end {
            // A run of unreserved bytes is ASCII, so it starts and ends on char
            // boundaries (an empty one may sit inside a multi-byte char).
            out.push_str(&input[start..end]);
        }
        let Some(&b) = bytes.get(end) else {
            return;
        };
        out.push_str(escaped(b));
        start = end + 1;
    }
}

/// The high bit of every byte.
const HIGH: u64 = 0x8080_8080_8080_8080;

/// `b` in every byte of a word.
const fn splat(b: u8) -> u64 {
    b as u64 * 0x0101_0101_0101_0101
}

/// Classifies the eight bytes of `word` (in memory order, as `u64::from_le_bytes`
/// reads them) at once: the result has the high bit of byte `i` set when byte `i`
/// must be escaped, and no other bits. So `reserved_bits(w) == 0` means all eight
/// bytes are unreserved, and otherwise `trailing_zeros() / 8` is the index of the
/// first byte that is not.
///
/// The tests are range checks done in every byte lane by addition on the low
/// seven bits: `x + (0x80 - lo)` reaches the high bit exactly when `x >= lo`, and
/// no lane can carry into the next (both terms are at most `0x7F`). Bytes with the
/// high bit set (all of non-ASCII UTF-8) are always reserved.
#[inline]
fn reserved_bits(word: u64) -> u64 {
    let x = word & !HIGH;
    // High bit set in a lane where x >= lo, where x > hi, where x != c.
    let at_least = |lo: u8| x.wrapping_add(splat(0x80 - lo));
    let above = |hi: u8| x.wrapping_add(splat(0x7F - hi));
    let differs = |c: u8| (x ^ splat(c)).wrapping_add(splat(0x7F));
    // `-` `.` and the digits: 0x2D..=0x39 except `/`.
    let punct_digits = at_least(b'-') & !above(b'9') & differs(b'/');
    // Setting bit 5 folds exactly A-Z onto a-z (and moves nothing else into it).
    let folded = x | splat(0x20);
    let letters =
        folded.wrapping_add(splat(0x80 - b'a')) & !folded.wrapping_add(splat(0x7F - b'z'));
    let unreserved = punct_digits | letters | !differs(b'_') | !differs(b'~');
    (!unreserved | word) & HIGH
}

/// The index of the first byte at or after `from` that must be escaped, or
/// `bytes.len()` when there is none. Looks at eight bytes per step; the last
/// partial step re-reads the final eight bytes and ignores the lanes already seen.
///
/// Always inlined: it runs once per string and once after each escape, so for
/// the short names and values of a request the call would cost more than the scan.
#[inline(always)]
pub(crate) fn next_reserved(bytes: &[u8], from: usize) -> usize {
    let n = bytes.len();
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let bits = reserved_bits(u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8])));
        if bits != 0 {
            return i + (bits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    if i >= n {
        return n;
    }
    match n.checked_sub(8).and_then(|last| bytes.get(last..)) {
        Some(last) => {
            // Lanes `0..seen` of the final word were checked above.
            let seen = 8 - (n - i);
            let bits =
                reserved_bits(u64::from_le_bytes(last.try_into().unwrap_or([0; 8]))) >> (8 * seen);
            if bits == 0 {
                n
            } else {
                i + (bits.trailing_zeros() / 8) as usize
            }
        }
        None => {
            while i < n && UNRESERVED[bytes[i] as usize] {
                i += 1;
            }
            i
        }
    }
}

/// `UNRESERVED[b]` is [`is_unreserved`]`(b)`, as a table (for inputs shorter
/// than a word).
static UNRESERVED: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = is_unreserved(b as u8);
        b += 1;
    }
    t
};

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
        assert_eq!(
            percent_encode("https://e.com/a b/lecture-01.mp4?x=1&y=~z"),
            "https%3A%2F%2Fe.com%2Fa%20b%2Flecture-01.mp4%3Fx%3D1%26y%3D~z"
        );
    }

    /// The word classifier agrees with `is_unreserved` for every byte value in
    /// every lane, whatever its neighbours are.
    #[test]
    fn word_classifier_matches_the_byte_rule_in_every_lane() {
        for lane in 0..8 {
            for b in 0u8..=255 {
                for fill in [b'a', b'/', 0x00, 0x7F, 0x80, 0xFF, b'~', b'Z'] {
                    let mut word = [fill; 8];
                    word[lane] = b;
                    let bits = reserved_bits(u64::from_le_bytes(word));
                    for (i, &byte) in word.iter().enumerate() {
                        let flagged = bits & (0x80 << (8 * i)) != 0;
                        assert_eq!(flagged, !is_unreserved(byte), "byte {byte:#x} in lane {i}");
                    }
                    assert_eq!(bits & !HIGH, 0);
                }
            }
        }
    }

    #[test]
    fn next_reserved_finds_the_first_escape_at_every_offset() {
        for len in 0..40 {
            for at in 0..=len {
                let mut s = vec![b'a'; len];
                if at < len {
                    s[at] = b'/';
                }
                for from in 0..=at.min(len) {
                    assert_eq!(next_reserved(&s, from), at, "len {len} at {at} from {from}");
                }
            }
        }
    }
}
