//! Reading one cookie out of a request's `Cookie` headers without allocating.

use http::HeaderMap;
use http::header::COOKIE;

/// The value of cookie `name`, if the request carries it.
pub(crate) fn cookie_value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h [u8]> {
    headers.get_all(COOKIE).iter().find_map(|header| {
        header.as_bytes().split(|b| *b == b';').find_map(|pair| {
            let pair = pair.trim_ascii();
            let eq = pair.iter().position(|b| *b == b'=')?;
            (pair[..eq].trim_ascii() == name.as_bytes()).then(|| {
                let v = pair[eq + 1..].trim_ascii();
                v.strip_prefix(b"\"")
                    .and_then(|v| v.strip_suffix(b"\""))
                    .unwrap_or(v)
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, HeaderValue};

    use super::cookie_value;

    #[test]
    fn finds_a_cookie_among_several_headers_and_pairs() {
        let mut h = HeaderMap::new();
        h.append("cookie", HeaderValue::from_static("a=1; b=2"));
        h.append("cookie", HeaderValue::from_static("c=\"3\";d"));
        assert_eq!(cookie_value(&h, "b"), Some(&b"2"[..]));
        assert_eq!(cookie_value(&h, "c"), Some(&b"3"[..]));
        assert_eq!(cookie_value(&h, "d"), None);
        assert_eq!(cookie_value(&h, "ab"), None);
    }
}
