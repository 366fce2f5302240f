//! The outcomes of the use cases that are not success.
//!
//! Each variant is a domain outcome the caller can act on and carries a stable `code`; the HTTP layer
//! maps variants to statuses. The kiosk learns only what it may: a wrong PIN and an unknown phone
//! number are the same outcome, [`Error::PhoneOrPinWrong`].

use abholbox_box::DriverError;
use abholbox_core::compartment::AllocationError;
use abholbox_core::kiosk::{EndReason, StepError};
use abholbox_core::pickup::TransitionError;
use abholbox_store::{Rule, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A field of a request is not a valid value; `field` names it as the API does.
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// A sign-in name or password breaks a rule of [`abholbox_core::staff`]; typed, so that the staff
    /// app says which in the admin's language.
    #[error("{field}: {reason}")]
    Credential { field: &'static str, reason: abholbox_core::staff::CredentialError },
    /// An admin's own account (its role, sites, state or password) is changed by another admin, so
    /// that nobody locks themselves out or raises their own rights unseen.
    #[error("your own account is changed by another admin")]
    OwnAccount,
    /// The thing addressed does not exist (or is not visible to the caller).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A request refers to something that does not exist, e.g. an unknown site in a registration.
    #[error("unknown {field}")]
    Unknown { field: &'static str },
    /// A pickup with this reference already exists at the site.
    #[error("a pickup with this reference already exists at this site")]
    DuplicateReference,
    /// An active pickup with this document number already exists at the site.
    #[error("an active pickup with this document number already exists at this site")]
    DuplicateDocumentNumber,
    /// The pickup's state does not allow this, e.g. depositing a document twice.
    #[error(transparent)]
    Transition(TransitionError),
    /// The box belongs to another site than the pickup.
    #[error("this box is at another site than the pickup")]
    WrongSite,
    /// The document lies in another box than the one addressed.
    #[error("the document is not in this box")]
    WrongBox,
    #[error(transparent)]
    Allocation(AllocationError),
    /// A kiosk request that does not fit the session's step, e.g. a PIN before the phone number.
    #[error(transparent)]
    Step(StepError),
    /// The kiosk session is over.
    #[error("the session has ended ({})", .0.map(|r| r.as_str()).unwrap_or("done"))]
    SessionOver(Option<EndReason>),
    /// Phone number or PIN wrong, or the document locked: deliberately not saying which.
    #[error("phone number or PIN wrong; after several wrong tries the document is handed out at the counter")]
    PhoneOrPinWrong,
    /// Too many wrong tries: the citizen must go to the counter. Only said to someone who already
    /// showed the right PIN for this document.
    #[error("locked after too many wrong tries; the document is handed out at the counter")]
    Locked,
    /// The birth date does not match.
    #[error("the birth date does not match")]
    BirthDateWrong,
    /// The old document in the slot is not the one on record, or could not be read; it was given back.
    #[error("the old document was not accepted and is given back")]
    OldDocumentRefused { unreadable: bool },
    /// A citizen stands at the document's open compartment; wait until the session has ended.
    #[error("the document is being handed over at the panel right now; wait until the session has ended")]
    HandoverInProgress,
    /// Another session is handing this document over, or it has gone.
    #[error("this document is no longer available here")]
    NotAvailable,
    /// A layout change would move or remove these compartments, which hold or expect a document, or
    /// wait for staff to look inside.
    #[error("{}", in_use(.0))]
    CompartmentsInUse(Vec<abholbox_core::ids::CompartmentNo>),
    /// Outside the site's hours no session starts; `opens_at` says when it can.
    #[error("the box is closed now{}", .opens_at.as_ref().map(|t| format!("; it opens at {t}")).unwrap_or_default())]
    BoxClosed { opens_at: Option<String> },
    /// A staff sign-in name is taken.
    #[error("a staff member of this name exists already")]
    DuplicateStaffName,
    /// Wrong name or password, or a disabled account: one answer for all.
    #[error("name or password wrong")]
    SignInRefused,
    /// Too many failed sign-ins to this account lately: it takes the next try after a wait.
    #[error("too many failed sign-ins; try again in {retry_after_seconds} s")]
    SignInCoolingDown { retry_after_seconds: i64 },
    /// The site wants a second staff member to confirm this, signed in for it, who is not the first.
    #[error("a second staff member of this site must confirm this with their own sign-in")]
    SecondPersonNeeded,
    /// The bin was emptied since the form was shown (the same form sent twice, or a colleague).
    #[error("the bin was emptied since this form was shown; nothing was recorded")]
    BinEmptiedMeanwhile,
    /// A loading, hand-over or withdrawal is under way at the compartment; it is not opened for service.
    #[error("a loading, hand-over or withdrawal is under way at this compartment")]
    CompartmentBusy,
    /// What staff typed at the load page is one pickup's document number and another's case
    /// reference: loading either could put a document into the wrong pickup's compartment.
    #[error("this is one pickup's document number and another's case reference; scan the document")]
    ScanNamesTwoPickups,
    /// A case reference typed at the load page for a pickup whose document number is known: it is
    /// loaded by scanning the document, so that the document in hand is the one checked.
    #[error("this pickup's document number is known; scan the document itself")]
    ScanTheDocument,
    /// Only a compartment out of use can be returned to service.
    #[error("the compartment is not out of use: only a retired compartment is returned to service")]
    NotOutOfUse,
    /// The compartment's door stands open; close it first.
    #[error("the compartment's door is open; close it first")]
    DoorOpen,
    /// No compartment of the box can be opened now (its lock controllers do not answer).
    #[error("the box is out of order; the counter hands out documents")]
    OutOfOrder,
    /// Too many refused tries at this panel lately: it takes the next one after a wait.
    #[error("too many wrong entries at this panel; try again in {retry_after_seconds} s")]
    PanelCoolingDown { retry_after_seconds: i64 },
    /// The box did not do what it was told.
    #[error("the box is not available: {0}")]
    Box(DriverError),
    /// No driver runs for this box in this server.
    #[error("no driver is running for this box")]
    NoDriver,
    #[error("missing or unknown token")]
    Unauthorized,
    #[error("not allowed: this token, role or site may not do that")]
    Forbidden,
    /// Concurrent writers changed the same thing; the caller may retry.
    #[error("the data changed meanwhile; please retry")]
    Contention,
    /// What the rules promise does not hold (a claimed pickup without its box): a bug, never retried.
    #[error("inconsistent data: {0}")]
    Inconsistent(&'static str),
    #[error(transparent)]
    Store(StoreError),
    /// Personal data that does not open: another key file than the one it was sealed with, or altered.
    #[error(transparent)]
    Sealed(#[from] crate::secrets::SealError),
}

impl Error {
    /// The stable, machine-readable code of the outcome; part of the public API.
    pub fn code(&self) -> &'static str {
        match self {
            Self::OwnAccount => "own_account",
            Self::Invalid { field, .. } | Self::Credential { field, .. } => match *field {
                "phone" => "invalid_phone",
                "pin" => "invalid_pin",
                "birth_date" => "invalid_birth_date",
                "document_number" => "invalid_document_number",
                "old_document_number" => "invalid_old_document_number",
                "document_kind" => "invalid_document_kind",
                "language" => "invalid_language",
                "reference" => "invalid_reference",
                "site" => "invalid_site",
                "box" => "invalid_box",
                "pickup" => "invalid_pickup",
                "reason" => "invalid_reason",
                "panel" => "invalid_panel",
                "name" => "invalid_name",
                "address" => "invalid_address",
                "time_zone" => "invalid_time_zone",
                "holiday_state" => "invalid_holiday_state",
                "opening_hours" => "invalid_opening_hours",
                "driver" => "invalid_driver",
                "modules" => "invalid_modules",
                _ => "invalid_request",
            },
            Self::NotFound(_) => "not_found",
            Self::Unknown { .. } => "unknown_reference",
            Self::DuplicateReference => "duplicate_reference",
            Self::DuplicateDocumentNumber => "duplicate_document_number",
            Self::Transition(TransitionError::Locked) => "locked",
            Self::Transition(TransitionError::AlreadyClaimed | TransitionError::PastDeadline) => "not_available",
            Self::Transition(TransitionError::Illegal { .. } | TransitionError::HandOverUnderway) => {
                "illegal_transition"
            }
            Self::WrongSite => "wrong_site",
            Self::WrongBox => "wrong_box",
            Self::Allocation(AllocationError::BoxFull) => "box_full",
            Self::Allocation(AllocationError::NoneWithinReach) => "no_compartment_within_reach",
            Self::Step(StepError::WrongStep { .. }) => "wrong_step",
            Self::Step(StepError::Over) | Self::SessionOver(_) => "session_ended",
            Self::PhoneOrPinWrong => "phone_or_pin_wrong",
            Self::Locked => "locked",
            Self::BirthDateWrong => "birth_date_wrong",
            Self::OldDocumentRefused { unreadable: true } => "old_document_unreadable",
            Self::OldDocumentRefused { unreadable: false } => "old_document_rejected",
            Self::NotAvailable => "not_available",
            Self::HandoverInProgress => "handover_in_progress",
            Self::Box(_) | Self::NoDriver => "box_unavailable",
            Self::BoxClosed { .. } => "box_closed",
            Self::OutOfOrder => "box_out_of_order",
            Self::DoorOpen => "door_open",
            Self::NotOutOfUse => "compartment_in_use",
            Self::ScanNamesTwoPickups => "scan_names_two_pickups",
            Self::ScanTheDocument => "scan_the_document",
            Self::SecondPersonNeeded => "second_person_needed",
            Self::CompartmentBusy => "compartment_busy",
            Self::BinEmptiedMeanwhile => "bin_emptied_meanwhile",
            Self::DuplicateStaffName => "duplicate_name",
            Self::SignInRefused => "sign_in_refused",
            Self::SignInCoolingDown { .. } => "sign_in_cooling_down",
            Self::PanelCoolingDown { .. } => "panel_cooling_down",
            Self::CompartmentsInUse(_) => "compartment_in_use",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::Contention => "contention",
            Self::Store(_) | Self::Inconsistent(_) | Self::Sealed(_) => "internal",
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(Rule::PickupReference) => Self::DuplicateReference,
            StoreError::Conflict(Rule::PickupDocumentNumber) => Self::DuplicateDocumentNumber,
            // A lost race: done again, the use case sees what won it (a layout change then names the
            // compartment that was taken into use meanwhile).
            StoreError::Conflict(Rule::OneClaimPerSession | Rule::CompartmentHoldsOne | Rule::CompartmentLabel)
            | StoreError::Retry => Self::Contention,
            other => Self::Store(other),
        }
    }
}

impl From<TransitionError> for Error {
    fn from(e: TransitionError) -> Self {
        Self::Transition(e)
    }
}

impl From<StepError> for Error {
    fn from(e: StepError) -> Self {
        Self::Step(e)
    }
}

impl From<AllocationError> for Error {
    fn from(e: AllocationError) -> Self {
        Self::Allocation(e)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The refusal of a layout, in the singular or the plural.
fn in_use(compartments: &[abholbox_core::ids::CompartmentNo]) -> String {
    let why = "(a document in it or on its way, or staff yet to look inside)";
    match compartments {
        [one] => format!("compartment {one} is in use {why}; a layout may not move or remove it"),
        many => {
            let numbers = many.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
            format!("compartments {numbers} are in use {why}; a layout may not move or remove them")
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use abholbox_core::ids::CompartmentNo;

    use super::Error;

    #[test]
    fn a_refused_layout_names_one_compartment_or_several() {
        let no = |n| CompartmentNo::new(n).unwrap();
        assert!(Error::CompartmentsInUse(vec![no(11)]).to_string().starts_with("compartment 11 is in use ("));
        let both = Error::CompartmentsInUse(vec![no(11), no(12)]).to_string();
        assert!(both.starts_with("compartments 11, 12 are in use (") && both.ends_with("remove them"), "{both}");
    }

    /// A layout change that lost the race for a label to a loading is done again (and then refused by
    /// the compartment's name), not answered as an internal error.
    #[test]
    fn a_label_taken_meanwhile_is_a_lost_race() {
        use abholbox_store::{Rule, StoreError};
        assert!(matches!(Error::from(StoreError::Conflict(Rule::CompartmentLabel)), Error::Contention));
        assert!(matches!(Error::from(StoreError::Conflict(Rule::Identity)), Error::Store(_)));
    }
}
