//! The agent's file operations, confined to a sandbox's `/workspace` and `/tmp`.
//!
//! Paths are the sandbox's view: `/workspace/x` is `<root>/workspace/x` on the host and
//! `/tmp/x` is `<root>/tmp/x`; a relative path is relative to `/workspace`; `.` and `..`
//! are resolved lexically first (as Go's `filepath.Clean` does), and anything outside those
//! two trees is refused.
//!
//! Code in the sandbox owns those trees and can plant symlinks in them at any moment, so the
//! server (often root) never resolves a path with the host's rules. It walks it one component
//! at a time from a directory descriptor, with `O_NOFOLLOW` on every step: a symlink is read
//! and resolved *as the sandbox would see it* (an absolute target is a sandbox path), and a
//! target outside `/workspace` and `/tmp` is refused with [`FsError::PathNotAllowed`]. Since
//! every step starts from a descriptor already held, swapping a directory for a symlink
//! half-way cannot redirect the walk; the last step opens with `O_NOFOLLOW` too, so such a
//! swap makes the call fail instead of escaping.

use std::{
    fmt,
    fs::File,
    io::{self, Read, Write},
    os::fd::{AsFd, OwnedFd},
    path::{Path, PathBuf},
    time::SystemTime,
};

use rustix::{
    fs::{AtFlags, Dir, FileType, Gid, Mode, OFlags, Stat, Uid},
    io::Errno,
};

/// The longest path accepted, in bytes (Linux's `PATH_MAX`).
pub const MAX_PATH_LEN: usize = 4096;
/// Symlinks followed in one resolution before giving up (Linux's own limit).
const MAX_SYMLINK_HOPS: usize = 40;
/// Deepest directory tree [`Jail::remove`] descends into.
const MAX_REMOVE_DEPTH: usize = 512;
/// Most entries [`Jail::list`] returns.
pub const MAX_LIST_ENTRIES: usize = 10_000;

/// The two trees of a sandbox that the file API reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Workspace,
    Tmp,
}

impl Area {
    pub fn dir_name(self) -> &'static str {
        match self {
            Self::Workspace => "workspace",
            Self::Tmp => "tmp",
        }
    }
}

/// A normalized path in the sandbox's view, inside `/workspace` or `/tmp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxPath {
    pub area: Area,
    pub parts: Vec<String>,
}

impl fmt::Display for SandboxPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}", self.area.dir_name())?;
        for part in &self.parts {
            write!(f, "/{part}")?;
        }
        Ok(())
    }
}

impl SandboxPath {
    /// Parses what a client sent. Relative paths are relative to `/workspace`.
    pub fn parse(raw: &str) -> Result<Self, FsError> {
        if raw.trim().is_empty() {
            return Err(FsError::InvalidPath(
                "the path is empty; give a path such as /workspace/file.txt".into(),
            ));
        }
        if raw.len() > MAX_PATH_LEN {
            return Err(FsError::InvalidPath(format!(
                "the path is longer than {MAX_PATH_LEN} bytes"
            )));
        }
        if raw.contains('\0') {
            return Err(FsError::InvalidPath(
                "the path contains a NUL character".into(),
            ));
        }
        let joined;
        let absolute = if raw.starts_with('/') {
            raw
        } else {
            joined = format!("/workspace/{raw}");
            &joined
        };
        Self::from_absolute(absolute).ok_or_else(|| FsError::PathNotAllowed(raw.to_owned()))
    }

    /// Lexically cleans an absolute path and places it in an area; `None` when it is not
    /// inside `/workspace` or `/tmp` (or climbs above `/`).
    fn from_absolute(path: &str) -> Option<Self> {
        let mut parts: Vec<&str> = Vec::new();
        for part in path.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop()?;
                }
                other => parts.push(other),
            }
        }
        let (first, rest) = parts.split_first()?;
        let area = match *first {
            "workspace" => Area::Workspace,
            "tmp" => Area::Tmp,
            _ => return None,
        };
        Some(Self {
            area,
            parts: rest.iter().map(|s| (*s).to_owned()).collect(),
        })
    }

    /// The path of entry `name` inside this directory.
    pub fn child(&self, name: &str) -> Self {
        let mut parts = self.parts.clone();
        parts.push(name.to_owned());
        Self {
            area: self.area,
            parts,
        }
    }

    /// The last component, or the area's name for an area root.
    pub fn file_name(&self) -> &str {
        self.parts
            .last()
            .map_or(self.area.dir_name(), String::as_str)
    }
}

