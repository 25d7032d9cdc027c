//! Chromium, launched headless once per process (or connected to by URL), and pages: one
//! browser context per page, so each episode has its own cookies and storage and episodes run
//! side by side in one browser.

use super::cdp::{Cdp, CdpError, Event};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Flags that work offline and as root (Chromium's sandbox needs a user namespace it does not
/// get as root in a container; the episode's isolation is the browser context, and the pages
/// are hone's own sites or an allow-list).
pub const FLAGS: &[&str] = &[
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--mute-audio",
];

/// Time-out of one protocol call that should be instant.
pub const CALL: Duration = Duration::from_secs(10);

/// A running Chromium and one websocket to it.
pub struct Browser {
    /// The process when hone launched it (dropped: the browser exits).
    process: Mutex<Option<headless_chrome::Browser>>,
    cdp: Mutex<Arc<Cdp>>,
    /// Where the browser came from: `None` when hone launched it.
    remote: Option<String>,
}

/// Debian's headless-only build of Chromium (package `chromium-headless-shell`): the binary
/// itself, since the package's `/usr/bin` entry is a shell script that runs it as a child
/// (a process hone could not end by killing the script).
pub const HEADLESS_SHELL: &str = "/usr/lib/chromium/chromium-headless-shell";

/// The browser to launch: `$HONE_CHROMIUM`, else the headless shell when installed, else a
/// full Chromium or Chrome on `PATH`. The headless shell is preferred (as Playwright does for
/// headless runs): on the bundled shop it opened a page in a new context 2–3× faster and ran
/// 1.4–1.8× the steps a second (docs/BENCHMARKS.md, `hone bench web`).
fn find_chromium() -> Option<std::path::PathBuf> {
    if let Ok(p) = std::env::var("HONE_CHROMIUM") {
        return Some(p.into());
    }
    if std::path::Path::new(HEADLESS_SHELL).is_file() {
        return Some(HEADLESS_SHELL.into());
    }
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .find_map(|name| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        })
    })
}

/// A launcher that starts Chromium with a watchdog beside it: a `sh` loop that kills the
/// browser once this process is gone. headless_chrome kills the browser when its handle is
/// dropped, but a hone killed by a signal (or ending through `process::exit` while a task still
/// holds the browser) drops nothing, and Chromium does not die with its parent. The launcher
/// `exec`s Chromium, so the browser keeps the launcher's pid and headless_chrome supervises it
/// as before. Through `setsid` the browser also leads a process group of its own, and the
/// watchdog ends the whole group: a `HONE_CHROMIUM` that is a wrapper script running the real
/// browser as its child (Debian's `/usr/bin/chromium-headless-shell` is one) would otherwise
/// leave that child running. Written to the temp folder for the launch, removed after it.
fn write_launcher(chromium: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let quoted = chromium.to_string_lossy().replace('\'', r"'\''");
    let script = format!(
        "#!/bin/sh\n\
         # hone: Chromium with a watchdog that ends it when hone (pid {owner}) is gone.\n\
         ( while kill -0 {owner} 2>/dev/null && kill -0 $$ 2>/dev/null; do sleep 1; done\n  \
         kill -9 -$$ 2>/dev/null; kill -9 $$ 2>/dev/null ) </dev/null >/dev/null 2>&1 &\n\
         command -v setsid >/dev/null 2>&1 && exec setsid '{quoted}' \"$@\"\n\
         exec '{quoted}' \"$@\"\n",
        owner = std::process::id()
    );
    let path = std::env::temp_dir().join(format!(
        "hone-chromium-{}-{}.sh",
        std::process::id(),
        LAUNCHES.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::write(&path, script)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700))?;
    Ok(path)
}

static LAUNCHES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

async fn launch_process() -> anyhow::Result<(headless_chrome::Browser, String)> {
    let chromium = find_chromium().ok_or_else(|| {
        anyhow::anyhow!(
            "no Chromium found (looked for $HONE_CHROMIUM, {HEADLESS_SHELL}, and chromium, \
             chromium-browser, google-chrome on PATH); on Debian: apt-get install \
             chromium-headless-shell (or chromium)"
        )
    })?;
    let path = write_launcher(&chromium)?;
    let launcher = path.clone();
    let r = tokio::task::spawn_blocking(move || {
        let args: Vec<&std::ffi::OsStr> = FLAGS.iter().map(std::ffi::OsStr::new).collect();
        let opts = headless_chrome::LaunchOptions {
            headless: true,
            sandbox: false,
            path: Some(path.clone()),
            args,
            window_size: Some((1280, 900)),
            idle_browser_timeout: Duration::from_secs(365 * 24 * 3600),
            ..Default::default()
        };
        let b = headless_chrome::Browser::new(opts)
            .map_err(|e| anyhow::anyhow!("starting {}: {e}", chromium.display()))?;
        let url = b.get_ws_url();
        Ok((b, url))
    })
    .await;
    let _ = std::fs::remove_file(&launcher);
    r?
}

