//! hone's bundled sites, served on loopback by axum: a shop (stands in for WebArena's
//! `__SHOPPING__`) and a forum (`__REDDIT__`, with Postmill's URL shapes: `/f/FORUM/ID/SLUG`).
//! The data is generated from a fixed seed, so every run sees the same catalogue and threads.
//! State that actions change (carts, orders, logins, posts, votes) lives per session: each
//! browser context gets its own session cookie, so concurrent episodes never see each other.

pub mod forum;
pub mod shop;

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// The cookie that names a session.
pub const COOKIE: &str = "hone_session";

/// Sessions of one site: id → state (created from `S::default()` on first use).
pub struct Sessions<S> {
    map: Mutex<HashMap<String, S>>,
    next: Mutex<u64>,
}

impl<S: Default> Default for Sessions<S> {
    fn default() -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            next: Mutex::new(1),
        }
    }
}

impl<S: Default> Sessions<S> {
    /// The session of a request (a new one when it has none), and a `Set-Cookie` value when
    /// it is new.
    pub fn id(&self, headers: &HeaderMap) -> (String, Option<String>) {
        let existing = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == COOKIE)
            .map(|(_, v)| v.to_string());
        if let Some(id) = existing {
            return (id, None);
        }
        let mut n = self.next.lock().unwrap_or_else(|e| e.into_inner());
        let id = format!("s{}-{:x}", *n, std::process::id());
        *n += 1;
        (id.clone(), Some(format!("{COOKIE}={id}; Path=/; HttpOnly")))
    }

    /// Runs `f` on a session's state.
    pub fn with<R>(&self, id: &str, f: impl FnOnce(&mut S) -> R) -> R {
        let mut m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        f(m.entry(id.to_string()).or_default())
    }

    /// Sessions alive (tests).
    pub fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A page response, with the session cookie when new.
pub fn page(html: String, cookie: Option<String>) -> Response {
    let mut r = Html(html).into_response();
    if let Some(c) = cookie {
        if let Ok(v) = HeaderValue::from_str(&c) {
            r.headers_mut().insert(header::SET_COOKIE, v);
        }
    }
    r
}

/// A redirect (303, so a POST becomes a GET), with the session cookie when new.
pub fn redirect(to: &str, cookie: Option<String>) -> Response {
    let mut r = axum::response::Redirect::to(to).into_response();
    if let Some(c) = cookie {
        if let Ok(v) = HeaderValue::from_str(&c) {
            r.headers_mut().insert(header::SET_COOKIE, v);
        }
    }
    r
}

/// HTML-escapes text.
pub fn esc(s: &str) -> String {
    hone_core::report::esc(s)
}

/// The household generator's deterministic RNG serves the sites' data too.
pub use crate::household::gen::Rng;

/// `Some text!` → `some-text`.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// The page shell every site uses.
pub fn shell(site: &str, title: &str, nav: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>{t} | {s}</title>\
         <style>body{{font:15px sans-serif;margin:0}}header{{background:#234;color:#fff;padding:8px 16px}}\
         header a{{color:#fff;margin-right:14px}}main{{padding:16px}}.card{{border:1px solid #ddd;padding:8px;margin:6px 0}}\
         table{{border-collapse:collapse}}td,th{{border:1px solid #ddd;padding:4px 8px}}</style></head>\
         <body><header><nav>{nav}</nav></header><main><h1>{t}</h1>{body}</main></body></html>",
        t = esc(title),
        s = esc(site)
    )
}

/// A running site.
pub struct Served {
    pub url: String,
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `app` on `127.0.0.1:port` (0: any free port).
pub async fn serve(app: axum::Router, port: u16) -> anyhow::Result<Served> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| anyhow::anyhow!("binding 127.0.0.1:{port}: {e}"))?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(Served {
        url: format!("http://{addr}"),
        addr,
        task,
    })
}

/// Both bundled sites, each on its own port; `sites()` maps them to WebArena's placeholders.
pub struct Bundled {
    pub shop: Served,
    pub forum: Served,
    pub shop_state: Arc<shop::Shop>,
    pub forum_state: Arc<forum::Forum>,
}

impl Bundled {
    /// Starts both sites (ports 0: any free ones).
    pub async fn start(shop_port: u16, forum_port: u16) -> anyhow::Result<Self> {
        let shop_state = Arc::new(shop::Shop::new());
        let forum_state = Arc::new(forum::Forum::new());
        Ok(Self {
            shop: serve(shop::router(shop_state.clone()), shop_port).await?,
            forum: serve(forum::router(forum_state.clone()), forum_port).await?,
            shop_state,
            forum_state,
        })
    }

    /// `shopping` → the shop's URL, `reddit` → the forum's.
    pub fn sites(&self) -> super::task::SiteMap {
        [
            ("shopping".to_string(), self.shop.url.clone()),
            ("reddit".to_string(), self.forum.url.clone()),
        ]
        .into_iter()
        .collect()
    }
}
