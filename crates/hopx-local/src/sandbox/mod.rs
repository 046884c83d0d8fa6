//! What makes a sandbox real: a private root on disk and processes run under bubblewrap.
//!
//! # Layout
//!
//! Each server has one directory of sandboxes, `<tmp>/hopx-local-sandboxes-<pid>-<random>`
//! (mode 0711, removed at shutdown; one left behind by a server that died is removed by the
//! next server that starts beside it). Each sandbox gets `<that>/<sandbox id>/` (0700) with
//! `workspace/` and `tmp/`, which its processes see as `/workspace` and `/tmp`.
//!
//! # Processes
//!
//! Every execution is `prlimit <limits> -- bwrap <namespaces and mounts> -- <program>`,
//! spawned in a process group of its own (see [`exec`] for the exact command line). When
//! the server runs as root, each sandbox also gets a host uid of its own, picked at random
//! from a range no account uses: its processes (the `bwrap` wrappers included) run as that
//! uid, so `RLIMIT_NPROC` caps the sandbox as a whole, host files readable only by their
//! owners stay unreadable even if a mount were wrong, and every process of a sandbox can be
//! found by its uid when the sandbox is killed.
//!
//! # States
//!
//! Pausing a sandbox stops its processes (`SIGSTOP`) and resuming continues them
//! (`SIGCONT`); stopping kills them, keeping the files; killing (delete, expiry, shutdown)
//! kills them and removes the root. Only a running sandbox runs code.

pub mod exec;
pub mod fs;
pub mod procs;

