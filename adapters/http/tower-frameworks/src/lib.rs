//! The HTTP conformance suite on frameworks whose apps are tower services, served through
//! `background-tasks-tower`'s `BackgroundTasksLayer` with no integration of their own: warp (its
//! `warp::service`). The harnesses are this crate's tests; it has no code of its own.
