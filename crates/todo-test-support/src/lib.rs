//! What the tests of the workspace's binaries share: start a built binary (a
//! `CARGO_BIN_EXE_*` path) with a clean environment, collect its stdout and
//! stderr line by line, wait for the line saying where it listens, send it
//! SIGTERM, and kill it when the test is over, whether it passed or not.
//!
//! A dev-dependency only: nothing here is part of the application.
#![forbid(unsafe_code)]

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// How long [`Process::wait_for`] waits for a line: generous, it bounds a hang
/// (a binary that never starts) and measures nothing.
pub const LINE_TIMEOUT: Duration = Duration::from_secs(60);

/// A command for the binary at `path` whose environment lacks `NAME` and
/// `NAME_FILE` for each of `clear`, so that the developer's or CI's settings do
/// not leak into the run.
pub fn command(path: impl AsRef<OsStr>, clear: &[&str]) -> Command {
    let mut cmd = Command::new(path);
    for name in clear {
        cmd.env_remove(name);
        cmd.env_remove(format!("{name}_FILE"));
    }
    cmd
}

/// A running binary whose output lines are collected; killed when dropped.
pub struct Process {
    child: Child,
    lines: Receiver<String>,
}

impl Process {
    /// Starts `cmd` with stdout and stderr piped; both are read line by line
    /// (interleaved in the order they arrive) so the child never blocks on a
    /// full pipe.
    ///
    /// # Panics
    /// If the binary cannot be started.
    pub fn start(mut cmd: Command) -> Process {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", cmd.get_program()));
        let (tx, lines) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().map(|s| Box::new(s) as Box<dyn Read + Send>);
        let stderr = child.stderr.take().map(|s| Box::new(s) as Box<dyn Read + Send>);
        for stream in [stdout, stderr].into_iter().flatten() {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Process { child, lines }
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Skips lines until one satisfies `matches`, and returns it.
    ///
    /// # Panics
    /// If no such line comes within [`LINE_TIMEOUT`] or the output ends first
    /// (naming `what`, the skipped lines and the exit status).
    pub fn wait_for(&mut self, what: &str, mut matches: impl FnMut(&str) -> bool) -> String {
        let deadline = Instant::now() + LINE_TIMEOUT;
        let mut skipped = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if matches(&line) => return line,
                Ok(line) => skipped.push(line),
                Err(RecvTimeoutError::Timeout) => {
                    panic!("no {what} within {LINE_TIMEOUT:?}; output:\n{}", skipped.join("\n"))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let status = self.child.wait().map(|s| s.to_string()).unwrap_or_else(|e| e.to_string());
                    panic!("the output ended ({status}) before {what}; output:\n{}", skipped.join("\n"))
                }
            }
        }
    }

    /// Waits for the JSON log line `... listening on ...` that the services
    /// write once they accept connections, and returns the address it names
    /// (its `addr` field), which is the real one even when started on port 0.
    ///
    /// # Panics
    /// As [`Process::wait_for`], or if that line has no valid `addr`.
    pub fn listening_address(&mut self) -> SocketAddr {
        let line = self.wait_for("\"listening on\" log line", |l| l.starts_with('{') && l.contains("listening on"));
        let v: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("the listening line is not JSON ({e}): {line}"));
        v["fields"]["addr"]
            .as_str()
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("the listening line names no address: {line}"))
    }

    /// The lines that have arrived and not been read yet, without waiting.
    pub fn lines_so_far(&mut self) -> Vec<String> {
        self.lines.try_iter().collect()
    }

    /// Every line not read yet, up to the end of the output: call it once the
    /// process has exited (else it waits for the exit).
    pub fn remaining_lines(&mut self) -> Vec<String> {
        self.lines.iter().collect()
    }

    /// Sends SIGTERM, as an orchestrator stopping the process does.
    ///
    /// # Panics
    /// If `kill` cannot be run or fails (the process is already gone).
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap_or_else(|e| panic!("cannot run kill: {e}"));
        assert!(status.success(), "kill -TERM {} failed", self.child.id());
    }

    /// Waits up to `limit` for the process to exit; `None` if it is still running.
    ///
    /// # Panics
    /// If its status cannot be read.
    pub fn wait_timeout(&mut self, limit: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < limit {
            match self.child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => panic!("cannot read the exit status: {e}"),
            }
        }
        None
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        // Already exited is fine: there is nothing to kill then.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
