//! Who may see the page and who may act on it: [`Access`], decided per request by a hook from
//! the request's [`Caller`].

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

/// What a request may do with the status page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Access {
    /// Nothing: every request is answered `403 Forbidden`.
    Deny,
    /// See the page, the JSON and the live stream; no action.
    ReadOnly,
    /// See everything and act: cancel a task that has not started.
    Admin,
}

impl Access {
    /// `"deny"`, `"read_only"` or `"admin"`, as the JSON says it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deny => "deny",
            Self::ReadOnly => "read_only",
            Self::Admin => "admin",
        }
    }

    /// The default rule: read-only for a loopback peer (the app's own machine), denied for any
    /// other peer and when the peer is unknown.
    pub fn loopback_read_only(caller: &Caller<'_>) -> Self {
        match caller.peer() {
            Some(peer) if peer.ip().is_loopback() => Self::ReadOnly,
            _ => Self::Deny,
        }
    }
}

/// What an access hook sees of a request: its method, path, headers and peer address, whatever
/// the framework.
pub struct Caller<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) peer: Option<SocketAddr>,
    pub(crate) headers: &'a dyn Headers,
}

impl<'a> Caller<'a> {
    /// The request's method.
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The request's path, as the page's service saw it (under its mount point).
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The peer address of the request's connection, if the server told.
    pub fn peer(&self) -> Option<SocketAddr> {
        self.peer
    }

    /// The first value of header `name` (case-insensitive), if it is text.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers.get(name)
    }

    /// The value of cookie `name`, if the request sent it.
    pub fn cookie(&self, name: &str) -> Option<&'a str> {
        self.header("cookie")?.split(';').find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name).then_some(value)
        })
    }
}

impl fmt::Debug for Caller<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Caller")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}

/// A request's headers, for [`Caller::header`], whatever the framework's header type.
pub(crate) trait Headers {
    /// The first value of header `name`, if it is text.
    fn get(&self, name: &str) -> Option<&str>;
}

impl Headers for http::HeaderMap {
    fn get(&self, name: &str) -> Option<&str> {
        http::HeaderMap::get(self, name).and_then(|value| value.to_str().ok())
    }
}

/// The hook that decides a request's [`Access`].
pub(crate) type AccessHook = Arc<dyn Fn(&Caller<'_>) -> Access + Send + Sync + 'static>;

#[cfg(test)]
mod tests {
    use super::*;

    fn caller<'a>(peer: Option<&str>, headers: &'a http::HeaderMap) -> Caller<'a> {
        Caller {
            method: "GET",
            path: "/",
            peer: peer.map(|p| p.parse().unwrap()),
            headers,
        }
    }

    #[test]
    fn loopback_reads_and_everyone_else_is_denied() {
        let headers = http::HeaderMap::new();
        let rule = |peer| Access::loopback_read_only(&caller(peer, &headers));
        assert_eq!(rule(Some("127.0.0.1:5000")), Access::ReadOnly);
        assert_eq!(rule(Some("[::1]:5000")), Access::ReadOnly);
        assert_eq!(rule(Some("10.0.0.7:5000")), Access::Deny);
        assert_eq!(rule(None), Access::Deny);
    }

    #[test]
    fn a_hook_reads_headers_and_cookies() {
        let mut headers = http::HeaderMap::new();
        headers.insert("cookie", "theme=dark; session=s3cret".parse().unwrap());
        headers.insert("x-token", "abc".parse().unwrap());
        let caller = caller(None, &headers);
        assert_eq!(caller.cookie("session"), Some("s3cret"));
        assert_eq!(caller.cookie("missing"), None);
        assert_eq!(caller.header("X-Token"), Some("abc"));
    }
}
