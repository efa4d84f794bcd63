//! The conformance suites on tokio, once per runtime flavour: the executor checks, and the HTTP
//! checks served by hyper-util's auto server (see `runtimes` for how each flavour serves).

mod runtimes;

use background_tasks_conformance::{conformance_suite, http_conformance_suite};
use runtimes::{CurrentThread, MultiThread};

conformance_suite!(tokio_current_thread, super::CurrentThread);
conformance_suite!(tokio_multi_thread, super::MultiThread);

http_conformance_suite!(tokio_current_thread_http, super::CurrentThread);
http_conformance_suite!(tokio_multi_thread_http, super::MultiThread);
