//! Dates in the zone have two-digit years. The century is inferred from what is plausible: nobody
//! is born in the future, and documents issued today expire in this century.

use chrono::NaiveDate;

/// Year within the century, month, day; `None` unless six ASCII digits.
fn split(yymmdd: &str) -> Option<(i32, u32, u32)> {
    if yymmdd.len() != 6 || !yymmdd.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let yy = yymmdd.get(0..2)?.parse().ok()?;
    let mm = yymmdd.get(2..4)?.parse().ok()?;
    let dd = yymmdd.get(4..6)?.parse().ok()?;
    Some((yy, mm, dd))
}

/// 20YY unless that lies after `today`, then 19YY. Wrong only for people over 100, whom a TD1
/// issued today cannot distinguish anyway.
pub(super) fn birth_date(yymmdd: &str, today: NaiveDate) -> Option<NaiveDate> {
    let (yy, mm, dd) = split(yymmdd)?;
    match NaiveDate::from_ymd_opt(2000 + yy, mm, dd) {
        Some(date) if date <= today => Some(date),
        _ => NaiveDate::from_ymd_opt(1900 + yy, mm, dd),
    }
}

/// Always 20YY: no document that is still in use expired in the 1900s.
pub(super) fn expiry_date(yymmdd: &str) -> Option<NaiveDate> {
    let (yy, mm, dd) = split(yymmdd)?;
    NaiveDate::from_ymd_opt(2000 + yy, mm, dd)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn birth_century() {
        let today = d(2026, 11, 25);
        assert_eq!(birth_date("740812", today), Some(d(1974, 8, 12)));
        assert_eq!(birth_date("250101", today), Some(d(2025, 1, 1)));
        assert_eq!(birth_date("301231", today), Some(d(1930, 12, 31)));
        assert_eq!(birth_date("261125", today), Some(d(2026, 11, 25)));
        assert_eq!(birth_date("261126", today), Some(d(1926, 11, 26)));
    }

    #[test]
    fn leap_day_of_2000_is_not_1900() {
        assert_eq!(birth_date("000229", d(2026, 1, 1)), Some(d(2000, 2, 29)));
        assert_eq!(birth_date("000229", d(1999, 1, 1)), None);
    }

    #[test]
    fn expiry_century() {
        assert_eq!(expiry_date("310101"), Some(d(2031, 1, 1)));
        assert_eq!(expiry_date("690101"), Some(d(2069, 1, 1)));
        assert_eq!(expiry_date("201031"), Some(d(2020, 10, 31)));
    }

    #[test]
    fn impossible_dates() {
        let today = d(2026, 11, 25);
        for bad in ["741312", "740230", "740000", "74081<", "<<<<<<", "7408122", "74081", "+40812"] {
            assert_eq!(birth_date(bad, today), None, "{bad}");
            assert_eq!(expiry_date(bad), None, "{bad}");
        }
        assert_eq!(expiry_date("270229"), None);
    }
}
