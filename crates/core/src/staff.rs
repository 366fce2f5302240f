//! Staff: who may do what at the counter and in the back office, what a sign-in name and a password
//! must be, and how failed sign-ins slow down whoever guesses.
//!
//! The rules live here so that the use cases check them whichever way a staff member acts (pages,
//! API, command line): a role is a set of permitted actions, and a staff member works for the sites
//! named on their account and no other.

use chrono::{DateTime, Duration, Utc};

use crate::ids::SiteId;

/// A staff member's role. Each role may do everything the one before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StaffRole {
    /// Registers opt-ins, loads documents, withdraws uncollected ones, empties the bin.
    Clerk,
    /// Also reissues PINs, lifts lockouts, opens a compartment for service, releases a stuck claim,
    /// returns compartments to service and reads the audit log.
    Supervisor,
    /// Also manages staff accounts, sites, boxes and tokens.
    Admin,
}

impl StaffRole {
    pub const ALL: [StaffRole; 3] = [Self::Clerk, Self::Supervisor, Self::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Clerk => "clerk",
            Self::Supervisor => "supervisor",
            Self::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether this role may take `action`.
    pub fn may(self, action: StaffAction) -> bool {
        self >= action.needs()
    }
}

/// What a staff member does, by the least role that may do it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StaffAction {
    RegisterPickup,
    LoadDocument,
    Withdraw,
    EmptyBin,
    ViewBox,
    ReissuePin,
    /// Correcting a citizen's mobile number sends the PIN elsewhere: a supervisor's decision.
    ChangePhone,
    LiftLockout,
    ServiceOpening,
    ReleaseClaim,
    ReturnToService,
    ViewAudit,
    AcknowledgeAlarm,
    ManageStaff,
    ManageSites,
    ManageTokens,
}

impl StaffAction {
    pub const ALL: [StaffAction; 16] = [
        Self::RegisterPickup,
        Self::LoadDocument,
        Self::Withdraw,
        Self::EmptyBin,
        Self::ViewBox,
        Self::ReissuePin,
        Self::ChangePhone,
        Self::LiftLockout,
        Self::ServiceOpening,
        Self::ReleaseClaim,
        Self::ReturnToService,
        Self::ViewAudit,
        Self::AcknowledgeAlarm,
        Self::ManageStaff,
        Self::ManageSites,
        Self::ManageTokens,
    ];

    /// The least role that may take the action.
    pub fn needs(self) -> StaffRole {
        match self {
            Self::RegisterPickup | Self::LoadDocument | Self::Withdraw | Self::EmptyBin | Self::ViewBox => {
                StaffRole::Clerk
            }
            Self::ReissuePin
            | Self::ChangePhone
            | Self::LiftLockout
            | Self::ServiceOpening
            | Self::ReleaseClaim
            | Self::ReturnToService
            | Self::ViewAudit
            | Self::AcknowledgeAlarm => StaffRole::Supervisor,
            Self::ManageStaff | Self::ManageSites | Self::ManageTokens => StaffRole::Admin,
        }
    }

    /// Whether the action is taken at one site, whose staff alone may take it. Managing accounts,
    /// sites and tokens concerns the whole installation; the audit log is opened as a whole, and
    /// what a supervisor reads in it is cut to their sites where it is read.
    pub fn is_site_bound(self) -> bool {
        !matches!(self, Self::ManageStaff | Self::ManageSites | Self::ManageTokens | Self::ViewAudit)
    }
}

/// A staff member as the use cases see them: a role, and the sites they work for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    /// The account's id: what the audit log names, since a name may be given again after an
    /// account is gone.
    pub id: String,
    pub name: String,
    pub role: StaffRole,
    pub sites: Vec<SiteId>,
}

/// Why a staff member may not do something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StaffRefusal {
    #[error("this needs the role {needs}", needs = .0.as_str())]
    Role(StaffRole),
    #[error("this staff member does not work for that site")]
    Site,
}

impl StaffMember {
    /// Whether the member may take `action` at `site`. An admin works for every site; everyone else
    /// only for those on their account, so a site-bound action with no site named (`None`) is an
    /// admin's alone: a use case that acts on something must name its site.
    pub fn check(&self, action: StaffAction, site: Option<&SiteId>) -> Result<(), StaffRefusal> {
        if !self.role.may(action) {
            return Err(StaffRefusal::Role(action.needs()));
        }
        if self.role == StaffRole::Admin || !action.is_site_bound() {
            return Ok(());
        }
        match site {
            Some(site) if self.sites.contains(site) => Ok(()),
            _ => Err(StaffRefusal::Site),
        }
    }

