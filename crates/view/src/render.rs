//! Plain text for a terminal or a pipe: no colours, no cursor movement.

use std::fmt::Write;

use crate::analysis::MetricView;
use crate::model::RolloutView;

/// Cells in a weight bar.
const BAR: usize = 10;

/// `████████░░` for 80.
pub fn weight_bar(percent: i32) -> String {
    let p = usize::try_from(percent.clamp(0, 100)).unwrap_or(0);
    let full = (p * BAR + 50) / 100;
    let mut s = "█".repeat(full);
    s.push_str(&"░".repeat(BAR - full));
    s
}

/// The whole view as text, one fact per line.
pub fn render(v: &RolloutView) -> String {
    let mut out = String::new();
    let phase = if v.phase.is_empty() {
        "Pending"
    } else {
        &v.phase
    };
    let _ = writeln!(out, "Rollout {} ({}): {phase}", v.name, v.strategy);
    if let Some(m) = &v.message {
        let _ = writeln!(out, "  {m}");
    }
    if let Some(r) = &v.abort_reason {
        let _ = writeln!(out, "  aborted: {r}");
    }
    let stable = v.stable.as_deref().unwrap_or("-");
    let mut traffic = format!(
        "stable {stable} {} {}%",
        weight_bar(100 - v.canary_weight),
        100 - v.canary_weight
    );
    if let Some(c) = v.canary.as_ref().filter(|c| Some(*c) != v.stable.as_ref()) {
        let _ = write!(
            traffic,
            " | canary {c} {} {}%",
            weight_bar(v.canary_weight),
            v.canary_weight
        );
    }
    if let Some(p) = &v.preview {
        let _ = write!(traffic, " | preview {p}");
    }
    let verified = if v.traffic_verified {
        ""
    } else {
        " (not yet in effect)"
    };
    let _ = writeln!(out, "Traffic: {traffic}{verified}");
    let _ = writeln!(out, "Desired: {}", v.desired_revision);
    if !v.steps.is_empty() {
        let shown = v.step_display.as_deref().unwrap_or("-");
        let _ = writeln!(out, "Steps ({shown}):");
        for s in &v.steps {
            let mark = if s.current {
                "▶"
            } else if s.done {
                "✔"
            } else {
                " "
            };
            let left = match (s.current, v.pause_left_ms) {
                (true, Some(ms)) => format!("  ({}s left)", ms.div_ceil(1000)),
                _ => String::new(),
            };
            let _ = writeln!(out, "  {mark} {}. {}{left}", s.index + 1, s.text);
        }
    }
    if !v.paused.is_empty() {
        let _ = writeln!(out, "Paused: {}", v.paused.join(", "));
    }
    if !v.analysis.is_empty() {
        let _ = writeln!(out, "Analysis:");
        for a in &v.analysis {
            let why = a
                .message
                .as_deref()
                .map(|m| format!(" — {m}"))
                .unwrap_or_default();
            let _ = writeln!(out, "  {} ({}): {}{why}", a.name, a.kind, a.phase);
            for m in &a.metrics {
                let _ = writeln!(out, "    {}", metric_line(m));
            }
        }
    }
    if !v.arms.is_empty() {
        let _ = writeln!(out, "Arms:");
        for a in &v.arms {
            let err = a
                .error_rate
                .map_or("-".to_owned(), |e| format!("{:.2}%", e * 100.0));
            let p99 = a.p99_ms.map_or("-".to_owned(), |p| format!("{p:.1}ms"));
            let _ = writeln!(
                out,
                "  {:<8} {:<10} {:>8.1} req/s  errors {err:>7}  p99 {p99}",
                a.arm, a.version, a.requests_per_second
            );
        }
    }
    out
}

/// Measured values shown per metric.
const VALUES: usize = 5;

/// One metric: `error-rate (prometheus) Successful: 3 measured, 0 failed;
/// last 0.01, 0.02, 0` or, for the sequential judge, its evidence against
/// its boundaries.
fn metric_line(m: &MetricView) -> String {
    let head = format!("{} ({}) {}", m.name, m.provider, m.phase);
    if let Some(j) = &m.judge
        && let Some(e) = j.evidence.last()
    {
        return format!(
            "{head}: canary {}/{} {what}, stable {}/{}; ln evidence of degradation {:.2} (fails at {:.2}), of none {:.2} (passes at {:.2})",
            e.canary.events,
            e.canary.requests,
            e.stable.events,
            e.stable.requests,
            e.degradation,
            j.fail_at,
            e.no_degradation,
            j.pass_at,
            what = if j.test == "latency" {
                "slow"
            } else {
                "errors"
            },
        );
    }
    let errors = if m.errors > 0 {
        format!(", {} erred", m.errors)
    } else {
        String::new()
    };
    let skip = m.measurements.len().saturating_sub(VALUES);
    let values: Vec<String> = m.measurements[skip..]
        .iter()
        .map(|x| {
            let v: String = x.value.as_deref().unwrap_or("-").chars().take(24).collect();
            if x.phase == "Successful" {
                v
            } else {
                format!("{v} ({})", x.phase)
            }
        })
        .collect();
    let last = if values.is_empty() {
        String::new()
    } else {
        format!("; last {}", values.join(", "))
    };
    format!(
        "{head}: {} measured, {} failed{errors}{last}",
        m.count, m.failed
    )
}
