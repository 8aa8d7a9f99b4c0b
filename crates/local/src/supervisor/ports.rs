//! Loopback ports for replicas: the kernel picks a free one (bind to port
//! 0, read it, close), skipping ports the supervisor already gave out. A
//! replica keeps its port across restarts.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, TcpListener};

/// Tries before giving up on finding a port not already given out.
const TRIES: usize = 32;

/// A free loopback port not in `taken`.
pub fn free_port(taken: &BTreeSet<u16>) -> std::io::Result<u16> {
    for _ in 0..TRIES {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
            .local_addr()?
            .port();
        if !taken.contains(&port) {
            return Ok(port);
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AddrInUse,
        "every port the kernel offered is already given to a replica",
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_port_already_given_out_is_not_given_again() {
        let mut taken = BTreeSet::new();
        for _ in 0..20 {
            let p = free_port(&taken).unwrap();
            assert!(taken.insert(p), "port {p} given twice");
        }
    }
}
