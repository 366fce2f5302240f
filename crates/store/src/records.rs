//! What the store keeps, as plain records of domain types.

use abholbox_core::compartment::{CompartmentState, Defect, SizeClass};
use abholbox_core::document::DocumentKind;
use abholbox_core::ids::{BoxId, CompartmentNo, PanelId, PickupId, SessionId, SiteId, SlotNo};
use abholbox_core::kiosk::SessionState;
use abholbox_core::language::Language;
use abholbox_core::personal::ThirdFactor;
use abholbox_core::pickup::{Attention, PickupState, PickupStatus};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteRecord {
    pub id: SiteId,
    pub name: String,
    pub address: String,
    pub time_zone: String,
    /// The citizens' office's hours in OpenStreetMap `opening_hours` syntax; none means always open.
    pub opening_hours: Option<String>,
    /// The federal state whose public holidays close the site (`NW`, `BE`, …).
    pub holiday_state: String,
    /// The box stands in a room of its own and can be used at any hour, whatever the office's hours.
    pub open_24_7: bool,
    /// A second staff member confirms each loading and service opening with their own sign-in.
    pub four_eyes: bool,
    /// The counter's phone number as citizens dial it, for the panel's help screen.
    pub counter_phone: Option<String>,
    /// The kinds of document whose PIN letter the citizen confirms at the panel (ID cards: the eID
    /// PIN letter).
    pub pin_letter_kinds: Vec<abholbox_core::document::DocumentKind>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxRecord {
    pub id: BoxId,
    pub site: SiteId,
    pub name: String,
    /// Which driver runs the box (`simulated` for now).
    pub driver: String,
}

/// A box with its compartments counted by state, for listings that must not load every compartment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxSummary {
    pub record: BoxRecord,
    pub compartments: u32,
    pub free: u32,
    /// Free and within reach from a wheelchair.
    pub free_within_reach: u32,
    pub defective: u32,
    /// The highest compartment number (0 without compartments): what a driver must address.
    pub last_compartment: u32,
}

/// A compartment to write: what the layout defines, nothing of its use.
pub type NewCompartment = abholbox_core::layout::CompartmentSpec;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompartmentRecord {
    pub box_id: BoxId,
    pub number: CompartmentNo,
    pub label: String,
    pub module: String,
    pub row: u32,
    pub column: u32,
    pub size: SizeClass,
    pub within_reach: bool,
    pub state: CompartmentState,
    /// Why a defective compartment is out of use.
    pub defect: Option<Defect>,
    pub pickup: Option<PickupId>,
}

impl CompartmentRecord {
    /// What the layout defined for this compartment, for reading the layout back.
    pub fn spec(&self) -> NewCompartment {
        NewCompartment {
            number: self.number,
            label: self.label.clone(),
            module: self.module.clone(),
            row: self.row,
            column: self.column,
            size: self.size,
            within_reach: self.within_reach,
        }
    }
}

/// A touch panel of a box and the document slot beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelRecord {
    pub box_id: BoxId,
    pub id: PanelId,
    pub reader_slot: SlotNo,
}

/// A keyed hash and the id of the key that made it, so keys can rotate.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyedHash {
    pub key_id: String,
    pub hash: Vec<u8>,
}

impl std::fmt::Debug for KeyedHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyedHash({}, [redacted])", self.key_id)
    }
}

/// Personal data as stored: encrypted and authenticated by the service under its `data` key, which
/// is kept outside the database. The store keeps it without being able to read it; the key id lets
/// keys rotate.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub bytes: Vec<u8>,
}

/// The key id of a value written before personal data was sealed: its bytes are the plain JSON
/// payload, read from the old clear columns, for the service to seal again at start.
pub const CLEAR_KEY_ID: &str = "clear";

impl Sealed {
    /// A stored value from its columns: the sealed bytes, or, for a value from before sealing (key id
    /// [`CLEAR_KEY_ID`]), its clear columns read by `clear`, in the form the service seals.
    pub fn from_columns<T: serde::Serialize, E>(
        key_id: String,
        sealed: Option<Vec<u8>>,
        clear: impl FnOnce() -> Result<T, E>,
    ) -> Result<Option<Sealed>, E> {
        if key_id != CLEAR_KEY_ID {
            return Ok(sealed.map(|bytes| Sealed { key_id, bytes }));
        }
        let fields = clear()?;
        Ok(serde_json::to_vec(&fields).ok().map(|bytes| Sealed { key_id, bytes }))
    }
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealed({}, {} bytes)", self.key_id, self.bytes.len())
    }
}

