//! [`Store`]: the storage named by `DURABLE_DATABASE_URL`, connected, with the queue's settings.

use std::error::Error;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use apalis_postgres::{PgPool, PostgresStorage};
use apalis_redis::{ConnectionManager, RedisStorage};
use apalis_sqlite::{SqliteConnectOptions, SqlitePool, SqliteStorage};
use background_tasks::Executor;
use background_tasks_apalis::Jobs;
use sqlx::sqlite::SqliteSynchronous;

use crate::{DurableSettings, QUEUE, WriteNotification};

/// A connected storage: SQLite (the default), Postgres or Redis.
#[derive(Debug, Clone)]
pub enum Store {
    /// `sqlite://…`: one machine, nothing to install.
    Sqlite(SqlitePool),
    /// `postgres://…` (or `postgresql://…`): workers anywhere, woken by `LISTEN/NOTIFY`.
    Postgres(PgPool),
    /// `redis://…`: workers anywhere.
    Redis(ConnectionManager),
}

/// Why the storage could not be reached.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// The URL's scheme is none of `sqlite`, `postgres`, `postgresql`, `redis`.
    Unsupported(String),
    /// A storage setting in the environment does not parse.
    Setting(String),
    /// The storage refused the connection or its setup (migrations).
    Connect {
        /// The URL, as given.
        url: String,
        /// The driver's error.
        error: Box<dyn Error + Send + Sync>,
    },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsupported(url) => write!(
                f,
                "DURABLE_DATABASE_URL={url:?} names no supported storage: use sqlite://, postgres:// or redis://"
            ),
            Self::Setting(message) => f.write_str(message),
            Self::Connect { url, error } => write!(f, "cannot use the storage at {url}: {error}"),
        }
    }
}

impl Error for StoreError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::Unsupported(_) | Self::Setting(_) => None,
            Self::Connect { error, .. } => Some(error.as_ref()),
        }
    }
}

/// `DURABLE_SQLITE_SYNCHRONOUS`: `normal` (the default), `full` or `off`.
///
/// In WAL mode (which apalis's setup turns on), `normal` keeps every committed job through a
/// crash of any process, and may lose the last commits, not the database, to an OS crash or a
/// power cut; `full` keeps them through those too, one more sync per commit; `off` (what
/// apalis's setup sets on its connection) may also corrupt the database on an OS crash.
fn sqlite_synchronous() -> Result<SqliteSynchronous, StoreError> {
    match std::env::var("DURABLE_SQLITE_SYNCHRONOUS").as_deref() {
        Err(_) | Ok("normal") => Ok(SqliteSynchronous::Normal),
        Ok("full") => Ok(SqliteSynchronous::Full),
        Ok("off") => Ok(SqliteSynchronous::Off),
        Ok(other) => Err(StoreError::Setting(format!(
            "DURABLE_SQLITE_SYNCHRONOUS={other:?} is none of normal, full, off"
        ))),
    }
}

