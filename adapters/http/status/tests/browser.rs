//! The page in a real browser: headless Chromium driven over WebDriver (chromedriver), against
//! the app on 127.0.0.1. Without chromedriver the tests say so and pass, unless `CI=true`, where
//! they fail: CI installs the browser (`.ci/run`).

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use background_tasks::status::{TaskId, TaskState};
use background_tasks_conformance::http::Client as HttpClient;
use background_tasks_status::MAX_QUEUES_PER_UPDATE;
use common::{ADMIN, READ_ONLY, TestApp, WAIT};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// One browser at a time: two cores are shared by everything the tests run.
static ONE_BROWSER: Mutex<()> = Mutex::new(());

/// The most queues the page lists (app.js's `SHOWN_MAX`); its count says of how many.
const SHOWN_MAX: usize = 200;

/// A live update must reach the page within this long.
const LIVE: Duration = Duration::from_secs(1);

struct Browser {
    driver: Child,
    client: Option<Client>,
    profile: PathBuf,
}

/// chromedriver and Chromium, started for one test; `None` (after a message) when chromedriver
/// is missing outside CI.
async fn browser() -> Option<Browser> {
    let driver_path =
        std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !std::path::Path::new(&driver_path).exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but chromedriver is missing at {driver_path}: apt-get install chromium chromium-driver"
        );
        eprintln!(
            "skipping the browser test: no chromedriver at {driver_path} (apt-get install chromium chromium-driver)"
        );
        return None;
    }
    let port = {
        let free = TcpListener::bind("127.0.0.1:0").expect("a free port");
        free.local_addr().unwrap().port()
    };
    let mut driver = Command::new(&driver_path);
    // Its own process group, with the Chromium it starts: a failed test, which never ends its
    // session, kills them all (killing chromedriver alone leaves Chromium running).
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut driver, 0);
    let mut driver = driver
        .arg(format!("--port={port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting chromedriver");
    // Ready once it says so on its first lines.
    let stdout = driver.stdout.take().unwrap();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("started successfully") {
                let _ = ready_tx.send(());
            }
        }
    });
    ready_rx.recv_timeout(WAIT).expect("chromedriver to start");
    let profile = std::env::temp_dir().join(format!(
        "background-tasks-status-{}-{port}",
        std::process::id()
    ));
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1280,1000",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    capabilities.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a WebDriver session");
    Some(Browser {
        driver,
        client: Some(client),
        profile,
    })
}

impl Browser {
    fn client(&self) -> &Client {
        self.client.as_ref().unwrap()
    }

