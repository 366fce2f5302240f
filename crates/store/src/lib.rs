//! Storage behind one trait, so that SQLite (one box) and PostgreSQL (a city) are interchangeable.
//!
//! The use cases own the transaction boundary: they open a [`Tx`], read and change what a state change
//! touches (the pickup, its compartment, the event feed, the outbox, the audit log), and commit once.
//! Backends keep their dialect to themselves; nothing above this crate sees SQL. Every write that
//! decides a race is conditional (`… WHERE version = ?`) and reports whether it won, so exactly-once
//! holds on any backend and under any isolation level.

mod changes;
#[cfg(feature = "conformance")]
pub mod conformance;
mod error;
mod records;
mod settle;

pub use changes::{Changes, WriteHold};
pub use error::{Rule, StoreError};
pub use records::*;
/// Re-exported for the backends, which read sealed values' clear columns of before sealing.
pub use serde::Serialize;
pub use settle::{settled, wait_before_answering};

use abholbox_core::compartment::{Candidate, CompartmentState, Defect};
use abholbox_core::ids::{BoxId, CompartmentNo, PanelId, PickupId, SessionId, SiteId};
use abholbox_core::kiosk::Step;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A database holding abholbox's state.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Starts a write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`), so
    /// a transaction that reads before it writes never fails halfway with a stale snapshot.
    async fn begin(&self) -> Result<Box<dyn Tx>>;
    /// Where the service puts the sealer its transactions seal audit entries with.
    fn audit_seal(&self) -> &AuditSeal;

    /// Whether the database answers; for `/healthz`.
    async fn ping(&self) -> Result<()>;

    /// Waiters for changes, woken after each commit that touched their key (in this process).
    fn changes(&self) -> &Changes;

    /// Waits for open connections to finish and closes them, so the database can be reopened or
    /// dropped at once.
    async fn close(&self);

    /// A setting of the installation that every server must agree on: `value` is stored if the setting
    /// has none yet, and the stored value is returned.
    async fn agree_on(&self, name: &str, value: &str) -> Result<String>;
    /// Changes an agreed setting from `from` to `to`; returns whether it held `from`. For changes
    /// every server must follow, such as a new key in the key file.
    async fn change_agreed(&self, name: &str, from: &str, to: &str) -> Result<bool>;

    /// Holds the name of this server process among those sharing the database, for as long as the
    /// store is open; `false` when another live process holds it. A single-server backend always holds it.
    async fn hold_server_name(&self, name: &str) -> Result<bool>;

    async fn sites(&self) -> Result<Vec<SiteRecord>>;
    async fn boxes(&self) -> Result<Vec<BoxRecord>>;
    /// The boxes with their compartments counted in the database: one row per box.
    async fn box_summaries(&self) -> Result<Vec<BoxSummary>>;
    async fn compartments(&self, box_id: &BoxId) -> Result<Vec<CompartmentRecord>>;
    async fn compartment(&self, box_id: &BoxId, number: CompartmentNo) -> Result<Option<CompartmentRecord>>;
    async fn panels(&self, box_id: &BoxId) -> Result<Vec<PanelRecord>>;
    async fn pickup(&self, id: &PickupId) -> Result<Option<PickupRecord>>;
    /// The pickups whose document is in one of the box's compartments or on its way in.
    async fn pickups_in_box(&self, box_id: &BoxId) -> Result<Vec<PickupRecord>>;
    /// The old documents in a box's bin since its last emptying, oldest first.
    async fn bin_contents(&self, box_id: &BoxId) -> Result<Vec<BinItem>>;
    /// An emptying with the documents it took out (those retention has not removed yet).
    async fn bin_emptying(&self, id: i64) -> Result<Option<(BinEmptyingRecord, Vec<BinItem>)>>;
    /// A compartment's door movements, newest first: its history on the box view.
    async fn compartment_history(
        &self,
        box_id: &BoxId,
        number: CompartmentNo,
        limit: u32,
    ) -> Result<Vec<BoxEventRecord>>;
    /// A box's emptyings, newest first.
    async fn bin_emptyings(&self, box_id: &BoxId, limit: u32) -> Result<Vec<BinEmptyingRecord>>;
    /// Every token ever made, newest first (hashes included; never shown).
    async fn tokens(&self) -> Result<Vec<TokenRecord>>;
    /// Every staff account, by name.
    async fn staff_members(&self) -> Result<Vec<StaffRecord>>;
    /// A staff account by id.
    async fn staff_by_id(&self, id: &str) -> Result<Option<StaffRecord>>;
    async fn session(&self, id: &SessionId) -> Result<Option<SessionRecord>>;
    async fn token_by_hash(&self, hash: &[u8]) -> Result<Option<TokenRecord>>;
    /// A staff member by sign-in name (lower case).
    async fn staff_by_name(&self, name: &str) -> Result<Option<StaffRecord>>;
    /// A signed-in staff session by the hash of its secret, with its account as it reads now.
    async fn staff_session(&self, id: &[u8]) -> Result<Option<(StaffSessionRecord, StaffRecord)>>;
    async fn token(&self, id: &str) -> Result<Option<TokenRecord>>;
    async fn events_after(&self, cursor: i64, limit: u32) -> Result<Vec<EventRecord>>;
    /// One pickup's history, oldest first.
    async fn events_of_pickup(&self, pickup: &PickupId) -> Result<Vec<EventRecord>>;
    async fn audit_entries(&self, limit: u32) -> Result<Vec<AuditRecord>>;
    /// Audit entries by filter, newest first.
    async fn audit_search(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>>;
    /// Chained audit entries after `position`, in chain order: what `abholbox audit verify` reads.
    async fn audit_chain(&self, after_position: i64, limit: u32) -> Result<Vec<AuditRecord>>;
    /// How many audit entries are not chained yet.
    async fn audit_unchained_count(&self) -> Result<i64>;
    /// The first audit entry whose seal another, earlier entry has too: a copy.
    async fn audit_repeated_seal(&self) -> Result<Option<i64>>;
    /// Alarms not acknowledged yet, oldest first.
    async fn open_alarms(&self) -> Result<Vec<AlarmRecord>>;

    /// What the outbox holds for a pickup, without recipients or texts: for staff and checks.
    async fn outbox_for_pickup(&self, pickup: &PickupId) -> Result<Vec<OutboxStatus>>;

    /// Leases the oldest due outbox message for `lease` so that one sender at a time works on it;
    /// a sender that dies loses the lease and the message is sent again by the next.
    async fn lease_outbox(&self, now: DateTime<Utc>, lease_until: DateTime<Utc>) -> Result<Option<OutboxRecord>>;
    /// Records that `gateway` accepted the message under `gateway_id` and erases its recipient and
    /// text. A message given up meanwhile stays given up.
    async fn outbox_sent(&self, id: i64, at: DateTime<Utc>, gateway: &str, gateway_id: &str) -> Result<()>;
    /// Records a delivery report; true when it moved a message to delivered. A report may overtake
    /// our own record of the gateway's acceptance (Kannel reports within milliseconds), so a queued
    /// message takes it too; its recipient and text are erased, and it is never sent again.
    async fn outbox_delivered(&self, message: MessageRef<'_>, at: DateTime<Utc>) -> Result<bool>;
    /// Records a failed attempt and when to try again.
    async fn outbox_retry(&self, id: i64, error: &str, next_attempt: DateTime<Utc>) -> Result<()>;

    /// Door events not yet applied (nor given up), oldest first.
    async fn pending_box_events(&self, limit: u32) -> Result<Vec<BoxEventRecord>>;
    /// Counts a failed attempt to apply a door event; it stays pending.
    async fn box_event_attempt_failed(&self, id: i64, error: &str) -> Result<()>;
    /// Gives up on a door event that can never apply (a bug, not a passing failure); it stays stored.
    async fn box_event_given_up(&self, id: i64, at: DateTime<Utc>, error: &str) -> Result<()>;
}

/// One write transaction. Dropped without [`Tx::commit`], it rolls back: nothing half-written.
#[async_trait]
pub trait Tx: Send {
    async fn commit(self: Box<Self>) -> Result<()>;

    async fn upsert_site(&mut self, site: &SiteRecord) -> Result<()>;
    /// Removes the box's free, empty compartments whose numbers are not in `keep`; returns the numbers
    /// of those not in `keep` that remain because they are in use. Conditional, so a compartment taken
    /// meanwhile is never removed.
    async fn remove_free_compartments(&mut self, box_id: &BoxId, keep: &[CompartmentNo]) -> Result<Vec<CompartmentNo>>;
    /// A box's compartments as this transaction sees them.
    async fn compartments(&mut self, box_id: &BoxId) -> Result<Vec<CompartmentRecord>>;
    /// Creates a box with its compartments and panels. An existing compartment keeps its state, and
    /// takes the new label, place and size only while it is free and empty: one that holds or expects
    /// a document is never changed under it. Labels may move between free compartments in either
    /// direction. Panels are replaced by the ones given.
    async fn upsert_box(
        &mut self,
        b: &BoxRecord,
        compartments: &[NewCompartment],
        panels: &[PanelRecord],
    ) -> Result<()>;
    async fn site(&mut self, id: &SiteId) -> Result<Option<SiteRecord>>;
    async fn box_record(&mut self, id: &BoxId) -> Result<Option<BoxRecord>>;

    async fn insert_token(&mut self, token: &TokenRecord) -> Result<()>;
    /// Adds a staff member; a name in use is `Conflict(Rule::StaffName)`.
    async fn insert_staff(&mut self, staff: &StaffRecord) -> Result<()>;
    /// Books a sign-in try as a failure before its password is checked, if the account's count is
    /// still `seen` (count, last failure): of tries that race on one count, one goes on. Sets the
    /// count to `failures` and the last failure to `at`; returns whether it did.
    async fn book_sign_in(
        &mut self,
        id: &str,
        seen: (u32, Option<DateTime<Utc>>),
        failures: u32,
        at: DateTime<Utc>,
    ) -> Result<bool>;
    /// Clears the failure count after a good sign-in.
    async fn clear_sign_in_failures(&mut self, id: &str) -> Result<()>;
    /// Sets a new password hash and ends the account's sessions; returns whether the account exists.
    async fn set_staff_password(&mut self, id: &str, password_hash: &str) -> Result<bool>;
    /// Changes an account's role, sites and whether it is disabled; a disabled account's sessions
    /// end. Returns whether the account exists.
    async fn update_staff(
        &mut self,
        id: &str,
        role: abholbox_core::staff::StaffRole,
        sites: &[SiteId],
        disabled_at: Option<DateTime<Utc>>,
    ) -> Result<bool>;
    /// The service opening that stands open at a compartment (its id), if any.
    async fn open_service_opening(&mut self, box_id: &BoxId, number: CompartmentNo) -> Result<Option<i64>>;
    /// Holds the compartment's row until the transaction ends, so that a service opening and a
    /// loading, claim or withdrawal of the same compartment, each checking the other first, run one
    /// after the other (PostgreSQL; SQLite's one writer does so anyway).
    async fn lock_compartment(&mut self, box_id: &BoxId, number: CompartmentNo) -> Result<()>;
    /// Records that a compartment is opened for service; returns its id.
    async fn insert_service_opening(&mut self, opening: &NewServiceOpening) -> Result<i64>;
    /// Ends a service opening (its door closed, or it never opened).
    async fn close_service_opening(&mut self, id: i64, at: DateTime<Utc>) -> Result<()>;
    /// Records an emptying: every old document in the box's bin now is marked as taken out by it.
    async fn record_bin_emptying(&mut self, emptying: &NewBinEmptying) -> Result<BinEmptyingRecord>;
    /// The id of the box's newest emptying (0: none yet), held until the transaction ends so that
    /// two emptyings that saw the same one cannot both be recorded.
    async fn newest_bin_emptying(&mut self, box_id: &BoxId) -> Result<i64>;
    async fn insert_staff_session(&mut self, session: &StaffSessionRecord) -> Result<()>;
    /// Records that a session was used at `at`.
    async fn touch_staff_session(&mut self, id: &[u8], at: DateTime<Utc>) -> Result<()>;
    /// Ends a session (sign-out, or found expired); returns whether it existed.
    async fn end_staff_session(&mut self, id: &[u8]) -> Result<bool>;
    /// Ends the sessions last used before `idle_since` or begun before `begun_since`; returns how many.
    async fn end_stale_staff_sessions(&mut self, idle_since: DateTime<Utc>, begun_since: DateTime<Utc>) -> Result<u64>;
    /// Revokes a token for good; returns whether a live token of that id existed.
    async fn revoke_token(&mut self, id: &str, at: DateTime<Utc>) -> Result<bool>;

    /// Inserts a pickup and its personal data. A second pickup with the same reference at a site, or
    /// an active one with the same document number, is a [`StoreError::Conflict`].
    async fn insert_pickup(&mut self, pickup: &PickupRecord, personal: &PersonalRecord) -> Result<()>;
    async fn pickup(&mut self, id: &PickupId) -> Result<Option<PickupRecord>>;
    async fn pickup_by_reference(&mut self, site: &SiteId, reference: &str) -> Result<Option<PickupRecord>>;
    /// The active pickup (not collected, withdrawn or cancelled) with this new-document number.
    async fn pickup_by_document_number(&mut self, site: &SiteId, number: &str) -> Result<Option<PickupRecord>>;
    /// The pickup a compartment currently holds or is being loaded with.
    async fn pickup_in_compartment(&mut self, box_id: &BoxId, number: CompartmentNo) -> Result<Option<PickupRecord>>;
    /// Ready pickups at a box for a phone lookup hash, in the order they became ready.
    async fn ready_pickups_for_phone(&mut self, box_id: &BoxId, phone_hash: &[u8]) -> Result<Vec<PickupRecord>>;
    /// The PIN of a family (the documents at a box for one phone number): `pin` becomes it unless the
    /// family has one that still opens a ready, unlocked document, which is returned instead. Decided
    /// by a unique key, so two documents of a family made ready at once get one PIN, on any backend.
    async fn family_pin(&mut self, box_id: &BoxId, phone_hash: &KeyedHash, pin: &PinHash) -> Result<FamilyPin>;
    /// Writes a pickup if nobody changed it since it was read at `pickup.version`; returns whether it
    /// won. The stored version is then `pickup.version + 1`.
    async fn update_pickup(&mut self, pickup: &PickupRecord) -> Result<bool>;
    /// Pickups left mid-hand-over or mid-loading, for the check after a restart.
    async fn pickups_in_flight(&mut self) -> Result<Vec<PickupRecord>>;
    /// Ready, unclaimed pickups whose deadline is at or before `now`.
    async fn pickups_due_to_expire(&mut self, now: DateTime<Utc>, limit: u32) -> Result<Vec<PickupRecord>>;
    /// Pickups still waiting for their document that were registered before `registered_before`,
    /// oldest first: opt-ins whose document never came.
    async fn pickups_never_loaded(&mut self, registered_before: DateTime<Utc>, limit: u32)
    -> Result<Vec<PickupRecord>>;

    async fn personal_data(&mut self, id: &PickupId) -> Result<Option<PersonalRecord>>;
    /// Erases what is personal about a pickup: its personal data row, phone hash and PIN material,
    /// and its family's PIN and phone hash at `family` (its box and phone hash as they were) unless
    /// another of the family's documents still waits under them.
    async fn erase_personal_data(&mut self, id: &PickupId, family: Option<(&BoxId, &KeyedHash)>) -> Result<()>;
    /// Forgets the family PIN of `phone` at `box_id` once no other waiting document of that number
    /// holds it: the pickup `id` ends, or its number was corrected and it left the family.
    async fn leave_family(&mut self, id: &PickupId, box_id: &BoxId, phone: &KeyedHash) -> Result<()>;
    /// Replaces the reference and document number of up to `limit` pickups that ended (collected,
    /// withdrawn, cancelled) before `ended_before` and still have theirs; returns how many.
    async fn pseudonymise_ended(&mut self, ended_before: DateTime<Utc>, at: DateTime<Utc>, limit: u32) -> Result<u64>;
    /// Deletes up to `limit` pickups that ended before `ended_before`, the oldest first, with their
    /// events, messages and old-document records; returns how many pickups.
    async fn delete_ended(&mut self, ended_before: DateTime<Utc>, limit: u32) -> Result<u64>;
    /// Deletes up to `limit` ended kiosk sessions begun before `before`, and door events handled
    /// before it; returns how many sessions.
    async fn delete_sessions(&mut self, before: DateTime<Utc>, limit: u32) -> Result<u64>;
    /// Up to `limit` sealed values of `table` that are not under the key `key_id` (including values
    /// from before sealing, under [`CLEAR_KEY_ID`]): what a key rotation still has to seal again.
    async fn sealed_not_under(&mut self, table: SealedTable, key_id: &str, limit: u32) -> Result<Vec<SealedRow>>;
    /// Up to `limit` pickups whose phone lookup hash was made with another key than `key_id`.
    async fn pickups_with_phone_not_under(&mut self, key_id: &str, limit: u32) -> Result<Vec<PickupRecord>>;
    /// Moves a pickup's phone lookup hash, and its family's PIN at the box, from `from` to `to` (the
    /// same number under a new lookup key); returns whether the pickup still had `from`.
    async fn rekey_phone(&mut self, pickup: &PickupId, from: &KeyedHash, to: &KeyedHash) -> Result<bool>;
    /// Replaces a sealed value (and any clear value it was made from); returns whether the row still
    /// held the value `row.sealed` was made from, so a value erased meanwhile stays erased.
    async fn reseal(&mut self, table: SealedTable, row: &SealedRow, was: &Sealed) -> Result<bool>;

    /// The box's free compartments by number; with `per_kind`, only that many of each size and reach,
    /// the lowest-numbered: all that choosing one needs while none of them is ruled out, without
    /// reading a 600-compartment box row by row inside the write transaction.
    async fn free_compartments(&mut self, box_id: &BoxId, per_kind: Option<u32>) -> Result<Vec<Candidate>>;
    /// Moves a compartment from one state to another if it is still in `from`; returns whether it did.
    async fn set_compartment_state(
        &mut self,
        box_id: &BoxId,
        number: CompartmentNo,
        from: CompartmentState,
        to: CompartmentState,
    ) -> Result<bool>;
    /// Takes a compartment out of use with the reason, if it is still in `from`; returns whether it did.
    async fn retire_compartment(
        &mut self,
        box_id: &BoxId,
        number: CompartmentNo,
        from: CompartmentState,
        defect: Defect,
    ) -> Result<bool>;
    async fn compartment(&mut self, box_id: &BoxId, number: CompartmentNo) -> Result<Option<CompartmentRecord>>;
    async fn panel(&mut self, box_id: &BoxId, id: &PanelId) -> Result<Option<PanelRecord>>;

    async fn insert_session(&mut self, session: &SessionRecord) -> Result<()>;
    async fn session(&mut self, id: &SessionId) -> Result<Option<SessionRecord>>;
    /// Like [`Tx::update_pickup`], for a kiosk session.
    async fn update_session(&mut self, session: &SessionRecord) -> Result<bool>;
    /// A panel's sessions that are still before `collect`: a new session on the same panel ends them.
    async fn open_sessions_of_panel(&mut self, box_id: &BoxId, panel: &PanelId) -> Result<Vec<SessionRecord>>;
    /// The open session on a panel waiting for an old document: the one that gets what its slot reads.
    async fn session_waiting_for_document(&mut self, box_id: &BoxId, panel: &PanelId) -> Result<Option<SessionRecord>>;
    /// Every session at a step, e.g. `collect` for the timeout sweep and the check after a restart.
    async fn sessions_at_step(&mut self, step: Step) -> Result<Vec<SessionRecord>>;

    /// Appends to the event feed. The event gets its cursor when the transaction commits: cursors
    /// grow in commit order without gaps, so a reader of [`Store::events_after`] that saw cursor `c`
    /// will never later find an event below `c` it has not seen.
    async fn append_event(&mut self, event: &NewEvent) -> Result<()>;
    async fn enqueue(&mut self, message: &NewOutboxMessage) -> Result<i64>;
    /// Gives a queued or accepted message up as failed, erasing its recipient and text; returns its
    /// pickup and purpose when it changed, so that the pickup is flagged in the same transaction.
    async fn outbox_failed(
        &mut self,
        message: MessageRef<'_>,
        at: DateTime<Utc>,
        error: &str,
    ) -> Result<Option<(PickupId, String)>>;
    /// Drops a pickup's messages that have not gone out, erasing their recipient and text; returns how
    /// many. A message a sender holds right now may still go out: the gateway is outside the transaction.
    /// With `purpose`, only messages for that purpose (a reminder once the document is out).
    async fn drop_unsent_messages(
        &mut self,
        pickup: &PickupId,
        at: DateTime<Utc>,
        purpose: Option<&str>,
    ) -> Result<u64>;
    async fn append_audit(&mut self, entry: &NewAuditEntry) -> Result<()>;
    /// Counts a refused PIN or third factor at a panel of a box.
    async fn record_panel_refusal(&mut self, box_id: &BoxId, panel: &PanelId, at: DateTime<Utc>) -> Result<()>;
    /// Refusals at a panel since `since`, and when the last one was.
    async fn panel_refusals(
        &mut self,
        box_id: &BoxId,
        panel: &PanelId,
        since: DateTime<Utc>,
    ) -> Result<(u32, Option<DateTime<Utc>>)>;
    /// Refusals at every panel of the site of `box_id` since `since`.
    async fn site_refusals(&mut self, box_id: &BoxId, since: DateTime<Utc>) -> Result<u32>;
    /// Raises an alarm unless one of its kind is open at the same place; returns whether it did.
    async fn raise_alarm(&mut self, alarm: &NewAlarm) -> Result<bool>;
    /// Acknowledges an open alarm; returns whether it was open.
    async fn acknowledge_alarm(&mut self, id: i64, by: &str, at: DateTime<Utc>) -> Result<bool>;
    /// The last chained audit entry, if any: where the chain goes on.
    async fn audit_chain_end(&mut self) -> Result<Option<AuditRecord>>;
    /// Up to `limit` entries not chained yet, oldest first.
    async fn audit_unchained(&mut self, limit: u32) -> Result<Vec<AuditRecord>>;
    /// Chains an entry at `position` with `link`; a position taken already is a
    /// [`StoreError::Conflict`] (another server's chainer got there first).
    async fn chain_audit(&mut self, id: i64, position: i64, link: &KeyedHash) -> Result<bool>;
    /// Records an old document taken into the box's bin, for the destruction record.
    async fn insert_old_document(&mut self, doc: &OldDocumentRecord) -> Result<()>;

    /// Stores a door event as it arrives; returns its id.
    async fn insert_box_event(&mut self, event: &NewBoxEvent) -> Result<i64>;
    /// Marks a door event applied, in the transaction that applied it: each applies exactly once.
    async fn box_event_applied(&mut self, id: i64, at: DateTime<Utc>) -> Result<bool>;
    /// Stores a door event and marks it applied at `at` in the same statement, unless an earlier
    /// event of its compartment still waits (a door's close means nothing before its open): then it
    /// is stored behind that one. Returns its id and whether it was marked, that is whether the caller
    /// applies it now. One statement where looking, storing and marking would be three round trips
    /// while the writer waits.
    async fn insert_box_event_unless_behind(&mut self, event: &NewBoxEvent, at: DateTime<Utc>) -> Result<(i64, bool)>;
}
