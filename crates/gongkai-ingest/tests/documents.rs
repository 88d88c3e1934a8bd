//! Documents as agencies publish them: the team's sample reports written as DOCX (gongkai's
//! own writer, official layout) and as XLSX (built here), read back by content detection.
//! Every table cell must come back exactly; wrong extensions must not matter.

use gongkai_ingest::detect::{detect, Format};
use gongkai_ingest::parse_bytes;
use std::io::Write;
use std::path::PathBuf;

fn samples() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../samples");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn cells(report: &gongkai_core::Report) -> serde_json::Value {
    let v = report.to_json_value();
    serde_json::json!({
        "proactive": v["proactive"],
        "requests": v["requests"],
        "reviews": v["reviews"],
        "statistics": v["statistics_2014"]["rows"].as_array().map(|rows| rows.iter().map(|r| r["values"].clone()).collect::<Vec<_>>()),
    })
}

#[test]
fn samples_round_trip_through_docx() {
    for path in samples() {
        let text = parse_bytes(&std::fs::read(&path).unwrap(), None).unwrap();
        let docx = gongkai_render::to_docx(&text.report, &[]);
        assert_eq!(detect(&docx), Format::Docx);
        let back = parse_bytes(&docx, Some("报告.pdf")).unwrap();
        assert_eq!(
            cells(&back.report),
            cells(&text.report),
            "{}",
            path.display()
        );
        assert_eq!(
            back.report.generation,
            text.report.generation,
            "{}",
            path.display()
        );
        assert_eq!(back.report.agency, text.report.agency, "{}", path.display());
        assert_eq!(back.report.year, text.report.year, "{}", path.display());
        // Provenance points into the document.
        let located = back
            .report
            .provenance
            .values()
            .filter(|p| p.location.is_some())
            .count();
        assert!(located > 0, "{}", path.display());
    }
}

/// A minimal XLSX (inline strings, no shared-strings part) with the given rows.
fn xlsx(rows: &[Vec<&str>]) -> Vec<u8> {
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (r, row) in rows.iter().enumerate() {
        sheet.push_str(&format!(r#"<row r="{}">"#, r + 1));
        for (c, v) in row.iter().enumerate() {
            let col = (b'A' + c as u8) as char;
            if v.is_empty() {
                continue;
            }
            if v.parse::<f64>().is_ok() {
                sheet.push_str(&format!(r#"<c r="{col}{}"><v>{v}</v></c>"#, r + 1));
            } else {
                sheet.push_str(&format!(
                    r#"<c r="{col}{}" t="inlineStr"><is><t>{v}</t></is></c>"#,
                    r + 1
                ));
            }
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let parts = [
        ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string()),
        ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string()),
        ("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="表三" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string()),
        ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_string()),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    let mut buf = Vec::new();
    {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(&mut buf));
        for (name, body) in parts {
            w.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(body.as_bytes()).unwrap();
        }
        w.finish().unwrap();
    }
    buf
}

#[test]
fn tables_exchanged_as_spreadsheets_are_read() {
    let rows = vec![
        vec!["示例县数据资源局2023年政府信息公开工作年度报告"],
        vec![
            "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）",
            "",
            "申请人情况",
        ],
        vec![
            "",
            "",
            "自然人",
            "商业企业",
            "科研机构",
            "社会公益组织",
            "法律服务机构",
            "其他",
            "总计",
        ],
        vec![
            "一、本年新收政府信息公开申请数量",
            "",
            "5",
            "1",
            "0",
            "0",
            "0",
            "0",
            "6",
        ],
        vec![
            "二、上年结转政府信息公开申请数量",
            "",
            "1",
            "0",
            "0",
            "0",
            "0",
            "0",
            "1",
        ],
        vec![
            "三、本年度办理结果",
            "（一）予以公开",
            "4",
            "1",
            "0",
            "0",
            "0",
            "0",
            "5",
        ],
    ];
    let bytes = xlsx(&rows);
    assert_eq!(detect(&bytes), Format::Xlsx);
    let p = parse_bytes(&bytes, Some("台账.txt")).unwrap();
    let r = p.report.requests.as_ref().expect("table 三");
    assert_eq!(
        r["new_received"],
        vec![
            Some(5.0),
            Some(1.0),
            Some(0.0),
            Some(0.0),
            Some(0.0),
            Some(0.0),
            Some(6.0)
        ]
    );
    assert_eq!(r["disclosed"][6], Some(5.0));
    let loc = p.report.provenance["/requests/new_received/6"]
        .location
        .clone();
    assert_eq!(loc.as_deref(), Some("工作表 表三 第 4 行"));
}

#[test]
fn legacy_and_unreadable_containers_get_clear_errors() {
    let ole = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 0, 0];
    let err = parse_bytes(&ole, None).unwrap_err().to_string();
    assert!(
        err.contains("soffice --headless --convert-to docx"),
        "{err}"
    );
    let err = parse_bytes(b"PK\x03\x04 truncated", None)
        .unwrap_err()
        .to_string();
    assert!(!err.is_empty());
}
