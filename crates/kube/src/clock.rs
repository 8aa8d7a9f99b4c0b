//! Where the controller reads the time: the system clock in production, a
//! clock a test moves by hand (so a 30-second pause takes no time).

use std::sync::Mutex;

use serin_api::Time;

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> Time;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Time {
        Time(jiff::Timestamp::now())
    }
}

/// A clock that moves only when told to.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<Time>,
}

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: Time) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// A clock showing the system time now.
    pub fn starting_now() -> Self {
        Self::new(SystemClock.now())
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: std::time::Duration) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now = now.plus_millis(u64::try_from(by.as_millis()).unwrap_or(u64::MAX));
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Time {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}
