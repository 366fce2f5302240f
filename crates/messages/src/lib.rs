//! Every text a person reads, from Fluent message files, German first.
//!
//! The files live in `locales/` and are embedded in the binary, so running the product needs no file
//! beside it. German is the reference: every other language must have exactly its keys (a test
//! enforces it), and a key missing at run time falls back to German rather than to a key name.
//! Unicode isolation marks are off: SMS gateways count and bill every code unit.

pub mod kiosk;
pub mod staff;

use std::collections::HashMap;

use abholbox_core::language::Language;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use unic_langid::LanguageIdentifier;

/// Why the message files could not be loaded; only a broken build can cause it.
#[derive(Debug, thiserror::Error)]
pub enum MessagesError {
    #[error("message file for {lang} does not parse: {detail}")]
    Syntax { lang: &'static str, detail: String },
    #[error("message file for {lang} defines a key twice")]
    Duplicate { lang: &'static str },
}

fn source(lang: Language) -> &'static str {
    match lang {
        Language::De => include_str!("../locales/de.ftl"),
        Language::En => include_str!("../locales/en.ftl"),
        Language::Tr => include_str!("../locales/tr.ftl"),
        Language::Ar => include_str!("../locales/ar.ftl"),
        Language::Uk => include_str!("../locales/uk.ftl"),
        Language::Pl => include_str!("../locales/pl.ftl"),
    }
}

/// One language's messages from its file, without isolation marks.
fn bundle(code: &'static str, text: &str) -> Result<FluentBundle<FluentResource>, MessagesError> {
    let resource = FluentResource::try_new(text.to_owned())
        .map_err(|(_, errs)| MessagesError::Syntax { lang: code, detail: format!("{errs:?}") })?;
    let id: LanguageIdentifier =
        code.parse().map_err(|_| MessagesError::Syntax { lang: code, detail: "bad language tag".into() })?;
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    bundle.set_use_isolating(false);
    bundle.add_resource(resource).map_err(|_| MessagesError::Duplicate { lang: code })?;
    Ok(bundle)
}

/// A message with its arguments filled in; `None` when the key is missing or an argument is.
fn format(bundle: &FluentBundle<FluentResource>, key: &str, args: &[(&str, &str)]) -> Option<String> {
    let pattern = bundle.get_message(key)?.value()?;
    let mut fargs = FluentArgs::new();
    for (k, v) in args {
        fargs.set(*k, *v);
    }
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, Some(&fargs), &mut errors).into_owned();
    errors.is_empty().then_some(text)
}

/// All languages' messages, loaded once at start.
pub struct Messages {
    bundles: HashMap<Language, FluentBundle<FluentResource>>,
}

impl std::fmt::Debug for Messages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Messages({} languages)", self.bundles.len())
    }
}

impl Messages {
    pub fn load() -> Result<Self, MessagesError> {
        let mut bundles = HashMap::new();
        for lang in Language::ALL {
            bundles.insert(lang, bundle(lang.code(), source(lang))?);
        }
        Ok(Self { bundles })
    }

    /// The text for `key` in `lang` with `args` filled in; German if the language lacks the key, the
    /// key itself only if German lacks it too (a test keeps that from happening).
    pub fn text(&self, lang: Language, key: &str, args: &[(&str, &str)]) -> String {
        self.try_text(lang, key, args)
            .or_else(|| self.try_text(Language::De, key, args))
            .unwrap_or_else(|| key.to_owned())
    }

    fn try_text(&self, lang: Language, key: &str, args: &[(&str, &str)]) -> Option<String> {
        format(self.bundles.get(&lang)?, key, args)
    }

