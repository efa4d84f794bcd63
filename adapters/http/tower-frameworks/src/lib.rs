//! The HTTP conformance suite on frameworks whose apps are tower services or take tower layers,
//! served through `background-tasks-tower`'s `BackgroundTasksLayer` with no integration of their
//! own: warp (its `warp::service`) and salvo (the layer as a hoop, through salvo's tower
//! compatibility). The harnesses are this crate's tests; it has no code of its own.
