//! Latency per API call, kept whole (a run has thousands of samples, not millions) so that the
//! percentiles are exact.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

/// Every sample of every call, by the call's name.
#[derive(Default)]
pub struct Recorder {
    samples: Mutex<BTreeMap<&'static str, Vec<Duration>>>,
}

/// One call's distribution, in milliseconds.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Summary {
    pub count: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Recorder {
    pub fn record(&self, call: &'static str, took: Duration) {
        let mut samples = self.samples.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        samples.entry(call).or_default().push(took);
    }

    /// The distribution of each call, by name.
    pub fn summaries(&self) -> BTreeMap<&'static str, Summary> {
        let samples = self.samples.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        samples.iter().filter_map(|(name, s)| summarize(s).map(|summary| (*name, summary))).collect()
    }
}

/// Nearest-rank percentiles: the smallest sample with at least p% of the samples at or below it.
fn summarize(samples: &[Duration]) -> Option<Summary> {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let rank = |p: f64| -> Option<f64> {
        let at = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize - 1;
        sorted.get(at).map(|d| d.as_secs_f64() * 1000.0)
    };
    Some(Summary {
        count: sorted.len(),
        p50_ms: rank(50.0)?,
        p95_ms: rank(95.0)?,
        p99_ms: rank(99.0)?,
        max_ms: sorted.last()?.as_secs_f64() * 1000.0,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let recorder = Recorder::default();
        for ms in (1..=100).rev() {
            recorder.record("pin", Duration::from_millis(ms));
        }
        recorder.record("phone", Duration::from_millis(7));
        let all = recorder.summaries();
        let pin = all["pin"];
        assert_eq!((pin.count, pin.p50_ms, pin.p95_ms, pin.p99_ms, pin.max_ms), (100, 50.0, 95.0, 99.0, 100.0));
        let phone = all["phone"];
        assert_eq!((phone.p50_ms, phone.p99_ms, phone.max_ms), (7.0, 7.0, 7.0));
        assert!(!all.contains_key("register"), "a call never made has no figures");
    }
}
