//! Limits per panel and per site, over time. A pickup locks after its own wrong tries (see
//! [`crate::pickup::PickupRules`]), and a session ends after a few; these slow down and report
//! whoever tries on at one panel with session after session, or at every panel of a site at once.

use chrono::{DateTime, Duration, Utc};

/// How refused PINs and third factors at a panel slow it down, and when staff are alarmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PanelLimits {
    /// How far back refusals count.
    pub window: Duration,
    /// Refusals within the window that cost nothing: people mistype.
    pub free_refusals: u32,
    /// The longest a panel waits after a refusal.
    pub max_delay: Duration,
    /// Refusals within the window at one panel that raise an alarm.
    pub panel_alarm_after: u32,
    /// How far back refusals at all of a site's panels count, and how many raise an alarm.
    pub site_window: Duration,
    pub site_alarm_after: u32,
}

impl Default for PanelLimits {
    fn default() -> Self {
        Self {
            window: Duration::minutes(15),
            free_refusals: 10,
            max_delay: Duration::seconds(60),
            panel_alarm_after: 10,
            site_window: Duration::minutes(5),
            site_alarm_after: 20,
        }
    }
}

impl PanelLimits {
    /// How long the panel waits after its last refusal, given `refusals` within the window: nothing
    /// for the first few, then 1, 2, 4 … seconds, at most [`PanelLimits::max_delay`].
    pub fn delay_after(&self, refusals: u32) -> Duration {
        if refusals < self.free_refusals.max(1) {
            return Duration::zero();
        }
        let doublings = (refusals - self.free_refusals.max(1)).min(20);
        Duration::seconds(1i64 << doublings).min(self.max_delay)
    }

    /// When the panel may take the next PIN or third factor: `None` if it may now.
    pub fn wait_until(&self, refusals: u32, last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let until = last? + self.delay_after(refusals);
        (until > now).then_some(until)
    }

    /// Whether `refusals` within the window call for an alarm at the panel. Asked after every
    /// refusal: one alarm stays open until staff acknowledge it, and an attack that goes on raises
    /// the next.
    pub fn panel_alarm(&self, refusals: u32) -> bool {
        refusals >= self.panel_alarm_after
    }

    /// Likewise for all panels of a site.
    pub fn site_alarm(&self, refusals: u32) -> bool {
        refusals >= self.site_alarm_after
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap_or_default()
    }

    #[test]
    fn the_first_refusals_are_free_then_the_wait_doubles_up_to_its_cap() {
        let l = PanelLimits { free_refusals: 3, ..PanelLimits::default() };
        let waits: Vec<i64> = (0..12).map(|n| l.delay_after(n).num_seconds()).collect();
        assert_eq!(waits, vec![0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(l.delay_after(u32::MAX), l.max_delay, "no overflow");
    }

    #[test]
    fn a_panel_waits_from_its_last_refusal() {
        let l = PanelLimits { free_refusals: 3, ..PanelLimits::default() };
        assert_eq!(l.wait_until(2, Some(at(0)), at(0)), None);
        assert_eq!(l.wait_until(5, Some(at(0)), at(1)), Some(at(4)));
        assert_eq!(l.wait_until(5, Some(at(0)), at(4)), None);
        assert_eq!(l.wait_until(5, None, at(0)), None);
    }

    #[test]
    fn alarms_are_called_for_from_the_threshold_on() {
        let l = PanelLimits::default();
        assert_eq!((9..12).map(|n| l.panel_alarm(n)).collect::<Vec<_>>(), vec![false, true, true]);
        assert!(l.site_alarm(20) && !l.site_alarm(19));
    }
}
