//! SQLite only: the group commit as one multi-row `INSERT` per batch instead of apalis-sqlite's
//! one statement per job.
//!
//! apalis-sqlite 1.0's `push_bulk` runs its insert once per job inside the transaction, so a
//! commit of 32 jobs costs several single pushes' worth of statements. [`Jobs::sqlite`] writes
//! the same rows with one statement per batch (up to 500 rows each), in one transaction. The rows
//! are apalis's: the columns its own insert sets, with the values it gives a job pushed with no
//! options (status `Pending`, 25 attempts, priority 0, empty metadata, no idempotency key), so its
//! workers run them as any other. That ties this path to apalis-sqlite's table:
//! `tests/sqlite_rows.rs` pushes the same job both ways and compares the rows column by column,
//! and fails on a version of apalis-sqlite whose rows differ.

use std::error::Error;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use apalis_core::backend::codec::Codec;
use apalis_core::backend::{BackendConfig, WireFormatBackend};
use apalis_sqlite::{SqlitePool, SqliteStorage};
use background_tasks::{BoxError, Executor};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::batch::Commit;
use crate::id::JobId;
use crate::jobs::{DEFAULT_MAX_BATCH, Jobs};

/// Rows per `INSERT` statement: 4 bound values each, far below SQLite's limit of 32,766.
const ROWS_PER_STATEMENT: usize = 500;

/// What apalis-sqlite gives a job pushed with no options, as its own insert writes it.
const PENDING: &str = "'Pending', 0, 25, NULL, NULL, NULL, NULL, 0, '{}', NULL";

#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
impl<J> Jobs<J>
where
    J: Serialize + DeserializeOwned + Send + Sync + 'static,
{
    /// As [`Jobs::new`] on `storage`, each batch committed as one multi-row `INSERT` into
    /// apalis-sqlite's table (its pool, its queue) instead of one statement per job.
    ///
    /// # Examples
    ///
    /// ```
    /// use apalis_sqlite::{SqlitePool, SqliteStorage};
    /// use background_tasks::BackgroundTasks;
    /// use background_tasks_apalis::{AddJob, Jobs};
    /// use background_tasks_tokio::TokioExecutor;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let pool = SqlitePool::connect(":memory:").await.unwrap();
    /// SqliteStorage::setup(&pool).await.unwrap();
    /// let jobs: Jobs<String> = Jobs::sqlite(SqliteStorage::new(&pool), &TokioExecutor::new());
    /// let tasks = BackgroundTasks::new();
    /// tasks.add_job(&jobs, "ada@example.com".to_owned());
    /// assert!(tasks.run(&TokioExecutor::new()).await.is_success());
    /// assert_eq!(jobs.stats().pushed, 1);
    /// # }
    /// ```
    pub fn sqlite<E: Executor + ?Sized>(storage: SqliteStorage<J>, executor: &E) -> Self {
        Self::sqlite_with_max_batch(storage, executor, DEFAULT_MAX_BATCH)
    }

    /// As [`sqlite`](Self::sqlite), committing at most `max_batch` jobs at a time.
    ///
    /// # Panics
    ///
    /// If `max_batch` is 0.
    pub fn sqlite_with_max_batch<E: Executor + ?Sized>(
        storage: SqliteStorage<J>,
        executor: &E,
        max_batch: usize,
    ) -> Self {
        let codec = storage.codec().clone();
        let validate = {
            let codec = codec.clone();
            move |job: &J| {
                Codec::<J>::encode(&codec, job)
                    .map(drop)
                    .map_err(BoxError::from)
            }
        };
        let rows = Rows {
            pool: storage.pool().clone(),
            queue: storage.config().queue.as_ref().to_owned(),
            encode: Box::new(move |job: &J| {
                Codec::<J>::encode(&codec, job).map_err(BoxError::from)
            }),
        };
        Self::with_commit(rows, Arc::new(validate), executor, max_batch)
    }
}

type Encode<J> = dyn Fn(&J) -> Result<Vec<u8>, BoxError> + Send + Sync;

/// The SQLite commit: the batch's rows in one transaction, `ROWS_PER_STATEMENT` per statement.
struct Rows<J> {
    pool: SqlitePool,
    queue: String,
    encode: Box<Encode<J>>,
}

impl<J: Send> Commit<J> for Rows<J> {
    async fn commit(
        &mut self,
        jobs: Vec<(JobId, J)>,
    ) -> Result<(), Arc<dyn Error + Send + Sync + 'static>> {
        let failed = |error: apalis_sqlite::Error| {
            let error: Arc<dyn Error + Send + Sync + 'static> =
                Arc::new(apalis_core::backend::TaskSinkError::PushError(error));
            error
        };
        let mut encoded = Vec::with_capacity(jobs.len());
        for (id, job) in &jobs {
            let bytes = (self.encode)(job).map_err(|error| {
                let error: Arc<dyn Error + Send + Sync + 'static> = Arc::new(
                    apalis_core::backend::TaskSinkError::<apalis_sqlite::Error>::CodecError(error),
                );
                error
            })?;
            encoded.push((id.as_str(), bytes));
        }
        let run_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs() as i64;
        let mut transaction = self.pool.begin().await.map_err(|e| failed(e.into()))?;
        for chunk in encoded.chunks(ROWS_PER_STATEMENT) {
            let row = format!("(?, ?, ?, {PENDING}, ?)");
            let sql = format!(
                "INSERT INTO Jobs (job, id, job_type, status, attempts, max_attempts, last_result, \
                 lock_at, lock_by, done_at, priority, metadata, idempotency_key, run_at) \
                 VALUES {} ON CONFLICT(job_type, idempotency_key) DO NOTHING",
                vec![row; chunk.len()].join(", ")
            );
            // Only the placeholders repeat; every value is bound.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (id, bytes) in chunk {
                query = query
                    .bind(bytes.as_slice())
                    .bind(*id)
                    .bind(self.queue.as_str())
                    .bind(run_at);
            }
            query
                .execute(&mut *transaction)
                .await
                .map_err(|e| failed(e.into()))?;
        }
        transaction.commit().await.map_err(|e| failed(e.into()))
    }
}
