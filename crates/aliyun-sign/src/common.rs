//! The values every signed request carries besides its own parameters: method,
//! timestamp and nonce. Time and randomness are inputs, never read inside the
//! signing functions, so tests pin them and production passes fresh ones.

use std::fmt;
use time::{format_description::FormatItem, macros::format_description, OffsetDateTime, UtcOffset};

const TIMESTAMP_FORMAT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

/// The HTTP method of an RPC call: part of the string to sign, and what the
/// client sends. One type from the signer up to the CLI.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    /// Parameters travel in the query string.
    Get,
    /// Parameters travel in an `application/x-www-form-urlencoded` body
    /// (the default: no URL length limit).
    #[default]
    Post,
}

impl HttpMethod {
    /// `"GET"` or `"POST"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        }
    }
}

impl std::str::FromStr for HttpMethod {
    type Err = String;

    /// `get` or `post`, in any case.
    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("get") {
            Ok(HttpMethod::Get)
        } else if s.eq_ignore_ascii_case("post") {
            Ok(HttpMethod::Post)
        } else {
            Err(format!("unknown HTTP method {s:?} (GET or POST)"))
        }
    }
}

impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request time in UTC, spelled `yyyy-MM-ddTHH:mm:ssZ` as both signature versions
/// require (`Timestamp` in RPC V1, `x-acs-date` in ACS3).
///
/// ```
/// use aliyun_sign::Timestamp;
/// let t = Timestamp::parse("2024-05-06T07:08:09Z").unwrap();
/// assert_eq!(t.as_str(), "2024-05-06T07:08:09Z");
/// let from_time = Timestamp::from_datetime(t.to_datetime());
/// assert_eq!(from_time, t);
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Timestamp {
    text: String,
    at: OffsetDateTime,
}

/// A timestamp string that is not `yyyy-MM-ddTHH:mm:ssZ`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimestampError {
    /// The text that was given.
    pub input: String,
}

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "timestamp {:?} is not in the form yyyy-MM-ddTHH:mm:ssZ (UTC)",
            self.input
        )
    }
}

impl std::error::Error for TimestampError {}

impl Timestamp {
    /// The current time, read from the system clock.
    pub fn now() -> Self {
        Self::from_datetime(OffsetDateTime::now_utc())
    }

    /// Any instant, converted to UTC and truncated to whole seconds.
    pub fn from_datetime(at: OffsetDateTime) -> Self {
        let at = at.to_offset(UtcOffset::UTC);
        let at = at - time::Duration::nanoseconds(i64::from(at.nanosecond()));
        // Formatting a UTC date with four-digit year cannot fail; fall back to the
        // RFC 3339 debug form rather than panic should `time` ever refuse.
        let text = format_four_digit_year(at).unwrap_or_else(|| {
            at.format(TIMESTAMP_FORMAT)
                .unwrap_or_else(|_| at.to_string())
        });
        Timestamp { text, at }
    }

    /// Parses `yyyy-MM-ddTHH:mm:ssZ`.
    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        let at = time::PrimitiveDateTime::parse(text, TIMESTAMP_FORMAT)
            .map_err(|_| TimestampError {
                input: text.to_owned(),
            })?
            .assume_utc();
        Ok(Timestamp {
            text: text.to_owned(),
            at,
        })
    }

    /// The wire spelling.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The instant, in UTC.
    pub fn to_datetime(&self) -> OffsetDateTime {
        self.at
    }
}

