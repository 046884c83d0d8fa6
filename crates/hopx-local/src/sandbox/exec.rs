//! Running one execution: the command line, the limits, output capture and timeouts.
//!
//! # The command line
//!
//! ```text
//! prlimit --as=<memory> --fsize=<disk> --nofile=4096 --core=0 [--nproc=512] --
//!   bwrap --unshare-all --unshare-user [--share-net] [--disable-userns]
//!         --as-pid-1 --die-with-parent --new-session --uid 1000 --gid 1000 --hostname <id>
//!         --ro-bind /usr /usr   --symlink usr/bin /bin (and sbin, lib, lib64 as the host has them)
//!         --ro-bind-try /etc/<ssl, alternatives, ld.so.cache, hosts, ...> (resolv.conf only with network)
//!         --ro-bind <generated passwd, group> /etc/passwd, /etc/group
//!         --proc /proc --dev /dev --tmpfs /dev/shm (64 MiB) --remount-ro /dev
//!         --bind <root>/workspace /workspace --bind <root>/tmp /tmp --remount-ro /
//!         --chdir <workdir> [--setenv NAME VALUE for loader variables]
//!   -- <program>
//! ```
//!
//! run as the sandbox's host uid (when the server is root), in a process group of its own,
//! with an environment that holds exactly the sandbox's variables (defaults, `env_vars` of
//! create, `/env`, the call's `env`). Variables are passed in the environment, not as
//! `--setenv`, so their values never show in a process list; the few that the dynamic loader
//! reads (`LD_*`, `GCONV_PATH`, ...) are the exception, since in the environment they would act
//! on `prlimit` and `bwrap` themselves, outside the sandbox.
//!
//! Code reaches the interpreter on stdin (`python3 -`, `node -`, `bash -c 'eval "$(cat)"'`),
//! so its size is not bounded by the 128 KiB of one argument, and Python and Node keep the
//! working directory on their module path as with `-c`.
//!
//! # Ending
//!
//! The program runs as PID 1 of a PID namespace of its own (`--as-pid-1`): when it ends, the
//! kernel kills everything else in the namespace, and `--die-with-parent` kills it when the
//! outer bwrap dies. (Without `--as-pid-1`, bwrap's own init is PID 1, and the outer bwrap
//! exits without reaping it: every execution would leave a zombie to the host's init, which
//! counts against the sandbox's process limit until that init gets to it.) A timeout kills
//! the processes below the outer bwrap first, then the outer bwrap's process group, and
//! waits until none is left.

use std::{
    collections::BTreeMap,
    ffi::OsString,
    io,
    os::unix::process::ExitStatusExt,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWriteExt},
    task::JoinHandle,
};

use super::{Host, INNER_UID, Phase, SandboxRuntime, fs::SandboxPath, procs};

/// The `PATH` of sandboxed code (also where languages are looked for).
pub const SANDBOX_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// Captured stdout and stderr are each cut after this many bytes.
pub const MAX_OUTPUT: usize = 10 * 1024 * 1024;
/// Processes (threads included) one sandbox may have at once.
pub const MAX_PROCESSES: u64 = 512;
const MAX_OPEN_FILES: u64 = 4096;
/// Size of the sandbox's private `/dev/shm`.
const SHM_BYTES: u64 = 64 * 1024 * 1024;
/// How long output is still read after the process ended (a grandchild may hold a pipe).
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// Variables that the dynamic loader or libc read at start-up: passed with `--setenv`
/// so that they reach the sandboxed program but not `prlimit`/`bwrap`.
fn is_loader_variable(name: &str) -> bool {
    const NAMES: [&str; 12] = [
        "GCONV_PATH",
        "GETCONF_DIR",
        "HOSTALIASES",
        "LOCALDOMAIN",
        "LOCPATH",
        "NIS_PATH",
        "NLSPATH",
        "RESOLV_HOST_CONF",
        "RES_OPTIONS",
        "TMPDIR",
        "TZDIR",
        "PATH",
    ];
    name.starts_with("LD_")
        || name.starts_with("MALLOC_")
        || name.starts_with("GLIBC_")
        || NAMES.contains(&name)
}

/// A language code can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Python,
    JavaScript,
    Bash,
}

