//! The dashboard (`serin-dashboard`) served by the daemon under
//! `/dashboard/` of the admin listener. It reads and acts through the admin
//! API itself, over loopback with the daemon's token, so the page shows and
//! records exactly what `serin status` and the commands do. Its reads need
//! no token (the listener is 127.0.0.1 by default); its actions need the
//! admin token.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use serin_dashboard::{DaemonSource, Dashboard, Options};

/// Where the page is.
pub const PATH: &str = "/dashboard";

/// `app` with the dashboard nested under [`PATH`], reading the admin API
/// bound at `admin` through `http`; stop the returned [`Dashboard`] before a graceful
/// shutdown (its event streams never end by themselves).
pub fn mount(
    app: Router,
    admin: SocketAddr,
    token: &str,
    http: reqwest::Client,
) -> (Router, Dashboard) {
    let ip = match admin.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let source = DaemonSource::new(&SocketAddr::new(ip, admin.port()).to_string(), token, http);
    let (page, dashboard) = serin_dashboard::start(source, Options::new(token));
    let app = app
        .route(PATH, get(|| async { Redirect::permanent("/dashboard/") }))
        .nest(&format!("{PATH}/"), page);
    (app, dashboard)
}