impl Store {
    /// Connects to `url` and prepares it (the SQL storages' migrations; idempotent, so web
    /// servers and workers may all do it).
    ///
    /// # Errors
    ///
    /// [`StoreError`]: an unknown scheme, or the driver's error.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let failed = |error: Box<dyn Error + Send + Sync>| StoreError::Connect {
            url: url.to_owned(),
            error,
        };
        let scheme = url.split_once("://").map_or("", |(scheme, _)| scheme);
        match scheme {
            "sqlite" => {
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(|e| failed(e.into()))?
                    .synchronous(sqlite_synchronous()?);
                // apalis's setup sets `synchronous = OFF` on the one connection it migrates with
                // (the others keep SQLite's default): migrate on a pool of its own, so that every
                // connection that pushes or fetches has the mode chosen above.
                let setup = SqlitePool::connect_with(options.clone())
                    .await
                    .map_err(|e| failed(e.into()))?;
                // A web server and a worker started together both migrate; the one that loses
                // the race on the migrations table finds them applied on its second try.
                if SqliteStorage::setup(&setup).await.is_err() {
                    SqliteStorage::setup(&setup)
                        .await
                        .map_err(|e| failed(e.into()))?;
                }
                setup.close().await;
                let pool = SqlitePool::connect_with(options)
                    .await
                    .map_err(|e| failed(e.into()))?;
                Ok(Self::Sqlite(pool))
            }
            "postgres" | "postgresql" => {
                let pool = PgPool::connect(url).await.map_err(|e| failed(e.into()))?;
                PostgresStorage::setup(&pool)
                    .await
                    .map_err(|e| failed(e.into()))?;
                Ok(Self::Postgres(pool))
            }
            "redis" | "rediss" => {
                // apalis_redis::connect keeps redis's 500 ms response timeout: under load a push
                // that takes longer fails, although Redis may still run it. Allow 30 s.
                let config = redis::aio::ConnectionManagerConfig::new()
                    .set_response_timeout(Some(Duration::from_secs(30)));
                let conn = redis::Client::open(url)
                    .map_err(|e| failed(e.into()))?
                    .get_connection_manager_with_config(config)
                    .await
                    .map_err(|e| failed(e.into()))?;
                Ok(Self::Redis(conn))
            }
            _ => Err(StoreError::Unsupported(url.to_owned())),
        }
    }

    /// The storage's name, for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "SQLite",
            Self::Postgres(_) => "Postgres",
            Self::Redis(_) => "Redis",
        }
    }

    /// The handle handlers queue jobs with, its pusher on `executor` (one of the runtime the
    /// store was connected on).
    pub fn jobs<E: Executor + ?Sized>(
        &self,
        settings: &DurableSettings,
        executor: &E,
    ) -> Jobs<WriteNotification> {
        match self {
            Self::Sqlite(_) => Jobs::new(self.sqlite(settings), executor),
            Self::Postgres(_) => Jobs::new(self.postgres(settings), executor),
            Self::Redis(_) => Jobs::new(self.redis(settings), executor),
        }
    }

    /// The queue's storage, if this is Sqlite.
    ///
    /// # Panics
    ///
    /// On another storage.
    pub fn sqlite(&self, settings: &DurableSettings) -> SqliteStorage<WriteNotification> {
        let Self::Sqlite(pool) = self else {
            panic!("not a Sqlite store: {self:?}");
        };
        let config = apalis_sqlite::Config::default()
            .queue(QUEUE)
            .heartbeat_interval(settings.heartbeat)
            .missed_heartbeats(settings.missed_heartbeats);
        SqliteStorage::new(pool).with_config(config)
    }

    /// The queue's storage, if this is Postgres.
    ///
    /// # Panics
    ///
    /// On another storage.
    pub fn postgres(&self, settings: &DurableSettings) -> PostgresStorage<WriteNotification> {
        let Self::Postgres(pool) = self else {
            panic!("not a Postgres store: {self:?}");
        };
        let config = apalis_postgres::Config::default()
            .queue(QUEUE)
            .heartbeat_interval(settings.heartbeat)
            .missed_heartbeats(settings.missed_heartbeats);
        PostgresStorage::new(pool).with_config(config)
    }

    /// The queue's storage, if this is Redis.
    ///
    /// # Panics
    ///
    /// On another storage.
    pub fn redis(&self, settings: &DurableSettings) -> RedisStorage<WriteNotification> {
        let Self::Redis(conn) = self else {
            panic!("not a Redis store: {self:?}");
        };
        RedisStorage::new(conn.clone()).with_config(redis_config(settings))
    }
}

/// The Redis queue's configuration: what the worker's backlog promoter needs too.
pub fn redis_config(settings: &DurableSettings) -> apalis_redis::Config {
    apalis_redis::Config::default()
        .queue(QUEUE)
        .heartbeat_interval(settings.heartbeat)
        .missed_heartbeats(settings.missed_heartbeats)
}
