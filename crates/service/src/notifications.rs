//! The PIN and the ready SMS, written to the outbox in the transaction that makes a pickup ready.
//!
//! A family (several documents at one box for one phone number) shares one PIN: the first document's
//! SMS carries it, later ones say that the PIN already sent still holds. The PIN exists in clear only
//! here and in the outbox row until the gateway accepts the message.

use abholbox_core::document::DocumentKind;
use abholbox_core::personal::ThirdFactor;
use abholbox_store::{NewOutboxMessage, PickupRecord, Tx};
use chrono::DateTime;
use chrono::format::StrftimeItems;
use chrono_tz::Tz;

use crate::{Error, Result, Service};

fn document_key(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::IdCard => "document-id_card",
        DocumentKind::Passport => "document-passport",
        DocumentKind::ChildPassport => "document-child_passport",
        DocumentKind::ResidencePermit => "document-residence_permit",
    }
}

impl Service {
    /// Gives a pickup becoming ready its PIN hash (new, or the family's) and queues its SMS.
    pub(crate) async fn issue_pin(&self, tx: &mut dyn Tx, pickup: &mut PickupRecord) -> Result<()> {
        let now = self.clock.now();
        let personal = tx.personal_data(&pickup.id).await?.ok_or(Error::NotFound("personal data"))?;
        let box_id = pickup.box_id.clone().ok_or(Error::Contention)?;
        let phone_hash = pickup.phone_hash.clone().ok_or(Error::NotFound("phone"))?;
        let family = tx
            .ready_pickups_for_phone(&box_id, &phone_hash.hash)
            .await?
            .into_iter()
            .find(|p| p.id != pickup.id && !p.locked && p.pin.is_some());
        let site = tx.site(&pickup.site).await?.ok_or(Error::NotFound("site"))?;
        let lang = pickup.language;
        let tz: Tz = site.time_zone.parse().unwrap_or(chrono_tz::Europe::Berlin);
        let deadline = pickup.deadline.unwrap_or(now).with_timezone(&tz);
        let date_format = self.messages.text(lang, "date-format", &[]);
        let deadline_text = format_date(deadline, &date_format);
        let document = self.messages.text(lang, document_key(pickup.document_kind), &[]);
        let (purpose, body) = match family.and_then(|p| p.pin) {
            Some(shared) => {
                pickup.pin = Some(shared);
                let args = [
                    ("document", document.as_str()),
                    ("site", site.name.as_str()),
                    ("deadline", deadline_text.as_str()),
                ];
                ("ready_family", self.messages.text(lang, "sms-ready-family", &args))
            }
            None => {
                let pin = self.policy.pin.generate(&mut rand::rng());
                pickup.pin = Some(self.keys.hash_pin(&pin));
                let key = match pickup.third_factor {
                    ThirdFactor::OldDocument => "sms-ready",
                    ThirdFactor::BirthDate => "sms-ready-birth-date",
                };
                let args = [
                    ("document", document.as_str()),
                    ("site", site.name.as_str()),
                    ("pin", pin.expose()),
                    ("deadline", deadline_text.as_str()),
                ];
                ("ready", self.messages.text(lang, key, &args))
            }
        };
        tx.enqueue(&NewOutboxMessage {
            pickup: pickup.id.clone(),
            purpose,
            recipient: personal.phone_e164,
            body,
            not_before: now,
            created_at: now,
        })
        .await?;
        Ok(())
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
