//! [`Scenario`]: the configurations the allocation and load benches compare.

use std::fmt;
use std::str::FromStr;

/// One configuration of the benchmarked server. Every scenario answers `GET /` with the same short
/// body and counts the request; they differ only in the background work each request asks for.
///
/// The trivial task is the same everywhere: increment an atomic counter.
///
/// # Examples
///
/// ```
/// use background_tasks_benches::Scenario;
///
/// let scenario: Scenario = "ten-sync".parse().unwrap();
/// assert_eq!(scenario, Scenario::TenSync);
/// assert_eq!(scenario.tasks_per_request(), 10);
/// assert!("eleven-sync".parse::<Scenario>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// Bare axum: no layer, no background work.
    Bare,
    /// A do-nothing tower layer (`tower_layer::Identity`) installed with `Router::layer`: what any
    /// layer costs in axum (a boxed, cloned route service per request), whatever it does.
    NoopLayer,
    /// `BackgroundTasksLayer` installed; the handler queues nothing.
    LayerEmpty,
    /// The layer; the handler queues one async task.
    OneAsync,
    /// The layer; the handler queues ten async tasks (they share one spawned run).
    TenAsync,
    /// The layer; the handler queues one sync task (one trip to the blocking pool).
    OneSync,
    /// The layer; the handler queues ten sync tasks (they share one trip to the blocking pool).
    TenSync,
    /// No layer; the handler spawns the task by hand (`tokio::spawn`, `smol::spawn`,
    /// `async_std::task::spawn`) and does not wait for it.
    RawSpawn,
    /// No layer; the handler sends the task to the blocking pool by hand (`spawn_blocking`,
    /// `smol::unblock`) and does not wait for it.
    RawSpawnBlocking,
    /// No layer; the handler boxes ten tasks and sends one job running them to the blocking pool
    /// by hand: the hand-written counterpart of [`TenSync`](Self::TenSync), and the floor for it.
    RawSpawnBlockingTen,
}

impl Scenario {
    /// Every scenario, in the order tables and charts show them.
    pub const ALL: [Self; 10] = [
        Self::Bare,
        Self::NoopLayer,
        Self::LayerEmpty,
        Self::OneAsync,
        Self::TenAsync,
        Self::OneSync,
        Self::TenSync,
        Self::RawSpawn,
        Self::RawSpawnBlocking,
        Self::RawSpawnBlockingTen,
    ];

    /// The name used on command lines and in results: `bare`, `layer-empty`, `one-sync`…
    pub fn name(self) -> &'static str {
        match self {
            Self::Bare => "bare",
            Self::NoopLayer => "noop-layer",
            Self::LayerEmpty => "layer-empty",
            Self::OneAsync => "one-async",
            Self::TenAsync => "ten-async",
            Self::OneSync => "one-sync",
            Self::TenSync => "ten-sync",
            Self::RawSpawn => "raw-spawn",
            Self::RawSpawnBlocking => "raw-spawn-blocking",
            Self::RawSpawnBlockingTen => "raw-spawn-blocking-ten",
        }
    }

    /// How many trivial tasks one request asks for.
    pub fn tasks_per_request(self) -> u64 {
        match self {
            Self::Bare | Self::NoopLayer | Self::LayerEmpty => 0,
            Self::OneAsync | Self::OneSync | Self::RawSpawn | Self::RawSpawnBlocking => 1,
            Self::TenAsync | Self::TenSync | Self::RawSpawnBlockingTen => 10,
        }
    }

    /// Whether `BackgroundTasksLayer` is installed.
    pub fn has_layer(self) -> bool {
        matches!(
            self,
            Self::LayerEmpty | Self::OneAsync | Self::TenAsync | Self::OneSync | Self::TenSync
        )
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scenario {
    type Err = ParseScenarioError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|scenario| scenario.name() == name)
            .ok_or_else(|| ParseScenarioError {
                name: name.to_owned(),
            })
    }
}

/// A scenario name that is not one of [`Scenario::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseScenarioError {
    name: String,
}

impl fmt::Display for ParseScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
        write!(
            f,
            "unknown scenario `{}`; use one of: {}",
            self.name,
            names.join(", ")
        )
    }
}

impl std::error::Error for ParseScenarioError {}