/// What a pickup's sealed personal data holds once opened. The serialised form is what is sealed.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PersonalFields {
    pub phone: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_document_number: Option<String>,
}

/// What an unsent SMS's sealed part holds once opened.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MessageFields {
    pub recipient: String,
    pub body: String,
}

/// What an old document's sealed record holds once opened.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OldDocumentFields {
    pub document_number: String,
}

/// The tables that hold sealed values, so one job can seal them again under a new key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedTable {
    PersonalData,
    Outbox,
    OldDocuments,
}

impl SealedTable {
    pub const ALL: [SealedTable; 3] = [Self::PersonalData, Self::Outbox, Self::OldDocuments];

    /// Bound into each value's authentication, so that a value moved to another table or another
    /// pickup's row does not open.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PersonalData => "personal_data",
            Self::Outbox => "outbox",
            Self::OldDocuments => "old_documents",
        }
    }
}

/// One sealed value with the row it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedRow {
    /// The row's own id: the pickup id for personal data, the row number otherwise.
    pub row: String,
    pub pickup: PickupId,
    pub sealed: Sealed,
}

/// The PIN as stored: a salted keyed hash. A family's pickups share one.
#[derive(Clone, PartialEq, Eq)]
pub struct PinHash {
    pub key_id: String,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

impl PinHash {
    /// Names this drawing of a PIN without saying anything of it (its random salt, hex): a kiosk
    /// session keeps it to notice a PIN sent anew while it runs.
    pub fn issue(&self) -> String {
        self.salt.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl std::fmt::Debug for PinHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PinHash({}, [redacted])", self.key_id)
    }
}

/// A family's PIN as [`crate::Tx::family_pin`] decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyPin {
    pub pin: PinHash,
    /// Whether the PIN offered became the family's: its SMS carries it. Otherwise the family's PIN,
    /// sent with an earlier document, holds.
    pub new: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickupRecord {
    pub id: PickupId,
    pub reference: String,
    pub site: SiteId,
    pub document_kind: DocumentKind,
    /// The new document's number; may be unknown until the document is produced.
    pub document_number: Option<String>,
    pub third_factor: ThirdFactor,
    pub language: Language,
    pub low_compartment: bool,
    pub status: PickupStatus,
    pub box_id: Option<BoxId>,
    pub compartment: Option<CompartmentNo>,
    pub locked: bool,
    pub failed_pin_attempts: u32,
    pub failed_third_factor_attempts: u32,
    pub claimed_by: Option<SessionId>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub door_opened_at: Option<DateTime<Utc>>,
    pub phone_hash: Option<KeyedHash>,
    pub pin: Option<PinHash>,
    pub ready_at: Option<DateTime<Utc>>,
    pub deadline: Option<DateTime<Utc>>,
    /// The proof of hand-over: when the door closed after the citizen's claim.
    pub collected_at: Option<DateTime<Utc>>,
    /// When staff had the compartment opened to take the document out; cleared when its door closed.
    pub withdrawal_started_at: Option<DateTime<Utc>>,
    /// Set when staff must look at the pickup (e.g. `handover_unconfirmed` after a crash).
    pub attention: Option<Attention>,
    /// The server process whose driver opened its compartment for a loading, a hand-over or a
    /// withdrawal: after a restart, the one that takes up what was left in flight.
    pub handled_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Bumped by every write; a write names the version it read.
    pub version: i64,
}

impl PickupRecord {
    /// The part the state machine looks at.
    pub fn state(&self) -> PickupState {
        PickupState {
            status: self.status,
            in_box: self.compartment.is_some(),
            locked: self.locked,
            claimed_by: self.claimed_by.clone(),
            withdrawing: self.withdrawal_started_at.is_some(),
            failed_pins: self.failed_pin_attempts,
            failed_third_factors: self.failed_third_factor_attempts,
            deadline: self.deadline,
            attention: self.attention,
        }
    }
}

/// The personal data of one pickup, sealed, in one row so it is encrypted and erased in one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalRecord {
    pub pickup: PickupId,
    pub sealed: Sealed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: SessionId,
    pub box_id: BoxId,
    pub token_id: String,
    /// The panel the session runs on: what its slot reads reaches this session only.
    pub panel: PanelId,
    pub state: SessionState,
    /// The keyed hash of the phone number typed, between the phone and the PIN step.
    pub phone_hash: Option<KeyedHash>,
    /// The last refused input, for the panel to explain (`phone_or_pin_wrong`, `old_document_rejected`).
    pub last_error: Option<String>,
    /// The language the citizen chose on the start screen; the panel speaks it for the whole session.
    pub language: abholbox_core::language::PanelLanguage,
    pub created_at: DateTime<Utc>,
    pub version: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The registry software: registers pickups and loads boxes.
    Integration,
    /// One kiosk panel, bound to its box.
    Kiosk,
    /// IT and supervisors managing sites and boxes.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Integration => "integration",
            Self::Kiosk => "kiosk",
            Self::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "integration" => Some(Self::Integration),
            "kiosk" => Some(Self::Kiosk),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// An API token as stored: only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: String,
    pub role: Role,
    pub box_id: Option<BoxId>,
    /// The panel a kiosk token drives.
    pub panel: Option<PanelId>,
    pub hash: Vec<u8>,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What the audit log view asks for; every part is optional, newest entries first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// A box or pickup id: entries about it, or by its kiosks and hardware.
    pub mention: Option<String>,
    /// The actor exactly as recorded (`staff:stf_…`, `token:…`, `kiosk:…`).
    pub actor: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Entries older than this id (the next page).
    pub before_id: Option<i64>,
    /// Only entries about these sites: their boxes, pickups, alarms and kiosk sessions, or the site
    /// itself (a supervisor's part of the log). `None`: the whole log, staff and tokens included.
    pub sites: Option<Vec<SiteId>>,
    pub limit: u32,
}

