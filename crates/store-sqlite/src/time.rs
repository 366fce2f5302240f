//! Timestamps as fixed-width UTC text, so that SQL comparisons and `ORDER BY` agree with time.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};

use abholbox_store::StoreError;

const FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

/// [`FORMAT`], written field by field: chrono reads its format string anew on every call, and a
/// pickup's write formats a dozen timestamps.
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    let micros = t.nanosecond() % 1_000_000_000 / 1000;
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Reads [`FORMAT`] back; the fixed width is read by position, anything else by chrono.
pub(crate) fn parse_ts(s: &str, column: &'static str) -> Result<DateTime<Utc>, StoreError> {
    fixed_width(s)
        .or_else(|| NaiveDateTime::parse_from_str(s, FORMAT).ok())
        .map(|n| n.and_utc())
        .ok_or(StoreError::Corrupt(column))
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, as [`ts`] writes it.
fn fixed_width(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    if b.len() != 27 || [4, 7, 10, 13, 16, 19, 26].map(|i| b.get(i).copied()) != SEPARATORS {
        return None;
    }
    let number = |from: usize, to: usize| -> Option<u32> {
        let digits = s.get(from..to)?;
        digits.bytes().all(|d| d.is_ascii_digit()).then(|| digits.parse().ok())?
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(number(0, 4)?).ok()?, number(5, 7)?, number(8, 10)?)?;
    let time = NaiveTime::from_hms_micro_opt(number(11, 13)?, number(14, 16)?, number(17, 19)?, number(20, 26)?)?;
    Some(date.and_time(time))
}

const SEPARATORS: [Option<u8>; 7] =
    [Some(b'-'), Some(b'-'), Some(b'T'), Some(b':'), Some(b':'), Some(b'.'), Some(b'Z')];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn round_trips_and_sorts_like_time() {
        let a = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
        let b = a + chrono::Duration::microseconds(1);
        assert_eq!(parse_ts(&ts(a), "t").unwrap(), a);
        assert!(ts(a) < ts(b));
        assert_eq!(ts(a).len(), ts(b).len());
    }

    #[test]
    fn writes_and_reads_exactly_what_chrono_does_with_the_format() {
        let mut t = Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 58).unwrap();
        for step in 0..2000_i64 {
            t += chrono::Duration::nanoseconds(step * 987_654_321_123 + 999);
            let by_chrono = t.format(FORMAT).to_string();
            assert_eq!(ts(t), by_chrono);
            let read = NaiveDateTime::parse_from_str(&by_chrono, FORMAT).unwrap().and_utc();
            assert_eq!(fixed_width(&by_chrono).map(|n| n.and_utc()), Some(read));
            assert_eq!(parse_ts(&by_chrono, "t").unwrap(), read);
        }
    }

    #[test]
    fn reads_a_leap_second_as_chrono_does() {
        let leap = "2016-12-31T23:59:60.250000Z";
        let by_chrono = NaiveDateTime::parse_from_str(leap, FORMAT).map(|n| n.and_utc()).ok();
        assert_eq!(parse_ts(leap, "t").ok(), by_chrono);
    }

    #[test]
    fn refuses_what_is_not_a_timestamp() {
        for bad in [
            "",
            "2026-11-25",
            "2026-13-25T09:00:00.000000Z",
            "2026-11-25T09:00:00.00000aZ",
            "2026-11-25 09:00:00.000000Z",
            "2026-11-25T09:00:00.000000Zx",
        ] {
            assert!(parse_ts(bad, "t").is_err(), "{bad}");
        }
    }
}
