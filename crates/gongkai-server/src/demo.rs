//! `gongkai serve --demo`: a database with the team's own synthetic reports (made-up agencies,
//! in the repository's `samples/`, compiled into the binary so the demo works from any
//! directory), a small region hierarchy, and three demo accounts — so the first thing a new user
//! sees is a working supervision centre.

use crate::auth::hash_password;
use crate::import::{import_file, Upload};
use crate::AppError;
use gongkai_store::{AgencyLevel, Role, Store};

/// The bundled sample reports (synthetic; see `samples/README` in the repository).
pub const SAMPLES: &[(&str, &[u8])] = &[
    (
        "示例县数据资源局-2022.txt",
        include_bytes!("../../../samples/示例县数据资源局-2022.txt"),
    ),
    (
        "示例县数据资源局-2023.txt",
        include_bytes!("../../../samples/示例县数据资源局-2023.txt"),
    ),
    (
        "示例镇人民政府-2021.txt",
        include_bytes!("../../../samples/示例镇人民政府-2021.txt"),
    ),
    (
        "示例市政府采购中心-2016.txt",
        include_bytes!("../../../samples/示例市政府采购中心-2016.txt"),
    ),
    (
        "某市示例局-2021-gbk.html",
        include_bytes!("../../../samples/某市示例局-2021-gbk.html"),
    ),
];

/// Demo accounts: (username, display name, role). Password `demo` for all (demo mode only).
pub const DEMO_USERS: &[(&str, &str, Role)] = &[
    ("admin", "演示管理员", Role::Admin),
    ("jiandu", "演示监督员", Role::Supervisor),
    ("chakan", "演示查看员", Role::Viewer),
];

pub const DEMO_PASSWORD: &str = "demo";

/// What seeding did.
#[derive(Debug, Default)]
pub struct Seeded {
    pub imported: usize,
    pub failed: Vec<String>,
}

/// Fill an empty store with the demo data. Idempotent: users that exist are kept, files already
/// imported are recognised as duplicates.
pub fn seed(store: &dyn Store) -> Result<Seeded, AppError> {
    for (username, display, role) in DEMO_USERS {
        if store.user_by_name(username)?.is_none() {
            store.create_user(username, display, &hash_password(DEMO_PASSWORD)?, *role)?;
        }
    }
    let province = store.ensure_agency("示例省", AgencyLevel::Province, None)?;
    let city = store.ensure_agency("示例市", AgencyLevel::City, Some(province))?;
    let county = store.ensure_agency("示例县", AgencyLevel::County, Some(city))?;

    let mut seeded = Seeded::default();
    for (name, bytes) in SAMPLES {
        let upload = Upload {
            file_name: (*name).to_string(),
            bytes: bytes.to_vec(),
        };
        let item = import_file(store, &upload, None, None, None);
        match item.status.as_str() {
            "failed" => seeded
                .failed
                .push(format!("{name}：{}", item.message.unwrap_or_default())),
            _ => seeded.imported += 1,
        }
    }
    // Place the sample units under their regions: by name prefix, the rest under the city.
    for agency in store.agencies()? {
        if agency.level != AgencyLevel::Department || agency.parent.is_some() {
            continue;
        }
        let parent = if agency.name.starts_with("示例县") || agency.name.starts_with("示例镇")
        {
            county
        } else {
            city
        };
        store.set_agency_place(agency.id, AgencyLevel::Department, Some(parent))?;
    }
    Ok(seeded)
}
