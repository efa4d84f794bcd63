//! What the bridge checks share: the job, the three real storages behind one trait, and a way to
//! run every check against one server, each check reported by name.

#![allow(dead_code, unreachable_pub)]

pub mod runtime;

use std::error::Error;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use apalis_core::backend::finalize::Durable;
use apalis_core::backend::{Backend, TaskSink, WireFormatBackend};
use apalis_sqlite::JsonCodec;
use background_tasks::Executor;
use background_tasks_apalis::Jobs;
use background_tasks_apalis_test_servers::{Postgres, Redis, TempDir};
use serde::{Deserialize, Serialize, Serializer};

/// The job: which request queued it and its place in that request's queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub request: u32,
    pub seq: u32,
    /// A job its codec refuses, to see one bad job fail alone.
    #[serde(serialize_with = "refuse_if_poisoned", default)]
    pub poisoned: bool,
}

impl Note {
    pub fn new(request: u32, seq: u32) -> Self {
        Self {
            request,
            seq,
            poisoned: false,
        }
    }
}

fn refuse_if_poisoned<S: Serializer>(poisoned: &bool, serializer: S) -> Result<S::Ok, S::Error> {
    if *poisoned {
        return Err(serde::ser::Error::custom("this job is poisoned"));
    }
    serializer.serialize_bool(false)
}

/// One real storage server and what the checks need from it.
pub trait Store: Send + Sync + Sized + 'static {
    type Error: Error + Send + Sync + 'static;
    type Storage: TaskSink<Note, Durable>
        + Backend<Error = Self::Error>
        + WireFormatBackend<Codec = JsonCodec>
        + Clone
        + Send
        + Sync
        + 'static;
    /// The storage's name, in test output and queue names.
    const NAME: &'static str;
    /// Whether the storage tells the order in which jobs were committed.
    const ORDERED: bool;

    /// What keeps the store's server (or file) alive: held by the checks' runner, not by the
    /// store, so that it goes at the end of the run even when a check leaves a task behind that
    /// still holds the store (smol's and async-std's global executors never drop theirs).
    type Server: Send;

    fn start() -> impl Future<Output = Option<(Self, Self::Server)>> + Send;
    /// A storage on the queue `queue`, which no other check uses.
    fn storage(&self, queue: &str) -> impl Future<Output = Self::Storage> + Send;
    /// A storage whose every push fails: its connection is closed or its server gone.
    fn broken_storage(&self, queue: &str) -> impl Future<Output = Self::Storage> + Send;
    /// The jobs stored on `queue`, in commit order when [`ORDERED`](Self::ORDERED).
    fn stored(&self, queue: &str) -> impl Future<Output = Vec<Note>> + Send;
    /// The ids the jobs on `queue` are stored under, sorted.
    fn stored_ids(&self, queue: &str) -> impl Future<Output = Vec<String>> + Send;

    /// The bridge's handle to `storage`, its pusher on `executor`: `Jobs::new` unless the store
    /// says otherwise.
    fn jobs<E: Executor + ?Sized>(storage: Self::Storage, executor: &E) -> Jobs<Note> {
        Jobs::new(storage, executor)
    }
}

fn decode(bytes: &[u8]) -> Note {
    serde_json::from_slice(bytes).expect("a stored Note")
}

/// SQLite in a file of a temporary directory.
pub struct Sqlite {
    pool: sqlx::SqlitePool,
}

impl Store for Sqlite {
    type Error = apalis_sqlite::Error;
    type Storage = apalis_sqlite::SqliteStorage<Note>;
    const NAME: &'static str = "sqlite";
    const ORDERED: bool = true;
    type Server = TempDir;

