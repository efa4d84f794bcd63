//! [`PeerAddr`]: the address of the client a request came from, as a request extension.

use std::net::SocketAddr;

/// The peer address of a request's connection, as a request extension.
///
/// `background_tasks_server::serve` inserts it into every request when told how to read a
/// connection's peer (`Serve::peer_addr`); a server of your own can insert it too. The status
/// page's default access rule reads it (loopback peers may look).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerAddr(pub SocketAddr);
