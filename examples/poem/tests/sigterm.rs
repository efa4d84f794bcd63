//! A deploy stops the example with SIGTERM: it drains its background tasks as on Ctrl-C.

#[cfg(unix)]
#[test]
fn sigterm_drains_the_tasks_as_ctrl_c_does() {
    background_tasks_example_support::checks::sigterm_drains_the_tasks_as_ctrl_c_does(env!(
        "CARGO_BIN_EXE_poem_async_cleanup"
    ));
}