    async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
    }

    /// Opens `url` and waits for its live stream to connect.
    async fn open(&self, url: &str) {
        self.client().goto(url).await.expect("loading the page");
        self.find("#connection.live", WAIT).await;
    }

    async fn find(&self, css: &str, within: Duration) -> fantoccini::elements::Element {
        self.client()
            .wait()
            .at_most(within)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("waited {within:?} for `{css}`: {error}"))
    }

    async fn count(&self, css: &str) -> usize {
        self.client()
            .find_all(Locator::Css(css))
            .await
            .expect("finding elements")
            .len()
    }

    /// The browser's console, through chromedriver's log endpoint.
    async fn console(&self) -> Vec<Value> {
        let logs = self
            .client()
            .issue_cmd(BrowserLog)
            .await
            .expect("the browser's log");
        logs.as_array().cloned().unwrap_or_default()
    }

    /// Saves a screenshot under the target dir, and over `docs/{name}` with `UPDATE_SCREENSHOT`.
    async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client().screenshot().await.expect("a screenshot");
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
        std::fs::write(&path, png).expect("saving the screenshot");
        if std::env::var_os("UPDATE_SCREENSHOT").is_some() {
            let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../docs");
            std::fs::copy(&path, docs.join(name)).expect("updating the docs' screenshot");
        }
        path
    }

    /// Clicks what `css` finds, finding it again when the page re-rendered it between the find
    /// and the click (a live update replaces the rows: seen once in CI as a stale element).
    async fn click(&self, css: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            match self.find(css, WAIT).await.click().await {
                Ok(_) => return,
                Err(error) if error.is_stale_element_reference() && Instant::now() < deadline => {}
                Err(error) => panic!("clicking `{css}`: {error}"),
            }
        }
    }

    /// The text of what `css` finds (within `within`), found again when the page re-rendered it
    /// between the find and the read.
    async fn text(&self, css: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            match self.find(css, within).await.text().await {
                Ok(text) => return text,
                Err(error) if error.is_stale_element_reference() && Instant::now() < deadline => {}
                Err(error) => panic!("reading `{css}`: {error}"),
            }
        }
    }

    /// The value of a script run in the page.
    async fn eval(&self, script: &str, args: Vec<Value>) -> Value {
        self.client()
            .execute(script, args)
            .await
            .unwrap_or_else(|error| panic!("running `{script}`: {error}"))
    }

    /// Waits until `css`'s text is `text`.
    async fn wait_text(&self, css: &str, text: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let now = self.text(css, WAIT).await;
            if now == text {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "waited {WAIT:?} for `{css}` to say {text:?}; it says {now:?}"
            );
        }
    }

    /// Waits until the numeric attribute `name` of the elements `css` finds is `expected`.
    async fn wait_numbers(&self, css: &str, name: &str, expected: &[f64]) {
        let deadline = Instant::now() + WAIT;
        loop {
            let now = self.numbers(css, name).await;
            if now == expected {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "waited {WAIT:?} for `{css}` {name}s {expected:?}; they are {now:?}"
            );
        }
    }

    /// The numeric attribute `name` of every element `css` finds, in document order. Read in one
    /// script: the page re-renders on every update, so element handles held across two commands
    /// can go stale between them.
    async fn numbers(&self, css: &str, name: &str) -> Vec<f64> {
        let script = "return Array.from(document.querySelectorAll(arguments[0]), \
                      (e) => e.getAttribute(arguments[1]) || '')";
        let values = self.eval(script, vec![css.into(), name.into()]).await;
        values
            .as_array()
            .expect("an array of attributes")
            .iter()
            .map(|value| {
                let value = value.as_str().unwrap_or_default();
                value
                    .parse()
                    .unwrap_or_else(|_| panic!("{css} {name}={value:?}"))
            })
            .collect()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        #[cfg(unix)]
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// chromedriver's `se/log` command: the browser's console entries since the last call.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": "browser" }).to_string()),
        )
    }
}

fn request(app: &TestApp, method: &str, target: &str) -> TaskId {
    let mut client = HttpClient::connect(app.addr);
    let (head, body) = client.request(method, target);
    assert_eq!(head.status, 200, "{method} {target}");
    String::from_utf8(body).unwrap().parse().expect("a task id")
}

/// The page's snapshot, as the server answers it now.
fn snapshot(app: &TestApp) -> Value {
    let mut client = HttpClient::connect(app.addr);
    let (head, body) = client.request("GET", &format!("{ADMIN}api/snapshot"));
    assert_eq!(head.status, 200, "the snapshot");
    serde_json::from_slice(&body).expect("the snapshot's JSON")
}

/// Waits until the server holds `open` of the admin page's live streams.
async fn streams_open(app: &TestApp, open: usize) {
    let mut streams = app.streams.clone();
    tokio::time::timeout(WAIT, streams.wait_for(|&now| now == open))
        .await
        .unwrap_or_else(|_| {
            let now = *app.streams.borrow();
            panic!("waited {WAIT:?} for {open} open live streams; the server holds {now}")
        })
        .expect("the app is running");
}

/// Waits until `ended` tasks have ended in the observer's records (its counts move first).
async fn tasks_ended(app: &TestApp, ended: usize) {
    let observer = app.observer();
    let all = async {
        loop {
            let seen = observer.version();
            let queues = observer.queues();
            let tasks = queues.iter().flat_map(|q| &q.tasks);
            if tasks.filter(|t| t.ended.is_some()).count() >= ended {
                return;
            }
            observer.changed(seen).await;
        }
    };
    tokio::time::timeout(WAIT, all)
        .await
        .unwrap_or_else(|_| panic!("waited {WAIT:?} for {ended} tasks to end"));
}

