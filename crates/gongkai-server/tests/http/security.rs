//! Hardening tests, black-box over HTTP on both backends.
//!
//! * **Authorization matrix.** Every staff route of the app — read out of the router sources
//!   (`src/pages/mod.rs`, `src/console/mod.rs`, `src/api.rs`), so a route added there without
//!   an entry here fails this test — is requested as anonymous, viewer, supervisor and admin,
//!   GET and POST (POSTs with a valid CSRF token and a plausible body), and the status is
//!   checked against the role the route needs: anonymous → the login page (API: 401), too
//!   junior → 403, enough → neither (and no server error).
//! * **CSRF.** Every POST form without its token → 403, nothing changed; a session cookie
//!   alone never authorises an API write.
//! * **Injection.** `<script>alert(1)</script>` and `'; DROP TABLE requests; --` in every field
//!   of the public form and of the staff forms, then every page that shows them: no
//!   unescaped script, the data stored exactly as typed, the tables still there.
//! * **Sessions and passwords.** argon2id hashes; sessions expire (`Config.session_seconds`);
//!   the 6th bad login in a row is refused with 429, even with the right password.

use crate::portal_support;
use crate::support;

use gongkai_server::Config;
use gongkai_store::{AgencyId, ReportFilter, Role};
use portal_support::{apply, client, code_of, fields, set};
use reqwest::blocking::Client;
use std::collections::BTreeSet;
use support::{Backend, TestServer, PASSWORD};

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name(super::Backend::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name(super::Backend::Postgres) } )*
        }
    };
}

on_both_backends!(
    authorization_matrix_and_csrf,
    injection_is_escaped_and_harmless,
    sessions_expire_and_logins_are_throttled,
);

const SCRIPT: &str = "<script>alert(1)</script>";
const SQL: &str = "'; DROP TABLE requests; --";

// ── route discovery ─────────────────────────────────────────────────────────────────────────

/// `(method, path template)` of every route in a router source file, with `prefix` for a
/// nested router.
fn routes_in(file: &str, prefix: &str) -> BTreeSet<(String, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = BTreeSet::new();
    for (i, _) in src.match_indices(".route(") {
        let rest = &src[i + ".route(".len()..];
        let Some(open) = rest.find('"') else { continue };
        let Some(close) = rest[open + 1..].find('"') else {
            continue;
        };
        let template = &rest[open + 1..open + 1 + close];
        // The handler expression: up to the `)` that closes `.route(`.
        let mut depth = 1;
        let mut end = rest.len();
        for (j, c) in rest.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = j;
                        break;
                    }
                }
                _ => {}
            }
        }
        let handler = &rest[open + 1 + close..end];
        let full = if template == "/" && !prefix.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}{template}")
        };
        for method in ["get", "post", "put", "delete", "patch"] {
            let called = handler.match_indices(method).any(|(k, _)| {
                let before = handler[..k].chars().last();
                handler[k + method.len()..].starts_with('(')
                    && !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            });
            if called {
                out.insert((method.to_uppercase(), full.clone()));
            }
        }
    }
    out
}

/// Every route of the app that is not public.
fn staff_routes() -> BTreeSet<(String, String)> {
    let mut all = routes_in("src/pages/mod.rs", "");
    all.extend(routes_in("src/console/mod.rs", ""));
    all.extend(routes_in("src/api.rs", "/api"));
    let public = |p: &str| {
        p == "/healthz" || p == "/login" || p == "/api/openapi.json" || p.starts_with("/public")
    };
    all.into_iter().filter(|(_, p)| !public(p)).collect()
}

// ── the matrix ──────────────────────────────────────────────────────────────────────────────

