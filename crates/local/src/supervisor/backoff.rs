//! Restart timing and the crash-loop rule. A replica's restarts wait
//! `initial` (250ms), doubling up to `max` (10s). It is **crash-looping**
//! when it crashed `crashes` times (3) within `window` (60s), or when its
//! backoff has reached the cap. Staying ready for `stable_after` (60s)
//! forgets both.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// Exponential restart delay.
#[derive(Clone, Debug)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    /// Starts at `initial`, doubles up to `max`.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max,
            next: initial,
        }
    }

    /// The delay before the next restart; the one after it is doubled.
    pub fn next_delay(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(self.max);
        d
    }

    /// Whether the delays have reached the cap.
    pub fn at_cap(&self) -> bool {
        self.next >= self.max && self.initial < self.max
    }

    /// Back to `initial`.
    pub fn reset(&mut self) {
        self.next = self.initial;
    }
}

/// Recent crashes of one replica.
#[derive(Clone, Debug)]
pub struct CrashWindow {
    limit: usize,
    window: Duration,
    times: VecDeque<Instant>,
}

impl CrashWindow {
    /// `limit` crashes within `window` make a crash loop.
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit: usize::try_from(limit).unwrap_or(usize::MAX).max(1),
            window,
            times: VecDeque::new(),
        }
    }

    /// Records a crash at `now`; true when that makes a crash loop.
    pub fn record(&mut self, now: Instant) -> bool {
        self.times.push_back(now);
        while self
            .times
            .front()
            .is_some_and(|t| now.duration_since(*t) > self.window)
        {
            self.times.pop_front();
        }
        while self.times.len() > self.limit {
            self.times.pop_front();
        }
        self.times.len() >= self.limit
    }

    /// Forgets every crash.
    pub fn clear(&mut self) {
        self.times.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(250), Duration::from_secs(2));
        let delays: Vec<u64> = (0..6).map(|_| b.next_delay().as_millis() as u64).collect();
        assert_eq!(delays, [250, 500, 1000, 2000, 2000, 2000]);
        assert!(b.at_cap());
        b.reset();
        assert!(!b.at_cap());
        assert_eq!(b.next_delay(), Duration::from_millis(250));
    }

    #[test]
    fn three_crashes_within_the_window_are_a_crash_loop() {
        let mut w = CrashWindow::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(!w.record(t0));
        assert!(!w.record(t0 + Duration::from_secs(30)));
        assert!(w.record(t0 + Duration::from_secs(59)));
    }

    #[test]
    fn crashes_further_apart_than_the_window_are_not_a_crash_loop() {
        let mut w = CrashWindow::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(!w.record(t0));
        assert!(!w.record(t0 + Duration::from_secs(40)));
        assert!(!w.record(t0 + Duration::from_secs(80)));
        assert!(w.record(t0 + Duration::from_secs(90)));
    }
}
