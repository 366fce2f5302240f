//! The PIN sent by SMS, the second factor.
//!
//! A PIN is drawn from a CSPRNG when the document is in its compartment, sent once, and kept only as a
//! keyed hash (see the service's `secrets` module). This module owns what a good PIN is: its length,
//! uniform digits, and no PIN a person would guess first.

use std::fmt;

use rand_core::Rng;

/// Why a PIN as typed cannot be one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a PIN consists of {0} digits")]
pub struct PinFormatError(pub usize);

/// Why a PIN policy cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the PIN length must be between {MIN_LENGTH} and {MAX_LENGTH} digits")]
pub struct PinPolicyError;

const MIN_LENGTH: usize = 4;
const MAX_LENGTH: usize = 10;

/// How PINs are made. The length is configurable because cities differ (most send 6 digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinPolicy {
    length: usize,
}

impl Default for PinPolicy {
    fn default() -> Self {
        Self { length: 6 }
    }
}

impl PinPolicy {
    pub fn new(length: usize) -> Result<Self, PinPolicyError> {
        if (MIN_LENGTH..=MAX_LENGTH).contains(&length) { Ok(Self { length }) } else { Err(PinPolicyError) }
    }

    pub fn length(&self) -> usize {
        self.length
    }

    /// Draws a fresh PIN with uniformly distributed digits, redrawing the few that a person would try
    /// first (one digit repeated, a straight run up or down).
    pub fn generate<R: Rng + ?Sized>(&self, rng: &mut R) -> Pin {
        loop {
            let digits: String = (0..self.length).map(|_| uniform_digit(rng)).collect();
            if !is_guessable(&digits) {
                return Pin(digits);
            }
        }
    }

    /// Reads what a citizen typed; only the form is checked here, never the value.
    pub fn parse(&self, input: &str) -> Result<Pin, PinFormatError> {
        let trimmed = input.trim();
        if trimmed.len() == self.length && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Pin(trimmed.to_owned()))
        } else {
            Err(PinFormatError(self.length))
        }
    }
}

/// Rejection sampling keeps every digit equally likely; `% 10` alone would favour 0 to 5.
fn uniform_digit<R: Rng + ?Sized>(rng: &mut R) -> char {
    const ZONE: u32 = u32::MAX - (u32::MAX % 10);
    loop {
        let v = rng.next_u32();
        if v < ZONE {
            return char::from(b'0' + (v % 10) as u8);
        }
    }
}

fn is_guessable(digits: &str) -> bool {
    let b = digits.as_bytes();
    let steps: Vec<i16> = b
        .windows(2)
        .map(|w| match w {
            [x, y] => i16::from(*y) - i16::from(*x),
            _ => 0,
        })
        .collect();
    steps.iter().all(|s| *s == 0) || steps.iter().all(|s| *s == 1) || steps.iter().all(|s| *s == -1)
}

/// A PIN as generated or typed. A secret: `Debug` never prints it, and it is only ever compared
/// through its keyed hash.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin(String);

impl Pin {
    /// The digits, for hashing and for the SMS text only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin([redacted])")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// A deterministic generator for tests; production passes an OS-seeded CSPRNG.
    struct Counter(u32);
    impl rand_core::TryRng for Counter {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            Ok(self.0)
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            Ok(u64::from(self.try_next_u32()?))
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
            for b in dst {
                *b = self.try_next_u32()? as u8;
            }
            Ok(())
        }
    }

    #[test]
    fn default_pins_have_six_digits() {
        let pin = PinPolicy::default().generate(&mut Counter(1));
        assert_eq!(pin.expose().len(), 6);
        assert!(pin.expose().bytes().all(|b| b.is_ascii_digit()));
    }

    #[test]
    fn length_is_configurable_within_sane_bounds() {
        assert_eq!(PinPolicy::new(8).unwrap().generate(&mut Counter(7)).expose().len(), 8);
        assert_eq!(PinPolicy::new(3), Err(PinPolicyError));
        assert_eq!(PinPolicy::new(11), Err(PinPolicyError));
    }

    #[test]
    fn digits_are_spread_evenly() {
        let policy = PinPolicy::new(10).unwrap();
        let mut rng = Counter(42);
        let mut counts = [0u32; 10];
        for _ in 0..2000 {
            for b in policy.generate(&mut rng).expose().bytes() {
                counts[usize::from(b - b'0')] += 1;
            }
        }
        // 20,000 digits: each should be near 2,000; 10% slack is far outside chance for a fair source.
        assert!(counts.iter().all(|c| (1800..=2200).contains(c)), "{counts:?}");
    }

    #[test]
    fn guessable_pins_are_never_issued() {
        assert!(is_guessable("000000"));
        assert!(is_guessable("123456"));
        assert!(is_guessable("987654"));
        assert!(!is_guessable("120456"));
        let policy = PinPolicy::new(4).unwrap();
        let mut rng = Counter(3);
        for _ in 0..5000 {
            assert!(!is_guessable(policy.generate(&mut rng).expose()));
        }
    }

    #[test]
    fn parse_checks_form_only() {
        let policy = PinPolicy::default();
        assert!(policy.parse(" 012345 ").is_ok());
        for bad in ["12345", "1234567", "12a456", "", "１２３４５６"] {
            assert_eq!(policy.parse(bad), Err(PinFormatError(6)), "{bad}");
        }
    }

    #[test]
    fn debug_hides_the_digits() {
        let pin = PinPolicy::default().parse("482913").unwrap();
        assert_eq!(format!("{pin:?}"), "Pin([redacted])");
    }
}
