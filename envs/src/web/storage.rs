//! Playwright's storage-state files (WebArena's `storage_state`: the cookies and localStorage of
//! a logged-in session, made by its `auto_login.py`), applied to an episode's browser context
//! over CDP before the start URLs open: cookies with `Storage.setCookies` on the context,
//! localStorage items by a script that runs before the page's own on each new document of the
//! item's origin (once per tab, so the site's later changes stand).
//!
//! The format (Playwright's `BrowserContext.storageState()`): `{"cookies": [{name, value,
//! domain, path, expires (-1: a session cookie), httpOnly, secure, sameSite}], "origins":
//! [{"origin", "localStorage": [{name, value}]}]}`.

use super::browser::{Page, CALL};
use anyhow::Context;
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::Path;

#[derive(Debug, Deserialize)]
pub struct StorageState {
    #[serde(default)]
    pub cookies: Vec<Cookie>,
    #[serde(default)]
    pub origins: Vec<Origin>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cookie {
    pub name: String,
    pub value: String,
    pub domain: String,
    #[serde(default = "root")]
    pub path: String,
    #[serde(default)]
    pub expires: Option<f64>,
    #[serde(default)]
    pub http_only: bool,
    #[serde(default)]
    pub secure: bool,
    #[serde(default)]
    pub same_site: Option<String>,
}

fn root() -> String {
    "/".into()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Origin {
    pub origin: String,
    #[serde(default)]
    pub local_storage: Vec<Item>,
}

#[derive(Debug, Deserialize)]
pub struct Item {
    pub name: String,
    pub value: String,
}

/// Reads a storage-state file; a relative path is taken from `base` (WebArena's paths, such as
/// `./.auth/shopping_state.json`, are relative to the folder it runs in).
pub fn load(path: &str, base: &Path) -> anyhow::Result<StorageState> {
    let p = base.join(path);
    let text = std::fs::read_to_string(&p)
        .with_context(|| format!("reading the task's storage_state {}", p.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a Playwright storage-state file (cookies, origins)",
            p.display()
        )
    })
}

impl StorageState {
    /// Sets the cookies on `page`'s browser context.
    pub async fn apply_cookies(&self, page: &Page) -> anyhow::Result<()> {
        if self.cookies.is_empty() {
            return Ok(());
        }
        let cookies: Vec<Value> = self
            .cookies
            .iter()
            .map(|c| {
                let mut v = json!({"name": c.name, "value": c.value, "domain": c.domain,
                    "path": c.path, "httpOnly": c.http_only, "secure": c.secure});
                if let Some(e) = c.expires.filter(|e| *e > 0.0) {
                    v["expires"] = json!(e);
                }
                if let Some(s) = c.same_site.as_deref().filter(|s| !s.is_empty()) {
                    v["sameSite"] = json!(s);
                }
                v
            })
            .collect();
        page.browser()
            .cdp()
            .call(
                "Storage.setCookies",
                json!({"cookies": cookies, "browserContextId": page.context}),
                None,
                CALL,
            )
            .await
            .context("setting the storage_state's cookies")?;
        Ok(())
    }

    /// Makes `page` fill in the localStorage items of each origin before that origin's first
    /// document in the tab runs its scripts.
    pub async fn apply_local_storage(&self, page: &Page) -> anyhow::Result<()> {
        for o in self.origins.iter().filter(|o| !o.local_storage.is_empty()) {
            let items: Vec<(&str, &str)> = o
                .local_storage
                .iter()
                .map(|i| (i.name.as_str(), i.value.as_str()))
                .collect();
            let source = format!(
                "(() => {{ if (location.origin !== {o} || sessionStorage.getItem('__hone_state')) return; \
                 for (const [k, v] of {items}) localStorage.setItem(k, v); \
                 sessionStorage.setItem('__hone_state', '1'); }})();",
                o = serde_json::to_string(&o.origin)?,
                items = serde_json::to_string(&items)?,
            );
            page.call(
                "Page.addScriptToEvaluateOnNewDocument",
                json!({"source": source}),
                CALL,
            )
            .await
            .context("installing the storage_state's localStorage")?;
        }
        Ok(())
    }
}
