//! Markdown tables of the results: false rollbacks on healthy canaries, and
//! exposure and time to rollback on degraded ones.

use std::fmt::Write;

use crate::judges::NAMES;
use crate::run::{JudgeSummary, ScenarioResult};

/// `45s`, `12m`, `1.5h`.
pub fn duration(seconds: u64) -> String {
    match seconds {
        s if s < 120 => format!("{s}s"),
        s if s < 7_200 => format!("{}m", (s as f64 / 60.0).round()),
        s => format!("{:.1}h", s as f64 / 3_600.0),
    }
}

fn pct(x: f64) -> String {
    let p = x * 100.0;
    if p == 0.0 || p >= 10.0 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

fn traffic(r: &ScenarioResult) -> String {
    format!(
        "{} rps | {}%",
        r.scenario.rps,
        (r.scenario.weight * 100.0).round()
    )
}

/// The healthy table: false rollbacks per judge, and serin's cost.
pub fn healthy(results: &[&ScenarioResult]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| traffic | weight | {} | {} | {} | {} | serin: median canary requests to promote | serin: median time to decision |",
        NAMES[0], NAMES[1], NAMES[2], NAMES[3]
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    for r in results {
        let cells: Vec<String> = r
            .judges
            .iter()
            .map(|j| j.as_ref().map_or("n/a".into(), |s| pct(s.rollback_share())))
            .collect();
        let serin = r.judges[3].as_ref();
        let promote = serin
            .and_then(|s| crate::stats::quantile(&s.promote_requests, 0.5))
            .map_or("—".into(), |n| n.to_string());
        let time = serin
            .and_then(JudgeSummary::median_decision_seconds)
            .map_or("—".into(), duration);
        let _ = writeln!(
            out,
            "| {} | {} | {promote} | {time} |",
            traffic(r),
            cells.join(" | ")
        );
    }
    out
}

fn degraded_cell(s: &JudgeSummary) -> String {
    let caught = pct(s.rollback_share());
    match (s.rollback_median_p90(), s.median_decision_seconds()) {
        (Some((m, p)), Some(t)) => format!("{caught} · {m} / {p} · {}", duration(t)),
        (None, Some(t)) => format!("{caught} · — · {}", duration(t)),
        _ => caught,
    }
}

/// The degraded table: per judge "rolled back · median / p90 canary
/// requests before rollback · median time to decision".
pub fn degraded(results: &[&ScenarioResult]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| canary | traffic | weight | {} | {} | {} | {} |",
        NAMES[0], NAMES[1], NAMES[2], NAMES[3]
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    for r in results {
        let cells: Vec<String> = r
            .judges
            .iter()
            .map(|j| j.as_ref().map_or("n/a".into(), degraded_cell))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            r.scenario.kind.label(),
            traffic(r),
            cells.join(" | ")
        );
    }
    out
}

/// serin's pauses (Inconclusive at maxSamples), if any happened.
pub fn pauses(results: &[ScenarioResult]) -> String {
    let mut out = String::new();
    for r in results {
        if let Some(s) = r.judges[3].as_ref().filter(|s| s.pauses > 0) {
            let _ = writeln!(
                out,
                "- {} at {}: serin paused (Inconclusive at maxSamples) {} of {} runs",
                r.scenario.kind.label(),
                traffic(r).replace(" | ", ", weight "),
                s.pauses,
                s.runs
            );
        }
    }
    out
}
