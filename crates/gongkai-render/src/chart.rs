//! Small server-side SVG charts: grouped bars, stacked bars and lines.
//!
//! The supervision centre shows trends (申请数 by year), breakdowns (办理结果 by unit) and
//! rankings, and its pages carry no JavaScript. So charts are drawn here, as one
//! self-contained `<svg>` string (~640×320, scalable through its `viewBox`) that a page inlines
//! or serves as `image/svg+xml`:
//!
//! * **Readable Chinese.** Labels use `"Noto Sans CJK SC"` and the usual CJK fallbacks, then
//!   `sans-serif`. Long category labels are shortened to fit their band, with the full label
//!   in a `<title>` tooltip; when there are too many categories only every n-th label is shown.
//! * **Honest axes.** The value axis always includes 0 and uses round steps (1, 2 or 5 × 10ⁿ;
//!   never fractional steps for whole-number data). Negative values (本年增/减) go below the
//!   zero line; in stacked bars negatives stack downwards.
//! * **Absent is not zero.** A `None` value draws nothing — no bar, a gap in the line — and
//!   its absence is spelled out in the `<desc>` (`无数据`); a zero is a hairline bar on the
//!   axis with its own tooltip.
//! * **Accessible.** `role="img"`, `aria-label` with the title, a `<title>` and a `<desc>`
//!   listing the data, and a `<title>` on every bar and point (`单位 · 系列：数值`) as tooltip.
//! * **Safe.** Every label, series name and title goes through [`crate::escape_html`]; the
//!   output is well-formed XML whatever the input, and no input makes it panic (non-finite
//!   numbers are treated as absent).

use std::fmt::Write;

use gongkai_core::model::fmt_num;

use crate::escape_html;

/// One data series: a name for the legend and one value per category (`None` = no data).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

impl Series {
    pub fn new(name: impl Into<String>, values: Vec<Option<f64>>) -> Series {
        Series {
            name: name.into(),
            values,
        }
    }
}

/// Chart width and height in user units (pixels at 100 %).
pub const WIDTH: f64 = 640.0;
pub const HEIGHT: f64 = 320.0;

const FONT_FAMILY: &str =
    "'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',sans-serif";

/// Colour-blind-friendly palette (Tableau 10), cycled.
const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

fn color(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// Grouped bars: one group per label, one bar per series.
pub fn bar_chart<S: AsRef<str>>(title: &str, labels: &[S], series: &[Series]) -> String {
    render(Kind::Grouped, title, labels, series)
}

/// Stacked bars: one bar per label, the series stacked (e.g. 办理结果 per year or per unit).
pub fn stacked_bar_chart<S: AsRef<str>>(title: &str, labels: &[S], series: &[Series]) -> String {
    render(Kind::Stacked, title, labels, series)
}

/// Lines: one line per series across the labels (e.g. years), gaps where a value is absent.
pub fn line_chart<S: AsRef<str>>(title: &str, labels: &[S], series: &[Series]) -> String {
    render(Kind::Line, title, labels, series)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Grouped,
    Stacked,
    Line,
}

/// Approximate rendered width of text at `size` px: CJK and full-width characters are a full
/// em, others about 0.6 em.
fn text_px(s: &str, size: f64) -> f64 {
    s.chars()
        .map(|c| {
            if (c as u32) >= 0x1100 {
                size
            } else {
                size * 0.6
            }
        })
        .sum()
}

/// `s` shortened with `…` to fit `px` at `size`.
fn fit(s: &str, px: f64, size: f64) -> (String, bool) {
    if text_px(s, size) <= px {
        return (s.to_string(), false);
    }
    let mut out = String::new();
    let mut w = size; // room for the ellipsis
    for c in s.chars() {
        let cw = if (c as u32) >= 0x1100 {
            size
        } else {
            size * 0.6
        };
        if w + cw > px {
            break;
        }
        w += cw;
        out.push(c);
    }
    out.push('…');
    (out, true)
}

/// A round step of about `raw`: 1, 2 or 5 × 10ⁿ.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let exp = 10f64.powf(raw.log10().floor());
    let f = raw / exp;
    let nf = if f < 1.5 {
        1.0
    } else if f < 3.0 {
        2.0
    } else if f < 7.0 {
        5.0
    } else {
        10.0
    };
    nf * exp
}

/// The value axis: (low, high, step) with round ticks covering `lo..=hi` and 0.
fn axis(lo: f64, hi: f64, integers: bool) -> (f64, f64, f64) {
    let (mut lo, mut hi) = (lo.min(0.0), hi.max(0.0));
    if hi <= lo {
        hi = lo + 1.0;
    }
    let mut step = nice_step((hi - lo) / 5.0);
    if integers && step < 1.0 {
        step = 1.0;
    }
    lo = (lo / step).floor() * step;
    hi = (hi / step).ceil() * step;
    (lo, hi, step)
}

fn tick_text(v: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    let s = format!("{:.*}", decimals.min(10), v);
    // "-0" reads oddly.
    if s.trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        "0".to_string()
    } else {
        s
    }
}