use std::{
    collections::{BTreeMap, HashSet},
    io,
    os::unix::fs::{DirBuilderExt, PermissionsExt},
    path::{Path, PathBuf},
    process::Stdio,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use rand::Rng;
use rustix::process::Signal;

use crate::{ids, sandboxes::SandboxStatus};

pub use exec::{ExecError, ExecRequest, ExecResult, Language};

/// Prefix of a server's directory of sandboxes (the rest is `<pid>-<random>`).
const DIR_PREFIX: &str = "hopx-local-sandboxes-";
/// The uid code sees inside a sandbox (mapped to the sandbox's host uid).
pub const INNER_UID: u32 = 1000;
/// Host uids given to sandboxes are drawn from `[UID_BASE, UID_BASE + UID_SPAN)`: far above
/// any account, so a collision with a real user (or with another hopx-local) is
/// practically impossible.
const UID_BASE: u32 = 0x6000_0000;
const UID_SPAN: u32 = 0x1000_0000;
/// Executions (foreground and background) that may run at once in one sandbox.
pub const MAX_RUNNING: usize = 32;
/// Finished background processes remembered per sandbox (the oldest are forgotten).
pub const MAX_FINISHED_KEPT: usize = 100;
/// How long killing a sandbox waits for its processes to be gone.
const KILL_WAIT: Duration = Duration::from_secs(3);

/// How the server treats code execution, from the server's configuration.
#[derive(Debug, Clone, Default)]
pub struct SandboxOptions {
    /// Runs code without bubblewrap (no namespaces: code sees the host as the sandbox's
    /// user). Logged loudly at start and on every execution.
    pub unsafe_no_sandbox: bool,
    /// Where the server makes its directory of sandboxes (default: the system temp dir).
    /// It must be reachable by other users (like `/tmp`), as sandbox processes run under
    /// uids of their own.
    pub parent_dir: Option<PathBuf>,
    /// The `bwrap` to use (default: found in `/usr/bin`, `/bin`, ... and `PATH`).
    pub bwrap: Option<PathBuf>,
}

/// Whether and how code runs.
#[derive(Debug, Clone)]
pub enum Isolation {
    /// Under bubblewrap.
    Bwrap(exec::BwrapSetup),
    /// `--unsafe-no-sandbox`: directly on the host.
    Unconfined(exec::BwrapSetup),
    /// bubblewrap is missing or does not work here; code is refused with this reason.
    Unavailable(String),
}

impl Isolation {
    /// A short description for `/health` and logs.
    pub fn describe(&self) -> String {
        match self {
            Self::Bwrap(_) => "bubblewrap".into(),
            Self::Unconfined(_) => "none (--unsafe-no-sandbox)".into(),
            Self::Unavailable(reason) => format!("unavailable: {reason}"),
        }
    }

    pub fn can_run_code(&self) -> bool {
        !matches!(self, Self::Unavailable(_))
    }
}

/// The server-wide part: the directory of sandboxes, how code runs, which languages exist.
#[derive(Debug)]
pub struct Host {
    pub dir: PathBuf,
    pub isolation: Isolation,
    /// True when each sandbox runs under a host uid of its own (the server is root).
    pub per_sandbox_uid: bool,
    pub languages: Vec<Language>,
    passwd: PathBuf,
    group: PathBuf,
    uids: Mutex<HashSet<u32>>,
    pub started: Instant,
}

impl Drop for Host {
    fn drop(&mut self) {
        self.remove_dir();
    }
}

impl Host {
    /// Makes the directory of sandboxes and finds out how code can run here (probing
    /// bubblewrap once by running `true` in a throw-away sandbox).
    pub fn new(options: &SandboxOptions) -> io::Result<Arc<Self>> {
        let parent = options
            .parent_dir
            .clone()
            .unwrap_or_else(std::env::temp_dir);
        let parent = std::path::absolute(&parent).unwrap_or(parent);
        remove_stale_dirs(&parent);
        let dir = parent.join(format!(
            "{DIR_PREFIX}{}-{}",
            std::process::id(),
            ids::random_string(ids::LOWER_ALNUM, 8)
        ));
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o711)
            .create(&dir)?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o711))?;
        let passwd = dir.join("passwd");
        let group = dir.join("group");
        std::fs::write(
            &passwd,
            format!(
                "root:x:0:0:root:/root:/bin/bash\n\
                 user:x:{INNER_UID}:{INNER_UID}:sandbox user:/workspace:/bin/bash\n\
                 nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
            ),
        )?;
        std::fs::write(
            &group,
            format!("root:x:0:\nuser:x:{INNER_UID}:\nnogroup:x:65534:\n"),
        )?;
        for file in [&passwd, &group] {
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644))?;
        }

        let mut host = Self {
            dir,
            isolation: Isolation::Unavailable(String::new()),
            per_sandbox_uid: rustix::process::geteuid().is_root(),
            languages: exec::available_languages(),
            passwd,
            group,
            uids: Mutex::new(HashSet::new()),
            started: Instant::now(),
        };
        host.isolation = host.probe(options);
        match &host.isolation {
            Isolation::Bwrap(_) => tracing::info!(
                dir = %host.dir.display(),
                per_sandbox_uid = host.per_sandbox_uid,
                languages = ?host.languages.iter().map(|l| l.name()).collect::<Vec<_>>(),
                "sandboxes run under bubblewrap"
            ),
            Isolation::Unconfined(_) => tracing::warn!(
                "--unsafe-no-sandbox: CODE RUNS DIRECTLY ON THIS MACHINE, WITHOUT ANY SANDBOX: \
                 it can read and change your files and reach your network. Use this only \
                 where bubblewrap cannot run, with code you trust."
            ),
            Isolation::Unavailable(reason) => tracing::error!(
                "sandboxes cannot run code: {reason}. Install bubblewrap (apt-get install \
                 bubblewrap), or start with --unsafe-no-sandbox to run code unconfined"
            ),
        }
        Ok(Arc::new(host))
    }

    fn probe(&mut self, options: &SandboxOptions) -> Isolation {
        let unsafe_no_sandbox = options.unsafe_no_sandbox;
        let setup = match exec::BwrapSetup::find(options.bwrap.as_deref()) {
            Ok(setup) => setup,
            Err(reason) if unsafe_no_sandbox => {
                tracing::debug!(%reason, "no usable bwrap; running unconfined as asked");
                exec::BwrapSetup::unconfined()
            }
            Err(reason) => return Isolation::Unavailable(reason),
        };
        if unsafe_no_sandbox {
            return Isolation::Unconfined(setup);
        }
        let first = self.try_probe(&setup);
        if first.is_ok() {
            return Isolation::Bwrap(setup);
        }
        if self.per_sandbox_uid {
            // Perhaps no unprivileged user namespaces here, or the uid range is not mapped
            // (a container): running as the server's own user may still work.
            self.per_sandbox_uid = false;
            if self.try_probe(&setup).is_ok() {
                tracing::warn!(
                    reason = %first.as_ref().err().map(String::as_str).unwrap_or_default(),
                    "bubblewrap does not run under a uid of its own here; sandboxes share the \
                     server's uid, and the process limit applies per execution"
                );
                return Isolation::Bwrap(setup);
            }
            self.per_sandbox_uid = true;
        }
        Isolation::Unavailable(first.err().unwrap_or_default())
    }

    /// Runs `true` in a fresh sandbox, as every execution would run.
    fn try_probe(&self, setup: &exec::BwrapSetup) -> Result<(), String> {
        let root = self
            .dir
            .join(format!("probe-{}", ids::random_string(ids::LOWER_ALNUM, 8)));
        let uid = if self.per_sandbox_uid {
            Some(self.draw_uid().ok_or("no free uid")?)
        } else {
            None
        };
        let result = (|| {
            fs::create_root(&root, fs::Owner(uid))
                .map_err(|e| format!("cannot create a sandbox root: {e}"))?;
            let plan = exec::Plan {
                setup,
                host: self,
                root: &root,
                uid,
                hostname: "probe",
                internet: false,
                limits: exec::Limits::default(),
                workdir: &fs::SandboxPath::parse("/workspace").unwrap_or(fs::SandboxPath {
                    area: fs::Area::Workspace,
                    parts: Vec::new(),
                }),
                env: &BTreeMap::new(),
                argv: &["true".to_owned()],
            };
            let mut cmd = plan.std_command(true);
            cmd.stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
            let output = cmd
                .output()
                .map_err(|e| format!("cannot start the sandbox: {e}"))?;
            if output.status.success() {
                Ok(())
            } else {
                let stderr = String::from_utf8_lossy(&output.stderr);
                Err(format!(
                    "`bwrap` fails here ({}): {}",
                    output.status,
                    stderr.trim().chars().take(500).collect::<String>()
                ))
            }
        })();
        if let Some(uid) = uid {
            procs::kill_all(Some(uid), &[], &[], Duration::from_secs(1));
            self.release_uid(uid);
        }
        let _ = fs::remove_root(&root);
        result
    }

    /// Removes the directory of sandboxes (at shutdown, once every sandbox is killed).
    pub fn remove_dir(&self) {
        if let Err(e) = fs::remove_root(&self.dir) {
            tracing::warn!(dir = %self.dir.display(), error = %e, "cannot remove the sandboxes directory");
        }
    }

    /// A fresh host uid for a sandbox, not used by any other live sandbox of this server
    /// (two sandboxes must never share one: a kill finds processes by uid). `None` only if
    /// 64 random draws all hit a uid in use, which takes millions of live sandboxes.
    fn draw_uid(&self) -> Option<u32> {
        let mut used = lock(&self.uids);
        (0..64)
            .map(|_| UID_BASE + rand::rng().random_range(0..UID_SPAN))
            .find(|uid| used.insert(*uid))
    }

    fn release_uid(&self, uid: u32) {
        lock(&self.uids).remove(&uid);
    }

    pub(crate) fn passwd_files(&self) -> (&Path, &Path) {
        (&self.passwd, &self.group)
    }
}