#[derive(Clone)]
enum Body {
    None,
    Form(Vec<(&'static str, String)>),
    /// Text fields and one file part `(field, name, bytes)`.
    Multipart(
        Vec<(&'static str, String)>,
        (&'static str, &'static str, Vec<u8>),
    ),
    /// An API write: the bytes, sent with the role's bearer token (a cookie never suffices).
    Api(Vec<u8>),
}

#[derive(Clone)]
struct Case {
    method: &'static str,
    template: &'static str,
    path: String,
    /// The least role that may use the route.
    min: Role,
    body: Body,
}

fn get(template: &'static str, path: impl Into<String>, min: Role) -> Case {
    Case {
        method: "GET",
        template,
        path: path.into(),
        min,
        body: Body::None,
    }
}

fn post(template: &'static str, path: impl Into<String>, min: Role, body: Body) -> Case {
    Case {
        method: "POST",
        template,
        path: path.into(),
        min,
        body,
    }
}

fn form(pairs: &[(&'static str, &str)]) -> Body {
    Body::Form(pairs.iter().map(|(k, v)| (*k, v.to_string())).collect())
}

/// The identifiers the concrete paths use.
struct Fixtures {
    agency: AgencyId,
    report_agency: AgencyId,
    r1: i64,
    r2: i64,
    year: i32,
    batch: String,
    code: String,
    /// An attachment of `code`.
    attachment: i64,
    throwaway_user: i64,
}

fn cases(f: &Fixtures) -> Vec<Case> {
    let a = f.agency.0;
    let ra = f.report_agency.0;
    let (r1, r2, year) = (f.r1, f.r2, f.year);
    let code = &f.code;
    let today = "2024-06-03";
    vec![
        // Supervision centre pages.
        get("/", "/", Role::Viewer),
        get("/overview", "/overview", Role::Viewer),
        get("/reports", "/reports", Role::Viewer),
        get("/reports/{id}", format!("/reports/{r1}"), Role::Viewer),
        get(
            "/reports/{id}/original",
            format!("/reports/{r1}/original"),
            Role::Viewer,
        ),
        get(
            "/reports/{id}/export/{format}",
            format!("/reports/{r1}/export/json"),
            Role::Viewer,
        ),
        post(
            "/reports/{id}/delete",
            format!("/reports/{r2}/delete"),
            Role::Admin,
            form(&[]),
        ),
        get("/upload", "/upload", Role::Supervisor),
        post(
            "/upload",
            "/upload",
            Role::Supervisor,
            Body::Multipart(
                vec![],
                ("files", "说明.txt", "不是年报".as_bytes().to_vec()),
            ),
        ),
        get("/batches", "/batches", Role::Viewer),
        get("/batches/{id}", f.batch.clone(), Role::Viewer),
        get(
            "/compare",
            format!("/compare?left={r1}&right={r2}"),
            Role::Viewer,
        ),
        get(
            "/compare/export/{format}",
            format!("/compare/export/csv?left={r1}&right={r2}"),
            Role::Viewer,
        ),
        get(
            "/rollup",
            format!("/rollup?agency={ra}&year={year}"),
            Role::Viewer,
        ),
        get(
            "/rollup/export/{format}",
            format!("/rollup/export/csv?agency={ra}&year={year}"),
            Role::Viewer,
        ),
        get(
            "/similar",
            format!("/similar?agency={ra}&year={year}"),
            Role::Viewer,
        ),
        get(
            "/similar/export/{format}",
            format!("/similar/export/csv?year={year}"),
            Role::Viewer,
        ),
        get("/agencies", "/agencies", Role::Viewer),
        post(
            "/agencies/place",
            "/agencies/place",
            Role::Supervisor,
            form(&[]),
        ),
        get("/agencies/{id}", format!("/agencies/{ra}"), Role::Viewer),
        post(
            "/agencies/{id}",
            format!("/agencies/{ra}"),
            Role::Supervisor,
            form(&[("level", "department"), ("parent", "")]),
        ),
        get(
            "/export/overview/{format}",
            "/export/overview/csv",
            Role::Viewer,
        ),
        get(
            "/export/reports.jsonl",
            "/export/reports.jsonl",
            Role::Viewer,
        ),
        get("/users", "/users", Role::Admin),
        post(
            "/users",
            "/users",
            Role::Admin,
            form(&[
                ("username", "matrix-user"),
                ("display_name", "矩阵测试"),
                ("password", "a-long-enough-password"),
                ("role", "viewer"),
            ]),
        ),
        post(
            "/users/{id}/role",
            format!("/users/{}/role", f.throwaway_user),
            Role::Admin,
            form(&[("role", "supervisor")]),
        ),
        post(
            "/users/{id}/scope",
            format!("/users/{}/scope", f.throwaway_user),
            Role::Admin,
            form(&[("agency", "")]),
        ),
        post(
            "/tokens",
            "/tokens",
            Role::Viewer,
            form(&[("label", "矩阵")]),
        ),
        post("/logout", "/logout", Role::Viewer, form(&[])),
        // API (a browser session may read it).
        get("/api", "/api", Role::Viewer),
        get("/api/v1/reports", "/api/v1/reports", Role::Viewer),
        get(
            "/api/v1/reports/{id}",
            format!("/api/v1/reports/{r1}"),
            Role::Viewer,
        ),
        get(
            "/api/v1/reports/{id}/findings",
            format!("/api/v1/reports/{r1}/findings"),
            Role::Viewer,
        ),
        get(
            "/api/v1/compare",
            format!("/api/v1/compare?left={r1}&right={r2}"),
            Role::Viewer,
        ),
        get(
            "/api/v1/rollup",
            format!("/api/v1/rollup?agency={ra}&year={year}"),
            Role::Viewer,
        ),
        get(
            "/api/v1/similar",
            format!("/api/v1/similar?year={year}"),
            Role::Viewer,
        ),
        get(
            "/api/v1/problems",
            format!("/api/v1/problems?year={year}"),
            Role::Viewer,
        ),
        get("/api/v1/agencies", "/api/v1/agencies", Role::Viewer),
        get(
            "/api/v1/batches/{id}",
            f.batch.replace("/batches/", "/api/v1/batches/"),
            Role::Viewer,
        ),
        post(
            "/api/v1/reports",
            "/api/v1/reports?file_name=说明.txt",
            Role::Supervisor,
            Body::Api("不是年报".as_bytes().to_vec()),
        ),
        // The register console.
        get("/console", format!("/console?agency={a}"), Role::Viewer),
        post(
            "/console/agency",
            "/console/agency",
            Role::Supervisor,
            form(&[("name", "矩阵测试单位")]),
        ),
        get(
            "/console/audit",
            format!("/console/audit?agency={a}"),
            Role::Viewer,
        ),
        get(
            "/console/requests/new",
            format!("/console/requests/new?agency={a}"),
            Role::Supervisor,
        ),
        post(
            "/console/requests/new",
            format!("/console/requests/new?agency={a}"),
            Role::Supervisor,
            form(&[
                ("applicant_type", "natural_person"),
                ("name", "李四"),
                ("channel", "in_person"),
                ("received_on", today),
                ("description", "矩阵测试：请公开某项目的批复文件"),
            ]),
        ),
        get(
            "/console/requests/{code}",
            format!("/console/requests/{code}?agency={a}"),
            Role::Viewer,
        ),
        post(
            "/console/requests/{code}/applicant",
            format!("/console/requests/{code}/applicant"),
            Role::Supervisor,
            form(&[
                ("expected", "1"),
                ("applicant_type", "other"),
                ("name", "矩阵测试"),
                ("note", "矩阵"),
            ]),
        ),
        post(
            "/console/requests/{code}/contact",
            format!("/console/requests/{code}/contact"),
            Role::Supervisor,
            form(&[("phone", "13700000000")]),
        ),
        post(
            "/console/requests/{code}/attachments",
            format!("/console/requests/{code}/attachments"),
            Role::Supervisor,
            Body::Multipart(
                vec![],
                ("files", "补充材料.txt", "矩阵测试附件".as_bytes().to_vec()),
            ),
        ),
        get(
            "/console/requests/{code}/attachments/{id}",
            format!("/console/requests/{code}/attachments/{}", f.attachment),
            Role::Viewer,
        ),
        post(
            "/console/requests/{code}/events",
            format!("/console/requests/{code}/events?agency={a}"),
            Role::Supervisor,
            form(&[
                ("action", "approve_extension"),
                ("expected", "1"),
                ("date", today),
                ("working_days", "5"),
            ]),
        ),
        get(
            "/console/appeals",
            format!("/console/appeals?agency={a}"),
            Role::Viewer,
        ),
        post(
            "/console/appeals",
            format!("/console/appeals?agency={a}"),
            Role::Supervisor,
            form(&[
                ("id", "矩阵-1"),
                ("kind", "reconsideration"),
                ("filed_on", today),
            ]),
        ),
        post(
            "/console/appeals/decide",
            format!("/console/appeals/decide?agency={a}"),
            Role::Supervisor,
            form(&[
                ("id", "矩阵-1"),
                ("outcome", "upheld"),
                ("decided_on", today),
            ]),
        ),
        get(
            "/console/publications",
            format!("/console/publications?agency={a}"),
            Role::Viewer,
        ),
        post(
            "/console/publications",
            format!("/console/publications?agency={a}"),
            Role::Supervisor,
            form(&[
                ("title", "矩阵测试文件"),
                ("kind", "other"),
                ("issued_on", today),
            ]),
        ),
        post(
            "/console/publications/repeal",
            format!("/console/publications/repeal?agency={a}"),
            Role::Supervisor,
            form(&[("id", "no-such-publication"), ("repealed_on", today)]),
        ),
        get(
            "/console/counts",
            format!("/console/counts?agency={a}&year=2024"),
            Role::Viewer,
        ),
        post(
            "/console/counts",
            format!("/console/counts?agency={a}&year=2024"),
            Role::Supervisor,
            form(&[]),
        ),
        get(
            "/console/report",
            format!("/console/report?agency={a}&year=2024"),
            Role::Viewer,
        ),
        get(
            "/console/report/export/{format}",
            format!("/console/report/export/json?agency={a}&year=2024"),
            Role::Viewer,
        ),
        post(
            "/console/report/download",
            format!("/console/report/download?agency={a}&year=2024"),
            Role::Viewer,
            form(&[("format", "json")]),
        ),
        get(
            "/console/ledger",
            format!("/console/ledger?agency={a}"),
            Role::Viewer,
        ),
        post(
            "/console/ledger",
            format!("/console/ledger?agency={a}"),
            Role::Supervisor,
            Body::Multipart(
                vec![],
                ("file", "台账.csv", "收到日期,申请人\n".as_bytes().to_vec()),
            ),
        ),
        get(
            "/console/ledger/export/{format}",
            format!("/console/ledger/export/csv?agency={a}"),
            Role::Viewer,
        ),
        get(
            "/console/ledger/template.csv",
            format!("/console/ledger/template.csv?agency={a}"),
            Role::Viewer,
        ),
    ]
}

/// The 单位范围 of a matrix client.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// No scope: every unit.
    Every,
    /// Scoped to the unit whose register the console cases use.
    TheUnit,
    /// Scoped to a different unit.
    AnotherUnit,
}

/// Changes the supervision centre's shared data: refused to every scoped user.
fn changes_centre(case: &Case) -> bool {
    matches!(
        (case.method, case.template),
        ("GET" | "POST", "/upload")
            | ("POST", "/agencies/{id}" | "/agencies/place")
            | ("POST", "/console/agency")
            | ("POST", "/api/v1/reports")
    )
}

/// A console route of the register's unit: refused to a user scoped to another unit.
fn is_unit_route(case: &Case) -> bool {
    case.template.starts_with("/console") && case.template != "/console/agency"
}

/// A multipart body built in memory (sent with its length, in one piece).
fn multipart_bytes(fields: &[(&str, String)], file: &(&str, &str, Vec<u8>)) -> (String, Vec<u8>) {
    let boundary = "----gongkai-security-test-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    let (field, name, bytes) = file;
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Send a case; `csrf` = `None` leaves the token out; `token` is the API bearer token.
fn send(
    server: &TestServer,
    client: &Client,
    case: &Case,
    csrf: Option<&str>,
    token: Option<&str>,
) -> reqwest::blocking::Response {
    let url = server.url(&case.path);
    match &case.body {
        Body::None => client.get(url).send().unwrap(),
        Body::Api(bytes) => {
            let mut req = client.post(url).body(bytes.clone());
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            req.send().unwrap()
        }
        Body::Form(pairs) => {
            let mut pairs = pairs.clone();
            if let Some(t) = csrf {
                pairs.push(("csrf", t.to_string()));
            }
            client.post(url).form(&pairs).send().unwrap()
        }
        Body::Multipart(pairs, file) => {
            let mut pairs = pairs.clone();
            if let Some(t) = csrf {
                pairs.push(("csrf", t.to_string()));
            }
            let (ctype, body) = multipart_bytes(&pairs, file);
            client
                .post(url)
                .header("content-type", ctype)
                .body(body)
                .send()
                .unwrap()
        }
    }
}

fn is_login_redirect(resp: &reqwest::blocking::Response) -> bool {
    resp.status().as_u16() == 303
        && resp
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .is_some_and(|l| l.starts_with("/login"))
}

fn fixtures(server: &TestServer, agency: AgencyId) -> Fixtures {
    // Two reports of one unit (two years) through the upload form.
    let supervisor = server.login("supervisor");
    let csrf = server.csrf(&supervisor);
    let mut upload = reqwest::blocking::multipart::Form::new().text("csrf", csrf);
    for name in ["示例县数据资源局-2022.txt", "示例县数据资源局-2023.txt"] {
        upload = upload.part(
            "files",
            reqwest::blocking::multipart::Part::bytes(support::sample(name)).file_name(name),
        );
    }
    let resp = supervisor
        .post(server.url("/upload"))
        .multipart(upload)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    let batch = resp.headers()["location"].to_str().unwrap().to_string();
    support::wait_for_batch(server, &supervisor, &batch);
    let mut reports = server.store.list_reports(&ReportFilter::default()).unwrap();
    reports.sort_by_key(|r| r.year);
    assert_eq!(reports.len(), 2, "both samples imported");
    // A request filed on the portal.
    let resp = apply(&server.base, &client(), &fields(7), &[]);
    let code = code_of(&resp).expect("portal submission");
    let attachment = server
        .store
        .add_request_attachments(
            &code,
            &[("身份证明.txt".into(), "测试".as_bytes().to_vec())],
        )
        .unwrap()[0];
    let hash = gongkai_server::auth::hash_password(PASSWORD).unwrap();
    let throwaway = server
        .store
        .create_user("throwaway", "临时用户", &hash, Role::Viewer)
        .unwrap();
    // Two supervisors with a 单位范围: one scoped to the register's unit, one to another unit.
    for (name, scope) in [("scoped-in", agency), ("scoped-out", reports[0].agency)] {
        assert_ne!(agency, reports[0].agency);
        let id = server
            .store
            .create_user(name, name, &hash, Role::Supervisor)
            .unwrap();
        server.store.set_user_agency(id, Some(scope)).unwrap();
    }
    Fixtures {
        agency,
        report_agency: reports[0].agency,
        r1: reports[0].id.0,
        r2: reports[1].id.0,
        year: reports[0].year.expect("year read"),
        batch,
        code,
        attachment,
        throwaway_user: throwaway.0,
    }
}

fn authorization_matrix_and_csrf(backend: Backend) {
    let Some((server, agency)) = portal_support::start(backend, 1000) else {
        return;
    };
    let f = fixtures(&server, agency);
    let cases = cases(&f);

    // Every route in the router sources has a case, and every case names a real route.
    let known: BTreeSet<(String, String)> = cases
        .iter()
        .map(|c| (c.method.to_string(), c.template.to_string()))
        .collect();
    let routes = staff_routes();
    let missing: Vec<_> = routes.difference(&known).collect();
    assert!(
        missing.is_empty(),
        "routes without an authorization case (add them to cases()): {missing:?}"
    );
    let stale: Vec<_> = known.difference(&routes).collect();
    assert!(
        stale.is_empty(),
        "cases of routes that no longer exist: {stale:?}"
    );

    // CSRF first (nothing may change): every POST without its token is refused, even for an
    // admin — and so are the anonymous forms (login, the public request form).
    let admin = server.login("admin");
    for case in cases
        .iter()
        .filter(|c| c.method == "POST" && !matches!(c.body, Body::Api(_)))
    {
        let resp = send(&server, &admin, case, None, None);
        assert_eq!(
            resp.status().as_u16(),
            403,
            "POST {} without a CSRF token",
            case.path
        );
    }
    let anonymous = client();
    let resp = anonymous
        .post(server.url("/login"))
        .form(&[("username", "admin"), ("password", PASSWORD)])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403, "login without its token");
    let state = portal_support::open_form(&server.base, &anonymous);
    let no_token = portal_support::FormState {
        csrf: String::new(),
        challenge: state.challenge.clone(),
        question: state.question.clone(),
    };
    let resp = portal_support::post(&server.base, &anonymous, &no_token, &fields(8), &[], None);
    assert_eq!(resp.status().as_u16(), 403, "public form without its token");
    assert_eq!(
        server
            .store
            .list_reports(&ReportFilter::default())
            .unwrap()
            .len(),
        2
    );

    // A session cookie alone never writes through the API.
    let resp = admin
        .post(server.url("/api/v1/reports?file_name=a.txt"))
        .body("不是年报")
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401, "API write with a cookie only");

    // The matrix. Deleting a report and logging out come last for each role (they remove what
    // the other cases use). Besides the four roles, two supervisors with a 单位范围: inside it
    // (the register's unit) they may do what a supervisor may in the console, but change
    // nothing in the supervision centre; outside it every console route is refused.
    let mut table = Vec::new();
    let clients: Vec<(Option<Role>, Scope, Client)> = vec![
        (None, Scope::Every, client()),
        (Some(Role::Viewer), Scope::Every, server.login("viewer")),
        (
            Some(Role::Supervisor),
            Scope::Every,
            server.login("supervisor"),
        ),
        (
            Some(Role::Supervisor),
            Scope::TheUnit,
            server.login("scoped-in"),
        ),
        (
            Some(Role::Supervisor),
            Scope::AnotherUnit,
            server.login("scoped-out"),
        ),
        // Last: the admin's delete removes a report the others' cases read.
        (Some(Role::Admin), Scope::Every, server.login("admin")),
    ];
    let mut ordered: Vec<&Case> = cases.iter().collect();
    ordered.sort_by_key(|c| match c.template {
        "/reports/{id}/delete" => 1,
        "/logout" => 2,
        _ => 0,
    });
    let mut failures = Vec::new();
    for (role, scope, client) in &clients {
        let csrf = role.map(|_| server.csrf(client));
        // The role's API token, made on the token form.
        let token = csrf.as_ref().map(|csrf| {
            let page = client
                .post(server.url("/tokens"))
                .form(&[("label", "矩阵"), ("csrf", csrf.as_str())])
                .send()
                .unwrap()
                .text()
                .unwrap();
            let start = page.find("gk_").expect("token shown once");
            page[start..start + 3 + 64].to_string()
        });
        for case in &ordered {
            let resp = send(&server, client, case, csrf.as_deref(), token.as_deref());
            let status = resp.status().as_u16();
            let login = is_login_redirect(&resp);
            let location = resp
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .unwrap_or("")
                .to_string();
            let is_api = case.template.starts_with("/api/v1");
            let (ok, expected) = match role {
                None if case.template == "/" => {
                    (status == 303 && location == "/public", "303 → /public")
                }
                None if is_api => (status == 401, "401"),
                None => (login, "303 → /login"),
                Some(r) if !r.allows(case.min) => (status == 403, "403"),
                Some(_) if *scope != Scope::Every && changes_centre(case) => {
                    (status == 403, "403 (单位范围: no centre changes)")
                }
                Some(_) if *scope == Scope::AnotherUnit && is_unit_route(case) => {
                    (status == 403, "403 (单位范围: another unit)")
                }
                Some(_) if case.template == "/logout" => (login, "303 → /login"),
                Some(_) => (
                    !login
                        && status != 401
                        && status != 403
                        && status < 500
                        && (case.method == "POST" || status == 200),
                    if case.method == "GET" {
                        "200"
                    } else {
                        "not 401/403/5xx"
                    },
                ),
            };
            let who = match (role, scope) {
                (None, _) => "anonymous",
                (Some(_), Scope::TheUnit) => "scoped-in",
                (Some(_), Scope::AnotherUnit) => "scoped-out",
                (Some(r), Scope::Every) => r.as_str(),
            };
            table.push(format!(
                "{:<10} {:<4} {:<60} {status}",
                who, case.method, case.path
            ));
            if !ok {
                failures.push(format!(
                    "{who} {} {}: {status} {location} (expected {expected}) {}",
                    case.method,
                    case.path,
                    resp.text()
                        .unwrap_or_default()
                        .chars()
                        .take(300)
                        .collect::<String>()
                ));
            }
        }
    }
    // After logout the session is gone.
    let (_, _, viewer) = &clients[1];
    let resp = viewer.get(server.url("/reports")).send().unwrap();
    assert!(is_login_redirect(&resp), "logged out");
    assert!(
        failures.is_empty(),
        "authorization matrix failures:\n{}",
        failures.join("\n")
    );
    // Admin's delete went through, supervisor's and viewer's did not.
    assert_eq!(
        server
            .store
            .list_reports(&ReportFilter::default())
            .unwrap()
            .len(),
        1
    );
    use std::io::Write;
    let _ = std::io::stderr().write_all(
        format!(
            "\nauthorization matrix ({} routes × 6 roles (4 + 2 scoped) = {} requests): all as expected\n",
            cases.len(),
            table.len()
        )
        .as_bytes(),
    );
}

/// No unescaped payload in `page`.
#[track_caller]
fn assert_escaped(page: &str, what: &str) {
    assert!(
        !page.contains("<script>alert(1)"),
        "{what}: unescaped script in the page"
    );
    assert!(
        !page.contains("<script"),
        "{what}: a script element in the page"
    );
}

fn injection_is_escaped_and_harmless(backend: Backend) {
    let Some((server, agency)) = portal_support::start(backend, 1000) else {
        return;
    };
    let a = agency.0;
    let citizen = client();
    let payload = format!("{SCRIPT} {SQL}");

    // The public form, payload in every field: refused (formats), shown back escaped.
    let mut all = fields(30);
    for (_, v) in all.iter_mut() {
        *v = payload.clone();
    }
    let resp = apply(
        &server.base,
        &citizen,
        &all,
        &[("<script>.pdf", SCRIPT.as_bytes().to_vec())],
    );
    assert_eq!(resp.status().as_u16(), 400);
    let page = resp.text().unwrap();
    assert_escaped(&page, "public form shown again");
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the entry is kept, escaped"
    );

    // Payload in every free-text field with valid formats elsewhere: stored exactly.
    let mut f = fields(31);
    set(&mut f, "name", &payload);
    set(&mut f, "address", &payload);
    set(&mut f, "description", &payload);
    set(&mut f, "id_type", "其他证件");
    set(&mut f, "id_number", SQL);
    let resp = apply(&server.base, &citizen, &f, &[]);
    assert_eq!(resp.status().as_u16(), 303, "{}", resp.text().unwrap());
    let code = code_of(&resp).unwrap();
    let stored = server.store.request(&code).unwrap().expect("stored");
    assert_eq!(stored.request.description, payload);
    assert_eq!(stored.request.applicant.name, payload);
    assert_eq!(
        stored.private.address.as_deref(),
        Some(&*format!("{payload}（邮编 100010）"))
    );
    assert_eq!(
        stored.private.id_number.as_deref(),
        Some(&*format!("其他证件：{SQL}"))
    );
    for path in [
        format!("/public/receipt/{code}"),
        format!("/public/track?code={code}"),
        format!("/public/track?code={}", portal_support_enc(&payload)),
        format!("/public/catalog?q={}", portal_support_enc(&payload)),
    ] {
        let page = citizen
            .get(server.url(&path))
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert_escaped(&page, &path);
    }

    // Staff forms, payload in every field.
    let supervisor = server.login("supervisor");
    let csrf = server.csrf(&supervisor);
    let post = |path: &str, pairs: &[(&str, &str)]| {
        let mut pairs: Vec<(&str, &str)> = pairs.to_vec();
        pairs.push(("csrf", &csrf));
        supervisor
            .post(server.url(path))
            .form(&pairs)
            .send()
            .unwrap()
    };
    let today = "2024-06-03";
    let email = format!("{SCRIPT}@example.cn");
    let resp = post(
        &format!("/console/requests/new?agency={a}"),
        &[
            ("applicant_type", "natural_person"),
            ("name", &payload),
            ("id_number", &payload),
            ("phone", &payload),
            ("address", &payload),
            ("email", &email),
            ("channel", "in_person"),
            ("received_on", today),
            ("description", &payload),
            ("delivery", &payload),
            ("note", &payload),
        ],
    );
    assert!(resp.status().as_u16() < 400, "intake: {}", resp.status());
    let staff_code = server
        .store
        .list_requests(&gongkai_store::RequestFilter {
            agency: Some(agency),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .find(|r| r.code != code)
        .expect("staff-entered request")
        .code;
    let staff_stored = server.store.request(&staff_code).unwrap().unwrap();
    assert_eq!(staff_stored.request.description, payload);
    assert_eq!(
        staff_stored.private.phone.as_deref(),
        Some(payload.as_str())
    );
    let resp = post(
        &format!("/console/publications?agency={a}"),
        &[
            ("title", &payload),
            ("kind", "other"),
            ("category", ""),
            ("category_other", &payload),
            ("index_number", &payload),
            ("doc_number", &payload),
            ("issuer", &payload),
            ("issued_on", today),
            ("body", &payload),
        ],
    );
    assert!(
        resp.status().as_u16() < 400,
        "publication: {}",
        resp.status()
    );
    let publications = server
        .store
        .list_publications(&gongkai_store::PublicationFilter {
            agency: Some(agency),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(publications.len(), 1);
    assert_eq!(publications[0].publication.title, payload);
    assert_eq!(publications[0].body, payload);
    let pub_id = publications[0].publication.id.clone();
    let resp = post(
        &format!("/console/appeals?agency={a}"),
        &[
            ("id", &payload),
            ("kind", "reconsideration"),
            ("request_code", &payload),
            ("follows", &payload),
            ("filed_on", today),
            ("note", &payload),
        ],
    );
    assert!(resp.status().as_u16() < 500, "appeal: {}", resp.status());
    let resp = post("/console/agency", &[("name", &payload)]);
    assert!(resp.status().as_u16() < 400, "agency: {}", resp.status());
    // The applicant's corrected contact details of the portal request.
    let resp = post(
        &format!("/console/requests/{code}/contact"),
        &[
            ("phone", &payload),
            ("address", &payload),
            ("email", &email),
            ("delivery", &payload),
        ],
    );
    assert!(resp.status().as_u16() < 400, "contact: {}", resp.status());
    assert_eq!(
        server
            .store
            .request(&code)
            .unwrap()
            .unwrap()
            .private
            .address
            .as_deref(),
        Some(payload.as_str())
    );
    // An attachment whose name is the payload.
    let resp = supervisor
        .post(server.url(&format!("/console/requests/{code}/attachments")))
        .multipart(
            reqwest::blocking::multipart::Form::new()
                .text("csrf", csrf.clone())
                .part(
                    "files",
                    reqwest::blocking::multipart::Part::bytes("附件".as_bytes().to_vec())
                        .file_name(format!("{payload}.txt")),
                ),
        )
        .send()
        .unwrap();
    assert!(
        resp.status().as_u16() < 400,
        "attachment: {}",
        resp.status()
    );
    let admin = server.login("admin");
    let admin_csrf = server.csrf(&admin);
    let resp = admin
        .post(server.url("/users"))
        .form(&[
            ("username", "inject"),
            ("display_name", payload.as_str()),
            ("password", "a-long-enough-password"),
            ("role", "viewer"),
            ("csrf", admin_csrf.as_str()),
        ])
        .send()
        .unwrap();
    assert!(resp.status().as_u16() < 400, "user: {}", resp.status());
    let resp = admin
        .post(server.url("/tokens"))
        .form(&[("label", payload.as_str()), ("csrf", admin_csrf.as_str())])
        .send()
        .unwrap();
    assert_escaped(&resp.text().unwrap(), "token page");
    // A scope naming no unit: refused, the name shown back escaped.
    let inject_user = server.store.user_by_name("inject").unwrap().unwrap();
    let no_unit = format!("{payload}（无此单位）");
    let resp = admin
        .post(server.url(&format!("/users/{}/scope", inject_user.id)))
        .form(&[("agency", no_unit.as_str()), ("csrf", admin_csrf.as_str())])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert_escaped(&resp.text().unwrap(), "scope error");

    // Every page that shows them.
    let staff_pages = [
        format!("/console?agency={a}"),
        format!("/console/requests/{code}?agency={a}"),
        format!("/console/requests/{staff_code}?agency={a}"),
        format!("/console/publications?agency={a}"),
        format!("/console/appeals?agency={a}"),
        format!("/console/audit?agency={a}"),
        "/console?choose=1".to_string(),
        "/agencies".to_string(),
        "/users".to_string(),
        "/overview".to_string(),
    ];
    for path in &staff_pages {
        let resp = admin.get(server.url(path)).send().unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{path}");
        assert_escaped(&resp.text().unwrap(), path);
    }
    for path in [
        "/public".to_string(),
        "/public/catalog".to_string(),
        format!("/public/catalog/{}", portal_support_enc(&pub_id)),
        format!("/public/catalog?q={}", portal_support_enc("DROP TABLE")),
        format!("/public/track?code={staff_code}"),
    ] {
        let page = citizen
            .get(server.url(&path))
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert_escaped(&page, &path);
    }
    for feed in ["/public/feeds/all.atom", "/public/feeds/all.rss"] {
        let xml = citizen
            .get(server.url(feed))
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert!(!xml.contains("<script"), "{feed}");
        assert!(
            xml.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{feed}"
        );
    }
    let json = citizen
        .get(server.url("/public/feeds/all.json"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let feed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        feed["items"][0]["title"],
        payload.as_str(),
        "JSON keeps the text as typed"
    );

    // The tables are all still there and still take writes.
    let resp = apply(&server.base, &citizen, &fields(32), &[]);
    assert_eq!(resp.status().as_u16(), 303);
    let count = server
        .store
        .count_requests(&gongkai_store::RequestFilter {
            agency: Some(agency),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(count, 3);
}

fn portal_support_enc(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

fn sessions_expire_and_logins_are_throttled(backend: Backend) {
    let config = Config {
        session_seconds: 2,
        ..Config::default()
    };
    let Some((server, _)) = portal_support::start_with(backend, 100, config) else {
        return;
    };
    // Passwords are argon2id hashes.
    let admin = server.store.user_by_name("admin").unwrap().unwrap();
    assert!(
        admin.password_hash.starts_with("$argon2id$"),
        "{}",
        admin.password_hash
    );
    assert!(!admin.password_hash.contains(PASSWORD));

    // A session lasts session_seconds.
    let viewer = server.login("viewer");
    let resp = viewer.get(server.url("/reports")).send().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    std::thread::sleep(std::time::Duration::from_millis(3100));
    let resp = viewer.get(server.url("/reports")).send().unwrap();
    assert!(is_login_redirect(&resp), "expired session → login");

    // Staff actions are in the audit log, with who did them.
    let admin_client = server.login("admin");
    let csrf = server.csrf(&admin_client);
    let resp = admin_client
        .post(server.url("/console/agency"))
        .form(&[("name", "审计测试单位"), ("csrf", csrf.as_str())])
        .send()
        .unwrap();
    assert!(resp.status().as_u16() < 400);
    let log = server.store.audit_log(20, None).unwrap();
    assert!(
        log.iter()
            .any(|e| e.user == Some(admin.id) && e.detail.contains("审计测试单位")),
        "audit log: {log:?}"
    );

    // Five wrong passwords → 401 each; the sixth attempt → 429, even with the right password.
    let c = client();
    let attempt = |password: &str| {
        let page = c.get(server.url("/login")).send().unwrap().text().unwrap();
        let csrf = support::hidden_field(&page, "csrf").unwrap();
        c.post(server.url("/login"))
            .form(&[
                ("username", "supervisor"),
                ("password", password),
                ("csrf", csrf.as_str()),
            ])
            .send()
            .unwrap()
    };
    for i in 1..=5 {
        assert_eq!(attempt("wrong").status().as_u16(), 401, "attempt {i}");
    }
    let resp = attempt("wrong");
    assert_eq!(resp.status().as_u16(), 429, "sixth bad login");
    assert!(resp.text().unwrap().contains("登录失败次数过多"));
    assert_eq!(attempt(PASSWORD).status().as_u16(), 429, "still throttled");
}
