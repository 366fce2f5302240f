//! Free text that people read on staff screens and in the audit log.
//!
//! A reference or a reason is shown to clerks as typed. Characters that show nothing or change how
//! the rest is shown (control codes, zero-width and other format characters such as U+200B, bidi
//! overrides such as U+202E, unassigned or private code points, separators other than the plain
//! space) would let one record look like another, so they are refused at the edge.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Why a text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("1 to {max} visible characters without surrounding blanks")]
pub struct TextError {
    pub max: usize,
}

/// A registry's case reference, as typed: the same on screen as in the database.
pub fn parse_reference(s: &str) -> Result<String, TextError> {
    let ok = !s.is_empty() && s.chars().count() <= 64 && s.trim() == s && s.chars().all(is_visible);
    if ok { Ok(s.to_owned()) } else { Err(TextError { max: 64 }) }
}

/// Why a person acts (cancel, unlock, release), for the audit log; blanks around it are dropped.
pub fn parse_reason(s: &str) -> Result<String, TextError> {
    let s = s.trim();
    let ok = !s.is_empty() && s.chars().count() <= 500 && s.chars().all(is_visible);
    if ok { Ok(s.to_owned()) } else { Err(TextError { max: 500 }) }
}

/// Whether a character shows as itself. The plain space counts; other spaces, tabs and line breaks do not.
pub fn is_visible(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    !matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::Surrogate
            | GeneralCategory::PrivateUse
            | GeneralCategory::Unassigned
            | GeneralCategory::SpaceSeparator
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    ) && !is_filler(c)
}

/// Letters and marks that render blank although Unicode files them elsewhere (Hangul fillers, the
/// combining grapheme joiner, variation selectors).
fn is_filler(c: char) -> bool {
    matches!(
        c,
        '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' | '\u{180B}'..='\u{180F}' | '\u{FE00}'..='\u{FE0F}'
    ) || ('\u{E0100}'..='\u{E01EF}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_people_type_is_visible() {
        for s in ["2026-004711", "Müller/Öz 12", "Ünal ğ ş", "Łódź", "محمد", "Київ", "A.B_C#1"] {
            assert!(s.chars().all(is_visible), "{s}");
        }
    }

    #[test]
    fn references_and_reasons_are_plain_visible_text() {
        assert_eq!(parse_reference("2026-004711"), Ok("2026-004711".into()));
        for bad in ["", " x", "x ", "a\u{200B}b", "a\u{202E}b", &"x".repeat(65)] {
            assert_eq!(parse_reference(bad), Err(TextError { max: 64 }), "{bad:?}");
        }
        assert_eq!(parse_reason("  seen at the counter "), Ok("seen at the counter".into()));
        assert!(parse_reason("   ").is_err());
        assert!(parse_reason("line\nbreak").is_err());
    }

    #[test]
    fn hidden_and_reordering_characters_are_not() {
        for c in [
            '\u{0}',
            '\t',
            '\n',
            '\u{7f}',
            '\u{85}',
            '\u{AD}',
            '\u{200B}',
            '\u{200D}',
            '\u{200E}',
            '\u{202A}',
            '\u{202E}',
            '\u{2066}',
            '\u{2069}',
            '\u{2060}',
            '\u{FEFF}',
            '\u{00A0}',
            '\u{3000}',
            '\u{2028}',
            '\u{E000}',
            '\u{3164}',
            '\u{FE0F}',
            '\u{E0001}',
        ] {
            assert!(!is_visible(c), "U+{:04X}", u32::from(c));
        }
    }
}