    /// Whether the member works for `site` (admins for all).
    pub fn works_for(&self, site: &SiteId) -> bool {
        self.role == StaffRole::Admin || self.sites.contains(site)
    }
}

/// Why a sign-in name or password is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("a name is 3 to 64 of a-z, 0-9, '.', '-' and '_', starting with a letter")]
    Name,
    #[error("a password has at least {MIN_PASSWORD} characters")]
    TooShort,
    #[error("a password has at most {MAX_PASSWORD} characters")]
    TooLong,
    #[error("a password may not contain the name")]
    ContainsName,
    #[error("a password may not consist of one repeated character")]
    Repeated,
}

/// Fewer characters are too easy to guess offline from a stolen hash (BSI and NIST SP 800-63B ask
/// for at least 8; staff passwords open compartments, so more).
pub const MIN_PASSWORD: usize = 12;
/// Longer input only costs hashing time.
pub const MAX_PASSWORD: usize = 256;

/// Checks a sign-in name and returns it as stored (lower case).
pub fn parse_staff_name(s: &str) -> Result<String, CredentialError> {
    let name = s.trim().to_lowercase();
    let valid = (3..=64).contains(&name.len())
        && name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'));
    if valid { Ok(name) } else { Err(CredentialError::Name) }
}

/// Checks a new password for the member `name`. Length is what counts; no composition rules, which
/// only make people write passwords down.
pub fn check_password(password: &str, name: &str) -> Result<(), CredentialError> {
    let length = password.chars().count();
    if length < MIN_PASSWORD {
        return Err(CredentialError::TooShort);
    }
    if length > MAX_PASSWORD {
        return Err(CredentialError::TooLong);
    }
    if !name.is_empty() && password.to_lowercase().contains(&name.to_lowercase()) {
        return Err(CredentialError::ContainsName);
    }
    let mut chars = password.chars();
    if let Some(first) = chars.next()
        && chars.all(|c| c == first)
    {
        return Err(CredentialError::Repeated);
    }
    Ok(())
}

/// How failed sign-ins to one account slow down further tries: a few are free (people mistype),
/// then the wait doubles up to a cap, so a guesser gets a few tries an hour. Failures alone never
/// disable an account; but a guesser who tries again whenever a wait ends keeps its owner waiting
/// too, which per-address limits at the sign-in form must prevent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInThrottle {
    pub free_failures: u32,
    pub first_wait: Duration,
    pub max_wait: Duration,
    /// Failures older than this no longer count.
    pub window: Duration,
}

impl Default for SignInThrottle {
    fn default() -> Self {
        Self {
            free_failures: 5,
            first_wait: Duration::seconds(2),
            max_wait: Duration::minutes(15),
            window: Duration::hours(24),
        }
    }
}

impl SignInThrottle {
    /// How long to wait after the last of `failures` failed sign-ins.
    pub fn wait_after(&self, failures: u32) -> Duration {
        if failures < self.free_failures {
            return Duration::zero();
        }
        let doublings = (failures - self.free_failures).min(30);
        (self.first_wait * 2i32.saturating_pow(doublings.min(30))).min(self.max_wait)
    }

