//! C24 on the smol example (background_tasks_server::serve): clients that never finish their request headers are cut after the
//! header-read timeout, while others are served.

mod common;

use std::time::Duration;

use background_tasks_example_smol::send_notification;
use background_tasks_example_support::checks::{self, DeadlineClock, SlowOpening};
use common::Server;

/// Short, for a quick test (the default is 30 s), and longer than connecting the clients takes.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(3);

#[test]
fn c24_slow_header_clients_are_cut_after_the_timeout() {
    let server = Server::tuned(
        |settings| settings.header_read_timeout = HEADER_READ_TIMEOUT,
        send_notification::service,
    );
    checks::slow_header_clients_are_cut(
        &server,
        300,
        SlowOpening::RequestLineAndHeader,
        DeadlineClock::Exact,
    );
}

#[test]
fn c24_clients_too_slow_to_name_their_protocol_are_cut_after_the_timeout() {
    let server = Server::tuned(
        |settings| settings.header_read_timeout = HEADER_READ_TIMEOUT,
        send_notification::service,
    );
    checks::slow_header_clients_are_cut(
        &server,
        50,
        SlowOpening::PrefaceStart,
        DeadlineClock::Exact,
    );
}
