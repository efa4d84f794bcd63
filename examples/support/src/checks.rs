//! The FastAPI examples' behaviour, checked once for every runtime: each example crate's tests
//! start their own [`TestServer`] and hand it to these functions, which talk to it with the
//! conformance suite's client.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use background_tasks::Outcome;
use background_tasks_tower::{Decision, Ending};

use background_tasks_conformance::http::Client;

use crate::client::{Replies, TIMEOUT, TestServer};

const NOTIFICATION_SENT: &str = r#"{"message":"Notification sent in the background"}"#;
const MESSAGE_SENT: &str = r#"{"message":"Message sent"}"#;

/// First example: the response first, then `write_notification` in the log, twice on one
/// keep-alive connection (the second email percent-encoded).
pub fn send_notification_answers_then_writes_the_notification(server: &TestServer) {
    let mut client = server.client();

    client.post_ok("/send-notification/ada@example.com", NOTIFICATION_SENT);
    let report = server.next_report();
    assert_eq!(report.ending(), Ending::Completed);
    assert_eq!(report.decision(), Decision::Ran);
    assert_eq!(report.run().tasks().len(), 1);
    assert_eq!(report.run().tasks()[0].outcome, Outcome::Succeeded);
    assert_eq!(
        server.log(),
        "notification for ada@example.com: some notification\n"
    );

    // Same keep-alive connection, a percent-encoded email: decoded, appended.
    client.post_ok("/send-notification/bob%40example.com", NOTIFICATION_SENT);
    assert!(server.next_report().run().is_success());
    assert_eq!(
        server.log(),
        "notification for ada@example.com: some notification\n\
         notification for bob@example.com: some notification\n"
    );
}

/// Second example: with `q`, the dependency's task and the handler's share one queue.
pub fn dependency_with_q_logs_the_query_then_the_message(server: &TestServer) {
    server
        .client()
        .post_ok("/send-notification/ada@example.com?q=rust", MESSAGE_SENT);
    let report = server.next_report();
    assert!(report.run().is_success(), "{report:?}");
    assert_eq!(report.run().tasks().len(), 2, "one queue for both");
    assert_eq!(
        server.log(),
        "found query: rust\nmessage to ada@example.com\n"
    );
}

/// Second example: without `q` (or with an empty one), only the handler's task.
pub fn dependency_without_q_logs_only_the_message(server: &TestServer) {
    let mut client = server.client();
    client.post_ok("/send-notification/ada@example.com", MESSAGE_SENT);
    assert_eq!(server.next_report().run().tasks().len(), 1);
    assert_eq!(server.log(), "message to ada@example.com\n");

    // An empty `q` is falsy in Python: `if q:` queues nothing either.
    client.post_ok("/send-notification/bob@example.com?q=", MESSAGE_SENT);
    assert_eq!(server.next_report().run().tasks().len(), 1);
    assert_eq!(
        server.log(),
        "message to ada@example.com\nmessage to bob@example.com\n"
    );
}

/// Second example: the query is form-decoded (`+` and `%21`).
pub fn dependency_decodes_the_query(server: &TestServer) {
    server.client().post_ok(
        "/send-notification/ada@example.com?q=rust+async%21",
        MESSAGE_SENT,
    );
    assert!(server.next_report().run().is_success());
    assert_eq!(
        server.log(),
        "found query: rust async!\nmessage to ada@example.com\n"
    );
}

/// First example: a client cannot forge log lines. A line break and a NUL byte in the email
/// (`%0A`, `%00`) are written escaped, on the request's one line.
pub fn send_notification_escapes_control_characters(server: &TestServer) {
    server
        .client()
        .post_ok("/send-notification/a%0Ab%00@x", NOTIFICATION_SENT);
    assert!(server.next_report().run().is_success());
    assert_eq!(
        server.log(),
        "notification for a\\nb\\0@x: some notification\n"
    );
}

/// Second example: control characters in the email and the query are escaped alike.
pub fn dependency_escapes_control_characters(server: &TestServer) {
    server.client().post_ok(
        "/send-notification/a%0D%0Ab@x?q=rust%0Afound+query%3A+forged",
        MESSAGE_SENT,
    );
    assert!(server.next_report().run().is_success());
    assert_eq!(
        server.log(),
        "found query: rust\\nfound query: forged\nmessage to a\\r\\nb@x\n"
    );
}

