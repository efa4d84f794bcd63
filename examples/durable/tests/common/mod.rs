//! What the cross-process tests share: the example's binaries as child processes, killed on
//! drop, and the shared log file read back.

#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// The bound on every wait: a failure, never a way to synchronise.
pub const PATIENCE: Duration = Duration::from_secs(180);
pub const HEARTBEAT_MS: u64 = 1000;
pub const MISSED_HEARTBEATS: u64 = 2;

/// A child process, killed on drop if still running.
pub struct Process {
    pub name: String,
    pub child: Child,
}

impl Process {
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill {signal} {}", self.name);
    }

    /// Waits for the process to exit after a signal, and returns the rest of its output.
    pub fn wait_output(mut self) -> String {
        let started = Instant::now();
        loop {
            if self.child.try_wait().unwrap().is_some() {
                break;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "{} did not exit in time",
                self.name
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut output = String::new();
        if let Some(mut stdout) = self.child.stdout.take() {
            let _ = stdout.read_to_string(&mut output);
        }
        output
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Setup<'a> {
    pub url: &'a str,
    pub log_file: &'a Path,
}

impl Setup<'_> {
    pub fn command(&self, bin: &str) -> Command {
        let mut command = Command::new(bin);
        command
            .env("DURABLE_DATABASE_URL", self.url)
            .env("EXAMPLE_LOG_FILE", self.log_file)
            .env("EXAMPLE_ADDR", "127.0.0.1:0")
            .env("DURABLE_HEARTBEAT_MS", HEARTBEAT_MS.to_string())
            .env("DURABLE_MISSED_HEARTBEATS", MISSED_HEARTBEATS.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        command
    }

    pub fn web(&self, name: &str) -> (Process, SocketAddr) {
        self.web_with(name, |_| {})
    }

    /// [`web`](Self::web), its command adjusted by `tune` first (an environment variable, say).
    pub fn web_with(&self, name: &str, tune: impl FnOnce(&mut Command)) -> (Process, SocketAddr) {
        self.web_from(env!("CARGO_BIN_EXE_durable_web"), name, tune)
    }

    /// `durable_web_smol`: the web server on smol.
    pub fn web_smol(&self, name: &str) -> (Process, SocketAddr) {
        self.web_from(env!("CARGO_BIN_EXE_durable_web_smol"), name, |_| {})
    }

    /// The web server binary `bin`, started as [`web_with`](Self::web_with) starts `durable_web`.
    pub fn web_from(
        &self,
        bin: &str,
        name: &str,
        tune: impl FnOnce(&mut Command),
    ) -> (Process, SocketAddr) {
        let mut command = self.command(bin);
        tune(&mut command);
        let mut child = command.spawn().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let addr = line
            .strip_prefix("listening on http://")
            .and_then(|rest| rest.split(' ').next())
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("{name} did not start: {line:?}"));
        child.stdout = Some(into_inner(stdout));
        (
            Process {
                name: name.to_owned(),
                child,
            },
            addr,
        )
    }

    pub fn worker(&self, name: &str, job_delay_ms: u64) -> Process {
        let mut child = self
            .command(env!("CARGO_BIN_EXE_durable_worker"))
            .env("DURABLE_WORKER_NAME", name)
            .env("DURABLE_JOB_DELAY_MS", job_delay_ms.to_string())
            .spawn()
            .unwrap();
        // The first line says it is configured; fetching starts right after.
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        assert!(
            line.starts_with("worker "),
            "{name} did not start: {line:?}"
        );
        child.stdout = Some(into_inner(stdout));
        Process {
            name: name.to_owned(),
            child,
        }
    }
}

fn into_inner(reader: BufReader<ChildStdout>) -> ChildStdout {
    assert!(
        reader.buffer().is_empty(),
        "unread output after the first line"
    );
    reader.into_inner()
}

/// Lines per address in the shared log file.
pub fn runs(log_file: &Path) -> HashMap<String, usize> {
    let mut runs = HashMap::new();
    for line in std::fs::read_to_string(log_file)
        .unwrap_or_default()
        .lines()
    {
        let email = line
            .strip_prefix("notification for ")
            .and_then(|rest| rest.strip_suffix(": some notification"))
            .unwrap_or_else(|| panic!("a torn or foreign line in the log: {line:?}"));
        *runs.entry(email.to_owned()).or_default() += 1;
    }
    runs
}
