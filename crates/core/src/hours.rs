//! When a box can be used: a site's opening hours in OpenStreetMap `opening_hours` syntax, with the
//! public holidays of its federal state, or around the clock in a room of its own.
//!
//! Parsing and evaluating the syntax is the `opening-hours` crate's; this module adds what it leaves
//! to its users: the holidays of one German state (Corpus Christi is closed in North Rhine-Westphalia,
//! not in Berlin), the site's time zone (an evening rule stays right across the switch to summer
//! time), and one answer for the panel: open now, and when that changes.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use compact_calendar::CompactCalendar;
use holiday_de::GermanRegion;
use opening_hours::localization::TzLocation;
use opening_hours::{Context, ContextHolidays, OpeningHours};

/// The years whose holidays are known; evaluation beyond them treats no day as a holiday.
const HOLIDAY_YEARS: std::ops::RangeInclusive<i32> = 2020..=2060;
/// How far ahead the next change is looked for. The search walks day by day, and a rule that never
/// changes would otherwise walk to the year 9999 on every kiosk start; a month covers any closure an
/// office announces, and beyond it "no change" is the honest answer.
pub const HORIZON_DAYS: i64 = 31;
/// The longest rule kept; a citizens' office's week fits in a tenth of it.
const MAX_RULE_LEN: usize = 500;

/// Why opening hours could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HoursError {
    /// The rule does not parse; the parser's own words say where.
    #[error("not an opening_hours rule: {0}")]
    Syntax(String),
    #[error("unknown federal state {0:?}: use a two-letter code such as NW, BE or BY")]
    State(String),
    /// Valid syntax the service cannot use (too long, empty, or needing coordinates it has not got).
    #[error("{0}")]
    Unusable(&'static str),
}

/// A German federal state, for its public holidays, by its official two-letter code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct State(GermanRegion);

impl State {
    pub fn parse(code: &str) -> Result<Self, HoursError> {
        use GermanRegion::*;
        let region = match code.to_ascii_uppercase().as_str() {
            "BW" => BadenWuerttemberg,
            "BY" => Bayern,
            "BE" => Berlin,
            "BB" => Brandenburg,
            "HB" => Bremen,
            "HH" => Hamburg,
            "HE" => Hessen,
            "MV" => MechlenburgVorpommern,
            "NI" => Niedersachsen,
            "NW" => NordrheinWestfalen,
            "RP" => RheinlandPfalz,
            "SL" => Saarland,
            "SN" => Sachsen,
            "ST" => SachsenAnhalt,
            "SH" => SchleswigHolstein,
            "TH" => Thueringen,
            _ => return Err(HoursError::State(code.to_owned())),
        };
        Ok(Self(region))
    }

    /// Its public holidays in the years the service looks at.
    fn holidays(self) -> CompactCalendar {
        let mut calendar = CompactCalendar::default();
        for year in HOLIDAY_YEARS {
            for (date, _) in self.0.holiday_dates_in_year(year) {
                calendar.insert(date);
            }
        }
        calendar
    }
}

/// Whether something is open and when that changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Openness {
    pub open: bool,
    /// The next moment the answer changes; `None` when it never does.
    pub next_change: Option<DateTime<Utc>>,
}

/// When a site's box can be used.
#[derive(Debug, Clone)]
pub enum Hours {
    /// A room of its own with its own door: always.
    AroundTheClock,
    /// The citizens' office's hours.
    Rule { raw: Arc<str>, rule: OpeningHours<TzLocation<Tz>> },
}

impl Hours {
    /// Reads a rule such as `Mo,Tu 07:30-16:00; We,Fr 07:30-13:00; Th 07:30-18:00; PH off`, evaluated
    /// in `time_zone` with the public holidays of `state`.
    pub fn parse(rule: &str, state: State, time_zone: Tz) -> Result<Self, HoursError> {
        if rule.trim().is_empty() {
            return Err(HoursError::Unusable("an empty rule: leave opening_hours out for a box that is always open"));
        }
        if rule.len() > MAX_RULE_LEN {
            return Err(HoursError::Unusable("a rule of more than 500 characters"));
        }
        let lower = rule.to_ascii_lowercase();
        if ["sunrise", "sunset", "dawn", "dusk"].iter().any(|event| lower.contains(event)) {
            return Err(HoursError::Unusable("sun events need the site's coordinates; write the times instead"));
        }
        let parsed: OpeningHours =
            rule.parse().map_err(|e: opening_hours_syntax::Error| HoursError::Syntax(e.to_string()))?;
        let holidays = Arc::new(state.holidays());
        let context = Context::default()
            .with_holidays(ContextHolidays::new(holidays, Arc::new(CompactCalendar::default())))
            .with_locale(TzLocation::new(time_zone));
        Ok(Self::Rule { raw: Arc::from(rule), rule: parsed.with_context(context) })
    }

    /// Whether the box can be used at `now`, and until when.
    pub fn at(&self, now: DateTime<Utc>) -> Openness {
        match self {
            Self::AroundTheClock => Openness { open: true, next_change: None },
            Self::Rule { rule, .. } => {
                let tz = rule.get_context().locale.get_timezone();
                let local = now.with_timezone(tz);
                let until = (now + chrono::Duration::days(HORIZON_DAYS)).with_timezone(tz);
                let next_change = rule
                    .iter_range(local, until)
                    .next()
                    .map(|interval| interval.range.end)
                    .filter(|end| *end < until)
                    .map(|end| end.with_timezone(&Utc));
                Openness { open: rule.is_open(local), next_change }
            }
        }
    }

