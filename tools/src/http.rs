//! `http_get`: fetches a URL whose host is on an allow-list; nothing else is reachable.
//!
//! Only `http` and `https`; the host of every URL, redirects included, must match the list
//! (an entry `example.com` allows that host, `.example.com` its subdomains too). Bodies are cut
//! at `max_bytes` with a marker, and a request has a timeout.

use async_trait::async_trait;
use hone_core::{ToolOutput, TypedTool};
use std::sync::Arc;
use std::time::Duration;

/// Arguments of [`HttpGet`].
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct HttpGetArgs {
    /// The URL to fetch (http or https, an allowed host).
    pub url: String,
}

/// The `http_get` tool.
#[derive(Debug, Clone)]
pub struct HttpGet {
    allow: Arc<Vec<String>>,
    client: reqwest::Client,
    max_bytes: usize,
}

fn host_allowed(allow: &[String], host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    allow.iter().any(|a| match a.strip_prefix('.') {
        Some(suffix) => host == suffix || host.ends_with(&format!(".{suffix}")),
        None => host == *a,
    })
}

impl HttpGet {
    /// A fetcher for these hosts only.
    pub fn new<S: Into<String>>(allow: impl IntoIterator<Item = S>) -> anyhow::Result<Self> {
        let allow: Arc<Vec<String>> = Arc::new(
            allow
                .into_iter()
                .map(|s| s.into().to_ascii_lowercase())
                .collect(),
        );
        let a = allow.clone();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                let ok = attempt
                    .url()
                    .host_str()
                    .is_some_and(|h| host_allowed(&a, h))
                    && attempt.previous().len() < 5;
                if ok {
                    attempt.follow()
                } else {
                    let msg = format!("redirect to {} is not allowed", attempt.url());
                    attempt.error(msg)
                }
            }))
            .build()?;
        Ok(Self {
            allow,
            client,
            max_bytes: 100_000,
        })
    }

    pub fn max_bytes(mut self, n: usize) -> Self {
        self.max_bytes = n;
        self
    }

    fn check(&self, url: &str) -> Result<reqwest::Url, String> {
        let u = reqwest::Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
        if !matches!(u.scheme(), "http" | "https") {
            return Err(format!(
                "only http and https URLs are allowed, not {}",
                u.scheme()
            ));
        }
        let host = u.host_str().unwrap_or("");
        if !host_allowed(&self.allow, host) {
            return Err(format!(
                "host `{host}` is not on the allow-list ({})",
                self.allow.join(", ")
            ));
        }
        Ok(u)
    }
}

#[async_trait]
impl TypedTool for HttpGet {
    const NAME: &'static str = "http_get";
    const DESCRIPTION: &'static str =
        "Fetches a web page or file by URL (allowed hosts only) and returns its text.";
    type Args = HttpGetArgs;
    async fn run(&self, a: HttpGetArgs) -> anyhow::Result<ToolOutput> {
        let url = match self.check(&a.url) {
            Ok(u) => u,
            Err(e) => return Ok(ToolOutput::error(e)),
        };
        let mut resp = match self.client.get(url).send().await {
            Ok(r) => r,
            Err(e) => {
                let mut msg = format!("fetching {} failed: {e}", a.url);
                let mut src = std::error::Error::source(&e);
                while let Some(inner) = src {
                    msg.push_str(&format!(": {inner}"));
                    src = inner.source();
                }
                return Ok(ToolOutput::error(msg));
            }
        };
        let status = resp.status();
        let mut body = Vec::new();
        let mut cut = false;
        while let Some(chunk) = resp.chunk().await.unwrap_or(None) {
            let room = self.max_bytes.saturating_sub(body.len());
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                cut = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }
        let mut text = String::from_utf8_lossy(&body).into_owned();
        if cut {
            text.push_str(&format!("\n[… cut at {} bytes]", self.max_bytes));
        }
        let out = format!("HTTP {}\n{text}", status.as_u16());
        Ok(if status.is_success() {
            ToolOutput::ok(out)
        } else {
            ToolOutput::error(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_list_matching() {
        let allow = vec!["example.com".to_string(), ".wiki.org".to_string()];
        assert!(host_allowed(&allow, "example.com"));
        assert!(!host_allowed(&allow, "sub.example.com"));
        assert!(host_allowed(&allow, "en.wiki.org") && host_allowed(&allow, "wiki.org"));
        assert!(!host_allowed(&allow, "evilwiki.org"));
    }
}
