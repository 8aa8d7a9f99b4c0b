//! The synthetic request streams: per simulated second, a Poisson number of
//! requests split between the arms by the canary weight (binomially), and
//! per arm a binomial number of events — errors, or requests slower than the
//! stable's p95 for the latency stream. Every judge sees the same seconds.

use rand::Rng;
use rand_distr::{Binomial, Distribution, Poisson};
use serin_engine::judge::ArmDelta;

/// Base error rate of the stable arm.
pub const BASE_ERROR_RATE: f64 = 0.01;
/// Share of stable requests above the stable's own p95.
pub const STABLE_SLOW_SHARE: f64 = 0.05;

/// What the canary does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// Canary error rate (stable has [`BASE_ERROR_RATE`]).
    Errors(f64),
    /// Canary latency shifted so that 10% instead of 5% of its requests are
    /// above the stable's p95.
    Latency,
}

impl Kind {
    /// (stable, canary) event probabilities per request.
    pub fn rates(self) -> (f64, f64) {
        match self {
            Self::Errors(p) => (BASE_ERROR_RATE, p),
            Self::Latency => (STABLE_SLOW_SHARE, 2.0 * STABLE_SLOW_SHARE),
        }
    }

    /// Whether the canary is as good as stable.
    pub fn healthy(self) -> bool {
        let (s, c) = self.rates();
        c <= s
    }

    /// A label for the tables.
    pub fn label(self) -> String {
        match self {
            Self::Errors(p) => format!("errors 1% → {}%", p * 100.0),
            Self::Latency => "latency: 5% → 10% above stable p95".into(),
        }
    }
}

/// One simulated canary: stream kind, traffic and weight.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scenario {
    /// What the canary does.
    pub kind: Kind,
    /// Requests per second, both arms together.
    pub rps: f64,
    /// Canary share of requests, 0..1.
    pub weight: f64,
}

impl Scenario {
    /// Draws one second of traffic: (canary, stable) deltas.
    pub fn second(&self, rng: &mut impl Rng) -> (ArmDelta, ArmDelta) {
        let (p_s, p_c) = self.kind.rates();
        let total = poisson(rng, self.rps);
        let n_c = binomial(rng, total, self.weight);
        let n_s = total - n_c;
        (
            ArmDelta::new(n_c, binomial(rng, n_c, p_c)),
            ArmDelta::new(n_s, binomial(rng, n_s, p_s)),
        )
    }
}

fn poisson(rng: &mut impl Rng, mean: f64) -> u64 {
    Poisson::new(mean).map_or(0, |d| d.sample(rng) as u64)
}

fn binomial(rng: &mut impl Rng, n: u64, p: f64) -> u64 {
    Binomial::new(n, p).map_or(0, |d| d.sample(rng))
}