/// Removes the sandbox directories of servers that are gone (a crash, `kill -9`) from
/// `parent`. Only names this server's own pattern could have made are touched, and only
/// when no process has the pid in the name.
fn remove_stale_dirs(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(DIR_PREFIX)) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let path = entry.path();
        if path.is_dir() && !path.is_symlink() {
            tracing::info!(dir = %path.display(), "removing sandboxes left by a server that is gone");
            let _ = fs::remove_root(&path);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Where a sandbox's processes stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Running,
    Paused,
    Stopped,
    /// Killed: processes gone, root removed.
    Destroyed,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Stopped => "stopped",
            Self::Destroyed => "deleted",
        }
    }
}

/// Where a background process stands (the agent spec's four values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessStatus {
    Running,
    Completed,
    Failed,
    Killed,
}

impl ProcessStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Killed => "killed",
        }
    }
}

/// A background process, as listed by `GET /execute/processes`.
#[derive(Debug, Clone)]
pub struct ProcessRecord {
    pub process_id: String,
    pub execution_id: String,
    pub name: Option<String>,
    /// `python`/`javascript`/`bash` for code, `command` for `/commands/background`.
    pub language: String,
    pub command: Option<String>,
    pub pid: u32,
    pub status: ProcessStatus,
    pub start_time: DateTime<Utc>,
    pub end_time: Option<DateTime<Utc>>,
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    pub stdout: Arc<Mutex<exec::Capture>>,
    pub stderr: Arc<Mutex<exec::Capture>>,
    /// Set by a kill request, so the end is reported as `killed`.
    kill_requested: bool,
}

