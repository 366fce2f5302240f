//! Answers that wait for what they saw to be durable.
//!
//! A store may let a transaction see another's writes before they are on disk (SQLite's group commit:
//! writes that queue together run in one transaction and share one flush). A transaction that commits
//! waits for that flush anyway. One that ends without committing (it refused something, or only
//! read) must not have its outcome leave the process before the writes it saw are durable: a
//! registration refused as a duplicate of one that a crash or a failed flush then lost would tell the
//! registry a pickup exists that does not. Such a transaction leaves its wait here, and whoever
//! answers the outside (the HTTP layer, per request) runs its work in [`settled`] and waits for it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use crate::Result;

type Wait = Pin<Box<dyn Future<Output = Result<()>> + Send>>;

tokio::task_local! {
    static UNSETTLED: Mutex<Vec<Wait>>;
}

/// Runs `work` and then waits for what its transactions saw to be durable: `Err` if that failed, and
/// the answer `work` would give rests on writes that were lost.
pub async fn settled<T>(work: impl Future<Output = T>) -> (T, Result<()>) {
    UNSETTLED
        .scope(Mutex::default(), async {
            let out = work.await;
            let waits =
                UNSETTLED.with(|u| std::mem::take(&mut *u.lock().unwrap_or_else(std::sync::PoisonError::into_inner)));
            for wait in waits {
                if let Err(e) = wait.await {
                    return (out, Err(e));
                }
            }
            (out, Ok(()))
        })
        .await
}

/// Called by a store for a transaction that ended without committing after it saw writes not yet
/// durable: the answer of the work under way (in [`settled`]) waits for `durable`. Outside of it
/// (background jobs, which answer nobody outside) it is not waited for.
pub fn wait_before_answering(durable: impl Future<Output = Result<()>> + Send + 'static) {
    let _ = UNSETTLED.try_with(|u| u.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(Box::pin(durable)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StoreError;

    #[tokio::test]
    async fn an_answer_waits_for_what_it_saw_and_learns_if_it_was_lost() {
        let (gate, opened) = tokio::sync::oneshot::channel::<bool>();
        let work = async {
            wait_before_answering(async move {
                if opened.await.unwrap_or(false) { Ok(()) } else { Err(StoreError::Retry) }
            });
            7
        };
        let answer = tokio::spawn(settled(work));
        tokio::task::yield_now().await;
        assert!(!answer.is_finished(), "the answer waits");
        gate.send(false).unwrap();
        let (out, durable) = answer.await.unwrap();
        assert_eq!(out, 7);
        assert!(matches!(durable, Err(StoreError::Retry)), "what it saw was lost");

        let (out, durable) = settled(async { 8 }).await;
        assert!(out == 8 && durable.is_ok(), "nothing to wait for");
        wait_before_answering(async { Err(StoreError::Retry) });
    }
}
