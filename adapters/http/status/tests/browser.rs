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
use common::{ADMIN, READ_ONLY, TestApp, WAIT};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// One browser at a time: two cores are shared by everything the tests run.
static ONE_BROWSER: Mutex<()> = Mutex::new(());

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
    let mut driver = Command::new(&driver_path)
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

    async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client().screenshot().await.expect("a screenshot");
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
        std::fs::write(&path, png).expect("saving the screenshot");
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
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
            .find(
                &format!("[data-task='{failed}'][data-state=failed] .error"),
                LIVE,
            )
            .await;
        assert_eq!(error.text().await.unwrap(), "smtp refused: mailbox full");
        assert!(sent.elapsed() < 2 * LIVE + WAIT);
        // A fuller page for the README's picture: one queue still running, one waiting.
        let held = request(&app, "POST", "/hold");
        browser
            .find(&format!("[data-task='{held}'][data-state=queued]"), LIVE)
            .await;
        let shot = browser.screenshot("status-page.png").await;
        if std::env::var_os("UPDATE_SCREENSHOT").is_some() {
            let readme =
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../docs/status-page.png");
            std::fs::copy(&shot, readme).expect("updating docs/status-page.png");
        }
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
        let button = browser
            .find(
                &format!("[data-task='{queued}'][data-state=queued] button.cancel"),
                WAIT,
            )
            .await;
        button.click().await.expect("clicking cancel");
        let error = browser
            .find(
                &format!("[data-task='{queued}'][data-state=discarded] .error"),
                WAIT,
            )
            .await;
        assert!(
            error
                .text()
                .await
                .unwrap()
                .starts_with("cancelled from the status page")
        );
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
