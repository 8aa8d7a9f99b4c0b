//! The sequential judge's evidence as a person reads it. Each measurement
//! of a sequential metric holds the judge's whole state as JSON
//! (`serin_engine::judge::SequentialJudge`); read back, each gives one
//! point: the two e-values as natural logarithms (the mixture's log
//! likelihood ratio against "the canary is no worse", and the one against
//! "the canary is `minEffect` times worse") and the counts so far. The
//! boundaries are where the judge stops: `ln(1/alpha)` fails the canary,
//! `ln(1/beta)` passes it.

use serde::{Deserialize, Serialize};
use serin_api::Time;
use serin_api::analysis::Measurement;
use serin_engine::judge::{ArmTotals, JudgeConfig, SequentialJudge};

/// The judge of one sequential metric.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct JudgeView {
    /// `errors` or `latency` (requests slower than the stable's quantile).
    pub test: String,
    /// This metric's false alarm probability (its share of the analysis' alpha).
    pub alpha: f64,
    /// The smallest degradation worth catching, as a rate ratio.
    pub min_effect: f64,
    /// Canary requests after which the judge stops.
    pub max_samples: u64,
    /// `ln(1/alpha)`: the canary fails when [`EvidencePoint::degradation`] reaches it.
    pub fail_at: f64,
    /// `ln(1/beta)`: the canary passes when [`EvidencePoint::no_degradation`] reaches it.
    pub pass_at: f64,
    /// One point per measurement kept, oldest first.
    pub evidence: Vec<EvidencePoint>,
}

/// What the judge knew after one look.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EvidencePoint {
    /// When the look finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Time>,
    /// `ln` of the e-value against "the canary is no worse than stable".
    pub degradation: f64,
    /// `ln` of the e-value against "the canary is `minEffect` times worse".
    pub no_degradation: f64,
    /// Canary event rate over stable event rate, pooled, when the stable had events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_ratio: Option<f64>,
    /// Canary requests and events (errors or slow requests) so far.
    pub canary: Counts,
    /// Stable requests and events so far.
    pub stable: Counts,
    /// `Running`, `Successful`, `Failed` or `Inconclusive`.
    pub verdict: String,
}

/// Requests and events of one arm.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    /// Requests.
    pub requests: u64,
    /// Failed requests (errors test) or slow requests (latency test).
    pub events: u64,
}

impl From<ArmTotals> for Counts {
    fn from(t: ArmTotals) -> Self {
        Counts {
            requests: t.requests,
            events: t.events,
        }
    }
}

/// Logarithms of evidence are kept within this (JSON has no infinity, and
/// an e-value of 0 or beyond `f64::MAX` says no more than this).
const LOG_BOUND: f64 = 1e6;

/// A finite number within [`LOG_BOUND`].
fn finite(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(-LOG_BOUND, LOG_BOUND)
    }
}

/// The judge of the measurements of one sequential metric; `None` when no
/// measurement holds a readable state (none taken yet, or only errors).
pub(crate) fn of(measurements: &[Measurement]) -> Option<JudgeView> {
    let judged: Vec<(Option<Time>, SequentialJudge)> = measurements
        .iter()
        .filter_map(|m| {
            let value = m.value.as_deref()?;
            let judge = SequentialJudge::resume(Some(value), JudgeConfig::default()).ok()?;
            Some((m.finished_at.or(m.started_at), judge))
        })
        .collect();
    let (_, last) = judged.last()?;
    let config = last.config().clone();
    Some(JudgeView {
        test: crate::analysis::debug_name(&config.test),
        alpha: config.alpha,
        min_effect: config.min_effect,
        max_samples: config.max_samples,
        fail_at: finite((1.0 / config.alpha).ln()),
        pass_at: finite((1.0 / config.beta).ln()),
        evidence: judged.iter().map(|(at, j)| point(*at, j)).collect(),
    })
}

fn point(at: Option<Time>, judge: &SequentialJudge) -> EvidencePoint {
    let e = judge.evidence();
    EvidencePoint {
        at,
        degradation: finite(e.degradation.ln()),
        no_degradation: finite(e.no_degradation.ln()),
        rate_ratio: e.rate_ratio.filter(|r| r.is_finite()),
        canary: judge.canary().into(),
        stable: judge.stable().into(),
        verdict: format!("{:?}", judge.verdict()),
    }
}

#[cfg(test)]
mod tests {
    use serin_api::AnalysisPhase;
    use serin_api::analysis::Measurement;
    use serin_engine::judge::{ArmDelta, JudgeConfig, SequentialJudge};

    use super::of;

    fn measured(judge: &SequentialJudge, ms: i64) -> Measurement {
        Measurement {
            phase: judge.verdict().phase(),
            value: Some(judge.to_value().expect("a state")),
            finished_at: Some(serin_api::Time::from_millis(ms)),
            ..Measurement::default()
        }
    }

    #[test]
    fn each_measurement_gives_one_point_and_a_failing_canary_crosses_the_fail_boundary() {
        let mut judge = SequentialJudge::new(JudgeConfig::default());
        let mut kept = Vec::new();
        for look in 0..40 {
            judge.observe(ArmDelta::new(100, 10), ArmDelta::new(100, 1));
            kept.push(measured(&judge, look * 1000));
            if judge.verdict().is_final() {
                break;
            }
        }
        let view = of(&kept).expect("a judge");
        let last = view.evidence.last().expect("points");
        assert_eq!(view.evidence.len(), kept.len());
        assert_eq!(last.verdict, "Failed");
        assert!(last.degradation >= view.fail_at, "{view:?}");
        assert!(view.evidence[0].degradation < view.fail_at, "{view:?}");
        assert!((view.fail_at - 100f64.ln()).abs() < 1e-9);
        assert_eq!(last.canary.events, 10 * kept.len() as u64);
    }

    #[test]
    fn an_erred_measurement_gives_no_point() {
        let erred = Measurement {
            phase: AnalysisPhase::Error,
            message: Some("no feed".into()),
            ..Measurement::default()
        };
        assert_eq!(of(&[erred]), None);
    }
}
