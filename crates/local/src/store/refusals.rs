//! Refused actions in a rollout's history: an action the dashboard
//! refused (no token, a wrong one, or a read-only dashboard) never becomes a
//! command, but who tried what is recorded next to the commands given.

use serin_api::Time;

use super::{HistoryKind, Store, StoreError};

impl Store {
    /// Appends a refused action to `name`'s history. Returns false when the
    /// rollout is unknown (nothing is written).
    pub fn push_refusal(
        &self,
        name: &str,
        command: &str,
        by: &str,
        reason: &str,
        now: Time,
    ) -> Result<bool, StoreError> {
        self.update(
            name,
            |current| {
                let known = current.is_some();
                Ok((current, known))
            },
            |known| {
                if !known {
                    return Vec::new();
                }
                vec![(
                    now,
                    HistoryKind::Refused {
                        command: command.to_owned(),
                        by: by.to_owned(),
                        reason: reason.to_owned(),
                    },
                )]
            },
        )
    }
}