    /// Opening hours in OpenStreetMap syntax as a citizen reads them in an SMS: the day names of the
    /// language, and without the holiday rule (`PH off`), which the SMS does not spell out.
    pub fn hours(&self, lang: Language, rule: &str) -> String {
        const OSM: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];
        let names = self.text(lang, "weekdays", &[]);
        let names: Vec<&str> = names.split_whitespace().collect();
        let day = |token: &str| -> Option<&str> {
            let i = OSM.iter().position(|d| *d == token)?;
            names.get(i).copied()
        };
        let parts: Vec<String> = rule
            .split(';')
            .map(str::trim)
            .filter(|part| !part.is_empty() && !part.split_whitespace().any(|w| w.starts_with("PH")))
            .map(|part| {
                let mut out = String::with_capacity(part.len());
                let mut word = String::new();
                for c in part.chars().chain(std::iter::once(' ')) {
                    if c.is_ascii_alphabetic() {
                        word.push(c);
                        continue;
                    }
                    out.push_str(day(&word).unwrap_or(&word));
                    word.clear();
                    out.push(c);
                }
                out.trim_end().to_owned()
            })
            .collect();
        parts.join("; ")
    }

    /// The message keys of a language, for completeness checks.
    pub fn keys(lang: Language) -> Vec<String> {
        let Ok(resource) = FluentResource::try_new(source(lang).to_owned()) else {
            return Vec::new();
        };
        let mut keys: Vec<String> = resource
            .entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect();
        keys.sort();
        keys
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_exactly_the_german_keys() {
        let german = Messages::keys(Language::De);
        assert!(german.len() >= 8);
        for lang in Language::ALL {
            assert_eq!(Messages::keys(lang), german, "keys of {}", lang.code());
        }
    }

    #[test]
    fn every_message_formats_in_every_language() {
        let m = Messages::load().unwrap();
        let args = [
            ("document", "X"),
            ("old_document", "O"),
            ("site", "S"),
            ("address", "A"),
            ("pin", "482913"),
            ("deadline", "05.12.2026"),
            ("hours", "Mo 08:00-12:00"),
        ];
        for lang in Language::ALL {
            for key in Messages::keys(lang) {
                assert!(m.try_text(lang, &key, &args).is_some(), "{} {key}", lang.code());
            }
        }
    }

    #[test]
    fn the_ready_sms_carries_the_pin_without_isolation_marks() {
        let m = Messages::load().unwrap();
        let text = m.text(
            Language::De,
            "sms-ready",
            &[
                ("document", "Reisepass"),
                ("old_document", "alten Pass"),
                ("site", "DLZ"),
                ("address", "Willi-Becker-Allee 7"),
                ("pin", "482913"),
                ("deadline", "05.12.2026"),
            ],
        );
        assert_eq!(
            text,
            "Reisepass liegt in der Abholbox DLZ, Willi-Becker-Allee 7. PIN 482913, abholen bis 05.12.2026, alten Pass mitbringen."
        );
        assert!(!text.contains('\u{2068}'));
    }

    #[test]
    fn opening_hours_read_in_the_citizens_language() {
        let m = Messages::load().unwrap();
        let rule = "Mo,Tu 07:30-16:00; We,Fr 07:30-13:00; Th 07:30-18:00; PH off";
        assert_eq!(m.hours(Language::De, rule), "Mo,Di 07:30-16:00; Mi,Fr 07:30-13:00; Do 07:30-18:00");
        assert_eq!(m.hours(Language::En, rule), "Mo,Tu 07:30-16:00; We,Fr 07:30-13:00; Th 07:30-18:00");
        assert_eq!(m.hours(Language::Pl, "Mo-Fr 08:00-12:00"), "Pn-Pt 08:00-12:00");
        for lang in Language::ALL {
            assert_eq!(m.text(lang, "weekdays", &[]).split_whitespace().count(), 7, "{}", lang.code());
        }
    }

    #[test]
    fn a_missing_key_falls_back_to_german_then_to_the_key() {
        let m = Messages::load().unwrap();
        assert_eq!(m.text(Language::Ar, "no-such-key", &[]), "no-such-key");
        assert_eq!(m.text(Language::En, "document-passport", &[]), "passport");
    }
}
