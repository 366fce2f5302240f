//! One template for every screen of the panel: what a screen shows is decided here from the
//! session's view, in the session's language; the template only lays it out.

use std::sync::Arc;

use abholbox_core::document::DocumentKind;
use abholbox_core::kiosk::Step;
use abholbox_core::language::PanelLanguage;
use abholbox_messages::kiosk::KioskTexts;
use abholbox_service::kiosk::{BoxShape, PanelHelp, SessionView};
use axum::http::StatusCode;
use axum::response::Response;

use crate::AppState;
use crate::pages::html;

/// The panel's texts in one language.
#[derive(Clone)]
pub(crate) struct Kt {
    texts: Arc<KioskTexts>,
    pub lang: PanelLanguage,
}

impl Kt {
    pub fn new(state: &AppState, lang: PanelLanguage) -> Self {
        Self { texts: state.pages.kiosk_texts.clone(), lang }
    }

    pub fn t(&self, key: &str) -> String {
        self.texts.text(self.lang, key, &[])
    }

    pub fn with(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.texts.text(self.lang, key, args)
    }

    /// The text for a refusal's stable code, or a general one.
    pub fn error(&self, code: &str) -> String {
        let key = format!("error-{code}");
        let text = self.t(&key);
        if text == key { self.t("error-other") } else { text }
    }
}

/// A field the citizen types into with the keypad.
pub(crate) struct Entry {
    pub action: &'static str,
    pub name: &'static str,
    /// `phone`, `pin` or `date`: how the script shows and speaks what is typed.
    pub kind: &'static str,
    pub max: usize,
    pub example: Option<String>,
}

/// A language on the start screen.
pub(crate) struct Choice {
    pub number: usize,
    pub code: &'static str,
    pub html_lang: &'static str,
    pub name: &'static str,
    pub rtl: bool,
}

/// The box drawn small, with the open compartment marked.
pub(crate) struct MapModule {
    pub name: String,
    pub columns: u32,
    /// The cells, row by row from the top, when this is the open compartment's module.
    pub cells: Vec<bool>,
}

#[derive(askama::Template)]
#[template(path = "kiosk/page.html")]
pub(crate) struct Page {
    pub t: Kt,
    /// `start`, `phone`, `pin`, `old_document`, `birth_date`, `collect`, `done`, `ended`, `refused`,
    /// `help`, `pair`, `unpaired`.
    pub screen: &'static str,
    pub title: String,
    /// Lines read out and shown under the title, in order.
    pub lines: Vec<String>,
    /// A refusal to show (and read) first.
    pub error: Option<String>,
    pub entry: Option<Entry>,
    pub languages: Vec<Choice>,
    pub map: Vec<MapModule>,
    /// The session's version; the script waits for it to change where the box acts, not the citizen.
    pub version: i64,
    /// The script asks the server whether anything changed (reader, door).
    pub wait: bool,
    pub reminder: bool,
    /// There is a session whose idle clock runs: the idle warning applies.
    pub idle_warning: bool,
    pub has_session: bool,
    pub called: bool,
}

impl Page {
    pub fn new(t: Kt, screen: &'static str, title: String) -> Self {
        Self {
            t,
            screen,
            title,
            lines: Vec::new(),
            error: None,
            entry: None,
            languages: Vec::new(),
            map: Vec::new(),
            version: 0,
            wait: false,
            reminder: false,
            idle_warning: false,
            has_session: false,
            called: false,
        }
    }

    pub fn dir(&self) -> &'static str {
        if self.t.lang.right_to_left() { "rtl" } else { "ltr" }
    }

    pub fn timeout_text(&self) -> String {
        self.t.with("timeout-text", &[("seconds", "{s}")])
    }

    /// What the script says as digits are typed, with `{d}` for what is there.
    pub fn typed_text(&self) -> String {
        self.t.with("speech-typed", &[("digits", "{d}")])
    }

    /// What the script says as PIN digits are typed: their count, never the digits.
    pub fn pin_count_text(&self) -> String {
        self.t.with("pin-digits", &[("count", "{n}")])
    }
}

