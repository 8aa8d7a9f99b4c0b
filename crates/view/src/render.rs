//! Plain text for a terminal or a pipe: no colours, no cursor movement.

use std::fmt::Write;

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
