//! Finding and signalling a sandbox's processes through `/proc`.
//!
//! A sandbox's processes are found two ways, and both are used where they apply:
//! - by owner: with a per-sandbox host uid (the server runs as root), every process of
//!   the sandbox, the `bwrap` wrappers included, runs as that uid and nothing else does;
//! - by ancestry: everything below the `bwrap` processes this server spawned. Inside a
//!   sandbox a process cannot leave its PID namespace, and an orphan is re-parented to
//!   the namespace's init (a `bwrap` child), so it stays a descendant.

use std::{
    collections::{HashMap, HashSet},
    fs,
    time::{Duration, Instant},
};

use rustix::process::{Pid, Signal};

/// What `/proc/<pid>/stat` and `/proc/<pid>/status` say about one process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcInfo {
    pub pid: u32,
    pub ppid: u32,
    /// Real uid.
    pub uid: u32,
    /// A zombie has exited and only waits to be reaped: it runs nothing.
    pub zombie: bool,
}

/// Every process visible in `/proc`. Processes that vanish while being read are skipped.
pub fn snapshot() -> Vec<ProcInfo> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(read_info)
        .collect()
}

fn read_info(pid: u32) -> Option<ProcInfo> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid ...`; comm may hold spaces and parentheses, so split at the
    // last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?;
    let ppid = fields.next()?.parse().ok()?;
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(ProcInfo {
        pid,
        ppid,
        uid,
        zombie: state == "Z" || state == "X",
    })
}

/// The live (non-zombie) processes owned by `uid` or descending from one of `roots`
/// (the roots included), from one snapshot.
pub fn sandbox_processes(uid: Option<u32>, roots: &[u32]) -> Vec<ProcInfo> {
    let all = snapshot();
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for p in &all {
        children.entry(p.ppid).or_default().push(p.pid);
    }
    let mut chosen: HashSet<u32> = HashSet::new();
    let mut stack: Vec<u32> = roots.to_vec();
    while let Some(pid) = stack.pop() {
        if chosen.insert(pid) {
            stack.extend(children.get(&pid).into_iter().flatten().copied());
        }
    }
    all.into_iter()
        .filter(|p| !p.zombie && (chosen.contains(&p.pid) || Some(p.uid) == uid))
        .collect()
}

/// Sends `signal` to `pid`, ignoring processes that are already gone.
pub fn signal(pid: u32, signal: Signal) {
    if let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
        let _ = rustix::process::kill_process(pid, signal);
    }
}

/// Sends `signal` to the process group `pgid`, ignoring a group that is already gone.
pub fn signal_group(pgid: u32, signal: Signal) {
    if let Some(pid) = i32::try_from(pgid).ok().and_then(Pid::from_raw) {
        let _ = rustix::process::kill_process_group(pid, signal);
    }
}

/// Kills every process of a sandbox (see [`sandbox_processes`]) and waits, up to
/// `limit`, until none is left running. Returns how many were still running then.
///
/// `direct_children` are processes this server spawned (the outer `bwrap`s): they are
/// killed last, so that each can reap its own child (the namespace's init) and no
/// zombie is left to the host's init.
pub fn kill_all(
    uid: Option<u32>,
    roots: &[u32],
    direct_children: &[u32],
    limit: Duration,
) -> usize {
    let deadline = Instant::now() + limit;
    let children_grace = Instant::now() + limit / 4;
    let mut pause = Duration::from_millis(1);
    loop {
        let left = sandbox_processes(uid, roots);
        if left.is_empty() {
            return 0;
        }
        let now = Instant::now();
        if now >= deadline {
            return left.len();
        }
        let mut inner_left = false;
        for p in &left {
            if !direct_children.contains(&p.pid) {
                inner_left = true;
                signal(p.pid, Signal::KILL);
            }
        }
        if !inner_left || now >= children_grace {
            for p in &left {
                if direct_children.contains(&p.pid) {
                    signal_group(p.pid, Signal::KILL);
                    signal(p.pid, Signal::KILL);
                }
            }
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// Sends `signal` to every process of a sandbox (stop/continue for pause/resume).
pub fn signal_all(uid: Option<u32>, roots: &[u32], signal_: Signal) {
    for p in sandbox_processes(uid, roots) {
        signal(p.pid, signal_);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sees_itself_with_its_parent_and_uid() {
        let me = std::process::id();
        let all = snapshot();
        let info = all.iter().find(|p| p.pid == me).expect("own process");
        assert!(!info.zombie);
        assert_eq!(info.uid, rustix::process::getuid().as_raw());
        let found = sandbox_processes(None, &[info.ppid]);
        assert!(
            found.iter().any(|p| p.pid == me),
            "descendant of the parent"
        );
    }
}
