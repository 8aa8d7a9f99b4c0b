//! Signals to a replica's process group (each replica leads its own group,
//! so helpers it started go with it) and the liveness of a pid, through
//! `nix`'s safe wrappers.

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

/// Sends `signal` to the process group led by `pid`; a group already gone
/// is not an error.
fn to_group(pid: u32, signal: Signal) {
    let Ok(raw) = i32::try_from(pid) else { return };
    match killpg(Pid::from_raw(raw), signal) {
        Ok(()) | Err(Errno::ESRCH) => {}
        Err(e) => tracing::warn!(pid, %signal, error = %e, "signalling a replica failed"),
    }
}

/// SIGTERM to the replica's group.
pub fn terminate(pid: u32) {
    to_group(pid, Signal::SIGTERM);
}

/// SIGKILL to the replica's group.
pub fn kill_group(pid: u32) {
    to_group(pid, Signal::SIGKILL);
}

/// Whether `pid` is a running process (a zombie is not).
pub fn alive(pid: u32) -> bool {
    let Ok(raw) = i32::try_from(pid) else {
        return false;
    };
    match kill(Pid::from_raw(raw), None) {
        Ok(()) | Err(Errno::EPERM) => !zombie(pid),
        Err(_) => false,
    }
}

/// Whether `pid` is a zombie (Linux `/proc`; false where it cannot tell).
fn zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z'))
    })
}

/// Clock ticks per second of `/proc/<pid>/stat`'s start time (USER_HZ,
/// 100 on every Linux serin runs on).
const USER_HZ: u64 = 100;

/// Whether `pid` is a running process that started within 5s of
/// `started_at_ms` (ms since the epoch), so that a reused pid is not taken
/// for a replica. Where `/proc` cannot tell, only liveness is checked.
pub fn same_process(pid: u32, started_at_ms: u64) -> bool {
    if !alive(pid) {
        return false;
    }
    match proc_start_ms(pid) {
        Some(ms) => ms.abs_diff(started_at_ms) <= 5_000,
        None => true,
    }
}

/// When `pid` started, ms since the epoch, from `/proc`.
fn proc_start_ms(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name; starttime is field 22 overall, the
    // 20th after ") ".
    let (_, rest) = stat.rsplit_once(") ")?;
    let ticks: u64 = rest.split_whitespace().nth(19)?.parse().ok()?;
    let boot_s: u64 = std::fs::read_to_string("/proc/stat")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("btime ")?.trim().parse().ok())?;
    Some(boot_s * 1000 + ticks * 1000 / USER_HZ)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_started_recently_not_in_1970() {
        let me = std::process::id();
        assert!(alive(me));
        let now = super::super::process::now_ms();
        let started = proc_start_ms(me).unwrap_or(now);
        assert!(same_process(me, started));
        assert!(!same_process(me, 1_000));
    }
}
