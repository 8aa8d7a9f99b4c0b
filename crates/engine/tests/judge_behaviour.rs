//! The sequential judge's behaviour, case by case: verdicts, stickiness,
//! edge counts, resumption from stored state, parameters, latency input.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use serin_api::AnalysisPhase;
use serin_api::analysis::{SequentialMetric, SequentialTest};
use serin_engine::judge::{
    ArmDelta, Bucket, ConfigError, JudgeConfig, SequentialJudge, StateError, Verdict,
};
use serin_engine::measure::Outcome;

fn judge() -> SequentialJudge {
    SequentialJudge::new(JudgeConfig::default())
}

#[test]
fn a_clearly_worse_canary_fails() {
    let mut j = judge();
    let mut v = Verdict::Running;
    for _ in 0..100 {
        // canary 10% errors, stable 1%, at weight 10%
        v = j.observe(ArmDelta::new(100, 10), ArmDelta::new(900, 9));
        if v.is_final() {
            break;
        }
    }
    assert_eq!(v, Verdict::Failed);
    assert!(j.canary().requests <= 1_000, "{}", j.message());
}

#[test]
fn a_canary_as_good_as_stable_passes() {
    let mut j = judge();
    let mut v = Verdict::Running;
    for _ in 0..1_000 {
        v = j.observe(ArmDelta::new(100, 1), ArmDelta::new(900, 9));
        if v.is_final() {
            break;
        }
    }
    assert_eq!(v, Verdict::Successful, "{}", j.message());
    assert!(j.canary().requests < 20_000);
}

#[test]
fn a_final_verdict_never_changes() {
    let mut j = judge();
    while !j
        .observe(ArmDelta::new(100, 20), ArmDelta::new(900, 9))
        .is_final()
    {}
    let before = j.clone();
    assert_eq!(
        j.observe(
            ArmDelta::new(1_000_000, 0),
            ArmDelta::new(1_000_000, 10_000)
        ),
        Verdict::Failed
    );
    assert_eq!(j, before);
}

#[test]
fn zero_counts_change_nothing() {
    let mut j = judge();
    let before = j.clone();
    assert_eq!(
        j.observe(ArmDelta::default(), ArmDelta::default()),
        Verdict::Running
    );
    assert_eq!(j, before);
}

#[test]
fn requests_without_events_add_requests_but_no_evidence() {
    let mut j = judge();
    j.observe(ArmDelta::new(500, 0), ArmDelta::new(5_000, 0));
    let ev = j.evidence();
    assert!((ev.degradation - 1.0).abs() < 1e-12);
    assert!((ev.no_degradation - 1.0).abs() < 1e-12);
    assert_eq!(j.canary().requests, 500);
}

#[test]
fn cumulative_counters_become_deltas_and_a_reset_counter_counts_from_zero() {
    let mut j = judge();
    // The first reading is the baseline: what came before is not evidence.
    j.observe_counters(ArmDelta::new(1_000, 900), ArmDelta::new(5_000, 50));
    assert_eq!(j.canary().requests, 0);
    j.observe_counters(ArmDelta::new(1_100, 901), ArmDelta::new(6_000, 60));
    assert_eq!((j.canary().requests, j.canary().events), (100, 1));
    assert_eq!(j.stable().requests, 1_000);
    // The canary's proxy restarted: its counters start again from zero.
    j.observe_counters(ArmDelta::new(30, 0), ArmDelta::new(6_500, 65));
    assert_eq!(j.canary().requests, 130);
    assert_eq!(j.stable().requests, 1_500);
}

#[test]
fn events_above_requests_are_capped_at_requests() {
    let mut j = judge();
    j.observe(ArmDelta::new(10, 50), ArmDelta::new(100, 1));
    assert_eq!(j.canary().events, 10);
}

