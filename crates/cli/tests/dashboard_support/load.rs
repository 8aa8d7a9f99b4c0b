//! Steady traffic for the dashboard's tests: about 50 requests a second
//! through a rollout's listener (paced, so that an analysis sees several
//! looks), until dropped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::daemon_support::http;

/// About 50 requests a second to `127.0.0.1:port`; stops when dropped.
pub struct Load {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Load {
    /// Starts sending.
    pub fn start(port: u16) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                let _ = http(addr, "GET", "/", None, None);
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Load {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
