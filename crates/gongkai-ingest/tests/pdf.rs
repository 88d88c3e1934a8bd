//! PDF text layer → table text, on PDFs of the team's own synthetic reports.
//!
//! * Round trip through LibreOffice (when `soffice` is on PATH; otherwise the test says so and
//!   returns): the HTML fixture `fixtures/html/example-2021.html` (某市示例局) and every
//!   `samples/*.txt` (wrapped in HTML with real `<table>`s) are converted to PDF, read back,
//!   and every table cell, the metadata and the findings must equal what the HTML or text itself
//!   parses to. With `pdftocairo` (poppler-utils) the PDFs are also re-rendered by cairo, which
//!   writes Type0/Identity-H fonts instead of LibreOffice's simple CJK subsets.
//! * Committed fixtures `fixtures/pdf/example-2021.pdf` (LibreOffice 7.4 export of the HTML
//!   fixture) and `example-2021-cairo.pdf` (`pdftocairo -pdf` of it) run the same check without
//!   LibreOffice; regenerate them with
//!   `cargo test -p gongkai-ingest --test pdf -- --ignored regenerate_pdf_fixtures`.
//! * Tiny PDFs built byte by byte here: no text layer, scans, garbage, encryption, limits,
//!   fonts (Identity-H, GBK simple fonts, predefined CMaps), ruled and borderless tables,
//!   headers/footers/page numbers, rotation, and a mutation sweep that must never panic.
//!
//! Apt packages for the LibreOffice round trip: `libreoffice-writer-nogui fonts-noto-cjk
//! poppler-utils`.

use std::cell::Cell;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use gongkai_ingest::pdf::{pdf_to_text, PdfError, PdfLimits, PdfText};
use gongkai_ingest::{parse_bytes, parse_text, Parsed};

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

fn read(limits: &PdfLimits, bytes: &[u8]) -> Result<PdfText, PdfError> {
    let out = pdf_to_text(bytes, limits);
    if let Ok(text) = &out {
        check_shape(text);
    }
    out
}

fn text_of(bytes: &[u8]) -> PdfText {
    read(&PdfLimits::default(), bytes).expect("PDF reads")
}

/// `line_pages` has one page per line, in order, within the page count.
fn check_shape(pdf: &PdfText) {
    assert_eq!(pdf.text.lines().count(), pdf.line_pages.len());
    assert!(pdf.text.is_empty() || pdf.text.ends_with('\n'));
    assert!(pdf.line_pages.windows(2).all(|w| w[0] <= w[1]));
    assert!(pdf.line_pages.iter().all(|&p| p >= 1 && p <= pdf.pages));
}

// ---- comparison with the parse of the source -------------------------------------------------

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("serializes")
}

/// The PDF's text must parse to the same report as its source: every table cell, the
/// generation, agency, year, date and sections, the same findings, and the same narrative up to
/// whitespace.
fn assert_same_report(name: &str, pdf: &PdfText, source: &Parsed) {
    let parsed = parse_text(&pdf.text, None);
    let (a, b) = (&source.report, &parsed.report);
    let fields: [(&str, String, String); 9] = [
        ("generation", json(&a.generation), json(&b.generation)),
        ("agency", json(&a.agency), json(&b.agency)),
        ("year", json(&a.year), json(&b.year)),
        ("published_on", json(&a.published_on), json(&b.published_on)),
        ("sections", json(&a.sections), json(&b.sections)),
        ("proactive", json(&a.proactive), json(&b.proactive)),
        ("requests", json(&a.requests), json(&b.requests)),
        ("reviews", json(&a.reviews), json(&b.reviews)),
        (
            "statistics_2014",
            json(&a.statistics_2014),
            json(&b.statistics_2014),
        ),
    ];
    for (field, want, got) in fields {
        assert_eq!(
            got, want,
            "{name}: {field} differs\n--- PDF text ---\n{}",
            pdf.text
        );
    }
    assert!(
        a.requests.is_some() || a.statistics_2014.is_some(),
        "{name}: the source has tables"
    );
    let rules = |p: &Parsed| {
        let mut r: Vec<String> = p
            .findings
            .iter()
            .map(|f| format!("{} {}", f.rule, f.message))
            .collect();
        r.sort();
        r
    };
    assert_eq!(rules(&parsed), rules(source), "{name}: findings differ");
    let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let narrative = |p: &Parsed| {
        p.report
            .narrative
            .iter()
            .map(|(k, v)| format!("{k}:{}", squash(v)))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        narrative(&parsed),
        narrative(source),
        "{name}: narrative differs"
    );
}

fn html_fixture() -> Vec<u8> {
    std::fs::read(format!("{MANIFEST}/tests/fixtures/html/example-2021.html")).expect("fixture")
}

