//! A real Prometheus for the dashboard's Kubernetes tests, scraping real
//! `serin demo-app` processes as a cluster's `kubernetes-pods` job would
//! label its pods: `namespace`, and the version's pod-template hash as
//! `serin_dev_pod_template_hash` (a pod label, its name sanitized). The
//! demo app's `demo_http_*` series are renamed `http_*` at scrape time, the
//! names the dashboard's default templates ask for. Everything is killed
//! on drop.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::daemon_support::{free_port, http, wait_for};

/// Debian's Prometheus (scripts/test installs it).
pub const PROMETHEUS: &str = "/usr/bin/prometheus";

/// Whether Prometheus is installed.
pub fn available() -> bool {
    Path::new(PROMETHEUS).exists()
}

/// A process killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One version of the app: a `serin demo-app` process.
pub struct Version {
    _child: Killed,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its pod-template hash, as Prometheus labels it.
    pub hash: String,
}

impl Version {
    /// `serin demo-app --version NAME --error-rate E` on a free port, once ready.
    pub fn start(name: &str, hash: &str, error_rate: f64) -> Version {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_serin"))
            .args(["demo-app", "--port", &port.to_string(), "--version", name])
            .args(["--error-rate", &error_rate.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("serin demo-app starts");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let version = Version {
            _child: Killed(child),
            addr,
            hash: hash.to_owned(),
        };
        wait_for("the demo app to be ready", || {
            http(addr, "GET", "/readyz", None, None).filter(|(s, _)| *s == 200)
        });
        version
    }
}

/// A Prometheus scraping some versions every second.
pub struct Prometheus {
    _child: Killed,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    /// Starts Prometheus scraping `versions` of namespace `default`, once ready.
    pub fn start(versions: &[&Version]) -> Prometheus {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = String::from(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: pods\n    static_configs:\n",
        );
        for v in versions {
            config.push_str(&format!(
                "      - targets: ['{}']\n        labels: {{namespace: default, serin_dev_pod_template_hash: '{}'}}\n",
                v.addr, v.hash
            ));
        }
        config.push_str(
            "    metric_relabel_configs:\n      - source_labels: [__name__]\n        regex: 'demo_(http_.*)'\n        target_label: __name__\n        replacement: '$1'\n",
        );
        let file = dir.path().join("prometheus.yml");
        std::fs::write(&file, config).expect("write the config");
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("prometheus.log")).expect("log");
        let child = Command::new(PROMETHEUS)
            .arg(format!("--config.file={}", file.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("prometheus starts");
        let p = Prometheus {
            _child: Killed(child),
            url: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        wait_for("prometheus to be ready", || {
            http(addr, "GET", "/-/ready", None, None).filter(|(s, _)| *s == 200)
        });
        p
    }
}