/// A compartment opened for service by a supervisor, with their reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewServiceOpening {
    pub box_id: BoxId,
    pub compartment: CompartmentNo,
    /// Staff account ids.
    pub opened_by: String,
    pub witnessed_by: Option<String>,
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// An old document in a box's bin, its number sealed ([`OldDocumentFields`]).
#[derive(Clone, PartialEq, Eq)]
pub struct BinItem {
    pub id: i64,
    pub pickup: PickupId,
    pub sealed: Sealed,
    pub taken_at: DateTime<Utc>,
}

impl std::fmt::Debug for BinItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BinItem({}, {}, [redacted])", self.id, self.pickup)
    }
}

/// An emptying of a box's bin as it is to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBinEmptying {
    pub box_id: BoxId,
    pub at: DateTime<Utc>,
    /// Staff account ids.
    pub emptied_by: String,
    pub countersigned_by: String,
    /// What the two counted in the bin.
    pub counted: u32,
}

/// A recorded emptying: the destruction record's head. `expected` is what the box had taken in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinEmptyingRecord {
    pub id: i64,
    pub box_id: BoxId,
    pub emptied_at: DateTime<Utc>,
    pub emptied_by: String,
    pub countersigned_by: String,
    pub counted: u32,
    pub expected: u32,
}

/// A signed-in staff member's session. Only the hash of the cookie's secret is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffSessionRecord {
    pub id: Vec<u8>,
    pub staff_id: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// A staff member's account. The password is kept only as an Argon2id hash in PHC form.
#[derive(Clone, PartialEq, Eq)]
pub struct StaffRecord {
    pub id: String,
    /// The sign-in name, lower case.
    pub name: String,
    pub role: abholbox_core::staff::StaffRole,
    pub sites: Vec<SiteId>,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
    /// Failed sign-ins since the last good one, and when the last failed.
    pub failed_sign_ins: u32,
    pub last_failed_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for StaffRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffRecord")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("sites", &self.sites)
            .field("password_hash", &"[redacted]")
            .field("disabled_at", &self.disabled_at)
            .field("failed_sign_ins", &self.failed_sign_ins)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub pickup: PickupId,
    /// A name from `abholbox_core::pickup::EventKind`.
    pub kind: &'static str,
    pub at: DateTime<Utc>,
    pub data: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    pub cursor: i64,
    pub pickup: PickupId,
    pub kind: String,
    pub at: DateTime<Utc>,
    pub data: serde_json::Value,
}