impl Language {
    pub const ALL: [Self; 3] = [Self::Python, Self::JavaScript, Self::Bash];

    /// Accepts the names the SDKs send, case-insensitively.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "python" | "python3" | "py" => Some(Self::Python),
            "javascript" | "js" | "node" | "nodejs" => Some(Self::JavaScript),
            "bash" | "sh" | "shell" => Some(Self::Bash),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Python => "python",
            Self::JavaScript => "javascript",
            Self::Bash => "bash",
        }
    }

    /// The program that must be on the sandbox's `PATH`.
    pub fn program(self) -> &'static str {
        match self {
            Self::Python => "python3",
            Self::JavaScript => "node",
            Self::Bash => "bash",
        }
    }

    /// The command line; the code comes on stdin.
    pub fn argv(self) -> Vec<String> {
        let argv: &[&str] = match self {
            Self::Python => &["python3", "-"],
            Self::JavaScript => &["node", "-"],
            Self::Bash => &["bash", "-c", "eval \"$(cat)\""],
        };
        argv.iter().map(|s| (*s).to_owned()).collect()
    }
}

/// True when `program` is on the sandbox's `PATH` and is a file sandboxed code can see
/// (under `/usr`, which is all of the host a sandbox gets).
pub fn sandbox_has_program(program: &str) -> bool {
    std::env::split_paths(SANDBOX_PATH).any(|dir| {
        let path = dir.join(program);
        std::fs::canonicalize(&path).is_ok_and(|real| {
            real.starts_with("/usr")
                && std::fs::metadata(&real).is_ok_and(|m| {
                    use std::os::unix::fs::PermissionsExt;
                    m.is_file() && m.permissions().mode() & 0o111 != 0
                })
        })
    })
}

/// The languages this host can run in a sandbox.
pub fn available_languages() -> Vec<Language> {
    Language::ALL
        .into_iter()
        .filter(|l| sandbox_has_program(l.program()))
        .collect()
}

/// How one host's sandbox is put together: where `bwrap` and `prlimit` are, which
/// `bwrap` options this version has, and which system paths to show.
#[derive(Debug, Clone)]
pub struct BwrapSetup {
    pub bwrap: Option<PathBuf>,
    pub prlimit: Option<PathBuf>,
    disable_userns: bool,
    sized_tmpfs: bool,
    /// `/bin`, `/lib`, ...: a symlink (target) or a directory to bind.
    top_level: Vec<(String, Option<String>)>,
    /// `/etc` entries shown read-only.
    etc: Vec<String>,
}

