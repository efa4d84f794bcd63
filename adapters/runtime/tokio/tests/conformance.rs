//! The conformance suites on tokio, once per runtime flavour: the executor checks, and the HTTP
//! checks served by hyper-util's auto server (see `runtimes` for how each flavour serves).

mod runtimes;

use background_tasks_conformance::{conformance_suite, framework_http_conformance_suite};
use runtimes::{CurrentThread, MultiThread};

conformance_suite!(tokio_current_thread, CurrentThread);
conformance_suite!(tokio_multi_thread, MultiThread);

framework_http_conformance_suite!(tokio_current_thread_http, CurrentThread);
framework_http_conformance_suite!(tokio_multi_thread_http, MultiThread);