impl ProcessRecord {
    pub fn output(&self) -> (String, String) {
        (lock(&self.stdout).text(), lock(&self.stderr).text())
    }
}

struct State {
    phase: Phase,
    env: BTreeMap<String, String>,
    /// Outer pids of the executions running now, by sequence number.
    running: BTreeMap<u64, u32>,
    next_seq: u64,
    /// Background processes by sequence number (so in start order).
    background: BTreeMap<u64, ProcessRecord>,
}

/// One sandbox's root, processes and agent state.
pub struct SandboxRuntime {
    pub id: String,
    pub created_at: DateTime<Utc>,
    host: Arc<Host>,
    pub root: PathBuf,
    uid: Option<u32>,
    internet: bool,
    limits: exec::Limits,
    state: Mutex<State>,
}

impl std::fmt::Debug for SandboxRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxRuntime")
            .field("id", &self.id)
            .field("root", &self.root)
            .field("uid", &self.uid)
            .field("internet", &self.internet)
            .finish_non_exhaustive()
    }
}

impl Drop for SandboxRuntime {
    /// A sandbox dropped without a kill (the server shutting down) is killed here, so no
    /// process and no file of it outlives the server.
    fn drop(&mut self) {
        self.destroy();
    }
}

/// The resources of a sandbox that become limits.
#[derive(Debug, Clone, Copy)]
pub struct Resources {
    pub memory_mb: u64,
    pub disk_mb: u64,
}

impl SandboxRuntime {
    /// Creates the root of sandbox `id`.
    pub fn create(
        host: &Arc<Host>,
        id: &str,
        internet: bool,
        resources: Resources,
        env: BTreeMap<String, String>,
    ) -> io::Result<Arc<Self>> {
        let uid = if host.per_sandbox_uid {
            Some(
                host.draw_uid()
                    .ok_or_else(|| io::Error::other("no free uid for the sandbox's processes"))?,
            )
        } else {
            None
        };
        let root = host.dir.join(id);
        if let Err(e) = fs::create_root(&root, fs::Owner(uid)) {
            if let Some(uid) = uid {
                host.release_uid(uid);
            }
            let _ = fs::remove_root(&root);
            return Err(e);
        }
        Ok(Arc::new(Self {
            id: id.to_owned(),
            created_at: Utc::now(),
            host: host.clone(),
            root,
            uid,
            internet,
            limits: exec::Limits::from_resources(resources),
            state: Mutex::new(State {
                phase: Phase::Running,
                env,
                running: BTreeMap::new(),
                next_seq: 1,
                background: BTreeMap::new(),
            }),
        }))
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    pub fn host(&self) -> &Host {
        &self.host
    }

    pub fn phase(&self) -> Phase {
        self.state().phase
    }

    /// The file API's view of this sandbox.
    pub fn jail(&self) -> fs::Jail<'_> {
        fs::Jail {
            root: &self.root,
            owner: fs::Owner(self.uid),
        }
    }

    /// The host uid of this sandbox's processes, when it has one.
    pub fn uid(&self) -> Option<u32> {
        self.uid
    }