/// Runs `check` with a browser and the app, one browser at a time.
fn with_browser<F>(check: impl FnOnce(TestApp, Browser) -> F)
where
    F: std::future::Future<Output = ()>,
{
    let _one = ONE_BROWSER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let Some(browser) = browser().await else {
            return;
        };
        check(TestApp::start(), browser).await;
    });
}

#[test]
fn the_page_loads_with_no_console_error_under_the_strict_csp() {
    with_browser(|app, browser| async move {
        browser.open(&app.url(ADMIN)).await;
        request(&app, "GET", "/ok");
        browser.find(".task[data-state=succeeded]", WAIT).await;
        let problems: Vec<Value> = browser
            .console()
            .await
            .into_iter()
            .filter(|entry| entry["level"] != "INFO" && entry["level"] != "DEBUG")
            .collect();
        assert!(problems.is_empty(), "console: {problems:#?}");
        browser.close().await;
    });
}

#[test]
fn a_request_made_after_load_appears_live_with_its_outcomes_and_errors() {
    with_browser(|app, browser| async move {
        browser.open(&app.url(ADMIN)).await;
        let ok = request(&app, "GET", "/ok");
        let sent = Instant::now();
        browser
            .find(&format!("[data-task='{ok}'][data-state=succeeded]"), LIVE)
            .await;
        let failed = request(&app, "GET", "/fail");
        let error = browser
            .text(
                &format!("[data-task='{failed}'][data-state=failed] .error"),
                LIVE,
            )
            .await;
        assert_eq!(error, "smtp refused: mailbox full");
        assert!(sent.elapsed() < 2 * LIVE + WAIT);
        // A fuller page for the README's picture: one queue still running, one waiting.
        let held = request(&app, "POST", "/hold");
        browser
            .find(&format!("[data-task='{held}'][data-state=queued]"), LIVE)
            .await;
        browser.screenshot("status-page.png").await;
        app.release.notify_one();
        browser.close().await;
    });
}

#[test]
fn filtering_narrows_the_list() {
    with_browser(|app, browser| async move {
        browser.open(&app.url(ADMIN)).await;
        let ok = request(&app, "GET", "/ok");
        let failed = request(&app, "GET", "/fail");
        browser
            .find(&format!("[data-task='{ok}'][data-state=succeeded]"), WAIT)
            .await;
        browser
            .find(&format!("[data-task='{failed}'][data-state=failed]"), WAIT)
            .await;
        assert_eq!(browser.count(".queue").await, 2);

        let search = browser.find("#search", WAIT).await;
        search.send_keys("mailbox").await.unwrap();
        browser
            .find(&format!(".queue[data-queue='{}']", failed.queue()), WAIT)
            .await;
        let shown = browser.find("#shown", WAIT).await;
        let deadline = Instant::now() + WAIT;
        while shown.text().await.unwrap() != "1 of 2 queues" {
            assert!(
                Instant::now() < deadline,
                "the search did not narrow the list"
            );
            browser.find("#shown", WAIT).await;
        }
        assert_eq!(browser.count(".queue").await, 1);
        assert_eq!(browser.count(&format!("[data-task='{ok}']")).await, 0);

        search.clear().await.unwrap();
        let state = browser.find("#filter-state", WAIT).await;
        state.select_by_value("succeeded").await.unwrap();
        browser.find("#shown", WAIT).await;
        let deadline = Instant::now() + WAIT;
        while browser.count(&format!("[data-task='{failed}']")).await != 0 {
            assert!(
                Instant::now() < deadline,
                "the outcome filter did not narrow the list"
            );
        }
        assert_eq!(browser.count(&format!("[data-task='{ok}']")).await, 1);
        browser.close().await;
    });
}