fn find_program(name: &str) -> Option<PathBuf> {
    let fixed = ["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"];
    let path = std::env::var_os("PATH").unwrap_or_default();
    fixed
        .iter()
        .map(PathBuf::from)
        .chain(std::env::split_paths(&path))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

impl BwrapSetup {
    /// Finds `bwrap` and `prlimit` and reads the host's layout. Errors name what to install.
    pub fn find(bwrap: Option<&Path>) -> Result<Self, String> {
        let bwrap = match bwrap {
            Some(path) if path.is_file() => path.to_owned(),
            Some(path) => {
                return Err(format!(
                    "bubblewrap (`bwrap`) is not at {}; install it with `apt-get install \
                     bubblewrap` (Debian/Ubuntu) or your distribution's bubblewrap package",
                    path.display()
                ));
            }
            None => find_program("bwrap").ok_or_else(|| {
                "bubblewrap (`bwrap`) is not installed; install it with `apt-get install \
                 bubblewrap` (Debian/Ubuntu) or your distribution's bubblewrap package"
                    .to_owned()
            })?,
        };
        let prlimit = find_program("prlimit").ok_or_else(|| {
            "`prlimit` (util-linux) is not installed; install it with `apt-get install \
             util-linux`"
                .to_owned()
        })?;
        let help = std::process::Command::new(&bwrap)
            .arg("--help")
            .stdin(Stdio::null())
            .output()
            .map(|o| {
                let mut text = String::from_utf8_lossy(&o.stdout).into_owned();
                text.push_str(&String::from_utf8_lossy(&o.stderr));
                text
            })
            .map_err(|e| format!("cannot run {}: {e}", bwrap.display()))?;
        let mut setup = Self::unconfined();
        setup.bwrap = Some(bwrap);
        setup.prlimit = Some(prlimit);
        setup.disable_userns = help.contains("--disable-userns");
        setup.sized_tmpfs = help.contains("--size") && help.contains("--perms");
        Ok(setup)
    }

    /// The setup of `--unsafe-no-sandbox`: limits through `prlimit` when there is one.
    pub fn unconfined() -> Self {
        let top_level = ["bin", "sbin", "lib", "lib64", "lib32", "libx32"]
            .iter()
            .filter_map(|name| {
                let path = Path::new("/").join(name);
                let meta = std::fs::symlink_metadata(&path).ok()?;
                if meta.file_type().is_symlink() {
                    let target = std::fs::read_link(&path).ok()?;
                    Some((
                        (*name).to_owned(),
                        Some(target.to_string_lossy().into_owned()),
                    ))
                } else if meta.is_dir() {
                    Some(((*name).to_owned(), None))
                } else {
                    None
                }
            })
            .collect();
        let mut etc: Vec<String> = [
            "alternatives",
            "ssl",
            "ca-certificates",
            "pki",
            "ld.so.cache",
            "localtime",
            "timezone",
            "hosts",
            "host.conf",
            "gai.conf",
            "nsswitch.conf",
            "protocols",
            "services",
            "mime.types",
            "os-release",
            "python3",
        ]
        .iter()
        .filter(|name| Path::new("/etc").join(name).exists())
        .map(|name| (*name).to_owned())
        .collect();
        if let Ok(entries) = std::fs::read_dir("/etc") {
            let mut pythons: Vec<String> = entries
                .filter_map(Result::ok)
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.starts_with("python3."))
                .collect();
            pythons.sort();
            etc.extend(pythons);
        }
        Self {
            bwrap: None,
            prlimit: find_program("prlimit"),
            disable_userns: false,
            sized_tmpfs: false,
            top_level,
            etc,
        }
    }
}

/// Resource limits of every process of a sandbox.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// `RLIMIT_AS`, per process.
    pub memory_bytes: u64,
    /// `RLIMIT_FSIZE`: the largest file a process may write.
    pub file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory_bytes: 1024 * 1024 * 1024,
            file_bytes: 1024 * 1024 * 1024,
        }
    }
}

impl Limits {
    pub fn from_resources(resources: super::Resources) -> Self {
        Self {
            memory_bytes: resources.memory_mb.max(256) * 1024 * 1024,
            file_bytes: resources.disk_mb.max(100) * 1024 * 1024,
        }
    }
}

/// Everything needed to build one execution's command.
pub(crate) struct Plan<'a> {
    pub setup: &'a BwrapSetup,
    pub host: &'a Host,
    pub root: &'a Path,
    pub uid: Option<u32>,
    pub hostname: &'a str,
    pub internet: bool,
    pub limits: Limits,
    pub workdir: &'a SandboxPath,
    /// The sandbox's variables (create + `/env` + the call's), without the defaults.
    pub env: &'a BTreeMap<String, String>,
    pub argv: &'a [String],
}

/// A program, its arguments and its environment, for either kind of `Command`.
struct CommandLine {
    program: OsString,
    args: Vec<OsString>,
    env: Vec<(String, String)>,
    cwd: PathBuf,
}