impl Browser {
    /// Launches Debian's Chromium headless.
    pub async fn launch() -> anyhow::Result<Arc<Self>> {
        let (process, url) = launch_process().await?;
        let cdp = Cdp::connect(&url).await?;
        Ok(Arc::new(Self {
            process: Mutex::new(Some(process)),
            cdp: Mutex::new(cdp),
            remote: None,
        }))
    }

    /// Connects to a running browser's DevTools websocket (`--cdp ws://…`).
    pub async fn connect(url: &str) -> anyhow::Result<Arc<Self>> {
        Ok(Arc::new(Self {
            process: Mutex::new(None),
            cdp: Mutex::new(Cdp::connect(url).await?),
            remote: Some(url.to_string()),
        }))
    }

    pub fn cdp(&self) -> Arc<Cdp> {
        self.cdp.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether the browser still answers.
    pub async fn alive(&self) -> bool {
        self.cdp()
            .call(
                "Browser.getVersion",
                json!({}),
                None,
                Duration::from_secs(3),
            )
            .await
            .is_ok()
    }

    /// Starts the browser again after it died (a launched one is relaunched; a remote one is
    /// reconnected). Pages of the old browser are gone.
    pub async fn recover(&self) -> anyhow::Result<()> {
        let cdp = match &self.remote {
            Some(url) => Cdp::connect(url).await?,
            None => {
                let old = self
                    .process
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take();
                drop(old);
                let (process, url) = launch_process().await?;
                *self.process.lock().unwrap_or_else(|e| e.into_inner()) = Some(process);
                Cdp::connect(&url).await?
            }
        };
        *self.cdp.lock().unwrap_or_else(|e| e.into_inner()) = cdp;
        tracing::warn!("the browser was restarted");
        Ok(())
    }

    /// The process id of a launched browser (tests kill it to check recovery).
    pub fn pid(&self) -> Option<u32> {
        self.process
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .and_then(|b| b.get_process_id())
    }

    /// A fresh page in its own browser context (own cookies and storage), at `about:blank`.
    pub async fn new_page(self: &Arc<Self>) -> anyhow::Result<Page> {
        let cdp = self.cdp();
        let ctx = cdp
            .call(
                "Target.createBrowserContext",
                json!({"disposeOnDetach": true}),
                None,
                CALL,
            )
            .await?;
        let context = ctx["browserContextId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let t = cdp
            .call(
                "Target.createTarget",
                json!({"url": "about:blank", "browserContextId": context}),
                None,
                CALL,
            )
            .await?;
        let target = t["targetId"].as_str().unwrap_or_default().to_string();
        Page::attach(self.clone(), cdp, context, target, true).await
    }

    /// Another tab in `page`'s browser context (same cookies and storage).
    pub async fn new_tab(self: &Arc<Self>, page: &Page) -> anyhow::Result<Page> {
        let cdp = self.cdp();
        let t = cdp
            .call(
                "Target.createTarget",
                json!({"url": "about:blank", "browserContextId": page.context}),
                None,
                CALL,
            )
            .await?;
        let target = t["targetId"].as_str().unwrap_or_default().to_string();
        Page::attach(self.clone(), cdp, page.context.clone(), target, false).await
    }
}

/// Pages made ahead, each in its own fresh browser context, so an episode's reset does not wait
/// for a context, a target and a session to be created (~3/4 of a naive reset). Taking one
/// starts making the next in the background. A pool that was asked for a start URL makes its
/// next spares already opened on that URL (the last one asked for) and runs the caller's
/// script there once (the environment's observation, which marks element ids and lays the page
/// out): an episode whose task starts there gets a fresh context that has loaded its start page
/// and been observed, the same state a reset makes, made before the reset instead of during
/// it; a spare opened on another URL is not fresh for that task and is discarded. Pages made before a browser
/// recovery are discarded. The pool is held by whoever runs episodes (the harness), not by the
/// [`Browser`], so dropping it disposes of its spare contexts.
pub struct PagePool {
    browser: Arc<Browser>,
    size: usize,
    /// What new spares open first, and the script they run there.
    warm: std::sync::Mutex<Option<(String, String)>>,
    spare: tokio::sync::Mutex<std::collections::VecDeque<tokio::task::JoinHandle<SparePage>>>,
}

/// A spare page and the URL it has opened and the script it ran there, if any.
type SparePage = anyhow::Result<(Page, Option<(String, String)>)>;

/// How long a spare may take to open its URL.
const SPARE_LOAD: Duration = Duration::from_secs(10);

impl PagePool {
    /// A pool keeping `size` pages ready (at least one).
    pub fn new(browser: Arc<Browser>, size: usize) -> Arc<Self> {
        Arc::new(Self {
            browser,
            size: size.max(1),
            warm: Default::default(),
            spare: Default::default(),
        })
    }

    /// A fresh page in its own context that has opened nothing: a spare one if ready and
    /// still usable, else a new one. The pool starts making the next one.
    pub async fn take(&self) -> anyhow::Result<Page> {
        let p = self.take_for(None).await?.0;
        self.refill().await;
        Ok(p)
    }

    /// Starts making spares up to the pool's size, in the background. [`PagePool::take_for`]
    /// leaves this to its caller, so that making the next page (a renderer process) does not
    /// compete with the episode's first observation on a small machine.
    pub async fn refill(&self) {
        let mut spare = self.spare.lock().await;
        let warm = self.warm.lock().unwrap_or_else(|e| e.into_inner()).clone();
        while spare.len() < self.size {
            let (b, warm) = (self.browser.clone(), warm.clone());
            spare.push_back(tokio::spawn(async move {
                let p = b.new_page().await?;
                let Some((url, script)) = warm else {
                    return Ok((p, None));
                };
                // A spare that fails to open its URL or run the script is replaced by a page
                // that has opened nothing.
                match p.goto(&url, SPARE_LOAD).await {
                    Ok(()) if p.eval(&script, SPARE_LOAD).await.is_ok() => {
                        Ok((p, Some((url, script))))
                    }
                    _ => Ok((b.new_page().await?, None)),
                }
            }));
        }
    }

    /// A fresh page in its own context for an episode that starts at `url` and runs `script`
    /// there first (`start`): `(page, true)` if it has already done both (and nothing else),
    /// `(page, false)` if it has opened nothing. With `Some(start)`, the next spares do both.
    /// Call [`PagePool::refill`] once the episode has started.
    pub async fn take_for(&self, start: Option<(&str, &str)>) -> anyhow::Result<(Page, bool)> {
        let start = start.map(|(u, s)| (u.to_string(), s.to_string()));
        if start.is_some() {
            *self.warm.lock().unwrap_or_else(|e| e.into_inner()) = start.clone();
        }
        let mut spare = self.spare.lock().await;
        let mut got = None;
        while let Some(h) = spare.pop_front() {
            if let Ok(Ok((p, opened))) = h.await {
                let usable = !p.crashed() && Arc::ptr_eq(&p.cdp, &self.browser.cdp());
                let fits = opened.is_none() || opened == start;
                if usable && fits {
                    got = Some((p, opened.is_some()));
                    break;
                }
            }
        }
        drop(spare);
        match got {
            Some(p) => Ok(p),
            None => Ok((self.browser.new_page().await?, false)),
        }
    }
}

/// A JavaScript dialog the page opened (dismissed at once).
#[derive(Debug, Clone, PartialEq)]
pub struct Dialog {
    pub kind: String,
    pub message: String,
}

/// One tab in its own browser context.
pub struct Page {
    browser: Arc<Browser>,
    cdp: Arc<Cdp>,
    pub context: String,
    pub target: String,
    pub session: String,
    /// The first tab of an episode disposes of its browser context when dropped (the others
    /// share it).
    owns_context: bool,
    dialogs: Arc<Mutex<Vec<Dialog>>>,
    crashed: Arc<std::sync::atomic::AtomicBool>,
    watcher: tokio::task::JoinHandle<()>,
}

impl Drop for Page {
    fn drop(&mut self) {
        self.watcher.abort();
        // Disposing the context closes its tabs; best effort, without waiting.
        let cdp = self.cdp.clone();
        let (method, params) = if self.owns_context {
            (
                "Target.disposeBrowserContext",
                json!({"browserContextId": self.context}),
            )
        } else {
            ("Target.closeTarget", json!({"targetId": self.target}))
        };
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let _ = cdp.call(method, params, None, CALL).await;
            });
        }
    }
}