    async fn start() -> Option<(Self, TempDir)> {
        let dir = TempDir::new("background-tasks-sqlite");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("jobs.db").display());
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        apalis_sqlite::SqliteStorage::setup(&pool).await.unwrap();
        Some((Self { pool }, dir))
    }

    async fn storage(&self, queue: &str) -> Self::Storage {
        apalis_sqlite::SqliteStorage::new(&self.pool)
            .with_config(apalis_sqlite::Config::default().queue(queue))
    }

    async fn broken_storage(&self, queue: &str) -> Self::Storage {
        let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
        pool.close().await;
        apalis_sqlite::SqliteStorage::new(&pool)
            .with_config(apalis_sqlite::Config::default().queue(queue))
    }

    async fn stored(&self, queue: &str) -> Vec<Note> {
        let rows: Vec<(Vec<u8>,)> =
            sqlx::query_as("SELECT job FROM Jobs WHERE job_type = ? ORDER BY rowid")
                .bind(queue)
                .fetch_all(&self.pool)
                .await
                .unwrap();
        rows.iter().map(|(job,)| decode(job)).collect()
    }

    async fn stored_ids(&self, queue: &str) -> Vec<String> {
        sqlx::query_scalar("SELECT id FROM Jobs WHERE job_type = ? ORDER BY id")
            .bind(queue)
            .fetch_all(&self.pool)
            .await
            .unwrap()
    }
}

/// SQLite as [`Sqlite`], the bridge committing each batch as one multi-row insert
/// (`Jobs::sqlite`, feature `sqlite`) instead of apalis's `push_bulk`.
#[cfg(feature = "sqlite")]
pub struct SqliteRows(Sqlite);

#[cfg(feature = "sqlite")]
impl Store for SqliteRows {
    type Error = apalis_sqlite::Error;
    type Storage = apalis_sqlite::SqliteStorage<Note>;
    const NAME: &'static str = "sqlite-rows";
    const ORDERED: bool = true;
    type Server = TempDir;

    async fn start() -> Option<(Self, TempDir)> {
        let (store, dir) = Sqlite::start().await?;
        Some((Self(store), dir))
    }

    async fn storage(&self, queue: &str) -> Self::Storage {
        self.0.storage(queue).await
    }

    async fn broken_storage(&self, queue: &str) -> Self::Storage {
        self.0.broken_storage(queue).await
    }

    async fn stored(&self, queue: &str) -> Vec<Note> {
        self.0.stored(queue).await
    }

    async fn stored_ids(&self, queue: &str) -> Vec<String> {
        self.0.stored_ids(queue).await
    }

    fn jobs<E: Executor + ?Sized>(storage: Self::Storage, executor: &E) -> Jobs<Note> {
        Jobs::sqlite(storage, executor)
    }
}

/// PostgreSQL started from the installed binaries.
pub struct Pg {
    pool: sqlx::PgPool,
    url: String,
}

impl Store for Pg {
    type Error = apalis_postgres::Error;
    type Storage = apalis_postgres::PostgresStorage<Note>;
    const NAME: &'static str = "postgres";
    const ORDERED: bool = true;
    type Server = Postgres;

    async fn start() -> Option<(Self, Postgres)> {
        let server = Postgres::start(&[])?;
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(20)
            .connect(&server.url())
            .await
            .unwrap();
        apalis_postgres::PostgresStorage::setup(&pool)
            .await
            .unwrap();
        let url = server.url();
        Some((Self { pool, url }, server))
    }

    async fn storage(&self, queue: &str) -> Self::Storage {
        apalis_postgres::PostgresStorage::new(&self.pool)
            .with_config(apalis_postgres::Config::default().queue(queue))
    }

    async fn broken_storage(&self, queue: &str) -> Self::Storage {
        let pool = sqlx::PgPool::connect(&self.url).await.unwrap();
        pool.close().await;
        apalis_postgres::PostgresStorage::new(&pool)
            .with_config(apalis_postgres::Config::default().queue(queue))
    }