impl Plan<'_> {
    fn defaults(&self, confined: bool) -> BTreeMap<String, String> {
        let (home, tmp) = if confined {
            ("/workspace".to_owned(), "/tmp".to_owned())
        } else {
            (
                self.root.join("workspace").to_string_lossy().into_owned(),
                self.root.join("tmp").to_string_lossy().into_owned(),
            )
        };
        [
            ("PATH", SANDBOX_PATH.to_owned()),
            ("HOME", home),
            ("TMPDIR", tmp),
            ("LANG", "C.UTF-8".to_owned()),
            ("USER", "user".to_owned()),
            ("LOGNAME", "user".to_owned()),
            ("SHELL", "/bin/bash".to_owned()),
            ("PYTHONUNBUFFERED", "1".to_owned()),
            ("HOPX_SANDBOX_ID", self.hostname.to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    fn command_line(&self, confined: bool) -> CommandLine {
        let mut env = self.defaults(confined);
        env.extend(self.env.iter().map(|(k, v)| (k.clone(), v.clone())));

        let mut args: Vec<OsString> = Vec::new();
        let mut push = |s: &str| args.push(OsString::from(s));
        if self.setup.prlimit.is_some() {
            push(&format!("--as={}", self.limits.memory_bytes));
            push(&format!("--fsize={}", self.limits.file_bytes));
            push(&format!("--nofile={MAX_OPEN_FILES}"));
            push("--core=0");
            if self.uid.is_some() {
                push(&format!("--nproc={MAX_PROCESSES}"));
            }
            push("--");
        }
        let mut outer_env = Vec::new();
        let cwd;
        if confined {
            let bwrap = self.setup.bwrap.as_deref().unwrap_or(Path::new("bwrap"));
            args.push(bwrap.as_os_str().to_owned());
            args.extend(self.bwrap_args().into_iter().map(OsString::from));
            for (name, value) in &env {
                if is_loader_variable(name) {
                    args.extend(["--setenv", name, value].map(OsString::from));
                } else {
                    outer_env.push((name.clone(), value.clone()));
                }
            }
            args.push("--".into());
            if self.uid.is_none() {
                // Without a uid of its own, RLIMIT_NPROC would count all of the server
                // user's processes; set inside the namespaces, it counts the sandbox's.
                args.extend(
                    ["prlimit", &format!("--nproc={MAX_PROCESSES}"), "--"].map(OsString::from),
                );
            }
            cwd = PathBuf::from("/");
        } else {
            outer_env = env.into_iter().collect();
            cwd = super::fs::host_path(self.root, self.workdir);
        }
        args.extend(self.argv.iter().map(OsString::from));
        let (program, args) = if self.setup.prlimit.is_some() {
            let program = self
                .setup
                .prlimit
                .as_deref()
                .map(|p| p.as_os_str().to_owned())
                .unwrap_or_default();
            (program, args)
        } else {
            let mut args = args.into_iter();
            let program = args.next().unwrap_or_default();
            (program, args.collect())
        };
        CommandLine {
            program,
            args,
            env: outer_env,
            cwd,
        }
    }

    fn bwrap_args(&self) -> Vec<String> {
        let mut a: Vec<String> = Vec::new();
        let mut push = |items: &[&str]| a.extend(items.iter().map(|s| (*s).to_owned()));
        push(&["--unshare-all", "--unshare-user"]);
        if self.internet {
            push(&["--share-net"]);
        }
        if self.setup.disable_userns {
            push(&["--disable-userns"]);
        }
        let uid = INNER_UID.to_string();
        push(&["--as-pid-1", "--die-with-parent", "--new-session"]);
        push(&["--uid", &uid, "--gid", &uid, "--hostname", self.hostname]);
        push(&["--ro-bind", "/usr", "/usr"]);
        for (name, target) in &self.setup.top_level {
            let dest = format!("/{name}");
            match target {
                Some(target) => push(&["--symlink", target, &dest]),
                None => push(&["--ro-bind", &dest, &dest]),
            }
        }
        for name in &self.setup.etc {
            let path = format!("/etc/{name}");
            push(&["--ro-bind-try", &path, &path]);
        }
        if self.internet {
            push(&["--ro-bind-try", "/etc/resolv.conf", "/etc/resolv.conf"]);
        }
        let (passwd, group) = self.host.passwd_files();
        let (passwd, group) = (passwd.to_string_lossy(), group.to_string_lossy());
        push(&[
            "--ro-bind",
            &passwd,
            "/etc/passwd",
            "--ro-bind",
            &group,
            "/etc/group",
        ]);
        push(&["--proc", "/proc", "--dev", "/dev"]);
        if self.setup.sized_tmpfs {
            let size = SHM_BYTES.to_string();
            push(&["--perms", "1777", "--size", &size, "--tmpfs", "/dev/shm"]);
            push(&["--remount-ro", "/dev"]);
        }
        let workspace = self.root.join("workspace");
        let tmp = self.root.join("tmp");
        let (workspace, tmp) = (workspace.to_string_lossy(), tmp.to_string_lossy());
        push(&["--bind", &workspace, "/workspace", "--bind", &tmp, "/tmp"]);
        push(&["--remount-ro", "/"]);
        let workdir = self.workdir.to_string();
        push(&["--chdir", &workdir]);
        a
    }

    /// For executions.
    pub fn tokio_command(&self, confined: bool) -> tokio::process::Command {
        let line = self.command_line(confined);
        let mut cmd = tokio::process::Command::new(&line.program);
        cmd.args(&line.args)
            .env_clear()
            .envs(line.env)
            .current_dir(&line.cwd)
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(uid) = self.uid {
            cmd.uid(uid).gid(uid);
        }
        cmd
    }

    /// For the start-up probe.
    pub fn std_command(&self, confined: bool) -> std::process::Command {
        use std::os::unix::process::CommandExt;
        let line = self.command_line(confined);
        let mut cmd = std::process::Command::new(&line.program);
        cmd.args(&line.args)
            .env_clear()
            .envs(line.env)
            .current_dir(&line.cwd)
            .process_group(0);
        if let Some(uid) = self.uid {
            cmd.uid(uid).gid(uid);
        }
        cmd
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct ExecRequest {
    pub argv: Vec<String>,
    /// Written to the program's stdin, which is then closed.
    pub stdin: Vec<u8>,
    /// The call's own variables, over the sandbox's.
    pub env: BTreeMap<String, String>,
    pub workdir: SandboxPath,
    pub timeout: Duration,
    /// `argv[0]` is the user's command (so "not found" is the user's 127, not our failure).
    pub user_program: bool,
}

/// How an execution ended.
#[derive(Debug, Clone)]
pub struct ExecResult {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
    pub duration: Duration,
    pub timed_out: bool,
    pub pid: u32,
}

/// Why an execution could not run.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("{0}")]
    Unavailable(String),
    #[error("the sandbox is {}", .0.as_str())]
    NotRunning(Phase),
    #[error("too many executions are running in this sandbox")]
    Busy,
    #[error("cannot start the sandbox process: {0}")]
    Spawn(#[source] io::Error),
    #[error("the sandbox could not be set up: {0}")]
    Setup(String),
}

/// Output kept from one stream: the first [`MAX_OUTPUT`] bytes and the total count.
#[derive(Debug, Default)]
pub struct Capture {
    bytes: Vec<u8>,
    total: u64,
}

impl Capture {
    pub fn push(&mut self, chunk: &[u8]) {
        let room = MAX_OUTPUT.saturating_sub(self.bytes.len());
        self.bytes
            .extend_from_slice(&chunk[..chunk.len().min(room)]);
        self.total += chunk.len() as u64;
    }

    /// The text (invalid UTF-8 replaced), with a marker when output was cut.
    pub fn text(&self) -> String {
        let mut text = String::from_utf8_lossy(&self.bytes).into_owned();
        if self.total > self.bytes.len() as u64 {
            text.push_str(&format!(
                "\n[hopx-local: output truncated: {} bytes were written, the first {} are kept]\n",
                self.total,
                self.bytes.len()
            ));
        }
        text
    }
}

fn read_into<R: AsyncRead + Unpin + Send + 'static>(
    mut reader: R,
    capture: Arc<Mutex<Capture>>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => super::lock(&capture).push(&buf[..n]),
            }
        }
    })
}