#[test]
fn admin_cancels_a_queued_task_and_the_page_shows_it_discarded() {
    with_browser(|app, browser| async move {
        browser.open(&app.url(ADMIN)).await;
        let queued = request(&app, "POST", "/hold");
        browser
            .click(&format!(
                "[data-task='{queued}'][data-state=queued] button.cancel"
            ))
            .await;
        let error = browser
            .text(
                &format!("[data-task='{queued}'][data-state=discarded] .error"),
                WAIT,
            )
            .await;
        assert!(error.starts_with("cancelled from the status page"));
        assert_eq!(
            app.observer().task(queued),
            TaskState::Ended(background_tasks::Outcome::Discarded)
        );
        app.release.notify_one();
        browser.close().await;
    });
}

#[test]
fn read_only_shows_no_cancel_and_a_forged_cancel_is_refused() {
    with_browser(|app, browser| async move {
        // The read-only mount is the second prefix: the page works under it as under the first.
        browser.open(&app.url(READ_ONLY)).await;
        let queued = request(&app, "POST", "/hold");
        browser
            .find(&format!("[data-task='{queued}'][data-state=queued]"), LIVE)
            .await;
        assert_eq!(browser.count("button.cancel").await, 0);
        let forged = browser
            .client()
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 fetch('api/tasks/' + arguments[0] + '/cancel', { method: 'POST' })
                   .then((r) => done(r.status));",
                vec![json!(queued.to_string())],
            )
            .await
            .expect("a fetch from the page");
        assert_eq!(forged, json!(403));
        assert_eq!(app.observer().task(queued), TaskState::Queued);
        app.release.notify_one();
        browser.close().await;
    });
}

#[test]
fn after_the_stream_is_cut_the_page_reconnects_and_shows_what_happened_meanwhile() {
    with_browser(|app, browser| async move {
        browser.open(&app.url(ADMIN)).await;
        let before = request(&app, "GET", "/ok");
        browser
            .find(
                &format!("[data-task='{before}'][data-state=succeeded]"),
                WAIT,
            )
            .await;
        app.cut_connections();
        // Made while the page has no stream: it can only arrive through a new one.
        let meanwhile = request(&app, "GET", "/fail");
        browser
            .find(
                &format!("[data-task='{meanwhile}'][data-state=failed]"),
                WAIT,
            )
            .await;
        browser.find("#connection.live", WAIT).await;
        browser.close().await;
    });
}

#[test]
fn a_hidden_tab_closes_its_stream_and_on_return_shows_what_happened_meanwhile() {
    with_browser(|app, browser| async move {
        browser.open(&app.url(ADMIN)).await;
        streams_open(&app, 1).await;
        // A minimized window is what makes `document.hidden` true in headless Chromium.
        browser
            .client()
            .minimize_window()
            .await
            .expect("minimizing");
        assert_eq!(
            browser
                .eval("return document.visibilityState", vec![])
                .await,
            "hidden"
        );
        // The server sees the stream go, and the page says why it has none.
        streams_open(&app, 0).await;
        browser.wait_text("#connection", "paused").await;
        let meanwhile = request(&app, "GET", "/fail");
        assert_eq!(
            *app.streams.borrow(),
            0,
            "a change reopened the hidden page's stream"
        );

        browser.client().set_window_size(1280, 1000).await.unwrap();
        assert_eq!(
            browser
                .eval("return document.visibilityState", vec![])
                .await,
            "visible"
        );
        browser
            .find(
                &format!("[data-task='{meanwhile}'][data-state=failed]"),
                WAIT,
            )
            .await;
        browser.find("#connection.live", WAIT).await;
        streams_open(&app, 1).await;
        browser.close().await;
    });
}

