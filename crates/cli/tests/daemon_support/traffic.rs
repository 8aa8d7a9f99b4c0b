//! A counting load generator for end-to-end tests: one thread sends
//! `GET /` to a listener back to back over fresh connections and counts
//! every answer by version, and every failure (no answer, or a status other
//! than 200). A failure is *excused* when it began or ended while the test
//! said the daemon was down ([`Traffic::down`]): the proxy runs inside the
//! daemon, so those requests would have failed anyway.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use super::http;

/// What the load saw.
#[derive(Debug, Default)]
pub struct Tally {
    /// 200 answers per version.
    pub ok: BTreeMap<String, usize>,
    /// Failures not excused: the status, or `no answer`.
    pub failed: Vec<String>,
    /// Failures while the daemon was down.
    pub excused: usize,
}

/// A running load.
pub struct Traffic {
    stop: Arc<AtomicBool>,
    down: Arc<AtomicBool>,
    handle: JoinHandle<Tally>,
}

impl Traffic {
    /// Starts the load on `127.0.0.1:port`.
    pub fn start(port: u16) -> Traffic {
        let stop = Arc::new(AtomicBool::new(false));
        let down = Arc::new(AtomicBool::new(false));
        let (s, dn) = (stop.clone(), down.clone());
        let handle = std::thread::spawn(move || {
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let mut tally = Tally::default();
            while !s.load(Ordering::SeqCst) {
                let before = dn.load(Ordering::SeqCst);
                let answer = http(addr, "GET", "/", None, None);
                let excused = before || dn.load(Ordering::SeqCst);
                let version = answer.as_ref().and_then(|(status, body)| {
                    (*status == 200)
                        .then(|| serde_json::from_str::<serde_json::Value>(body).ok())
                        .flatten()
                        .and_then(|v| v["version"].as_str().map(str::to_owned))
                });
                match (version, answer) {
                    (Some(v), _) => *tally.ok.entry(v).or_default() += 1,
                    _ if excused => tally.excused += 1,
                    (None, Some((status, body))) => tally.failed.push(format!("{status} {body}")),
                    (None, None) => tally.failed.push("no answer".to_owned()),
                }
            }
            tally
        });
        Traffic { stop, down, handle }
    }

    /// Says whether the daemon is down (failures are excused meanwhile).
    pub fn down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// Stops the load and returns the tally.
    pub fn finish(self) -> Tally {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.join().unwrap()
    }
}
