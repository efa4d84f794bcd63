//! FastAPI's first example, "Schedule a task in a path operation", on smol: `POST
//! /send-notification/{email}` answers at once and appends
//! `notification for {email}: some notification` to the log afterwards, [`write_notification`]
//! running on smol's blocking pool.
//!
//! The handler is written once, for any executor, in
//! `background_tasks_example_support::send_notification` (with FastAPI's Python beside it); this
//! module serves it on smol.
//!
//! # Examples
//!
//! ```no_run
//! use background_tasks_example_smol::{Settings, send_notification, serve};
//! use background_tasks_smol::SmolExecutor;
//! use background_tasks_tower::BackgroundTasksLayer;
//!
//! smol::block_on(async {
//!     let settings = Settings::default();
//!     let layer = BackgroundTasksLayer::new(SmolExecutor::new());
//!     let runner = layer.runner().clone();
//!     let service = send_notification::service(&settings, layer);
//!     let listener = smol::net::TcpListener::bind(settings.addr).await?;
//!     serve(&settings, listener, service).await
//! })
//! # .unwrap();
//! ```

pub use background_tasks_example_support::send_notification::{service, write_notification};