pub(crate) fn render(page: &Page, status: StatusCode) -> Response {
    html(status, page)
}

/// The start screen: the languages, German first, each in its own name and script.
pub(crate) fn start(state: &AppState, error: Option<String>) -> Page {
    let t = Kt::new(state, PanelLanguage::De);
    let mut page = Page::new(t.clone(), "start", t.t("start-title"));
    page.lines = vec![t.t("start-lead"), t.t("start-counter"), t.t("start-keys")];
    page.error = error;
    page.languages = PanelLanguage::ALL
        .into_iter()
        .map(|l| Choice {
            number: l.number(),
            code: l.code(),
            html_lang: l.html_lang(),
            name: l.own_name(),
            rtl: l.right_to_left(),
        })
        .collect();
    page
}

/// The screen for where a session stands; `refused` is the code of an input just refused.
pub(crate) fn for_session(state: &AppState, view: &SessionView, refused: Option<&str>, shape: &[BoxShape]) -> Page {
    let t = Kt::new(state, view.language);
    let error_code = refused.or(view.last_error.as_deref()).filter(|c| !matches!(*c, "superseded" | "timeout"));
    let document = view.document.as_ref().filter(|d| d.of > 1).map(|d| {
        t.with(
            "document-of",
            &[
                ("position", &d.position.to_string()),
                ("of", &d.of.to_string()),
                ("kind", &t.t(&format!("kind-{}", d.kind.as_str()))),
            ],
        )
    });
    // In a family's run, or for a child's passport, the birth date asked for is the document
    // holder's, not that of the person at the panel.
    let holder = view.document.as_ref().is_some_and(|d| d.of > 1 || d.kind == DocumentKind::ChildPassport);
    let (birth_title, birth_prompt) =
        if holder { ("birth-title-holder", "birth-prompt-holder") } else { ("birth-title", "birth-prompt") };
    let (screen, title) = match view.step {
        Step::Phone => ("phone", t.t("phone-title")),
        Step::Pin => ("pin", t.t("pin-title")),
        Step::PinLetter => ("pin_letter", t.t("letter-title")),
        Step::OldDocument => ("old_document", t.t("old-title")),
        Step::BirthDate => ("birth_date", t.t(birth_title)),
        Step::Collect => {
            let label = view.compartments.first().map(|c| c.label.clone()).unwrap_or_default();
            ("collect", t.with("collect-title", &[("label", &label)]))
        }
        Step::Done => ("done", t.t("done-title")),
        Step::Ended => ("ended", t.t("ended-title")),
    };
    let mut page = Page::new(t.clone(), screen, title);
    page.version = view.version;
    page.has_session = !view.step.is_over();
    page.idle_warning =
        matches!(view.step, Step::Phone | Step::Pin | Step::PinLetter | Step::OldDocument | Step::BirthDate);
    page.error = error_code.filter(|_| !view.step.is_over()).map(|c| t.error(c));
    page.lines.extend(document);
    match view.step {
        Step::Phone => {
            page.lines.push(t.t("phone-prompt"));
            page.entry = Some(Entry {
                action: "/kiosk/phone",
                name: "phone",
                kind: "phone",
                max: 16,
                example: Some(t.t("phone-example")),
            });
        }
        Step::Pin => {
            page.lines.push(t.t("pin-prompt"));
            page.entry = Some(Entry { action: "/kiosk/pin", name: "pin", kind: "pin", max: 12, example: None });
        }
        Step::PinLetter => {
            page.lines.push(t.t("letter-prompt"));
            page.lines.push(t.t("letter-without"));
        }
        Step::OldDocument => {
            page.lines.push(t.t("old-prompt"));
            page.lines.push(t.t("old-waiting"));
            page.wait = true;
        }
        Step::BirthDate => {
            page.lines.push(t.t(birth_prompt));
            page.entry = Some(Entry {
                action: "/kiosk/birth-date",
                name: "birth_date",
                kind: "date",
                max: 8,
                example: Some(t.t("birth-example")),
            });
        }
        Step::Collect => {
            if let Some(c) = view.compartments.first() {
                let module = shape.iter().find(|m| m.module == c.module);
                let rows = module.map_or(c.row, |m| m.rows);
                page.lines.push(t.with(
                    "collect-where",
                    &[
                        ("module", &c.module),
                        ("row", &(rows + 1).saturating_sub(c.row).to_string()),
                        ("column", &c.column.to_string()),
                    ],
                ));
                page.map = shape
                    .iter()
                    .map(|m| MapModule {
                        name: m.module.clone(),
                        columns: m.columns,
                        cells: if m.module == c.module {
                            (1..=m.rows)
                                .flat_map(|r| (1..=m.columns).map(move |col| (r, col)))
                                .map(|(r, col)| r == c.row && col == c.column)
                                .collect()
                        } else {
                            Vec::new()
                        },
                    })
                    .collect();
            }
            page.lines.push(t.t(if view.close_door_reminder { "collect-reminder" } else { "collect-take" }));
            page.reminder = view.close_door_reminder;
            page.wait = true;
        }
        Step::Done => page.lines.push(t.t("done-text")),
        Step::Ended => {
            let reason = view.ended.map_or("cancelled", |r| r.as_str());
            page.lines.push(t.t(&format!("ended-{reason}")));
        }
    }
    page
}

