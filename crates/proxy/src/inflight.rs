//! In-flight request counts per arm, and waiting for one to reach zero (the
//! end of a drain). A request counts from routing until its response body
//! has been sent.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

use crate::arm::Arm;

/// Per-arm in-flight counters of one listener.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    counts: [AtomicU64; 4],
    idle: [Notify; 4],
}

impl InFlight {
    /// Counts a request against `arm` until the guard drops.
    pub(crate) fn enter(self: &Arc<Self>, arm: Arm) -> InFlightGuard {
        // SeqCst pairs with the table swap in a drain: a request either sees
        // the drained table or is counted before the drain reads the count.
        self.counts[arm.index()].fetch_add(1, Ordering::SeqCst);
        InFlightGuard {
            owner: self.clone(),
            arm,
        }
    }

    /// Requests now in flight on `arm`.
    pub(crate) fn count(&self, arm: Arm) -> u64 {
        self.counts[arm.index()].load(Ordering::SeqCst)
    }

    /// Waits until `arm` has nothing in flight; false if `timeout` passes first.
    pub(crate) async fn wait_idle(&self, arm: Arm, timeout: Duration) -> bool {
        let wait = async {
            loop {
                let notified = self.idle[arm.index()].notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                if self.count(arm) == 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(timeout, wait).await.is_ok()
    }
}

/// Holds one in-flight count; releasing it may wake a drain waiter.
#[derive(Debug)]
pub(crate) struct InFlightGuard {
    owner: Arc<InFlight>,
    arm: Arm,
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        let i = self.arm.index();
        if self.owner.counts[i].fetch_sub(1, Ordering::SeqCst) == 1 {
            self.owner.idle[i].notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::InFlight;
    use crate::arm::Arm;

    #[tokio::test]
    async fn waiting_for_idle_ends_when_the_last_request_finishes() {
        let f = Arc::new(InFlight::default());
        let a = f.enter(Arm::Canary);
        let b = f.enter(Arm::Canary);
        assert!(!f.wait_idle(Arm::Canary, Duration::from_millis(1)).await);
        let waiter = {
            let f = f.clone();
            tokio::spawn(async move { f.wait_idle(Arm::Canary, Duration::from_secs(10)).await })
        };
        drop(a);
        drop(b);
        assert!(waiter.await.unwrap_or(false));
        assert!(f.wait_idle(Arm::Stable, Duration::from_millis(1)).await);
    }
}
