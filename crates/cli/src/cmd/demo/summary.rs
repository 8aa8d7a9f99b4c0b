//! The summary `serin demo` ends with: requests served, injected errors,
//! failed requests, canary exposure and time to rollback, and the two
//! outcomes.

use std::time::Duration;

use super::Strategy;
use super::load::Counts;
use super::spec::FAULTY;

/// What the demo ends with.
pub struct Summary {
    /// The strategy shown.
    pub strategy: Strategy,
    /// What the load generator saw.
    pub counts: Counts,
    /// Answers from v2 in production before the rollback.
    pub exposed: u64,
    /// From v2's first answer (or its release) to all traffic back on v1.
    pub time_to_rollback: Duration,
    /// Why v2 was aborted; `None` when it was not.
    pub abort_reason: Option<String>,
    /// Whether v3 was promoted.
    pub promoted: bool,
}

impl Summary {
    /// v2 rolled back, v3 promoted, no request failed.
    pub fn ok(&self) -> bool {
        self.abort_reason.is_some() && self.promoted && self.counts.failed == 0
    }

    /// Prints it on stdout.
    pub fn print(&self) {
        let c = &self.counts;
        let per_version: Vec<String> = c
            .by_version
            .iter()
            .map(|(v, n)| format!("{v} {n}"))
            .collect();
        println!();
        println!(
            "Summary ({})",
            match self.strategy {
                Strategy::Canary => "canary",
                Strategy::BlueGreen => "blue-green",
            }
        );
        println!(
            "  requests served:                 {} ({})",
            c.total,
            per_version.join(", ")
        );
        println!(
            "  injected errors ({FAULTY}'s faults):   {}",
            c.injected_total()
        );
        println!(
            "  failed during the switches:      {} (connection errors, 502/503, other errors)",
            c.failed
        );
        for f in &c.failures {
            println!("    {f}");
        }
        println!(
            "  canary requests before rollback: {} ({FAULTY} answers in production)",
            self.exposed
        );
        println!(
            "  time to rollback:                {:.1}s (from {FAULTY}'s first answer, or its release, to all traffic back on v1)",
            self.time_to_rollback.as_secs_f64()
        );
        match &self.abort_reason {
            Some(r) => println!("  {FAULTY}: rolled back — {r}"),
            None => println!("  {FAULTY}: NOT rolled back"),
        }
        println!(
            "  v3: {}",
            if self.promoted {
                "promoted"
            } else {
                "NOT promoted"
            }
        );
    }
}
