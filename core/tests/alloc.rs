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

#[test]
fn c03_adding_is_amortised_constant() {
    let tasks = BackgroundTasks::new();
    let info = allocation_counter::measure(|| {
        for i in 0..1000_u32 {
            tasks.add_task(move || {
                std::hint::black_box(i);
            });
        }
    });
    // One box per task, plus the queue's buffer doubling about log2(1000) times.
    assert!(
        info.count_total <= 1000 + 11,
        "{} allocations for 1000 tasks",
        info.count_total
    );
    assert_eq!(tasks.len(), 1000);
}

#[test]
fn c03_zero_sized_closures_need_no_box() {
    let tasks = BackgroundTasks::new();
    tasks.add_task(|| ()); // the queue's first buffer
    let info = allocation_counter::measure(|| tasks.add_task(|| ()));
    assert_eq!(info.count_total, 0);
}