/// Third example: `async_cleanup` sleeps `delay` (the server's cleanup delay) on the runtime's
/// timer after the response, then logs.
pub fn async_cleanup_answers_then_cleans_up_after_its_sleep(server: &TestServer, delay: Duration) {
    let sent = Instant::now();
    server
        .client()
        .post_ok("/process/report.csv", r#"{"message":"Processing started"}"#);
    let report = server.next_report();
    assert!(
        sent.elapsed() >= delay,
        "the task slept {delay:?} on the runtime's timer before its report"
    );
    assert_eq!(report.decision(), Decision::Ran);
    let task = &report.run().tasks()[0];
    assert_eq!(task.outcome, Outcome::Succeeded);
    assert!(task.label.contains("async_cleanup"), "{}", task.label);
    assert_eq!(server.log(), "Cleaned up report.csv\n");
}

/// Routing by hand (smol, async-std): a request that matches no route is FastAPI's JSON 404.
pub fn unknown_route_is_a_json_404(server: &TestServer) {
    let mut client = server.client();
    for target in ["/", "/send-notification/", "/send-notification/a/b"] {
        let response = client.reply("POST", target);
        assert_eq!(response.status, 404, "{target}");
        assert_eq!(response.body, r#"{"detail":"Not Found"}"#);
    }
    assert_eq!(server.log(), "", "no task ran");
}

/// The right path with the wrong method is FastAPI's JSON 405, on every example whose framework
/// lets it say so (routing by hand on smol and async-std; actix-web, poem and Rocket, whose own
/// answers would be a `404` or another body).
pub fn wrong_method_is_a_json_405(server: &TestServer) {
    let response = server
        .client()
        .reply("GET", "/send-notification/ada@example.com");
    assert_eq!(response.status, 405);
    assert_eq!(response.body, r#"{"detail":"Method Not Allowed"}"#);
}

/// What a slow-header client sends before it stalls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlowOpening {
    /// A request line and one header, never the blank line that ends the headers.
    RequestLineAndHeader,
    /// The first bytes of HTTP/2's preface (`PRI * HTTP/2.0…`), too few for the server to tell
    /// HTTP/2 from HTTP/1.1.
    PrefaceStart,
}

impl SlowOpening {
    fn bytes(self) -> &'static [u8] {
        match self {
            Self::RequestLineAndHeader => {
                b"POST /send-notification/slow@example.com HTTP/1.1\r\nHost: example\r\n"
            }
            Self::PrefaceStart => b"PRI * HTTP",
        }
    }
}

/// How a server times its header-read deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineClock {
    /// From the moment it sets it: never early.
    Exact,
    /// From a clock the server refreshes every so often instead of reading the time: the deadline
    /// may pass up to that much early. actix-web sets `client_request_timeout` from a clock it
    /// refreshes every 500 ms.
    CachedEvery(Duration),
}

impl DeadlineClock {
    fn early_by_at_most(self) -> Duration {
        match self {
            Self::Exact => Duration::ZERO,
            Self::CachedEvery(period) => period,
        }
    }
}

/// `clients` connections open with `opening` and stall; meanwhile a normal client's request is
/// answered while every slow connection is still open, and its task runs; then every slow
/// connection is closed by the server, no sooner than the header-read timeout after it connected
/// (less what the server's `clock` may be early by) and within a bound. Prints how long after
/// connecting they were closed.
///
/// Expects the first example's app (`/send-notification/{email}`) and a header-read timeout of a
/// few seconds in the server's settings (short, for a quick test, but longer than connecting
/// a few hundred clients takes).
pub fn slow_header_clients_are_cut(
    server: &TestServer,
    clients: usize,
    opening: SlowOpening,
    clock: DeadlineClock,
) {
    let timeout = server.settings.header_read_timeout;
    let slow: Vec<(Instant, TcpStream)> = (0..clients)
        .map(|i| {
            let opened = Instant::now();
            let mut stream = TcpStream::connect(server.addr)
                .unwrap_or_else(|e| panic!("slow client {i} of {clients} could not connect: {e}"));
            stream.write_all(opening.bytes()).unwrap();
            (opened, stream)
        })
        .collect();

    let mut client = server.client();
    client.post_ok("/send-notification/ada@example.com", NOTIFICATION_SENT);
    assert!(server.next_report().run().is_success());
    for (i, (opened, stream)) in slow.iter().enumerate() {
        stream.set_nonblocking(true).unwrap();
        let still_open = matches!(
            stream.peek(&mut [0; 1]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock
        );
        assert!(
            still_open,
            "slow client {i} was closed {:?} after it connected, before a normal request was \
             answered: the server is not serving others meanwhile, or the timeout is too short \
             for this machine",
            opened.elapsed()
        );
        stream.set_nonblocking(false).unwrap();
    }

    let mut open_for = Vec::with_capacity(clients);
    for (i, (opened, mut stream)) in slow.into_iter().enumerate() {
        // A failure bound only: the server must close long before.
        stream
            .set_read_timeout(Some(timeout + CLOSE_BOUND))
            .unwrap();
        let mut rest = Vec::new();
        match stream.read_to_end(&mut rest) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            Err(e) => panic!(
                "slow client {i} was not closed within {CLOSE_BOUND:?} of the {timeout:?} \
                 timeout: {e}"
            ),
        }
        open_for.push(opened.elapsed());
        // Whatever the server said before closing (a 408, or nothing), it was no response to a
        // request it never finished reading.
        assert!(
            !rest.starts_with(b"HTTP/1.1 200"),
            "slow client {i} got an answer"
        );
    }
    let first = open_for
        .iter()
        .copied()
        .min()
        .expect("at least one slow client");
    let last = open_for
        .iter()
        .copied()
        .max()
        .expect("at least one slow client");
    println!(
        "{clients} slow-header clients ({opening:?}): each closed {first:?} to {last:?} after it \
         connected, with a header-read timeout of {timeout:?}"
    );
    let earliest = timeout - clock.early_by_at_most();
    assert!(
        first >= earliest,
        "a slow client was closed after {first:?}, before the {timeout:?} timeout (earliest \
         allowed by a {clock:?} clock: {earliest:?})"
    );
}

