//! A small W3C WebDriver client for the browser tests: starts Debian's `chromedriver` on a free
//! loopback port, opens a headless Chromium session with a fresh profile, and offers the few
//! commands the tests need (navigate, find, click, type, read text, cookies, screenshots).
//!
//! Plain HTTP + JSON over `reqwest`'s blocking client; no WebDriver crate. Everything is torn
//! down by `Drop` (session deleted, chromedriver shut down and killed), also when a test
//! panics — and then a last screenshot is saved as `screenshots/99-failure.png`.

use serde_json::{json, Value};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The key W3C WebDriver uses for element references.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Where test artifacts go: `$GONGKAI_ARTIFACTS`, else `<workspace>/target/ci-artifacts`.
pub fn artifacts_dir() -> PathBuf {
    match std::env::var("GONGKAI_ARTIFACTS") {
        Ok(dir) if !dir.trim().is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .nth(2)
            .expect("workspace root")
            .join("target/ci-artifacts"),
    }
}

/// Whether Chromium and chromedriver are installed. When they are not, prints why the browser
/// tests are skipped and returns false — unless `GONGKAI_REQUIRE_BROWSER=1` (set by CI), then
/// it panics.
pub fn browser_available() -> bool {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|p| !Path::new(p).exists())
        .collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var("GONGKAI_REQUIRE_BROWSER").as_deref() == Ok("1") {
        panic!(
            "GONGKAI_REQUIRE_BROWSER=1 but {} missing (apt-get install chromium chromium-driver)",
            missing.join(" and ")
        );
    }
    eprintln!("browser tests skipped: chromium/chromedriver not installed");
    false
}

/// The path part of a URL (`http://h:p/a/b?c` → `/a/b?c`).
pub fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.find('/').map(|i| &rest[i..]).unwrap_or("/")
}

/// An error answered by chromedriver (or a transport failure).
#[derive(Debug, Clone)]
pub struct WdError {
    /// The W3C error code (`no such element`, `stale element reference`, …) or `transport`.
    pub error: String,
    pub message: String,
}

impl std::fmt::Display for WdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.message)
    }
}

impl std::error::Error for WdError {}

/// A `chromedriver` process on a free loopback port; shut down and killed on drop.
pub struct ChromeDriver {
    pub url: String,
    child: Child,
    http: reqwest::blocking::Client,
}

