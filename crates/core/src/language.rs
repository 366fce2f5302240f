//! The languages a citizen can be addressed in (SMS now, the kiosk panel next).

use serde::{Deserialize, Serialize};

/// German first; the others are the languages most asked for at German citizens' offices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    De,
    En,
    Tr,
    Ar,
    Uk,
    Pl,
}

impl Language {
    pub const ALL: [Language; 6] = [Self::De, Self::En, Self::Tr, Self::Ar, Self::Uk, Self::Pl];

    pub fn code(self) -> &'static str {
        match self {
            Self::De => "de",
            Self::En => "en",
            Self::Tr => "tr",
            Self::Ar => "ar",
            Self::Uk => "uk",
            Self::Pl => "pl",
        }
    }

    /// Accepts a BCP 47 tag such as `de-DE` or `uk`, by its primary language.
    pub fn parse(tag: &str) -> Option<Self> {
        let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        Self::ALL.into_iter().find(|l| l.code() == primary)
    }
}

/// A language of the kiosk panel: the SMS languages and Leichte Sprache (easy German), listed in
/// the order the start screen offers them, so that a digit on the tactile keypad picks one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PanelLanguage {
    #[serde(rename = "de")]
    De,
    /// Leichte Sprache: short sentences, common words, for people who read German with difficulty.
    #[serde(rename = "de-x-ls")]
    EasyGerman,
    #[serde(rename = "en")]
    En,
    #[serde(rename = "tr")]
    Tr,
    #[serde(rename = "ar")]
    Ar,
    #[serde(rename = "uk")]
    Uk,
    #[serde(rename = "pl")]
    Pl,
}

impl PanelLanguage {
    pub const ALL: [PanelLanguage; 7] = [Self::De, Self::EasyGerman, Self::En, Self::Tr, Self::Ar, Self::Uk, Self::Pl];

    /// The code in the API and the session record; Leichte Sprache is a private-use tag of German.
    pub fn code(self) -> &'static str {
        match self {
            Self::De => "de",
            Self::EasyGerman => "de-x-ls",
            Self::En => "en",
            Self::Tr => "tr",
            Self::Ar => "ar",
            Self::Uk => "uk",
            Self::Pl => "pl",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.code().eq_ignore_ascii_case(code))
    }

    /// The language a page declares, for screen readers and hyphenation.
    pub fn html_lang(self) -> &'static str {
        match self {
            Self::EasyGerman => "de",
            other => other.code(),
        }
    }

    pub fn right_to_left(self) -> bool {
        self == Self::Ar
    }

    /// The language's name in its own script, as the start screen lists it.
    pub fn own_name(self) -> &'static str {
        match self {
            Self::De => "Deutsch",
            Self::EasyGerman => "Leichte Sprache",
            Self::En => "English",
            Self::Tr => "Türkçe",
            Self::Ar => "العربية",
            Self::Uk => "Українська",
            Self::Pl => "Polski",
        }
    }

    /// The language of the citizen's SMS texts, day names and the like: Leichte Sprache is German.
    pub fn everyday(self) -> Language {
        match self {
            Self::De | Self::EasyGerman => Language::De,
            Self::En => Language::En,
            Self::Tr => Language::Tr,
            Self::Ar => Language::Ar,
            Self::Uk => Language::Uk,
            Self::Pl => Language::Pl,
        }
    }

    /// Its number on the start screen, 1 to 7.
    pub fn number(self) -> usize {
        Self::ALL.iter().position(|l| *l == self).map_or(1, |i| i + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_map_to_their_primary_language() {
        assert_eq!(Language::parse("de-DE"), Some(Language::De));
        assert_eq!(Language::parse("AR"), Some(Language::Ar));
        assert_eq!(Language::parse("fr"), None);
        assert_eq!(Language::parse(""), None);
    }

    #[test]
    fn panel_languages_have_numbers_codes_and_a_direction() {
        assert_eq!(PanelLanguage::ALL.map(PanelLanguage::number), [1, 2, 3, 4, 5, 6, 7]);
        for l in PanelLanguage::ALL {
            assert_eq!(PanelLanguage::parse(l.code()), Some(l));
        }
        assert_eq!(PanelLanguage::EasyGerman.html_lang(), "de");
        assert!(PanelLanguage::Ar.right_to_left());
        assert!(!PanelLanguage::Uk.right_to_left());
        assert_eq!(PanelLanguage::parse("fr"), None);
    }
}
