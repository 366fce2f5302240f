//! The PIN and the SMS a citizen gets, written to the outbox in the transaction that causes them.
//!
//! A family (several documents at one box for one phone number) shares one PIN: the first document's
//! SMS carries it, later ones say that the PIN last sent still holds. A PIN sent anew (lost, seen by
//! someone else, or after a lock was lifted) becomes the PIN of every document of the family that is
//! not locked, and its SMS says so. The PIN exists in clear only here and in the outbox row until
//! the gateway accepts the message.

use abholbox_core::document::DocumentKind;
use abholbox_core::language::Language;
use abholbox_core::notify::reminder_at;
use abholbox_core::personal::ThirdFactor;
use abholbox_messages::Messages;
use abholbox_store::{MessageFields, NewOutboxMessage, PickupRecord, Tx};
use chrono::format::StrftimeItems;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::{Error, Result, Service};

/// The parts an SMS is built from, in the citizen's language. Public so that a configuration can be
/// checked for what its texts cost before any is sent.
pub struct Texts {
    document: String,
    /// The old document to bring, named for the kind that is due (a passport asks for the old pass).
    old_document: String,
    site: String,
    /// The street line of the site's address: the city is known, and the text must fit one segment.
    address: String,
    deadline: String,
    /// The sentence with the site's opening hours, when the box is not open around the clock.
    hours: Option<String>,
    /// The site's time zone, for quiet hours and the reminder's day.
    tz: Tz,
}

fn kind_key(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::IdCard => "id_card",
        DocumentKind::Passport => "passport",
        DocumentKind::ChildPassport => "child_passport",
        DocumentKind::ResidencePermit => "residence_permit",
    }
}

/// The part of an address before its first comma ("Willi-Becker-Allee 7, 40227 Düsseldorf").
pub fn street_line(address: &str) -> &str {
    address.split(',').next().unwrap_or(address).trim()
}

/// Appends a sentence only where it costs nothing: the same alphabet and no extra segment.
pub fn append_if_free(body: String, extra: Option<&str>) -> String {
    let Some(extra) = extra else {
        return body;
    };
    let longer = format!("{body} {extra}");
    let (before, after) = (abholbox_sms::encoding::cost(&body), abholbox_sms::encoding::cost(&longer));
    if after.segments == before.segments && after.encoding == before.encoding { longer } else { body }
}

impl Service {
    /// Gives a pickup becoming ready its PIN hash (new, or the family's) and queues its SMS. The store
    /// decides which by a unique key, so documents of a family made ready at once share one PIN.
    pub(crate) async fn issue_pin(&self, tx: &mut dyn Tx, pickup: &mut PickupRecord) -> Result<()> {
        let box_id = pickup.box_id.clone().ok_or(Error::Inconsistent("a ready pickup without its box"))?;
        let phone_hash = pickup.phone_hash.clone().ok_or(Error::NotFound("phone"))?;
        let texts = self.texts(tx, pickup).await?;
        let pin = self.policy.pin.generate(&mut rand::rng());
        let family = tx.family_pin(&box_id, &phone_hash, &self.keys.hash_pin(&pin)).await?;
        pickup.pin = Some(family.pin);
        let (purpose, body) = if family.new {
            let key = match pickup.third_factor {
                ThirdFactor::OldDocument => "sms-ready",
                ThirdFactor::BirthDate => "sms-ready-birth-date",
            };
            ("ready", self.pin_text(pickup, key, &texts, &pin))
        } else {
            ("ready_family", self.messages.text(pickup.language, "sms-ready-family", &texts.args(None)))
        };
        let now = self.clock.now();
        self.queue_sms(tx, pickup, purpose, append_if_free(body, texts.hours.as_deref()), &texts, now).await?;
        self.queue_reminder(tx, pickup, &texts).await
    }

    /// Queues the reminder again after the messages to an old number were dropped.
    pub(crate) async fn requeue_reminder(&self, tx: &mut dyn Tx, pickup: &PickupRecord) -> Result<()> {
        let texts = self.texts(tx, pickup).await?;
        self.queue_reminder(tx, pickup, &texts).await
    }

    /// Queues the reminder for its day, where the window leaves room for one. It is dropped if the
    /// document leaves the box before.
    async fn queue_reminder(&self, tx: &mut dyn Tx, pickup: &PickupRecord, texts: &Texts) -> Result<()> {
        let policy = &self.policy.sms;
        let (Some(deadline), Some(ready_at)) = (pickup.deadline, pickup.ready_at) else {
            return Ok(());
        };
        let Some(at) = reminder_at(deadline, ready_at, texts.tz, policy.reminder_days_before, policy.reminder_time)
        else {
            return Ok(());
        };
        let body = texts.text(&self.messages, pickup.language, "sms-reminder", None);
        self.queue_sms(tx, pickup, "reminder", body, texts, at).await
    }

    /// Gives a pickup a fresh PIN and queues it: the old PIN stops working. The family's other
    /// documents that are not locked take it too (see `history`), and then the SMS says "your
    /// documents".
    ///
    /// At a corrected number (`to_new_number`) that has no other document waiting, the SMS is the
    /// first one's: the number never had a PIN that could stop working.
    pub(crate) async fn reissue_pin(
        &self,
        tx: &mut dyn Tx,
        pickup: &mut PickupRecord,
        to_new_number: bool,
    ) -> Result<()> {
        let texts = self.texts(tx, pickup).await?;
        let pin = self.policy.pin.generate(&mut rand::rng());
        pickup.pin = Some(self.keys.hash_pin(&pin));
        let family = match (&pickup.box_id, &pickup.phone_hash) {
            (Some(box_id), Some(phone)) => {
                tx.ready_pickups_for_phone(box_id, &phone.hash).await?.iter().any(|p| p.id != pickup.id && !p.locked)
            }
            _ => false,
        };
        let key = match (family, to_new_number, pickup.third_factor) {
            (true, _, _) => "sms-new-pin-family",
            (false, true, ThirdFactor::OldDocument) => "sms-ready",
            (false, true, ThirdFactor::BirthDate) => "sms-ready-birth-date",
            (false, false, _) => "sms-new-pin",
        };
        let body = self.pin_text(pickup, key, &texts, &pin);
        let now = self.clock.now();
        self.queue_sms(tx, pickup, "new_pin", append_if_free(body, texts.hours.as_deref()), &texts, now).await
    }

