//! The staff app's texts, German first and English, from `locales/staff/`. Kept apart from the
//! citizens' messages: staff read German or English, citizens any of the panel's languages.

use std::collections::BTreeSet;

use fluent_bundle::FluentResource;
use fluent_bundle::concurrent::FluentBundle;
use fluent_syntax::ast;

use crate::{MessagesError, bundle, format};

/// A language of the staff app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StaffLanguage {
    De,
    En,
}

impl StaffLanguage {
    pub const ALL: [StaffLanguage; 2] = [Self::De, Self::En];

    pub fn code(self) -> &'static str {
        match self {
            Self::De => "de",
            Self::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.code() == code)
    }

    fn source(self) -> &'static str {
        match self {
            Self::De => include_str!("../locales/staff/de.ftl"),
            Self::En => include_str!("../locales/staff/en.ftl"),
        }
    }
}

/// The staff app's texts in both languages, loaded once at start.
pub struct StaffTexts {
    de: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

impl std::fmt::Debug for StaffTexts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StaffTexts")
    }
}

impl StaffTexts {
    pub fn load() -> Result<Self, MessagesError> {
        Ok(Self { de: bundle("de", StaffLanguage::De.source())?, en: bundle("en", StaffLanguage::En.source())? })
    }

    /// The text for `key` with `args`; German if English lacks it, the key only if German does too.
    pub fn text(&self, lang: StaffLanguage, key: &str, args: &[(&str, &str)]) -> String {
        let first = match lang {
            StaffLanguage::De => &self.de,
            StaffLanguage::En => &self.en,
        };
        format(first, key, args).or_else(|| format(&self.de, key, args)).unwrap_or_else(|| key.to_owned())
    }

    /// Each message's key with the placeholders it uses, for completeness checks.
    pub fn keys(lang: StaffLanguage) -> Vec<(String, BTreeSet<String>)> {
        message_keys(lang.source())
    }
}

/// A message file's keys with the placeholders each uses, sorted by key.
pub(crate) fn message_keys(source: &str) -> Vec<(String, BTreeSet<String>)> {
    let Ok(resource) = FluentResource::try_new(source.to_owned()) else { return Vec::new() };
    let mut keys: Vec<_> = resource
        .entries()
        .filter_map(|e| match e {
            ast::Entry::Message(m) => {
                let mut vars = BTreeSet::new();
                if let Some(p) = &m.value {
                    placeholders(p, &mut vars);
                }
                Some((m.id.name.to_owned(), vars))
            }
            _ => None,
        })
        .collect();
    keys.sort();
    keys
}

fn placeholders(pattern: &ast::Pattern<&str>, out: &mut BTreeSet<String>) {
    for element in &pattern.elements {
        if let ast::PatternElement::Placeable { expression } = element {
            expression_vars(expression, out);
        }
    }
}

fn expression_vars(expression: &ast::Expression<&str>, out: &mut BTreeSet<String>) {
    match expression {
        ast::Expression::Inline(inline) => inline_vars(inline, out),
        ast::Expression::Select { selector, variants } => {
            inline_vars(selector, out);
            for v in variants {
                placeholders(&v.value, out);
            }
        }
    }
}

fn inline_vars(inline: &ast::InlineExpression<&str>, out: &mut BTreeSet<String>) {
    match inline {
        ast::InlineExpression::VariableReference { id } => {
            out.insert(id.name.to_owned());
        }
        ast::InlineExpression::Placeable { expression } => expression_vars(expression, out),
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn english_has_exactly_the_german_keys_and_placeholders() {
        let german = StaffTexts::keys(StaffLanguage::De);
        assert!(german.len() >= 20);
        assert_eq!(StaffTexts::keys(StaffLanguage::En), german);
    }

    #[test]
    fn every_text_formats_and_a_missing_key_shows_itself() {
        let texts = StaffTexts::load().unwrap();
        for lang in StaffLanguage::ALL {
            for (key, vars) in StaffTexts::keys(lang) {
                let args: Vec<(&str, &str)> = vars.iter().map(|v| (v.as_str(), "x")).collect();
                assert!(format(if lang == StaffLanguage::De { &texts.de } else { &texts.en }, &key, &args).is_some());
            }
        }
        assert_eq!(texts.text(StaffLanguage::En, "no-such-key", &[]), "no-such-key");
        assert_eq!(texts.text(StaffLanguage::De, "sign-in", &[]), "Anmelden");
    }
}
