//! Black-box tests of the `gongkai` binary on the team's own sample reports (`samples/`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gongkai"))
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples")
}

fn sample(name: &str) -> PathBuf {
    samples().join(name)
}

fn run(args: &[&std::ffi::OsStr]) -> Output {
    bin().args(args).output().expect("run gongkai")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn all_samples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(samples())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn help_explains_each_command_with_an_example() {
    let o = run(&["--help".as_ref()]);
    assert!(o.status.success());
    let s = stdout(&o);
    for cmd in ["parse", "check", "render", "eval"] {
        assert!(s.contains(cmd), "{s}");
    }
    assert!(s.contains("gongkai check"), "examples missing: {s}");
    for cmd in ["parse", "check", "render", "eval"] {
        let o = run(&[cmd.as_ref(), "--help".as_ref()]);
        assert!(o.status.success());
        assert!(
            stdout(&o).contains("Example"),
            "{cmd} --help has no example"
        );
    }
}

#[test]
fn parse_json_validates_against_the_schema() {
    for path in all_samples() {
        let o = run(&["parse".as_ref(), path.as_os_str(), "--json".as_ref()]);
        assert!(
            o.status.code().is_some_and(|c| c <= 1),
            "{}",
            path.display()
        );
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
        gongkai_render::validate_report_json(&v)
            .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        assert_eq!(v["schema"], "gongkai.report/1");
        assert_eq!(v["source"], path.display().to_string());
    }
}

#[test]
fn parse_many_files_prints_json_lines_and_no_progress_bar_when_piped() {
    let files = all_samples();
    let mut args: Vec<&std::ffi::OsStr> = vec!["parse".as_ref(), "--json".as_ref()];
    args.extend(files.iter().map(|f| f.as_os_str()));
    let o = run(&args);
    let lines: Vec<&str> = std::str::from_utf8(&o.stdout).unwrap().lines().collect();
    assert_eq!(lines.len(), files.len());
    for l in lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert!(v["source"].is_string());
    }
    // stderr is a pipe here: no progress bar.
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn consistent_reports_exit_zero() {
    let o = run(&[
        "check".as_ref(),
        sample("示例县数据资源局-2022.txt").as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("未发现问题"));
}

#[test]
fn rows_that_do_not_add_up_and_a_blank_total_are_flagged_at_the_right_cells() {
    let o = run(&[
        "check".as_ref(),
        sample("示例镇人民政府-2021.txt").as_os_str(),
        "--json".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let findings: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for f in &findings {
        gongkai_render::validate_finding_json(f).unwrap();
    }
    let blank_total = findings
        .iter()
        .find(|f| f["rule"] == "requests.row_total" && f["found"].is_null())
        .expect("blank 总计 flagged");
    assert_eq!(
        blank_total["cells"],
        serde_json::json!(["/requests/disclosed/6"])
    );
    assert_eq!(blank_total["expected"], 4);
    let wrong_sum = findings
        .iter()
        .find(|f| f["rule"] == "requests.row_total" && f["found"] == 8)
        .expect("row sum flagged");
    assert!(wrong_sum["cells"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("/requests/withheld_state_secret/6")));
    assert_eq!(wrong_sum["expected"], 6);
    assert_eq!(wrong_sum["severity"], "error");
}

#[test]
fn several_reports_are_checked_across_years_and_for_copied_text() {
    let o = run(&[
        "check".as_ref(),
        sample("示例县数据资源局-2022.txt").as_os_str(),
        sample("示例县数据资源局-2023.txt").as_os_str(),
        "--json".as_ref(),
    ]);
    let s = stdout(&o);
    assert!(s.contains("\"cross_year.carry_over\""), "{s}");
    assert!(s.contains("/requests/carried_over/1"), "{s}");
    assert!(s.contains("\"text.near_duplicate\""), "{s}");
    assert_eq!(o.status.code(), Some(0), "warnings only");
}

#[test]
fn unreadable_inputs_exit_two_with_a_clear_message() {
    let dir = std::env::temp_dir().join(format!("gongkai-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let junk = dir.join("junk.bin");
    let bytes: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(&junk, bytes).unwrap();
    let o = run(&["check".as_ref(), junk.as_os_str()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("junk.bin"));
    let o = run(&["parse".as_ref(), dir.join("missing.txt").as_os_str()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("无法读取"));
    // One bad file does not stop the others from being checked.
    let o = run(&[
        "check".as_ref(),
        junk.as_os_str(),
        sample("示例县数据资源局-2022.txt").as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("示例县数据资源局"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn empty_and_non_report_files_get_findings_not_panics() {
    let dir = std::env::temp_dir().join(format!("gongkai-cli-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.txt");
    std::fs::write(&empty, b"").unwrap();
    let o = run(&["parse".as_ref(), empty.as_os_str(), "--json".as_ref()]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["generation"], "unknown");
    assert_eq!(
        o.status.code(),
        Some(1),
        "an empty file is an error finding"
    );
    let notice = dir.join("notice.txt");
    std::fs::write(
        &notice,
        "关于示例路段临时交通管制的通告\n因道路施工，2025年3月1日至3月5日实行交通管制。\n",
    )
    .unwrap();
    let o = run(&["check".as_ref(), notice.as_os_str(), "--json".as_ref()]);
    assert!(
        stdout(&o).contains("structure.not_a_report"),
        "{}",
        stdout(&o)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn render_markdown_and_html() {
    let f = sample("示例镇人民政府-2021.txt");
    let o = run(&[
        "render".as_ref(),
        f.as_os_str(),
        "--to".as_ref(),
        "md".as_ref(),
    ]);
    let md = stdout(&o);
    assert!(md.contains("示例镇人民政府"));
    assert!(md.contains("requests.row_total"));
    let o = run(&[
        "render".as_ref(),
        f.as_os_str(),
        "--to".as_ref(),
        "html".as_ref(),
    ]);
    let html = stdout(&o);
    assert!(html.starts_with("<!DOCTYPE html>") || html.starts_with("<!doctype html>"));
    assert!(
        html.contains("class=\"bad\""),
        "the failing cell is highlighted"
    );
    assert!(html.contains("rowspan"));
}

#[test]
fn gbk_html_sample_parses_completely() {
    let o = run(&[
        "parse".as_ref(),
        sample("某市示例局-2021-gbk.html").as_os_str(),
        "--json".as_ref(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["generation"], "2021");
    assert_eq!(v["agency"], "某市示例局");
    assert!(v["requests"]["total_handled"][6].is_number());
    assert!(v["reviews"]["reconsideration"]["total"].is_number());
}
