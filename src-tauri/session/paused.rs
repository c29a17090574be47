//! The session's paused export: an xlsx export of all matching accounts that
//! failed after its retries keeps its rows here until the window resumes or
//! discards it. A new export and a cancel discard it too, so at most one
//! paused export has temporary files at a time.

use super::AppSession;
use crate::devrev::{DevRevClient, RetryNotice};
use crate::error::AppError;
use crate::export::{ExportOutcome, ExportSummary, PausedExport, Progress};

/// A paused export and the server it read from, because its cursor means
/// nothing to another server.
pub(super) struct PausedJob {
    pub(super) export: Box<PausedExport>,
    base_url: String,
}

impl AppSession {
    /// Continues the paused export from the page after the last one that
    /// arrived and saves it to the same path, reporting progress and waits as
    /// [`Self::export`] does. It fails with `export_paused` again when the
    /// resumed run also fails after its retries, and keeps the rows then too.
    pub async fn resume_export(
        &self,
        on_progress: impl FnMut(Progress),
        on_wait: impl Fn(&RetryNotice) + Send + Sync + 'static,
    ) -> Result<ExportSummary, AppError> {
        let client = self.client().await?.on_retry(on_wait);
        let Some(paused) = self.take_paused() else {
            return Err(AppError::new(
                "nothing_to_resume",
                "There is no stopped export to resume. It may have been discarded by a cancel or a newer export; export again.",
            ));
        };
        if paused.base_url != client.base_url().as_str() {
            let error = AppError::new(
                "resume_server_changed",
                format!(
                    "The stopped export read from {}, but the app now reads from {}. Switch back to that server to resume, or discard the export and start a new one.",
                    paused.base_url,
                    client.base_url()
                ),
            );
            self.keep_paused(paused);
            return Err(error);
        }
        let cancel = self.start_job();

        let outcome = paused.export.resume(&client, &cancel, on_progress).await?;
        let summary = self.keep_if_paused(&client, outcome)?;
        if summary.cancelled {
            tracing::info!(path = %summary.path.display(), "resumed export cancelled");
        } else {
            tracing::info!(path = %summary.path.display(), rows = summary.rows, "resumed export saved");
            self.remember_export(&summary);
        }
        Ok(summary)
    }

    /// Discards the paused export and waits briefly for its temporary files
    /// to be deleted. Returns whether there was one.
    pub async fn discard_export(&self) -> bool {
        let Some(paused) = self.take_paused() else {
            return false;
        };
        let path = paused.export.target().to_path_buf();
        paused.export.abandon().await;
        tracing::info!(path = %path.display(), "paused export discarded");
        true
    }

    /// Returns the number of accounts the paused export keeps, or `None`
    /// when no export is paused.
    pub fn paused_export_accounts(&self) -> Option<usize> {
        self.paused_export
            .lock()
            .expect("the paused export lock is not poisoned")
            .as_ref()
            .map(|paused| paused.export.accounts())
    }

    /// Returns a finished export's summary, or keeps a paused one and
    /// returns the `export_paused` error that offers Resume.
    pub(super) fn keep_if_paused(
        &self,
        client: &DevRevClient,
        outcome: ExportOutcome,
    ) -> Result<ExportSummary, AppError> {
        match outcome {
            ExportOutcome::Finished(summary) => Ok(summary),
            ExportOutcome::Paused(export) => {
                let error = paused_error(&export);
                self.keep_paused(PausedJob {
                    export,
                    base_url: client.base_url().to_string(),
                });
                Err(error)
            }
        }
    }

    pub(super) fn take_paused(&self) -> Option<PausedJob> {
        self.paused_export
            .lock()
            .expect("the paused export lock is not poisoned")
            .take()
    }

    fn keep_paused(&self, paused: PausedJob) {
        // Replacing an older paused export drops it, which deletes its
        // temporary files in the background.
        *self
            .paused_export
            .lock()
            .expect("the paused export lock is not poisoned") = Some(paused);
    }
}

/// Builds the error the window shows for a paused export: the failure, the
/// accounts kept and the two ways on.
fn paused_error(export: &PausedExport) -> AppError {
    let kept = match export.accounts() {
        1 => "1 account".to_owned(),
        count => format!("{} accounts", group_digits(count)),
    };
    let mut error = AppError::new(
        "export_paused",
        format!(
            "{} The export stopped with {kept} kept in a temporary file, not saved yet. Select Resume to continue from there once the problem is fixed, or Discard to delete them.",
            export.error()
        ),
    );
    error.cause = export.error().api_error().map(crate::error::api_error_code);
    error
}

/// Writes a count with commas between groups of three digits, such as `12,345`.
fn group_digits(count: usize) -> String {
    let digits = count.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::group_digits;

    #[test]
    fn counts_get_thousands_commas() {
        assert_eq!(group_digits(7), "7");
        assert_eq!(group_digits(1_000), "1,000");
        assert_eq!(group_digits(1_234_567), "1,234,567");
    }
}
