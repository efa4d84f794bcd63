//! `Jobs::sqlite` writes apalis-sqlite's table itself (one multi-row `INSERT` per batch): its rows
//! must be the rows apalis's own `push_bulk` writes, column by column, or apalis's workers would
//! see something else. This fails on a version of apalis-sqlite whose table or defaults change.
#![cfg(feature = "sqlite")]

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use apalis_core::backend::TaskSink;
use apalis_sqlite::{Config, SqlitePool, SqliteStorage};
use background_tasks_apalis::Jobs;
use background_tasks_apalis_test_servers::TempDir;
use background_tasks_tokio::TokioExecutor;
use common::Note;

/// Every column of the rows of `queue`, each as SQLite's `quote()` of its value, by column name.
async fn rows(pool: &SqlitePool, queue: &str) -> Vec<Vec<(String, String)>> {
    let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info('Jobs')")
        .fetch_all(pool)
        .await
        .unwrap();
    assert!(columns.len() >= 14, "apalis's Jobs table: {columns:?}");
    let select = columns
        .iter()
        .map(|column| format!("quote(\"{column}\")"))
        .collect::<Vec<_>>()
        .join(" || char(31) || ");
    // Column names come from the table itself; the queue is bound.
    let sql = format!("SELECT {select} FROM Jobs WHERE job_type = ? ORDER BY rowid");
    let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(queue)
        .fetch_all(pool)
        .await
        .unwrap();
    rows.iter()
        .map(|row| {
            columns
                .iter()
                .cloned()
                .zip(row.split('\u{1f}').map(str::to_owned))
                .collect()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c22_sqlite_rows_are_the_rows_apalis_writes() {
    let dir = TempDir::new("background-tasks-sqlite-rows");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("jobs.db").display());
    let pool = SqlitePool::connect(&url).await.unwrap();
    SqliteStorage::setup(&pool).await.unwrap();
    let job = |seq| Note::new(1, seq);

    let mut apalis: SqliteStorage<Note> =
        SqliteStorage::new(&pool).with_config(Config::default().queue("apalis"));
    apalis.push_bulk(vec![job(0), job(1)]).await.unwrap();
    let ours: Jobs<Note> = Jobs::sqlite(
        SqliteStorage::new(&pool).with_config(Config::default().queue("ours")),
        &TokioExecutor::new(),
    );
    let (first, second) = (ours.push(job(0)), ours.push(job(1)));
    let (first, second) = futures_lite::future::zip(first, second).await;
    first.unwrap();
    second.unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();

    let (theirs, ours) = (rows(&pool, "apalis").await, rows(&pool, "ours").await);
    assert_eq!((theirs.len(), ours.len()), (2, 2));
    for (theirs, ours) in theirs.iter().zip(&ours) {
        for ((column, their_value), (_, our_value)) in theirs.iter().zip(ours) {
            match column.as_str() {
                // Per row: a fresh ULID, the time of the push, the queue.
                "id" => assert_eq!(our_value.len(), 28, "a quoted ULID: {our_value}"),
                "run_at" => {
                    let run_at: u64 = our_value.parse().unwrap();
                    assert!(run_at.abs_diff(now) <= 5, "run_at {run_at}, now {now}");
                }
                "job_type" => assert_eq!(our_value, "'ours'"),
                _ => assert_eq!(
                    our_value, their_value,
                    "column {column}: ours differs from apalis-sqlite's own push"
                ),
            }
        }
    }
}
