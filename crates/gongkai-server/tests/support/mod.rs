//! Test support: a real server on a free loopback port over a throwaway database (a SQLite file
//! in a temp dir, or a fresh PostgreSQL database created for the test and dropped after), and
//! an HTTP client that logs in like a browser.

#![allow(dead_code)]

pub mod webdriver;

use gongkai_server::{AppState, Config};
use gongkai_store::{Role, Store};
use std::sync::Arc;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL admin URL for tests, or `None` (and a message) when not configured. With
/// `GONGKAI_REQUIRE_POSTGRES=1` (set by CI) a missing URL fails the test instead.
pub fn postgres_url() -> Option<String> {
    match std::env::var("GONGKAI_TEST_POSTGRES") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            if std::env::var("GONGKAI_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("GONGKAI_REQUIRE_POSTGRES=1 but GONGKAI_TEST_POSTGRES is not set");
            }
            eprintln!("PostgreSQL tests skipped: GONGKAI_TEST_POSTGRES not set");
            None
        }
    }
}

/// A throwaway database; dropped (PostgreSQL) or deleted (SQLite) with this value.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_admin: Option<(String, String)>,
}

impl TestDb {
    pub fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = dir.path().join("test.db").display().to_string();
                Some(TestDb {
                    url,
                    _dir: Some(dir),
                    pg_admin: None,
                })
            }
            Backend::Postgres => {
                let admin = postgres_url()?;
                let name = format!(
                    "gk_server_{}_{}",
                    std::process::id(),
                    &gongkai_server::auth::random_token().unwrap()[..12]
                );
                let mut client = postgres::Client::connect(&admin, postgres::NoTls)
                    .expect("connect to admin DB");
                client
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create test database");
                let url = match admin.rsplit_once('/') {
                    Some((base, _)) => format!("{base}/{name}"),
                    None => panic!("GONGKAI_TEST_POSTGRES must end in /database"),
                };
                Some(TestDb {
                    url,
                    _dir: None,
                    pg_admin: Some((admin, name)),
                })
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg_admin {
            if let Ok(mut client) = postgres::Client::connect(admin, postgres::NoTls) {
                let _ =
                    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

pub const PASSWORD: &str = "correct-horse-battery";

/// A running server with one user of each role (`admin`, `supervisor`, `viewer`, password
/// [`PASSWORD`]).
pub struct TestServer {
    pub base: String,
    pub store: Arc<dyn Store>,
    pub db: TestDb,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    pub fn start(backend: Backend, config: Config) -> Option<TestServer> {
        let db = TestDb::new(backend)?;
        let store: Arc<dyn Store> = Arc::from(gongkai_store::open(&db.url).expect("open store"));
        // Cheap hashes would be tempting here; the real ones keep the test honest.
        let hash = gongkai_server::auth::hash_password(PASSWORD).unwrap();
        for (name, role) in [
            ("admin", Role::Admin),
            ("supervisor", Role::Supervisor),
            ("viewer", Role::Viewer),
        ] {
            store.create_user(name, name, &hash, role).unwrap();
        }
        let state = AppState::new(store.clone(), config);
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                gongkai_server::serve_on(state, listener, async {
                    let _ = stop_rx.await;
                })
                .await
                .unwrap();
            });
        });
        let addr = addr_rx.recv().expect("server address");
        Some(TestServer {
            base: format!("http://{addr}"),
            store,
            db,
            shutdown: Some(stop_tx),
            thread: Some(thread),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A client with a cookie jar that does not follow redirects (tests look at them).
    pub fn client(&self) -> reqwest::blocking::Client {
        reqwest::blocking::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .unwrap()
    }

    /// A client logged in as `username`.
    pub fn login(&self, username: &str) -> reqwest::blocking::Client {
        let client = self.client();
        let page = client
            .get(self.url("/login"))
            .send()
            .unwrap()
            .text()
            .unwrap();
        let csrf = hidden_field(&page, "csrf").expect("login form has a csrf field");
        let resp = client
            .post(self.url("/login"))
            .form(&[
                ("username", username),
                ("password", PASSWORD),
                ("csrf", csrf.as_str()),
                ("next", "/"),
            ])
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 303, "login as {username}");
        client
    }

    /// The CSRF token of the logged-in client's session, read from a page's form.
    pub fn csrf(&self, client: &reqwest::blocking::Client) -> String {
        let page = client
            .get(self.url("/reports"))
            .send()
            .unwrap()
            .text()
            .unwrap();
        hidden_field(&page, "csrf").expect("pages carry the session's csrf token")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The value of the first `<input type="hidden" name=NAME value=…>` in a page.
pub fn hidden_field(page: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker)? + marker.len();
    let end = page[start..].find('"')? + start;
    Some(page[start..end].to_string())
}

/// The team's synthetic sample reports (in the repository).
pub fn sample(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../samples")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A ZIP archive of `(name, bytes)` entries.
pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            zip.start_file(*name, options).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap();
    }
    buf.into_inner()
}

/// Wait until the batch at `location` (`/batches/N`) is finished; return its page.
pub fn wait_for_batch(
    server: &TestServer,
    client: &reqwest::blocking::Client,
    location: &str,
) -> String {
    for _ in 0..600 {
        let resp = client.get(server.url(location)).send().unwrap();
        let refresh = resp.headers().contains_key("refresh");
        let page = resp.text().unwrap();
        if !refresh {
            return page;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("batch {location} did not finish");
}
