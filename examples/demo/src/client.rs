//! The demo's HTTP/1.1 client: one request over `std::net::TcpStream`, written by hand.
//!
//! It polls its socket in a loop instead of sleeping in `read` until the OS wakes it, so the time
//! it records is when the response's bytes arrived, not when its thread was next scheduled.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Instant;

use crate::TIMEOUT;
use crate::timeline::{Event, Timeline};

/// Sends `POST target` to `addr`, reads the whole response, and records its arrival on
/// `timeline`, whose clock starts just before the request is written.
pub(crate) fn post(addr: SocketAddr, target: &str, timeline: &Timeline) -> io::Result<()> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    let request = format!("POST {target} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\n\r\n");
    timeline.start();
    stream.write_all(request.as_bytes())?;

    stream.set_nonblocking(true)?;
    let deadline = Instant::now() + TIMEOUT;
    let mut received = Vec::new();
    let mut buf = [0; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                if Instant::now() > deadline {
                    return Err(io::ErrorKind::TimedOut.into());
                }
                std::hint::spin_loop();
                continue;
            }
            Err(error) => return Err(error),
        }
        if let Some((status, body)) = parse(&received)? {
            timeline.record(Event::Response {
                at: timeline.now(),
                status,
                body,
            });
            return Ok(());
        }
    }
}

/// The status and body of a complete response with a `Content-Length`; `None` while incomplete.
fn parse(received: &[u8]) -> io::Result<Option<(u16, String)>> {
    let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&received[..end]).map_err(|_| invalid("a non-UTF-8 head"))?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|status| status.parse().ok())
        .ok_or_else(|| invalid("no status line"))?;
    let length: usize = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .ok_or_else(|| invalid("no content-length"))?;
    let body = &received[end + 4..];
    Ok((body.len() >= length).then(|| {
        (
            status,
            String::from_utf8_lossy(&body[..length]).into_owned(),
        )
    }))
}