#[test]
fn committed_fixtures_match_the_html() {
    let source = parse_bytes(&html_fixture(), None).expect("HTML parses");
    for name in ["example-2021.pdf", "example-2021-cairo.pdf"] {
        let bytes =
            std::fs::read(format!("{MANIFEST}/tests/fixtures/pdf/{name}")).expect("fixture");
        let pdf = text_of(&bytes);
        assert_eq!(pdf.pages, 5, "{name}");
        assert!(pdf.image_only_pages.is_empty());
        assert_same_report(name, &pdf, &source);
        // Table 三's header: the rowspan label and the colspan header on their grid positions.
        assert!(pdf.text.contains(
            "| （本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和） |  |  | 申请人情况 |  |  |  |  |  |  |\n"
        ));
        assert!(pdf.text.contains(
            "|  |  |  |  | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 |  |\n"
        ));
        // A label wrapped over two lines in its cell stays one cell, numbers on the same row
        // (LibreOffice turned the source's line break into a space, which the PDF draws).
        assert!(pdf.text.contains(
            "|  | （二）部分公开（区分处理的，只计这一情形， 不计其他情形） |  | 4 | 1 | 0 | 0 | 0 | 0 | 5 |\n"
        ));
        // The table continued on the next page keeps its four columns.
        assert!(pdf.text.contains("| 行政处罚 | 27 |  |  |\n"), "{name}");
        // Paragraphs wrapped over lines are joined again.
        assert!(pdf
            .text
            .contains("国务院办公厅政府信息与政务公开办公室有关要求编制"));
        let first_table_row = pdf
            .text
            .lines()
            .position(|l| l.starts_with("| 第二十条第（一）项"))
            .expect("table 二");
        assert_eq!(pdf.page_of_line(first_table_row + 1), Some(2));
        assert_eq!(pdf.page_of_line(pdf.line_pages.len()), Some(5));
    }
}

// ---- LibreOffice round trip ------------------------------------------------------------------

fn on_path(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gongkai-pdf-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Converts HTML files to PDF with LibreOffice in one run, with a private profile so parallel
/// runs do not collide.
fn soffice_to_pdf(dir: &Path, inputs: &[PathBuf]) {
    let profile = dir.join("profile");
    let status = Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir)
        .args(inputs)
        .output()
        .expect("soffice runs");
    assert!(status.status.success(), "soffice failed: {status:?}");
}

/// A text sample as an HTML page: `|`- or tab-separated lines become rows of real tables, the
/// other lines paragraphs (cells split like the tokenizer does: an empty first or last piece
/// is only the line's edge).
fn sample_to_html(text: &str, title: &str) -> String {
    fn esc(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    }
    let mut html = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{}</title></head><body>\n",
        esc(title)
    );
    let mut in_table = false;
    for line in text.lines() {
        let sep = if line.contains('|') {
            Some('|')
        } else if line.contains('\t') {
            Some('\t')
        } else {
            None
        };
        match sep {
            Some(sep) => {
                if !in_table {
                    html.push_str(
                        "<table border=\"1\" cellspacing=\"0\" cellpadding=\"2\" style=\"border-collapse:collapse\">\n",
                    );
                    in_table = true;
                }
                let mut cells: Vec<&str> = line.split(sep).map(str::trim).collect();
                if cells.first() == Some(&"") {
                    cells.remove(0);
                }
                if cells.last() == Some(&"") {
                    cells.pop();
                }
                html.push_str("<tr>");
                for cell in cells {
                    let _ = write!(html, "<td>{}</td>", esc(cell));
                }
                html.push_str("</tr>\n");
            }
            None => {
                if in_table {
                    html.push_str("</table>\n");
                    in_table = false;
                }
                if !line.trim().is_empty() {
                    let _ = writeln!(html, "<p>{}</p>", esc(line.trim()));
                }
            }
        }
    }
    if in_table {
        html.push_str("</table>\n");
    }
    html.push_str("</body></html>\n");
    html
}

