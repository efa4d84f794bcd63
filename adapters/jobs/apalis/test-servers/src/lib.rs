//! Real PostgreSQL and Redis servers for tests: each started by the test that needs it, from the
//! binaries installed on the machine, in a fresh temporary directory on a free loopback port, and
//! stopped when its guard is dropped (a panicking test included).
//!
//! A missing binary is not a pass: [`Postgres::start`] and [`Redis::start`] print why and return
//! `None` so that a developer without the server skips the test, but when `CI=true` they panic
//! instead, so CI (whose `.ci/run` installs both) can never skip them silently.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long a server may take to accept connections before the test fails.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A directory under the system's temporary directory, removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// A fresh, empty directory whose name starts with `prefix`.
    pub fn new(prefix: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "{prefix}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create a temporary directory");
        Self(path)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A free TCP port on 127.0.0.1 (free when asked: the server binds it right after).
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// Whether this run must not skip: `CI=true`.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| value == "true")
}

/// A server this machine cannot start: skipped locally, a failure in CI.
fn unavailable<T>(why: &str) -> Option<T> {
    assert!(
        !in_ci(),
        "{why}; CI=true, so this is a failure, not a skip (.ci/run installs it)"
    );
    eprintln!("skipped: {why}");
    None
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

/// Runs `program` as the `postgres` user when we are root (PostgreSQL refuses to run as root),
/// directly otherwise.
fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(mut command: Command, what: &str) {
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| panic!("{what}: {error}"));
    assert!(
        output.status.success(),
        "{what} failed ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Polls `ready` every 20 ms until it holds, failing the test after [`START_TIMEOUT`].
fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(
            started.elapsed() < START_TIMEOUT,
            "{what} did not start within {START_TIMEOUT:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Where PostgreSQL's server binaries are: `$PG_BIN`, Debian's `/usr/lib/postgresql/<newest>/bin`,
/// or the `PATH`.
fn postgres_bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|dir| dir.join("initdb").exists() && dir.join("pg_ctl").exists())
    })
}

/// A PostgreSQL server in a temporary data directory, on 127.0.0.1 and a free port, stopped
/// (`pg_ctl stop -m immediate`) and deleted on drop.
#[derive(Debug)]
pub struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    // Last: removed after the server has stopped.
    dir: TempDir,
}

impl Postgres {
    /// Initialises a cluster (trust authentication, user `postgres`) and starts it, with `settings`
    /// passed as `-c name=value` options.
    ///
    /// `None` (after printing why) when PostgreSQL is not installed, unless `CI=true`.
    ///
    /// # Panics
    ///
    /// When `initdb` or the server fails, or the server does not accept connections in time.
    pub fn start(settings: &[&str]) -> Option<Self> {
        let Some(bin) = postgres_bin_dir() else {
            return unavailable(
                "PostgreSQL's initdb was not found (install postgresql, or set PG_BIN)",
            );
        };
        let dir = TempDir::new("background-tasks-postgres");
        let data = dir.path().join("data");
        if is_root() {
            // The server runs as `postgres`: it needs the directory, and the socket dir inside it.
            let mut chown = Command::new("chown");
            chown.arg("-R").arg("postgres:").arg(dir.path());
            run(chown, "chown the data directory to postgres");
        }
        let mut initdb = as_postgres(&bin.join("initdb"));
        initdb.arg("-D").arg(&data).args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        ]);
        run(initdb, "initdb");
        let port = free_port();
        let mut options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -k {} -c max_connections=200",
            dir.path().display()
        );
        for setting in settings {
            options += &format!(" -c {setting}");
        }
        let mut pg_ctl = as_postgres(&bin.join("pg_ctl"));
        pg_ctl
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(dir.path().join("server.log"))
            .args(["-o", &options, "-w", "-t", "60", "start"]);
        let server = Self {
            bin,
            data,
            port,
            dir,
        };
        run(pg_ctl, "pg_ctl start");
        wait_until("postgres", || {
            TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok()
        });
        Some(server)
    }

    /// `postgres://postgres@127.0.0.1:{port}/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The server's log file.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let mut pg_ctl = as_postgres(&self.bin.join("pg_ctl"));
        pg_ctl
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let _ = pg_ctl.status();
    }
}

/// A Redis server on 127.0.0.1 and a free port, persistence off, killed on drop.
#[derive(Debug)]
pub struct Redis {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl Redis {
    /// Starts `redis-server` (from the `PATH`) with no snapshots and no append-only file.
    ///
    /// `None` (after printing why) when `redis-server` is not installed, unless `CI=true`.
    ///
    /// # Panics
    ///
    /// When the server does not answer `PING` in time.
    pub fn start() -> Option<Self> {
        let dir = TempDir::new("background-tasks-redis");
        let port = free_port();
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--dir"])
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(error) => {
                return unavailable(&format!(
                    "redis-server could not be started ({error}); install it (apt-get install redis-server)"
                ));
            }
        };
        let mut server = Self {
            child,
            port,
            _dir: dir,
        };
        wait_until("redis-server", || {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("redis-server exited at start: {status}");
            }
            ping(port)
        });
        Some(server)
    }

    /// `redis://127.0.0.1:{port}/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut reply = [0; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
