//! The PIN and the SMS a citizen gets, written to the outbox in the transaction that causes them.
//!
//! A family (several documents at one box for one phone number) shares one PIN: the first document's
//! SMS carries it, later ones say that the PIN already sent still holds. After a lock is lifted the
//! document gets a fresh PIN of its own. The PIN exists in clear only here and in the outbox row until
//! the gateway accepts the message.

use abholbox_core::document::DocumentKind;
use abholbox_core::personal::ThirdFactor;
use abholbox_store::{MessageFields, NewOutboxMessage, PickupRecord, Tx};
use chrono::DateTime;
use chrono::format::StrftimeItems;
use chrono_tz::Tz;

use crate::{Error, Result, Service};

/// The texts a message is built from, in the citizen's language.
struct Texts {
    document: String,
    site: String,
    deadline: String,
    /// The sentence with the site's opening hours, when the box is not open around the clock.
    hours: Option<String>,
}

fn document_key(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::IdCard => "document-id_card",
        DocumentKind::Passport => "document-passport",
        DocumentKind::ChildPassport => "document-child_passport",
        DocumentKind::ResidencePermit => "document-residence_permit",
    }
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
            let args = [
                ("document", texts.document.as_str()),
                ("site", texts.site.as_str()),
                ("deadline", texts.deadline.as_str()),
            ];
            ("ready_family", self.messages.text(pickup.language, "sms-ready-family", &args))
        };
        self.queue_sms(tx, pickup, purpose, with_hours(body, &texts)).await
    }

    /// Gives a pickup a fresh PIN, never the family's, and queues it: the old PIN stops working.
    pub(crate) async fn reissue_pin(&self, tx: &mut dyn Tx, pickup: &mut PickupRecord) -> Result<()> {
        let texts = self.texts(tx, pickup).await?;
        let pin = self.policy.pin.generate(&mut rand::rng());
        pickup.pin = Some(self.keys.hash_pin(&pin));
        let body = self.pin_text(pickup, "sms-new-pin", &texts, &pin);
        self.queue_sms(tx, pickup, "new_pin", with_hours(body, &texts)).await
    }

    /// Queues the SMS that an uncollected document has gone back to the counter.
    pub(crate) async fn notify_withdrawn(&self, tx: &mut dyn Tx, pickup: &PickupRecord) -> Result<()> {
        let texts = self.texts(tx, pickup).await?;
        let args = [("document", texts.document.as_str()), ("site", texts.site.as_str())];
        let body = self.messages.text(pickup.language, "sms-withdrawn", &args);
        self.queue_sms(tx, pickup, "withdrawn", body).await
    }

    /// The text that carries a PIN.
    fn pin_text(&self, pickup: &PickupRecord, key: &str, texts: &Texts, pin: &abholbox_core::pin::Pin) -> String {
        let args = [
            ("document", texts.document.as_str()),
            ("site", texts.site.as_str()),
            ("pin", pin.expose()),
            ("deadline", texts.deadline.as_str()),
        ];
        self.messages.text(pickup.language, key, &args)
    }

    async fn texts(&self, tx: &mut dyn Tx, pickup: &PickupRecord) -> Result<Texts> {
        let site = tx.site(&pickup.site).await?.ok_or(Error::NotFound("site"))?;
        let lang = pickup.language;
        let tz: Tz = site.time_zone.parse().unwrap_or(chrono_tz::Europe::Berlin);
        let deadline = pickup.deadline.unwrap_or_else(|| self.clock.now()).with_timezone(&tz);
        let date_format = self.messages.text(lang, "date-format", &[]);
        let hours = crate::hours::hours_of(&site)?.rule().map(|rule| {
            let hours = self.messages.hours(lang, rule);
            self.messages.text(lang, "sms-hours", &[("hours", hours.as_str())])
        });
        Ok(Texts {
            document: self.messages.text(lang, document_key(pickup.document_kind), &[]),
            site: site.name,
            deadline: format_date(deadline, &date_format),
            hours,
        })
    }

    async fn queue_sms(
        &self,
        tx: &mut dyn Tx,
        pickup: &PickupRecord,
        purpose: &'static str,
        body: String,
    ) -> Result<()> {
        let now = self.clock.now();
        let personal = self.personal_data(tx, &pickup.id).await?.ok_or(Error::NotFound("personal data"))?;
        tx.enqueue(&NewOutboxMessage {
            pickup: pickup.id.clone(),
            purpose,
            sealed: self.seal_message(&pickup.id, &MessageFields { recipient: personal.phone, body })?,
            not_before: now,
            created_at: now,
        })
        .await?;
        Ok(())
    }
}

/// A message that sends the citizen to the box, with the site's hours when it keeps any.
fn with_hours(body: String, texts: &Texts) -> String {
    match &texts.hours {
        Some(hours) => format!("{body} {hours}"),
        None => body,
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