/// A request that the layers around the screens refused (a form that cannot be read, too many
/// requests, one that took too long): no session step was taken, so the panel says it did not work
/// and goes back to where the session stands.
pub(crate) fn hitch(state: &AppState, lang: PanelLanguage) -> Page {
    let t = Kt::new(state, lang);
    Page::new(t.clone(), "hitch", t.t("error-other"))
}

/// A refusal before any session exists: the box is closed or out of order.
pub(crate) fn refused(state: &AppState, lang: PanelLanguage, code: &str) -> Page {
    let t = Kt::new(state, lang);
    let mut page = Page::new(t.clone(), "refused", t.t("refused-title"));
    page.lines.push(t.error(code));
    page.lines.push(t.t("help-no-pin"));
    page
}

pub(crate) fn help(state: &AppState, lang: PanelLanguage, help: &PanelHelp, has_session: bool, called: bool) -> Page {
    let t = Kt::new(state, lang);
    let mut page = Page::new(t.clone(), "help", t.t("help-title"));
    page.lines.push(t.t("help-no-pin"));
    page.lines.push(t.with("help-counter", &[("site", &help.site_name), ("address", &help.address)]));
    if let Some(phone) = &help.counter_phone {
        page.lines.push(t.with("help-phone", &[("phone", phone)]));
    }
    match &help.opening_hours {
        Some(hours) => page.lines.push(t.with("help-hours", &[("hours", hours)])),
        None => page.lines.push(t.t("help-always-open")),
    }
    page.lines.push(t.t("help-keys"));
    page.has_session = has_session;
    page.idle_warning = has_session;
    page.called = called;
    if called {
        page.error = Some(t.t("help-called"));
    }
    page
}

pub(crate) fn unpaired(state: &AppState) -> Response {
    let t = Kt::new(state, PanelLanguage::De);
    let mut page = Page::new(t.clone(), "unpaired", t.t("unpaired-title"));
    page.lines.push(t.t("unpaired-text"));
    render(&page, StatusCode::UNAUTHORIZED)
}

pub(crate) fn pair_form(state: &AppState, refused: bool, status: StatusCode) -> Response {
    let t = Kt::new(state, PanelLanguage::De);
    let mut page = Page::new(t.clone(), "pair", t.t("pair-title"));
    page.lines.push(t.t("pair-text"));
    page.error = refused.then(|| t.t("pair-refused"));
    render(&page, status)
}
