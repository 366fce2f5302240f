//! When a citizen may be texted: not in the site's quiet hours (by default 20:00 to 08:00 site time),
//! and a reminder on the right local day before the deadline, whatever the clocks did in between.

use chrono::{DateTime, Days, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// A daily span of local time in which no SMS goes out; it may run over midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    start: NaiveTime,
    end: NaiveTime,
}

/// A quiet-hours span that is not `HH:MM-HH:MM`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("quiet hours are written as HH:MM-HH:MM (e.g. 20:00-08:00), not {0:?}")]
pub struct QuietHoursError(String);

impl Default for QuietHours {
    fn default() -> Self {
        Self { start: NaiveTime::MIN + chrono::Duration::hours(20), end: NaiveTime::MIN + chrono::Duration::hours(8) }
    }
}

impl QuietHours {
    /// Reads `20:00-08:00`; an empty span (`08:00-08:00`) is refused, as it would mean "always".
    pub fn parse(s: &str) -> Result<Self, QuietHoursError> {
        let error = || QuietHoursError(s.to_owned());
        let (start, end) = s.trim().split_once('-').ok_or_else(error)?;
        let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| error());
        let (start, end) = (time(start)?, time(end)?);
        if start == end {
            return Err(error());
        }
        Ok(Self { start, end })
    }

    /// Whether a local time of day falls in the quiet hours.
    pub fn contains(&self, t: NaiveTime) -> bool {
        if self.start < self.end { self.start <= t && t < self.end } else { t >= self.start || t < self.end }
    }

    /// The first moment at or after `at` outside the quiet hours, in the site's time zone.
    pub fn next_allowed(&self, at: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        let local = at.with_timezone(&tz).naive_local();
        if !self.contains(local.time()) {
            return at;
        }
        // The quiet span ends today when it started yesterday evening (or runs within one day),
        // otherwise tomorrow.
        let day = if local.time() >= self.end { local.date() + Days::new(1) } else { local.date() };
        first_instant(tz, day.and_time(self.end)).max(at)
    }

    pub fn render(&self) -> String {
        format!("{}-{}", self.start.format("%H:%M"), self.end.format("%H:%M"))
    }
}

/// The instant a local time names; in a gap (the hour skipped in spring) the first instant after it,
/// in a fold (the hour repeated in autumn) the earlier one.
pub fn first_instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = local;
    for _ in 0..4 {
        match tz.from_local_datetime(&probe) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => return t.with_timezone(&Utc),
            LocalResult::None => probe += chrono::Duration::minutes(30),
        }
    }
    Utc.from_utc_datetime(&local)
}

/// The end of the local day that `at` falls on (the first instant of the next day): a pickup window
/// ends at a day's end, so that the date the SMS names is a whole day to collect on, not a day that
/// ends at the minute the document was loaded.
pub fn end_of_local_day(at: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let next = at.with_timezone(&tz).date_naive() + Days::new(1);
    first_instant(tz, next.and_time(NaiveTime::MIN))
}

/// The last local day on which a document due at `deadline` can be collected.
pub fn last_day(deadline: DateTime<Utc>, tz: Tz) -> NaiveDate {
    (deadline - chrono::Duration::nanoseconds(1)).with_timezone(&tz).date_naive()
}

