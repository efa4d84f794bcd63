//! A live status page for background-tasks, served by the app itself: a tower service, an
//! actix-web scope, a poem endpoint and Rocket routes, mountable under any prefix.
//!
//! Give the runner an [`Observer`](background_tasks::status::Observer), make a [`StatusPage`]
//! from it, and mount its service where you like. The page shows live counts, histograms of
//! how long queues waited after their response and how long tasks ran, and the recent queues
//! with their tasks, updated over Server-Sent Events without reload; search and filter them by
//! path, status, label, outcome or error; see a request's timeline; and, with admin access,
//! cancel a task that has not started.
//!
//! - **Any prefix.** Every URL the page uses is relative: mount it at `/_tasks/`, `/ops/jobs/`,
//!   behind a proxy that strips the prefix, and open it with its trailing slash.
//! - **Strict CSP.** Embedded files, no inline script or style, no CDN: every answer carries
//!   `Content-Security-Policy: default-src 'self'` ([`CONTENT_SECURITY_POLICY`]).
//! - **Access per request.** A hook decides [`Access`] from the request's [`Caller`] (a header, a
//!   cookie, the peer address); by default loopback peers read, everyone else gets `403`. A
//!   cancel needs [`Access::Admin`]; each cancel (and each refusal) is a `tracing` event.
//!
//! # Examples
//!
//! With axum (feature `axum` reads the peer from `ConnectInfo`):
//!
//! ```no_run
//! # #[cfg(feature = "axum")]
//! # async fn demo() {
//! use std::net::SocketAddr;
//!
//! use axum::Router;
//! use background_tasks::{Runner, status::Observer};
//! use background_tasks_status::StatusPage;
//! use background_tasks_tokio::TokioExecutor;
//! use background_tasks_tower::BackgroundTasksLayer;
//!
//! let runner = Runner::new(TokioExecutor::new()).observe(Observer::default());
//! let app = Router::new()
//!     .nest_service("/_tasks", StatusPage::new(&runner).unwrap().service())
//!     .layer(BackgroundTasksLayer::with_runner(runner));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await.unwrap();
//! let app = app.into_make_service_with_connect_info::<SocketAddr>();
//! axum::serve(listener, app).await.unwrap();
//! # }
//! ```
//!
//! On actix-web (feature `actix`), add [`StatusPage::actix_scope`]`("/_tasks")` to the `App`;
//! on poem (feature `poem`), nest [`StatusPage::poem_endpoint`] under the prefix; on Rocket
//! (feature `rocket`), mount [`StatusPage::rocket_routes`] at it;
//! on a tower server without a router (`background_tasks_server::serve`), put the page in
//! front of the app's service with [`StatusPage::mount`].
//!
//! The JSON the page reads is an API too: `api/snapshot` (counts, histograms, every kept queue),
//! `api/tasks/{id}` (a task by the id
//! [`add_task_with_id`](background_tasks::BackgroundTasks::add_task_with_id) gave), `api/events`
//! (the live stream), `POST api/tasks/{id}/cancel`.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod access;
#[cfg(feature = "actix")]
#[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
mod actix;
mod events;
mod json;
mod mount;
mod page;
#[cfg(feature = "poem")]
#[cfg_attr(docsrs, doc(cfg(feature = "poem")))]
mod poem;
#[cfg(feature = "rocket")]
#[cfg_attr(docsrs, doc(cfg(feature = "rocket")))]
mod rocket;
mod state;
mod tower;

pub use access::{Access, Caller};
/// What the default [`Access`] rule reads (axum's `ConnectInfo<SocketAddr>` too, feature
/// `axum`); `background_tasks_server::serve` inserts it when told how (`Serve::peer_addr`).
pub use background_tasks_http::PeerAddr;
pub use mount::{Mounted, MountedBody, MountedFuture};
pub use page::{CONTENT_SECURITY_POLICY, DEFAULT_PACE, StatusPage, StatusPageError};
#[cfg(feature = "poem")]
#[cfg_attr(docsrs, doc(cfg(feature = "poem")))]
pub use poem::StatusEndpoint;
pub use state::MAX_QUEUES_PER_UPDATE;
pub use tower::{StatusBody, StatusService};