/// A message to send, written in the same transaction as the change that causes it.
#[derive(Clone, PartialEq, Eq)]
pub struct NewOutboxMessage {
    /// Random and unique across installations: what gateways and their reports name the message by.
    pub message_id: String,
    /// What the message costs, counted when it is written.
    pub segments: u32,
    pub pickup: PickupId,
    /// What the message is for (`ready`, `ready_family`), for staff and metrics.
    pub purpose: &'static str,
    /// Recipient and text ([`MessageFields`]), erased once the gateway accepted the message.
    pub sealed: Sealed,
    pub not_before: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for NewOutboxMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NewOutboxMessage({}, {}, [redacted])", self.pickup, self.purpose)
    }
}

/// A leased outbox message with what the gateway needs.
#[derive(Clone, PartialEq, Eq)]
pub struct OutboxRecord {
    pub id: i64,
    pub message_id: String,
    /// Since when it is due to be sent (after quiet hours, on a reminder's day): a message is given
    /// up counting from here, not from when it was written.
    pub due_at: DateTime<Utc>,
    pub pickup: PickupId,
    pub purpose: String,
    pub sealed: Sealed,
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for OutboxRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OutboxRecord({}, {}, attempt {}, [redacted])", self.id, self.purpose, self.attempts)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEntry {
    pub at: DateTime<Utc>,
    /// Who acted: `token:<id>`, `kiosk:<box>`, `box:<box>`, `system`.
    pub actor: String,
    pub action: &'static str,
    pub object: String,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub detail: serde_json::Value,
    /// Its place in the chain, once chained.
    pub position: Option<i64>,
    /// The keyed hash that chains it to the entry before, once chained.
    pub link: Option<KeyedHash>,
    /// The keyed hash the service sealed it with when it was written, and the nonce sealed with it.
    pub seal: Option<KeyedHash>,
    pub nonce: Option<Vec<u8>>,
}

impl NewAuditEntry {
    /// The bytes its seal covers: everything it says and a random nonce of its own (so that a copy
    /// of an entry is told apart from the entry), as [`AuditRecord::canonical_entry`] reads them
    /// back (the time to the microsecond; the stores keep it truncated so).
    pub fn canonical_entry(&self, nonce: &[u8]) -> Vec<u8> {
        canonical(self.at, &self.actor, self.action, &self.object, &self.detail, Err(nonce))
    }
}

/// Seals audit entries as the store writes them: a keyed hash made by the service (which holds the
/// key), so that a row written into the log by anyone else is told apart and never chained.
pub type AuditSealer = std::sync::Arc<dyn Fn(&[u8]) -> KeyedHash + Send + Sync>;

/// Where a store keeps its [`AuditSealer`], shared with its transactions.
#[derive(Clone, Default)]
pub struct AuditSeal(std::sync::Arc<std::sync::OnceLock<AuditSealer>>);

impl AuditSeal {
    /// Sets the sealer once; later calls keep the first (every service of a process has the same keys).
    pub fn set(&self, sealer: AuditSealer) {
        let _ = self.0.set(sealer);
    }

    /// A fresh nonce for `entry` and its seal over both; `None` before a sealer is set.
    pub fn seal(&self, entry: &NewAuditEntry) -> Option<(Vec<u8>, KeyedHash)> {
        let sealer = self.0.get()?;
        let mut nonce = vec![0u8; 16];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut nonce);
        let seal = sealer(&entry.canonical_entry(&nonce));
        Some((nonce, seal))
    }
}

impl std::fmt::Debug for AuditSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditSeal(set: {})", self.0.get().is_some())
    }
}

fn canonical(
    at: DateTime<Utc>,
    actor: &str,
    action: &str,
    object: &str,
    detail: &serde_json::Value,
    position_or_nonce: Result<i64, &[u8]>,
) -> Vec<u8> {
    let at = at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    let entry = match position_or_nonce {
        Ok(p) => serde_json::json!([p, at, actor, action, object, sorted(detail)]),
        Err(nonce) => serde_json::json!([hex_of(nonce), at, actor, action, object, sorted(detail)]),
    };
    entry.to_string().into_bytes()
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl AuditRecord {
    /// The bytes its seal covers; see [`NewAuditEntry::canonical_entry`].
    pub fn canonical_entry(&self) -> Vec<u8> {
        canonical(
            self.at,
            &self.actor,
            &self.action,
            &self.object,
            &self.detail,
            Err(self.nonce.as_deref().unwrap_or_default()),
        )
    }

    /// The bytes its link covers: everything it says and its position, in one form that both
    /// backends give back alike (time to the microsecond, JSON with sorted keys).
    pub fn canonical(&self, position: i64) -> Vec<u8> {
        canonical(self.at, &self.actor, &self.action, &self.object, &self.detail, Ok(position))
    }
}

/// A JSON value with every object's keys in order, whatever order it was built or stored in.
fn sorted(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let ordered: std::collections::BTreeMap<&String, serde_json::Value> =
                map.iter().map(|(k, v)| (k, sorted(v))).collect();
            serde_json::to_value(ordered).unwrap_or(serde_json::Value::Null)
        }
        serde_json::Value::Array(items) => serde_json::Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// An old document that went into the box's bin for destruction.
#[derive(Clone, PartialEq, Eq)]
pub struct OldDocumentRecord {
    pub box_id: BoxId,
    pub pickup: PickupId,
    /// The document's number ([`OldDocumentFields`]), for the record of its destruction.
    pub sealed: Sealed,
    pub taken_at: DateTime<Utc>,
}

impl std::fmt::Debug for OldDocumentRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OldDocumentRecord({}, {}, [redacted])", self.box_id, self.pickup)
    }
}

