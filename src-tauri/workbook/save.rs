//! The atomic save of a workbook: a hidden temporary file beside the target,
//! filled and flushed to disk, then renamed over the target.
//!
//! Until the rename, the target is untouched. Dropping the temporary file
//! without renaming it deletes it.

use std::io;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use super::WorkbookError;

/// Checks `target` and creates an empty temporary file in its folder.
///
/// Returns the file with its folder, where the worksheets' temporary files
/// go as well.
pub(super) fn create_temp_file(
    target: &Path,
    overwrite: bool,
) -> Result<(NamedTempFile, PathBuf), WorkbookError> {
    if target.file_name().is_none() {
        return Err(WorkbookError::MissingFileName {
            path: target.to_path_buf(),
        });
    }
    if target.is_dir() {
        return Err(WorkbookError::TargetIsFolder {
            path: target.to_path_buf(),
        });
    }
    // symlink_metadata also detects a dangling link, which a rename would replace.
    if !overwrite && target.symlink_metadata().is_ok() {
        return Err(WorkbookError::TargetExists {
            path: target.to_path_buf(),
        });
    }

    let folder = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !folder.is_dir() {
        return Err(WorkbookError::FolderNotFound { folder });
    }

    let prefix = temp_prefix(target);
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // tempfile creates files readable only by the owner. 0o666 minus the umask
    // gives the workbook the permissions of any other file the user saves.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }

    let temp_file = builder
        .tempfile_in(&folder)
        .map_err(|source| temp_file_error(&folder, source))?;
    Ok((temp_file, folder))
}

/// Maps a failure to create a temporary file in `folder` to the error that names its cause.
pub(super) fn temp_file_error(folder: &Path, source: io::Error) -> WorkbookError {
    let folder = folder.to_path_buf();
    match source.kind() {
        io::ErrorKind::NotFound => WorkbookError::FolderNotFound { folder },
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            WorkbookError::FolderNotWritable { folder, source }
        }
        _ => WorkbookError::TempFileFailed { folder, source },
    }
}

/// Renames the finished temporary file to `target`. Without `overwrite`, the
/// rename fails rather than replace a file created since the checks in
/// [`create_temp_file`].
pub(super) fn persist(
    temp_file: NamedTempFile,
    target: &Path,
    overwrite: bool,
) -> Result<(), WorkbookError> {
    let result = if overwrite {
        keep_permissions(&temp_file, target);
        temp_file.persist(target)
    } else {
        temp_file.persist_noclobber(target)
    };

    // The error owns the temporary file, and dropping it here deletes the file.
    result.map(drop).map_err(|error| {
        if !overwrite && error.error.kind() == io::ErrorKind::AlreadyExists {
            WorkbookError::TargetExists {
                path: target.to_path_buf(),
            }
        } else {
            WorkbookError::RenameFailed {
                path: target.to_path_buf(),
                source: error.error,
            }
        }
    })
}

/// Most bytes of the target's name that go into its temporary file's name.
/// With the dots and the random part the name stays within the 255 bytes
/// that common file systems allow.
const TEMP_NAME_BYTES: usize = 200;

/// Returns the prefix of the hidden temporary file next to `target`: a dot,
/// the target's name (its first [`TEMP_NAME_BYTES`] bytes when longer) and
/// a dot. A hidden name next to the target keeps the rename on one file system.
pub(crate) fn temp_prefix(target: &Path) -> std::ffi::OsString {
    let name = target
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut end = name.len().min(TEMP_NAME_BYTES);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    std::ffi::OsString::from(format!(".{}.", &name[..end]))
}

/// Gives the finished file the permissions of the file it replaces, so that
/// replacing a file the user made private keeps it private.
pub(crate) fn keep_permissions(temp_file: &NamedTempFile, target: &Path) {
    let Ok(existing) = std::fs::metadata(target) else {
        return;
    };
    if let Err(error) = temp_file.as_file().set_permissions(existing.permissions()) {
        tracing::warn!(path = %target.display(), %error, "the replaced file's permissions could not be kept");
    }
}
