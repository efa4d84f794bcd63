//! C22 across processes: two `durable_web` and three `durable_worker` processes on one real
//! Postgres (or Redis), a seeded load of requests queueing 1–3 jobs each, one worker killed with
//! `kill -9` and one web server sent SIGTERM mid-load. Afterwards every job of every request
//! that got its response has run at least once; duplicates are counted, and how long the killed
//! worker's jobs took to come back is measured.
//!
//! CI runs 1,500 requests per storage; the `#[ignore]`d `*_10000` tests are the full proof:
//! `cargo test -p background-tasks-example-durable --release --test cross_process -- --ignored --nocapture`.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use background_tasks_apalis_test_servers::{Postgres, Redis, TempDir};
use background_tasks_conformance::http::Client;
use background_tasks_example_support::client::Reply;
use common::{HEARTBEAT_MS, MISSED_HEARTBEATS, PATIENCE, Process, Setup, runs};

mod common;

const CLIENTS: usize = 16;
const QUEUE: &str = "write_notification";

/// A small seeded generator: the same load every run.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// How far the clients may go: request `i` waits until `i < budget`.
#[derive(Default)]
struct Budget {
    limit: Mutex<usize>,
    raised: Condvar,
}

impl Budget {
    fn raise(&self, limit: usize) {
        *self.limit.lock().unwrap() = limit;
        self.raised.notify_all();
    }

    fn wait_for(&self, request: usize) {
        let (_limit, timeout) = self
            .raised
            .wait_timeout_while(self.limit.lock().unwrap(), PATIENCE, |limit| {
                request >= *limit
            })
            .unwrap();
        assert!(!timeout.timed_out(), "the budget was never raised");
    }
}

/// Which storage, and how to ask it about the killed worker's jobs.
#[derive(Clone)]
enum Storage {
    Postgres(sqlx::PgPool),
    Redis(redis::aio::MultiplexedConnection),
}

impl Storage {
    /// The jobs the worker had taken and not finished when it died.
    async fn held_by(&self, worker: &str) -> Vec<String> {
        match self {
            Self::Postgres(pool) => sqlx::query_scalar(
                "SELECT id FROM apalis.jobs WHERE lock_by = $1 AND status IN ('Running', 'Queued')",
            )
            .bind(worker)
            .fetch_all(pool)
            .await
            .unwrap(),
            Self::Redis(conn) => redis::cmd("SMEMBERS")
                .arg(format!("{QUEUE}:inflight:{worker}"))
                .query_async(&mut conn.clone())
                .await
                .unwrap(),
        }
    }

    /// How many of `ids` are not done yet.
    async fn not_done(&self, ids: &[String]) -> usize {
        if ids.is_empty() {
            return 0;
        }
        match self {
            Self::Postgres(pool) => {
                let left: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM apalis.jobs WHERE id = ANY($1) AND status <> 'Done'",
                )
                .bind(ids)
                .fetch_one(pool)
                .await
                .unwrap();
                left as usize
            }
            Self::Redis(conn) => {
                let done: Vec<bool> = redis::cmd("SMISMEMBER")
                    .arg(format!("{QUEUE}:done"))
                    .arg(ids)
                    .query_async(&mut conn.clone())
                    .await
                    .unwrap();
                done.iter().filter(|done| !**done).count()
            }
        }
    }
}

/// The load: request `i` queues `jobs[i]` jobs, addressed `r{i}-{j}@example.com`.
fn load(requests: usize) -> Vec<usize> {
    let mut rng = XorShift(0x05ee_dc22);
    (0..requests)
        .map(|_| 1 + (rng.next() % 3) as usize)
        .collect()
}

fn emails(request: usize, jobs: usize) -> Vec<String> {
    (0..jobs)
        .map(|job| format!("r{request}-{job}@example.com"))
        .collect()
}