    // ---- environment -------------------------------------------------------------------

    pub fn env(&self) -> BTreeMap<String, String> {
        self.state().env.clone()
    }

    /// Runs `f` on the sandbox's environment, under its lock.
    pub fn with_env<T>(&self, f: impl FnOnce(&mut BTreeMap<String, String>) -> T) -> T {
        f(&mut self.state().env)
    }

    // ---- lifecycle ---------------------------------------------------------------------

    /// Follows a status change of the control plane: pause stops every process, resume
    /// continues them, stop kills them (keeping the files).
    pub fn apply_status(&self, status: SandboxStatus) {
        let (previous, pids) = {
            let mut state = self.state();
            let previous = state.phase;
            if previous == Phase::Destroyed {
                return;
            }
            state.phase = match status {
                SandboxStatus::Running => Phase::Running,
                SandboxStatus::Paused => Phase::Paused,
                SandboxStatus::Stopped => Phase::Stopped,
            };
            if state.phase == Phase::Stopped {
                for record in state.background.values_mut() {
                    if record.status == ProcessStatus::Running {
                        record.kill_requested = true;
                    }
                }
            }
            (
                previous,
                state.running.values().copied().collect::<Vec<_>>(),
            )
        };
        match (previous, status) {
            (Phase::Running, SandboxStatus::Paused) => {
                // Twice: the second pass stops what was forked during the first.
                procs::signal_all(self.uid, &pids, Signal::STOP);
                procs::signal_all(self.uid, &pids, Signal::STOP);
            }
            (Phase::Paused, SandboxStatus::Running) => {
                procs::signal_all(self.uid, &pids, Signal::CONT);
            }
            (_, SandboxStatus::Stopped) => {
                // Only the processes inside the namespaces: each outer bwrap then exits
                // by itself (and is reaped by the task waiting for it). Continue them too,
                // so that a paused sandbox's stopped processes die at once.
                for p in procs::sandbox_processes(self.uid, &pids) {
                    if !pids.contains(&p.pid) {
                        procs::signal(p.pid, Signal::KILL);
                    }
                }
                procs::signal_all(self.uid, &pids, Signal::CONT);
            }
            _ => {}
        }
    }

    /// Kills every process and removes the root. Idempotent; afterwards nothing runs.
    pub fn destroy(&self) {
        let pids = {
            let mut state = self.state();
            if state.phase == Phase::Destroyed {
                return;
            }
            state.phase = Phase::Destroyed;
            state.running.values().copied().collect::<Vec<_>>()
        };
        let left = procs::kill_all(self.uid, &pids, &pids, KILL_WAIT);
        if left > 0 {
            tracing::warn!(sandbox_id = %self.id, left, "processes of a killed sandbox are still there");
        }
        if let Err(e) = fs::remove_root(&self.root) {
            tracing::warn!(sandbox_id = %self.id, error = %e, "cannot remove the sandbox's files");
        }
        if let Some(uid) = self.uid
            && left == 0
        {
            self.host.release_uid(uid);
        }
    }

    // ---- executions --------------------------------------------------------------------

    /// Starts an execution; the caller waits for it with [`exec::Running::finish`].
    pub fn start(self: &Arc<Self>, request: &ExecRequest) -> Result<exec::Running, ExecError> {
        let setup = match &self.host.isolation {
            Isolation::Bwrap(setup) => setup,
            Isolation::Unconfined(setup) => {
                tracing::warn!(
                    sandbox_id = %self.id,
                    "running code WITHOUT A SANDBOX (--unsafe-no-sandbox)"
                );
                setup
            }
            Isolation::Unavailable(reason) => return Err(ExecError::Unavailable(reason.clone())),
        };
        let mut state = self.state();
        if state.phase != Phase::Running {
            return Err(ExecError::NotRunning(state.phase));
        }
        if state.running.len() >= MAX_RUNNING {
            return Err(ExecError::Busy);
        }
        let mut env = state.env.clone();
        env.extend(request.env.iter().map(|(k, v)| (k.clone(), v.clone())));
        let plan = exec::Plan {
            setup,
            host: &self.host,
            root: &self.root,
            uid: self.uid,
            hostname: &self.id,
            internet: self.internet,
            limits: self.limits,
            workdir: &request.workdir,
            env: &env,
            argv: &request.argv,
        };
        let confined = matches!(self.host.isolation, Isolation::Bwrap(_));
        let child = plan
            .tokio_command(confined)
            .spawn()
            .map_err(ExecError::Spawn)?;
        let pid = child.id().unwrap_or(0);
        let seq = state.next_seq;
        state.next_seq += 1;
        state.running.insert(seq, pid);
        drop(state);
        Ok(exec::Running::new(self.clone(), child, seq, pid, request))
    }

