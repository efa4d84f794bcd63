//! [`Client`]: a blocking HTTP/1.1 client written by hand over `std::net::TcpStream`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};

use socket2::{Domain, Socket, Type};

use crate::http::WAIT_LIMIT;
use crate::http::harness::RECEIVE_BUFFER;

/// A blocking HTTP/1.1 client over one keep-alive connection.
///
/// Written by hand, rather than taken from a crate, so that a check controls every byte: it can
/// stop reading half-way through a body, read it in pieces, or hang up mid-response, and it
/// depends on no runtime. Every read fails after [`WAIT_LIMIT`] instead of hanging.
///
/// # Examples
///
/// ```no_run
/// use background_tasks_conformance::http::Client;
///
/// # let addr = "127.0.0.1:3000".parse().unwrap();
/// let mut client = Client::connect(addr);
/// let (head, body) = client.request("GET", "/hello");
/// assert_eq!(head.status, 200);
/// assert_eq!(body, b"hello");
/// ```
#[derive(Debug)]
pub struct Client {
    reader: BufReader<TcpStream>,
}

impl Client {
    /// Connects to `addr`.
    ///
    /// # Panics
    ///
    /// If the connection fails.
    pub fn connect(addr: SocketAddr) -> Self {
        Self::from_stream(TcpStream::connect(addr).expect("connecting to the server"))
    }

    /// This end's address: what the server sees as its peer.
    ///
    /// # Panics
    ///
    /// If the socket has no address (it is closed).
    pub fn local_addr(&self) -> SocketAddr {
        self.reader
            .get_ref()
            .local_addr()
            .expect("reading the client's own address")
    }

