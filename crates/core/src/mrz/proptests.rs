//! Properties over generated zones: every well-formed zone reads back what was written, every
//! single-character corruption of a protected field is caught, and no text makes `read` panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use chrono::{Days, NaiveDate};
use proptest::prelude::*;
use proptest::sample::{Index, select};

use super::testkit::{Spec, build};
use super::{Mrz, MrzFormat, Sex, read};

const ALPHABET: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<";

fn value(c: char) -> u32 {
    match c {
        '<' => 0,
        _ => c.to_digit(36).unwrap(),
    }
}

fn day(offset: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + Days::new(offset)
}

/// A generated document, what it should read as, and the day it is read on.
#[derive(Debug, Clone)]
struct Case {
    spec: Spec,
    today: NaiveDate,
    birth: NaiveDate,
    expiry: NaiveDate,
    surname: Vec<String>,
    given: Vec<String>,
}

prop_compose! {
    fn case()(
        format in select(vec![MrzFormat::Td1, MrzFormat::Td2, MrzFormat::Td3]),
        code in "[A-Z][A-Z<]",
        state in "[A-Z]{1,3}",
        short_number in "[A-Z0-9]{1,9}",
        long_number in "[A-Z0-9]{10,22}",
        long in any::<bool>(),
        // Today in 2000..2099, birth less than 99 years before: the century rule is then exact.
        today in 0_u64..36_500,
        age in 0_u64..36_000,
        expiry in 0_u64..36_524,
        sex in select(vec!['M', 'F', 'X', '<']),
        nationality in "[A-Z]{1,3}",
        optional in "[A-Z0-9]{0,14}",
        optional_2 in "[A-Z0-9]{0,11}",
        surname in prop::collection::vec("[A-Z]{1,6}", 1..=2),
        given in prop::collection::vec("[A-Z]{1,6}", 0..=2),
        personal_check_filler in any::<bool>(),
    ) -> Case {
        let today = day(today);
        let birth = today - Days::new(age);
        let expiry = day(expiry);
        // The optional field must hold a long number's rest, its check digit and a filler.
        let (width, longest) = match format {
            MrzFormat::Td1 => (15_usize, 22),
            MrzFormat::Td2 => (7, 15),
            MrzFormat::Td3 => (14, 9),
        };
        let number = if long && format != MrzFormat::Td3 {
            long_number.chars().take(longest).collect::<String>()
        } else {
            short_number
        };
        let taken = if number.len() > 9 { number.len() - 9 + 2 } else { 0 };
        let optional: String = optional.chars().take(width.saturating_sub(taken)).collect();
        let name = if given.is_empty() {
            surname.join("<")
        } else {
            format!("{}<<{}", surname.join("<"), given.join("<"))
        };
        let spec = Spec {
            format,
            code,
            state,
            number,
            birth: birth.format("%y%m%d").to_string(),
            sex,
            expiry: expiry.format("%y%m%d").to_string(),
            nationality,
            personal_check_filler: personal_check_filler
                && format == MrzFormat::Td3
                && optional.is_empty(),
            optional,
            optional_2: if format == MrzFormat::Td1 { optional_2 } else { String::new() },
            name,
        };
        Case { spec, today, birth, expiry, surname, given }
    }
}

/// Positions `(line, column)` covered by a check digit: document number (with a long number's
/// continuation), birth and expiry date, and the optional data (the personal number in TD3).
/// Check-digit characters themselves are left out; they are covered by the composite as well.
fn protected(format: MrzFormat) -> Vec<(usize, usize)> {
    let ranges: &[(usize, std::ops::Range<usize>)] = match format {
        MrzFormat::Td1 => &[(0, 5..14), (0, 15..30), (1, 0..6), (1, 8..14), (1, 18..29)],
        MrzFormat::Td2 => &[(1, 0..9), (1, 13..19), (1, 21..27), (1, 28..35)],
        MrzFormat::Td3 => &[(1, 0..9), (1, 13..19), (1, 21..27), (1, 28..42)],
    };
    ranges.iter().flat_map(|(line, cols)| cols.clone().map(move |c| (*line, c))).collect()
}

