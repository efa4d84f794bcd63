//! Redis only: keeps apalis-redis's fetch within what Lua can unpack.
//!
//! apalis-redis 1.0 files every pushed job, due now or later, in the queue's *scheduled* sorted
//! set, and its fetch script moves **all** due jobs to the work list in one `rpush(unpack(ids))`.
//! Lua cannot unpack more than about 8,000 values, so once a backlog of that many due jobs has
//! built up (workers down for a while, a burst of pushes) every fetch fails with `too many
//! results to unpack` and every worker stops. [`promote_due`] does the same move in bounded
//! chunks; run it before starting the workers and then every few milliseconds beside them
//! (`examples/durable`'s worker does), and the fetch script always finds a short list.

use apalis_redis::{Config, ConnectionLike, RedisError};
use redis::Script;

/// How many due jobs [`promote_due`] moves per script call: far below Lua's unpack limit.
pub const DEFAULT_CHUNK: usize = 1000;

// The fetch script's step 1, with a LIMIT: move up to ARGV[2] jobs due at ARGV[1] from the
// scheduled set to the end of the work list, and raise the signal the workers wait on.
const PROMOTE: &str = r#"
local ids = redis.call("zrangebyscore", KEYS[1], 0, ARGV[1], "LIMIT", 0, tonumber(ARGV[2]))
if #ids > 0 then
    redis.call("rpush", KEYS[2], unpack(ids))
    redis.call("zrem", KEYS[1], unpack(ids))
    redis.call("del", KEYS[3])
    redis.call("lpush", KEYS[3], 1)
end
return #ids
"#;

/// Moves every job of `config`'s queue that is due now from the scheduled set to the work list,
/// `chunk` jobs per atomic step, and returns how many it moved.
///
/// Safe beside running workers and pushers: each step is one script, atomic like apalis's own,
/// and a job is in exactly one of the two places before and after it.
///
/// # Errors
///
/// The connection's error; the jobs not yet moved stay scheduled, and a later call moves them.
///
/// # Panics
///
/// If `chunk` is 0.
pub async fn promote_due<C: ConnectionLike>(
    conn: &mut C,
    config: &Config,
    chunk: usize,
) -> Result<u64, RedisError> {
    assert!(chunk > 0, "chunk must be at least 1 job");
    let script = Script::new(PROMOTE);
    let mut moved = 0;
    loop {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let step: u64 = script
            .key(config.scheduled_jobs_set())
            .key(config.active_jobs_list())
            .key(config.signal_list())
            .arg(now)
            .arg(chunk)
            .invoke_async(conn)
            .await?;
        moved += step;
        if step < chunk as u64 {
            return Ok(moved);
        }
    }
}
