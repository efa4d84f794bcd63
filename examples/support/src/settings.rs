//! [`Settings`]: where the examples listen, where their tasks log, how long the cleanup sleeps.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// What the examples can be told from the environment; [`Default`] is FastAPI's setup.
///
/// Each example crate re-exports it, with an example of its defaults under its own name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Where to listen: `EXAMPLE_ADDR`, default `127.0.0.1:8000`. Port 0 picks a free port.
    pub addr: SocketAddr,
    /// The file the tasks append to: `EXAMPLE_LOG_FILE`, default `log.txt` in the working
    /// directory, as in FastAPI's examples.
    pub log_file: PathBuf,
    /// How long `async_cleanup` sleeps on the runtime's timer: `EXAMPLE_CLEANUP_MS`
    /// milliseconds, default 5000, as FastAPI's `asyncio.sleep(5)`.
    pub cleanup_delay: Duration,
    /// How long a client may take to send a request's headers before the server closes its
    /// connection: `EXAMPLE_HEADER_READ_TIMEOUT_MS` milliseconds, default 30000.
    pub header_read_timeout: Duration,
    /// Where the status page is mounted: `EXAMPLE_STATUS_PREFIX`, default `/_tasks/`; it starts
    /// and ends with `/`.
    pub status_prefix: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8000)),
            log_file: PathBuf::from("log.txt"),
            cleanup_delay: Duration::from_secs(5),
            header_read_timeout: Duration::from_secs(30),
            status_prefix: "/_tasks/".to_owned(),
        }
    }
}

impl Settings {
    /// The defaults, overridden by `EXAMPLE_ADDR`, `EXAMPLE_LOG_FILE`, `EXAMPLE_CLEANUP_MS`,
    /// `EXAMPLE_HEADER_READ_TIMEOUT_MS` and `EXAMPLE_STATUS_PREFIX` where they are set.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::InvalidInput`] when `EXAMPLE_ADDR` is not a socket address or
    /// `EXAMPLE_CLEANUP_MS` or `EXAMPLE_HEADER_READ_TIMEOUT_MS` not a whole number of
    /// milliseconds, or `EXAMPLE_STATUS_PREFIX` not a path that starts and ends with `/`.
    pub fn from_env() -> io::Result<Self> {
        let mut settings = Self::default();
        if let Some(addr) = parse_var("EXAMPLE_ADDR", "a socket address like 127.0.0.1:8000")? {
            settings.addr = addr;
        }
        if let Some(log_file) = std::env::var_os("EXAMPLE_LOG_FILE") {
            settings.log_file = log_file.into();
        }
        if let Some(ms) = parse_var("EXAMPLE_CLEANUP_MS", "a number of milliseconds like 5000")? {
            settings.cleanup_delay = Duration::from_millis(ms);
        }
        if let Some(ms) = parse_var(
            "EXAMPLE_HEADER_READ_TIMEOUT_MS",
            "a number of milliseconds like 30000",
        )? {
            settings.header_read_timeout = Duration::from_millis(ms);
        }
        if let Ok(prefix) = std::env::var("EXAMPLE_STATUS_PREFIX") {
            if prefix.len() < 2 || !prefix.starts_with('/') || !prefix.ends_with('/') {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "EXAMPLE_STATUS_PREFIX={prefix:?} is not a path that starts and ends \
                         with `/`, like /_tasks/; fix or unset it"
                    ),
                ));
            }
            settings.status_prefix = prefix;
        }
        Ok(settings)
    }
}

fn parse_var<T: FromStr>(name: &str, expected: &str) -> io::Result<Option<T>> {
    let Ok(value) = std::env::var(name) else {
        return Ok(None);
    };
    value.parse().map(Some).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name}={value:?} is not {expected}; fix or unset it"),
        )
    })
}
