//! PDF output: a DOCX from [`crate::to_docx`] printed to PDF by LibreOffice.
//!
//! gongkai does not lay out PDF pages itself. The Word document already has the official layout
//! (merged header cells, group labels, fonts), and LibreOffice prints it the way a 信息员 would
//! print it from Word or WPS. [`docx_to_pdf`] runs `soffice --headless --convert-to pdf` in a
//! private temporary directory (its own LibreOffice profile, so it neither clashes with a
//! LibreOffice the user has open nor with another conversion running at the same time), waits at
//! most [`DEFAULT_TIMEOUT`], and removes the directory afterwards. It never panics: every
//! failure — LibreOffice missing, the conversion failing or hanging — is an `Err` with a Chinese
//! message for the user.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a conversion may take before it is abandoned.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// Environment variable naming the LibreOffice executable, when it is not `soffice` on `PATH`.
pub const SOFFICE_ENV: &str = "GONGKAI_SOFFICE";

/// The message when LibreOffice cannot be found.
const MISSING: &str = "生成 PDF 需要 LibreOffice，但未找到 soffice 命令。请安装 LibreOffice \
（例如 apt-get install libreoffice-writer-nogui fonts-noto-cjk），或用环境变量 GONGKAI_SOFFICE \
指定 soffice 的路径；也可以先生成 DOCX（--to docx），再用 Word、WPS 或 LibreOffice 打印为 PDF";

/// The LibreOffice executable: `$GONGKAI_SOFFICE`, else `soffice` or `libreoffice` on `PATH`,
/// else the usual install locations. `None` when there is none.
pub fn find_soffice() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(SOFFICE_ENV) {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let names: &[&str] = if cfg!(windows) {
        &["soffice.exe", "soffice.com"]
    } else {
        &["soffice", "libreoffice"]
    };
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            for name in names {
                let candidate = dir.join(name);
                if candidate.is_file() {
                    return Some(candidate);
                }
            }
        }
    }
    let known = [
        "/usr/bin/soffice",
        "/usr/local/bin/soffice",
        "/opt/libreoffice/program/soffice",
        "/Applications/LibreOffice.app/Contents/MacOS/soffice",
        r"C:\Program Files\LibreOffice\program\soffice.exe",
    ];
    known.iter().map(PathBuf::from).find(|p| p.is_file())
}

/// Print a DOCX to PDF with LibreOffice, within [`DEFAULT_TIMEOUT`].
pub fn docx_to_pdf(docx: &[u8]) -> Result<Vec<u8>, String> {
    docx_to_pdf_with_timeout(docx, DEFAULT_TIMEOUT)
}

/// [`docx_to_pdf`] with a time limit of one's choosing.
pub fn docx_to_pdf_with_timeout(docx: &[u8], timeout: Duration) -> Result<Vec<u8>, String> {
    let soffice = find_soffice().ok_or_else(|| MISSING.to_string())?;
    let dir = ScratchDir::new()?;
    let input = dir.path.join("report.docx");
    std::fs::write(&input, docx)
        .map_err(|e| format!("无法写入临时文件{}：{e}", input.display()))?;
    let log = dir.path.join("soffice.log");
    let log_file = std::fs::File::create(&log)
        .map_err(|e| format!("无法写入临时文件{}：{e}", log.display()))?;
    let log_err = log_file
        .try_clone()
        .map_err(|e| format!("无法写入临时文件{}：{e}", log.display()))?;
    let mut cmd = Command::new(&soffice);
    cmd.arg(format!(
        "-env:UserInstallation={}",
        file_url(&dir.path.join("profile"))
    ))
    .args([
        "--headless",
        "--norestore",
        "--nolockcheck",
        "--convert-to",
        "pdf",
        "--outdir",
    ])
    .arg(&dir.path)
    .arg(&input)
    .current_dir(&dir.path)
    .stdin(Stdio::null())
    .stdout(Stdio::from(log_file))
    .stderr(Stdio::from(log_err));
    #[cfg(unix)]
    {
        // Its own process group, so that a hung conversion can be stopped with its children
        // (soffice starts oosplash and soffice.bin).
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("无法启动 LibreOffice（{}）：{e}", soffice.display()))?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > timeout => {
                stop(&mut child);
                return Err(format!(
                    "LibreOffice 在{}秒内未完成 PDF 转换，已终止",
                    timeout.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => {
                stop(&mut child);
                return Err(format!("等待 LibreOffice 时出错：{e}"));
            }
        }
    };
    let output = dir.path.join("report.pdf");
    match std::fs::read(&output) {
        Ok(bytes) if bytes.starts_with(b"%PDF") => Ok(bytes),
        Ok(_) => Err("LibreOffice 生成的文件不是 PDF".to_string()),
        Err(_) => {
            let said = std::fs::read_to_string(&log).unwrap_or_default();
            let said = said.trim();
            Err(format!(
                "LibreOffice 未能把 DOCX 转换为 PDF（退出状态：{status}）{}",
                if said.is_empty() {
                    String::new()
                } else {
                    format!("：{}", said.chars().take(500).collect::<String>())
                }
            ))
        }
    }
}

/// Stop a conversion and everything it started.
fn stop(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        // The group id is the child's pid (process_group(0) above).
        let _ = Command::new("kill")
            .arg("-KILL")
            .arg(format!("-{}", child.id()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// `file://` URL of an absolute path, percent-encoding what a URL cannot carry.
fn file_url(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut out = String::from("file://");
    if !text.starts_with('/') {
        out.push('/');
    }
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' | b':' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A fresh directory under the system temporary directory, removed when dropped.
struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    fn new() -> Result<ScratchDir, String> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("gongkai-pdf-{}-{nanos}-{n}", std::process::id()));
        std::fs::create_dir_all(&path)
            .map_err(|e| format!("无法创建临时目录{}：{e}", path.display()))?;
        Ok(ScratchDir { path })
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls_are_escaped() {
        assert_eq!(
            file_url(Path::new("/tmp/a b/报告")),
            "file:///tmp/a%20b/%E6%8A%A5%E5%91%8A"
        );
        assert_eq!(file_url(Path::new("/tmp/x-1_y.z")), "file:///tmp/x-1_y.z");
    }

    #[test]
    fn junk_input_is_an_error_not_a_panic() {
        if find_soffice().is_none() {
            let err = docx_to_pdf(b"not a docx").unwrap_err();
            assert!(err.contains("LibreOffice"), "{err}");
            return;
        }
        // LibreOffice either refuses the junk or prints it as text; neither may panic, and the
        // scratch directory is gone afterwards.
        match docx_to_pdf_with_timeout(b"not a docx", Duration::from_secs(120)) {
            Ok(pdf) => assert!(pdf.starts_with(b"%PDF")),
            Err(e) => assert!(e.contains("LibreOffice"), "{e}"),
        }
    }
}
