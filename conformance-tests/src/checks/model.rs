//! C4, C7, C14, C15 and C20 as one property: random queues run exactly as a model of the contract
//! predicts.

use std::collections::VecDeque;

use background_tasks::{BackgroundTasks, FailurePolicy, Outcome, Runner, Task};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::harness::{End, Harness, Kind, quiet_deliberate_panics, yield_now};

use super::{Log, entries, outcomes, push, recording_hook, run_spawned};

#[derive(Debug, Clone, Copy)]
struct Spec {
    id: usize,
    kind: Kind,
    end: End,
    /// A task this one adds to its own queue when it starts (C7).
    child: Option<(Kind, End)>,
}

fn arb_kind() -> impl Strategy<Value = Kind> {
    prop_oneof![Just(Kind::Sync), Just(Kind::Async)]
}

fn arb_end() -> impl Strategy<Value = End> {
    prop_oneof![6 => Just(End::Succeed), 1 => Just(End::Fail), 1 => Just(End::Panic)]
}

fn arb_specs() -> impl Strategy<Value = Vec<Spec>> {
    proptest::collection::vec(
        (
            arb_kind(),
            arb_end(),
            proptest::option::weighted(0.25, (arb_kind(), arb_end())),
        ),
        0..14,
    )
    .prop_map(|specs| {
        specs
            .into_iter()
            .enumerate()
            .map(|(id, (kind, end, child))| Spec {
                id,
                kind,
                end,
                child,
            })
            .collect()
    })
}

fn child_id(parent: usize) -> usize {
    1000 + parent
}

fn build_task(spec: Spec, queue: &BackgroundTasks, log: &Log) -> Task {
    let (queue, log) = (queue.clone(), log.clone());
    let Spec {
        id,
        kind,
        end,
        child,
    } = spec;
    let start = move || {
        push(&log, format!("t{id}"));
        if let Some((kind, end)) = child {
            let child = Spec {
                id: child_id(id),
                kind,
                end,
                child: None,
            };
            queue.add(build_task(child, &queue, &log));
        }
    };
    let label = format!("t{id}");
    let own = label.clone();
    let task = match kind {
        Kind::Sync => Task::sync(move || {
            start();
            end.finish(&own)
        }),
        Kind::Async => Task::future(async move {
            start();
            yield_now().await;
            end.finish(&own)
        }),
    };
    task.with_label(label)
}

/// What the contract says must happen: FIFO, children at the tail, failures stopping the queue
/// under [`FailurePolicy::StopOnError`].
fn model(specs: &[Spec], policy: FailurePolicy) -> (Vec<String>, Vec<(String, Outcome)>) {
    let mut queue: VecDeque<Spec> = specs.iter().copied().collect();
    let (mut ran, mut report, mut failed) = (Vec::new(), Vec::new(), false);
    while let Some(spec) = queue.pop_front() {
        let label = format!("t{}", spec.id);
        if failed && policy == FailurePolicy::StopOnError {
            report.push((label, Outcome::Skipped));
            continue;
        }
        ran.push(label.clone());
        if let Some((kind, end)) = spec.child {
            queue.push_back(Spec {
                id: child_id(spec.id),
                kind,
                end,
                child: None,
            });
        }
        let outcome = spec.end.outcome(&label);
        failed |= outcome.is_failure();
        report.push((label, outcome));
    }
    (ran, report)
}

/// C4, C7, C14, C15, C20 as one property: for random queues of sync and async tasks that succeed,
/// fail or panic, and add tasks to their own queue, under both policies, the execution order, the
/// report and the error hook's calls are exactly what the contract's model predicts.
pub fn c04_every_run_matches_the_model<H: Harness>() {
    quiet_deliberate_panics();
    let harness = H::new();
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&(arb_specs(), any::<bool>()), |(specs, keep_going)| {
        let policy = if keep_going {
            FailurePolicy::ContinueOnError
        } else {
            FailurePolicy::StopOnError
        };
        let (log, hooked) = (Log::default(), Log::default());
        let tasks = BackgroundTasks::new();
        for spec in &specs {
            tasks.add(build_task(*spec, &tasks, &log));
        }
        let runner = Runner::new(harness.executor())
            .failure_policy(policy)
            .on_error(recording_hook(&hooked));
        let report = run_spawned(&harness, runner, tasks);

        let (expected_ran, expected_report) = model(&specs, policy);
        prop_assert_eq!(entries(&log), expected_ran);
        prop_assert_eq!(outcomes(&report), expected_report.clone());
        let expected_hooked: Vec<String> = expected_report
            .iter()
            .filter(|(_, outcome)| outcome.is_failure())
            .map(|(label, outcome)| match outcome {
                Outcome::Failed(m) => format!("{label}: task failed: {m}"),
                Outcome::Panicked(m) => format!("{label}: task panicked: {m}"),
                _ => unreachable!(),
            })
            .collect();
        prop_assert_eq!(entries(&hooked), expected_hooked);
        Ok(())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
}