#[test]
fn more_changes_than_one_update_carries_show_the_count_the_server_left_out() {
    with_browser(|app, browser| async move {
        // A fresh page gets every kept queue at once: nothing is left out of a first update.
        let before = MAX_QUEUES_PER_UPDATE + 1;
        for _ in 0..before {
            request(&app, "GET", "/ok");
        }
        tasks_ended(&app, before).await;
        browser.open(&app.url(ADMIN)).await;
        browser
            .wait_text("#shown", &format!("{SHOWN_MAX} of {before} queues"))
            .await;
        assert!(
            !browser
                .find("#dropped", WAIT)
                .await
                .is_displayed()
                .await
                .unwrap()
        );
        let seen = app.observer().version();

        // Hidden, the page has no stream; on return it resumes from `seen`, and everything made
        // meanwhile (ended before the return) is one update's worth too many.
        browser
            .client()
            .minimize_window()
            .await
            .expect("minimizing");
        streams_open(&app, 0).await;
        let made = MAX_QUEUES_PER_UPDATE + 50;
        for _ in 0..made {
            request(&app, "GET", "/ok");
        }
        tasks_ended(&app, before + made).await;
        let left_out = app
            .observer()
            .changes_since(seen, MAX_QUEUES_PER_UPDATE)
            .dropped;
        assert_eq!(left_out, 50);

        browser.client().set_window_size(1280, 1000).await.unwrap();
        let said = format!("{left_out} queue updates merged away under load");
        browser.wait_text("#dropped", &said).await;
        assert!(
            browser
                .find("#dropped", WAIT)
                .await
                .is_displayed()
                .await
                .unwrap()
        );
        let kept = before + MAX_QUEUES_PER_UPDATE;
        browser
            .wait_text("#shown", &format!("{SHOWN_MAX} of {kept} queues"))
            .await;
        browser.close().await;
    });
}

#[test]
fn while_shutdown_waits_for_a_running_task_the_page_shows_draining() {
    with_browser(|app, browser| async move {
        browser.open(&app.url(ADMIN)).await;
        let behind = request(&app, "POST", "/hold");
        browser
            .find(&format!("[data-task='{behind}'][data-state=queued]"), WAIT)
            .await;
        browser.wait_text("#phase", "serving").await;
        assert_eq!(browser.count("#phase.draining").await, 0);

        // Waits for the held task: the runner drains until the release below.
        let runner = app.runner.clone();
        let shutdown = tokio::spawn(async move { runner.shutdown(WAIT).await });
        browser.find("#phase.badge.draining", WAIT).await;
        browser.wait_text("#phase", "draining").await;
        assert!(
            !shutdown.is_finished(),
            "the held task let the shutdown end"
        );

        app.release.notify_one();
        let report = shutdown.await.expect("the shutdown");
        assert!(!report.deadline_passed);
        browser
            .find(
                &format!("[data-task='{behind}'][data-state=succeeded]"),
                WAIT,
            )
            .await;
        browser.close().await;
    });
}

