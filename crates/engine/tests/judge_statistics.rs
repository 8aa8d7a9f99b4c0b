//! The sequential judge's statistical promises, checked by Monte Carlo with
//! fixed seeds: false alarms at most alpha when looked at after every batch
//! (also when weights and the common error rate change mid-stream), and
//! power for 1% → 2% within the canary request budget the docs promise.

#![allow(clippy::unwrap_used)]

use serin_engine::judge::{ArmDelta, JudgeConfig, SequentialJudge, Verdict};

/// SplitMix64: small, seedable, good enough for these tests.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    /// Binomial(n, p) by geometric jumps between successes: O(n·p).
    fn binomial(&mut self, n: u64, p: f64) -> u64 {
        if p <= 0.0 || n == 0 {
            return 0;
        }
        if p >= 1.0 {
            return n;
        }
        let log_q = (1.0 - p).ln();
        let (mut k, mut pos) = (0u64, 0.0f64);
        loop {
            pos += (self.uniform().ln() / log_q).floor() + 1.0;
            if pos > n as f64 {
                return k;
            }
            k += 1;
        }
    }
}

/// One second of traffic: `rps` requests split by `weight`, errors per arm.
fn second(
    rng: &mut Rng,
    rps: u64,
    weight: f64,
    p_stable: f64,
    p_canary: f64,
) -> (ArmDelta, ArmDelta) {
    let n_c = rng.binomial(rps, weight);
    let n_s = rps - n_c;
    (
        ArmDelta::new(n_c, rng.binomial(n_c, p_canary)),
        ArmDelta::new(n_s, rng.binomial(n_s, p_stable)),
    )
}

/// A judge that never stops on Successful, so false alarms are counted over
/// the longest possible stream (every look up to `maxSamples`).
fn failure_only(alpha: f64) -> SequentialJudge {
    SequentialJudge::new(JudgeConfig {
        alpha,
        beta: f64::MIN_POSITIVE,
        ..JudgeConfig::default()
    })
}

/// Runs a stream until the judge stops; returns the verdict and the canary
/// requests it saw.
fn run(
    judge: &mut SequentialJudge,
    mut next: impl FnMut(u64) -> (ArmDelta, ArmDelta),
) -> (Verdict, u64) {
    let mut t = 0;
    loop {
        let (c, s) = next(t);
        let v = judge.observe(c, s);
        if v.is_final() {
            return (v, judge.canary().requests);
        }
        t += 1;
    }
}

#[test]
fn false_alarms_under_h0_with_a_look_after_every_second_stay_below_alpha() {
    for (seed, alpha) in [(1u64, 0.01), (2, 0.05)] {
        let mut rng = Rng(seed);
        let streams = 2_000;
        let mut failed = 0;
        for _ in 0..streams {
            let mut j = failure_only(alpha);
            let (v, _) = run(&mut j, |_| second(&mut rng, 200, 0.1, 0.01, 0.01));
            failed += (v == Verdict::Failed) as u32;
        }
        let rate = f64::from(failed) / f64::from(streams);
        assert!(
            rate <= alpha,
            "alpha {alpha}: {failed} of {streams} healthy streams failed"
        );
    }
}

#[test]
fn false_alarms_stay_below_alpha_when_weights_and_the_common_error_rate_change_mid_stream() {
    // 5% → 20% → 50% canary weight, and an error rate that moves for both
    // arms at once (1% → 3% → 0.5%): pooling the counts would see a
    // "worse" canary (Simpson's paradox); conditioning per look does not.
    let mut rng = Rng(3);
    let streams = 2_000;
    let alpha = 0.05;
    let mut failed = 0;
    for _ in 0..streams {
        let mut j = failure_only(alpha);
        let (v, _) = run(&mut j, |t| match t {
            0..300 => second(&mut rng, 200, 0.05, 0.01, 0.01),
            300..600 => second(&mut rng, 200, 0.20, 0.03, 0.03),
            _ => second(&mut rng, 200, 0.50, 0.005, 0.005),
        });
        failed += (v == Verdict::Failed) as u32;
    }
    let rate = f64::from(failed) / f64::from(streams);
    assert!(
        rate <= alpha,
        "{failed} of {streams} healthy streams failed"
    );
}

fn quantile(sorted: &[u64], q: f64) -> u64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

#[test]
fn one_percent_to_two_percent_is_caught_within_2000_median_and_4000_p90_canary_requests() {
    for (seed, rps, weight) in [(4u64, 100, 0.05), (5, 1_000, 0.2)] {
        let mut rng = Rng(seed);
        let streams = 400;
        let mut caught = Vec::new();
        for _ in 0..streams {
            let mut j = SequentialJudge::new(JudgeConfig::default());
            let (v, n) = run(&mut j, |_| second(&mut rng, rps, weight, 0.01, 0.02));
            if v == Verdict::Failed {
                caught.push(n);
            }
        }
        caught.sort_unstable();
        assert!(
            caught.len() >= streams * 97 / 100,
            "caught {} of {streams}",
            caught.len()
        );
        let (median, p90) = (quantile(&caught, 0.5), quantile(&caught, 0.9));
        assert!(median <= 2_000, "{rps} rps at {weight}: median {median}");
        assert!(p90 <= 4_000, "{rps} rps at {weight}: p90 {p90}");
    }
}

#[test]
fn healthy_canaries_are_passed_and_rarely_rolled_back() {
    let mut rng = Rng(6);
    let streams = 1_000;
    let (mut passed, mut failed) = (0, 0);
    for _ in 0..streams {
        let mut j = SequentialJudge::new(JudgeConfig::default());
        match run(&mut j, |_| second(&mut rng, 100, 0.1, 0.01, 0.01)).0 {
            Verdict::Successful => passed += 1,
            Verdict::Failed => failed += 1,
            _ => {}
        }
    }
    assert!(failed <= streams / 100, "{failed} false rollbacks");
    assert!(passed >= streams * 98 / 100, "{passed} passed");
}

#[test]
fn latency_shift_from_5_to_10_percent_slow_is_caught() {
    // The latency test sees counts of requests above the stable's p95: 5% of
    // stable's, 10% of the shifted canary's.
    let mut rng = Rng(7);
    let streams = 300;
    let mut caught = 0;
    for _ in 0..streams {
        let mut j = SequentialJudge::new(JudgeConfig::default());
        let (v, _) = run(&mut j, |_| second(&mut rng, 100, 0.1, 0.05, 0.10));
        caught += (v == Verdict::Failed) as u32;
    }
    assert!(caught >= streams * 97 / 100, "caught {caught} of {streams}");
}

#[test]
fn canaries_at_min_effect_are_rarely_passed() {
    // The Successful test's guarantee (beta = alpha = 1%) rests on the
    // Poisson approximation of the per-look split; at a 1% error rate it
    // holds within Monte Carlo noise (about 0.8% here).
    let mut rng = Rng(8);
    let streams = 10_000;
    let mut passed = 0;
    for _ in 0..streams {
        let mut j = SequentialJudge::new(JudgeConfig::default());
        let (v, _) = run(&mut j, |_| second(&mut rng, 200, 0.1, 0.01, 0.02));
        passed += (v == Verdict::Successful) as u32;
    }
    assert!(passed <= streams / 100, "{passed} of {streams} passed");
}