/// Why a file operation failed, each with the agent error it becomes.
#[derive(Debug)]
pub enum FsError {
    /// Outside `/workspace` and `/tmp`, or a symlink leading there (403 `PATH_NOT_ALLOWED`).
    PathNotAllowed(String),
    /// Malformed (400 `INVALID_PATH`).
    InvalidPath(String),
    /// 404 `FILE_NOT_FOUND`.
    NotFound(String),
    /// A directory on the way (or the directory asked for) is missing (404 `DIRECTORY_NOT_FOUND`).
    DirectoryNotFound(String),
    /// Something that should be a directory is a file, or the reverse (400 `INVALID_PATH`).
    WrongType(String),
    /// 409 `FILE_ALREADY_EXISTS`.
    AlreadyExists(String),
    /// Bigger than the operation allows (413 `FILE_TOO_LARGE`).
    TooLarge(String),
    /// Anything else the system refused.
    Io(String, io::Error),
}

impl FsError {
    fn io(path: &SandboxPath, e: impl Into<io::Error>) -> Self {
        let e = e.into();
        match e.raw_os_error().map(Errno::from_raw_os_error) {
            Some(Errno::NOENT) => Self::NotFound(path.to_string()),
            Some(Errno::NOTDIR) => Self::WrongType(format!("a part of {path} is not a directory")),
            Some(Errno::ISDIR) => Self::WrongType(format!("{path} is a directory")),
            Some(Errno::EXIST) => Self::AlreadyExists(path.to_string()),
            Some(Errno::LOOP) => Self::PathNotAllowed(format!(
                "{path} changed into a symlink while it was being opened"
            )),
            Some(Errno::NAMETOOLONG) => Self::InvalidPath(format!("{path} is too long")),
            _ => Self::Io(path.to_string(), e),
        }
    }
}

/// Who owns the files the server creates for a sandbox (its host uid), so code in the
/// sandbox can change them. `None` when the server runs as the sandbox's user itself.
#[derive(Debug, Clone, Copy)]
pub struct Owner(pub Option<u32>);

/// A sandbox's root on the host and its owner.
#[derive(Debug, Clone, Copy)]
pub struct Jail<'a> {
    pub root: &'a Path,
    pub owner: Owner,
}

/// A resolved path: the directory that holds it, already open, and its name there
/// (`None` for an area root, which is then `dir` itself).
struct Resolved {
    dir: OwnedFd,
    name: Option<String>,
    path: SandboxPath,
}

fn path_dir_flags() -> OFlags {
    OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC
}

