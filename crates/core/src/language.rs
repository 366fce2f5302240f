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
}
