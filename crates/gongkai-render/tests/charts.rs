//! SVG charts: well-formed XML for any input, escaped labels, accessible markup, one shape
//! per present value and nothing for an absent one, round axis ticks.

use gongkai_render::chart::{bar_chart, line_chart, stacked_bar_chart, Series};
use quick_xml::events::Event;
use quick_xml::Reader;

const XSS: &str = "<script>alert('x')</script>&";

/// Parse the whole document; return the element names and the text content in order.
fn parse(svg: &str) -> (Vec<String>, String) {
    let mut reader = Reader::from_str(svg);
    reader.config_mut().check_end_names = true;
    let mut names = Vec::new();
    let mut text = String::new();
    let mut depth = 0i32;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => {
                depth += 1;
                names.push(e.name().as_ref().to_string());
            }
            Event::Empty(e) => names.push(e.name().as_ref().to_string()),
            Event::End(_) => depth -= 1,
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let s = match &*r {
                    "amp" => "&".to_string(),
                    "lt" => "<".to_string(),
                    "gt" => ">".to_string(),
                    "quot" => "\"".to_string(),
                    "apos" => "'".to_string(),
                    _ => r.resolve_char_ref().unwrap().unwrap().to_string(),
                };
                text.push_str(&s);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "every element closed");
    assert_eq!(names.first().map(String::as_str), Some("svg"));
    (names, text)
}

fn labels() -> Vec<String> {
    vec![
        "2019年".into(),
        "2020年".into(),
        "2021年".into(),
        "2022年".into(),
    ]
}

#[test]
fn bars_are_well_formed_accessible_and_escaped() {
    let series = vec![
        Series::new("予以公开", vec![Some(5.0), Some(8.0), None, Some(12.0)]),
        Series::new(XSS, vec![Some(1.0), Some(0.0), Some(2.0), Some(3.0)]),
    ];
    let svg = bar_chart(&format!("依申请公开办理结果{XSS}"), &labels(), &series);
    assert!(!svg.contains("<script"));
    assert!(svg.contains("role=\"img\""));
    assert!(svg.contains("aria-label=\"依申请公开办理结果&lt;script&gt;"));
    assert!(svg.contains("Noto Sans CJK SC"));
    let (names, text) = parse(&svg);
    assert!(text.contains(XSS), "labels survive escaping as text");
    // 7 present values → 7 bars (plus the background and 2 legend swatches).
    let rects = names.iter().filter(|n| *n == "rect").count();
    assert_eq!(rects, 1 + 2 + 7);
    assert!(
        !text.contains("2021年 · 予以公开"),
        "no bar for an absent value"
    );
    assert!(text.contains("2022年 · 予以公开：12"));
    assert!(
        text.contains("2021年无数据"),
        "the description spells out absence"
    );
    // Round ticks: 0, 2, 4, … 12.
    for t in ["0", "2", "12"] {
        assert!(svg.contains(&format!(">{t}</text>")), "tick {t}");
    }
    assert!(!svg.contains(">2.5</text>"));
}

#[test]
fn stacked_bars_stack_and_handle_negatives() {
    let series = vec![
        Series::new("增加", vec![Some(10.0), Some(5.0)]),
        Series::new("减少", vec![Some(-4.0), None]),
        Series::new("其他", vec![Some(f64::NAN), Some(f64::INFINITY)]),
    ];
    let svg = stacked_bar_chart("本年增/减", &["行政许可", "行政处罚"], &series);
    let (names, text) = parse(&svg);
    assert_eq!(names.iter().filter(|n| *n == "rect").count(), 1 + 3 + 3);
    assert!(text.contains("行政许可 · 减少：-4"));
    assert!(
        svg.contains(">-5</text>") || svg.contains(">-4</text>") || svg.contains(">-10</text>")
    );
}

#[test]
fn lines_break_at_absent_values() {
    let series = vec![Series::new(
        "新收申请",
        vec![Some(3.0), None, Some(7.0), Some(9.0)],
    )];
    let svg = line_chart("历年新收申请数", &labels(), &series);
    let (names, _) = parse(&svg);
    assert_eq!(names.iter().filter(|n| *n == "circle").count(), 3);
    let d = svg
        .split("<path d=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert_eq!(d.matches('M').count(), 2, "{d}");
}

#[test]
fn degenerate_input_never_panics() {
    let none: Vec<&str> = Vec::new();
    for svg in [
        bar_chart("", &none, &[]),
        bar_chart("空", &["甲"], &[Series::new("系列", vec![None])]),
        stacked_bar_chart(
            "全零",
            &["甲", "乙"],
            &[Series::new("系列", vec![Some(0.0), Some(0.0)])],
        ),
        line_chart("短", &["甲"], &[Series::new("系列", vec![])]),
    ] {
        parse(&svg);
    }
    assert!(bar_chart("空", &["甲"], &[Series::new("系列", vec![None])]).contains("暂无数据"));
    // Many long labels: shortened, the full label in a tooltip, still well-formed.
    let many: Vec<String> = (0..80)
        .map(|i| format!("示例市第{i}个公共资源交易中心"))
        .collect();
    let values: Vec<Option<f64>> = (0..80).map(|i| Some(i as f64 * 1.5)).collect();
    let svg = bar_chart("各单位", &many, &[Series::new("件数", values)]);
    let (_, text) = parse(&svg);
    assert!(text.contains("示例市第0个公共资源交易中心"));
    let many_series: Vec<Series> = (0..30)
        .map(|i| Series::new(format!("很长的系列名称第{i}项"), vec![Some(1.0)]))
        .collect();
    parse(&stacked_bar_chart("图例很多", &["甲"], &many_series));
}