async fn prove(url: &str, storage: Storage, requests: usize) {
    let dir = TempDir::new("background-tasks-durable-proof");
    let log_file: PathBuf = dir.path().join("log.txt");
    let setup = Setup {
        url,
        log_file: &log_file,
    };
    // A few milliseconds per job keeps jobs in flight, so that the kill -9 interrupts some.
    let mut workers: Vec<Option<Process>> = (0..3)
        .map(|i| Some(setup.worker(&format!("proof-worker-{i}"), 10)))
        .collect();
    let (web0, addr0) = setup.web("web-0");
    let (web1, addr1) = setup.web("web-1");
    let mut web1 = Some(web1);

    let plan = Arc::new(load(requests));
    let progress = Arc::new(AtomicUsize::new(0));
    // The faults happen mid-load by construction: clients send request `i` only once `i` is
    // below the budget, which the faults raise.
    let budget = Arc::new(Budget::default());
    budget.raise(requests * 6 / 10);
    let web1_down = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (plan, progress, web1_down, budget) = (
                plan.clone(),
                progress.clone(),
                web1_down.clone(),
                budget.clone(),
            );
            std::thread::spawn(move || {
                let mut answered = Vec::new();
                let mut connections: [Option<Client>; 2] = [None, None];
                for request in (client..plan.len()).step_by(CLIENTS) {
                    budget.wait_for(request);
                    // The "load balancer": half the requests go to web-1 until it is known gone.
                    let web = if request % 2 == 1 && !web1_down.load(Ordering::Relaxed) {
                        1
                    } else {
                        0
                    };
                    let addr = [addr0, addr1][web];
                    let target = format!(
                        "/send-notifications?emails={}",
                        emails(request, plan[request]).join(",")
                    );
                    let reply = match connections[web].take() {
                        Some(connection) => Ok(connection),
                        None => Client::try_connect(addr),
                    }
                    .and_then(|mut connection| {
                        let reply = connection.try_request("POST", &target)?;
                        connections[web] = Some(connection);
                        Ok(reply)
                    });
                    match reply {
                        Ok((head, _)) if head.status == 200 => answered.push(request),
                        Ok(reply) => panic!("request {request}: {:?}", Reply::from(reply)),
                        // No response: the web server was shutting down. Not promised, not counted.
                        Err(_) => {}
                    }
                    progress.fetch_add(1, Ordering::Relaxed);
                }
                answered
            })
        })
        .collect();

    // The faults, while the load runs: kill -9 a worker at 30 %, SIGTERM a web server at 55 %
    // (requests up to 60 % in flight), then let the rest of the load go.
    let wait_for = |fraction: f64| {
        let target = (requests as f64 * fraction) as usize;
        let since = Instant::now();
        while progress.load(Ordering::Relaxed) < target {
            assert!(since.elapsed() < PATIENCE, "the load stalled");
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    wait_for(0.3);
    // Killed while it holds jobs: frozen first (SIGSTOP) so that what it holds cannot change
    // between the look and the kill; thawed and tried again in the rare moment it holds none.
    let victim = workers[1].take().unwrap();
    let since = Instant::now();
    let orphans = loop {
        victim.signal("-STOP");
        let held = storage.held_by("proof-worker-1").await;
        if !held.is_empty() {
            break held;
        }
        victim.signal("-CONT");
        assert!(since.elapsed() < PATIENCE, "worker 1 never took a job");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    victim.signal("-KILL");
    let killed_at = Instant::now();
    drop(victim);
    wait_for(0.55);
    let web1 = web1.take().unwrap();
    web1.signal("-TERM");
    budget.raise(requests);
    let web1_output = web1.wait_output();
    web1_down.store(true, Ordering::Relaxed);

    let mut answered = HashSet::new();
    for client in clients {
        answered.extend(client.join().unwrap());
    }
    let load_time = started.elapsed();

    // Recovery: the killed worker's jobs released to the others ("back": the storage gave up on
    // the dead worker), then done (they wait behind the backlog like any job).
    let (back, done) = {
        let since = Instant::now();
        let mut back = None;
        loop {
            if back.is_none() && storage.held_by("proof-worker-1").await.is_empty() {
                back = Some(killed_at.elapsed());
            }
            if let Some(back) = back
                && storage.not_done(&orphans).await == 0
            {
                break (back, killed_at.elapsed());
            }
            assert!(
                since.elapsed() < PATIENCE,
                "the killed worker's jobs did not come back"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };

    // Every job of every answered request runs at least once.
    let expected: HashSet<String> = answered
        .iter()
        .flat_map(|&request| emails(request, plan[request]))
        .collect();
    let since = Instant::now();
    let runs = loop {
        let runs = runs(&log_file);
        let missing = expected.iter().filter(|e| !runs.contains_key(*e)).count();
        if missing == 0 {
            break runs;
        }
        assert!(
            since.elapsed() < PATIENCE,
            "{missing} of {} jobs never ran",
            expected.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let duplicates: usize = runs.values().map(|n| n - 1).sum();
    let unanswered_ran = runs.keys().filter(|e| !expected.contains(*e)).count();

    let mut outputs = vec![web0];
    outputs.extend(workers.into_iter().flatten());
    for process in &outputs {
        process.signal("-TERM");
    }
    let names: Vec<String> = outputs.iter().map(|p| p.name.clone()).collect();
    let outputs: Vec<String> = outputs.into_iter().map(Process::wait_output).collect();
    // A live worker whose heartbeat came later than heartbeat x missed is declared dead by the
    // others: its jobs run again elsewhere and (on Redis) it exits. Said, not hidden.
    let died: Vec<&String> = names
        .iter()
        .zip(&outputs)
        .skip(1)
        .filter(|(_, output)| !output.contains("stopped"))
        .map(|(name, _)| name)
        .collect();

    println!(
        "cross-process proof on {url}: {requests} requests ({} answered) in {load_time:.2?}, \
         {} jobs promised, all ran; {duplicates} duplicate runs; {unanswered_ran} jobs of \
         unanswered requests ran too; kill -9 left {} jobs held: back {back:.2?} after the \
         kill, done {done:.2?} after it (heartbeat {HEARTBEAT_MS} ms x {MISSED_HEARTBEATS} \
         missed); workers that stopped on their own: {died:?}",
        answered.len(),
        expected.len(),
        orphans.len(),
    );
    println!("web-1 after SIGTERM: {}", web1_output.trim());
    assert!(
        web1_output.contains("background tasks drained") && web1_output.contains("0 failed"),
        "web-1 lost pushes on SIGTERM: {web1_output}"
    );
    assert!(
        !orphans.is_empty(),
        "the killed worker held no job: the kill -9 tested nothing"
    );
    assert!(
        outputs[0].contains("background tasks drained"),
        "web-0: {}",
        outputs[0]
    );
}

async fn prove_on_postgres(requests: usize) {
    let Some(server) = Postgres::start(&[]) else {
        return;
    };
    // The tables first (the binaries' own setup), so that five processes do not all migrate.
    background_tasks_example_durable::Store::connect(&server.url())
        .await
        .unwrap();
    let pool = sqlx::PgPool::connect(&server.url()).await.unwrap();
    prove(&server.url(), Storage::Postgres(pool), requests).await;
}

async fn prove_on_redis(requests: usize) {
    let Some(server) = Redis::start() else {
        return;
    };
    // No response timeout: a busy machine must slow the checks down, not fail them.
    let config = redis::AsyncConnectionConfig::new().set_response_timeout(None);
    let conn = redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .unwrap();
    prove(&server.url(), Storage::Redis(conn), requests).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c22_cross_process_postgres() {
    prove_on_postgres(1_500).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c22_cross_process_redis() {
    prove_on_redis(1_500).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the full proof: 10,000 requests; run with --release --ignored"]
async fn c22_cross_process_postgres_10000() {
    prove_on_postgres(10_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the full proof: 10,000 requests; run with --release --ignored"]
async fn c22_cross_process_redis_10000() {
    prove_on_redis(10_000).await;
}
