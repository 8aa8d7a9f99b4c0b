//! A `serin up` daemon for tests: a temporary state directory, free ports,
//! the real `serin` binary, the reference service as the workload, and
//! polling with deadlines. Dropping a [`Daemon`] stops it (SIGTERM, then
//! SIGKILL) and kills every replica process it started (found by the
//! test's marker in their command line), also when the test failed.

#![allow(clippy::unwrap_used, dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod status;
pub mod traffic;

/// Every wait ends within this.
pub const LIMIT: Duration = Duration::from_secs(40);

/// The `serin` binary.
pub fn serin_bin() -> &'static str {
    env!("CARGO_BIN_EXE_serin")
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A rollout's YAML: the reference service behind `listen`, with `steps`
/// (YAML flow sequence) and extra canary fields.
pub fn canary_yaml(marker: &str, listen: u16, steps: &str, extra: &str) -> String {
    rollout_yaml(
        marker,
        listen,
        "",
        &format!("    canary:\n      steps: {steps}\n{extra}"),
        "",
    )
}

/// A running daemon.
pub struct Daemon {
    pub dir: tempfile::TempDir,
    pub file: PathBuf,
    pub listen: u16,
    pub marker: String,
    child: Option<Child>,
}

impl Daemon {
    /// Writes the YAML made by `yaml(marker, listen)` and starts `serin up`.
    pub fn start(yaml: impl FnOnce(&str, u16) -> String) -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        let marker = format!(
            "serin-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let listen = free_port();
        let file = dir.path().join("serin.yaml");
        std::fs::write(&file, yaml(&marker, listen)).unwrap();
        let mut d = Daemon {
            dir,
            file,
            listen,
            marker,
            child: None,
        };
        d.spawn();
        d
    }

    pub fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// Starts `serin up` and waits for its admin API.
    pub fn spawn(&mut self) {
        let addr_file = self.state().join("admin-addr");
        let _ = std::fs::remove_file(&addr_file);
        let log = std::fs::File::create(self.dir.path().join("up.log")).unwrap();
        let child = Command::new(serin_bin())
            .args(["up", "-f"])
            .arg(&self.file)
            .arg("--state-dir")
            .arg(self.state())
            .args(["--admin-listen", "127.0.0.1:0"])
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let admin = wait_for("the admin address", || {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("serin up exited with {status}:\n{}", self.log());
            }
            std::fs::read_to_string(&addr_file).ok()
        });
        let addr: SocketAddr = admin.trim().parse().unwrap();
        wait_for("the admin API", || {
            http(addr, "GET", "/health", None, None).filter(|(s, _)| *s == 200)
        });
    }

    /// `serin ARGS --state-dir STATE`.
    pub fn serin(&self, args: &[&str]) -> Output {
        Command::new(serin_bin())
            .args(args)
            .arg("--state-dir")
            .arg(self.state())
            .env_remove("SERIN_ADMIN")
            .env_remove("SERIN_TOKEN")
            .output()
            .unwrap()
    }

    /// Runs a CLI command that must succeed.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.serin(args);
        assert!(
            out.status.success(),
            "serin {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// `serin status web -o json`.
    pub fn view(&self) -> Value {
        serde_json::from_str(&self.ok(&["status", "web", "-o", "json"])).unwrap()
    }

    /// Waits until the view satisfies `cond`; returns it.
    pub fn wait_view(&self, what: &str, cond: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + LIMIT;
        loop {
            let v = self.view();
            if cond(&v) {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; last view: {v:#}\nlog:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The daemon's log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("up.log")).unwrap_or_default()
    }

    /// The admin API's address.
    pub fn admin(&self) -> SocketAddr {
        std::fs::read_to_string(self.state().join("admin-addr"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    /// The admin token.
    pub fn token(&self) -> String {
        std::fs::read_to_string(self.state().join("admin-token"))
            .unwrap()
            .trim()
            .to_owned()
    }

    /// The versions answering `n` requests to the proxy.
    pub fn versions(&self, n: usize) -> Vec<String> {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.listen));
        (0..n)
            .map(|_| {
                let (status, body) = http(addr, "GET", "/", None, None).unwrap();
                assert_eq!(status, 200, "{body}");
                let v: Value = serde_json::from_str(&body).unwrap();
                v["version"].as_str().unwrap().to_owned()
            })
            .collect()
    }

    /// Pids of the replica processes of `version` (all with `None`).
    pub fn replica_pids(&self, version: Option<&str>) -> Vec<u32> {
        let needle = match version {
            Some(v) => format!("{}-{v}-", self.marker),
            None => format!("{}-", self.marker),
        };
        pids_with(&needle)
    }

    /// SIGTERM to the daemon; waits for it to exit and returns its status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut c = self.child.take().unwrap();
        Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status()
            .unwrap();
        wait_for("the daemon to exit", || c.try_wait().unwrap())
    }

    /// SIGKILL to the daemon alone (its replicas keep running).
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }
}

/// Processes whose command line holds `needle`.
pub fn pids_with(needle: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in entries.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmd) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let zombie = stat
            .rsplit(')')
            .next()
            .is_some_and(|s| s.trim_start().starts_with('Z'));
        if !zombie && String::from_utf8_lossy(&cmd).contains(needle) {
            out.push(pid);
        }
    }
    out.sort_unstable();
    out
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
        for pid in pids_with(&format!("{}-", self.marker)) {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .status();
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(pid.to_string())
                .status();
        }
    }
}