fn value_text(v: Option<f64>) -> String {
    match v {
        Some(x) => fmt_num(x),
        None => "无数据".to_string(),
    }
}

fn render<S: AsRef<str>>(kind: Kind, title: &str, labels: &[S], series: &[Series]) -> String {
    let labels: Vec<&str> = labels.iter().map(AsRef::as_ref).collect();
    let n = labels.len();
    let value = |s: &Series, i: usize| -> Option<f64> {
        s.values.get(i).copied().flatten().filter(|v| v.is_finite())
    };
    let mut out = String::new();
    let t = escape_html(title);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"{t}\" \
         font-family=\"{FONT_FAMILY}\" font-size=\"12\" style=\"max-width:100%;height:auto\">"
    );
    let _ = write!(out, "<title>{t}</title>");
    out.push_str(&describe(&labels, series, value));
    out.push_str("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>");
    let (title_text, _) = fit(title, WIDTH - 24.0, 15.0);
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\" fill=\"#222\">{}</text>",
        WIDTH / 2.0,
        escape_html(&title_text)
    );

    // Legend: swatch + name, wrapped over as many rows as needed (at most 3).
    let mut legend_y = 40.0;
    if !series.is_empty() {
        let mut x = 16.0;
        let mut rows = 1;
        for (i, s) in series.iter().enumerate() {
            let (name, _) = fit(&s.name, 160.0, 12.0);
            let w = 16.0 + text_px(&name, 12.0) + 14.0;
            if x + w > WIDTH - 16.0 && x > 16.0 {
                if rows == 3 {
                    break;
                }
                rows += 1;
                x = 16.0;
                legend_y += 18.0;
            }
            let _ = write!(
                out,
                "<g><title>{}</title><rect x=\"{x:.1}\" y=\"{:.1}\" width=\"11\" height=\"11\" rx=\"2\" fill=\"{}\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#333\">{}</text></g>",
                escape_html(&s.name),
                legend_y - 10.0,
                color(i),
                x + 16.0,
                legend_y,
                escape_html(&name)
            );
            x += w;
        }
    }

    // Value range.
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    let mut integers = true;
    for i in 0..n {
        if kind == Kind::Stacked {
            let (mut pos, mut neg, mut any) = (0.0, 0.0, false);
            for s in series {
                if let Some(v) = value(s, i) {
                    any = true;
                    if v >= 0.0 {
                        pos += v;
                    } else {
                        neg += v;
                    }
                }
            }
            if any {
                lo = lo.min(neg);
                hi = hi.max(pos);
            }
        }
        for s in series {
            if let Some(v) = value(s, i) {
                integers &= v.fract() == 0.0;
                if kind != Kind::Stacked {
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
            }
        }
    }
    if n == 0 || !lo.is_finite() || !hi.is_finite() {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"14\" fill=\"#888\">暂无数据</text></svg>",
            WIDTH / 2.0,
            HEIGHT / 2.0 + 10.0
        );
        return out;
    }
    let (lo, hi, step) = axis(lo, hi, integers);
    let ticks: Vec<f64> = {
        let count = ((hi - lo) / step).round().clamp(1.0, 50.0) as usize;
        (0..=count).map(|k| lo + step * k as f64).collect()
    };
    let tick_w = ticks
        .iter()
        .map(|v| text_px(&tick_text(*v, step), 11.0))
        .fold(0.0, f64::max)
        .min(WIDTH / 4.0);

    let left = 14.0 + tick_w + 6.0;
    let right = WIDTH - 16.0;
    let top = legend_y + 16.0;
    let bottom = HEIGHT - 36.0;
    let y_of = |v: f64| bottom - (v - lo) / (hi - lo) * (bottom - top);

    // Grid and value axis.
    for v in &ticks {
        let y = y_of(*v);
        let _ = write!(
            out,
            "<line x1=\"{left:.1}\" y1=\"{y:.1}\" x2=\"{right:.1}\" y2=\"{y:.1}\" stroke=\"#e3e3e3\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"11\" fill=\"#555\">{}</text>",
            left - 6.0,
            y + 4.0,
            tick_text(*v, step)
        );
    }
    let zero = y_of(0.0);
    let _ = write!(
        out,
        "<line x1=\"{left:.1}\" y1=\"{zero:.1}\" x2=\"{right:.1}\" y2=\"{zero:.1}\" stroke=\"#666\"/>"
    );

    // Category labels.
    let band = (right - left) / n as f64;
    let every = (14.0 / band).ceil().max(1.0) as usize;
    for (i, label) in labels.iter().enumerate() {
        if i % every != 0 {
            continue;
        }
        let cx = left + band * (i as f64 + 0.5);
        let (shown, cut) = fit(label, (band * every as f64 - 4.0).max(12.0), 12.0);
        let tip = if cut {
            format!("<title>{}</title>", escape_html(label))
        } else {
            String::new()
        };
        let _ = write!(
            out,
            "<text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#333\">{tip}{}</text>",
            bottom + 18.0,
            escape_html(&shown)
        );
    }

    match kind {
        Kind::Grouped => {
            let k = series.len().max(1) as f64;
            let w = band * 0.8 / k;
            for (i, label) in labels.iter().enumerate() {
                for (si, s) in series.iter().enumerate() {
                    let Some(v) = value(s, i) else { continue };
                    let x = left + band * i as f64 + band * 0.1 + w * si as f64;
                    let (y1, y2) = (y_of(v.max(0.0)), y_of(v.min(0.0)));
                    bar(&mut out, x, y1, w, y2 - y1, color(si), label, &s.name, v);
                }
            }
        }
        Kind::Stacked => {
            let w = band * 0.6;
            for (i, label) in labels.iter().enumerate() {
                let x = left + band * i as f64 + band * 0.2;
                let (mut pos, mut neg) = (0.0, 0.0);
                for (si, s) in series.iter().enumerate() {
                    let Some(v) = value(s, i) else { continue };
                    let (a, b) = if v >= 0.0 {
                        pos += v;
                        (pos, pos - v)
                    } else {
                        neg += v;
                        (neg - v, neg)
                    };
                    let (y1, y2) = (y_of(a), y_of(b));
                    bar(&mut out, x, y1, w, y2 - y1, color(si), label, &s.name, v);
                }
            }
        }
        Kind::Line => {
            for (si, s) in series.iter().enumerate() {
                let c = color(si);
                let mut path = String::new();
                let mut pen_down = false;
                for i in 0..n {
                    match value(s, i) {
                        Some(v) => {
                            let x = left + band * (i as f64 + 0.5);
                            let _ = write!(
                                path,
                                "{}{x:.1},{:.1} ",
                                if pen_down { "L" } else { "M" },
                                y_of(v)
                            );
                            pen_down = true;
                        }
                        None => pen_down = false,
                    }
                }
                if !path.is_empty() {
                    let _ = write!(
                        out,
                        "<path d=\"{}\" fill=\"none\" stroke=\"{c}\" stroke-width=\"2\" stroke-linejoin=\"round\"/>",
                        path.trim_end()
                    );
                }
                for (i, label) in labels.iter().enumerate() {
                    let Some(v) = value(s, i) else { continue };
                    let x = left + band * (i as f64 + 0.5);
                    let _ = write!(
                        out,
                        "<circle cx=\"{x:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{c}\"><title>{}</title></circle>",
                        y_of(v),
                        tooltip(label, &s.name, v)
                    );
                }
            }
        }
    }
    out.push_str("</svg>");
    out
}