/// C24 on a hyper example served on `R` (`background_tasks_server::serve`): `clients` connections
/// that stall after `opening` are cut after a header-read timeout of a few seconds, while others
/// are served.
#[cfg(feature = "serve")]
pub fn slow_header_clients_are_cut_on<R: crate::Runtime>(clients: usize, opening: SlowOpening) {
    // Short, for a quick test (the default is 30 s), and longer than connecting the clients takes.
    const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(3);
    let server = crate::client::Served::<R>::tuned(
        |settings| settings.header_read_timeout = HEADER_READ_TIMEOUT,
        crate::send_notification::service,
    );
    slow_header_clients_are_cut(&server, clients, opening, DeadlineClock::Exact);
}

/// How long after the header-read timeout a slow client must have been closed at the latest.
const CLOSE_BOUND: Duration = Duration::from_secs(5);

/// Every example's binary: SIGTERM, what a deploy stops a process with, shuts it down as Ctrl-C
/// does. `binary` (an example's `*_async_cleanup`) is started on a free port; a request's
/// cleanup task is still sleeping when SIGTERM arrives, and the process must let it finish, print
/// the drain summary and exit 0, not die at once (exit 143, the task lost).
#[cfg(unix)]
pub fn sigterm_drains_the_tasks_as_ctrl_c_does(binary: &str) {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::sync::mpsc;

    let dir = std::env::temp_dir().join(format!("background-tasks-sigterm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("log.txt");
    let mut child = Command::new(binary)
        .env("EXAMPLE_ADDR", "127.0.0.1:0")
        .env("EXAMPLE_LOG_FILE", &log)
        // Long enough that the task is asleep when the signal comes, short enough for a test.
        .env("EXAMPLE_CLEANUP_MS", "1500")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {binary}: {error}"));
    let pid = child.id();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let addr: SocketAddr = first
        .strip_prefix("listening on http://")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("{binary} printed {first:?}, not its address"));

    Client::connect(addr).post_ok("/process/report.csv", r#"{"message":"Processing started"}"#);
    let killed = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success(), "kill -TERM {pid}");

    let (done, exited) = mpsc::channel();
    std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut rest);
        let _ = done.send((child.wait(), rest));
    });
    let (status, rest) = exited
        .recv_timeout(TIMEOUT)
        .unwrap_or_else(|_| panic!("{binary} did not exit within {TIMEOUT:?} of SIGTERM"));
    let status = status.unwrap();
    assert!(
        status.success(),
        "{binary} ended with {status} on SIGTERM, not a graceful exit; it printed: {rest}"
    );
    assert!(
        rest.contains("background tasks drained: 1 queued, 1 succeeded"),
        "{binary} printed no drain summary: {rest}"
    );
    assert_eq!(
        std::fs::read_to_string(&log).unwrap_or_default(),
        "Cleaned up report.csv\n",
        "the task that was asleep at the signal ran to its end"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Where the status-page checks mount the page: not the default, to prove the prefix is honoured.
pub const STATUS_PREFIX: &str = "/ops/jobs/";

/// Every example: the status page as its `run` mounts it, under [`STATUS_PREFIX`] (the server's
/// `EXAMPLE_STATUS_PREFIX`), read-only for this loopback client, showing the first example's
/// request with its outcome; nothing answers at the default prefix.
pub fn status_page_is_mounted_under_the_prefix_and_shows_the_requests(server: &TestServer) {
    let mut client = server.client();
    client.post_ok("/send-notification/ada@example.com", NOTIFICATION_SENT);
    assert!(server.next_report().run().is_success());

    let page = client.reply("GET", STATUS_PREFIX);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("app.js"));
    let snapshot = client.reply("GET", &format!("{STATUS_PREFIX}api/snapshot"));
    assert_eq!(snapshot.status, 200);
    for expected in [
        r#""access":"read_only""#,
        r#""path":"/send-notification/ada@example.com""#,
        r#""state":"succeeded""#,
    ] {
        assert!(
            snapshot.body.contains(expected),
            "{expected} in {}",
            snapshot.body
        );
    }
    assert_eq!(
        client.reply("GET", "/_tasks/").status,
        404,
        "only under the prefix"
    );
}
