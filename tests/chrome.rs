//! Headless Chromium (Debian's package) driven over WebDriver by chromedriver, for the tests that
//! use the real built page.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// How long the page may take to show something before a test fails.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// A chromedriver process and a Chromium session; both end when dropped (after `close`).
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    driver: Child,
    profile: tempfile::TempDir,
}

fn find(env: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Some(PathBuf::from(p));
    }
    candidates.iter().map(PathBuf::from).find(|p| p.is_file())
}

/// Whether the browser tests must run (CI sets this; elsewhere they skip without Chromium).
pub fn required() -> bool {
    std::env::var_os("OCELLUS_REQUIRE_BROWSER").is_some()
}

impl Browser {
    /// Starts chromedriver and headless Chromium, or says why it cannot.
    pub async fn start() -> Result<Browser, String> {
        Self::start_with(&[]).await
    }

    /// [`Browser::start`] with more Chromium flags (a fake camera, say).
    pub async fn start_with(extra: &[String]) -> Result<Browser, String> {
        let driver_bin = find("CHROMEDRIVER", &["/usr/bin/chromedriver"]).ok_or("no chromedriver (apt install chromium-driver)")?;
        let chrome_bin = find("CHROME_BIN", &["/usr/bin/chromium"]).ok_or("no Chromium (apt install chromium)")?;
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
        let driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{}: {e}", driver_bin.display()))?;
        let profile = tempfile::tempdir().map_err(|e| e.to_string())?;
        // The flags that keep Chromium quiet on a machine whose network is closed.
        let args = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", "--window-size=1100,1000",
        ];
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.extend(extra.iter().cloned());
        // Downloads land in the profile's folder, where a test can read them.
        let downloads = profile.path().join("downloads");
        std::fs::create_dir_all(&downloads).map_err(|e| e.to_string())?;
        let prefs = json!({ "download.default_directory": downloads, "download.prompt_for_download": false });
        let caps = json!({ "goog:chromeOptions": { "binary": chrome_bin, "args": args, "prefs": prefs } });
        let caps = caps.as_object().cloned().expect("an object");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut driver = driver;
        // chromedriver takes a moment to listen: retry until it answers.
        loop {
            match connect(&url, caps.clone()).await {
                Ok(client) => return Ok(Browser { client, driver, profile }),
                Err(e) if Instant::now() > deadline => {
                    let _ = driver.kill();
                    return Err(format!("chromedriver did not start a session: {e}"));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }

    /// Waits for an element matching `css`.
    pub async fn wait_for(&self, css: &str) -> Element {
        let found = self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(e) => e,
            Err(e) => panic!("the page never showed {css}: {e}\n{}", self.state_for_failure(css).await),
        }
    }

    /// What a failed wait leaves for the reader: the page's text (where it says what went
    /// wrong: a model that failed, an answer still "Working") and a screenshot.
    async fn state_for_failure(&self, css: &str) -> String {
        let text = match self.client.execute("return document.body ? document.body.innerText : ''", vec![]).await {
            Ok(v) => v.as_str().unwrap_or_default().to_owned(),
            Err(e) => format!("(the page's text could not be read: {e})"),
        };
        let name: String = css.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
        let shot = match self.client.screenshot().await {
            Ok(png) => {
                let path = crate::repo_root().join("target/e2e").join(format!("timeout-{name}.png"));
                let saved = std::fs::create_dir_all(path.parent().unwrap()).and_then(|_| std::fs::write(&path, png));
                saved.map(|_| path.display().to_string()).unwrap_or_else(|e| format!("(screenshot not saved: {e})"))
            }
            Err(e) => format!("(no screenshot: {e})"),
        };
        format!("the page's text then:\n{text}\nscreenshot: {shot}")
    }

    /// The text of every element matching `css`.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for e in self.client.find_all(Locator::Css(css)).await.unwrap() {
            out.push(e.text().await.unwrap());
        }
        out
    }

    /// Gives a file to the file input matching `css`, as a person picking it would.
    pub async fn upload(&self, css: &str, path: &std::path::Path) {
        let input = self.wait_for(css).await;
        input.send_keys(&path.display().to_string()).await.unwrap_or_else(|e| panic!("uploading {}: {e}", path.display()));
    }

    /// Saves a screenshot of the page as a test artifact under `target/e2e/`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.unwrap();
        let dir = crate::repo_root().join("target/e2e");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Waits for the page to save a download named `name`, and returns its bytes.
    pub async fn downloaded(&self, name: &str) -> Vec<u8> {
        let path = self.profile.path().join("downloads").join(name);
        let deadline = Instant::now() + PATIENCE;
        loop {
            // Chromium writes `NAME.crdownload` first and renames it when complete.
            if let Ok(bytes) = std::fs::read(&path) {
                if !bytes.is_empty() {
                    return bytes;
                }
            }
            assert!(Instant::now() < deadline, "the page never saved {name}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Ends the session and chromedriver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    /// A test that panicked never called `close`: end chromedriver and the Chromium it started
    /// (found by this session's own profile folder), so they do not run on and slow later tests.
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let profile = format!("--user-data-dir={}", self.profile.path().display());
        let _ = Command::new("pkill").args(["-f", "--", &profile]).stdout(Stdio::null()).stderr(Stdio::null()).status();
    }
}

async fn connect(url: &str, caps: serde_json::Map<String, serde_json::Value>) -> Result<Client, String> {
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector).capabilities(caps).connect(url).await.map_err(|e| e.to_string())
}

/// The built page (`OCELLUS_SITE`), or `None` (after saying why) when this run has none to test.
pub fn site_or_skip(test: &str) -> Option<PathBuf> {
    match std::env::var_os("OCELLUS_SITE") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            assert!(dir.join("index.html").is_file() && dir.join("worker.js").is_file(), "{} is not a built page", dir.display());
            Some(dir)
        }
        None if required() => panic!("OCELLUS_SITE is not set: run `cargo xtask test`, which builds the page first"),
        None => {
            eprintln!("skipping {test}: OCELLUS_SITE is not set (`cargo xtask test` builds the page and sets it)");
            None
        }
    }
}

/// A browser session, or `None` (after saying why) when Chromium is missing and not required.
pub async fn browser_or_skip(test: &str) -> Option<Browser> {
    browser_with_or_skip(test, &[]).await
}

/// [`browser_or_skip`] with more Chromium flags.
pub async fn browser_with_or_skip(test: &str, extra: &[String]) -> Option<Browser> {
    match Browser::start_with(extra).await {
        Ok(b) => Some(b),
        Err(e) if !required() => {
            eprintln!("skipping {test}: {e}");
            None
        }
        Err(e) => panic!("{e}"),
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    /// How many processes have `needle` in their command line.
    fn running_with(needle: &str) -> usize {
        let Ok(dir) = std::fs::read_dir("/proc") else { return 0 };
        dir.filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
            .filter(|cmd| String::from_utf8_lossy(cmd).replace('\0', " ").contains(needle))
            .count()
    }

    #[tokio::test]
    async fn a_browser_dropped_without_close_leaves_no_chromium_running() {
        let Some(browser) = super::browser_or_skip("a_browser_dropped_without_close_leaves_no_chromium_running").await else { return };
        let flag = format!("--user-data-dir={}", browser.profile.path().display());
        assert!(running_with(&flag) > 0, "no Chromium runs with {flag}");
        // What a panicking test does: the browser is dropped, never closed.
        drop(browser);
        let deadline = Instant::now() + Duration::from_secs(10);
        while running_with(&flag) > 0 {
            assert!(Instant::now() < deadline, "Chromium with {flag} still runs after its Browser was dropped");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
