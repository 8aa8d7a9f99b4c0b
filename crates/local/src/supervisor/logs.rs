//! Each replica's stdout and stderr go to files under the log directory
//! (`<version>-<replica>.stdout.log` / `.stderr.log`, appended across
//! restarts), so that a replica outlives the daemon without writing to a
//! closed pipe, and an adopted replica's output is still there. The last
//! stderr lines, for a start failure, are read back from the file's tail.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Bytes read from the end of a stderr file to find its last lines.
const TAIL_BYTES: u64 = 16 * 1024;

/// The log files of one replica.
#[derive(Clone, Debug)]
pub struct LogFiles {
    /// Its standard output.
    pub stdout: PathBuf,
    /// Its standard error.
    pub stderr: PathBuf,
}

impl LogFiles {
    /// The files of `version`'s replica `replica` under `dir`.
    pub fn new(dir: &Path, version: &str, replica: u32) -> Self {
        let safe: String = version
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        Self {
            stdout: dir.join(format!("{safe}-{replica}.stdout.log")),
            stderr: dir.join(format!("{safe}-{replica}.stderr.log")),
        }
    }

    /// Opens both for appending (creating the directory).
    pub fn open(&self) -> std::io::Result<(File, File)> {
        if let Some(dir) = self.stdout.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let open = |p: &Path| OpenOptions::new().create(true).append(true).open(p);
        Ok((open(&self.stdout)?, open(&self.stderr)?))
    }

    /// The last `n` lines of stderr (fewer if it has fewer; none if unreadable).
    pub fn stderr_tail(&self, n: usize) -> Vec<String> {
        tail(&self.stderr, n).unwrap_or_default()
    }
}

/// The last `n` lines of the file at `path`.
fn tail(path: &Path, n: usize) -> std::io::Result<Vec<String>> {
    let mut f = File::open(path)?;
    let len = f.metadata()?.len();
    let start = len.saturating_sub(TAIL_BYTES);
    f.seek(SeekFrom::Start(start))?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf)?;
    let text = String::from_utf8_lossy(&buf);
    let mut lines: Vec<&str> = text.lines().collect();
    if start > 0 && !lines.is_empty() {
        lines.remove(0); // a partial line
    }
    let skip = lines.len().saturating_sub(n);
    Ok(lines[skip..].iter().map(|l| (*l).to_owned()).collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::io::Write;

    #[test]
    fn stderr_tail_keeps_the_last_lines() {
        let dir = std::env::temp_dir().join(format!("serin-logs-test-{}", std::process::id()));
        let files = LogFiles::new(&dir, "v1/x", 0);
        assert!(files.stderr.ends_with("v1_x-0.stderr.log"));
        let (_, mut err) = files.open().unwrap();
        for i in 0..30 {
            writeln!(err, "line {i}").unwrap();
        }
        let tail = files.stderr_tail(20);
        assert_eq!(tail.len(), 20);
        assert_eq!(tail[0], "line 10");
        assert_eq!(tail[19], "line 29");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
