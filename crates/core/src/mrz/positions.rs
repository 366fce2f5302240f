//! Where each format keeps its fields. Only positions live here; what the fields mean and how they
//! are checked is the same for all three formats and is written once, in `decode`.

use super::MrzFormat;
use super::layout::Zone;

/// The raw fields of one zone, still with fillers.
pub(super) struct Positions<'a> {
    pub(super) document_code: &'a str,
    pub(super) issuing_state: &'a str,
    pub(super) name: &'a str,
    pub(super) number: &'a str,
    pub(super) number_check: char,
    pub(super) birth: &'a str,
    pub(super) birth_check: char,
    pub(super) sex: char,
    pub(super) expiry: &'a str,
    pub(super) expiry_check: char,
    pub(super) nationality: &'a str,
    /// The optional data field right after the number's check digit (TD1 line 1, TD2), where a long
    /// document number continues; in TD3 the personal number.
    pub(super) optional: &'a str,
    /// TD1's second optional field on line 2; empty elsewhere.
    pub(super) optional_2: &'a str,
    /// TD3 only: the personal number has a check digit of its own.
    pub(super) personal_check: Option<char>,
    pub(super) composite: String,
    pub(super) composite_check: char,
}

fn td1<'a>(z: &Zone<'a>) -> Positions<'a> {
    Positions {
        document_code: z.field(0, 0..2),
        issuing_state: z.field(0, 2..5),
        number: z.field(0, 5..14),
        number_check: z.char_at(0, 14),
        optional: z.field(0, 15..30),
        birth: z.field(1, 0..6),
        birth_check: z.char_at(1, 6),
        sex: z.char_at(1, 7),
        expiry: z.field(1, 8..14),
        expiry_check: z.char_at(1, 14),
        nationality: z.field(1, 15..18),
        optional_2: z.field(1, 18..29),
        personal_check: None,
        composite: [z.field(0, 5..30), z.field(1, 0..7), z.field(1, 8..15), z.field(1, 18..29)].concat(),
        composite_check: z.char_at(1, 29),
        name: z.field(2, 0..30),
    }
}

/// TD2 and TD3 share their layout up to the optional data of line 2.
fn two_lines<'a>(z: &Zone<'a>, td3: bool) -> Positions<'a> {
    let width = if td3 { 44 } else { 36 };
    let last = width - 1;
    Positions {
        document_code: z.field(0, 0..2),
        issuing_state: z.field(0, 2..5),
        name: z.field(0, 5..width),
        number: z.field(1, 0..9),
        number_check: z.char_at(1, 9),
        nationality: z.field(1, 10..13),
        birth: z.field(1, 13..19),
        birth_check: z.char_at(1, 19),
        sex: z.char_at(1, 20),
        expiry: z.field(1, 21..27),
        expiry_check: z.char_at(1, 27),
        optional: z.field(1, 28..if td3 { 42 } else { last }),
        optional_2: "",
        personal_check: td3.then(|| z.char_at(1, 42)),
        composite: [z.field(1, 0..10), z.field(1, 13..20), z.field(1, 21..last)].concat(),
        composite_check: z.char_at(1, last),
    }
}

impl<'a> Positions<'a> {
    pub(super) fn of(zone: &Zone<'a>) -> Self {
        match zone.format {
            MrzFormat::Td1 => td1(zone),
            MrzFormat::Td2 => two_lines(zone, false),
            MrzFormat::Td3 => two_lines(zone, true),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::super::layout::detect;
    use super::*;

    fn positions_of(text: &str, check: impl Fn(&Positions<'_>)) {
        check(&Positions::of(&detect(text).unwrap()));
    }

    #[test]
    fn td1() {
        let text = "IDD<<T220001293<<<<<<<<<<<<<<<\n\
                    6408125<2010315D<<<<<<<<<<<<<4\n\
                    MUSTERMANN<<ERIKA<<<<<<<<<<<<<";
        positions_of(text, |p| {
            assert_eq!((p.document_code, p.issuing_state), ("ID", "D<<"));
            assert_eq!((p.number, p.number_check), ("T22000129", '3'));
            assert_eq!((p.birth, p.birth_check, p.sex), ("640812", '5', '<'));
            assert_eq!((p.expiry, p.expiry_check, p.nationality), ("201031", '5', "D<<"));
            assert_eq!((p.optional.len(), p.optional_2.len()), (15, 11));
            assert_eq!((p.composite.len(), p.composite_check), (50, '4'));
            assert_eq!((p.name, p.personal_check), ("MUSTERMANN<<ERIKA<<<<<<<<<<<<<", None));
        });
    }

    #[test]
    fn td2() {
        let text = "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\n\
                    D231458907UTO7408122F1204159<<<<<<<6";
        positions_of(text, |p| {
            assert_eq!((p.document_code, p.issuing_state), ("I<", "UTO"));
            assert_eq!(p.name, "ERIKSSON<<ANNA<MARIA<<<<<<<<<<<");
            assert_eq!((p.number, p.number_check, p.nationality), ("D23145890", '7', "UTO"));
            assert_eq!((p.birth, p.birth_check, p.sex), ("740812", '2', 'F'));
            assert_eq!((p.expiry, p.expiry_check), ("120415", '9'));
            assert_eq!((p.optional, p.personal_check), ("<<<<<<<", None));
            assert_eq!(p.composite, "D23145890774081221204159<<<<<<<");
            assert_eq!(p.composite_check, '6');
        });
    }

    #[test]
    fn td3() {
        let text = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n\
                    L898902C36UTO7408122F1204159ZE184226B<<<<<10";
        positions_of(text, |p| {
            assert_eq!((p.number, p.number_check), ("L898902C3", '6'));
            assert_eq!((p.optional, p.personal_check), ("ZE184226B<<<<<", Some('1')));
            assert_eq!(p.composite, "L898902C3674081221204159ZE184226B<<<<<1");
            assert_eq!(p.composite_check, '0');
        });
    }
}
