//! Long-polls: a panel or an integrator asks once and hears of the next change, instead of asking
//! again and again. A waiter registers for its key before it reads, so a change committed after the
//! read wakes it; the store wakes it only after the commit, so what it reads then is the new state.
//! Another server process on the same database does not wake it, so it also reads again every
//! [`RECHECK`].

use std::future::Future;
use std::time::Duration;

use abholbox_core::ids::{PickupId, SessionId};
use abholbox_core::kiosk::Step;
use abholbox_core::pickup::PickupStatus;
use abholbox_store::PickupRecord;
use tokio::time::Instant;

use crate::kiosk::SessionView;
use crate::tokens::Principal;
use crate::{Result, Service};

/// The longest a request may wait, below the server's request time limit.
pub const MAX_WAIT: Duration = Duration::from_secs(10);

/// How often a waiter reads again without being woken: changes made by another server process.
pub const RECHECK: Duration = Duration::from_secs(1);

impl Service {
    /// The session once its step differs from `seen` (the step the panel shows; without it, the step
    /// when the request came), or as it stands after `wait`.
    pub async fn wait_for_session(
        &self,
        kiosk: &Principal,
        id: &SessionId,
        seen: Option<Step>,
        wait: Duration,
    ) -> Result<SessionView> {
        self.wait_for(id.as_str(), seen, wait, || self.session(kiosk, id), |v| v.step).await
    }

    /// The pickup once its status differs from `seen` (or from its status when the request came), or
    /// as it stands after `wait`.
    pub async fn wait_for_pickup(
        &self,
        id: &PickupId,
        seen: Option<PickupStatus>,
        wait: Duration,
    ) -> Result<PickupRecord> {
        self.wait_for(id.as_str(), seen, wait, || self.pickup(id), |p| p.status).await
    }

    async fn wait_for<T, S, F, Fut>(
        &self,
        key: &str,
        mut seen: Option<S>,
        wait: Duration,
        read: F,
        state_of: impl Fn(&T) -> S,
    ) -> Result<T>
    where
        S: PartialEq + Copy,
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let deadline = Instant::now() + wait.min(MAX_WAIT);
        loop {
            let notify = self.store.changes().watch(key);
            let changed = notify.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let current = read().await?;
            let now = state_of(&current);
            match seen {
                Some(s) if s != now => return Ok(current),
                None => seen = Some(now),
                Some(_) => {}
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(current);
            }
            let _ = tokio::time::timeout_at(deadline.min(now + RECHECK), changed).await;
        }
    }
}
