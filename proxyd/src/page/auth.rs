//! `stats auth` (HTTP Basic) and `stats admin if TRUE|LOCALHOST`.

use std::net::IpAddr;

use base64::Engine as _;

use super::http::Response;
use crate::config::{AdminCond, StatsPage};

/// True when the page needs no credentials or the `authorization` header carries one of the
/// configured `user:password` pairs.
pub fn allowed(page: &StatsPage, authorization: Option<&str>) -> bool {
    if page.auth.is_empty() {
        return true;
    }
    let Some(value) = authorization else {
        return false;
    };
    let mut parts = value.splitn(2, ' ');
    let scheme = parts.next().unwrap_or("");
    let token = parts.next().unwrap_or("").trim();
    if !scheme.eq_ignore_ascii_case("basic") {
        return false;
    }
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(token) else {
        return false;
    };
    let Ok(text) = String::from_utf8(raw) else {
        return false;
    };
    let Some((user, pass)) = text.split_once(':') else {
        return false;
    };
    page.auth.iter().any(|(u, p)| u == user && p == pass)
}

/// HAProxy's 401: its error page plus the realm challenge.
pub fn challenge(page: &StatsPage) -> Response {
    Response::haproxy_error(401).header(
        "www-authenticate",
        format!("Basic realm=\"{}\"", page.realm.replace('"', "\\\"")),
    )
}

/// `stats admin`: `if TRUE` always, `if LOCALHOST` for 127.0.0.0/8 and ::1 (HAProxy's
/// predefined `LOCALHOST` ACL).
pub fn admin_allowed(page: &StatsPage, peer: IpAddr) -> bool {
    match page.admin {
        None => false,
        Some(AdminCond::Always) => true,
        Some(AdminCond::Localhost) => match peer {
            IpAddr::V4(v4) => v4.octets()[0] == 127,
            IpAddr::V6(v6) => {
                v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.octets()[0] == 127)
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> StatsPage {
        StatsPage {
            uri: "/stats".into(),
            realm: "Example Stats".into(),
            auth: vec![
                ("admin".into(), "secret".into()),
                ("ro".into(), "x:y".into()),
            ],
            hide_version: false,
            refresh: None,
            show_legends: false,
            show_node: false,
            admin: Some(AdminCond::Localhost),
            prometheus_path: None,
        }
    }

    #[test]
    fn basic_credentials_are_checked_against_every_pair() {
        let p = page();
        assert!(allowed(&p, Some("Basic YWRtaW46c2VjcmV0")));
        // The password may itself hold a colon: only the first one separates.
        assert!(allowed(&p, Some("basic cm86eDp5")));
        assert!(!allowed(&p, Some("Basic YWRtaW46d3Jvbmc=")));
        assert!(!allowed(&p, Some("Bearer abc")));
        assert!(!allowed(&p, Some("Basic !!!")));
        assert!(!allowed(&p, None));
    }

    #[test]
    fn challenge_names_the_realm() {
        let r = challenge(&page());
        assert_eq!(r.status, 401);
        assert!(r
            .headers
            .iter()
            .any(|(n, v)| *n == "www-authenticate" && v == "Basic realm=\"Example Stats\""));
    }

    #[test]
    fn localhost_condition_matches_loopback_only() {
        let p = page();
        assert!(admin_allowed(&p, "127.0.0.2".parse().unwrap()));
        assert!(admin_allowed(&p, "::1".parse().unwrap()));
        assert!(!admin_allowed(&p, "10.0.0.1".parse().unwrap()));
    }
}