impl Page {
    async fn attach(
        browser: Arc<Browser>,
        cdp: Arc<Cdp>,
        context: String,
        target: String,
        owns_context: bool,
    ) -> anyhow::Result<Self> {
        let a = cdp
            .call(
                "Target.attachToTarget",
                json!({"targetId": target, "flatten": true}),
                None,
                CALL,
            )
            .await?;
        let session = a["sessionId"].as_str().unwrap_or_default().to_string();
        let dialogs: Arc<Mutex<Vec<Dialog>>> = Arc::default();
        let crashed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut events = cdp.events();
        let (c2, s2, d2, k2) = (
            cdp.clone(),
            session.clone(),
            dialogs.clone(),
            crashed.clone(),
        );
        let watcher = tokio::spawn(async move {
            loop {
                let ev: Event = match events.recv().await {
                    Ok(e) => e,
                    Err(broadcast_err) => {
                        if matches!(
                            broadcast_err,
                            tokio::sync::broadcast::error::RecvError::Closed
                        ) {
                            break;
                        }
                        continue;
                    }
                };
                if ev.session.as_deref() != Some(s2.as_str()) {
                    continue;
                }
                match ev.method.as_str() {
                    "Page.javascriptDialogOpening" => {
                        d2.lock().unwrap_or_else(|e| e.into_inner()).push(Dialog {
                            kind: ev.params["type"].as_str().unwrap_or("alert").into(),
                            message: ev.params["message"].as_str().unwrap_or("").into(),
                        });
                        let c = c2.clone();
                        let s = s2.clone();
                        tokio::spawn(async move {
                            let _ = c
                                .call(
                                    "Page.handleJavaScriptDialog",
                                    json!({"accept": false}),
                                    Some(&s),
                                    CALL,
                                )
                                .await;
                        });
                    }
                    "Inspector.targetCrashed" => {
                        k2.store(true, std::sync::atomic::Ordering::SeqCst);
                    }
                    _ => {}
                }
            }
        });
        // `DOM.enable` + `Overlay.enable`: with the overlay agent on, the renderer dispatches
        // mouse moves at once instead of holding them for its next frame (Chromium's
        // `MainThreadEventQueue` skips rAF alignment while a debugger needs unbuffered input),
        // so a hover's `Input.dispatchMouseEvent` is acknowledged without waiting up to a frame:
        // hover p50 7.5–9.6 ms against 14–19 ms on the bundled shop (docs/BENCHMARKS.md).
        // Nothing is drawn: no node is highlighted. Handlers and `:hover` still apply before
        // the next observation (tested in envs/tests/web_browser.rs).
        for m in [
            "Page.enable",
            "Runtime.enable",
            "Inspector.enable",
            "DOM.enable",
            "Overlay.enable",
        ] {
            cdp.call(m, json!({}), Some(&session), CALL).await?;
        }
        Ok(Self {
            browser,
            cdp,
            context,
            target,
            session,
            owns_context,
            dialogs,
            crashed,
            watcher,
        })
    }