    async fn stored(&self, queue: &str) -> Vec<Note> {
        // xmin is the inserting transaction: the commit order of the batches.
        let rows: Vec<(Vec<u8>,)> = sqlx::query_as(
            "SELECT job FROM apalis.jobs WHERE job_type = $1 ORDER BY xmin::text::bigint",
        )
        .bind(queue)
        .fetch_all(&self.pool)
        .await
        .unwrap();
        rows.iter().map(|(job,)| decode(job)).collect()
    }

    async fn stored_ids(&self, queue: &str) -> Vec<String> {
        sqlx::query_scalar("SELECT id::text FROM apalis.jobs WHERE job_type = $1 ORDER BY id")
            .bind(queue)
            .fetch_all(&self.pool)
            .await
            .unwrap()
    }
}

/// Redis started from `redis-server`, persistence off.
pub struct Rd {
    conn: apalis_redis::ConnectionManager,
}

impl Store for Rd {
    type Error = apalis_redis::Error;
    type Storage = apalis_redis::RedisStorage<Note>;
    const NAME: &'static str = "redis";
    const ORDERED: bool = false;
    type Server = Redis;

    async fn start() -> Option<(Self, Redis)> {
        let server = Redis::start()?;
        // Not apalis_redis::connect's 500 ms response timeout: a busy CI machine must slow the
        // checks down, not fail them.
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_response_timeout(Some(std::time::Duration::from_secs(30)));
        let conn = redis::Client::open(server.url())
            .unwrap()
            .get_connection_manager_with_config(config)
            .await
            .unwrap();
        Some((Self { conn }, server))
    }

    async fn storage(&self, queue: &str) -> Self::Storage {
        apalis_redis::RedisStorage::new(self.conn.clone())
            .with_config(apalis_redis::Config::default().queue(queue))
    }

    async fn broken_storage(&self, queue: &str) -> Self::Storage {
        // A server of its own, gone once connected to: every later command fails.
        let server = Redis::start().expect("redis-server ran a moment ago");
        let conn = apalis_redis::connect(server.url()).await.unwrap();
        drop(server);
        apalis_redis::RedisStorage::new(conn)
            .with_config(apalis_redis::Config::default().queue(queue))
    }

    async fn stored(&self, queue: &str) -> Vec<Note> {
        let config = apalis_redis::Config::default().queue(queue);
        let mut conn = self.conn.clone();
        let jobs: Vec<Vec<u8>> = redis::cmd("HVALS")
            .arg(config.job_data_hash())
            .query_async(&mut conn)
            .await
            .unwrap();
        jobs.iter().map(|job| decode(job)).collect()
    }

    async fn stored_ids(&self, queue: &str) -> Vec<String> {
        let config = apalis_redis::Config::default().queue(queue);
        let mut conn = self.conn.clone();
        let mut ids: Vec<String> = redis::cmd("HKEYS")
            .arg(config.job_data_hash())
            .query_async(&mut conn)
            .await
            .unwrap();
        ids.sort();
        ids
    }
}

/// A check: an async function of the store and its own queue name.
pub type Check<S> = fn(Arc<S>, String) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Runs every check against one server, on the runtime `R`, each on its own queue and in its own
/// task so that a failing check is named and does not hide the others, then fails if any failed.
pub async fn run_checks<R: runtime::Runtime, S: Store>(checks: &[(&str, Check<S>)]) {
    let Some((store, server)) = S::start().await else {
        return;
    };
    let store = Arc::new(store);
    let mut failed = Vec::new();
    for (name, check) in checks {
        let store = store.clone();
        let check = *check;
        let label = format!("{}/{}", R::NAME, S::NAME);
        let queue = format!("{label}-{name}");
        match runtime::spawn(&R::executor(), check(store, queue)).await {
            Ok(()) => eprintln!("{label}: {name}: ok"),
            Err(panic) => {
                eprintln!("{label}: {name}: FAILED: {panic}");
                failed.push(*name);
            }
        }
    }
    // Stopped here, whoever still holds the store.
    drop(server);
    assert!(
        failed.is_empty(),
        "{}/{}: failed checks: {failed:?}",
        R::NAME,
        S::NAME
    );
}
