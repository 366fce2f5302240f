//! Personal data: the one module that seals, opens and seals again phone numbers, birth dates, old
//! document numbers and the recipient and text of unsent SMS.
//!
//! Values are sealed with an AEAD cipher (XChaCha20-Poly1305) under the `data` key, which lives in
//! the key file outside the database, so a copy of the database, its write-ahead log or a backup
//! reveals none of them. Each value authenticates its table and pickup, so one moved to another row
//! does not open. Erasing is deleting the row (see [`abholbox_store::Tx::erase_personal_data`]);
//! SQLite's secure deletion then overwrites the freed bytes.

use abholbox_core::ids::PickupId;
use abholbox_core::phone::PhoneNumber;
use abholbox_store::{
    MessageFields, OldDocumentFields, OutboxRecord, PersonalFields, PersonalRecord, Sealed, SealedRow, SealedTable, Tx,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::secrets::SealError;
use crate::{Error, Result, Service};

/// How many values one transaction seals again.
const RESEAL_BATCH: u32 = 200;

fn context(table: SealedTable, pickup: &PickupId) -> Vec<u8> {
    [table.as_str().as_bytes(), b"\0", pickup.as_str().as_bytes()].concat()
}

impl Service {
    fn seal<T: Serialize>(&self, table: SealedTable, pickup: &PickupId, fields: &T) -> Result<Sealed> {
        let plain = serde_json::to_vec(fields).map_err(|_| Error::Sealed(SealError::Form))?;
        Ok(self.keys.seal(&context(table, pickup), &plain)?)
    }

    fn open<T: DeserializeOwned>(&self, table: SealedTable, pickup: &PickupId, sealed: &Sealed) -> Result<T> {
        let plain = self.keys.open(&context(table, pickup), sealed)?;
        serde_json::from_slice(&plain).map_err(|_| Error::Sealed(SealError::Form))
    }

    /// A new pickup's personal data, sealed for storing.
    pub(crate) fn seal_personal(&self, pickup: &PickupId, fields: &PersonalFields) -> Result<PersonalRecord> {
        Ok(PersonalRecord { pickup: pickup.clone(), sealed: self.seal(SealedTable::PersonalData, pickup, fields)? })
    }

    /// A pickup's personal data, opened; `None` once it has been erased.
    pub(crate) async fn personal_data(&self, tx: &mut dyn Tx, pickup: &PickupId) -> Result<Option<PersonalFields>> {
        match tx.personal_data(pickup).await? {
            Some(record) => Ok(Some(self.open_personal(&record)?)),
            None => Ok(None),
        }
    }

    /// A personal data record already read, opened: for a change sealed again only if the record is
    /// still the one read.
    pub(crate) fn open_personal(&self, record: &PersonalRecord) -> Result<PersonalFields> {
        self.open(SealedTable::PersonalData, &record.pickup, &record.sealed)
    }

    pub(crate) fn seal_message(&self, pickup: &PickupId, fields: &MessageFields) -> Result<Sealed> {
        self.seal(SealedTable::Outbox, pickup, fields)
    }

    pub(crate) fn open_message(&self, message: &OutboxRecord) -> Result<MessageFields> {
        self.open(SealedTable::Outbox, &message.pickup, &message.sealed)
    }

    /// An old document's number, for the bin's list and the destruction record.
    pub(crate) fn open_old_document(&self, item: &abholbox_store::BinItem) -> Result<String> {
        let fields: OldDocumentFields = self.open(SealedTable::OldDocuments, &item.pickup, &item.sealed)?;
        Ok(fields.document_number)
    }

    pub(crate) fn seal_old_document(&self, pickup: &PickupId, number: &str) -> Result<Sealed> {
        self.seal(SealedTable::OldDocuments, pickup, &OldDocumentFields { document_number: number.to_owned() })
    }

    /// Seals every value not under the current data key again under it: values from before sealing
    /// (their clear columns are emptied) and those sealed under a key that has since been replaced.
    /// Run at start; returns how many values it sealed again.
    pub async fn reseal_under_current_key(&self) -> Result<u64> {
        let current = self.keys.data_key_id().to_owned();
        let mut resealed = 0;
        for table in SealedTable::ALL {
            loop {
                let mut tx = self.store.begin().await?;
                let rows = tx.sealed_not_under(table, &current, RESEAL_BATCH).await?;
                if rows.is_empty() {
                    break;
                }
                for row in &rows {
                    let plain = self.keys.open(&context(table, &row.pickup), &row.sealed)?;
                    let again =
                        SealedRow { sealed: self.keys.seal(&context(table, &row.pickup), &plain)?, ..row.clone() };
                    if tx.reseal(table, &again, &row.sealed).await? {
                        resealed += 1;
                    }
                }
                tx.commit().await?;
            }
        }
        if resealed > 0 {
            tracing::info!(resealed, key = %current, "personal data sealed again under the current data key");
        }
        Ok(resealed)
    }

    /// Hashes the phone numbers of waiting pickups again under the current lookup key (from their
    /// sealed personal data), so that a new lookup key leaves no citizen's number unknown at the panel.
    /// Run at start; returns how many pickups it moved.
    pub async fn rekey_phone_lookups(&self) -> Result<u64> {
        let current = self.keys.lookup_key_id().to_owned();
        let mut moved = 0;
        loop {
            let mut tx = self.store.begin().await?;
            let pickups = tx.pickups_with_phone_not_under(&current, RESEAL_BATCH).await?;
            if pickups.is_empty() {
                break;
            }
            for p in &pickups {
                let Some(from) = &p.phone_hash else { continue };
                let phone = self
                    .personal_data(tx.as_mut(), &p.id)
                    .await?
                    .and_then(|d| PhoneNumber::parse(&d.phone).ok())
                    .ok_or(Error::Inconsistent("a phone lookup hash without its phone number"))?;
                if tx.rekey_phone(&p.id, from, &self.keys.phone_lookup(&phone)).await? {
                    moved += 1;
                }
            }
            tx.commit().await?;
        }
        if moved > 0 {
            tracing::info!(moved, key = %current, "phone lookups hashed again under the current lookup key");
        }
        Ok(moved)
    }
}