proptest! {
    #[test]
    fn valid_zones_round_trip(case in case()) {
        let text = build(&case.spec).join("\n");
        let r = read(&text, case.today).unwrap();
        prop_assert_eq!(r.errors(), &[]);
        prop_assert!(r.is_valid());
        let s = &case.spec;
        prop_assert_eq!(r.format(), s.format);
        prop_assert_eq!(r.document_code(), s.code.trim_end_matches('<'));
        prop_assert_eq!(r.issuing_state(), s.state.as_str());
        prop_assert_eq!(r.document_number(), s.number.as_str());
        prop_assert_eq!(r.birth_date(), Some(case.birth));
        prop_assert_eq!(r.expiry_date(), Some(case.expiry));
        let sex = match s.sex { 'M' => Sex::Male, 'F' => Sex::Female, _ => Sex::Unspecified };
        prop_assert_eq!(r.sex(), Some(sex));
        prop_assert_eq!(r.nationality(), s.nationality.as_str());
        prop_assert_eq!(r.surname(), case.surname.join(" "));
        prop_assert_eq!(r.given_names(), &case.given[..]);
        let optional: Vec<&str> = [s.optional.as_str(), s.optional_2.as_str()]
            .into_iter()
            .filter(|o| !o.is_empty())
            .collect();
        prop_assert_eq!(r.optional_data(), optional.join(" "));
        let mrz = Mrz::parse(&text, case.today).unwrap();
        prop_assert_eq!(mrz.document_number(), s.number.as_str());
    }

    /// Changing one character changes the weighted sum by (new - old) * weight. The weights 7, 3
    /// and 1 are coprime to 10, so the sum mod 10 changes exactly when new - old is not a multiple
    /// of 10 (`<` and `0` both count 0, `A` (10) and `0` differ by 10): those substitutions are
    /// the ones every check digit must catch, the others are invisible to ICAO's scheme by design.
    /// Each protected position is also under the composite digit, so even where a field's own
    /// digit is not where we think (a long number's continuation), the zone cannot stay valid.
    #[test]
    fn one_corrupted_character_is_caught(
        case in case(),
        at in any::<Index>(),
        by in any::<Index>(),
    ) {
        let mut lines = build(&case.spec);
        let positions = protected(case.spec.format);
        let (line, col) = *at.get(&positions);
        let old = lines[line].as_bytes()[col] as char;
        let candidates: Vec<char> = ALPHABET
            .chars()
            .filter(|&c| !(value(c) + 40 - value(old)).is_multiple_of(10))
            .collect();
        let new = *by.get(&candidates);
        lines[line].replace_range(col..=col, &new.to_string());
        let r = read(&lines.join("\n"), case.today).unwrap();
        prop_assert!(!r.is_valid(), "{old} -> {new} at {line}:{col} in {lines:?}");
        prop_assert!(Mrz::parse(&lines.join("\n"), case.today).is_err());
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>(), offset in 0_u64..73_000) {
        let today = day(offset);
        let _ = read(&text, today);
        let _ = Mrz::parse(&text, today);
    }

    #[test]
    fn zone_shaped_noise_never_panics(
        text in prop_oneof![
            "[A-Z0-9<]{30}\n[A-Z0-9<]{30}\n[A-Z0-9<]{30}",
            "[A-Z0-9<]{36}\r\n[A-Z0-9<]{36}",
            "[A-Z0-9<]{44}\r[A-Z0-9<]{44}",
            "[ \t\r\n]{0,3}[A-Z0-9<]{28,46}[ \t\r\n]{1,3}[A-Z0-9<]{28,46}[ \t\r\n]{0,3}",
        ],
    ) {
        let r = read(&text, day(9_000));
        let valid = r.as_ref().is_ok_and(|r| r.is_valid());
        prop_assert_eq!(valid, Mrz::parse(&text, day(9_000)).is_ok());
    }

    #[test]
    fn one_foreign_character_never_panics(
        case in case(),
        at in any::<Index>(),
        by in any::<char>(),
    ) {
        let text = build(&case.spec).join("\n");
        let positions: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        let i = *at.get(&positions);
        let mut broken = text.clone();
        broken.replace_range(i..=i, &by.to_string());
        let _ = read(&broken, case.today);
    }
}
