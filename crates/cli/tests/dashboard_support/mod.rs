//! A real headless Chromium for the dashboard's tests, driven through
//! chromedriver's W3C WebDriver HTTP API (a JSON request per step, over
//! the same small HTTP client as the daemon's tests). Dropping a
//! [`Browser`] ends its session and stops chromedriver, also when the test
//! failed. Screenshots go to `target/dashboard-screenshots/`.

#![allow(clippy::unwrap_used, dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::daemon_support::{LIMIT, free_port, wait_for};

mod base64;
pub mod load;
mod wire;

/// Debian's chromedriver.
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The key W3C gives an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Whether chromedriver is installed (scripts/test installs it).
pub fn available() -> bool {
    std::path::Path::new(CHROMEDRIVER).exists()
}

/// One chromedriver and one browser session.
pub struct Browser {
    driver: Child,
    addr: SocketAddr,
    session: String,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium.
    pub fn start() -> Browser {
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut b = Browser {
            driver,
            addr,
            session: String::new(),
        };
        wait_for("chromedriver", || {
            wire::request(addr, "GET", "/status", "").filter(|(s, _)| *s == 200)
        });
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,1500"]
            }
        }}});
        let v = b.call("POST", "/session", caps);
        b.session = v["sessionId"].as_str().unwrap().to_owned();
        b
    }

    fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let body = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        let (status, text) = wire::request(self.addr, method, path, &body)
            .unwrap_or_else(|| panic!("no answer from chromedriver to {method} {path}"));
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert_eq!(status, 200, "{method} {path}: {text}");
        v["value"].clone()
    }

    fn on(&self, what: &str) -> String {
        format!("/session/{}{what}", self.session)
    }

    /// Opens `url`.
    pub fn open(&self, url: &str) {
        self.call("POST", &self.on("/url"), json!({ "url": url }));
    }

    /// Runs `script` (a function body) in the page and returns its value.
    pub fn js(&self, script: &str) -> Value {
        self.call(
            "POST",
            &self.on("/execute/sync"),
            json!({"script": script, "args": []}),
        )
    }

    fn element(&self, css: &str) -> String {
        let v = self.call(
            "POST",
            &self.on("/element"),
            json!({"using": "css selector", "value": css}),
        );
        v[ELEMENT].as_str().unwrap().to_owned()
    }

    /// Clicks the element `css`.
    pub fn click(&self, css: &str) {
        let id = self.element(css);
        self.call("POST", &self.on(&format!("/element/{id}/click")), json!({}));
    }

    /// Types `text` into the element `css` (after clearing it).
    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css);
        self.call("POST", &self.on(&format!("/element/{id}/clear")), json!({}));
        self.call(
            "POST",
            &self.on(&format!("/element/{id}/value")),
            json!({ "text": text }),
        );
    }

    /// Polls `script` until it returns `true`, within [`LIMIT`]; on time
    /// out, fails with `what` and the page's text.
    pub fn wait_until(&self, what: &str, script: &str) {
        let deadline = Instant::now() + LIMIT;
        loop {
            if self.js(script) == Value::Bool(true) {
                return;
            }
            if Instant::now() > deadline {
                let text = self.js("return document.body.innerText;");
                panic!("timed out waiting for {what}; the page shows:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Saves a PNG of the window as `target/dashboard-screenshots/<name>.png`.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let v = self.call("GET", &self.on("/screenshot"), Value::Null);
        let png = base64::decode(v.as_str().unwrap());
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }
}

/// `target/dashboard-screenshots` (under `CARGO_TARGET_DIR` when set).
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("dashboard-screenshots")
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let path = format!("/session/{}", self.session);
            let _ = wire::request(self.addr, "DELETE", &path, "");
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