    /// The failure count after one more failure at `now`: failures outside the window count for
    /// nothing, so the count starts again.
    pub fn count_after_failure(&self, failures: u32, last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> u32 {
        match last {
            Some(last) if now - last <= self.window => failures.saturating_add(1),
            _ => 1,
        }
    }

    /// When the account takes the next try: `None` if it does now. Failures outside the window
    /// count for nothing.
    pub fn next_try_at(&self, failures: u32, last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let last = last?;
        if now - last > self.window {
            return None;
        }
        let at = last + self.wait_after(failures);
        (at > now).then_some(at)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn site(s: &str) -> SiteId {
        SiteId::parse(s).unwrap()
    }

    #[test]
    fn each_role_may_what_the_one_before_may_and_more() {
        use StaffAction::*;
        let all = StaffAction::ALL;
        let count = |role: StaffRole| all.iter().filter(|a| role.may(**a)).count();
        assert_eq!((count(StaffRole::Clerk), count(StaffRole::Supervisor), count(StaffRole::Admin)), (5, 13, 16));
        assert!(!StaffRole::Clerk.may(ReissuePin) && StaffRole::Supervisor.may(ReissuePin));
        assert!(!StaffRole::Clerk.may(ChangePhone) && StaffRole::Supervisor.may(ChangePhone));
        assert!(!StaffRole::Supervisor.may(ManageStaff) && StaffRole::Admin.may(ManageStaff));
        for role in StaffRole::ALL {
            assert_eq!(StaffRole::parse(role.as_str()), Some(role));
        }
        assert_eq!(StaffRole::parse("root"), None);
    }

    #[test]
    fn staff_work_only_for_their_sites_and_admins_for_all() {
        let clerk = StaffMember {
            id: "stf_1".into(),
            name: "anna".into(),
            role: StaffRole::Clerk,
            sites: vec![site("dus-dlz")],
        };
        assert_eq!(clerk.check(StaffAction::LoadDocument, Some(&site("dus-dlz"))), Ok(()));
        assert_eq!(clerk.check(StaffAction::LoadDocument, Some(&site("dus-bilk"))), Err(StaffRefusal::Site));
        assert_eq!(
            clerk.check(StaffAction::LiftLockout, Some(&site("dus-dlz"))),
            Err(StaffRefusal::Role(StaffRole::Supervisor))
        );
        assert_eq!(clerk.check(StaffAction::LoadDocument, None), Err(StaffRefusal::Site), "no site named");
        let supervisor = StaffMember { role: StaffRole::Supervisor, ..clerk.clone() };
        assert_eq!(supervisor.check(StaffAction::ViewAudit, None), Ok(()), "not site-bound");
        assert_eq!(supervisor.check(StaffAction::ManageStaff, None), Err(StaffRefusal::Role(StaffRole::Admin)));
        let admin = StaffMember { id: "stf_2".into(), name: "it".into(), role: StaffRole::Admin, sites: vec![] };
        assert_eq!(admin.check(StaffAction::ViewBox, Some(&site("dus-bilk"))), Ok(()));
        assert_eq!(admin.check(StaffAction::ViewBox, None), Ok(()));
        assert_eq!(admin.check(StaffAction::ManageStaff, None), Ok(()));
        assert!(admin.works_for(&site("dus-bilk")) && !clerk.works_for(&site("dus-bilk")));
    }

    #[test]
    fn names_and_passwords_are_checked() {
        assert_eq!(parse_staff_name(" Anna.Schmidt "), Ok("anna.schmidt".into()));
        for bad in ["", "ab", "1anna", "anna schmidt", "änna", &"a".repeat(65)] {
            assert_eq!(parse_staff_name(bad), Err(CredentialError::Name), "{bad:?}");
        }
        assert_eq!(check_password("kurz", "anna"), Err(CredentialError::TooShort));
        assert_eq!(check_password("elf-zeichen", "anna"), Err(CredentialError::TooShort), "11 characters");
        assert_eq!(check_password("Pferd Batterie Heftklammer", "anna"), Ok(()));
        assert_eq!(check_password("meinName-ANNA-2026", "anna"), Err(CredentialError::ContainsName));
        assert_eq!(check_password(&"x".repeat(20), "anna"), Err(CredentialError::Repeated));
        assert_eq!(check_password(&"xy".repeat(200), "anna"), Err(CredentialError::TooLong));
        assert_eq!(check_password("ääääääääääöü", "anna"), Ok(()), "characters, not bytes");
    }

    #[test]
    fn failed_sign_ins_slow_down_without_locking_out() {
        let t = SignInThrottle::default();
        let waits: Vec<i64> = (0..12).map(|n| t.wait_after(n).num_seconds()).collect();
        assert_eq!(waits, vec![0, 0, 0, 0, 0, 2, 4, 8, 16, 32, 64, 128]);
        assert_eq!(t.wait_after(u32::MAX), t.max_wait, "no overflow");
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        assert_eq!(t.next_try_at(4, Some(now), now), None, "a mistype costs nothing");
        assert_eq!(t.next_try_at(6, Some(now), now), Some(now + Duration::seconds(4)));
        assert_eq!(t.next_try_at(6, Some(now), now + Duration::seconds(4)), None);
        assert_eq!(t.next_try_at(40, Some(now - Duration::hours(25)), now), None, "old failures count for nothing");
        assert_eq!(t.next_try_at(40, None, now), None);
        assert_eq!(t.count_after_failure(10, Some(now - Duration::hours(1)), now), 11);
        assert_eq!(
            t.count_after_failure(10, Some(now - Duration::hours(25)), now),
            1,
            "yesterday's guesser is forgotten"
        );
        assert_eq!(t.count_after_failure(u32::MAX, Some(now), now), u32::MAX);
    }
}