    /// Connects to `addr` with a small receive buffer (so a small TCP window): when this client
    /// stops reading, the server can send only a few dozen KiB more before its writes block.
    ///
    /// # Panics
    ///
    /// If the connection fails.
    pub fn connect_small_window(addr: SocketAddr) -> Self {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)
            .expect("creating a TCP socket");
        // Before `connect`: the window is negotiated in the handshake.
        socket
            .set_recv_buffer_size(RECEIVE_BUFFER)
            .expect("setting the receive buffer size");
        socket
            .connect(&addr.into())
            .expect("connecting to the server");
        Self::from_stream(socket.into())
    }

    fn from_stream(stream: TcpStream) -> Self {
        stream
            .set_read_timeout(Some(WAIT_LIMIT))
            .expect("setting a read timeout");
        stream.set_nodelay(true).expect("disabling Nagle");
        Self {
            reader: BufReader::new(stream),
        }
    }

    /// Sends a request without a body.
    ///
    /// # Panics
    ///
    /// If the write fails.
    pub fn send(&mut self, method: &str, target: &str) {
        self.send_with_headers(method, target, &[]);
    }

    /// Sends a request without a body, with extra `headers` (`("accept-encoding", "gzip")`).
    ///
    /// # Panics
    ///
    /// If the write fails.
    pub fn send_with_headers(&mut self, method: &str, target: &str, headers: &[(&str, &str)]) {
        let mut request = format!("{method} {target} HTTP/1.1\r\nHost: conformance\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("Content-Length: 0\r\n\r\n");
        self.reader
            .get_mut()
            .write_all(request.as_bytes())
            .expect("sending a request");
    }

    /// Reads whatever the server sends until it closes the connection.
    ///
    /// # Panics
    ///
    /// If the connection fails, or after [`WAIT_LIMIT`] without progress.
    pub fn read_to_close(&mut self) -> Vec<u8> {
        let mut rest = Vec::new();
        self.reader
            .read_to_end(&mut rest)
            .unwrap_or_else(|e| panic!("reading until the server closes: {e}"));
        rest
    }

    /// Reads a response's status line and headers.
    ///
    /// # Panics
    ///
    /// If the connection fails or closes, or after [`WAIT_LIMIT`].
    pub fn read_head(&mut self) -> Head {
        let status_line = self.read_line();
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not a status line: {status_line:?}"));
        let mut headers = HashMap::new();
        loop {
            let line = self.read_line();
            if line.is_empty() {
                return Head { status, headers };
            }
            let (name, value) = line
                .split_once(':')
                .unwrap_or_else(|| panic!("not a header: {line:?}"));
            headers.insert(name.to_ascii_lowercase(), value.trim().to_owned());
        }
    }

    /// Reads exactly `n` bytes of a body.
    ///
    /// # Panics
    ///
    /// If the connection fails or closes first, or after [`WAIT_LIMIT`] without progress.
    pub fn read_bytes(&mut self, n: usize) -> Vec<u8> {
        let mut buf = vec![0; n];
        self.reader
            .read_exact(&mut buf)
            .unwrap_or_else(|e| panic!("reading {n} bytes of the body: {e}"));
        buf
    }

    /// Reads and drops `n` bytes of a body, without holding them all in memory.
    ///
    /// # Panics
    ///
    /// As [`read_bytes`](Self::read_bytes).
    pub fn skip_bytes(&mut self, mut n: usize) {
        let mut buf = [0; 64 * 1024];
        while n > 0 {
            let len = n.min(buf.len());
            self.reader
                .read_exact(&mut buf[..len])
                .unwrap_or_else(|e| panic!("reading the body ({n} bytes left): {e}"));
            n -= len;
        }
    }

    /// Reads the body that follows `head`: none for `HEAD`, `204` and `304`, else by its
    /// `Content-Length` or its chunked encoding.
    ///
    /// # Panics
    ///
    /// If the body is malformed or the connection fails.
    pub fn read_body(&mut self, method: &str, head: &Head) -> Vec<u8> {
        if method == "HEAD" || head.status == 204 || head.status == 304 {
            return Vec::new();
        }
        if let Some(length) = head.header("content-length") {
            return self.read_bytes(length.parse().expect("a numeric Content-Length"));
        }
        assert_eq!(
            head.header("transfer-encoding"),
            Some("chunked"),
            "a body without a length must be chunked: {head:?}"
        );
        let mut body = Vec::new();
        loop {
            let chunk = self.read_chunk();
            if chunk.is_empty() {
                return body;
            }
            body.extend(chunk);
        }
    }

    /// Reads one chunk of a chunked body and returns its data (empty for the last chunk).
    ///
    /// # Panics
    ///
    /// If the chunk is malformed or the connection fails.
    pub fn read_chunk(&mut self) -> Vec<u8> {
        let size_line = self.read_line();
        let size = usize::from_str_radix(&size_line, 16)
            .unwrap_or_else(|_| panic!("not a chunk size: {size_line:?}"));
        let data = self.read_bytes(size);
        assert_eq!(self.read_line(), "", "a chunk must end with CRLF");
        data
    }

    /// Sends a request without a body and reads the whole response.
    ///
    /// # Panics
    ///
    /// As [`send`](Self::send), [`read_head`](Self::read_head) and
    /// [`read_body`](Self::read_body).
    pub fn request(&mut self, method: &str, target: &str) -> (Head, Vec<u8>) {
        self.send(method, target);
        let head = self.read_head();
        let body = self.read_body(method, &head);
        (head, body)
    }

    /// One line, without its CRLF.
    fn read_line(&mut self) -> String {
        let mut line = String::new();
        let read = self
            .reader
            .read_line(&mut line)
            .unwrap_or_else(|e| panic!("reading the response: {e}"));
        assert!(read > 0, "the server closed the connection");
        line.truncate(line.trim_end_matches(['\r', '\n']).len());
        line
    }
}

/// A response's status and headers, as [`Client::read_head`] read them.
#[derive(Debug, Clone)]
pub struct Head {
    /// The status code.
    pub status: u16,
    /// The headers, names in lower case.
    pub headers: HashMap<String, String>,
}

impl Head {
    /// The value of header `name` (lower case), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}
