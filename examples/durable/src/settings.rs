//! [`DurableSettings`]: what the web server and the worker read from the environment.

use std::io;
use std::str::FromStr;
use std::time::Duration;

use background_tasks_example_support::Settings;

/// The example's settings: the shared ones (`EXAMPLE_ADDR`, `EXAMPLE_LOG_FILE`) and the storage's.
///
/// The worker defaults make pickup fast out of the box, against apalis's defaults that suit a
/// long-running fleet more than a demo:
///
/// | variable | default | why |
/// |---|---|---|
/// | `DURABLE_DATABASE_URL` | `sqlite://jobs.db?mode=rwc` | nothing to install; `postgres://…` or `redis://…` to share jobs across machines |
/// | `DURABLE_POLL_MS` | `100` | SQLite and Redis workers look for jobs pushed by another process this often (apalis's default: only at each heartbeat, 30 s); Postgres workers are woken by `LISTEN/NOTIFY` instead, in milliseconds |
/// | `DURABLE_HEARTBEAT_MS` | `2000` | how often a worker says it is alive (apalis: 30 s) |
/// | `DURABLE_MISSED_HEARTBEATS` | `3` | after this many missed heartbeats a worker's jobs are handed to others (apalis: 10 on Postgres, 300 s in all): a `kill -9`ed worker's jobs come back in about heartbeat × (missed + 1) |
/// | `DURABLE_CONCURRENCY` | `4` | jobs one worker runs at once |
/// | `DURABLE_WORKER_NAME` | `notifier-{pid}` | unique per worker: the storage tracks liveness by name |
/// | `DURABLE_JOB_DELAY_MS` | `0` | extra time each job takes, to watch jobs in flight (and to test killing a worker) |
/// | `DURABLE_REDIS_PROMOTE` | `on` | Redis: move due jobs to the work list in chunks of 1,000 (`off` shows apalis-redis failing on a backlog of ~8,000 due jobs) |
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurableSettings {
    /// Where to listen and where jobs write.
    pub example: Settings,
    /// The storage's URL.
    pub database_url: String,
    /// How often SQLite and Redis workers poll for jobs.
    pub poll_interval: Duration,
    /// The workers' heartbeat.
    pub heartbeat: Duration,
    /// Missed heartbeats before a worker's jobs are re-queued.
    pub missed_heartbeats: usize,
    /// Jobs a worker runs at once.
    pub concurrency: usize,
    /// This worker's name.
    pub worker_name: String,
    /// Extra time per job.
    pub job_delay: Duration,
    /// Redis: whether the worker promotes due jobs in bounded chunks.
    pub redis_promote: bool,
}

impl DurableSettings {
    /// The defaults above, overridden by the environment.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::InvalidInput`] when a variable does not parse, naming it.
    pub fn from_env() -> io::Result<Self> {
        Ok(Self {
            example: Settings::from_env()?,
            database_url: std::env::var("DURABLE_DATABASE_URL")
                .unwrap_or_else(|_| "sqlite://jobs.db?mode=rwc".to_owned()),
            poll_interval: Duration::from_millis(parse("DURABLE_POLL_MS", 100)?),
            heartbeat: Duration::from_millis(parse("DURABLE_HEARTBEAT_MS", 2000)?),
            missed_heartbeats: parse("DURABLE_MISSED_HEARTBEATS", 3)?,
            concurrency: parse("DURABLE_CONCURRENCY", 4)?,
            worker_name: std::env::var("DURABLE_WORKER_NAME")
                .unwrap_or_else(|_| format!("notifier-{}", std::process::id())),
            job_delay: Duration::from_millis(parse("DURABLE_JOB_DELAY_MS", 0)?),
            redis_promote: match std::env::var("DURABLE_REDIS_PROMOTE").as_deref() {
                Err(_) | Ok("on") => true,
                Ok("off") => false,
                Ok(other) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("DURABLE_REDIS_PROMOTE={other:?} is neither on nor off"),
                    ));
                }
            },
        })
    }
}

fn parse<T: FromStr>(name: &str, default: T) -> io::Result<T> {
    match std::env::var(name) {
        Err(_) => Ok(default),
        Ok(value) => value.parse().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{name}={value:?} is not a whole number"),
            )
        }),
    }
}
