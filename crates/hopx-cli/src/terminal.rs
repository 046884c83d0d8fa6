//! Reading a secret: from a terminal with the echo off, or from a pipe.

use std::io::{self, IsTerminal, Read, Write};

/// The most a key read from stdin may be; anything longer is not a key.
const MAX_SECRET_BYTES: usize = 64 * 1024;

/// How reading a secret ended.
#[derive(Debug)]
pub(crate) enum Secret {
    /// What was typed or piped (not trimmed).
    Value(String),
    /// Ctrl-C, or Ctrl-D on an empty line.
    Aborted,
}

/// Whether stdin is a terminal (the CLI then prompts instead of reading a pipe).
pub(crate) fn stdin_is_terminal() -> bool {
    io::stdin().is_terminal()
}

/// Reads all of stdin (a pipe or a file), at most 64 KiB.
pub(crate) fn read_stdin() -> io::Result<String> {
    let mut bytes = Vec::new();
    io::stdin()
        .lock()
        .take(MAX_SECRET_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() > MAX_SECRET_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "stdin holds more than 64 KiB, which is not an API key",
        ));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Prints `prompt` on stderr and reads one line from the terminal on stdin without showing
/// it. The terminal is put in a mode without echo, line editing or signal keys for the
/// duration, and restored afterwards whatever happens: Ctrl-C and Ctrl-D are read as keys
/// (so the terminal is never left without echo) and end the prompt. Backspace and Ctrl-U
/// edit; escape sequences (arrow keys, bracketed paste markers) are ignored.
#[cfg(unix)]
pub(crate) fn read_hidden(prompt: &str) -> io::Result<Secret> {
    use rustix::termios::{LocalModes, OptionalActions, SpecialCodeIndex, tcgetattr, tcsetattr};

    let stdin = io::stdin();
    let original = tcgetattr(&stdin).map_err(io::Error::from)?;
    let mut quiet = original.clone();
    quiet.local_modes.remove(
        LocalModes::ECHO
            | LocalModes::ECHONL
            | LocalModes::ICANON
            | LocalModes::ISIG
            | LocalModes::IEXTEN,
    );
    quiet.special_codes[SpecialCodeIndex::VMIN] = 1;
    quiet.special_codes[SpecialCodeIndex::VTIME] = 0;

    struct Restore<'a> {
        stdin: &'a io::Stdin,
        original: rustix::termios::Termios,
    }
    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            let _ = tcsetattr(self.stdin, OptionalActions::Now, &self.original);
        }
    }

    // The echo goes off before the prompt appears, so keys typed (or pasted) as soon as it
    // shows are never echoed.
    tcsetattr(&stdin, OptionalActions::Now, &quiet).map_err(io::Error::from)?;
    let restore = Restore {
        stdin: &stdin,
        original,
    };
    {
        let mut stderr = io::stderr().lock();
        write!(stderr, "{prompt}")?;
        stderr.flush()?;
    }
    let result = read_keys(&mut stdin.lock());
    drop(restore);
    // The Enter that ended the line was not echoed either.
    let _ = writeln!(io::stderr().lock());
    result
}

#[cfg(not(unix))]
pub(crate) fn read_hidden(_prompt: &str) -> io::Result<Secret> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "hidden input is not supported on this platform; pipe the key into `hopx auth login --with-key`",
    ))
}

/// The key-by-key line editor behind [`read_hidden`].
#[cfg_attr(not(unix), allow(dead_code))]
fn read_keys(input: &mut impl Read) -> io::Result<Secret> {
    let mut line: Vec<u8> = Vec::new();
    let mut byte = [0u8; 1];
    // An escape sequence in progress: 1 after ESC, 2 inside `ESC [ ...`.
    let mut escape = 0u8;
    loop {
        match input.read(&mut byte) {
            Ok(0) => {
                return Ok(if line.is_empty() {
                    Secret::Aborted
                } else {
                    Secret::Value(String::from_utf8_lossy(&line).into_owned())
                });
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        let b = byte[0];
        if escape == 1 {
            escape = if b == b'[' || b == b'O' { 2 } else { 0 };
            continue;
        }
        if escape == 2 {
            if (0x40..=0x7e).contains(&b) {
                escape = 0;
            }
            continue;
        }
        match b {
            b'\r' | b'\n' => return Ok(Secret::Value(String::from_utf8_lossy(&line).into_owned())),
            0x03 => return Ok(Secret::Aborted),
            0x04 if line.is_empty() => return Ok(Secret::Aborted),
            0x7f | 0x08 => {
                line.pop();
            }
            0x15 => line.clear(),
            0x1b => escape = 1,
            b if b < 0x20 => {}
            b => {
                if line.len() < MAX_SECRET_BYTES {
                    line.push(b);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(input: &[u8]) -> Option<String> {
        match read_keys(&mut &input[..]).unwrap() {
            Secret::Value(v) => Some(v),
            Secret::Aborted => None,
        }
    }

    #[test]
    fn line_editing() {
        assert_eq!(keys(b"abc\r").as_deref(), Some("abc"));
        assert_eq!(keys(b"abx\x7fc\n").as_deref(), Some("abc"));
        assert_eq!(keys(b"junk\x15abc\r").as_deref(), Some("abc"));
        assert_eq!(keys(b"\x1b[200~abc\x1b[201~\r").as_deref(), Some("abc"));
        assert_eq!(keys(b"ab\x03c\r"), None);
        assert_eq!(keys(b"\x04"), None);
        assert_eq!(keys(b"").as_deref(), None);
        assert_eq!(keys(b"abc").as_deref(), Some("abc"));
    }
}