fn tooltip(label: &str, series: &str, v: f64) -> String {
    escape_html(&format!("{label} · {series}：{}", fmt_num(v)))
}

#[allow(clippy::too_many_arguments)]
fn bar(
    out: &mut String,
    x: f64,
    y: f64,
    w: f64,
    h: f64,
    fill: &str,
    label: &str,
    series: &str,
    v: f64,
) {
    // A zero is a hairline on the axis, so it reads differently from an absent value.
    let (y, h) = if h < 1.0 { (y - 0.5, 1.0) } else { (y, h) };
    let _ = write!(
        out,
        "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{fill}\"><title>{}</title></rect>",
        w.max(0.5),
        tooltip(label, series, v)
    );
}

/// `<desc>`: the data as sentences, for screen readers (shortened for very large charts).
fn describe(
    labels: &[&str],
    series: &[Series],
    value: impl Fn(&Series, usize) -> Option<f64>,
) -> String {
    let mut d = String::new();
    for s in series {
        let parts: Vec<String> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| format!("{l}{}", value_text(value(s, i))))
            .collect();
        let _ = write!(d, "{}：{}。", s.name, parts.join("，"));
        if d.chars().count() > 2000 {
            d = d.chars().take(2000).collect();
            d.push('…');
            break;
        }
    }
    if d.is_empty() {
        d.push_str("暂无数据");
    }
    format!("<desc>{}</desc>", escape_html(&d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps_and_axes() {
        assert_eq!(nice_step(0.6), 0.5);
        assert_eq!(nice_step(13.0), 10.0);
        assert_eq!(nice_step(40.0), 50.0);
        assert_eq!(nice_step(f64::NAN), 1.0);
        assert_eq!(axis(0.0, 3.0, true), (0.0, 3.0, 1.0));
        assert_eq!(axis(0.0, 97.0, true), (0.0, 100.0, 20.0));
        assert_eq!(axis(-417.0, 812.0, true), (-600.0, 1000.0, 200.0));
        assert_eq!(axis(0.0, 0.0, true), (0.0, 1.0, 1.0));
        let (lo, hi, step) = axis(0.0, 0.25, false);
        assert_eq!((lo, step), (0.0, 0.05));
        assert!((hi - 0.25).abs() < 1e-9);
        assert_eq!(tick_text(0.30000000000000004, 0.05), "0.30");
        assert_eq!(tick_text(-0.0, 1.0), "0");
    }

    #[test]
    fn fitting_labels() {
        assert_eq!(fit("短", 100.0, 12.0), ("短".to_string(), false));
        let (s, cut) = fit("示例市公共资源交易中心", 50.0, 12.0);
        assert!(cut && s.ends_with('…') && s.chars().count() == 4, "{s}");
    }
}
