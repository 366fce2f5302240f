//! The document number, the one field that may spill over into another: numbers longer than 9
//! characters continue in the optional data (ICAO 9303 parts 5 and 6, TD1 and TD2). The check digit
//! then covers the whole number, so the number is only known once both parts are put together.

use super::check_digit::verify;
use super::positions::Positions;
use super::{MrzFault, MrzField, MrzFormat};

/// A document number longer than 9 characters, as ICAO 9303 parts 5 and 6 write it: the first 9
/// in the number field, `<` as its check digit, the rest plus the real check digit at the start of
/// the optional data, then a filler.
struct LongNumber<'a> {
    rest: &'a str,
    check: char,
    optional_after: &'a str,
}

fn long_number<'a>(p: &Positions<'a>, format: MrzFormat) -> Option<LongNumber<'a>> {
    if format == MrzFormat::Td3 || p.number_check != '<' || p.number.contains('<') {
        return None;
    }
    let segment = p.optional.split('<').next()?;
    let mut chars = segment.chars();
    let check = chars.next_back()?;
    let rest = chars.as_str();
    if rest.is_empty() {
        return None;
    }
    let optional_after = p.optional.get(segment.len() + 1..).unwrap_or_default();
    Some(LongNumber { rest, check, optional_after })
}

/// The full number without fillers, and the optional data that is left after any continuation.
pub(super) fn document_number<'a>(
    p: &Positions<'a>,
    format: MrzFormat,
    errors: &mut Vec<MrzFault>,
) -> (String, &'a str) {
    let (number, check, optional) = match long_number(p, format) {
        Some(long) => ([p.number, long.rest].concat(), long.check, long.optional_after),
        None => (p.number.to_string(), p.number_check, p.optional),
    };
    errors.extend(verify(MrzField::DocumentNumber, &number, check));
    let number = number.trim_end_matches('<').to_string();
    if number.is_empty() {
        errors.push(MrzFault::invalid_value(MrzField::DocumentNumber));
    }
    (number, optional)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::super::FaultKind;
    use super::super::testkit::{build, faults, read_lines, read_spec, specimen};
    use super::*;

    #[test]
    fn td1_long_document_number_literal() {
        // ICAO 9303 part 5: D23145890734 has check digit 9; the composite (6) was computed by hand.
        let r = read_lines(&[
            "I<UTOD23145890<7349<<<<<<<<<<<",
            "7408122F1204159UTO<<<<<<<<<<<6",
            "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
        ]);
        assert_eq!(r.errors(), &[]);
        assert_eq!(r.document_number(), "D23145890734");
        assert_eq!(r.optional_data(), "");
    }

    #[test]
    fn td2_long_document_number_literal() {
        let r = read_lines(&["I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D23145890<UTO7408122F12041597349<<<2"]);
        assert_eq!(r.errors(), &[]);
        assert_eq!(r.document_number(), "D23145890734");
    }

    #[test]
    fn long_number_is_checked_as_a_whole() {
        let mut s = specimen(MrzFormat::Td1);
        s.number = "ABCDEFGHIJ12".into();
        s.optional = "XYZ".into();
        s.optional_2 = "OPT2".into();
        let lines = build(&s);
        assert_eq!(&lines[0][14..20], "<J122<");
        let r = read_spec(&s);
        assert_eq!(r.errors(), &[]);
        assert_eq!(r.document_number(), "ABCDEFGHIJ12");
        assert_eq!(r.optional_data(), "XYZ OPT2");

        // The digit over only the continuation (8) or only the first 9 characters (4) must fail.
        for wrong in ["<J128<", "<J124<"] {
            let line = lines[0].replacen("<J122<", wrong, 1);
            let r = read_lines(&[&line, &lines[1], &lines[2]]);
            let f = faults(&r);
            assert!(f.contains(&(MrzField::DocumentNumber, FaultKind::CheckDigit)), "{f:?}");
            assert_eq!(r.document_number(), "ABCDEFGHIJ12");
        }
    }

    #[test]
    fn long_number_filling_the_td2_field() {
        let mut s = specimen(MrzFormat::Td2);
        s.number = "ABCDEFGHI123456".into();
        assert!(build(&s)[1][28..35].chars().all(|c| c != '<'));
        let r = read_spec(&s);
        assert_eq!(r.errors(), &[]);
        assert_eq!(r.document_number(), "ABCDEFGHI123456");
    }

    #[test]
    fn filler_check_digit_without_continuation_fails() {
        // Number field padded, `<` in the check-digit position: no long number, just a bad digit.
        let r = read_lines(&[
            "I<UTOD2314589<<<<<<<<<<<<<<<<<",
            "7408122F1204159UTO<<<<<<<<<<<6",
            "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
        ]);
        assert!(faults(&r).contains(&(MrzField::DocumentNumber, FaultKind::CheckDigit)));
        assert_eq!(r.errors()[0].mismatch().unwrap().printed, '<');
    }

    #[test]
    fn td3_has_no_long_numbers() {
        let mut s = specimen(MrzFormat::Td3);
        s.optional = "ZE184226B".into();
        let mut lines = build(&s);
        lines[1].replace_range(9..10, "<");
        let r = read_lines(&[&lines[0], &lines[1]]);
        assert!(faults(&r).contains(&(MrzField::DocumentNumber, FaultKind::CheckDigit)));
    }

    #[test]
    fn empty_document_number_is_a_fault() {
        let mut s = specimen(MrzFormat::Td3);
        s.number = String::new();
        let r = read_spec(&s);
        assert_eq!(faults(&r), [(MrzField::DocumentNumber, FaultKind::InvalidValue)]);
    }
}