    /// Queues the SMS that an uncollected document has gone back to the counter.
    pub(crate) async fn notify_withdrawn(&self, tx: &mut dyn Tx, pickup: &PickupRecord) -> Result<()> {
        let texts = self.texts(tx, pickup).await?;
        let body = self.messages.text(pickup.language, "sms-withdrawn", &texts.args(None));
        self.queue_sms(tx, pickup, "withdrawn", body, &texts, self.clock.now()).await
    }

    /// The text that carries a PIN.
    fn pin_text(&self, pickup: &PickupRecord, key: &str, texts: &Texts, pin: &abholbox_core::pin::Pin) -> String {
        self.messages.text(pickup.language, key, &texts.args(Some(pin.expose())))
    }

    async fn texts(&self, tx: &mut dyn Tx, pickup: &PickupRecord) -> Result<Texts> {
        let site = tx.site(&pickup.site).await?.ok_or(Error::NotFound("site"))?;
        let lang = pickup.language;
        let tz: Tz = site.time_zone.parse().unwrap_or(chrono_tz::Europe::Berlin);
        let deadline = pickup.deadline.unwrap_or_else(|| self.clock.now()).with_timezone(&tz);
        let mut texts = Texts::new(&self.messages, lang, pickup.document_kind, &site.name, &site.address, deadline);
        texts.hours = crate::hours::hours_of(&site)?.rule().map(|rule| {
            let hours = self.messages.hours(lang, rule);
            self.messages.text(lang, "sms-hours", &[("hours", hours.as_str())])
        });
        Ok(texts)
    }

    /// Queues a message to go out at `at` or, within the site's quiet hours, when they end.
    async fn queue_sms(
        &self,
        tx: &mut dyn Tx,
        pickup: &PickupRecord,
        purpose: &'static str,
        body: String,
        texts: &Texts,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let now = self.clock.now();
        let not_before = match self.policy.sms.quiet_hours(&pickup.site) {
            Some(quiet) => quiet.next_allowed(at, texts.tz),
            None => at,
        };
        let personal = self.personal_data(tx, &pickup.id).await?.ok_or(Error::NotFound("personal data"))?;
        let segments = u32::try_from(abholbox_sms::encoding::cost(&body).segments).unwrap_or(u32::MAX);
        tx.enqueue(&NewOutboxMessage {
            message_id: crate::outbox::new_message_id(),
            segments,
            pickup: pickup.id.clone(),
            purpose,
            sealed: self.seal_message(&pickup.id, &MessageFields { recipient: personal.phone, body })?,
            not_before,
            created_at: now,
        })
        .await?;
        Ok(())
    }
}

impl Texts {
    pub fn new(
        messages: &Messages,
        lang: Language,
        kind: DocumentKind,
        site: &str,
        address: &str,
        deadline: DateTime<Tz>,
    ) -> Self {
        let kind = kind_key(kind);
        let date_format = messages.text(lang, "date-format", &[]);
        Self {
            document: messages.text(lang, &format!("document-{kind}"), &[]),
            old_document: messages.text(lang, &format!("old-document-{kind}"), &[]),
            site: site.to_owned(),
            address: street_line(address).to_owned(),
            deadline: format_date(deadline - chrono::Duration::nanoseconds(1), &date_format),
            hours: None,
            tz: deadline.timezone(),
        }
    }

    /// One message (`sms-ready`, `sms-reminder` …), with the PIN where it carries one.
    pub fn text(&self, messages: &Messages, lang: Language, key: &str, pin: Option<&str>) -> String {
        messages.text(lang, key, &self.args(pin))
    }

    /// The arguments every SMS text may use; `pin` only where the text carries one.
    fn args<'a>(&'a self, pin: Option<&'a str>) -> Vec<(&'static str, &'a str)> {
        let mut args = vec![
            ("document", self.document.as_str()),
            ("old_document", self.old_document.as_str()),
            ("site", self.site.as_str()),
            ("address", self.address.as_str()),
            ("deadline", self.deadline.as_str()),
        ];
        args.extend(pin.map(|pin| ("pin", pin)));
        args
    }
}

/// Formats a date with a pattern from the message files. An invalid pattern falls back to the
/// German form instead of failing, because chrono reports a bad pattern only when formatting.
fn format_date(at: DateTime<Tz>, pattern: &str) -> String {
    match StrftimeItems::new(pattern).parse() {
        Ok(items) => at.format_with_items(items.iter()).to_string(),
        Err(_) => at.format("%d.%m.%Y").to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    /// A date in an SMS reads one way only: 11/12 is November to some readers and December to others.
    #[test]
    fn the_deadline_is_written_so_that_no_reader_takes_day_for_month() {
        let messages = Messages::load().unwrap();
        let at = chrono_tz::Europe::Berlin.with_ymd_and_hms(2026, 12, 11, 12, 0, 0).unwrap();
        let date = |lang| format_date(at, &messages.text(lang, "date-format", &[]));
        assert_eq!(date(Language::En), "11 Dec 2026");
        assert_eq!(date(Language::De), "11.12.2026");
    }
}