/// When the reminder for a document due at `deadline` goes out: `days_before` local days before the
/// deadline's local day, at `at` local time. `None` when that is not after `ready_at` (a short
/// window leaves no room for a reminder) or when `days_before` is 0 (no reminders).
pub fn reminder_at(
    deadline: DateTime<Utc>,
    ready_at: DateTime<Utc>,
    tz: Tz,
    days_before: u32,
    at: NaiveTime,
) -> Option<DateTime<Utc>> {
    if days_before == 0 {
        return None;
    }
    let day: NaiveDate = last_day(deadline, tz).checked_sub_days(Days::new(u64::from(days_before)))?;
    let when = first_instant(tz, day.and_time(at));
    (when > ready_at && when < deadline).then_some(when)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Berlin;

    fn berlin(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Berlin.with_ymd_and_hms(y, m, d, h, min, 0).single().unwrap().with_timezone(&Utc)
    }

    fn ten() -> NaiveTime {
        NaiveTime::from_hms_opt(10, 0, 0).unwrap()
    }

    #[test]
    fn quiet_hours_hold_messages_until_morning_site_time() {
        let quiet = QuietHours::default();
        assert_eq!(quiet.render(), "20:00-08:00");
        assert_eq!(quiet.next_allowed(berlin(2026, 11, 26, 19, 59), Berlin), berlin(2026, 11, 26, 19, 59));
        assert_eq!(quiet.next_allowed(berlin(2026, 11, 26, 20, 0), Berlin), berlin(2026, 11, 27, 8, 0));
        assert_eq!(quiet.next_allowed(berlin(2026, 11, 27, 3, 0), Berlin), berlin(2026, 11, 27, 8, 0));
        assert_eq!(quiet.next_allowed(berlin(2026, 11, 27, 8, 0), Berlin), berlin(2026, 11, 27, 8, 0));
        let lunch = QuietHours::parse("12:00-13:30").unwrap();
        assert_eq!(lunch.next_allowed(berlin(2026, 11, 27, 12, 15), Berlin), berlin(2026, 11, 27, 13, 30));
        assert_eq!(lunch.next_allowed(berlin(2026, 11, 27, 14, 0), Berlin), berlin(2026, 11, 27, 14, 0));
    }

    #[test]
    fn quiet_hours_end_at_eight_local_across_the_clock_changes() {
        let quiet = QuietHours::default();
        // The night the clocks go forward (29 March 2026) is an hour shorter: still 08:00 CEST.
        let spring = quiet.next_allowed(berlin(2026, 3, 28, 23, 0), Berlin);
        assert_eq!(spring, berlin(2026, 3, 29, 8, 0));
        assert_eq!(spring, Utc.with_ymd_and_hms(2026, 3, 29, 6, 0, 0).unwrap());
        // The night they go back (25 October 2026): 08:00 CET, which is 07:00 UTC.
        let autumn = quiet.next_allowed(berlin(2026, 10, 24, 23, 0), Berlin);
        assert_eq!(autumn, Utc.with_ymd_and_hms(2026, 10, 25, 7, 0, 0).unwrap());
        // Quiet hours ending in the skipped hour end at its first real instant.
        let odd = QuietHours::parse("01:00-02:30").unwrap();
        assert_eq!(
            odd.next_allowed(berlin(2026, 3, 29, 1, 30), Berlin),
            Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap()
        );
    }

    #[test]
    fn spans_are_read_and_nonsense_refused() {
        assert_eq!(QuietHours::parse(" 21:30 - 07:15 ").unwrap().render(), "21:30-07:15");
        for bad in ["", "20:00", "20-08", "25:00-08:00", "08:00-08:00", "20:00-08:00-09:00"] {
            assert!(QuietHours::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_reminder_comes_two_local_days_before_the_deadline_across_dst() {
        // Deadline Tuesday 27 October 2026 18:00; two days before is Sunday 25 October, the day the
        // clocks go back: 10:00 CET is 09:00 UTC, not 08:00.
        let deadline = berlin(2026, 10, 27, 18, 0);
        let ready = berlin(2026, 10, 17, 9, 0);
        assert_eq!(
            reminder_at(deadline, ready, Berlin, 2, ten()),
            Some(Utc.with_ymd_and_hms(2026, 10, 25, 9, 0, 0).unwrap())
        );
        // In spring: deadline 31 March, reminder Sunday 29 March 10:00 CEST = 08:00 UTC.
        let deadline = berlin(2026, 3, 31, 0, 30);
        assert_eq!(
            reminder_at(deadline, berlin(2026, 3, 21, 0, 30), Berlin, 2, ten()),
            Some(Utc.with_ymd_and_hms(2026, 3, 29, 8, 0, 0).unwrap())
        );
        // A deadline just after local midnight still counts its local day.
        let deadline = Utc.with_ymd_and_hms(2026, 12, 9, 23, 30, 0).unwrap(); // 10 Dec 00:30 CET
        assert_eq!(
            reminder_at(deadline, berlin(2026, 12, 1, 9, 0), Berlin, 2, ten()),
            Some(berlin(2026, 12, 8, 10, 0))
        );
    }

    #[test]
    fn a_window_ends_with_its_local_day() {
        let loaded = berlin(2026, 12, 9, 23, 48);
        let end = end_of_local_day(loaded, Berlin);
        assert_eq!(end, berlin(2026, 12, 10, 0, 0));
        assert_eq!(last_day(end, Berlin), NaiveDate::from_ymd_opt(2026, 12, 9).unwrap());
        // The day the clocks go back has 25 hours; its end is still local midnight.
        assert_eq!(end_of_local_day(berlin(2026, 10, 25, 12, 0), Berlin), berlin(2026, 10, 26, 0, 0));
        assert_eq!(
            reminder_at(end, berlin(2026, 12, 1, 9, 0), Berlin, 2, ten()),
            Some(berlin(2026, 12, 7, 10, 0)),
            "two days before the last day"
        );
    }

    #[test]
    fn no_reminder_without_room_for_one() {
        let deadline = berlin(2026, 12, 10, 18, 0);
        assert_eq!(reminder_at(deadline, berlin(2026, 12, 9, 9, 0), Berlin, 2, ten()), None, "ready after its day");
        assert_eq!(reminder_at(deadline, berlin(2026, 12, 1, 9, 0), Berlin, 0, ten()), None, "reminders off");
    }
}
