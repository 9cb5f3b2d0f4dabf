//! The terminal prompter behind `virConnectAuthPtrDefault`, for command-line
//! tools: "PROMPT: " on stdout, the answer read from stdin (secrets from the
//! terminal with echo off); an empty answer takes the suggested default.

use std::io::{BufRead, Write};

use crate::abi::*;

/// Asks one credential of `kind`; None when it cannot be answered here.
pub fn answer(kind: i32, prompt: &str, default: Option<&str>) -> Option<String> {
    let line = match kind {
        VIR_CRED_AUTHNAME | VIR_CRED_ECHOPROMPT | VIR_CRED_REALM => {
            ask(prompt)?;
            read_line(&mut std::io::stdin().lock())?
        }
        VIR_CRED_PASSPHRASE | VIR_CRED_NOECHOPROMPT => {
            ask(prompt)?;
            read_secret()?
        }
        _ => return None,
    };
    match default {
        Some(d) if line.is_empty() => Some(d.to_string()),
        _ => Some(line),
    }
}

fn ask(prompt: &str) -> Option<()> {
    let mut out = std::io::stdout().lock();
    write!(out, "{prompt}: ").ok()?;
    out.flush().ok()
}

/// One line without its newline; end of input counts as an empty answer.
fn read_line(input: &mut impl BufRead) -> Option<String> {
    let mut line = String::new();
    input.read_line(&mut line).ok()?;
    if line.ends_with('\n') {
        line.pop();
        if line.ends_with('\r') {
            line.pop();
        }
    }
    Some(line)
}

/// A line from the controlling terminal with echo off (stdin when there is none).
fn read_secret() -> Option<String> {
    let Ok(tty) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
    else {
        return read_line(&mut std::io::stdin().lock());
    };
    use std::os::fd::AsRawFd;
    let fd = tty.as_raw_fd();
    // SAFETY: a zeroed termios is filled by tcgetattr before use.
    let mut saved: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: fd is an open terminal; saved is writable.
    let have_termios = unsafe { libc::tcgetattr(fd, &mut saved) } == 0;
    if have_termios {
        let mut quiet = saved;
        quiet.c_lflag &= !libc::ECHO;
        // SAFETY: valid fd and termios.
        unsafe { libc::tcsetattr(fd, libc::TCSAFLUSH, &quiet) };
    }
    let line = read_line(&mut std::io::BufReader::new(&tty));
    if have_termios {
        // SAFETY: restores what tcgetattr returned.
        unsafe { libc::tcsetattr(fd, libc::TCSAFLUSH, &saved) };
        let _ = (&tty).write_all(b"\n");
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_lose_their_newline_and_eof_is_empty() {
        assert_eq!(read_line(&mut &b"alice\r\n"[..]).as_deref(), Some("alice"));
        assert_eq!(read_line(&mut &b""[..]).as_deref(), Some(""));
    }

    #[test]
    fn unknown_kinds_are_refused() {
        assert_eq!(answer(VIR_CRED_EXTERNAL, "x", None), None);
    }
}