/// [`TIMESTAMP_FORMAT`] written digit by digit for years 0-9999 (every
/// request signs the current time; this skips the format-description
/// interpreter). The text is the one `time` gives for those years: a
/// zero-padded four-digit year. `None` for other years, which go to `time`.
fn format_four_digit_year(at: OffsetDateTime) -> Option<String> {
    let (year, month, day) = at.to_calendar_date();
    let year = u32::try_from(year).ok().filter(|y| *y <= 9999)?;
    let (hour, minute, second) = at.to_hms();
    let mut text = *b"0000-00-00T00:00:00Z";
    let mut put = |at: usize, width: usize, mut n: u32| {
        for digit in text[at..at + width].iter_mut().rev() {
            *digit = b'0' + (n % 10) as u8;
            n /= 10;
        }
    };
    put(0, 4, year);
    put(5, 2, u32::from(u8::from(month)));
    put(8, 2, u32::from(day));
    put(11, 2, u32::from(hour));
    put(14, 2, u32::from(minute));
    put(17, 2, u32::from(second));
    String::from_utf8(text.to_vec()).ok()
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.text)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A signature nonce: unique per request so the service can refuse replays.
///
/// [`Nonce::random`] draws a version-4 UUID (122 random bits).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Nonce(String);

impl Nonce {
    /// A fresh random nonce (UUID v4, hyphenated, 122 random bits).
    pub fn random() -> Self {
        Nonce(uuid::Uuid::new_v4().hyphenated().to_string())
    }

    /// A given nonce, for tests and replays of recorded requests.
    pub fn new(value: impl Into<String>) -> Self {
        Nonce(value.into())
    }

    /// The nonce text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nonce({})", self.0)
    }
}

impl fmt::Display for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_formats_in_utc_without_fraction() {
        let at = time::macros::datetime!(2024-05-06 15:08:09.987 +08:00);
        assert_eq!(
            Timestamp::from_datetime(at).as_str(),
            "2024-05-06T07:08:09Z"
        );
    }

    #[test]
    fn direct_formatting_matches_time_at_the_edges() {
        use time::macros::datetime;
        for at in [
            datetime!(0000-01-01 00:00:00 UTC),
            datetime!(0009-02-03 04:05:06 UTC),
            datetime!(0999-12-31 23:59:59 UTC),
            datetime!(1970-01-01 00:00:00 UTC),
            datetime!(2024-02-29 23:59:59 UTC),
            datetime!(9999-12-31 23:59:59 UTC),
        ] {
            let want = at.format(TIMESTAMP_FORMAT).unwrap();
            assert_eq!(format_four_digit_year(at).as_deref(), Some(want.as_str()));
            assert_eq!(Timestamp::from_datetime(at).as_str(), want);
        }
        let bc = datetime!(-0001-12-31 23:59:59 UTC);
        assert_eq!(format_four_digit_year(bc), None);
        assert_eq!(
            Timestamp::from_datetime(bc).as_str(),
            bc.format(TIMESTAMP_FORMAT).unwrap()
        );
    }

    proptest::proptest! {
        #[test]
        fn timestamps_match_the_time_crate_formatting(
            secs in -377_705_116_800i64..=253_402_300_799,
            nanos in 0u32..1_000_000_000,
            offset in -86_399i32..=86_399,
        ) {
            let utc = OffsetDateTime::from_unix_timestamp(secs).unwrap()
                + time::Duration::nanoseconds(i64::from(nanos));
            let Ok(offset) = UtcOffset::from_whole_seconds(offset) else {
                return Ok(());
            };
            let Some(local) = utc.checked_to_offset(offset) else {
                return Ok(());
            };
            let whole = utc - time::Duration::nanoseconds(i64::from(utc.nanosecond()));
            let want = whole.format(TIMESTAMP_FORMAT).unwrap_or_else(|_| whole.to_string());
            let got = Timestamp::from_datetime(local);
            proptest::prop_assert_eq!(got.as_str(), want);
        }
    }

    #[test]
    fn timestamp_rejects_other_forms() {
        for bad in ["2024-05-06 07:08:09", "2024-05-06T07:08:09+08:00", "", "x"] {
            let err = Timestamp::parse(bad).unwrap_err();
            assert!(err.to_string().contains("yyyy-MM-ddTHH:mm:ssZ"), "{bad}");
        }
    }

    #[test]
    fn nonces_differ_and_carry_122_random_bits() {
        let a = Nonce::random();
        let b = Nonce::random();
        assert_ne!(a, b);
        let u = uuid::Uuid::parse_str(a.as_str()).unwrap();
        assert_eq!(u.get_version_num(), 4);
    }
}
