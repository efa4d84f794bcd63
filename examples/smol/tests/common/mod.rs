//! Shared by the example's tests: the example served on smol, on 127.0.0.1:0, by a thread of its
//! own. The rest (a temporary log file, the layer's reports on a channel, connections from the
//! conformance suite's HTTP client) is `background_tasks_example_support::client`.

/// `Server::start(cleanup_delay, service)`, `Server::tuned(tune, service)`: a `TestServer`.
pub(crate) type Server =
    background_tasks_example_support::client::Served<background_tasks_example_smol::Smol>;