    /// The rule as written, for staff and for the SMS; `None` around the clock.
    pub fn rule(&self) -> Option<&str> {
        match self {
            Self::AroundTheClock => None,
            Self::Rule { raw, .. } => Some(raw),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    const DUESSELDORF: &str = "Mo,Tu 07:30-16:00; We,Fr 07:30-13:00; Th 07:30-18:00; PH off";

    fn berlin(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        chrono_tz::Europe::Berlin.with_ymd_and_hms(y, m, d, h, min, 0).single().unwrap().with_timezone(&Utc)
    }

    fn duesseldorf() -> Hours {
        Hours::parse(DUESSELDORF, State::parse("NW").unwrap(), chrono_tz::Europe::Berlin).unwrap()
    }

    #[test]
    fn thursday_evening_closes_at_six() {
        let h = duesseldorf();
        // Thursday 2026-11-26.
        assert!(h.at(berlin(2026, 11, 26, 17, 59)).open);
        let closed = h.at(berlin(2026, 11, 26, 18, 1));
        assert!(!closed.open);
        assert_eq!(closed.next_change, Some(berlin(2026, 11, 27, 7, 30)), "Friday morning");
        assert_eq!(h.at(berlin(2026, 11, 26, 17, 59)).next_change, Some(berlin(2026, 11, 26, 18, 0)));
    }

    #[test]
    fn holidays_of_the_state_are_closed() {
        let h = duesseldorf();
        // Easter Monday 2026-04-06, a Monday: closed everywhere.
        assert!(!h.at(berlin(2026, 4, 6, 10, 0)).open);
        assert!(h.at(berlin(2026, 4, 7, 10, 0)).open, "the Tuesday after is a working day");
        // Corpus Christi 2026-06-04, a Thursday: a holiday in NRW, not in Berlin.
        assert!(!h.at(berlin(2026, 6, 4, 10, 0)).open);
        let in_berlin = Hours::parse(DUESSELDORF, State::parse("BE").unwrap(), chrono_tz::Europe::Berlin).unwrap();
        assert!(in_berlin.at(berlin(2026, 6, 4, 10, 0)).open);
    }

    #[test]
    fn the_switch_to_and_from_summer_time_keeps_local_hours() {
        let h = duesseldorf();
        // Summer time starts on Sunday 2026-03-29; the Monday after opens at 07:30 local (05:30 UTC).
        let monday = h.at(berlin(2026, 3, 29, 12, 0));
        assert_eq!(monday.next_change, Some(Utc.with_ymd_and_hms(2026, 3, 30, 5, 30, 0).unwrap()));
        assert!(!h.at(Utc.with_ymd_and_hms(2026, 3, 30, 5, 29, 0).unwrap()).open);
        assert!(h.at(Utc.with_ymd_and_hms(2026, 3, 30, 5, 31, 0).unwrap()).open);
        // Winter time returns on Sunday 2026-10-25; the Monday after opens at 07:30 local (06:30 UTC).
        assert!(!h.at(Utc.with_ymd_and_hms(2026, 10, 26, 6, 29, 0).unwrap()).open);
        assert!(h.at(Utc.with_ymd_and_hms(2026, 10, 26, 6, 31, 0).unwrap()).open);
        // Thursday before the switch closes at 18:00 summer time (16:00 UTC).
        assert!(!h.at(Utc.with_ymd_and_hms(2026, 10, 22, 16, 1, 0).unwrap()).open);
    }

    #[test]
    fn a_rule_that_never_changes_is_answered_at_once() {
        let nw = State::parse("NW").unwrap();
        let long = (0..40).map(|_| "Mo 00:00-24:00; Tu-Su 00:00-24:00").collect::<Vec<_>>().join("; ");
        let long = &long[..long.len().min(490)];
        let long = &long[..long.rfind(';').unwrap_or(long.len())];
        for rule in ["Mo-Su 00:00-24:00", "Mo 00:00-24:00; Tu-Su 00:00-24:00", long] {
            let h = Hours::parse(rule, nw, chrono_tz::Europe::Berlin).unwrap();
            let now = h.at(berlin(2026, 11, 26, 12, 0));
            assert!(now.open);
            assert_eq!(now.next_change, None, "no change within the horizon");
        }
        // The search stops at the horizon: a change 36 days ahead is not looked for, one 5 days ahead is.
        let far = Hours::parse("Mo-Su 00:00-24:00; 2027 Jan 01 off", nw, chrono_tz::Europe::Berlin).unwrap();
        assert_eq!(far.at(berlin(2026, 11, 26, 12, 0)).next_change, None);
        assert_eq!(far.at(berlin(2026, 12, 27, 12, 0)).next_change, Some(berlin(2027, 1, 1, 0, 0)));
        assert!(matches!(
            Hours::parse(&"Mo 08:00-09:00; ".repeat(40), nw, chrono_tz::Europe::Berlin),
            Err(HoursError::Unusable(_))
        ));
        assert!(matches!(Hours::parse("  ", nw, chrono_tz::Europe::Berlin), Err(HoursError::Unusable(_))));
        assert!(matches!(
            Hours::parse("Mo sunrise-sunset", nw, chrono_tz::Europe::Berlin),
            Err(HoursError::Unusable(_))
        ));
    }

    #[test]
    fn a_room_of_its_own_is_always_open_and_bad_rules_say_why() {
        assert_eq!(Hours::AroundTheClock.at(berlin(2026, 12, 25, 3, 0)), Openness { open: true, next_change: None });
        let err = Hours::parse("Mo-Fr 25:00-26:00 foo", State::parse("NW").unwrap(), chrono_tz::Europe::Berlin);
        assert!(matches!(err, Err(HoursError::Syntax(_))), "{err:?}");
        assert!(State::parse("XX").is_err());
        assert_eq!(duesseldorf().rule(), Some(DUESSELDORF));
    }
}
