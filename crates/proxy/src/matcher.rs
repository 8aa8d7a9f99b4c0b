//! Value matchers used by header and cookie routes (exact, prefix, regex) and
//! the client-address networks of the allow-list.

use std::net::IpAddr;
use std::str::FromStr;

use regex::Regex;

/// How a header or cookie value is compared.
#[derive(Clone, Debug)]
pub(crate) enum ValueMatcher {
    /// The whole value equals this.
    Exact(String),
    /// The value starts with this.
    Prefix(String),
    /// The value matches this expression somewhere.
    Regex(Regex),
}

impl ValueMatcher {
    /// Whether `value` matches.
    pub(crate) fn matches(&self, value: &[u8]) -> bool {
        match self {
            ValueMatcher::Exact(want) => value == want.as_bytes(),
            ValueMatcher::Prefix(want) => value.starts_with(want.as_bytes()),
            ValueMatcher::Regex(re) => std::str::from_utf8(value).is_ok_and(|v| re.is_match(v)),
        }
    }
}

/// An address or network, `10.0.0.7` or `10.0.0.0/8` or `fd00::/8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Whether `ip` is inside this network (IPv4-mapped IPv6 counts as IPv4).
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for IpNet {
    type Err = String;

    fn from_str(s: &str) -> Result<IpNet, String> {
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or network"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?} has a prefix length that is not 0..={max}"))?,
        };
        Ok(IpNet {
            addr: addr.to_canonical(),
            prefix,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::{IpNet, ValueMatcher};

    #[test]
    fn networks_contain_their_addresses_only() {
        let net: IpNet = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains("10.1.2.3".parse().unwrap()));
        assert!(!net.contains("10.2.0.1".parse().unwrap()));
        assert!(net.contains("::ffff:10.1.0.9".parse().unwrap()));
        let one: IpNet = "127.0.0.1".parse().unwrap();
        assert!(one.contains("127.0.0.1".parse().unwrap()));
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        let all: IpNet = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<IpNet>().is_err());
        assert!("nope".parse::<IpNet>().is_err());
    }

    #[test]
    fn matchers_compare_exactly_by_prefix_or_by_regex() {
        assert!(ValueMatcher::Exact("a".into()).matches(b"a"));
        assert!(!ValueMatcher::Exact("a".into()).matches(b"ab"));
        assert!(ValueMatcher::Prefix("be".into()).matches(b"beta"));
        let re = ValueMatcher::Regex(regex::Regex::new("^u[0-9]+$").unwrap());
        assert!(re.matches(b"u42"));
        assert!(!re.matches(b"x42"));
    }
}
