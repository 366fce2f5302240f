//! Builds zones from their fields with freshly computed check digits, so tests can state what a
//! document says instead of hand-computing digits.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use chrono::NaiveDate;

use super::{FaultKind, MrzField, MrzFormat, MrzReading, check_digit, read};

/// What a document says, in MRZ spelling (`name` as `SURNAME<<GIVEN<NAMES`).
#[derive(Debug, Clone)]
pub(super) struct Spec {
    pub format: MrzFormat,
    pub code: String,
    pub state: String,
    /// Longer than 9 characters only for TD1 and TD2.
    pub number: String,
    pub birth: String,
    pub sex: char,
    pub expiry: String,
    pub nationality: String,
    /// TD1 line 1 and TD2: after a long number's continuation; TD3: the personal number.
    pub optional: String,
    /// TD1 line 2 only.
    pub optional_2: String,
    pub name: String,
    /// TD3 with an empty personal number: print `<` instead of its check digit 0.
    pub personal_check_filler: bool,
}

pub(super) fn cd(s: &str) -> String {
    check_digit(s).unwrap().to_string()
}

/// `s` cut or filled with `<` to exactly `width`.
pub(super) fn pad(s: &str, width: usize) -> String {
    let mut out: String = s.chars().take(width).collect();
    while out.len() < width {
        out.push('<');
    }
    out
}

/// The 9-character number field, its check digit and the start of the optional data field.
fn number_fields(spec: &Spec) -> (String, String, String) {
    if spec.number.len() <= 9 {
        let number = pad(&spec.number, 9);
        let check = cd(&number);
        (number, check, spec.optional.clone())
    } else {
        let (head, rest) = spec.number.split_at(9);
        let continuation = format!("{rest}{}<{}", cd(&spec.number), spec.optional);
        (head.to_string(), "<".to_string(), continuation)
    }
}

pub(super) fn build(spec: &Spec) -> Vec<String> {
    let (number, number_check, optional) = number_fields(spec);
    let birth = format!("{}{}", spec.birth, cd(&spec.birth));
    let expiry = format!("{}{}", spec.expiry, cd(&spec.expiry));
    let head = format!("{}{}", pad(&spec.code, 2), pad(&spec.state, 3));
    let nationality = pad(&spec.nationality, 3);
    match spec.format {
        MrzFormat::Td1 => {
            let l1 = format!("{head}{number}{number_check}{}", pad(&optional, 15));
            let l2 = format!("{birth}{}{expiry}{nationality}{}", spec.sex, pad(&spec.optional_2, 11));
            let composite = [&l1[5..30], &l2[0..7], &l2[8..15], &l2[18..29]].concat();
            let l2 = format!("{l2}{}", cd(&composite));
            vec![l1, l2, pad(&spec.name, 30)]
        }
        MrzFormat::Td2 => {
            let l1 = format!("{head}{}", pad(&spec.name, 31));
            let l2 = format!("{number}{number_check}{nationality}{birth}{}{expiry}{}", spec.sex, pad(&optional, 7));
            let composite = [&l2[0..10], &l2[13..20], &l2[21..35]].concat();
            vec![l1, format!("{l2}{}", cd(&composite))]
        }
        MrzFormat::Td3 => {
            let l1 = format!("{head}{}", pad(&spec.name, 39));
            let personal = pad(&spec.optional, 14);
            let personal_check = if spec.personal_check_filler { "<".to_string() } else { cd(&personal) };
            let l2 =
                format!("{number}{number_check}{nationality}{birth}{}{expiry}{personal}{personal_check}", spec.sex);
            let composite = [&l2[0..10], &l2[13..20], &l2[21..43]].concat();
            vec![l1, format!("{l2}{}", cd(&composite))]
        }
    }
}

/// The ICAO specimen holder (Anna Maria Eriksson, Utopia) in `format`, to vary one field at a time.
pub(super) fn specimen(format: MrzFormat) -> Spec {
    Spec {
        format,
        code: "I".into(),
        state: "UTO".into(),
        number: "D23145890".into(),
        birth: "740812".into(),
        sex: 'F',
        expiry: "120415".into(),
        nationality: "UTO".into(),
        optional: String::new(),
        optional_2: String::new(),
        name: "ERIKSSON<<ANNA<MARIA".into(),
        personal_check_filler: false,
    }
}

pub(super) fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

pub(super) fn read_lines(lines: &[&str]) -> MrzReading {
    read(&lines.join("\n"), today()).unwrap()
}

pub(super) fn read_spec(spec: &Spec) -> MrzReading {
    read(&build(spec).join("\n"), today()).unwrap()
}

pub(super) fn faults(r: &MrzReading) -> Vec<(MrzField, FaultKind)> {
    r.errors().iter().map(|f| (f.field(), f.problem())).collect()
}

#[test]
fn builder_reproduces_the_icao_specimens() {
    let td1 = build(&specimen(MrzFormat::Td1));
    assert_eq!(td1[0], "I<UTOD231458907<<<<<<<<<<<<<<<");
    assert_eq!(td1[1], "7408122F1204159UTO<<<<<<<<<<<6");
    let td2 = build(&specimen(MrzFormat::Td2));
    assert_eq!(td2[1], "D231458907UTO7408122F1204159<<<<<<<6");
}