    fn finished(&self, seq: u64) {
        self.state().running.remove(&seq);
    }

    /// Starts a background execution and records it under a new process id.
    pub fn start_background(
        self: &Arc<Self>,
        request: ExecRequest,
        language: String,
        name: Option<String>,
        command: Option<String>,
    ) -> Result<ProcessRecord, ExecError> {
        let running = self.start(&request)?;
        let record = ProcessRecord {
            process_id: format!("proc_{}", ids::random_string(ids::LOWER_ALNUM, 16)),
            execution_id: format!("exec_{}", ids::random_string(ids::LOWER_ALNUM, 16)),
            name,
            language,
            command,
            pid: running.pid(),
            status: ProcessStatus::Running,
            start_time: Utc::now(),
            end_time: None,
            exit_code: None,
            timed_out: false,
            stdout: running.stdout_capture(),
            stderr: running.stderr_capture(),
            kill_requested: false,
        };
        let seq = running.seq();
        {
            let mut state = self.state();
            state.background.insert(seq, record.clone());
            let finished: Vec<u64> = state
                .background
                .iter()
                .filter(|(_, r)| r.status != ProcessStatus::Running)
                .map(|(s, _)| *s)
                .collect();
            let excess = finished.len().saturating_sub(MAX_FINISHED_KEPT);
            for s in finished.into_iter().take(excess) {
                state.background.remove(&s);
            }
        }
        let runtime = self.clone();
        let timeout = request.timeout;
        tokio::spawn(async move {
            let result = running.finish(timeout).await;
            let mut state = runtime.state();
            if let Some(record) = state.background.get_mut(&seq) {
                record.end_time = Some(Utc::now());
                match result {
                    Ok(result) => {
                        record.exit_code = Some(result.exit_code);
                        record.timed_out = result.timed_out;
                        record.status = if record.kill_requested {
                            ProcessStatus::Killed
                        } else if result.exit_code == 0 && !result.timed_out {
                            ProcessStatus::Completed
                        } else {
                            ProcessStatus::Failed
                        };
                    }
                    Err(e) => {
                        record.status = ProcessStatus::Failed;
                        lock(&record.stderr).push(e.to_string().as_bytes());
                    }
                }
            }
        });
        Ok(record)
    }

    /// The background processes, oldest first.
    pub fn processes(&self) -> Vec<ProcessRecord> {
        self.state().background.values().cloned().collect()
    }

    pub fn process(&self, process_id: &str) -> Option<ProcessRecord> {
        self.state()
            .background
            .values()
            .find(|r| r.process_id == process_id)
            .cloned()
    }

    /// Kills a background process. `None` when there is no such process; otherwise the
    /// record (its status changes to `killed` once the process is gone).
    pub async fn kill_process(&self, process_id: &str) -> Option<ProcessRecord> {
        let (record, pid) = {
            let mut state = self.state();
            let (seq, record) = state
                .background
                .iter_mut()
                .find(|(_, r)| r.process_id == process_id)?;
            let seq = *seq;
            if record.status != ProcessStatus::Running {
                return Some(record.clone());
            }
            record.kill_requested = true;
            let record = record.clone();
            let pid = state.running.get(&seq).copied();
            (record, pid)
        };
        if let Some(pid) = pid {
            let _ = tokio::task::spawn_blocking(move || {
                procs::kill_all(None, &[pid], &[pid], Duration::from_secs(2))
            })
            .await;
        }
        Some(record)
    }
}
