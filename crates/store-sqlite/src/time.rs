//! Timestamps as fixed-width UTC text, so that SQL comparisons and `ORDER BY` agree with time.

use chrono::{DateTime, NaiveDateTime, Utc};

use abholbox_store::StoreError;

const FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.format(FORMAT).to_string()
}

pub(crate) fn parse_ts(s: &str, column: &'static str) -> Result<DateTime<Utc>, StoreError> {
    NaiveDateTime::parse_from_str(s, FORMAT).map(|n| n.and_utc()).map_err(|_| StoreError::Corrupt(column))
}

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
}
