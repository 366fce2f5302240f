//! From positions to fields: reading and checking each field the same way for all formats, and
//! recording every failed check instead of stopping at the first, so a clerk sees all of them.

use chrono::NaiveDate;

use super::check_digit::verify;
use super::date::{birth_date, expiry_date};
use super::layout::Zone;
use super::name::split_name;
use super::number::document_number;
use super::positions::Positions;
use super::{MrzFault, MrzField, MrzReading, Sex};

/// Country codes are letters; `D<<` is Germany.
fn country(field: MrzField, raw: &str, errors: &mut Vec<MrzFault>) -> String {
    let code = raw.trim_end_matches('<');
    if !(1..=3).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        errors.push(MrzFault::invalid_value(field));
    }
    code.to_string()
}

fn date(field: MrzField, value: Option<NaiveDate>, errors: &mut Vec<MrzFault>) -> Option<NaiveDate> {
    if value.is_none() {
        errors.push(MrzFault::invalid_date(field));
    }
    value
}

pub(super) fn decode(zone: &Zone<'_>, today: NaiveDate) -> MrzReading {
    let format = zone.format;
    let p = Positions::of(zone);
    let mut errors = Vec::new();
    let issuing_state = country(MrzField::IssuingState, p.issuing_state, &mut errors);

    let (document_number, optional) = document_number(&p, format, &mut errors);

    errors.extend(verify(MrzField::BirthDate, p.birth, p.birth_check));
    let birth_date = date(MrzField::BirthDate, birth_date(p.birth, today), &mut errors);
    let sex = Sex::from_mrz(p.sex);
    if sex.is_none() {
        errors.push(MrzFault::invalid_value(MrzField::Sex));
    }
    errors.extend(verify(MrzField::ExpiryDate, p.expiry, p.expiry_check));
    let expiry_date = date(MrzField::ExpiryDate, expiry_date(p.expiry), &mut errors);
    let nationality = country(MrzField::Nationality, p.nationality, &mut errors);

    if let Some(check) = p.personal_check {
        // An absent personal number may carry `<` instead of the digit 0.
        let absent = check == '<' && p.optional.bytes().all(|b| b == b'<');
        if !absent {
            errors.extend(verify(MrzField::PersonalNumber, p.optional, check));
        }
    }
    errors.extend(verify(MrzField::Composite, &p.composite, p.composite_check));

    let (surname, given_names) = split_name(p.name);
    let optional_data = [optional, p.optional_2]
        .iter()
        .map(|part| part.trim_matches('<'))
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    MrzReading {
        format,
        document_code: p.document_code.trim_end_matches('<').to_string(),
        issuing_state,
        document_number,
        birth_date,
        expiry_date,
        sex,
        nationality,
        surname,
        given_names,
        optional_data,
        errors,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::super::testkit::{build, faults, read_spec, specimen};
    use super::super::{FaultKind, MrzFormat};
    use super::*;

    #[test]
    fn personal_number_check_digit() {
        let mut s = specimen(MrzFormat::Td3);
        s.personal_check_filler = true;
        assert_eq!(&build(&s)[1][28..43], "<<<<<<<<<<<<<<<");
        assert!(read_spec(&s).is_valid());
        s.personal_check_filler = false;
        assert_eq!(&build(&s)[1][42..43], "0");
        assert!(read_spec(&s).is_valid());

        s.optional = "ZE184226B".into();
        let r = read_spec(&s);
        assert_eq!(r.optional_data(), "ZE184226B");
        assert!(r.is_valid());
        s.personal_check_filler = true;
        let f = faults(&read_spec(&s));
        assert!(f.contains(&(MrzField::PersonalNumber, FaultKind::CheckDigit)), "{f:?}");
    }

    #[test]
    fn impossible_dates_are_faults() {
        let mut s = specimen(MrzFormat::Td1);
        s.birth = "741312".into();
        s.expiry = "270230".into();
        let r = read_spec(&s);
        assert_eq!((r.birth_date(), r.expiry_date()), (None, None));
        assert_eq!(
            faults(&r),
            [(MrzField::BirthDate, FaultKind::InvalidDate), (MrzField::ExpiryDate, FaultKind::InvalidDate)]
        );
        assert!(r.validate().is_err());
    }

    #[test]
    fn letters_in_a_date_are_faults() {
        let mut s = specimen(MrzFormat::Td3);
        s.birth = "74O812".into();
        let r = read_spec(&s);
        assert_eq!(r.birth_date(), None);
        assert_eq!(faults(&r), [(MrzField::BirthDate, FaultKind::InvalidDate)]);
    }

    #[test]
    fn sex_codes() {
        let mut s = specimen(MrzFormat::Td2);
        for (code, sex) in [('M', Sex::Male), ('F', Sex::Female), ('X', Sex::Unspecified)] {
            s.sex = code;
            assert_eq!(read_spec(&s).sex(), Some(sex));
        }
        s.sex = '<';
        assert_eq!(read_spec(&s).sex(), Some(Sex::Unspecified));
        s.sex = 'W';
        let r = read_spec(&s);
        assert_eq!((r.sex(), faults(&r)), (None, vec![(MrzField::Sex, FaultKind::InvalidValue)]));
    }

    #[test]
    fn country_codes_are_letters() {
        let mut s = specimen(MrzFormat::Td1);
        s.state = "D".into();
        s.nationality = "D".into();
        let r = read_spec(&s);
        assert_eq!((r.issuing_state(), r.nationality(), r.errors()), ("D", "D", &[][..]));
        s.state = "D1".into();
        s.nationality = String::new();
        let r = read_spec(&s);
        assert_eq!(
            faults(&r),
            [(MrzField::IssuingState, FaultKind::InvalidValue), (MrzField::Nationality, FaultKind::InvalidValue)]
        );
    }

    #[test]
    fn names_with_several_parts() {
        let mut s = specimen(MrzFormat::Td3);
        s.name = "VON<DER<MUSTER<MANN<<ERIKA<MARIA<LUISE".into();
        let r = read_spec(&s);
        assert_eq!(r.surname(), "VON DER MUSTER MANN");
        assert_eq!(r.given_names(), ["ERIKA", "MARIA", "LUISE"]);
        s.format = MrzFormat::Td1;
        s.name = "MUSTERMANN".into();
        let r = read_spec(&s);
        assert_eq!((r.surname(), r.given_names()), ("MUSTERMANN", &[][..]));
    }

    #[test]
    fn td1_optional_data_is_joined() {
        let mut s = specimen(MrzFormat::Td1);
        s.optional = "AB<CD".into();
        s.optional_2 = "EF".into();
        assert_eq!(read_spec(&s).optional_data(), "AB<CD EF");
        s.optional = String::new();
        assert_eq!(read_spec(&s).optional_data(), "EF");
    }
}
