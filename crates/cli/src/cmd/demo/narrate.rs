//! What the demo prints while a release runs: one line whenever the
//! rollout's phase, step, weights or an analysis verdict changes, with the
//! time since the demo started.

use std::time::Instant;

use serin_view::RolloutView;

/// Remembers what was printed last, to print only changes.
pub struct Narrator {
    start: Instant,
    last_state: String,
    last_analysis: Vec<String>,
}

impl Narrator {
    /// Times are counted from now.
    pub fn new() -> Narrator {
        Narrator {
            start: Instant::now(),
            last_state: String::new(),
            last_analysis: Vec::new(),
        }
    }

    /// Prints `text` with the time.
    pub fn say(&self, text: &str) {
        println!("[{:6.1}s] {text}", self.start.elapsed().as_secs_f64());
    }

    /// Prints what changed in `view` since the last call.
    pub fn view(&mut self, view: &RolloutView) {
        let state = state_line(view);
        if state != self.last_state {
            self.say(&state);
            self.last_state = state;
        }
        let analysis: Vec<String> = view
            .analysis
            .iter()
            .map(|a| {
                let why = a
                    .message
                    .as_deref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default();
                format!("  judge ({}, {}): {}{why}", a.kind, a.name, a.phase)
            })
            .collect();
        for line in &analysis {
            if !self.last_analysis.contains(line) {
                self.say(line);
            }
        }
        self.last_analysis = analysis;
    }
}

/// `Progressing · step 1/4 setWeight 20 · stable v1 80% | canary v2 20%`.
fn state_line(view: &RolloutView) -> String {
    let mut parts = vec![if view.phase.is_empty() {
        "starting".to_owned()
    } else {
        view.phase.clone()
    }];
    if let Some(step) = view.steps.iter().find(|s| s.current) {
        parts.push(format!(
            "step {}/{} {}",
            step.index + 1,
            view.steps.len(),
            step.text
        ));
    }
    let stable = view.stable.as_deref().unwrap_or("-");
    let weights = match (&view.canary, &view.preview) {
        (Some(c), _) if view.strategy == "canary" => format!(
            "stable {stable} {}% | canary {c} {}%{}",
            100 - view.canary_weight,
            view.canary_weight,
            if view.traffic_verified {
                ""
            } else {
                " (being applied)"
            }
        ),
        (_, Some(p)) if Some(p) != view.stable.as_ref() => {
            format!("active {stable} 100% | preview {p} (preview listener only)")
        }
        _ => format!("{stable} 100%"),
    };
    parts.push(weights);
    if view.abort_reason.is_some() {
        parts.push(format!("all traffic back on {stable}"));
    } else if let Some(m) = &view.message {
        parts.push(m.clone());
    }
    parts.join(" · ")
}