/// Where an outbox message stands. The words are public: the pickup's view shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryState {
    /// Waiting to be sent (or retried).
    Queued,
    /// A gateway took it; no delivery report yet.
    Accepted,
    /// The network reported it delivered to the phone.
    Delivered,
    /// Refused for good, reported undeliverable, or not accepted in time: staff are told.
    Failed,
    /// Not sent, because its pickup was called off first.
    Dropped,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 5] = [Self::Queued, Self::Accepted, Self::Delivered, Self::Failed, Self::Dropped];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Accepted => "accepted",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Dropped => "dropped",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// The message a gateway's answer or report names: by row, by our message id, or by the id the
/// gateway gave it (SMPP receipts carry only that).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageRef<'a> {
    Row(i64),
    MessageId(&'a str),
    Gateway { gateway: &'a str, gateway_id: &'a str },
}

/// An outbox message's delivery state; the recipient and text are not part of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxStatus {
    pub id: i64,
    /// Ours, as gateways and their logs know it.
    pub message_id: String,
    pub purpose: String,
    pub state: DeliveryState,
    /// When it reached that state.
    pub state_at: Option<DateTime<Utc>>,
    pub segments: u32,
    /// The gateway that accepted it (`primary`, `secondary`, `demo`).
    pub gateway: Option<String>,
    pub attempts: u32,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Whether recipient or text are still stored (they are erased once the gateway accepted it).
    pub holds_content: bool,
    /// When it was dropped unsent (its pickup was called off).
    pub dropped_at: Option<DateTime<Utc>>,
}

/// What a door did, as reported by the box hardware.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoorMove {
    Opened,
    Closed,
}

impl DoorMove {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opened => "door_opened",
            Self::Closed => "door_closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "door_opened" => Some(Self::Opened),
            "door_closed" => Some(Self::Closed),
            _ => None,
        }
    }
}

/// A door event as it arrived, stored before it is acted on so that no restart or passing database
/// failure can lose the proof of a hand-over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBoxEvent {
    pub box_id: BoxId,
    pub door: DoorMove,
    pub compartment: CompartmentNo,
    pub at: DateTime<Utc>,
    /// At a close: what the item sensor saw inside; `None` without one.
    pub item_inside: Option<bool>,
}

/// A stored door event waiting to be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxEventRecord {
    pub id: i64,
    pub box_id: BoxId,
    pub door: DoorMove,
    pub compartment: CompartmentNo,
    pub at: DateTime<Utc>,
    pub item_inside: Option<bool>,
    pub attempts: u32,
}

/// An alarm for staff: something at a site, box or panel that a person should look at.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlarm {
    /// `panel_refusals` (one panel), `site_refusals` (all panels of a site), and the box's:
    /// `door_forced`, `lock_failed`, `door_left_open`, `document_left_inside`, `board_silent`,
    /// `handover_unconfirmed`, `deposit_unconfirmed`.
    pub kind: &'static str,
    pub site: SiteId,
    pub box_id: Option<BoxId>,
    pub panel: Option<PanelId>,
    pub compartment: Option<CompartmentNo>,
    pub at: DateTime<Utc>,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlarmRecord {
    pub id: i64,
    pub kind: String,
    pub site: SiteId,
    pub box_id: Option<BoxId>,
    pub panel: Option<PanelId>,
    pub compartment: Option<CompartmentNo>,
    pub raised_at: DateTime<Utc>,
    pub detail: serde_json::Value,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
}
