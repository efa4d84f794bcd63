//! C3: adding is cheap. Counted with a counting global allocator, not timed.

use background_tasks::BackgroundTasks;

#[test]
fn c03_an_empty_queue_allocates_only_its_shared_handle() {
    let info = allocation_counter::measure(|| {
        let tasks = BackgroundTasks::new();
        let clone = tasks.clone();
        assert!(clone.is_empty());
        assert_eq!(tasks.len(), 0);
        drop(clone);
        drop(tasks);
    });
    assert_eq!(info.count_total, 1, "the shared handle and nothing else");
    assert_eq!(info.count_current, 0, "and it is freed");
}

/// Adds a closure task, from one call site: a closure's label is made at its call site's first
/// use and never again, so the counts below are taken after that first use.
fn add_unit(tasks: &BackgroundTasks) {
    tasks.add_task(|| ());
}

#[test]
fn c03_a_closures_label_is_made_once_per_call_site() {
    add_unit(&BackgroundTasks::new());
    let tasks = BackgroundTasks::new();
    let info = allocation_counter::measure(|| add_unit(&tasks));
    assert_eq!(info.count_total, 0);
    let report = poll_to_end(tasks.run(&Inline));
    let label = &report.tasks()[0].label;
    assert!(
        label.starts_with("alloc::add_unit at core/tests/alloc.rs:"),
        "{label}"
    );
}

#[test]
fn c03_adding_is_amortised_constant() {
    let tasks = BackgroundTasks::new();
    let add = |i: u32| {
        tasks.add_task(move || {
            std::hint::black_box(i);
        })
    };
    add(0);
    let info = allocation_counter::measure(|| {
        for i in 1..1000_u32 {
            add(i);
        }
    });
    // One box per task, plus the queue's buffer doubling about log2(1000) times.
    assert!(
        info.count_total <= 999 + 11,
        "{} allocations for 1000 tasks",
        info.count_total
    );
    assert_eq!(tasks.len(), 1000);
}

#[test]
fn c03_zero_sized_closures_need_no_box() {
    let tasks = BackgroundTasks::new();
    add_unit(&tasks); // kept inline
    add_unit(&tasks); // the queue's first buffer
    let info = allocation_counter::measure(|| add_unit(&tasks));
    assert_eq!(info.count_total, 0);
}

#[test]
fn c03_a_queue_of_one_task_needs_no_buffer() {
    add_unit(&BackgroundTasks::new());
    let tasks = BackgroundTasks::new();
    let info = allocation_counter::measure(|| add_unit(&tasks));
    assert_eq!(info.count_total, 0, "the first task is kept inline");
}

/// Runs blocking jobs inline and spawns nothing: enough to count what a run itself allocates.
#[derive(Debug)]
struct Inline;

impl background_tasks::Executor for Inline {
    fn spawn(&self, _: background_tasks::BoxFuture<()>) {
        unreachable!("the run is polled by the test")
    }

    fn spawn_blocking(
        &self,
        job: background_tasks::BlockingJob,
    ) -> background_tasks::BoxFuture<Result<(), background_tasks::BlockingError>> {
        job();
        Box::pin(std::future::ready(Ok(())))
    }
}

fn poll_to_end<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

#[test]
fn c03_running_a_one_task_queue_allocates_nothing_for_its_report() {
    let tasks = BackgroundTasks::new();
    tasks.add_async_task(async {});
    let run = tasks.run(&Inline);
    let info = allocation_counter::measure(|| {
        let report = poll_to_end(run);
        assert!(report.is_success() && report.tasks().len() == 1);
    });
    assert_eq!(info.count_total, 0, "the report keeps one entry inline");
}
