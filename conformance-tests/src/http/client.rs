//! [`Client`]: a blocking HTTP/1.1 client written by hand over `std::net::TcpStream`.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
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
/// Its methods panic on anything unexpected, which is what a check wants; a check that expects
/// the server to go away uses [`try_connect`](Self::try_connect) and
/// [`try_request`](Self::try_request), which return it as an error.
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
        Self::try_connect(addr).expect("connecting to the server")
    }

    /// As [`connect`](Self::connect), returning the error of a server that is not there (or no
    /// longer is) instead of panicking.
    ///
    /// # Errors
    ///
    /// The connection's error, or the socket's when setting its read timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// use background_tasks_conformance::http::Client;
    ///
    /// // A port nothing listens on: bound, then closed.
    /// let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    /// assert!(Client::try_connect(addr).is_err());
    /// ```
    pub fn try_connect(addr: SocketAddr) -> io::Result<Self> {
        Self::from_stream(TcpStream::connect(addr)?)
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
        Self::from_stream(socket.into()).expect("setting up the connection")
    }

    /// The client over `stream`, whose reads fail after [`WAIT_LIMIT`].
    fn from_stream(stream: TcpStream) -> io::Result<Self> {
        stream.set_read_timeout(Some(WAIT_LIMIT))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            reader: BufReader::new(stream),
        })
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
        self.try_send(method, target, headers)
            .expect("sending a request");
    }

    fn try_send(&mut self, method: &str, target: &str, headers: &[(&str, &str)]) -> io::Result<()> {
        let mut request = format!("{method} {target} HTTP/1.1\r\nHost: conformance\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("Content-Length: 0\r\n\r\n");
        self.reader.get_mut().write_all(request.as_bytes())
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
        self.try_read_head()
            .unwrap_or_else(|e| panic!("reading the response: {e}"))
    }

    fn try_read_head(&mut self) -> io::Result<Head> {
        let status_line = self.try_read_line()?;
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| invalid(format!("not a status line: {status_line:?}")))?;
        let mut headers = HashMap::new();
        loop {
            let line = self.try_read_line()?;
            if line.is_empty() {
                return Ok(Head { status, headers });
            }
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| invalid(format!("not a header: {line:?}")))?;
            headers.insert(name.to_ascii_lowercase(), value.trim().to_owned());
        }
    }

    /// Reads exactly `n` bytes of a body.
    ///
    /// # Panics
    ///
    /// If the connection fails or closes first, or after [`WAIT_LIMIT`] without progress.
    pub fn read_bytes(&mut self, n: usize) -> Vec<u8> {
        self.try_read_bytes(n)
            .unwrap_or_else(|e| panic!("reading {n} bytes of the body: {e}"))
    }

    fn try_read_bytes(&mut self, n: usize) -> io::Result<Vec<u8>> {
        let mut buf = vec![0; n];
        self.reader.read_exact(&mut buf)?;
        Ok(buf)
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
        self.try_read_body(method, head)
            .unwrap_or_else(|e| panic!("reading the body: {e}"))
    }

    fn try_read_body(&mut self, method: &str, head: &Head) -> io::Result<Vec<u8>> {
        if method == "HEAD" || head.status == 204 || head.status == 304 {
            return Ok(Vec::new());
        }
        if let Some(length) = head.header("content-length") {
            let length = length
                .parse()
                .map_err(|_| invalid(format!("not a numeric Content-Length: {length:?}")))?;
            return self.try_read_bytes(length);
        }
        if head.header("transfer-encoding") != Some("chunked") {
            return Err(invalid(format!(
                "a body without a length must be chunked: {head:?}"
            )));
        }
        let mut body = Vec::new();
        loop {
            let chunk = self.try_read_chunk()?;
            if chunk.is_empty() {
                return Ok(body);
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
        self.try_read_chunk()
            .unwrap_or_else(|e| panic!("reading a chunk: {e}"))
    }

    fn try_read_chunk(&mut self) -> io::Result<Vec<u8>> {
        let size_line = self.try_read_line()?;
        let size = usize::from_str_radix(&size_line, 16)
            .map_err(|_| invalid(format!("not a chunk size: {size_line:?}")))?;
        let data = self.try_read_bytes(size)?;
        let end = self.try_read_line()?;
        if !end.is_empty() {
            return Err(invalid(format!("a chunk must end with CRLF, not {end:?}")));
        }
        Ok(data)
    }

    /// Sends a request without a body and reads the whole response.
    ///
    /// # Panics
    ///
    /// As [`send`](Self::send), [`read_head`](Self::read_head) and
    /// [`read_body`](Self::read_body).
    pub fn request(&mut self, method: &str, target: &str) -> (Head, Vec<u8>) {
        self.try_request(method, target)
            .unwrap_or_else(|e| panic!("{method} {target}: {e}"))
    }

    /// As [`request`](Self::request), for a check that expects the server to go away: a refused
    /// or reset connection, a server that closed it before the whole response, a malformed
    /// response or a read that waited [`WAIT_LIMIT`] is returned as an error instead of a panic.
    ///
    /// # Errors
    ///
    /// The connection's error; [`ErrorKind::UnexpectedEof`] when the server closed the connection
    /// before the whole response; [`ErrorKind::InvalidData`] when the response is malformed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use background_tasks_conformance::http::Client;
    ///
    /// // A server that accepts one connection and closes it without answering.
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let mut client = Client::connect(listener.local_addr().unwrap());
    /// drop(listener.accept().unwrap());
    /// let error = client.try_request("GET", "/").unwrap_err();
    /// assert!(matches!(error.kind(), ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset));
    /// ```
    pub fn try_request(&mut self, method: &str, target: &str) -> io::Result<(Head, Vec<u8>)> {
        self.try_send(method, target, &[])?;
        let head = self.try_read_head()?;
        let body = self.try_read_body(method, &head)?;
        Ok((head, body))
    }

    /// One line, without its CRLF; [`ErrorKind::UnexpectedEof`] if the server closed the
    /// connection first.
    fn try_read_line(&mut self) -> io::Result<String> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ));
        }
        line.truncate(line.trim_end_matches(['\r', '\n']).len());
        Ok(line)
    }
}

/// A malformed response, as an error.
fn invalid(what: String) -> io::Error {
    io::Error::new(ErrorKind::InvalidData, what)
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
