//! FastAPI's second example, "Schedule tasks within dependencies", on async-std: `POST
//! /send-notification/{email}?q=...`, where a dependency ([`get_query`]) and the handler add to
//! the same queue, their [`write_log`] tasks running on async-std's blocking pool. With `?q=rust`
//! the log gets `found query: rust` then `message to {email}`; without `q`, only the second line.
//!
//! The dependency and the handler are written once, for any executor, in
//! `background_tasks_example_support::dependency` (with FastAPI's Python beside them); this
//! module serves them on async-std.
//!
//! # Examples
//!
//! ```no_run
//! use background_tasks_example_async_std::{Settings, dependency, run};
//! use background_tasks_async_std::AsyncStdExecutor;
//! use background_tasks_tower::BackgroundTasksLayer;
//!
//! let settings = Settings::default();
//! let layer = BackgroundTasksLayer::new(AsyncStdExecutor::new());
//! let runner = layer.runner().clone();
//! async_std::task::block_on(run(&settings, dependency::service(&settings, layer), runner))
//! # .unwrap();
//! ```

pub use background_tasks_example_support::dependency::{get_query, service, write_log};
