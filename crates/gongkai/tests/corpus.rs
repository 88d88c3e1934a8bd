//! Tests on the real published reports in `../shared/corpus` (third-party text kept outside
//! the repository). When the corpus is absent these tests say so and pass without checking.

use std::path::{Path, PathBuf};
use std::process::Command;

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("GONGKAI_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    if dir.join("dev/labels").is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "corpus absent at {} (set GONGKAI_CORPUS): corpus tests skipped",
            dir.display()
        );
        None
    }
}

fn gongkai(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gongkai"))
        .args(args)
        .output()
        .expect("run gongkai")
}

fn parse(path: &Path) -> serde_json::Value {
    let o = gongkai(&["parse".as_ref(), path.as_os_str(), "--json".as_ref()]);
    serde_json::from_slice(&o.stdout).expect("json")
}

const SEEDS: [&str; 5] = [
    "jiaxiang-ggzy-2020",
    "loudi-ggzy-2020",
    "luoyang-ggzy-2020",
    "mudanjiang-zfcg-2016",
    "zhaotong-zwfw-2018",
];

fn seed_label(corpus: &Path, seed: &str) -> serde_json::Value {
    let path = corpus.join(format!("dev/labels/{seed}.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("label")).expect("label JSON")
}

/// Every labelled number of a seed, and its metadata, must come out exactly.
#[test]
fn seeds_parse_exactly() {
    let Some(c) = corpus() else { return };
    for seed in SEEDS {
        let label = seed_label(&c, seed);
        let out = parse(&c.join(format!("seeds/{seed}.txt")));
        for key in ["generation", "agency", "year", "published_on"] {
            assert_eq!(out[key], label[key], "{seed}: {key}");
        }
        for table in ["proactive", "requests", "reviews"] {
            let Some(obj) = label[table].as_object() else {
                continue;
            };
            for (row, cells) in obj {
                match cells {
                    serde_json::Value::Array(a) => {
                        for (i, v) in a.iter().enumerate() {
                            assert_eq!(&out[table][row][i], v, "{seed}: /{table}/{row}/{i}");
                        }
                    }
                    serde_json::Value::Object(o) => {
                        for (col, v) in o {
                            assert_eq!(&out[table][row][col], v, "{seed}: /{table}/{row}/{col}");
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

#[test]
fn seed_rules_are_raised_and_no_error_on_consistent_seeds() {
    let Some(c) = corpus() else { return };
    for seed in SEEDS {
        let label = seed_label(&c, seed);
        let o = gongkai(&[
            "check".as_ref(),
            c.join(format!("seeds/{seed}.txt")).as_os_str(),
            "--json".as_ref(),
        ]);
        let findings: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        for rule in label["_expect_rules"].as_array().into_iter().flatten() {
            assert!(
                findings.iter().any(|f| &f["rule"] == rule),
                "{seed}: {rule} not raised"
            );
        }
        assert_eq!(o.status.code(), Some(0), "{seed}: {findings:#?}");
    }
}

#[test]
fn every_corpus_report_validates_against_the_schema() {
    let Some(c) = corpus() else { return };
    for dir in ["seeds", "dev/reports"] {
        for e in std::fs::read_dir(c.join(dir)).unwrap() {
            let p = e.unwrap().path();
            let v = parse(&p);
            gongkai_render::validate_report_json(&v)
                .unwrap_or_else(|e| panic!("{}: {e:?}", p.display()));
        }
    }
}

/// Regression guard on the measured accuracy (see README for the figures).
#[test]
fn accuracy_on_labelled_reports() {
    let Some(c) = corpus() else { return };
    let o = gongkai(&["eval".as_ref(), c.as_os_str(), "--json".as_ref()]);
    let ev: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let acc = ev["cells"]["accuracy"].as_f64().unwrap();
    eprintln!(
        "cell accuracy {acc}%, unlabelled values {}",
        ev["unlabelled_values"]
    );
    assert!(
        acc >= 98.5,
        "cell accuracy fell to {acc}%: {:#?}",
        ev["mistakes"]
    );
    assert_eq!(
        ev["tables"]["三"]["accuracy"].as_f64(),
        Some(100.0),
        "{:#?}",
        ev["mistakes"]
    );
    assert_eq!(ev["rules"]["right"], ev["rules"]["total"]);
}

/// The labelled corpus written as DOCX (and printed to PDF by LibreOffice when it is
/// installed) parses to the same values as its text form, within 0.5 percentage points.
#[test]
fn documents_read_as_well_as_text() {
    let Some(c) = corpus() else { return };
    let has_soffice = Command::new("soffice")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let formats = if has_soffice {
        "text,docx,pdf"
    } else {
        eprintln!("LibreOffice absent: PDF form of the corpus skipped");
        "text,docx"
    };
    let o = gongkai(&[
        "eval".as_ref(),
        c.as_os_str(),
        "--formats".as_ref(),
        formats.as_ref(),
        "--json".as_ref(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ev: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let text = ev["text"]["cells"]["accuracy"].as_f64().unwrap();
    for form in formats.split(',').skip(1) {
        let acc = ev[form]["cells"]["accuracy"].as_f64().unwrap();
        eprintln!("{form}: {acc}% (text {text}%)");
        assert!(
            (text - acc).abs() <= 0.5,
            "{form} {acc}% vs text {text}%: {:#?}",
            ev[form]["mistakes"]
        );
        assert_eq!(ev[form]["missing_files"].as_array().map(Vec::len), Some(0));
    }
}
