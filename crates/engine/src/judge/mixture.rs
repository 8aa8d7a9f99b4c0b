//! The mathematics of the sequential judge: the conditional likelihood ratio
//! of one batch, the mixture over rate ratios, and the two e-processes
//! (one that grows when the canary is worse, one that grows when it is not).
//! Pure functions of counts; `docs/analysis.md` derives them.
//!
//! Within a batch, given `e` events (errors or slow requests) over `n_c`
//! canary and `n_s` stable requests, each event comes from the canary with
//! probability `π(ρ) = ρ·n_c / (ρ·n_c + n_s)` when the canary's event rate is
//! `ρ` times the stable's. The likelihood ratio of `ρ` against `ρ = 1` is
//! therefore `ρ^e_c · ((n_c + n_s) / (ρ·n_c + n_s))^e`.

/// Number of rate ratios in the mixture.
pub(crate) const GRID_LEN: usize = 8;
/// Each ratio in the grid is this factor above the previous one.
const GRID_FACTOR: f64 = 1.5;
/// Prior mass on the first ratio (`minEffect` itself); the rest is shared
/// equally by the larger ratios, which catch gross failures in a few events.
const FIRST_WEIGHT: f64 = 0.75;

/// The rate ratios of the mixture: `minEffect · 1.5^j`, `j = 0..8`.
pub(crate) fn grid(min_effect: f64) -> [f64; GRID_LEN] {
    let mut out = [min_effect; GRID_LEN];
    let mut rho = min_effect;
    for slot in &mut out {
        *slot = rho;
        rho *= GRID_FACTOR;
    }
    out
}

/// The natural logarithms of the prior weights of the grid (they sum to 1).
pub(crate) fn log_weights() -> [f64; GRID_LEN] {
    let rest = ((1.0 - FIRST_WEIGHT) / (GRID_LEN - 1) as f64).ln();
    let mut out = [rest; GRID_LEN];
    out[0] = FIRST_WEIGHT.ln();
    out
}

/// Counts of one batch, as floats, with events already capped by requests.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Batch {
    /// Canary requests.
    pub n_c: f64,
    /// Stable requests.
    pub n_s: f64,
    /// Canary events.
    pub e_c: f64,
    /// Stable events.
    pub e_s: f64,
}

impl Batch {
    /// The canary's share of the batch's requests, if there were any.
    fn canary_share(&self) -> Option<f64> {
        let total = self.n_c + self.n_s;
        (total > 0.0).then(|| self.n_c / total)
    }

    /// `ln` of the batch's likelihood ratio of rate ratio `rho` against 1.
    /// Zero when the batch carries no information (no events, or one arm
    /// without requests).
    pub(crate) fn log_lr(&self, rho: f64) -> f64 {
        let events = self.e_c + self.e_s;
        match self.canary_share() {
            Some(share) if events > 0.0 && self.n_c > 0.0 && self.n_s > 0.0 => {
                self.e_c * rho.ln() - events * ((rho - 1.0) * share).ln_1p()
            }
            _ => 0.0,
        }
    }
}

/// `ln Σ exp(w_j + l_j)`: the log of the mixture e-value, computed without
/// overflow for large log likelihood ratios.
pub(crate) fn log_mixture(log_lr: &[f64]) -> f64 {
    let weights = log_weights();
    let terms = weights.iter().zip(log_lr).map(|(w, l)| w + l);
    let top = terms.clone().fold(f64::NEG_INFINITY, f64::max);
    if !top.is_finite() {
        return top;
    }
    top + terms.map(|t| (t - top).exp()).sum::<f64>().ln()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn prior_weights_sum_to_one() {
        let s: f64 = log_weights().iter().map(|w| w.exp()).sum();
        assert!((s - 1.0).abs() < 1e-12);
    }

    #[test]
    fn batch_likelihood_ratio_matches_the_binomial_formula() {
        let b = Batch {
            n_c: 10.0,
            n_s: 90.0,
            e_c: 2.0,
            e_s: 3.0,
        };
        let (p0, p1) = (0.1_f64, 0.2 / 1.1);
        let direct = 2.0 * (p1 / p0).ln() + 3.0 * ((1.0 - p1) / (1.0 - p0)).ln();
        assert!((b.log_lr(2.0) - direct).abs() < 1e-12);
    }

    #[test]
    fn a_batch_without_events_or_without_one_arm_carries_no_evidence() {
        let none = Batch {
            n_c: 5.0,
            n_s: 0.0,
            e_c: 5.0,
            e_s: 0.0,
        };
        assert_eq!(none.log_lr(3.0), 0.0);
        let quiet = Batch {
            n_c: 5.0,
            n_s: 50.0,
            e_c: 0.0,
            e_s: 0.0,
        };
        assert_eq!(quiet.log_lr(3.0), 0.0);
    }

    #[test]
    fn log_mixture_does_not_overflow() {
        let big = [1e6; GRID_LEN];
        assert!((log_mixture(&big) - 1e6).abs() < 1e-6);
        assert!(log_mixture(&[0.0; GRID_LEN]).abs() < 1e-12);
    }
}
