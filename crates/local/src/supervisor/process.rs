//! One replica's process: started from the template in its own process
//! group with output to its log files, or adopted from a previous daemon
//! (then watched by polling its pid, since it is not our child); waiting
//! for it to end; and stopping it: SIGTERM to its group, SIGKILL after the
//! grace time, and SIGKILL to whatever is left of the group.

use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::process::{Child, Command};

use super::logs::LogFiles;
use super::signal;
use super::template::Vars;
use super::workload::Workload;

/// A running replica process.
#[derive(Debug)]
pub enum Proc {
    /// Started by this supervisor.
    Child {
        /// The child.
        child: Child,
        /// Its pid.
        pid: u32,
        /// Start time, ms since the epoch.
        started_at_ms: u64,
    },
    /// Left running by a previous daemon.
    Adopted {
        /// Its pid.
        pid: u32,
        /// Start time, ms since the epoch.
        started_at_ms: u64,
        /// Liveness polling period.
        poll: Duration,
    },
}

/// Milliseconds since the Unix epoch now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Starts one replica; `Err` says why it could not be started.
pub fn spawn(workload: &Workload, vars: Vars<'_>, logs: &LogFiles) -> Result<Proc, String> {
    let args = vars.render_all(&workload.command);
    let shown = args.join(" ");
    let (program, rest) = args.split_first().ok_or("empty command")?;
    let (out, err) = logs
        .open()
        .map_err(|e| format!("cannot open the log files of `{shown}`: {e}"))?;
    let mut cmd = Command::new(program);
    cmd.args(rest)
        .envs(vars.render_env(&workload.env))
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .kill_on_drop(false);
    if let Some(dir) = &workload.working_dir {
        cmd.current_dir(vars.render(dir));
    }
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot start `{shown}`: {e}"))?;
    let pid = child
        .id()
        .ok_or("the process ended before its pid was read")?;
    tracing::info!(version = vars.version, replica = vars.replica, port = vars.port, pid, command = %shown, "replica started");
    Ok(Proc::Child {
        child,
        pid,
        started_at_ms: now_ms(),
    })
}

impl Proc {
    /// Its pid.
    pub fn pid(&self) -> u32 {
        match self {
            Self::Child { pid, .. } | Self::Adopted { pid, .. } => *pid,
        }
    }

    /// When it started, ms since the epoch.
    pub fn started_at_ms(&self) -> u64 {
        match self {
            Self::Child { started_at_ms, .. } | Self::Adopted { started_at_ms, .. } => {
                *started_at_ms
            }
        }
    }

    /// Resolves when the process has ended, with how (cancel-safe).
    pub async fn wait(&mut self) -> String {
        match self {
            Self::Child { child, .. } => match child.wait().await {
                Ok(status) => describe(status),
                Err(e) => format!("could not be waited for: {e}"),
            },
            Self::Adopted { pid, poll, .. } => {
                while signal::alive(*pid) {
                    tokio::time::sleep(*poll).await;
                }
                "exited (adopted; exit status unknown)".to_owned()
            }
        }
    }

    /// Stops it: SIGTERM to its group, SIGKILL after `grace`, then SIGKILL
    /// to anything left in the group. Returns how it ended.
    pub async fn stop(mut self, grace: Duration) -> String {
        let pid = self.pid();
        signal::terminate(pid);
        let how = match tokio::time::timeout(grace, self.wait()).await {
            Ok(how) => how,
            Err(_) => {
                tracing::warn!(pid, ?grace, "replica ignored SIGTERM; killing it");
                signal::kill_group(pid);
                self.wait().await
            }
        };
        signal::kill_group(pid);
        how
    }

    /// After the leader ended on its own: SIGKILL to anything left in its group.
    pub fn reap_group(&self) {
        signal::kill_group(self.pid());
    }
}

/// "exited with code 1", "killed by signal 9".
fn describe(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with code {code}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        (None, None) => format!("ended ({status})"),
    }
}