    pub fn browser(&self) -> &Arc<Browser> {
        &self.browser
    }

    /// A protocol call on this page's session.
    pub async fn call(
        &self,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, CdpError> {
        self.cdp
            .call(method, params, Some(&self.session), timeout)
            .await
    }

    /// Whether the tab crashed (or the browser went away).
    pub fn crashed(&self) -> bool {
        self.crashed.load(std::sync::atomic::Ordering::SeqCst) || self.cdp.is_closed()
    }

    /// Dialogs opened (and dismissed) since the last call.
    pub fn take_dialogs(&self) -> Vec<Dialog> {
        std::mem::take(&mut *self.dialogs.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Evaluates `expression` in the page and returns its value (awaiting a promise). A script
    /// still running at the time-out is terminated.
    pub async fn eval(&self, expression: &str, timeout: Duration) -> anyhow::Result<Value> {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({
                    "expression": expression,
                    "returnByValue": true,
                    "awaitPromise": true,
                    "userGesture": true,
                }),
                timeout,
            )
            .await;
        let r = match r {
            Err(CdpError::Timeout { .. }) => {
                let _ = self
                    .cdp
                    .call(
                        "Runtime.terminateExecution",
                        json!({}),
                        Some(&self.session),
                        CALL,
                    )
                    .await;
                anyhow::bail!(
                    "the page did not answer within {:.1} s (a script kept it busy)",
                    timeout.as_secs_f64()
                )
            }
            other => other?,
        };
        if let Some(ex) = r.get("exceptionDetails") {
            let text = ex["exception"]["description"]
                .as_str()
                .or_else(|| ex["text"].as_str())
                .unwrap_or("an exception");
            anyhow::bail!("script error: {text}");
        }
        Ok(r["result"]["value"].clone())
    }

    /// Navigates and waits until the document has loaded (or `timeout`).
    pub async fn goto(&self, url: &str, timeout: Duration) -> anyhow::Result<()> {
        let events = self.cdp.events();
        let nav = self
            .call("Page.navigate", json!({"url": url}), timeout)
            .await?;
        if let Some(e) = nav.get("errorText").and_then(Value::as_str) {
            anyhow::bail!("could not open {url}: {e}");
        }
        if nav.get("loaderId").is_some() {
            self.wait_stopped(events, timeout).await;
        }
        self.wait_loaded(timeout).await
    }

    /// After an action: if a navigation starts within `grace`, waits (at most `timeout`) until
    /// the frame stops loading. Returns whether one started.
    pub async fn settle(
        &self,
        mut events: tokio::sync::broadcast::Receiver<Event>,
        grace: Duration,
        timeout: Duration,
    ) -> anyhow::Result<bool> {
        let session = self.session.clone();
        let started = tokio::time::timeout(grace, async {
            loop {
                match events.recv().await {
                    Ok(e)
                        if e.session.as_deref() == Some(session.as_str())
                            && matches!(
                                e.method.as_str(),
                                "Page.frameStartedLoading"
                                    | "Page.frameRequestedNavigation"
                                    | "Page.frameNavigated"
                            ) =>
                    {
                        return true
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return false,
                    _ => {}
                }
            }
        })
        .await
        .unwrap_or(false);
        if started {
            self.wait_stopped(events, timeout).await;
            self.wait_loaded(timeout).await?;
        }
        Ok(started)
    }

    /// Waits for this tab's `Page.frameStoppedLoading` (or `loadEventFired`), at most `timeout`.
    async fn wait_stopped(
        &self,
        mut events: tokio::sync::broadcast::Receiver<Event>,
        timeout: Duration,
    ) {
        let session = self.session.clone();
        let _ = tokio::time::timeout(timeout, async {
            loop {
                match events.recv().await {
                    Ok(e)
                        if e.session.as_deref() == Some(session.as_str())
                            && matches!(
                                e.method.as_str(),
                                "Page.frameStoppedLoading" | "Page.loadEventFired"
                            ) =>
                    {
                        return
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                    _ => {}
                }
            }
        })
        .await;
    }

    /// Subscribes to the browser's events (before an action, for [`Page::settle`]).
    pub fn events(&self) -> tokio::sync::broadcast::Receiver<Event> {
        self.cdp.events()
    }

    /// Waits until `document.readyState` is `complete` (polled), at most `timeout`.
    pub async fn wait_loaded(&self, timeout: Duration) -> anyhow::Result<()> {
        let t0 = std::time::Instant::now();
        loop {
            let left = timeout.saturating_sub(t0.elapsed());
            if left.is_zero() {
                anyhow::bail!(
                    "the page did not finish loading within {:.1} s",
                    timeout.as_secs_f64()
                );
            }
            match self
                .eval("document.readyState", left.min(Duration::from_secs(2)))
                .await
            {
                Ok(v) if v == "complete" => return Ok(()),
                Ok(_) => {}
                // A navigation replaces the context mid-call: try again.
                Err(_) if !self.crashed() => {}
                Err(e) => return Err(e),
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// The current URL.
    pub async fn url(&self) -> anyhow::Result<String> {
        Ok(self
            .eval("location.href", CALL)
            .await?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// A PNG screenshot of the viewport.
    pub async fn screenshot(&self) -> anyhow::Result<Vec<u8>> {
        use base64::Engine;
        let r = self
            .call("Page.captureScreenshot", json!({"format": "png"}), CALL)
            .await?;
        Ok(base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().unwrap_or_default())?)
    }
}