#[test]
fn state_survives_a_json_round_trip_and_resumes_identically() {
    let mut a = judge();
    for _ in 0..20 {
        a.observe(ArmDelta::new(50, 1), ArmDelta::new(450, 4));
    }
    let stored = a.to_value().unwrap();
    let mut b = SequentialJudge::resume(Some(&stored), JudgeConfig::default()).unwrap();
    // JSON may round the last bit of a float; nothing else may differ.
    let close = |a: &SequentialJudge, b: &SequentialJudge| {
        a.canary() == b.canary()
            && a.stable() == b.stable()
            && a.looks() == b.looks()
            && (a.evidence().degradation / b.evidence().degradation - 1.0).abs() < 1e-12
            && (a.evidence().no_degradation / b.evidence().no_degradation - 1.0).abs() < 1e-12
    };
    assert!(close(&a, &b));
    for i in 0..200 {
        let c = ArmDelta::new(50, (i % 3 == 0) as u64 * 2);
        let s = ArmDelta::new(450, 4);
        assert_eq!(a.observe(c, s), b.observe(c, s));
    }
    assert!(close(&a, &b));
    assert_eq!(a.verdict(), Verdict::Failed);
}

#[test]
fn resume_without_a_previous_value_starts_fresh() {
    let j = SequentialJudge::resume(None, JudgeConfig::default()).unwrap();
    assert_eq!(j, judge());
}

#[test]
fn an_unreadable_stored_state_is_an_error_not_a_fresh_start() {
    let err = SequentialJudge::resume(Some("0.97"), JudgeConfig::default()).unwrap_err();
    assert!(matches!(err, StateError::Unreadable(_)), "{err}");
}

#[test]
fn the_outcome_carries_the_phase_the_state_and_the_message() {
    let mut j = judge();
    while !j
        .observe(ArmDelta::new(100, 20), ArmDelta::new(900, 9))
        .is_final()
    {}
    let Outcome::Judged {
        phase,
        value,
        message,
    } = j.outcome()
    else {
        panic!("expected a judged outcome");
    };
    assert_eq!(phase, AnalysisPhase::Failed);
    assert_eq!(
        SequentialJudge::resume(Some(&value), JudgeConfig::default())
            .unwrap()
            .verdict(),
        Verdict::Failed
    );
    assert!(message.starts_with("Failed: canary "), "{message}");
}

#[test]
fn alpha_is_split_across_the_sequential_metrics_of_an_analysis() {
    let m = SequentialMetric {
        test: SequentialTest::Errors,
        alpha: Some(0.02),
        ..SequentialMetric::default()
    };
    let c = JudgeConfig::from_metric(&m, 2).unwrap();
    assert!((c.alpha - 0.01).abs() < 1e-15);
    assert!((c.beta - 0.01).abs() < 1e-15);
    assert_eq!(c.min_effect, 2.0);
    assert_eq!(c.max_samples, 20_000);
    assert_eq!(c.latency_quantile, 0.95);
}

#[test]
fn meaningless_parameters_are_refused() {
    let bad = |f: fn(&mut SequentialMetric)| {
        let mut m = SequentialMetric::default();
        f(&mut m);
        JudgeConfig::from_metric(&m, 1).unwrap_err()
    };
    assert_eq!(bad(|m| m.alpha = Some(0.0)), ConfigError::Alpha(0.0));
    assert_eq!(
        bad(|m| m.alpha = Some(f64::NAN)).to_string(),
        "alpha must be in (0, 1), got NaN"
    );
    assert_eq!(
        bad(|m| m.min_effect = Some(1.0)),
        ConfigError::MinEffect(1.0)
    );
    assert_eq!(bad(|m| m.max_samples = Some(0)), ConfigError::MaxSamples(0));
    assert_eq!(
        bad(|m| m.latency_quantile = Some(1.0)),
        ConfigError::LatencyQuantile(1.0)
    );
    assert_eq!(
        JudgeConfig::from_metric(&SequentialMetric::default(), 0).unwrap_err(),
        ConfigError::NoMetrics
    );
}

fn small(max_samples: u64) -> SequentialJudge {
    SequentialJudge::new(JudgeConfig {
        max_samples,
        ..JudgeConfig::default()
    })
}

#[test]
fn at_max_samples_a_canary_closer_to_stable_is_successful() {
    let mut j = small(100);
    assert_eq!(
        j.observe(ArmDelta::new(100, 1), ArmDelta::new(100, 1)),
        Verdict::Successful
    );
    let mut j = small(100);
    assert_eq!(
        j.observe(ArmDelta::new(100, 0), ArmDelta::new(100, 0)),
        Verdict::Successful
    );
}

