//! The four judges as the benchmark drives them: each takes one simulated
//! second of per-arm counts and answers continue, roll back, promote or
//! pause. Three imitate the peers' documented threshold rules; the fourth
//! wraps serin's `SequentialJudge`.

mod argo;
mod flagger;
mod kayenta;
mod sequential;

pub use argo::Argo;
pub use flagger::Flagger;
pub use kayenta::Kayenta;
pub use sequential::Sequential;

use serin_engine::judge::ArmDelta;

/// A judge's answer after a second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Keep going.
    Continue,
    /// Roll the canary back.
    Rollback,
    /// Let the canary through.
    Promote,
    /// Stop and ask a person (serin's Inconclusive).
    Pause,
}

/// A judge fed one second at a time.
pub trait SimJudge {
    /// Takes second number `t` (1-based: the second that just ended).
    fn second(&mut self, t: u64, canary: ArmDelta, stable: ArmDelta) -> Decision;
}

/// The judges, in table order.
pub const NAMES: [&str; 4] = ["Flagger", "Argo Rollouts", "Kayenta", "serin sequential"];

/// Fresh judges for one run; `None` where a judge has no rule for the stream.
pub fn all(latency: bool) -> [Option<Box<dyn SimJudge>>; 4] {
    let threshold = |j: Box<dyn SimJudge>| (!latency).then_some(j);
    [
        threshold(Box::<Flagger>::default()),
        threshold(Box::<Argo>::default()),
        Some(Box::<Kayenta>::default()),
        Some(Box::<Sequential>::default()),
    ]
}

/// Counts summed over a window.
#[derive(Clone, Copy, Debug, Default)]
struct Window {
    requests: u64,
    events: u64,
}

impl Window {
    fn add(&mut self, d: ArmDelta) {
        self.requests += d.requests;
        self.events += d.events;
    }

    /// Share of requests without an event; `None` without requests (a
    /// Prometheus ratio would be NaN).
    fn success_rate(&self) -> Option<f64> {
        (self.requests > 0).then(|| 1.0 - self.events as f64 / self.requests as f64)
    }
}
