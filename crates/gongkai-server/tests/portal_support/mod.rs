//! Helpers of the public-portal tests (portal, security, load, browser): a server whose portal
//! serves a known agency, and a client that fills in the request form like a citizen — it
//! reads the CSRF token and the challenge from the form, works out the sum, and submits.

#![allow(dead_code)]

use crate::support::{hidden_field, Backend, TestServer};
use gongkai_server::portal::{self, PortalConfig};
use gongkai_server::Config;
use gongkai_store::{AgencyId, AgencyLevel};
use reqwest::blocking::{multipart, Client, Response};

pub const AGENCY: &str = "示例县人民政府办公室";

/// A test server whose portal serves [`AGENCY`], with `rate` submissions per 10 minutes.
pub fn start(backend: Backend, rate: u32) -> Option<(TestServer, AgencyId)> {
    start_with(backend, rate, Config::default())
}

pub fn start_with(backend: Backend, rate: u32, config: Config) -> Option<(TestServer, AgencyId)> {
    let server = TestServer::start(backend, config)?;
    let agency = server
        .store
        .ensure_agency(AGENCY, AgencyLevel::Department, None)
        .expect("agency");
    portal::configure(
        &server.store,
        PortalConfig {
            agency: Some(AGENCY.into()),
            rate_limit: rate,
            ..PortalConfig::default()
        },
    );
    Some((server, agency))
}

/// A mainland identity number with a correct check digit, different for each `n`.
pub fn id_number(n: u32) -> String {
    let body = format!(
        "110105{:04}{:02}{:02}{:03}",
        1950 + n % 50,
        1 + n % 12,
        1 + n % 28,
        n % 1000
    );
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let sum: u32 = body
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    format!("{body}{}", CHECK[(sum % 11) as usize] as char)
}

/// A complete, valid application; tests change what they need.
pub fn fields(n: u32) -> Vec<(&'static str, String)> {
    vec![
        ("applicant_type", "natural_person".into()),
        ("name", "张三".into()),
        ("id_type", "居民身份证".into()),
        ("id_number", id_number(n)),
        ("phone", "010-6512 3456".into()),
        ("email", "zhangsan@example.cn".into()),
        ("address", "北京市东城区正义路甲1号".into()),
        ("postcode", "100010".into()),
        (
            "description",
            format!("请公开本县2024年度第{n}号公共资源交易项目的中标公告及合同文本"),
        ),
        ("medium", "电子数据".into()),
        ("delivery", "电子邮件".into()),
        ("consent", "yes".into()),
    ]
}

pub fn set(fields: &mut [(&'static str, String)], name: &str, value: &str) {
    for (k, v) in fields.iter_mut() {
        if *k == name {
            *v = value.to_string();
        }
    }
}

/// What the form carries: the CSRF token, the challenge token and the question.
pub struct FormState {
    pub csrf: String,
    pub challenge: String,
    pub question: String,
}

impl FormState {
    /// The right answer to the question (`a 加 b` / `a 减 b`).
    pub fn answer(&self) -> String {
        let parts: Vec<&str> = self.question.split_whitespace().collect();
        let a: i64 = parts[0].parse().unwrap();
        let b: i64 = parts[2].parse().unwrap();
        match parts[1] {
            "加" => (a + b).to_string(),
            "减" => (a - b).to_string(),
            other => panic!("unknown operation {other}"),
        }
    }
}

/// Read the challenge question out of a form page.
pub fn question(page: &str) -> Option<String> {
    let marker = "id=\"challenge-question\">";
    let start = page.find(marker)? + marker.len();
    let end = page[start..].find('<')? + start;
    Some(page[start..end].to_string())
}

/// GET the form (which also sets the CSRF cookie in `client`'s jar).
pub fn open_form(base: &str, client: &Client) -> FormState {
    let resp = client.get(format!("{base}/public/apply")).send().unwrap();
    assert_eq!(resp.status().as_u16(), 200, "GET /public/apply");
    let page = resp.text().unwrap();
    form_state(&page)
}

pub fn form_state(page: &str) -> FormState {
    FormState {
        csrf: hidden_field(page, "csrf").expect("csrf field"),
        challenge: hidden_field(page, "challenge").expect("challenge field"),
        question: question(page).expect("challenge question"),
    }
}

/// GET the form; `None` when the server does not answer (the crash test).
pub fn try_open_form(base: &str, client: &Client) -> Option<FormState> {
    let resp = client.get(format!("{base}/public/apply")).send().ok()?;
    if resp.status().as_u16() != 200 {
        return None;
    }
    Some(form_state(&resp.text().ok()?))
}

/// POST the form with `fields`, `files` and `answer` (the right one when `None`).
pub fn post(
    base: &str,
    client: &Client,
    state: &FormState,
    fields: &[(&'static str, String)],
    files: &[(&str, Vec<u8>)],
    answer: Option<&str>,
) -> Response {
    try_post(base, client, state, fields, files, answer).unwrap()
}

/// [`post`], with transport errors returned.
pub fn try_post(
    base: &str,
    client: &Client,
    state: &FormState,
    fields: &[(&'static str, String)],
    files: &[(&str, Vec<u8>)],
    answer: Option<&str>,
) -> reqwest::Result<Response> {
    let mut form = multipart::Form::new()
        .text("csrf", state.csrf.clone())
        .text("challenge", state.challenge.clone())
        .text(
            "answer",
            answer.map(str::to_string).unwrap_or_else(|| state.answer()),
        );
    for (k, v) in fields {
        form = form.text(*k, v.clone());
    }
    for (name, bytes) in files {
        form = form.part(
            "attachments",
            multipart::Part::bytes(bytes.clone()).file_name(name.to_string()),
        );
    }
    client
        .post(format!("{base}/public/apply"))
        .multipart(form)
        .send()
}

/// Open the form and submit `fields`; returns the response (303 to the receipt on success).
pub fn apply(
    base: &str,
    client: &Client,
    fields: &[(&'static str, String)],
    files: &[(&str, Vec<u8>)],
) -> Response {
    let state = open_form(base, client);
    post(base, client, &state, fields, files, None)
}

/// The 查询码 of a receipt redirect (`/public/receipt/CODE[?duplicate=1]`).
pub fn code_of(resp: &Response) -> Option<String> {
    let location = resp.headers().get("location")?.to_str().ok()?;
    let rest = location.strip_prefix("/public/receipt/")?;
    Some(rest.split('?').next()?.to_string())
}

/// A client with a cookie jar that does not follow redirects.
pub fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .unwrap()
}
