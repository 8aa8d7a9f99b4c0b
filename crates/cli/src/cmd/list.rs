//! `serin list`: every rollout of the daemon, or of a namespace (`-A`: of
//! every namespace) on Kubernetes, one line each, as `kubectl get` prints.

use std::process::ExitCode;

use anyhow::Context as _;
use serin_api::{Rollout, Time};
use serin_view::RolloutView;

use super::admin_client::{Conn, block_on};
use super::kube_target::{self, KubeArgs, Platform};

/// Arguments of `serin list`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The rollouts of every namespace (Kubernetes).
    #[arg(short = 'A', long)]
    all_namespaces: bool,
    /// Where the daemon is.
    #[command(flatten)]
    conn: Conn,
    /// Or which Kubernetes cluster and namespace.
    #[command(flatten)]
    kube: KubeArgs,
}

/// Prints the rollouts.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    if args.all_namespaces || args.kube.platform()? == Platform::Kubernetes {
        return block_on(run_kube(args));
    }
    let client = args.conn.client()?;
    block_on(async {
        let views: Vec<RolloutView> = client.get("/v1/rollouts").await?;
        println!(
            "{:<20} {:<10} {:<12} {:<10} {:<10} {:>6} {:>6}",
            "NAME", "STRATEGY", "PHASE", "STABLE", "CANARY", "WEIGHT", "STEP"
        );
        for v in views {
            println!(
                "{:<20} {:<10} {:<12} {:<10} {:<10} {:>6} {:>6}",
                v.name,
                v.strategy,
                phase(&v),
                v.stable.as_deref().unwrap_or("-"),
                v.canary
                    .as_deref()
                    .filter(|c| Some(*c) != v.stable.as_deref())
                    .unwrap_or("-"),
                v.canary_weight,
                v.step_display.as_deref().unwrap_or("-"),
            );
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// The phase, `Pending` before the first pass.
fn phase(v: &RolloutView) -> &str {
    if v.phase.is_empty() {
        "Pending"
    } else {
        &v.phase
    }
}

/// The Rollouts of the namespace, or of all with `-A`.
async fn run_kube(args: &Args) -> anyhow::Result<ExitCode> {
    let target = kube_target::connect(&args.kube).await?;
    let api = if args.all_namespaces {
        kube::Api::<Rollout>::all(target.client.clone())
    } else {
        target.rollouts()
    };
    let list = api
        .list(&kube::api::ListParams::default())
        .await
        .context("listing rollouts")?;
    if list.items.is_empty() {
        if args.all_namespaces {
            eprintln!("No rollouts found.");
        } else {
            eprintln!("No rollouts found in {} namespace.", target.namespace);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let now = kube_target::now();
    let rows: Vec<Vec<String>> = list
        .items
        .iter()
        .map(|r| row(r, now, args.all_namespaces))
        .collect();
    let mut header = vec!["NAME", "STRATEGY", "PHASE", "STEP", "WEIGHT", "AGE"];
    if args.all_namespaces {
        header.insert(0, "NAMESPACE");
    }
    let header: Vec<String> = header.into_iter().map(str::to_owned).collect();
    print!("{}", table(&header, &rows));
    Ok(ExitCode::SUCCESS)
}

/// One Rollout's cells.
fn row(rollout: &Rollout, now: Time, with_namespace: bool) -> Vec<String> {
    let view = super::status::view_of(rollout, now);
    let created = rollout
        .metadata
        .creation_timestamp
        .as_ref()
        .map(|t| Time::from_millis(t.0.as_millisecond()));
    let mut cells = vec![
        view.name.clone(),
        view.strategy.clone(),
        phase(&view).to_owned(),
        view.step_display.clone().unwrap_or_else(|| "-".to_owned()),
        view.canary_weight.to_string(),
        created.map_or_else(|| "<unknown>".to_owned(), |c| age(now.millis_since(c))),
    ];
    if with_namespace {
        cells.insert(0, rollout.metadata.namespace.clone().unwrap_or_default());
    }
    cells
}

/// Columns padded to their widest cell, three spaces apart, as `kubectl get`.
fn table(header: &[String], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for line in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        let cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(cells.join("   ").trim_end());
        out.push('\n');
    }
    out
}

/// An age as `kubectl get` shows it: `45s`, `5m10s`, `3h`, `2d4h`, `30d`.
fn age(ms: u64) -> String {
    let s = ms / 1000;
    let (m, h, d) = (s / 60, s / 3600, s / 86_400);
    match s {
        0..120 => format!("{s}s"),
        120..600 => format!("{m}m{}s", s % 60),
        600..10_800 => format!("{m}m"),
        10_800..28_800 => format!("{h}h{}m", m % 60),
        28_800..172_800 => format!("{h}h"),
        172_800..691_200 => format!("{d}d{}h", h % 24),
        _ => format!("{d}d"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_as_kubectl_prints_them() {
        assert_eq!(age(45_000), "45s");
        assert_eq!(age(310_000), "5m10s");
        assert_eq!(age(3_000_000), "50m");
        assert_eq!(age(4 * 3_600_000 + 60_000), "4h1m");
        assert_eq!(age(30 * 3_600_000), "30h");
        assert_eq!(age(52 * 3_600_000), "2d4h");
        assert_eq!(age(30 * 86_400_000), "30d");
    }

    #[test]
    fn columns_are_padded_to_the_widest_cell() {
        let header = vec!["NAME".to_owned(), "AGE".to_owned()];
        let rows = vec![vec!["checkout".to_owned(), "5s".to_owned()]];
        assert_eq!(table(&header, &rows), "NAME       AGE\ncheckout   5s\n");
    }
}
