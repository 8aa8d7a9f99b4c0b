//! `judge-sim`: the analysis-judge benchmark. Feeds the same seeded
//! synthetic request streams (per second: Poisson requests split by weight,
//! binomial errors per arm) to Flagger's, Argo Rollouts' and a Kayenta-style
//! threshold judge and to serin's sequential judge, and prints Markdown
//! tables: false rollbacks of healthy canaries, and canary requests served
//! and time before a degraded canary is rolled back.
//!
//! Usage: `cargo run --release -p judge-sim [-- --healthy-runs N --degraded-runs M]`

mod judges;
mod report;
mod run;
mod stats;
mod stream;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use stream::{Kind, Scenario};

const TRAFFIC_RPS: [f64; 3] = [10.0, 100.0, 1_000.0];
const WEIGHTS: [f64; 3] = [0.05, 0.10, 0.20];
const KINDS: [Kind; 5] = [
    Kind::Errors(0.01),
    Kind::Errors(0.015),
    Kind::Errors(0.02),
    Kind::Errors(0.05),
    Kind::Latency,
];
const SEED: u64 = 0x5e71_2026;

fn arg(name: &str, default: u32) -> u32 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let healthy_runs = arg("--healthy-runs", 1_000);
    let degraded_runs = arg("--degraded-runs", 1_000);
    let scenarios: Vec<Scenario> = KINDS
        .iter()
        .flat_map(|&kind| {
            TRAFFIC_RPS.iter().flat_map(move |&rps| {
                WEIGHTS
                    .iter()
                    .map(move |&weight| Scenario { kind, rps, weight })
            })
        })
        .collect();
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let results = Mutex::new(vec![None; scenarios.len()]);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&sc) = scenarios.get(i) else { break };
                    let runs = if sc.kind.healthy() {
                        healthy_runs
                    } else {
                        degraded_runs
                    };
                    let r = run::scenario(sc, runs, SEED.wrapping_add(i as u64 * 7_919));
                    if let Ok(mut all) = results.lock() {
                        all[i] = Some(r);
                    }
                }
            });
        }
    });
    let results: Vec<run::ScenarioResult> = results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect();
    let (healthy, degraded): (Vec<_>, Vec<_>) =
        results.iter().partition(|r| r.scenario.kind.healthy());
    println!(
        "### Healthy canaries (1% errors on both arms): false rollbacks over {healthy_runs} runs\n"
    );
    println!("{}", report::healthy(&healthy));
    println!(
        "### Degraded canaries: rolled back · median / p90 canary requests before rollback · median time to decision, over {degraded_runs} runs\n"
    );
    println!("{}", report::degraded(&degraded));
    let pauses = report::pauses(&results);
    if !pauses.is_empty() {
        println!("{pauses}");
    }
    println!(
        "{} scenarios, {} threads, {:.0} s",
        results.len(),
        workers,
        started.elapsed().as_secs_f64()
    );
}