#[test]
fn at_max_samples_a_canary_closer_to_the_degradation_is_inconclusive() {
    let mut j = small(100);
    assert_eq!(
        j.observe(ArmDelta::new(100, 2), ArmDelta::new(100, 1)),
        Verdict::Inconclusive
    );
    let mut j = small(100);
    assert_eq!(
        j.observe(ArmDelta::new(100, 1), ArmDelta::new(100, 0)),
        Verdict::Inconclusive
    );
}

#[test]
fn verdicts_map_to_analysis_phases() {
    assert_eq!(Verdict::Running.phase(), AnalysisPhase::Running);
    assert_eq!(Verdict::Successful.phase(), AnalysisPhase::Successful);
    assert_eq!(Verdict::Failed.phase(), AnalysisPhase::Failed);
    assert_eq!(Verdict::Inconclusive.phase(), AnalysisPhase::Inconclusive);
}

fn hist(slow_share_per_mille: u64, n: u64) -> Vec<Bucket> {
    let slow = n * slow_share_per_mille / 1000;
    vec![
        Bucket {
            le: 0.1,
            count: (n - slow) / 2,
        },
        Bucket {
            le: 0.25,
            count: n - slow,
        },
        Bucket { le: 1.0, count: n },
        Bucket {
            le: f64::INFINITY,
            count: n,
        },
    ]
}

#[test]
fn latency_first_look_fixes_the_threshold_and_is_not_counted() {
    let mut j = SequentialJudge::new(JudgeConfig {
        test: SequentialTest::Latency,
        ..JudgeConfig::default()
    });
    assert_eq!(
        j.observe_latency(&hist(50, 100), &hist(50, 1_000)),
        Verdict::Running
    );
    assert_eq!(j.latency_threshold(), Some(0.25));
    assert_eq!(j.canary().requests, 0);
}

#[test]
fn a_latency_threshold_once_set_stays_and_a_non_finite_one_is_ignored() {
    let mut j = judge();
    assert_eq!(j.set_latency_threshold(f64::INFINITY), None);
    assert_eq!(j.set_latency_threshold(0.25), Some(0.25));
    assert_eq!(j.set_latency_threshold(0.5), Some(0.25));
}

#[test]
fn latency_canary_slower_than_the_stable_quantile_fails() {
    let mut j = SequentialJudge::new(JudgeConfig {
        test: SequentialTest::Latency,
        ..JudgeConfig::default()
    });
    let mut v = j.observe_latency(&hist(50, 100), &hist(50, 1_000));
    for _ in 0..200 {
        // 20% of canary requests above the stable's p95 bucket, 5% of stable's
        v = j.observe_latency(&hist(200, 100), &hist(50, 1_000));
        if v.is_final() {
            break;
        }
    }
    assert_eq!(v, Verdict::Failed, "{}", j.message());
}

proptest! {
    #[test]
    fn any_counts_never_panic_and_keep_the_evidence_a_number(
        looks in proptest::collection::vec(
            (prop_oneof![Just(0u64), Just(u64::MAX), any::<u64>(), 0u64..1000],
             prop_oneof![Just(0u64), Just(u64::MAX), any::<u64>(), 0u64..50],
             prop_oneof![Just(0u64), Just(u64::MAX), any::<u64>(), 0u64..10_000],
             prop_oneof![Just(0u64), Just(u64::MAX), any::<u64>(), 0u64..500]),
            1..20),
        min_effect in 1.01f64..50.0,
    ) {
        let mut j = SequentialJudge::new(JudgeConfig { min_effect, ..JudgeConfig::default() });
        for (nc, ec, ns, es) in looks {
            let v = j.observe(ArmDelta::new(nc, ec), ArmDelta::new(ns, es));
            prop_assert_eq!(v, j.verdict());
            let ev = j.evidence();
            prop_assert!(!ev.degradation.is_nan());
            prop_assert!(!ev.no_degradation.is_nan());
            prop_assert!(j.canary().events <= j.canary().requests);
            prop_assert!(!j.message().is_empty());
        }
    }
}
