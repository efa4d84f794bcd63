//! The layer's cost for a request that queues nothing: no heap allocation beyond what the service
//! it wraps makes. Counted with a counting allocator, not timed.

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use background_tasks::{BackgroundTasks, BlockingError, BlockingJob, BoxFuture, Executor};
use background_tasks_tower::BackgroundTasksLayer;
use http::{Request, Response};
use http_body::Body;
use tower::{Layer, Service, service_fn};

/// Nothing is spawned for a request that queues nothing; an executor that would notice is enough.
#[derive(Debug, Clone)]
struct NeverUsed;

impl Executor for NeverUsed {
    fn spawn(&self, _: BoxFuture<()>) {
        panic!("nothing should be spawned for a request that queued nothing");
    }

    fn spawn_blocking(&self, _: BlockingJob) -> BoxFuture<Result<(), BlockingError>> {
        panic!("nothing should run for a request that queued nothing");
    }
}

/// Polls a future that is ready without waiting (the handlers here never wait).
fn now<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("these services never wait"),
    }
}

/// Serves one request and sends its body to the end, as a server would.
fn serve_one<S, B>(service: &mut S, request: Request<String>)
where
    S: Service<Request<String>, Response = Response<B>, Error = Infallible>,
    B: Body + Unpin,
{
    let response = now(service.call(request)).unwrap();
    let mut body = response.into_body();
    while let Poll::Ready(Some(frame)) =
        std::pin::Pin::new(&mut body).poll_frame(&mut Context::from_waker(Waker::noop()))
    {
        drop(frame);
    }
}

fn allocations_per_request<S, B>(mut service: S) -> u64
where
    S: Service<Request<String>, Response = Response<B>, Error = Infallible>,
    B: Body + Unpin,
{
    const REQUESTS: u64 = 100;
    serve_one(&mut service, Request::new(String::new())); // warm-up: lazily built statics
    let requests: Vec<_> = (0..REQUESTS)
        .map(|_| {
            Request::builder()
                .method("POST")
                .uri("/send-notification/ada@example.com?q=rust")
                .body(String::new())
                .unwrap()
        })
        .collect();
    let info = allocation_counter::measure(|| {
        for request in requests {
            serve_one(&mut service, request);
        }
    });
    info.count_total / REQUESTS
}

#[test]
fn a_request_that_queues_nothing_costs_no_allocation() {
    let handler = service_fn(|_request: Request<String>| async {
        Ok::<_, Infallible>(Response::new(String::from("ok")))
    });
    let bare = allocations_per_request(handler);
    let layered = allocations_per_request(BackgroundTasksLayer::new(NeverUsed).layer(handler));
    assert_eq!(
        layered,
        bare,
        "the layer added {} allocations per request",
        layered as i64 - bare as i64
    );
}

#[test]
fn a_handler_that_only_looks_at_the_queue_may_allocate_it() {
    // The counterpart: asking for the queue creates it (one shared handle), so the test above
    // would see the allocation if the layer created queues eagerly.
    let handler = service_fn(|_request: Request<String>| async {
        let tasks = BackgroundTasks::current().expect("inside the layer");
        assert!(tasks.is_empty());
        Ok::<_, Infallible>(Response::new(String::from("ok")))
    });
    let bare = allocations_per_request(service_fn(|_request: Request<String>| async {
        Ok::<_, Infallible>(Response::new(String::from("ok")))
    }));
    let layered = allocations_per_request(BackgroundTasksLayer::new(NeverUsed).layer(handler));
    assert_eq!(layered, bare + 1, "exactly the queue's shared handle");
}
