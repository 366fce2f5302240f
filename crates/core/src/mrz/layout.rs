//! Recognising a zone by its shape. A reader sends whatever it saw (or a user pastes anything), so
//! the shape decides first whether this is an MRZ at all, before any field is looked at; after
//! that, every position of the chosen format is known to exist and to hold an MRZ character.

use std::ops::Range;

use serde::Serialize;

/// The three ICAO 9303 sizes; each puts the fields at different positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum MrzFormat {
    /// ID cards: 3 lines of 30.
    #[serde(rename = "TD1")]
    Td1,
    /// Older ID cards and some visas: 2 lines of 36.
    #[serde(rename = "TD2")]
    Td2,
    /// Passports: 2 lines of 44.
    #[serde(rename = "TD3")]
    Td3,
}

impl MrzFormat {
    const ALL: [Self; 3] = [Self::Td1, Self::Td2, Self::Td3];

    /// Line count and line length, the only things that tell the formats apart.
    fn shape(self) -> (usize, usize) {
        match self {
            Self::Td1 => (3, 30),
            Self::Td2 => (2, 36),
            Self::Td3 => (2, 44),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Td1 => "TD1",
            Self::Td2 => "TD2",
            Self::Td3 => "TD3",
        }
    }
}

/// The text is no zone at all, as opposed to a zone that fails its checks. The reason is for a
/// human and never quotes more than one character of the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a machine-readable zone: {reason}")]
pub struct NotAnMrz {
    reason: String,
}

impl NotAnMrz {
    fn new(reason: String) -> Self {
        Self { reason }
    }

    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// The lines of a text whose shape matched `format`.
pub(super) struct Zone<'a> {
    pub(super) format: MrzFormat,
    lines: Vec<&'a str>,
}

/// Stands in for a position outside the zone. `detect` rules that out, but should it ever happen,
/// a character outside the MRZ alphabet fails every check instead of passing one.
const OUTSIDE: char = '?';

impl<'a> Zone<'a> {
    /// The characters at `range` of line `line` (0-based).
    pub(super) fn field(&self, line: usize, range: Range<usize>) -> &'a str {
        self.lines.get(line).and_then(|l| l.get(range)).unwrap_or_default()
    }

    /// The character at `pos` of line `line` (0-based).
    pub(super) fn char_at(&self, line: usize, pos: usize) -> char {
        self.field(line, pos..pos + 1).chars().next().unwrap_or(OUTSIDE)
    }
}

fn is_mrz_char(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || c == '<'
}

/// Normalises what a reader sent (any line ends, padding, blank lines) and finds the format.
pub(super) fn detect(text: &str) -> Result<Zone<'_>, NotAnMrz> {
    // More than 3 lines is never a zone; stop collecting there so huge input costs nothing.
    let lines: Vec<&str> = text.split(['\r', '\n']).map(str::trim).filter(|l| !l.is_empty()).take(4).collect();
    match lines.len() {
        0 => return Err(NotAnMrz::new("the text is empty".into())),
        1 => return Err(NotAnMrz::new("found 1 line, a zone has 2 or 3".into())),
        2 | 3 => {}
        _ => return Err(NotAnMrz::new("found more than 3 lines".into())),
    }
    for (n, line) in lines.iter().enumerate() {
        if let Some((col, c)) = line.chars().enumerate().find(|(_, c)| !is_mrz_char(*c)) {
            return Err(NotAnMrz::new(format!("line {}, column {}: {c:?} is not one of A-Z, 0-9, <", n + 1, col + 1)));
        }
    }
    let fits = |format: MrzFormat| {
        let (count, len) = format.shape();
        lines.len() == count && lines.iter().all(|l| l.len() == len)
    };
    match MrzFormat::ALL.into_iter().find(|f| fits(*f)) {
        Some(format) => Ok(Zone { format, lines }),
        None => {
            let lengths: Vec<String> = lines.iter().map(|l| l.len().to_string()).collect();
            Err(NotAnMrz::new(format!(
                "line lengths {} fit none of TD1 (3 x 30), TD2 (2 x 36), TD3 (2 x 44)",
                lengths.join(", ")
            )))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    const TD1: [&str; 3] =
        ["IDD<<T220001293<<<<<<<<<<<<<<<", "6408125<2010315D<<<<<<<<<<<<<4", "MUSTERMANN<<ERIKA<<<<<<<<<<<<<"];

    fn format_of(text: &str) -> Result<MrzFormat, NotAnMrz> {
        detect(text).map(|z| z.format)
    }

    #[test]
    fn recognises_each_format() {
        assert_eq!(format_of(&TD1.join("\n")).unwrap(), MrzFormat::Td1);
        let td2 = "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nD231458907UTO7408122F1204159<<<<<<<6";
        assert_eq!(format_of(td2).unwrap(), MrzFormat::Td2);
        let td3 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n\
                   L898902C36UTO7408122F1204159ZE184226B<<<<<10";
        assert_eq!(format_of(td3).unwrap(), MrzFormat::Td3);
    }

    #[test]
    fn any_line_end_and_padding() {
        for sep in ["\n", "\r\n", "\r", "\n\n", "\r\n \t\r\n"] {
            let text = format!("\n  \r\n\t{}  {sep}  {}{sep}{}\t\r\n\n ", TD1[0], TD1[1], TD1[2]);
            let zone = detect(&text).unwrap();
            assert_eq!(zone.format, MrzFormat::Td1);
            assert_eq!(zone.field(0, 0..30), TD1[0]);
            assert_eq!(zone.field(2, 0..30), TD1[2]);
        }
    }

    #[test]
    fn wrong_shapes_are_not_a_zone() {
        assert!(format_of("").is_err());
        assert!(format_of(" \r\n \n").is_err());
        assert!(format_of(TD1[0]).is_err());
        assert!(format_of(&TD1[..2].join("\n")).is_err());
        assert!(format_of(&[TD1[0], TD1[1], TD1[2], TD1[2]].join("\n")).is_err());
        let short = format!("{}\n{}\n{}", TD1[0], &TD1[1][..29], TD1[2]);
        let err = format_of(&short).unwrap_err();
        assert!(err.reason().contains("30, 29, 30"), "{err}");
    }

    #[test]
    fn foreign_characters_are_not_a_zone() {
        let lower = TD1.join("\n").replace("ERIKA", "Erika");
        let err = format_of(&lower).unwrap_err();
        assert_eq!(err.reason(), "line 3, column 14: 'r' is not one of A-Z, 0-9, <");
        let inner_space = TD1.join("\n").replace("T22", "T 2");
        assert!(format_of(&inner_space).is_err());
        let umlaut = TD1.join("\n").replace("ERIKA", "ÄRIKA");
        assert!(format_of(&umlaut).is_err());
    }

    #[test]
    fn outside_positions_fail_closed() {
        let text = TD1.join("\n");
        let zone = detect(&text).unwrap();
        assert_eq!(zone.field(0, 28..31), "");
        assert_eq!(zone.field(5, 0..1), "");
        assert_eq!(zone.char_at(1, 30), OUTSIDE);
    }
}