#[test]
fn libreoffice_round_trip_matches_the_sources() {
    if !on_path("soffice") {
        println!("LibreOffice absent: PDF round-trip skipped");
        return;
    }
    let dir = scratch_dir("roundtrip");
    // (stem, source bytes, parse of the source)
    let mut cases: Vec<(String, Parsed)> = Vec::new();
    let mut inputs = Vec::new();
    let html = html_fixture();
    std::fs::write(dir.join("example-2021.html"), &html).expect("write");
    inputs.push(dir.join("example-2021.html"));
    cases.push((
        "example-2021".into(),
        parse_bytes(&html, None).expect("HTML parses"),
    ));
    let samples = Path::new(MANIFEST).join("../../samples");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&samples)
        .expect("samples/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "samples/*.txt exist");
    for (i, path) in names.iter().enumerate() {
        let text = std::fs::read_to_string(path).expect("sample is UTF-8");
        let stem = format!("sample-{i}");
        let title = path
            .file_stem()
            .map_or(String::new(), |s| s.to_string_lossy().into_owned());
        std::fs::write(
            dir.join(format!("{stem}.html")),
            sample_to_html(&text, &title),
        )
        .expect("write");
        inputs.push(dir.join(format!("{stem}.html")));
        cases.push((stem, parse_text(&text, None)));
    }
    soffice_to_pdf(&dir, &inputs);
    let cairo = on_path("pdftocairo");
    if !cairo {
        println!("pdftocairo absent: cairo re-rendering skipped");
    }
    for (stem, source) in &cases {
        let pdf_path = dir.join(format!("{stem}.pdf"));
        let bytes = std::fs::read(&pdf_path).expect("soffice wrote the PDF");
        assert_same_report(stem, &text_of(&bytes), source);
        if cairo {
            let out = dir.join(format!("{stem}-cairo.pdf"));
            let ok = Command::new("pdftocairo")
                .arg("-pdf")
                .arg(&pdf_path)
                .arg(&out)
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "pdftocairo failed");
            let bytes = std::fs::read(&out).expect("cairo PDF");
            assert_same_report(&format!("{stem} (cairo)"), &text_of(&bytes), source);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "rewrites tests/fixtures/pdf with LibreOffice and pdftocairo"]
fn regenerate_pdf_fixtures() {
    assert!(on_path("soffice") && on_path("pdftocairo"));
    let dir = scratch_dir("regenerate");
    let html = dir.join("example-2021.html");
    std::fs::write(&html, html_fixture()).expect("write");
    soffice_to_pdf(&dir, &[html]);
    let fixtures = Path::new(MANIFEST).join("tests/fixtures/pdf");
    std::fs::create_dir_all(&fixtures).expect("fixture dir");
    std::fs::copy(
        dir.join("example-2021.pdf"),
        fixtures.join("example-2021.pdf"),
    )
    .expect("copy");
    let ok = Command::new("pdftocairo")
        .arg("-pdf")
        .arg(fixtures.join("example-2021.pdf"))
        .arg(fixtures.join("example-2021-cairo.pdf"))
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- hand-built PDFs -------------------------------------------------------------------------

/// Assembles a PDF from object bodies (object `i + 1` is `objects[i]`) with a correct xref.
fn assemble(objects: &[Vec<u8>], trailer_extra: &str) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for off in offsets {
        let _ = writeln!(table, "{off:010} 00000 n ");
    }
    let id = "<8A0B5C1D2E3F40516273849506A7B8C9>";
    let _ = write!(
        table,
        "trailer\n<< /Size {} /Root 1 0 R /ID [{id} {id}] {trailer_extra} >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    out.extend_from_slice(table.as_bytes());
    out
}

fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut s = format!("<< /Length {} {dict} >>\nstream\n", data.len()).into_bytes();
    s.extend_from_slice(data);
    s.extend_from_slice(b"\nendstream");
    s
}

/// Pages drawn with one Type0 `Identity-H` font (CJK advance 1000, ASCII 500) whose ToUnicode
/// map covers the characters used, like Word and WPS write them.
#[derive(Default)]
struct Builder {
    chars: Vec<char>,
    pages: Vec<String>,
    /// Extra page dictionary entries, per page.
    page_extra: Vec<String>,
    font_extra: String,
    to_unicode: bool,
}

impl Builder {
    fn new() -> Self {
        Self {
            to_unicode: true,
            ..Self::default()
        }
    }

    fn cid(&mut self, c: char) -> usize {
        match self.chars.iter().position(|&x| x == c) {
            Some(i) => i + 1,
            None => {
                self.chars.push(c);
                self.chars.len()
            }
        }
    }

    /// Content operators showing `text` at (x, y).
    fn text(&mut self, x: f32, y: f32, size: f32, text: &str) -> String {
        let mut hex = String::new();
        for c in text.chars() {
            let cid = self.cid(c);
            let _ = write!(hex, "{cid:04X}");
        }
        format!("BT /F1 {size} Tf {x} {y} Td <{hex}> Tj ET\n")
    }

    fn page(&mut self, content: String) {
        self.pages.push(content);
        self.page_extra.push(String::new());
    }

    fn build(&self) -> Vec<u8> {
        // 1 catalog, 2 pages, 3 font, 4 CID font, 5 ToUnicode, then (page, content) pairs.
        let mut objects: Vec<Vec<u8>> = Vec::new();
        objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
        let kids: Vec<String> = (0..self.pages.len())
            .map(|i| format!("{} 0 R", 6 + 2 * i))
            .collect();
        objects.push(
            format!(
                "<< /Type /Pages /Kids [{}] /Count {} >>",
                kids.join(" "),
                self.pages.len()
            )
            .into_bytes(),
        );
        let to_unicode = if self.to_unicode {
            "/ToUnicode 5 0 R"
        } else {
            ""
        };
        objects.push(
            format!(
                "<< /Type /Font /Subtype /Type0 /BaseFont /ABCDEF+SimSun /Encoding /Identity-H /DescendantFonts [4 0 R] {to_unicode} {} >>",
                self.font_extra
            )
            .into_bytes(),
        );
        let mut widths = String::new();
        for (i, c) in self.chars.iter().enumerate() {
            let w = if c.is_ascii() { 500 } else { 1000 };
            let _ = write!(widths, "{} [{w}] ", i + 1);
        }
        objects.push(
            format!(
                "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /ABCDEF+SimSun /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 /W [{widths}] >>"
            )
            .into_bytes(),
        );
        let mut cmap = String::from(
            "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n1 begincodespacerange <0000> <FFFF> endcodespacerange\n",
        );
        let _ = writeln!(cmap, "{} beginbfchar", self.chars.len());
        for (i, c) in self.chars.iter().enumerate() {
            let mut units = [0u16; 2];
            let hex: String = c
                .encode_utf16(&mut units)
                .iter()
                .map(|u| format!("{u:04X}"))
                .collect();
            let _ = writeln!(cmap, "<{:04X}> <{hex}>", i + 1);
        }
        cmap.push_str("endbfchar\nendcmap CMapName currentdict /CMap defineresource pop end end\n");
        objects.push(stream("", cmap.as_bytes()));
        for (i, content) in self.pages.iter().enumerate() {
            objects.push(
                format!(
                    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R {} >>",
                    7 + 2 * i,
                    self.page_extra[i]
                )
                .into_bytes(),
            );
            objects.push(stream("", content.as_bytes()));
        }
        assemble(&objects, "")
    }
}

fn lines(pdf: &PdfText) -> Vec<&str> {
    pdf.text.lines().collect()
}

#[test]
fn identity_h_text_with_tounicode_reads_in_order() {
    let mut b = Builder::new();
    // Drawn bottom line first: reading order comes from the coordinates, not the stream.
    let mut content = b.text(72.0, 700.0, 12.0, "二、主动公开政府信息情况");
    content += &b.text(
        72.0,
        760.0,
        16.0,
        "某市示例局2021年政府信息公开工作年度报告",
    );
    content += &b.text(72.0, 730.0, 12.0, "一、总体情况");
    b.page(content);
    let pdf = text_of(&b.build());
    assert_eq!(
        lines(&pdf),
        [
            "某市示例局2021年政府信息公开工作年度报告",
            "一、总体情况",
            "二、主动公开政府信息情况"
        ]
    );
    assert_eq!(pdf.pages, 1);
    assert_eq!(pdf.line_pages, [1, 1, 1]);
}

#[test]
fn empty_page_has_no_text_layer() {
    let mut b = Builder::new();
    b.page(String::new());
    b.page("0 0 m 100 100 l S\n".into());
    let err = read(&PdfLimits::default(), &b.build()).unwrap_err();
    assert_eq!(err, PdfError::NoTextLayer);
    assert_eq!(
        err.to_string(),
        "PDF 没有文字层（可能是扫描件），需要先做文字识别（OCR）"
    );
}

/// A scan: one page that only paints an image XObject, one with an inline image.
fn scanned_pdf() -> Vec<u8> {
    let objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 2 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>".to_vec(),
        stream("", b"q 595 0 0 842 0 0 cm /Im1 Do Q"),
        stream(
            "/Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray /BitsPerComponent 8",
            &[0, 255, 255, 0],
        ),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 7 0 R >>".to_vec(),
        stream("", b"q 100 0 0 100 0 0 cm BI /W 2 /H 1 /CS /G /BPC 8 ID \x00EI\xff EI Q"),
    ];
    assemble(&objects, "")
}

#[test]
fn image_only_pdf_has_no_text_layer() {
    assert_eq!(
        read(&PdfLimits::default(), &scanned_pdf()).unwrap_err(),
        PdfError::NoTextLayer
    );
}

#[test]
fn scanned_pages_inside_a_text_pdf_are_reported() {
    let mut b = Builder::new();
    let content = b.text(72.0, 700.0, 12.0, "一、总体情况");
    b.page(content);
    b.page("q 595 0 0 842 0 0 cm BI /W 1 /H 1 /CS /G /BPC 8 ID \x7f EI Q\n".into());
    let pdf = text_of(&b.build());
    assert_eq!(pdf.pages, 2);
    assert_eq!(pdf.image_only_pages, [2]);
}

#[test]
fn garbage_is_malformed() {
    let limits = PdfLimits::default();
    for bytes in [
        &b""[..],
        b"not a pdf at all",
        b"%PDF-1.7",
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
        b"PK\x03\x04 %PDF- inside a zip",
    ] {
        match read(&limits, bytes) {
            Err(PdfError::Malformed(msg)) => assert!(!msg.is_empty()),
            other => panic!("{bytes:?}: {other:?}"),
        }
    }
    let mut lcg = 0x2545_f491_4f6c_dd1du64;
    let mut junk = b"%PDF-1.4\n".to_vec();
    for _ in 0..20_000 {
        lcg = lcg.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        junk.push((lcg >> 56) as u8);
    }
    assert!(matches!(read(&limits, &junk), Err(PdfError::Malformed(_))));
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let mut body = vec![b'['; 200_000];
    body.extend(vec![b']'; 200_000]);
    let objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>".to_vec(),
        stream("", &body),
        body.clone(),
    ];
    assert!(read(&PdfLimits::default(), &assemble(&objects, "")).is_err());
}

#[test]
fn limits_are_enforced() {
    let mut b = Builder::new();
    let content = b.text(72.0, 700.0, 12.0, "一、总体情况");
    b.page(content.clone());
    b.page(content.clone());
    b.page(content);
    let pdf = b.build();

    let small = PdfLimits {
        max_bytes: 100,
        ..PdfLimits::default()
    };
    assert!(matches!(
        read(&small, &pdf),
        Err(PdfError::TooLarge { limit: 100, .. })
    ));
    let few_objects = PdfLimits {
        max_objects: 5,
        ..PdfLimits::default()
    };
    assert!(matches!(
        read(&few_objects, &pdf),
        Err(PdfError::TooManyObjects { limit: 5, .. })
    ));
    let few_pages = PdfLimits {
        max_pages: 2,
        ..PdfLimits::default()
    };
    assert_eq!(
        read(&few_pages, &pdf).unwrap_err(),
        PdfError::TooManyPages { count: 3, limit: 2 }
    );
    let no_time = PdfLimits {
        max_time: Duration::ZERO,
        ..PdfLimits::default()
    };
    assert!(matches!(
        read(&no_time, &pdf),
        Err(PdfError::Timeout { .. })
    ));
    assert_eq!(text_of(&pdf).pages, 3);
}

#[test]
fn huge_declared_counts_are_bounded_errors() {
    // A page tree that claims a hundred million pages.
    let objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 100000000 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>".to_vec(),
        stream("", b"BT ET"),
    ];
    assert_eq!(
        read(&PdfLimits::default(), &assemble(&objects, "")).unwrap_err(),
        PdfError::TooManyPages {
            count: 100_000_000,
            limit: 500
        }
    );
    // A trailer that claims a billion objects.
    let mut pdf = assemble(&objects, "");
    let at = pdf
        .windows(8)
        .position(|w| w == b"/Size 5 ")
        .expect("trailer");
    pdf.splice(at..at + 8, b"/Size 1000000000 ".iter().copied());
    assert!(matches!(
        read(&PdfLimits::default(), &pdf),
        Err(PdfError::TooManyObjects { .. })
    ));
    // An object stream that claims more objects than allowed.
    let objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [] /Count 0 >>".to_vec(),
        stream("/Type /ObjStm /N 300000 /First 4", b"5 0 null"),
    ];
    assert!(matches!(
        read(&PdfLimits::default(), &assemble(&objects, "")),
        Err(PdfError::TooManyObjects {
            count: 300_003..,
            ..
        })
    ));
}

/// An Identity-H font without a ToUnicode map: the glyphs cannot be named.
#[test]
fn fonts_without_unicode_are_undecodable_not_garbage() {
    let mut b = Builder::new();
    b.to_unicode = false;
    let content = b.text(72.0, 700.0, 12.0, "某市示例局政府信息公开工作年度报告");
    b.page(content);
    let err = read(&PdfLimits::default(), &b.build()).unwrap_err();
    assert_eq!(err, PdfError::Undecodable { percent: 100 });
    assert!(err.to_string().contains("OCR"));
}

/// A simple font named like a Chinese font without any map carries GBK bytes; Type0 fonts with
/// predefined GB CMaps carry GBK or UCS-2 codes.
#[test]
fn chinese_legacy_encodings_decode() {
    let (gbk, _, _) = encoding_rs::GBK.encode("某市示例局 2021年");
    let mut show = b"BT /F1 12 Tf 72 700 Td <".to_vec();
    show.extend(gbk.iter().flat_map(|b| format!("{b:02X}").into_bytes()));
    show.extend_from_slice(b"> Tj ET\nBT /F2 12 Tf 72 680 Td <");
    show.extend(gbk.iter().flat_map(|b| format!("{b:02X}").into_bytes()));
    show.extend_from_slice(b"> Tj ET\nBT /F3 12 Tf 72 660 Td <");
    let ucs2: Vec<u8> = "行政许可"
        .encode_utf16()
        .flat_map(u16::to_be_bytes)
        .collect();
    show.extend(ucs2.iter().flat_map(|b| format!("{b:02X}").into_bytes()));
    show.extend_from_slice(b"> Tj ET\n");
    let objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R /F2 6 0 R /F3 8 0 R >> >> /Contents 4 0 R >>".to_vec(),
        stream("", &show),
        b"<< /Type /Font /Subtype /TrueType /BaseFont /SimSun >>".to_vec(),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /GBK-EUC-H /DescendantFonts [7 0 R] >>".to_vec(),
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> >>".to_vec(),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [7 0 R] >>".to_vec(),
    ];
    let pdf = text_of(&assemble(&objects, ""));
    assert_eq!(
        lines(&pdf),
        ["某市示例局 2021年", "某市示例局 2021年", "行政许可"]
    );
}

#[test]
fn winansi_differences_and_form_xobjects_decode() {
    let objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /X1 5 0 R >> >> /Contents 4 0 R >>".to_vec(),
        stream("", b"q 1 0 0 1 72 700 cm /X1 Do Q"),
        stream(
            "/Type /XObject /Subtype /Form /BBox [0 0 500 100] /Resources << /Font << /F1 6 0 R >> >>",
            b"BT /F1 10 Tf 0 0 Td (Annual report \\(2021\\) ) Tj (\\001\\002) Tj ET",
        ),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /BaseEncoding /WinAnsiEncoding /Differences [1 /uni884C /endash] >> >>".to_vec(),
    ];
    let pdf = text_of(&assemble(&objects, ""));
    assert_eq!(lines(&pdf), ["Annual report (2021) 行–"]);
}

#[test]
fn owner_password_only_encryption_is_opened_user_password_is_refused() {
    use lopdf::encryption::crypt_filters::{Aes128CryptFilter, CryptFilter};
    use lopdf::{EncryptionState, EncryptionVersion, Permissions};
    use std::collections::BTreeMap;
    use std::sync::Arc;

    let mut b = Builder::new();
    let content = b.text(72.0, 700.0, 12.0, "一、总体情况");
    b.page(content);
    let plain = b.build();
    let encrypt = |user: &str| -> Vec<u8> {
        let mut doc = lopdf::Document::load_mem(&plain).expect("lopdf reads the builder's PDF");
        let crypt_filter: Arc<dyn CryptFilter> = Arc::new(Aes128CryptFilter);
        let version = EncryptionVersion::V4 {
            document: &doc,
            encrypt_metadata: true,
            crypt_filters: BTreeMap::from([(b"StdCF".to_vec(), crypt_filter)]),
            stream_filter: b"StdCF".to_vec(),
            string_filter: b"StdCF".to_vec(),
            owner_password: "owner",
            user_password: user,
            permissions: Permissions::PRINTABLE,
        };
        let state = EncryptionState::try_from(version).expect("encryption state");
        doc.encrypt(&state).expect("encrypts");
        let mut out = Vec::new();
        doc.save_to(&mut out).expect("saves");
        out
    };
    // 政务 PDFs often carry only an owner password (no copying); they open like any other.
    let pdf = text_of(&encrypt(""));
    assert_eq!(lines(&pdf), ["一、总体情况"]);
    let err = read(&PdfLimits::default(), &encrypt("secret")).unwrap_err();
    assert_eq!(err, PdfError::Encrypted);
    assert!(err.to_string().contains("密码"));
}

/// Rules drawn both ways (stroked lines and thin filled rectangles), a header cell spanning two
/// columns, a header written as a column of characters, a label wrapped in its cell, and a row
/// label spanning two rows.
#[test]
fn ruled_table_becomes_grid_rows() {
    let mut b = Builder::new();
    let mut c = String::new();
    // Grid: x = 50, 150, 250, 350; y = 700, 660, 620, 580, 540.
    c += "0.5 w\n";
    for y in [700, 620, 580, 540] {
        let _ = writeln!(c, "50 {y} m 350 {y} l S");
    }
    // Row boundary 660 only under the two value columns (the first column's header cell spans
    // rows 0-1): a filled thin rectangle.
    c += "150 659.75 200 0.5 re f\n";
    for x in [50, 150, 350] {
        let _ = writeln!(c, "{x} 540 m {x} 700 l S");
    }
    // The boundary x = 250 is missing in the top row (colspan) and drawn below it.
    c += "249.75 540 0.5 120 re f\n";
    // Row 0: header over two columns; rows 0-1 in column 0: stacked characters.
    c += &b.text(60.0, 685.0, 10.0, "项");
    c += &b.text(60.0, 673.0, 10.0, "目");
    c += &b.text(180.0, 677.0, 10.0, "申请人情况");
    c += &b.text(160.0, 637.0, 10.0, "自然人");
    c += &b.text(260.0, 637.0, 10.0, "法人或其他组织");
    // Row 2: a label wrapped over two lines, numbers centered.
    c += &b.text(55.0, 605.0, 10.0, "本年新收政府");
    c += &b.text(55.0, 592.0, 10.0, "信息公开申请");
    c += &b.text(195.0, 597.0, 10.0, "54");
    c += &b.text(297.5, 597.0, 10.0, "8");
    // Row 3.
    c += &b.text(55.0, 557.0, 10.0, "总计");
    c += &b.text(195.0, 557.0, 10.0, "54");
    c += &b.text(297.5, 557.0, 10.0, "8");
    c += &b.text(50.0, 500.0, 10.0, "表格之后的文字");
    b.page(c);
    let pdf = text_of(&b.build());
    assert_eq!(
        lines(&pdf),
        [
            "| 项目 | 申请人情况 |  |",
            "|  | 自然人 | 法人或其他组织 |",
            "| 本年新收政府信息公开申请 | 54 | 8 |",
            "| 总计 | 54 | 8 |",
            "表格之后的文字",
        ]
    );
}

/// Without rules, cells are separated by wide gaps; a line wrapped under the cells of the row
/// above is folded into them.
#[test]
fn borderless_rows_split_at_wide_gaps() {
    let mut b = Builder::new();
    let mut c = String::new();
    c += &b.text(50.0, 700.0, 10.0, "信息内容");
    c += &b.text(200.0, 700.0, 10.0, "本年制发");
    c += &b.text(300.0, 700.0, 10.0, "本年废止");
    c += &b.text(200.0, 688.0, 10.0, "件数");
    c += &b.text(300.0, 688.0, 10.0, "件数");
    c += &b.text(50.0, 670.0, 10.0, "规章");
    c += &b.text(200.0, 670.0, 10.0, "0");
    c += &b.text(300.0, 670.0, 10.0, "1");
    c += &b.text(50.0, 650.0, 10.0, "共 2 件，其中 1 件 已办结");
    b.page(c);
    let pdf = text_of(&b.build());
    assert_eq!(
        lines(&pdf),
        [
            "| 信息内容 | 本年制发件数 | 本年废止件数 |",
            "| 规章 | 0 | 1 |",
            "共 2 件，其中 1 件 已办结",
        ]
    );
}

/// Lines wrapped at the right margin are joined back into their paragraph (and a centred title
/// into one line); indented paragraphs, numbered items and short lines stay separate.
#[test]
fn wrapped_paragraphs_and_titles_are_joined() {
    let mut b = Builder::new();
    let title = "某市示例局二〇二一年度政府信息公开工作年度报告全文";
    let para = "全年通过门户网站主动公开政府信息一百八十六条其中机构职能类十二条政策文件类二十三条工作动态类一百五十一条";
    let (first, rest) = para.split_at(para.char_indices().nth(34).map_or(para.len(), |(i, _)| i));
    let (second, third) = rest.split_at(rest.char_indices().nth(36).map_or(rest.len(), |(i, _)| i));
    let mut c = String::new();
    // Text block from x = 72 to 504 (36 characters of 12 pt); the title wraps after 20
    // characters of 18 pt and its second line is centred under the first.
    let cut = title.char_indices().nth(20).map_or(title.len(), |(i, _)| i);
    c += &b.text(72.0, 780.0, 18.0, &title[..cut]);
    c += &b.text(198.0, 756.0, 18.0, &title[cut..]);
    c += &b.text(96.0, 720.0, 12.0, first);
    c += &b.text(72.0, 704.0, 12.0, second);
    c += &b.text(72.0, 688.0, 12.0, third);
    c += &b.text(
        96.0,
        672.0,
        12.0,
        "第二段文字另起一行首行缩进两个字符的位置开始书写到这一行的末尾为止共三十",
    );
    c += &b.text(72.0, 656.0, 12.0, "（一）主动公开");
    c += &b.text(380.0, 620.0, 12.0, "某市示例局");
    c += &b.text(380.0, 604.0, 12.0, "2022年1月20日");
    b.page(c);
    let pdf = text_of(&b.build());
    assert_eq!(
        lines(&pdf),
        [
            "某市示例局二〇二一年度政府信息公开工作年度报告全文",
            para,
            "第二段文字另起一行首行缩进两个字符的位置开始书写到这一行的末尾为止共三十",
            "（一）主动公开",
            "某市示例局",
            "2022年1月20日",
        ]
    );
    assert_eq!(pdf.line_pages, [1; 6]);
}

#[test]
fn running_headers_footers_and_page_numbers_are_dropped() {
    let mut b = Builder::new();
    let footers = ["- 1 -", "第 2 页 共 3 页", "3/3"];
    let bodies = [
        "一、总体情况",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
    ];
    for (footer, body) in footers.iter().zip(bodies) {
        let mut c = String::new();
        c += &b.text(
            200.0,
            810.0,
            9.0,
            "某市示例局2021年政府信息公开工作年度报告",
        );
        c += &b.text(72.0, 740.0, 12.0, body);
        c += &b.text(280.0, 40.0, 9.0, footer);
        b.page(c);
    }
    let pdf = text_of(&b.build());
    assert_eq!(lines(&pdf), bodies);
    assert_eq!(pdf.line_pages, [1, 2, 3]);
}

#[test]
fn tables_continue_across_pages_without_repeated_headers() {
    let mut b = Builder::new();
    let row = |b: &mut Builder, y: f32, cells: [&str; 2]| -> String {
        let mut c = String::new();
        let _ = writeln!(
            c,
            "50 {y} m 250 {y} l S 50 {} m 250 {} l S",
            y - 20.0,
            y - 20.0
        );
        for x in [50, 150, 250] {
            let _ = writeln!(c, "{x} {} m {x} {y} l S", y - 20.0);
        }
        c += &b.text(55.0, y - 15.0, 10.0, cells[0]);
        c += &b.text(155.0, y - 15.0, 10.0, cells[1]);
        c
    };
    let mut first = b.text(50.0, 760.0, 10.0, "三、收到和处理政府信息公开申请情况");
    first += &row(&mut b, 100.0, ["项目", "数量"]);
    first += &row(&mut b, 80.0, ["自然人", "3"]);
    first += &b.text(290.0, 30.0, 9.0, "1");
    let mut second = row(&mut b, 800.0, ["项目", "数量"]);
    second += &row(&mut b, 780.0, ["法人", "4"]);
    second += &b.text(290.0, 30.0, 9.0, "2");
    b.page(first);
    b.page(second);
    let pdf = text_of(&b.build());
    assert_eq!(
        lines(&pdf),
        [
            "三、收到和处理政府信息公开申请情况",
            "| 项目 | 数量 |",
            "| 自然人 | 3 |",
            "| 法人 | 4 |",
        ]
    );
    assert_eq!(pdf.line_pages, [1, 1, 1, 2]);
}

/// A row split by a page break (its label wrapped onto the next page) is one row again.
#[test]
fn rows_split_by_a_page_break_are_joined() {
    let mut b = Builder::new();
    let row = |b: &mut Builder, y: f32, cells: [&str; 2]| -> String {
        let mut c = String::new();
        let _ = writeln!(
            c,
            "50 {y} m 150 {y} l S 50 {} m 150 {} l S",
            y - 20.0,
            y - 20.0
        );
        for x in [50, 80, 150] {
            let _ = writeln!(c, "{x} {} m {x} {y} l S", y - 20.0);
        }
        c += &b.text(50.5, y - 15.0, 10.0, cells[0]);
        c += &b.text(100.0, y - 15.0, 10.0, cells[1]);
        c
    };
    let mut first = b.text(50.0, 760.0, 10.0, "四、政府信息公开行政复议、行政诉讼情况");
    first += &row(&mut b, 100.0, ["项目", "数量"]);
    // The cell is filled to its right edge: its text may go on after the break.
    first += &row(&mut b, 80.0, ["行政复", "3"]);
    let mut second = row(&mut b, 800.0, ["议", ""]);
    second += &row(&mut b, 780.0, ["合计", "3"]);
    b.page(first);
    b.page(second);
    let pdf = text_of(&b.build());
    assert_eq!(
        lines(&pdf),
        [
            "四、政府信息公开行政复议、行政诉讼情况",
            "| 项目 | 数量 |",
            "| 行政复议 | 3 |",
            "| 合计 | 3 |",
        ]
    );
    assert_eq!(pdf.line_pages, [1, 1, 1, 2]);
}

#[test]
fn rotated_pages_read_upright() {
    let mut b = Builder::new();
    // On a page displayed rotated by 90°, text drawn rotated by -90° in user space is upright.
    let content = {
        let mut hex = String::new();
        for ch in "行政复议".chars() {
            let _ = write!(hex, "{:04X}", b.cid(ch));
        }
        format!("BT /F1 12 Tf 0 1 -1 0 300 100 Tm <{hex}> Tj ET\n")
    };
    b.page(content);
    b.page_extra[0] = "/Rotate 90".into();
    let pdf = text_of(&b.build());
    assert_eq!(lines(&pdf), ["行政复议"]);
}

thread_local! {
    static PANICS: Cell<usize> = const { Cell::new(0) };
}

/// Mutations of a table PDF never panic (not even inside the reader's own `catch_unwind`) and
/// always end in text or a typed error.
#[test]
fn mutations_never_panic() {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.with(|p| p.set(p.get() + 1));
            default(info);
        }));
    });
    let base = std::fs::read(format!(
        "{MANIFEST}/tests/fixtures/pdf/example-2021-cairo.pdf"
    ))
    .expect("fixture");
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let limits = PdfLimits {
        max_time: Duration::from_secs(5),
        ..PdfLimits::default()
    };
    for _ in 0..150 {
        let mut bytes = base.clone();
        for _ in 0..1 + next() % 6 {
            let at = (next() as usize) % bytes.len();
            match next() % 4 {
                0 => bytes[at] = next() as u8,
                1 => bytes[at] = b"0123456789 /<>[]()TJf"[(next() % 21) as usize],
                2 => {
                    let end = (at + (next() % 64) as usize).min(bytes.len());
                    bytes.drain(at..end);
                }
                _ => {
                    let from = (next() as usize) % bytes.len();
                    let end = (from + (next() % 200) as usize).min(bytes.len());
                    let chunk = bytes[from..end].to_vec();
                    bytes.splice(at..at, chunk);
                }
            }
        }
        let _ = read(&limits, &bytes);
    }
    assert_eq!(PANICS.with(Cell::get), 0, "the reader panicked");
}