#[test]
fn the_histograms_count_the_recorded_tasks_and_a_timeline_orders_its_request() {
    with_browser(|app, browser| async move {
        browser.open(&app.url(ADMIN)).await;
        for _ in 0..3 {
            request(&app, "GET", "/ok");
        }
        request(&app, "GET", "/fail");
        let behind = request(&app, "POST", "/hold");
        let queue = format!(".queue[data-queue='{}']", behind.queue());
        // Released once running, so that its bar is longer than the one behind it.
        browser
            .find(&format!("{queue} .task[data-state=running]"), WAIT)
            .await;
        app.release.notify_one();
        browser
            .find(
                &format!("[data-task='{behind}'][data-state=succeeded]"),
                WAIT,
            )
            .await;
        tasks_ended(&app, 6).await;
        browser
            .wait_text(".count[data-count=succeeded] b", "5")
            .await;

        let snapshot = snapshot(&app);
        // Six tasks ran; five queues waited for their first.
        for (chart, name, recorded) in [
            ("chart-run", "run_time", 6),
            ("chart-delay", "queue_delay", 5),
        ] {
            let counts: Vec<f64> =
                serde_json::from_value(snapshot["histograms"][name].clone()).unwrap();
            assert_eq!(counts.iter().sum::<f64>(), recorded as f64, "{name}");
            let peak = counts.iter().copied().fold(1.0, f64::max);
            let heights: Vec<f64> = counts.iter().map(|c| (c / peak * 90.0).round()).collect();
            // The page may draw them one update after the task they count has ended.
            browser
                .wait_numbers(&format!("#{chart} rect.bar"), "height", &heights)
                .await;
        }

        let view = snapshot["queues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["id"] == behind.queue())
            .expect("the held queue");
        let origin = view["response_end"].as_f64().unwrap();
        let tasks = view["tasks"].as_array().unwrap();
        let span = tasks[1]["ended"].as_f64().unwrap() - origin;
        let xs = browser
            .numbers(&format!("{queue} .timeline rect[class^=span-]"), "x")
            .await;
        let widths = browser
            .numbers(&format!("{queue} .timeline rect[class^=span-]"), "width")
            .await;
        // Response end at 0, then the first task from its start to its end, then the second.
        assert_eq!(
            browser
                .numbers(&format!("{queue} .timeline rect.response"), "x")
                .await,
            [0.0]
        );
        assert!(
            xs[0] >= 4.0 && xs[0] + widths[0] <= xs[1] + 0.01,
            "task bars at {xs:?}, {widths:?} wide: not response end, first task, second task"
        );
        for (i, task) in tasks.iter().enumerate() {
            let at = 4.0 + (task["started"].as_f64().unwrap() - origin) / span * 440.0;
            assert!(
                (xs[i] - at).abs() < 0.01,
                "task {i} drawn at {}, started at {at}",
                xs[i]
            );
        }
        browser.close().await;
    });
}

#[test]
fn the_empty_page_says_there_is_nothing_yet() {
    with_browser(|app, browser| async move {
        browser.open(&app.url(ADMIN)).await;
        // Rendered once the first update came.
        browser.wait_text("#shown", "0 of 0 queues").await;
        let empty = browser.find("#empty", WAIT).await;
        assert!(empty.is_displayed().await.unwrap());
        assert!(
            empty
                .text()
                .await
                .unwrap()
                .starts_with("No requests with background tasks yet")
        );
        browser.screenshot("status-page-empty.png").await;

        let ok = request(&app, "GET", "/ok");
        browser
            .find(&format!("[data-task='{ok}'][data-state=succeeded]"), WAIT)
            .await;
        assert!(!empty.is_displayed().await.unwrap());
        // A list emptied by the filters says so instead.
        let search = browser.find("#search", WAIT).await;
        search.send_keys("no such path").await.unwrap();
        browser
            .wait_text("#empty", "No queue matches the search and filters.")
            .await;
        browser.close().await;
    });
}

#[test]
fn a_long_label_and_path_stay_inside_their_box() {
    with_browser(|app, browser| async move {
        browser.open(&app.url(ADMIN)).await;
        let path = format!("/long/{}", "tenant0042/reports/2024/q3/".repeat(8));
        let long = request(&app, "GET", &path);
        let task = format!("[data-task='{long}'][data-state=succeeded]");
        browser.find(&task, WAIT).await;
        browser.screenshot("status-page-long-label.png").await;
        // Every text of the queue ends inside its box (the timeline's inside the timeline, which
        // cuts what passes its edge), and the page does not scroll sideways.
        let overflow = browser
            .eval(
                "const queue = document.querySelector(arguments[0]).closest('.queue');
                 const inside = (node, box) => {
                   const [r, b] = [node.getBoundingClientRect(), box.getBoundingClientRect()];
                   // A box that fits but whose text runs past it overflows too.
                   const spills = node.scrollWidth > node.clientWidth + 1;
                   return r.left >= b.left - 0.5 && r.right <= b.right + 0.5 && !spills;
                 };
                 const out = [...queue.querySelectorAll('span, .timeline text')]
                   .filter((node) => !inside(node, node.closest('svg') || queue))
                   .map((node) => node.textContent.slice(0, 40));
                 return { out, scroll: document.documentElement.scrollWidth > innerWidth };",
                vec![json!(task)],
            )
            .await;
        assert_eq!(overflow, json!({ "out": [], "scroll": false }));
        browser.close().await;
    });
}
