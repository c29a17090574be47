//! Opens an exported workbook, or the folder that contains it, with the
//! desktop's own programs: `xdg-open` on Linux, `open` on macOS and
//! `explorer` on Windows.
//!
//! Only existing `.xlsx` files are accepted, so the window cannot use this to
//! run or open anything else. On Linux "show in folder" opens the folder
//! without selecting the file, because there is no portable way to ask for that.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Failure to hand a file to the desktop.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{} is not an exported workbook (an existing .xlsx file), so it was not opened.", .path.display())]
    NotAWorkbook { path: PathBuf },
    #[error("Could not start `{program}` to open {}: {source}. Open the file from your file manager instead.", .path.display())]
    Launch {
        program: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

impl From<OpenError> for crate::error::AppError {
    fn from(error: OpenError) -> Self {
        let code = match &error {
            OpenError::NotAWorkbook { .. } => "invalid_path",
            OpenError::Launch { .. } => "open_failed",
        };
        crate::error::AppError::new(code, error.to_string())
    }
}

/// Opens the workbook in the program the desktop uses for `.xlsx` files.
pub fn open_workbook(path: &Path) -> Result<(), OpenError> {
    check_workbook(path)?;
    let (program, args): (&'static str, Vec<std::ffi::OsString>) = if cfg!(target_os = "macos") {
        ("open", vec![path.into()])
    } else if cfg!(windows) {
        ("explorer", vec![path.into()])
    } else {
        ("xdg-open", vec![path.into()])
    };
    launch(program, args, path)
}

/// Shows the workbook in the file manager: selected on macOS and Windows, its
/// folder opened on Linux.
pub fn show_in_folder(path: &Path) -> Result<(), OpenError> {
    check_workbook(path)?;
    let folder = path.parent().unwrap_or(Path::new("."));
    let (program, args): (&'static str, Vec<std::ffi::OsString>) = if cfg!(target_os = "macos") {
        ("open", vec!["-R".into(), path.into()])
    } else if cfg!(windows) {
        let mut select = std::ffi::OsString::from("/select,");
        select.push(path);
        ("explorer", vec![select])
    } else {
        ("xdg-open", vec![folder.into()])
    };
    launch(program, args, path)
}

fn check_workbook(path: &Path) -> Result<(), OpenError> {
    let is_xlsx = path
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("xlsx"));
    if is_xlsx && path.is_file() {
        Ok(())
    } else {
        Err(OpenError::NotAWorkbook {
            path: path.to_path_buf(),
        })
    }
}

/// Starts the program without waiting for it, and reaps it on a thread so
/// that it leaves no zombie process behind.
fn launch(
    program: &'static str,
    args: Vec<std::ffi::OsString>,
    path: &Path,
) -> Result<(), OpenError> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|source| OpenError::Launch {
            program,
            path: path.to_path_buf(),
            source,
        })?;
    tracing::info!(program, path = %path.display(), "handed a workbook to the desktop");
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_existing_workbooks_are_opened() {
        let folder = tempfile::tempdir().unwrap();
        let script = folder.path().join("run.sh");
        std::fs::write(&script, "").unwrap();

        for path in [script, folder.path().join("missing.xlsx")] {
            assert!(matches!(
                open_workbook(&path),
                Err(OpenError::NotAWorkbook { .. })
            ));
            assert!(matches!(
                show_in_folder(&path),
                Err(OpenError::NotAWorkbook { .. })
            ));
        }
    }
}
