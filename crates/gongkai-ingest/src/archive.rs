//! Inputs as supervising offices receive them: files, directory trees and ZIP archives of
//! attachments (entry names in GBK as well as UTF-8), read in place.
//!
//! [`collect`] turns command-line paths into a list of [`Source`]s without reading report
//! files (so 10,000 files do not sit in memory at once); ZIP entries are read when their
//! archive is opened, under [`Limits`] that stop zip bombs: a cap per entry, a cap on the
//! total expanded size and on the compression ratio, and a cap on the number of entries.
//! Every problem becomes a [`Skipped`] with a reason — one bad file never stops the batch.

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

/// Bounds on what is read.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest single file or archive entry read (bytes).
    pub max_file_bytes: u64,
    /// Largest total of expanded archive entries (bytes), per archive.
    pub max_archive_expanded: u64,
    /// Largest compression ratio accepted for an archive entry larger than 1 MB.
    pub max_ratio: u64,
    /// Most entries read from one archive.
    pub max_entries: usize,
    /// Archives inside archives are opened this deep.
    pub max_nesting: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_file_bytes: 50 * 1024 * 1024,
            max_archive_expanded: 2 * 1024 * 1024 * 1024,
            max_ratio: 200,
            max_entries: 100_000,
            max_nesting: 2,
        }
    }
}

/// One input to parse.
#[derive(Debug, Clone)]
pub enum Source {
    /// A file on disk, read when it is parsed.
    File(PathBuf),
    /// An archive entry, already read.
    Entry { name: String, bytes: Vec<u8> },
}

impl Source {
    /// Display name: the path, or `archive.zip!/目录/报告.docx`.
    pub fn name(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::Entry { name, .. } => name.clone(),
        }
    }

    /// The bytes, reading the file (bounded by `limits`); an archive entry is lent, not copied.
    pub fn bytes(&self, limits: &Limits) -> Result<std::borrow::Cow<'_, [u8]>, String> {
        match self {
            Source::Entry { bytes, .. } => Ok(std::borrow::Cow::Borrowed(bytes)),
            Source::File(p) => read_bounded(p, limits).map(std::borrow::Cow::Owned),
        }
    }
}

/// An input that was not read, and why (zh-CN).
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    pub name: String,
    pub reason: String,
}

fn read_bounded(path: &Path, limits: &Limits) -> Result<Vec<u8>, String> {
    let f = std::fs::File::open(path).map_err(|e| format!("无法读取（{e}）"))?;
    let mut bytes = Vec::new();
    f.take(limits.max_file_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("无法读取（{e}）"))?;
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(format!(
            "文件超过 {} MB 的读取上限",
            limits.max_file_bytes / 1024 / 1024
        ));
    }
    Ok(bytes)
}

fn is_zip_archive(path: &Path) -> bool {
    let mut head = [0u8; 4];
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    if f.read_exact(&mut head).is_err() || &head != b"PK\x03\x04" {
        return false;
    }
    // A DOCX/XLSX/ODT is a ZIP too: only plain archives are expanded. The central directory
    // says which, without reading the whole file.
    match std::fs::File::open(path) {
        Ok(f) => {
            crate::detect::zip_kind_of(std::io::BufReader::new(f)) == crate::detect::Format::Zip
        }
        Err(_) => false,
    }
}

/// Expand paths (files, directories walked recursively in name order, ZIP archives) into
/// sources, plus the inputs that could not be listed.
pub fn collect(paths: &[PathBuf], limits: &Limits) -> (Vec<Source>, Vec<Skipped>) {
    let mut sources = Vec::new();
    let mut skipped = Vec::new();
    for p in paths {
        walk(p, limits, &mut sources, &mut skipped);
    }
    (sources, skipped)
}

fn walk(path: &Path, limits: &Limits, sources: &mut Vec<Source>, skipped: &mut Vec<Skipped>) {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            skipped.push(Skipped {
                name: path.display().to_string(),
                reason: format!("无法读取（{e}）"),
            });
            return;
        }
    };
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => {
                skipped.push(Skipped {
                    name: path.display().to_string(),
                    reason: format!("无法读取目录（{e}）"),
                });
                return;
            }
        };
        entries.sort();
        for e in entries {
            let hidden = e
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            if !hidden {
                walk(&e, limits, sources, skipped);
            }
        }
    } else if is_zip_archive(path) {
        match read_bounded(path, limits) {
            Ok(bytes) => expand_zip(
                &path.display().to_string(),
                &bytes,
                limits,
                0,
                sources,
                skipped,
            ),
            Err(reason) => skipped.push(Skipped {
                name: path.display().to_string(),
                reason,
            }),
        }
    } else {
        sources.push(Source::File(path.to_path_buf()));
    }
}

/// Entry name: UTF-8 when flagged or valid, otherwise GBK/GB18030 (Windows archivers in
/// China write GBK names without the UTF-8 flag).
fn entry_name(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GB18030.decode(raw).0.into_owned(),
    }
}

