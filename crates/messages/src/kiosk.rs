//! The kiosk panel's texts in its seven languages, from `locales/kiosk/`. German is the reference;
//! Leichte Sprache (easy German) is a language of its own here, since it is written apart.

use std::collections::BTreeSet;

use abholbox_core::language::PanelLanguage;
use fluent_bundle::FluentResource;
use fluent_bundle::concurrent::FluentBundle;

use crate::{MessagesError, bundle, format, staff::message_keys};

fn source(lang: PanelLanguage) -> &'static str {
    match lang {
        PanelLanguage::De => include_str!("../locales/kiosk/de.ftl"),
        PanelLanguage::EasyGerman => include_str!("../locales/kiosk/de-x-ls.ftl"),
        PanelLanguage::En => include_str!("../locales/kiosk/en.ftl"),
        PanelLanguage::Tr => include_str!("../locales/kiosk/tr.ftl"),
        PanelLanguage::Ar => include_str!("../locales/kiosk/ar.ftl"),
        PanelLanguage::Uk => include_str!("../locales/kiosk/uk.ftl"),
        PanelLanguage::Pl => include_str!("../locales/kiosk/pl.ftl"),
    }
}

/// The panel's texts in every language, loaded once at start.
pub struct KioskTexts {
    bundles: Vec<(PanelLanguage, FluentBundle<FluentResource>)>,
}

impl std::fmt::Debug for KioskTexts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KioskTexts")
    }
}

impl KioskTexts {
    pub fn load() -> Result<Self, MessagesError> {
        let mut bundles = Vec::new();
        for lang in PanelLanguage::ALL {
            bundles.push((lang, bundle(lang.html_lang(), source(lang))?));
        }
        Ok(Self { bundles })
    }

    fn bundle(&self, lang: PanelLanguage) -> Option<&FluentBundle<FluentResource>> {
        self.bundles.iter().find(|(l, _)| *l == lang).map(|(_, b)| b)
    }

    /// The text for `key` with `args`; German if the language lacks it, the key only if German
    /// does too.
    pub fn text(&self, lang: PanelLanguage, key: &str, args: &[(&str, &str)]) -> String {
        self.bundle(lang)
            .and_then(|b| format(b, key, args))
            .or_else(|| self.bundle(PanelLanguage::De).and_then(|b| format(b, key, args)))
            .unwrap_or_else(|| key.to_owned())
    }

    /// Each message's key with the placeholders it uses, for completeness checks.
    pub fn keys(lang: PanelLanguage) -> Vec<(String, BTreeSet<String>)> {
        message_keys(source(lang))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_exactly_the_german_keys_and_placeholders() {
        let german = KioskTexts::keys(PanelLanguage::De);
        assert!(german.len() >= 60, "the German file is the reference and should be complete");
        for lang in PanelLanguage::ALL {
            let keys = KioskTexts::keys(lang);
            let missing: Vec<_> = german.iter().filter(|k| !keys.contains(k)).collect();
            let extra: Vec<_> = keys.iter().filter(|k| !german.contains(k)).collect();
            assert!(missing.is_empty() && extra.is_empty(), "{}: missing {missing:?}, extra {extra:?}", lang.code());
        }
    }

    #[test]
    fn every_text_formats_in_every_language() {
        let texts = KioskTexts::load().unwrap();
        for lang in PanelLanguage::ALL {
            let bundle = texts.bundle(lang).unwrap();
            for (key, vars) in KioskTexts::keys(lang) {
                let args: Vec<(&str, &str)> = vars.iter().map(|v| (v.as_str(), "7")).collect();
                let text = format(bundle, &key, &args);
                assert!(text.as_deref().is_some_and(|t| !t.trim().is_empty()), "{} {key}", lang.code());
            }
        }
        assert_eq!(texts.text(PanelLanguage::De, "button-help", &[]), "Hilfe");
        assert_ne!(texts.text(PanelLanguage::Ar, "button-help", &[]), "Hilfe");
        assert_eq!(texts.text(PanelLanguage::Pl, "no-such-key", &[]), "no-such-key");
    }
}
