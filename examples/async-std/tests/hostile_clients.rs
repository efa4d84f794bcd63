//! C24 on the async-std example (background_tasks_server::serve): clients that never finish their
//! request headers are cut after the header-read timeout, while others are served.

use background_tasks_example_async_std::AsyncStd;
use background_tasks_example_support::checks::{SlowOpening, slow_header_clients_are_cut_on};

#[test]
fn c24_slow_header_clients_are_cut_after_the_timeout() {
    slow_header_clients_are_cut_on::<AsyncStd>(300, SlowOpening::RequestLineAndHeader);
}

#[test]
fn c24_clients_too_slow_to_name_their_protocol_are_cut_after_the_timeout() {
    slow_header_clients_are_cut_on::<AsyncStd>(50, SlowOpening::PrefaceStart);
}