impl ChromeDriver {
    /// Start chromedriver and wait until it reports ready. Its log goes to `log_path`.
    pub fn start(log_path: &Path) -> ChromeDriver {
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log_path.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {CHROMEDRIVER}: {e}"));
        let http = http_client();
        let mut driver = ChromeDriver {
            url: format!("http://127.0.0.1:{port}"),
            child,
            http,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(resp) = driver.http.get(format!("{}/status", driver.url)).send() {
                if let Ok(v) = resp.json::<Value>() {
                    if v["value"]["ready"] == json!(true) {
                        return driver;
                    }
                }
            }
            if let Ok(Some(status)) = driver.child.try_wait() {
                panic!(
                    "chromedriver exited at start ({status}); see {}",
                    log_path.display()
                );
            }
            if Instant::now() > deadline {
                panic!(
                    "chromedriver not ready after 30 s; see {}",
                    log_path.display()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // Ask politely first (it then closes any browser it still owns), then make sure.
        let _ = self
            .http
            .get(format!("{}/shutdown", self.url))
            .timeout(Duration::from_secs(5))
            .send();
        for _ in 0..20 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn http_client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

/// A headless Chromium session. Field order is drop order: the session is deleted (browser
/// closed) before chromedriver stops, and the profile directory is removed last.
pub struct Browser {
    pub session: Session,
    _driver: ChromeDriver,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Start chromedriver and a headless Chromium with a fresh profile. Screenshots are saved
    /// under `artifacts/screenshots/`, chromedriver's log as `artifacts/chromedriver.log`.
    pub fn start(artifacts: &Path) -> Browser {
        std::fs::create_dir_all(artifacts.join("screenshots")).expect("artifacts dir");
        let driver = ChromeDriver::start(&artifacts.join("chromedriver.log"));
        let profile = tempfile::tempdir().expect("profile dir");
        let args = [
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--lang=zh-CN".into(),
            "--window-size=1366,900".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "pageLoadStrategy": "normal",
                    "timeouts": { "implicit": 0, "pageLoad": 60_000, "script": 30_000 },
                    "goog:chromeOptions": { "binary": CHROMIUM, "args": args }
                }
            }
        });
        let resp = driver
            .http
            .post(format!("{}/session", driver.url))
            .json(&capabilities)
            .send()
            .expect("chromedriver answers new session");
        let value = parse(resp).unwrap_or_else(|e| panic!("new browser session: {e}"));
        let id = value["sessionId"].as_str().expect("session id").to_string();
        let session = Session {
            url: format!("{}/session/{id}", driver.url),
            http: driver.http.clone(),
            screenshots: artifacts.join("screenshots"),
            closed: false,
        };
        Browser {
            session,
            _driver: driver,
            _profile: profile,
        }
    }
}

impl std::ops::Deref for Browser {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.session
    }
}

/// Turn a WebDriver answer into its `value`, or the error it reports.
fn parse(resp: reqwest::blocking::Response) -> Result<Value, WdError> {
    let status = resp.status();
    let body: Value = resp.json().map_err(|e| WdError {
        error: "transport".into(),
        message: format!("unreadable answer ({status}): {e}"),
    })?;
    let value = body.get("value").cloned().unwrap_or(Value::Null);
    if status.is_success() {
        Ok(value)
    } else {
        Err(WdError {
            error: value["error"].as_str().unwrap_or("unknown error").into(),
            message: value["message"].as_str().unwrap_or("").into(),
        })
    }
}

/// One WebDriver session (one browser).
pub struct Session {
    url: String,
    http: reqwest::blocking::Client,
    screenshots: PathBuf,
    closed: bool,
}

impl Session {
    /// Send one command (`path` relative to the session) and return its `value`.
    pub fn cmd(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, WdError> {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().map_err(|e| WdError {
            error: "transport".into(),
            message: e.to_string(),
        })?;
        parse(resp)
    }

    fn get(&self, path: &str) -> Result<Value, WdError> {
        self.cmd(reqwest::Method::GET, path, None)
    }

    fn post(&self, path: &str, body: Value) -> Result<Value, WdError> {
        self.cmd(reqwest::Method::POST, path, Some(body))
    }

    /// Navigate to `url` and wait for the page to load.
    #[track_caller]
    pub fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url }))
            .unwrap_or_else(|e| panic!("navigate to {url}: {e}"));
    }

    /// The address of the current page.
    #[track_caller]
    pub fn current_url(&self) -> String {
        let v = self.get("/url").expect("current url");
        v.as_str().unwrap_or_default().to_string()
    }

    /// The current page's title.
    #[track_caller]
    pub fn title(&self) -> String {
        let v = self.get("/title").expect("title");
        v.as_str().unwrap_or_default().to_string()
    }

    /// Run `script` in the page and return its result.
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value, WdError> {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
    }

    /// The rendered text of the whole page (as a person sees it).
    pub fn try_body_text(&self) -> Result<String, WdError> {
        let v = self.execute(
            "return document.body ? document.body.innerText : '';",
            vec![],
        )?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    #[track_caller]
    pub fn body_text(&self) -> String {
        self.try_body_text().expect("page text")
    }

    fn find_by(&self, using: &str, value: &str) -> Result<Element<'_>, WdError> {
        let v = self.post("/element", json!({ "using": using, "value": value }))?;
        Ok(self.element(&v))
    }

    fn element(&self, v: &Value) -> Element<'_> {
        Element {
            session: self,
            id: v[ELEMENT_KEY]
                .as_str()
                .expect("element reference")
                .to_string(),
        }
    }

    /// The first element matching a CSS selector, or `None`.
    #[track_caller]
    pub fn try_find(&self, css: &str) -> Option<Element<'_>> {
        match self.find_by("css selector", css) {
            Ok(e) => Some(e),
            Err(e) if e.error == "no such element" => None,
            Err(e) => panic!("find {css}: {e}"),
        }
    }

    /// The first element matching a CSS selector (panics when there is none).
    #[track_caller]
    pub fn find(&self, css: &str) -> Element<'_> {
        self.find_by("css selector", css).unwrap_or_else(|e| {
            panic!(
                "find {css}: {e}\n--- page {} ---\n{}",
                self.current_url(),
                self.try_body_text().unwrap_or_default()
            )
        })
    }

    /// The first element matching an XPath expression (panics when there is none).
    #[track_caller]
    pub fn find_xpath(&self, xpath: &str) -> Element<'_> {
        self.find_by("xpath", xpath).unwrap_or_else(|e| {
            panic!(
                "find {xpath}: {e}\n--- page {} ---\n{}",
                self.current_url(),
                self.try_body_text().unwrap_or_default()
            )
        })
    }

    /// Every element matching a CSS selector.
    #[track_caller]
    pub fn find_all(&self, css: &str) -> Vec<Element<'_>> {
        let v = self
            .post(
                "/elements",
                json!({ "using": "css selector", "value": css }),
            )
            .unwrap_or_else(|e| panic!("find all {css}: {e}"));
        v.as_array()
            .map(|a| a.iter().map(|v| self.element(v)).collect())
            .unwrap_or_default()
    }

    /// The first link whose text contains `text`.
    #[track_caller]
    pub fn link(&self, text: &str) -> Element<'_> {
        self.find_by("partial link text", text).unwrap_or_else(|e| {
            panic!(
                "link “{text}”: {e}\n--- page {} ---\n{}",
                self.current_url(),
                self.try_body_text().unwrap_or_default()
            )
        })
    }

    /// Wait until `check` returns `Some` (errors count as "not yet": pages may be reloading).
    #[track_caller]
    pub fn wait_for<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut check: impl FnMut(&Session) -> Result<Option<T>, WdError>,
    ) -> T {
        let deadline = Instant::now() + timeout;
        let mut last = String::new();
        loop {
            match check(self) {
                Ok(Some(v)) => return v,
                Ok(None) => {}
                Err(e) => last = e.to_string(),
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out after {timeout:?} waiting for {what} (last error: {last})\n--- page {} ---\n{}",
                    self.current_url(),
                    self.try_body_text().unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Wait until the page text contains `text`; return the page text.
    #[track_caller]
    pub fn wait_for_text(&self, text: &str, timeout: Duration) -> String {
        self.wait_for(&format!("“{text}”"), timeout, |s| {
            let body = s.try_body_text()?;
            Ok(body.contains(text).then_some(body))
        })
    }

    /// Wait until the browser has loaded a page whose path (with query) satisfies `want`;
    /// return the page text. Use after a click that navigates, so that the old page's text
    /// is never mistaken for the new one's.
    #[track_caller]
    pub fn wait_for_page(
        &self,
        what: &str,
        timeout: Duration,
        want: impl Fn(&str) -> bool,
    ) -> String {
        self.wait_for(&format!("page {what}"), timeout, |s| {
            let url = s.get("/url")?;
            let ready = s.execute("return document.readyState;", vec![])?;
            if ready == json!("complete") && want(path_of(url.as_str().unwrap_or_default())) {
                s.try_body_text().map(Some)
            } else {
                Ok(None)
            }
        })
    }

    /// The browser's cookies for the current page, as `(name, value)`.
    #[track_caller]
    pub fn cookies(&self) -> Vec<(String, String)> {
        let v = self.get("/cookie").expect("cookies");
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|c| {
                        (
                            c["name"].as_str().unwrap_or_default().to_string(),
                            c["value"].as_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The cookies as a `Cookie:` header value.
    #[track_caller]
    pub fn cookie_header(&self) -> String {
        self.cookies()
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// A PNG of the viewport.
    pub fn try_screenshot(&self) -> Result<Vec<u8>, WdError> {
        let v = self.get("/screenshot")?;
        use base64::Engine;
        let text = v.as_str().unwrap_or_default();
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|e| WdError {
                error: "transport".into(),
                message: format!("screenshot is not base64: {e}"),
            })
    }

    /// Save a PNG of the viewport as `screenshots/NAME.png`; returns its path.
    #[track_caller]
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.try_screenshot().expect("screenshot");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "screenshot is a PNG");
        let path = self.screenshots.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        path
    }

    /// Close the browser (also done on drop).
    pub fn close(&mut self) {
        if !self.closed {
            self.closed = true;
            let _ = self.cmd(reqwest::Method::DELETE, "", None);
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if std::thread::panicking() && !self.closed {
            if let Ok(png) = self.try_screenshot() {
                let path = self.screenshots.join("99-failure.png");
                if std::fs::write(&path, png).is_ok() {
                    eprintln!("screenshot at failure: {}", path.display());
                }
            }
        }
        self.close();
    }
}

/// A reference to an element of the current page.
pub struct Element<'a> {
    session: &'a Session,
    id: String,
}

impl Element<'_> {
    fn path(&self, rest: &str) -> String {
        format!("/element/{}{rest}", self.id)
    }

    #[track_caller]
    pub fn click(&self) {
        self.session
            .post(&self.path("/click"), json!({}))
            .unwrap_or_else(|e| panic!("click: {e}"));
    }

    #[track_caller]
    pub fn clear(&self) {
        self.session
            .post(&self.path("/clear"), json!({}))
            .unwrap_or_else(|e| panic!("clear: {e}"));
    }

    /// Type `text` into the element (for a file input: the absolute path of the file).
    #[track_caller]
    pub fn send_keys(&self, text: &str) {
        self.session
            .post(&self.path("/value"), json!({ "text": text }))
            .unwrap_or_else(|e| panic!("type into element: {e}"));
    }

    /// The element's rendered text.
    #[track_caller]
    pub fn text(&self) -> String {
        let v = self
            .session
            .get(&self.path("/text"))
            .unwrap_or_else(|e| panic!("element text: {e}"));
        v.as_str().unwrap_or_default().to_string()
    }

    /// An HTML attribute as written (`None` when absent).
    #[track_caller]
    pub fn attribute(&self, name: &str) -> Option<String> {
        let v = self
            .session
            .get(&self.path(&format!("/attribute/{name}")))
            .unwrap_or_else(|e| panic!("attribute {name}: {e}"));
        v.as_str().map(str::to_string)
    }

    /// A DOM property (e.g. `href`, resolved to an absolute URL).
    #[track_caller]
    pub fn property(&self, name: &str) -> Value {
        self.session
            .get(&self.path(&format!("/property/{name}")))
            .unwrap_or_else(|e| panic!("property {name}: {e}"))
    }

    /// Scroll the element to the middle of the viewport.
    #[track_caller]
    pub fn scroll_into_view(&self) {
        self.session
            .execute(
                "arguments[0].scrollIntoView({block: 'center'});",
                vec![json!({ ELEMENT_KEY: self.id })],
            )
            .unwrap_or_else(|e| panic!("scroll into view: {e}"));
    }

    /// Elements inside this one matching a CSS selector.
    #[track_caller]
    pub fn find_all(&self, css: &str) -> Vec<Element<'_>> {
        let v = self
            .session
            .post(
                &self.path("/elements"),
                json!({ "using": "css selector", "value": css }),
            )
            .unwrap_or_else(|e| panic!("find all {css} inside element: {e}"));
        v.as_array()
            .map(|a| a.iter().map(|v| self.session.element(v)).collect())
            .unwrap_or_default()
    }
}