/// Read the entries of a ZIP archive held in memory.
pub fn expand_zip(
    archive_name: &str,
    bytes: &[u8],
    limits: &Limits,
    depth: usize,
    sources: &mut Vec<Source>,
    skipped: &mut Vec<Skipped>,
) {
    let mut zip = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(z) => z,
        Err(e) => {
            skipped.push(Skipped {
                name: archive_name.to_string(),
                reason: format!("压缩包损坏（{e}）"),
            });
            return;
        }
    };
    let mut expanded: u64 = 0;
    let count = zip.len();
    if count > limits.max_entries {
        skipped.push(Skipped {
            name: archive_name.to_string(),
            reason: format!(
                "压缩包有 {count} 个文件，超过 {} 个的上限，只读取前面部分",
                limits.max_entries
            ),
        });
    }
    for i in 0..count.min(limits.max_entries) {
        let mut entry = match zip.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                skipped.push(Skipped {
                    name: format!("{archive_name}!/#{i}"),
                    reason: format!("压缩包条目损坏（{e}）"),
                });
                continue;
            }
        };
        let name = format!("{archive_name}!/{}", entry_name(entry.name_raw()));
        if entry.is_dir() {
            continue;
        }
        let declared = entry.size();
        let compressed = entry.compressed_size().max(1);
        if declared > limits.max_file_bytes {
            skipped.push(Skipped {
                name,
                reason: format!("解压后 {} MB，超过单个文件的上限", declared / 1024 / 1024),
            });
            continue;
        }
        if declared > 1024 * 1024 && declared / compressed > limits.max_ratio {
            skipped.push(Skipped {
                name,
                reason: format!(
                    "压缩比 {}:1 异常（疑似压缩炸弹），未解压",
                    declared / compressed
                ),
            });
            continue;
        }
        let mut data = Vec::new();
        // Declared sizes can lie: the read itself is bounded too.
        if let Err(e) = (&mut entry)
            .take(limits.max_file_bytes + 1)
            .read_to_end(&mut data)
        {
            skipped.push(Skipped {
                name,
                reason: format!("解压失败（{e}）"),
            });
            continue;
        }
        if data.len() as u64 > limits.max_file_bytes {
            skipped.push(Skipped {
                name,
                reason: "解压后超过单个文件的上限".into(),
            });
            continue;
        }
        expanded += data.len() as u64;
        if expanded > limits.max_archive_expanded {
            skipped.push(Skipped {
                name: archive_name.to_string(),
                reason: "压缩包解压总量超过上限，其余文件未读取".into(),
            });
            return;
        }
        drop(entry);
        if crate::detect::detect(&data) == crate::detect::Format::Zip {
            if depth < limits.max_nesting {
                expand_zip(&name, &data, limits, depth + 1, sources, skipped);
            } else {
                skipped.push(Skipped {
                    name,
                    reason: "压缩包嵌套层数过多，未展开".into(),
                });
            }
            continue;
        }
        sources.push(Source::Entry { name, bytes: data });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut buf = Vec::new();
        {
            let mut w = zip::ZipWriter::new(Cursor::new(&mut buf));
            for (name, data) in entries {
                w.start_file(*name, zip::write::SimpleFileOptions::default())
                    .unwrap();
                w.write_all(data).unwrap();
            }
            w.finish().unwrap();
        }
        buf
    }

    #[test]
    fn entries_are_listed_with_archive_prefix() {
        let bytes = zip_of(&[("报告/一.txt", "一、总体情况".as_bytes()), ("b.txt", b"x")]);
        let (mut s, mut k) = (Vec::new(), Vec::new());
        expand_zip("a.zip", &bytes, &Limits::default(), 0, &mut s, &mut k);
        let names: Vec<String> = s.iter().map(Source::name).collect();
        assert_eq!(names, ["a.zip!/报告/一.txt", "a.zip!/b.txt"]);
        assert!(k.is_empty());
    }

    #[test]
    fn gbk_names_are_decoded() {
        let gbk = encoding_rs::GBK.encode("年度报告.txt").0.into_owned();
        assert_eq!(entry_name(&gbk), "年度报告.txt");
    }

    #[test]
    fn bombs_and_oversize_entries_are_skipped() {
        let big = vec![b'0'; 3 * 1024 * 1024];
        let bytes = zip_of(&[("bomb.txt", &big), ("ok.txt", b"x")]);
        let (mut s, mut k) = (Vec::new(), Vec::new());
        expand_zip("a.zip", &bytes, &Limits::default(), 0, &mut s, &mut k);
        assert_eq!(s.len(), 1);
        assert!(k[0].reason.contains("压缩炸弹"), "{k:?}");
        let small = Limits {
            max_file_bytes: 10,
            ..Limits::default()
        };
        let bytes = zip_of(&[("long.txt", b"0123456789abcdef")]);
        let (mut s, mut k) = (Vec::new(), Vec::new());
        expand_zip("a.zip", &bytes, &small, 0, &mut s, &mut k);
        assert!(s.is_empty());
        assert_eq!(k.len(), 1);
    }

    #[test]
    fn corrupt_archive_is_reported() {
        let (mut s, mut k) = (Vec::new(), Vec::new());
        expand_zip(
            "bad.zip",
            b"PK\x03\x04 nope",
            &Limits::default(),
            0,
            &mut s,
            &mut k,
        );
        assert!(s.is_empty());
        assert!(k[0].reason.contains("损坏"));
    }
}
