//! FastAPI's second example, "Schedule tasks within dependencies", on smol: `POST
//! /send-notification/{email}?q=...`, where a dependency ([`get_query`]) and the handler add to
//! the same queue, their [`write_log`] tasks running on smol's blocking pool. With `?q=rust` the
//! log gets `found query: rust` then `message to {email}`; without `q`, only the second line.
//!
//! The dependency and the handler are written once, for any executor, in
//! `background_tasks_example_support::dependency` (with FastAPI's Python beside them); this
//! module serves them on smol.
//!
//! # Examples
//!
//! ```no_run
//! use background_tasks_example_smol::{Settings, dependency, run};
//! use background_tasks_smol::SmolExecutor;
//! use background_tasks_tower::BackgroundTasksLayer;
//!
//! let settings = Settings::default();
//! let layer = BackgroundTasksLayer::new(SmolExecutor::new());
//! let runner = layer.runner().clone();
//! smol::block_on(run(&settings, dependency::service(&settings, layer), runner))
//! # .unwrap();
//! ```

pub use background_tasks_example_support::dependency::{get_query, service, write_log};