impl Jail<'_> {
    fn open_area(&self, area: Area) -> Result<OwnedFd, FsError> {
        let host = self.root.join(area.dir_name());
        rustix::fs::open(&host, path_dir_flags(), Mode::empty()).map_err(|e| {
            FsError::Io(
                format!("/{}", area.dir_name()),
                io::Error::other(format!("the sandbox's /{} is gone ({e})", area.dir_name())),
            )
        })
    }

    fn chown_at(&self, dir: &OwnedFd, name: &str) {
        if let Some(uid) = self.owner.0 {
            let _ = rustix::fs::chownat(
                dir,
                name,
                Some(Uid::from_raw(uid)),
                Some(Gid::from_raw(uid)),
                AtFlags::SYMLINK_NOFOLLOW,
            );
        }
    }

    /// Walks `path` as described in the module docs. With `follow_last`, a symlink in the
    /// last place is followed too (read, write, list); without, it is the result (remove).
    /// With `create_dirs`, missing directories on the way are created (write, mkdir).
    fn resolve(
        &self,
        path: SandboxPath,
        follow_last: bool,
        create_dirs: bool,
    ) -> Result<Resolved, FsError> {
        let shown = path.to_string();
        let mut current = path;
        let mut hops = 0;
        let mut created = 0;
        'walk: loop {
            let mut dir = self.open_area(current.area)?;
            let count = current.parts.len();
            for index in 0..count {
                let name = current.parts[index].clone();
                let last = index + 1 == count;
                let here = SandboxPath {
                    area: current.area,
                    parts: current.parts[..=index].to_vec(),
                };
                match rustix::fs::statat(&dir, name.as_str(), AtFlags::SYMLINK_NOFOLLOW) {
                    Ok(stat) if FileType::from_raw_mode(stat.st_mode) == FileType::Symlink => {
                        if last && !follow_last {
                            return Ok(Resolved {
                                dir,
                                name: Some(name),
                                path: current,
                            });
                        }
                        hops += 1;
                        if hops > MAX_SYMLINK_HOPS {
                            return Err(FsError::InvalidPath(format!(
                                "{shown}: too many levels of symbolic links"
                            )));
                        }
                        let target = rustix::fs::readlinkat(&dir, name.as_str(), Vec::new())
                            .map_err(|e| FsError::io(&here, e))?;
                        let target = target.to_string_lossy().into_owned();
                        current = follow_link(&current, index, &target).ok_or_else(|| {
                            FsError::PathNotAllowed(format!(
                                "{here} is a symlink to {target}, outside /workspace and /tmp"
                            ))
                        })?;
                        continue 'walk;
                    }
                    Ok(_) if last => {
                        return Ok(Resolved {
                            dir,
                            name: Some(name),
                            path: current,
                        });
                    }
                    Ok(stat) if FileType::from_raw_mode(stat.st_mode) == FileType::Directory => {
                        match rustix::fs::openat(
                            &dir,
                            name.as_str(),
                            path_dir_flags(),
                            Mode::empty(),
                        ) {
                            Ok(next) => dir = next,
                            // Swapped for a symlink or a file since the stat: start over.
                            Err(Errno::LOOP | Errno::NOTDIR | Errno::NOENT) => {
                                hops += 1;
                                if hops > MAX_SYMLINK_HOPS {
                                    return Err(FsError::InvalidPath(format!(
                                        "{shown} keeps changing while it is being resolved"
                                    )));
                                }
                                continue 'walk;
                            }
                            Err(e) => return Err(FsError::io(&here, e)),
                        }
                    }
                    Ok(_) => {
                        return Err(FsError::WrongType(format!(
                            "{here} is a file, not a directory"
                        )));
                    }
                    Err(Errno::NOENT) if last => {
                        return Ok(Resolved {
                            dir,
                            name: Some(name),
                            path: current,
                        });
                    }
                    Err(Errno::NOENT) if create_dirs => {
                        created += 1;
                        if created > MAX_PATH_LEN {
                            return Err(FsError::InvalidPath(format!(
                                "{shown} keeps changing while it is being created"
                            )));
                        }
                        match rustix::fs::mkdirat(&dir, name.as_str(), Mode::from_raw_mode(0o755)) {
                            Ok(()) => self.chown_at(&dir, &name),
                            Err(Errno::EXIST) => {}
                            Err(e) => return Err(FsError::io(&here, e)),
                        }
                        // Open it on the next round of this same component.
                        continue 'walk;
                    }
                    Err(Errno::NOENT) => {
                        return Err(FsError::DirectoryNotFound(here.to_string()));
                    }
                    Err(e) => return Err(FsError::io(&here, e)),
                }
            }
            return Ok(Resolved {
                dir,
                name: None,
                path: current,
            });
        }
    }

    /// Opens a regular file for reading.
    pub fn open_file(&self, path: SandboxPath) -> Result<(File, u64, SandboxPath), FsError> {
        let resolved = self.resolve(path, true, false)?;
        let Some(name) = resolved.name.as_deref() else {
            return Err(FsError::WrongType(format!(
                "{} is a directory; list it with GET /files/list",
                resolved.path
            )));
        };
        let fd = rustix::fs::openat(
            &resolved.dir,
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| FsError::io(&resolved.path, e))?;
        let stat = rustix::fs::fstat(&fd).map_err(|e| FsError::io(&resolved.path, e))?;
        match FileType::from_raw_mode(stat.st_mode) {
            FileType::RegularFile => {}
            FileType::Directory => {
                return Err(FsError::WrongType(format!(
                    "{} is a directory; list it with GET /files/list",
                    resolved.path
                )));
            }
            _ => {
                return Err(FsError::WrongType(format!(
                    "{} is not a regular file",
                    resolved.path
                )));
            }
        }
        let size = u64::try_from(stat.st_size).unwrap_or(0);
        Ok((File::from(fd), size, resolved.path))
    }

    /// Reads a whole regular file of at most `max` bytes.
    pub fn read(&self, path: SandboxPath, max: u64) -> Result<(Vec<u8>, SandboxPath), FsError> {
        let (file, size, path) = self.open_file(path)?;
        if size > max {
            return Err(FsError::TooLarge(format!(
                "{path} is {size} bytes, more than the {max} bytes this call returns"
            )));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        file.take(max + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| FsError::io(&path, e))?;
        if bytes.len() as u64 > max {
            return Err(FsError::TooLarge(format!(
                "{path} grew past the {max} bytes this call returns"
            )));
        }
        Ok((bytes, path))
    }

    /// Writes `bytes` to a file, creating missing parent directories. With `overwrite`
    /// false an existing file is refused.
    pub fn write(
        &self,
        path: SandboxPath,
        bytes: &[u8],
        mode: u32,
        overwrite: bool,
    ) -> Result<SandboxPath, FsError> {
        let resolved = self.resolve(path, true, true)?;
        let Some(name) = resolved.name.as_deref() else {
            return Err(FsError::WrongType(format!(
                "{} is a directory",
                resolved.path
            )));
        };
        let mut flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        if overwrite {
            flags |= OFlags::TRUNC;
        } else {
            flags |= OFlags::EXCL;
        }
        let fd = rustix::fs::openat(&resolved.dir, name, flags, Mode::from_raw_mode(mode))
            .map_err(|e| FsError::io(&resolved.path, e))?;
        let stat = rustix::fs::fstat(&fd).map_err(|e| FsError::io(&resolved.path, e))?;
        if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
            return Err(FsError::WrongType(format!(
                "{} is not a regular file",
                resolved.path
            )));
        }
        // Truncation happened at open only with O_TRUNC; a pre-existing file kept its mode.
        let _ = rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode));
        if let Some(uid) = self.owner.0 {
            let _ = rustix::fs::fchown(&fd, Some(Uid::from_raw(uid)), Some(Gid::from_raw(uid)));
        }
        let mut file = File::from(fd);
        file.write_all(bytes)
            .map_err(|e| FsError::io(&resolved.path, e))?;
        Ok(resolved.path)
    }

    /// Creates a directory and its missing parents; an existing directory is fine.
    pub fn mkdir(&self, path: SandboxPath) -> Result<SandboxPath, FsError> {
        let resolved = self.resolve(path, true, true)?;
        let Some(name) = resolved.name.as_deref() else {
            return Ok(resolved.path);
        };
        match rustix::fs::mkdirat(&resolved.dir, name, Mode::from_raw_mode(0o755)) {
            Ok(()) => {
                self.chown_at(&resolved.dir, name);
                Ok(resolved.path)
            }
            Err(Errno::EXIST) => {
                let stat = rustix::fs::statat(&resolved.dir, name, AtFlags::SYMLINK_NOFOLLOW)
                    .map_err(|e| FsError::io(&resolved.path, e))?;
                if FileType::from_raw_mode(stat.st_mode) == FileType::Directory {
                    Ok(resolved.path)
                } else {
                    Err(FsError::AlreadyExists(format!(
                        "{} exists and is not a directory",
                        resolved.path
                    )))
                }
            }
            Err(e) => Err(FsError::io(&resolved.path, e)),
        }
    }

    /// Whether the path exists (following symlinks inside the sandbox). A path whose
    /// parent is missing does not exist; one outside the sandbox is an error.
    pub fn exists(&self, path: SandboxPath) -> Result<Option<Entry>, FsError> {
        let resolved = match self.resolve(path, true, false) {
            Ok(r) => r,
            Err(FsError::DirectoryNotFound(_) | FsError::WrongType(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let stat = match &resolved.name {
            Some(name) => {
                rustix::fs::statat(&resolved.dir, name.as_str(), AtFlags::SYMLINK_NOFOLLOW)
            }
            None => rustix::fs::fstat(&resolved.dir),
        };
        match stat {
            Ok(stat) => Ok(Some(Entry::from_stat(&resolved.path, &stat))),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(FsError::io(&resolved.path, e)),
        }
    }

    /// The entries of a directory, sorted by name (at most [`MAX_LIST_ENTRIES`]).
    pub fn list(&self, path: SandboxPath) -> Result<(Vec<Entry>, SandboxPath, bool), FsError> {
        let resolved = match self.resolve(path, true, false) {
            Err(FsError::NotFound(p)) => return Err(FsError::DirectoryNotFound(p)),
            other => other?,
        };
        let dir = match resolved.name.as_deref() {
            None => rustix::fs::openat(
                &resolved.dir,
                ".",
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            ),
            Some(name) => rustix::fs::openat(
                &resolved.dir,
                name,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            ),
        };
        let dir = match dir {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Err(FsError::DirectoryNotFound(resolved.path.to_string())),
            Err(Errno::NOTDIR) => {
                return Err(FsError::WrongType(format!(
                    "{} is a file, not a directory",
                    resolved.path
                )));
            }
            Err(e) => return Err(FsError::io(&resolved.path, e)),
        };
        let mut entries = Vec::new();
        let mut truncated = false;
        let reader = Dir::read_from(&dir).map_err(|e| FsError::io(&resolved.path, e))?;
        for entry in reader {
            let entry = entry.map_err(|e| FsError::io(&resolved.path, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name == "." || name == ".." {
                continue;
            }
            if entries.len() >= MAX_LIST_ENTRIES {
                truncated = true;
                break;
            }
            let Ok(stat) = rustix::fs::statat(&dir, entry.file_name(), AtFlags::SYMLINK_NOFOLLOW)
            else {
                continue; // removed meanwhile
            };
            entries.push(Entry::from_stat(&resolved.path.child(&name), &stat));
        }
        entries.sort_by(|a, b| a.path.parts.cmp(&b.path.parts));
        Ok((entries, resolved.path, truncated))
    }

    /// Removes a file, a symlink (not what it points to) or a directory tree.
    pub fn remove(&self, path: SandboxPath) -> Result<SandboxPath, FsError> {
        let resolved = self.resolve(path, false, false)?;
        let Some(name) = resolved.name.as_deref() else {
            return Err(FsError::PathNotAllowed(format!(
                "{} itself cannot be removed; remove what is inside it",
                resolved.path
            )));
        };
        let stat = rustix::fs::statat(&resolved.dir, name, AtFlags::SYMLINK_NOFOLLOW)
            .map_err(|e| FsError::io(&resolved.path, e))?;
        if FileType::from_raw_mode(stat.st_mode) == FileType::Directory {
            // Code in the sandbox may add files while this runs: try a few times.
            let mut last = None;
            for _ in 0..3 {
                match remove_tree(&resolved.dir, name, 0) {
                    Ok(()) => return Ok(resolved.path),
                    Err(Errno::NOTEMPTY) => last = Some(Errno::NOTEMPTY),
                    Err(Errno::NOENT) => return Ok(resolved.path),
                    Err(e) => return Err(FsError::io(&resolved.path, e)),
                }
            }
            Err(FsError::io(&resolved.path, last.unwrap_or(Errno::NOTEMPTY)))
        } else {
            rustix::fs::unlinkat(&resolved.dir, name, AtFlags::empty())
                .map_err(|e| FsError::io(&resolved.path, e))?;
            Ok(resolved.path)
        }
    }
}

/// Removes directory `name` in `parent` and everything below it, never following a symlink.
fn remove_tree(parent: &impl AsFd, name: &str, depth: usize) -> Result<(), Errno> {
    if depth > MAX_REMOVE_DEPTH {
        return Err(Errno::NAMETOOLONG);
    }
    let dir = rustix::fs::openat(
        parent,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let mut children: Vec<(String, bool)> = Vec::new();
    for entry in Dir::read_from(&dir)? {
        let entry = entry?;
        let child = entry.file_name().to_string_lossy().into_owned();
        if child == "." || child == ".." {
            continue;
        }
        let is_dir = match rustix::fs::statat(&dir, entry.file_name(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(stat) => FileType::from_raw_mode(stat.st_mode) == FileType::Directory,
            Err(Errno::NOENT) => continue,
            Err(e) => return Err(e),
        };
        children.push((child, is_dir));
    }
    for (child, is_dir) in children {
        let result = if is_dir {
            remove_tree(&dir, &child, depth + 1)
        } else {
            rustix::fs::unlinkat(&dir, child.as_str(), AtFlags::empty())
        };
        match result {
            Ok(()) | Err(Errno::NOENT) => {}
            Err(e) => return Err(e),
        }
    }
    rustix::fs::unlinkat(parent, name, AtFlags::REMOVEDIR)
}

/// The new path after following the symlink at `current.parts[index]` whose target is
/// `target`, with the rest of `current` appended; `None` when it leaves the sandbox trees.
fn follow_link(current: &SandboxPath, index: usize, target: &str) -> Option<SandboxPath> {
    let mut joined = if target.starts_with('/') {
        target.to_owned()
    } else {
        let mut base = String::from("/");
        base.push_str(current.area.dir_name());
        for part in &current.parts[..index] {
            base.push('/');
            base.push_str(part);
        }
        base.push('/');
        base.push_str(target);
        base
    };
    for part in &current.parts[index + 1..] {
        joined.push('/');
        joined.push_str(part);
    }
    SandboxPath::from_absolute(&joined)
}

/// One entry of a listing (or the answer of `exists`).
#[derive(Debug, Clone)]
pub struct Entry {
    pub path: SandboxPath,
    pub size: u64,
    pub is_directory: bool,
    pub is_symlink: bool,
    pub modified: SystemTime,
    /// `ls -l` style, e.g. `-rw-r--r--` (what Go's `FileMode.String()` prints).
    pub permissions: String,
}

impl Entry {
    fn from_stat(path: &SandboxPath, stat: &Stat) -> Self {
        let kind = FileType::from_raw_mode(stat.st_mode);
        let secs = u64::try_from(stat.st_mtime).unwrap_or(0);
        let nanos = u32::try_from(stat.st_mtime_nsec).unwrap_or(0);
        Self {
            path: path.clone(),
            size: u64::try_from(stat.st_size).unwrap_or(0),
            is_directory: kind == FileType::Directory,
            is_symlink: kind == FileType::Symlink,
            modified: SystemTime::UNIX_EPOCH + std::time::Duration::new(secs, nanos),
            permissions: permissions(kind, stat.st_mode),
        }
    }
}

fn permissions(kind: FileType, mode: u32) -> String {
    let mut s = String::with_capacity(10);
    s.push(match kind {
        FileType::Directory => 'd',
        FileType::Symlink => 'l',
        FileType::Fifo => 'p',
        FileType::Socket => 's',
        FileType::CharacterDevice => 'c',
        FileType::BlockDevice => 'b',
        _ => '-',
    });
    for shift in [6, 3, 0] {
        let bits = (mode >> shift) & 0o7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        s.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    s
}

/// Creates the root of a sandbox: `<root>` (0700), `<root>/workspace` (0755) and
/// `<root>/tmp` (1777), all owned by the sandbox's uid when there is one.
pub fn create_root(root: &Path, owner: Owner) -> io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new().mode(0o700).create(root)?;
    let workspace = root.join(Area::Workspace.dir_name());
    let tmp = root.join(Area::Tmp.dir_name());
    std::fs::DirBuilder::new().mode(0o755).create(&workspace)?;
    std::fs::DirBuilder::new().mode(0o700).create(&tmp)?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o1777))?;
    if let Some(uid) = owner.0 {
        for dir in [root, workspace.as_path(), tmp.as_path()] {
            std::os::unix::fs::chown(dir, Some(uid), Some(uid))?;
        }
    }
    Ok(())
}

/// Removes a sandbox root. `std::fs::remove_dir_all` never follows symlinks (it walks
/// with `openat`/`unlinkat` itself); code that was still writing when the sandbox was
/// killed can make a round fail with "directory not empty", so it retries.
pub fn remove_root(root: &Path) -> io::Result<()> {
    let mut last = Ok(());
    for attempt in 0..5 {
        match std::fs::remove_dir_all(root) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => last = Err(e),
        }
        std::thread::sleep(std::time::Duration::from_millis(5 << attempt));
    }
    last
}

/// The host path of a sandbox path, for the unconfined mode only (where the host path is
/// the working directory of a process).
pub fn host_path(root: &Path, path: &SandboxPath) -> PathBuf {
    let mut host = root.join(path.area.dir_name());
    for part in &path.parts {
        host.push(part);
    }
    host
}

/// Ensures the working directory of an execution is a directory inside the sandbox.
pub fn check_workdir(jail: &Jail<'_>, path: SandboxPath) -> Result<SandboxPath, FsError> {
    match jail.exists(path.clone())? {
        Some(entry) if entry.is_directory => Ok(entry.path),
        Some(entry) => Err(FsError::WrongType(format!(
            "{} is a file, not a directory",
            entry.path
        ))),
        None => Err(FsError::DirectoryNotFound(path.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<String, String> {
        SandboxPath::parse(s)
            .map(|p| p.to_string())
            .map_err(|e| format!("{e:?}"))
    }

    #[test]
    fn paths_are_cleaned_and_confined() {
        assert_eq!(parse("/workspace").unwrap(), "/workspace");
        assert_eq!(parse("/workspace/a/./b/../c").unwrap(), "/workspace/a/c");
        assert_eq!(parse("a/b").unwrap(), "/workspace/a/b");
        assert_eq!(parse("/tmp//x/").unwrap(), "/tmp/x");
        assert_eq!(parse("/workspace/../tmp/x").unwrap(), "/tmp/x");
        for bad in [
            "/",
            "/etc/passwd",
            "/workspace/../../etc",
            "/workspacex",
            "../x",
            "/proc/1",
        ] {
            assert!(parse(bad).unwrap_err().contains("PathNotAllowed"), "{bad}");
        }
        for bad in ["", " ", "/workspace/a\0b"] {
            assert!(parse(bad).unwrap_err().contains("InvalidPath"), "{bad:?}");
        }
    }

    #[test]
    fn links_resolve_in_the_sandbox_view() {
        let p = SandboxPath::parse("/workspace/a/link/rest").unwrap();
        let follow = |t: &str| follow_link(&p, 1, t).map(|p| p.to_string());
        assert_eq!(follow("b").as_deref(), Some("/workspace/a/b/rest"));
        assert_eq!(follow("../../tmp/x").as_deref(), Some("/tmp/x/rest"));
        assert_eq!(follow("/tmp").as_deref(), Some("/tmp/rest"));
        assert_eq!(follow("/etc/passwd"), None);
        assert_eq!(follow("../../../other"), None);
    }

    #[test]
    fn jail_refuses_escapes_and_follows_inside_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("sb");
        create_root(&root, Owner(None)).unwrap();
        let outside = dir.path().join("secret");
        std::fs::write(&outside, "host secret").unwrap();
        let jail = Jail {
            root: &root,
            owner: Owner(None),
        };
        let ws = root.join("workspace");
        std::os::unix::fs::symlink(&outside, ws.join("abs")).unwrap();
        std::os::unix::fs::symlink("../../secret", ws.join("rel")).unwrap();
        std::os::unix::fs::symlink("/workspace/real", ws.join("inside")).unwrap();
        std::os::unix::fs::symlink("/tmp", ws.join("tmplink")).unwrap();
        jail.write(SandboxPath::parse("real").unwrap(), b"ok", 0o644, true)
            .unwrap();

        std::os::unix::fs::symlink("/etc/passwd", ws.join("etc")).unwrap();
        let read = |p: &str| jail.read(SandboxPath::parse(p).unwrap(), 1 << 20);
        // `abs` names a host file, but a link is read in the sandbox's view, where that
        // path is a missing directory under /tmp: never the host file.
        assert!(matches!(read("abs"), Err(FsError::DirectoryNotFound(_))));
        assert!(matches!(read("etc"), Err(FsError::PathNotAllowed(_))));
        assert!(matches!(read("rel"), Err(FsError::PathNotAllowed(_))));
        assert_eq!(read("inside").unwrap().0, b"ok");
        jail.write(SandboxPath::parse("tmplink/t").unwrap(), b"t", 0o600, true)
            .unwrap();
        assert_eq!(std::fs::read(root.join("tmp/t")).unwrap(), b"t");
        // Writing through an escaping link is refused too.
        assert!(matches!(
            jail.write(SandboxPath::parse("etc").unwrap(), b"x", 0o644, true),
            Err(FsError::PathNotAllowed(_))
        ));
        assert!(matches!(
            jail.write(SandboxPath::parse("rel").unwrap(), b"x", 0o644, true),
            Err(FsError::PathNotAllowed(_))
        ));
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "host secret");
        // Removing a link removes the link only.
        jail.remove(SandboxPath::parse("abs").unwrap()).unwrap();
        assert!(outside.exists());
        assert!(matches!(
            jail.write(SandboxPath::parse("real").unwrap(), b"again", 0o644, false),
            Err(FsError::AlreadyExists(_))
        ));
        assert!(matches!(
            jail.remove(SandboxPath::parse("/workspace").unwrap()),
            Err(FsError::PathNotAllowed(_))
        ));
    }
}