/// Polls `f` until it gives a value, within [`LIMIT`].
pub fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + LIMIT;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One HTTP/1.1 request over a fresh connection: status and body.
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Option<(u16, String)> {
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    http_with(addr, method, path, &auth, body)
}

/// The same with extra header lines (each ending in `\r\n`).
pub fn http_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    auth: &str,
    body: Option<&str>,
) -> Option<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let body = body.unwrap_or("");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let (head, rest) = text.split_once("\r\n\r\n")?;
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    Some((status, body))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Whether `path` exists.
pub fn exists(path: &Path) -> bool {
    path.exists()
}

/// A rollout's YAML with any strategy (`strategy` is the YAML under
/// `strategy:`, indented by 4), extra `spec.local` lines (indented by 4)
/// and extra documents after it.
pub fn rollout_yaml(
    marker: &str,
    listen: u16,
    local_extra: &str,
    strategy: &str,
    documents: &str,
) -> String {
    format!(
        r#"apiVersion: serin.dev/v1alpha1
kind: Rollout
metadata:
  name: web
spec:
  replicas: 1
  local:
    command: ["{bin}", demo-app, --port, "{{port}}", --version, "{{version}}", --instance, "{marker}-{{version}}-{{replica}}"]
    version: v1
    listen: 127.0.0.1:{listen}
    drainSeconds: 1
    graceSeconds: 2
    probes:
      readiness: {{path: /readyz, period: 100ms, failureThreshold: 2}}
{local_extra}  strategy:
{strategy}
{documents}"#,
        bin = serin_bin()
    )
}

/// The port in the command line of the first replica of `version`.
pub fn replica_port(d: &Daemon, version: &str) -> u16 {
    let pid = wait_for("a replica of the version", || {
        d.replica_pids(Some(version)).first().copied()
    });
    let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    let args: Vec<String> = cmd
        .split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).to_string())
        .collect();
    let i = args.iter().position(|a| a == "--port").unwrap();
    args[i + 1].parse().unwrap()
}

/// Sends requests to `port` from a thread until `stop` is set; counts them.
pub fn load(
    port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut n = 0;
        let deadline = Instant::now() + LIMIT;
        while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
            let _ = http(addr, "GET", "/", None, None);
            n += 1;
        }
        n
    })
}
