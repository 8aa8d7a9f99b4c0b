//! The demo's script: start the daemon in a temporary directory, send load,
//! release v2 (faulty) and watch it rolled back, release v3 and watch it
//! promoted, then print the summary. Cleans up on every way out.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use serin_api::document::Document;
use serin_local::daemon::{self, DaemonConfig};
use serin_local::supervisor::Options;
use serin_view::RolloutView;
use tokio::sync::watch;

use super::load::Load;
use super::narrate::Narrator;
use super::spec::{self, FAULTY, Ports};
use super::summary::Summary;
use super::{Pace, Strategy};
use crate::cmd::admin_client::{Client, Conn};
use crate::cmd::lint;

/// The rollout's name.
const NAME: &str = "demo";

/// Runs the demo; `Ok(true)` when v2 was rolled back, v3 promoted and no
/// request failed.
pub async fn run(strategy: Strategy, pace: Pace) -> anyhow::Result<bool> {
    let dir = std::env::temp_dir().join(format!("serin-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let ports = Ports {
        listen: free_port()?,
        preview: free_port()?,
    };
    let config = config(&dir, strategy, &pace, &ports)?;
    let (stop, stopped) = watch::channel(false);
    let mut stopped = stopped;
    let mut daemon = tokio::spawn(daemon::run(config, async move {
        let _ = stopped.wait_for(|s| *s).await;
    }));
    let mut ended = None;
    let outcome = tokio::select! {
        r = tokio::time::timeout(pace.limit, script(&dir, strategy, &pace, &ports)) => {
            r.unwrap_or_else(|_| Err(anyhow!("the demo did not end within {:?}", pace.limit)))
        }
        _ = tokio::signal::ctrl_c() => Err(anyhow!("interrupted")),
        r = &mut daemon => {
            ended = Some(r);
            Err(anyhow!("the daemon stopped on its own"))
        }
    };
    println!("stopping the daemon and every replica...");
    let _ = stop.send(true);
    let ended = match ended {
        Some(r) => Ok(r),
        None => tokio::time::timeout(Duration::from_secs(30), daemon).await,
    };
    match ended {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => eprintln!("serin demo: the daemon: {e}"),
        Ok(Err(e)) => eprintln!("serin demo: the daemon: {e}"),
        Err(_) => eprintln!("serin demo: the daemon did not stop within 30s"),
    }
    match outcome {
        Ok(ok) => {
            let _ = std::fs::remove_dir_all(&dir);
            Ok(ok)
        }
        Err(e) => Err(e.context(format!("state and logs kept in {}", dir.display()))),
    }
}

/// The daemon's configuration, from the demo's YAML checked as `serin lint` does.
fn config(
    dir: &Path,
    strategy: Strategy,
    pace: &Pace,
    ports: &Ports,
) -> anyhow::Result<DaemonConfig> {
    let exe = std::env::current_exe().context("finding the serin binary")?;
    let file = dir.join("serin.yaml");
    let text = spec::yaml(&exe.to_string_lossy(), strategy, pace, ports);
    std::fs::write(&file, text).with_context(|| format!("writing {}", file.display()))?;
    let (report, documents) = lint::check(std::slice::from_ref(&file));
    let errors: Vec<String> = report
        .iter()
        .flat_map(|(_, _, lines)| lines.clone())
        .collect();
    if !errors.is_empty() {
        bail!("the demo's spec is invalid: {}", errors.join("; "));
    }
    let mut config = DaemonConfig {
        state_dir: dir.join("state"),
        admin_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        rollouts: Vec::new(),
        templates: Vec::new(),
        cluster_templates: Vec::new(),
        supervisor: Options {
            log_dir: dir.join("logs"),
            ..Options::default()
        },
    };
    for doc in documents {
        match doc {
            Document::Rollout(r) => config.rollouts.push(r),
            Document::AnalysisTemplate(t) => config.templates.push(t),
            _ => {}
        }
    }
    Ok(config)
}

/// A loopback port free right now.
fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The story, once the daemon runs.
async fn script(
    dir: &Path,
    strategy: Strategy,
    pace: &Pace,
    ports: &Ports,
) -> anyhow::Result<bool> {
    let mut say = Narrator::new();
    let client = connect(&dir.join("state")).await?;
    say.say(&format!(
        "serin up started in {} — rollout `demo`: {} replica(s) of `serin demo-app` per version behind 127.0.0.1:{}",
        dir.display(),
        pace.replicas,
        ports.listen
    ));
    follow(&client, &mut say, |v| healthy_on(v, "v1").then_some(())).await?;
    let load = Load::start(ports.listen, pace.rate)?;
    say.say(&format!(
        "load: {} req/s of GET / on 127.0.0.1:{}, every answer counted",
        pace.rate, ports.listen
    ));
    wait_until(|| load.counts().answers("v1") >= u64::from(pace.rate / 2)).await;

    let rate = spec::error_rate(strategy);
    say.say(&format!(
        "── release {FAULTY}: {:.0}% of its answers are injected errors (500) ──",
        rate * 100.0
    ));
    set_version(&client, FAULTY).await?;
    let released = Instant::now();
    let aborted = follow(&client, &mut say, |v| {
        if v.phase == "Aborted" && v.canary_weight == 0 && v.traffic_verified {
            Some(Ok(v.abort_reason.clone().unwrap_or_default()))
        } else if healthy_on(v, FAULTY) {
            Some(Err(()))
        } else {
            None
        }
    })
    .await?;
    let rolled_back_at = Instant::now();
    let at_rollback = load.counts();
    let rolled_back = aborted.is_ok();
    let from = at_rollback
        .first_answer
        .get(FAULTY)
        .copied()
        .unwrap_or(released);
    let time_to_rollback = rolled_back_at.saturating_duration_since(from);
    if rolled_back && strategy == Strategy::BlueGreen {
        say.say(&format!(
            "{FAULTY} aborted before the switch: production traffic never left v1"
        ));
    } else if rolled_back {
        say.say(&format!("{FAULTY} rolled back: all traffic is on v1 again"));
    } else {
        say.say(&format!(
            "{FAULTY} was promoted: the judge did not catch it"
        ));
    }

    say.say("── release v3: healthy ──");
    set_version(&client, "v3").await?;
    let mut started = false;
    let promoted = follow(&client, &mut say, |v| {
        started |= v.phase != "Aborted";
        if healthy_on(v, "v3") && v.canary.is_none() {
            Some(true)
        } else if started && v.phase == "Aborted" {
            Some(false)
        } else {
            None
        }
    })
    .await?;
    say.say(if promoted {
        "v3 promoted: it serves all traffic"
    } else {
        "v3 was rolled back"
    });
    tokio::time::sleep(pace.settle).await;
    let counts = load.stop().await;
    let summary = Summary {
        strategy,
        counts,
        exposed: at_rollback.answers(FAULTY),
        time_to_rollback,
        abort_reason: aborted.ok(),
        promoted,
    };
    summary.print();
    Ok(summary.ok())
}

/// Waits for the daemon's admin address and answers.
async fn connect(state: &Path) -> anyhow::Result<Client> {
    let addr_file: PathBuf = state.join(serin_local::admin::ADDR_FILE);
    wait_until(|| addr_file.exists()).await;
    let client = Conn::at_state_dir(state.to_path_buf()).client()?;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match client
            .get::<RolloutView>(&format!("/v1/rollouts/{NAME}"))
            .await
        {
            Ok(_) => return Ok(client),
            Err(e) if Instant::now() > deadline => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

async fn set_version(client: &Client, version: &str) -> anyhow::Result<()> {
    let _: serde_json::Value = client
        .send_json(
            reqwest::Method::PUT,
            &format!("/v1/rollouts/{NAME}/version"),
            &serde_json::json!({"version": version, "by": "serin demo"}),
        )
        .await?;
    Ok(())
}

fn healthy_on(v: &RolloutView, version: &str) -> bool {
    v.phase == "Healthy" && v.stable.as_deref() == Some(version) && v.traffic_verified
}

/// Polls the view, narrating it, until `done` gives a value.
async fn follow<T>(
    client: &Client,
    say: &mut Narrator,
    mut done: impl FnMut(&RolloutView) -> Option<T>,
) -> anyhow::Result<T> {
    loop {
        let view: RolloutView = client.get(&format!("/v1/rollouts/{NAME}")).await?;
        say.view(&view);
        if let Some(v) = done(&view) {
            return Ok(v);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls `cond` every 20ms (the caller's overall limit bounds it).
async fn wait_until(cond: impl Fn() -> bool) {
    while !cond() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