/// A started execution. Dropping it kills the process (and unregisters it).
pub struct Running {
    runtime: Arc<SandboxRuntime>,
    child: tokio::process::Child,
    seq: u64,
    pid: u32,
    stdout: Arc<Mutex<Capture>>,
    stderr: Arc<Mutex<Capture>>,
    tasks: Vec<JoinHandle<()>>,
    started: Instant,
    user_program: bool,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("sandbox", &self.runtime.id)
            .field("seq", &self.seq)
            .field("pid", &self.pid)
            .finish_non_exhaustive()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        self.runtime.finished(self.seq);
    }
}

impl Running {
    pub(super) fn new(
        runtime: Arc<SandboxRuntime>,
        mut child: tokio::process::Child,
        seq: u64,
        pid: u32,
        request: &ExecRequest,
    ) -> Self {
        let stdout = Arc::new(Mutex::new(Capture::default()));
        let stderr = Arc::new(Mutex::new(Capture::default()));
        let mut tasks = Vec::new();
        if let Some(out) = child.stdout.take() {
            tasks.push(read_into(out, stdout.clone()));
        }
        if let Some(err) = child.stderr.take() {
            tasks.push(read_into(err, stderr.clone()));
        }
        if let Some(mut stdin) = child.stdin.take() {
            let input = request.stdin.clone();
            // Not among `tasks`: it ends by itself (EPIPE if the program exits first).
            tokio::spawn(async move {
                let _ = stdin.write_all(&input).await;
                let _ = stdin.shutdown().await;
            });
        }
        Self {
            runtime,
            child,
            seq,
            pid,
            stdout,
            stderr,
            tasks,
            started: Instant::now(),
            user_program: request.user_program,
        }
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub(super) fn seq(&self) -> u64 {
        self.seq
    }

    pub(super) fn stdout_capture(&self) -> Arc<Mutex<Capture>> {
        self.stdout.clone()
    }

    pub(super) fn stderr_capture(&self) -> Arc<Mutex<Capture>> {
        self.stderr.clone()
    }

    /// Waits for the end, killing everything at `timeout`.
    pub async fn finish(mut self, timeout: Duration) -> Result<ExecResult, ExecError> {
        let (status, timed_out) = match tokio::time::timeout(timeout, self.child.wait()).await {
            Ok(Ok(status)) => (Some(status), false),
            Ok(Err(e)) => return Err(ExecError::Spawn(e)),
            Err(_) => {
                let pid = self.pid;
                let _ = tokio::task::spawn_blocking(move || {
                    procs::kill_all(None, &[pid], &[pid], Duration::from_secs(2))
                })
                .await;
                let status =
                    match tokio::time::timeout(Duration::from_secs(3), self.child.wait()).await {
                        Ok(Ok(status)) => Some(status),
                        _ => {
                            let _ = self.child.start_kill();
                            self.child.wait().await.ok()
                        }
                    };
                (status, true)
            }
        };
        let duration = self.started.elapsed();
        let drain = async {
            for task in &mut self.tasks {
                let _ = task.await;
            }
        };
        let _ = tokio::time::timeout(DRAIN_GRACE, drain).await;
        let stdout = super::lock(&self.stdout).text();
        let mut stderr = super::lock(&self.stderr).text();
        let mut exit_code = status.map_or(-1, |s| {
            s.code()
                .or_else(|| s.signal().map(|sig| 128 + sig))
                .unwrap_or(-1)
        });
        let confined = matches!(self.runtime.host().isolation, super::Isolation::Bwrap(_));
        if confined
            && !timed_out
            && exit_code == 1
            && let Some(message) = stderr.strip_prefix("bwrap: ").map(str::to_owned)
        {
            if self.user_program && message.starts_with("execvp ") {
                // The user's command does not exist: what a shell would say.
                exit_code = if message.contains("Permission denied") {
                    126
                } else {
                    127
                };
                stderr = message.trim_start_matches("execvp ").to_owned();
            } else {
                return Err(ExecError::Setup(message.trim().to_owned()));
            }
        }
        Ok(ExecResult {
            stdout,
            stderr,
            exit_code,
            duration,
            timed_out,
            pid: self.pid,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_by_any_name() {
        for (raw, want) in [
            ("python", Language::Python),
            ("Python3", Language::Python),
            ("js", Language::JavaScript),
            ("NODE", Language::JavaScript),
            ("nodejs", Language::JavaScript),
            ("sh", Language::Bash),
            ("shell", Language::Bash),
        ] {
            assert_eq!(Language::parse(raw), Some(want), "{raw}");
        }
        assert_eq!(Language::parse("ruby"), None);
    }

    #[test]
    fn capture_cuts_and_says_so() {
        let mut c = Capture::default();
        c.push(b"hello");
        assert_eq!(c.text(), "hello");
        c.push(&vec![b'x'; MAX_OUTPUT]);
        let text = c.text();
        assert!(text.len() < MAX_OUTPUT + 200);
        assert!(
            text.contains("output truncated"),
            "{}",
            &text[text.len() - 120..]
        );
    }

    #[test]
    fn loader_variables_stay_off_the_outer_environment() {
        assert!(is_loader_variable("LD_PRELOAD"));
        assert!(is_loader_variable("PATH"));
        assert!(!is_loader_variable("API_TOKEN"));
    }
}
