//! One export or preview from start to finish, shared by the window and the
//! command line.
//!
//! A fetch task reads pages of accounts: one `accounts.export` call, or every
//! page of `accounts.list` for "all matching". It hands them over a small
//! bounded channel to a consumer, which is the grid's event stream for a
//! preview or a workbook writer on its own thread for an export. The channel
//! lets the next page download while the current one is written, and its
//! bound keeps memory flat however many accounts there are. A
//! [`CancellationToken`] stops both sides, and a cancelled export leaves
//! nothing at the target path.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
pub use tokio_util::sync::CancellationToken;

use crate::about::AboutExport;
use crate::columns::{CellValue, Column, ColumnOptions, ColumnSet};
use crate::devrev::paging::{AccountPager, PageFailure, PagingError, PagingLimits, ResumePoint};
use crate::devrev::request::DEFAULT_FIRST;
use crate::devrev::{Account, AccountsExportRequest, DevRevClient, RetryPolicy};
use crate::workbook::{TruncatedCell, WorkbookError, WorkbookWriter};

/// Maximum time between two progress reports while a fetch runs.
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(400);

/// Maximum wait for the writer's clean-up after a cancel or a failed fetch.
const CLEANUP_WAIT: Duration = Duration::from_millis(800);

/// Pages in flight between the fetch task and the consumer. Two lets one page
/// download while another is written, without letting pages pile up.
const PAGES_IN_FLIGHT: usize = 2;

/// The accounts one run reads: filters, limit and page size.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchPlan {
    /// Filters, sort order and (without `all`) the `first` limit.
    pub request: AccountsExportRequest,
    /// Read every matching account through `accounts.list`, ignoring `first`.
    pub all: bool,
    pub limits: PagingLimits,
    /// The chosen columns and the time zone of the dates.
    pub columns: ColumnOptions,
}

impl FetchPlan {
    /// Returns the API endpoint this plan reads from.
    pub fn endpoint(&self) -> &'static str {
        if self.all {
            "accounts.list"
        } else {
            "accounts.export"
        }
    }
}

/// A snapshot of a running fetch, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// Accounts received so far, duplicates excluded.
    pub accounts: usize,
    pub pages: usize,
    pub elapsed_ms: u64,
    /// Accounts received per second since the start, rounded down.
    pub accounts_per_second: u64,
    pub duplicates_dropped: usize,
}

/// Outcome of a fetch: counts, endpoint and whether it was cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FetchSummary {
    /// Accounts received, duplicates excluded.
    pub count: usize,
    pub pages: usize,
    pub endpoint: &'static str,
    pub duplicates_dropped: usize,
    /// The `first` that applied, or `None` when every matching account was read.
    pub limit: Option<u32>,
    /// True when a limited read returned exactly `limit` accounts, so more may match.
    pub may_be_truncated: bool,
    /// True when the run was cancelled before the last page.
    pub cancelled: bool,
    pub elapsed_ms: u64,
}

/// Outcome of an export. With `cancelled` set, nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportSummary {
    /// Path of the saved workbook.
    pub path: PathBuf,
    /// Accounts written, one row each.
    pub rows: usize,
    pub columns: usize,
    /// Names of the sheets written; more than one when the rows exceeded a sheet.
    pub sheets: Vec<String>,
    /// Number of cells cut at Excel's 32,767-character limit.
    pub truncated_cells: usize,
    /// The first truncated cells, by sheet and address.
    pub truncated_cell_list: Vec<TruncatedCell>,
    pub duplicates_dropped: usize,
    pub pages: usize,
    pub endpoint: &'static str,
    /// True when a limited read returned exactly `first` accounts, so more may match.
    pub may_be_truncated: bool,
    pub cancelled: bool,
}

/// Failure of an export: fetching or writing.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Fetch(#[from] PagingError),
    #[error(transparent)]
    Workbook(#[from] WorkbookError),
}

/// Receives a preview's columns, rows and progress as they arrive.
pub trait PreviewSink: Sync {
    /// Receives the full column list, before the first rows and whenever it changes.
    fn columns(&self, columns: &[Column]);
    /// Receives the next rows in order. A row may be shorter than the column list.
    fn rows(&self, rows: Vec<Vec<CellValue>>);
    fn progress(&self, progress: Progress);
}

/// Fetches the accounts of `plan` and streams them to `sink` as rows.
pub async fn preview(
    client: &DevRevClient,
    plan: &FetchPlan,
    cancel: &CancellationToken,
    sink: &dyn PreviewSink,
) -> Result<FetchSummary, PagingError> {
    let (sender, mut receiver) = mpsc::channel::<Vec<Account>>(PAGES_IN_FLIGHT);

    let consume = async {
        let mut columns = ColumnSet::with_options(&plan.columns);
        let mut first_page = true;
        while let Some(accounts) = receiver.recv().await {
            let change = columns.observe(&accounts);
            if first_page || change.any() {
                sink.columns(columns.columns());
                first_page = false;
            }
            sink.rows(columns.rows(&accounts));
        }
        if first_page {
            sink.columns(columns.columns());
        }
    };
    let source = PageSource::new(client, plan);
    let fetch = async move {
        // The sender is dropped at the end so that the consumer sees the end.
        let sender = sender;
        fetch_pages(plan, source, cancel, &sender, |progress| {
            sink.progress(progress)
        })
        .await
    };

    let (summary, ()) = tokio::join!(fetch, consume);
    summary
}

/// Fetches the accounts of `plan` and writes them to a workbook at `target`.
///
/// The target is checked before anything is fetched. The workbook is written
/// on a separate thread while pages download. When cancelled, the function
/// returns at once with `cancelled` set; the writer thread then deletes its
/// temporary file, and the target is never touched. A failure deletes the
/// temporary files too; [`export_resumable`] keeps them for a Resume instead.
pub async fn export_to_file(
    client: &DevRevClient,
    plan: &FetchPlan,
    target: &Path,
    overwrite: bool,
    cancel: &CancellationToken,
    on_progress: impl FnMut(Progress),
) -> Result<ExportSummary, ExportError> {
    match export_resumable(client, plan, target, overwrite, cancel, on_progress).await? {
        ExportOutcome::Finished(summary) => Ok(summary),
        ExportOutcome::Paused(paused) => Err(paused.abandon().await.into()),
    }
}

/// How an export that can pause ended.
pub enum ExportOutcome {
    /// Saved, or cancelled with nothing written.
    Finished(ExportSummary),
    /// Stopped by a failure after its retries, with the rows so far kept.
    Paused(Box<PausedExport>),
}

/// An export of all matching accounts that stopped on a failure after its
/// retries. The rows fetched so far stay in the writer's temporary files, and
/// [`PausedExport::resume`] continues from the last page that arrived.
/// [`PausedExport::abandon`] deletes everything instead; dropping it does the
/// same in the background.
pub struct PausedExport {
    plan: FetchPlan,
    target: PathBuf,
    error: PagingError,
    resume: ResumePoint,
    run: ExportRun,
}

impl std::fmt::Debug for PausedExport {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("PausedExport")
            .field("target", &self.target)
            .field("accounts", &self.resume.accounts())
            .field("pages", &self.resume.pages())
            .finish_non_exhaustive()
    }
}

impl PausedExport {
    /// Returns the failure that stopped the export.
    pub fn error(&self) -> &PagingError {
        &self.error
    }

    /// Returns the accounts kept so far.
    pub fn accounts(&self) -> usize {
        self.resume.accounts()
    }

    /// Returns the path the export will be saved to.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Continues the export from the page after the last one that arrived,
    /// with the same writer, so the finished file has every account once.
    pub async fn resume(
        self,
        client: &DevRevClient,
        cancel: &CancellationToken,
        on_progress: impl FnMut(Progress),
    ) -> Result<ExportOutcome, ExportError> {
        tracing::info!(
            path = %self.target.display(),
            accounts = self.resume.accounts(),
            pages = self.resume.pages(),
            "export resumed"
        );
        let source = PageSource::Paged(AccountPager::resume(client, self.resume));
        let fetched = fetch_pages(&self.plan, source, cancel, &self.run.sender, on_progress).await;
        let exported_by = exporter_after(client, &fetched).await;
        self.run
            .finish(&self.plan, &self.target, fetched, cancel, exported_by)
            .await
    }

    /// Stops the writer, deletes its temporary files and returns the
    /// failure, with the point where a later read could continue.
    pub async fn abandon(self) -> PagingError {
        self.run.abandon().await;
        match self.error {
            PagingError::Api(PageFailure { error, .. }) => PagingError::Api(PageFailure {
                error,
                resume: Some(Box::new(self.resume)),
            }),
            other => other,
        }
    }
}

/// The writer side of an export: its page channel, its completion signal and
/// its thread.
struct ExportRun {
    sender: mpsc::Sender<Vec<Account>>,
    complete: oneshot::Sender<Completion>,
    writer: tokio::task::JoinHandle<Result<Option<crate::workbook::WriteSummary>, WorkbookError>>,
    writer_cancel: CancellationToken,
}

impl ExportRun {
    async fn abandon(mut self) {
        self.writer_cancel.cancel();
        drop(self.sender);
        drop(self.complete);
        wait_for_cleanup(&mut self.writer).await;
    }

    /// Ends the run after a fetch: saves on success, pauses on a failure that
    /// can resume, and deletes everything otherwise. A cancel while the
    /// workbook is saved reaches the writer, which then leaves the target as
    /// it was.
    async fn finish(
        self,
        plan: &FetchPlan,
        target: &Path,
        fetched: Result<FetchSummary, PagingError>,
        cancel: &CancellationToken,
        exported_by: Option<String>,
    ) -> Result<ExportOutcome, ExportError> {
        let fetched = match fetched {
            Ok(summary) if !summary.cancelled => summary,
            Ok(summary) => {
                self.abandon().await;
                return Ok(ExportOutcome::Finished(cancelled_export(
                    target, plan, &summary,
                )));
            }
            Err(PagingError::Api(PageFailure {
                error,
                resume: Some(resume),
            })) if plan.all => {
                let error = PagingError::Api(PageFailure {
                    error,
                    resume: None,
                });
                tracing::warn!(
                    path = %target.display(),
                    accounts = resume.accounts(),
                    %error,
                    "export paused; it can resume"
                );
                return Ok(ExportOutcome::Paused(Box::new(PausedExport {
                    plan: plan.clone(),
                    target: target.to_path_buf(),
                    error,
                    resume: *resume,
                    run: self,
                })));
            }
            Err(error) => {
                self.abandon().await;
                return Err(error.into());
            }
        };

        let ExportRun {
            sender,
            complete,
            mut writer,
            writer_cancel,
        } = self;
        drop(sender);
        let _ = complete.send(Completion {
            warnings: fetch_warnings(&fetched),
            exported_by,
        });
        let joined = tokio::select! {
            joined = &mut writer => joined,
            () = cancel.cancelled() => {
                tracing::info!(path = %target.display(), "cancel while saving; the target is left as it was");
                writer_cancel.cancel();
                writer.await
            }
        };
        let written = joined.map_err(|error| WorkbookError::WriteFailed {
            path: target.to_path_buf(),
            source: std::io::Error::other(format!("the workbook writer stopped: {error}")),
        })??;
        let Some(written) = written else {
            return Ok(ExportOutcome::Finished(cancelled_export(
                target, plan, &fetched,
            )));
        };
        Ok(ExportOutcome::Finished(ExportSummary {
            path: target.to_path_buf(),
            rows: written.rows,
            columns: written.columns,
            sheets: written.sheets,
            truncated_cells: written.truncated_cells,
            truncated_cell_list: written.truncated,
            duplicates_dropped: fetched.duplicates_dropped,
            pages: fetched.pages,
            endpoint: fetched.endpoint,
            may_be_truncated: fetched.may_be_truncated,
            cancelled: false,
        }))
    }
}

/// Like [`export_to_file`], but an export of all matching accounts that
/// fails after its retries pauses instead of failing, so the caller can offer
/// Resume. Other failures are returned as errors.
pub async fn export_resumable(
    client: &DevRevClient,
    plan: &FetchPlan,
    target: &Path,
    overwrite: bool,
    cancel: &CancellationToken,
    on_progress: impl FnMut(Progress),
) -> Result<ExportOutcome, ExportError> {
    crate::workbook::check_target(target, overwrite)?;

    let (sender, receiver) = mpsc::channel::<Vec<Account>>(PAGES_IN_FLIGHT);
    // The writer saves only after this signal, which carries the fetch's
    // warnings, so a fetch that fails or is cancelled never leaves a workbook
    // of the pages that did arrive.
    let (complete, completed) = oneshot::channel::<Completion>();
    // Not a child of `cancel`: a paused export keeps its writer after the
    // job's token is gone. Every ending of the run cancels it explicitly.
    let writer_cancel = CancellationToken::new();
    let limit = (!plan.all).then(|| plan.request.first.unwrap_or(DEFAULT_FIRST));
    let mut about = AboutExport::new(
        client.base_url().as_str(),
        plan.endpoint(),
        &plan.request.filters,
        limit,
    );
    about.exported_by = client.user_label().map(str::to_owned);
    let writer = {
        let target = target.to_path_buf();
        let cancel = writer_cancel.clone();
        let options = plan.columns.clone();
        tokio::task::spawn_blocking(move || {
            write_pages(
                receiver, completed, &target, overwrite, about, &options, &cancel,
            )
        })
    };
    let run = ExportRun {
        sender,
        complete,
        writer,
        writer_cancel,
    };

    let source = PageSource::new(client, plan);
    let fetched = fetch_pages(plan, source, cancel, &run.sender, on_progress).await;
    let exported_by = exporter_after(client, &fetched).await;
    run.finish(plan, target, fetched, cancel, exported_by).await
}

/// Gives a stopped writer up to [`CLEANUP_WAIT`] to delete its temporary
/// files, so that a command line that exits next leaves none behind. A writer
/// busy saving a large workbook is not waited for longer; it deletes its files
/// in the background.
async fn wait_for_cleanup<T>(writer: &mut tokio::task::JoinHandle<T>) {
    let _ = tokio::time::timeout(CLEANUP_WAIT, writer).await;
}

fn cancelled_export(target: &Path, plan: &FetchPlan, fetched: &FetchSummary) -> ExportSummary {
    ExportSummary {
        path: target.to_path_buf(),
        rows: 0,
        columns: 0,
        sheets: Vec::new(),
        truncated_cells: 0,
        truncated_cell_list: Vec::new(),
        duplicates_dropped: fetched.duplicates_dropped,
        pages: fetched.pages,
        endpoint: plan.endpoint(),
        may_be_truncated: false,
        cancelled: true,
    }
}

/// Writes pages from `pages` to a workbook until the channel closes, then saves
/// it once `completed` fires. Returns `None` when cancelled or when the fetch
/// ended without completing; the temporary files are then already deleted.
///
/// A custom field column that first shows up on a later page is appended to
/// the columns; the rows before it have that cell empty.
fn write_pages(
    mut pages: mpsc::Receiver<Vec<Account>>,
    completed: oneshot::Receiver<Completion>,
    target: &Path,
    overwrite: bool,
    mut about: AboutExport,
    options: &ColumnOptions,
    cancel: &CancellationToken,
) -> Result<Option<crate::workbook::WriteSummary>, WorkbookError> {
    let mut columns = ColumnSet::with_options(options);
    let new_writer = |columns: &[Column]| {
        let mut writer = WorkbookWriter::new(target, columns, overwrite)?;
        writer.set_time_zone(options.time_zone);
        Ok::<_, WorkbookError>(writer)
    };
    let mut writer: Option<WorkbookWriter> = None;

    while let Some(accounts) = pages.blocking_recv() {
        if cancel.is_cancelled() {
            return Ok(None);
        }
        about.tally.observe(&accounts);
        let known = columns.columns().len();
        columns.observe(&accounts);
        let rows = columns.rows(&accounts);

        let writer = match &mut writer {
            Some(writer) => {
                if columns.columns().len() > known {
                    writer.add_columns(&columns.columns()[known..])?;
                }
                writer
            }
            None => writer.insert(new_writer(columns.columns())?),
        };
        writer.write_rows(&rows)?;
    }
    // The channel closes when the fetch ends, successfully or not.
    let Ok(completion) = completed.blocking_recv() else {
        return Ok(None);
    };
    if cancel.is_cancelled() {
        return Ok(None);
    }

    let mut writer = match writer {
        Some(writer) => writer,
        None => new_writer(columns.columns())?,
    };
    about.warnings.extend(completion.warnings);
    if completion.exported_by.is_some() {
        about.exported_by = completion.exported_by;
    }
    writer.set_about(about);
    writer.finish_unless(|| cancel.is_cancelled())
}

/// The writer's signal that the fetch ended well, with the About sheet's
/// warnings and, when it was looked up after the fetch, who exported.
struct Completion {
    warnings: Vec<String>,
    exported_by: Option<String>,
}

/// Returns who the token belongs to, for the About sheet, when the client
/// asks for it with [`DevRevClient::with_user_lookup`] and does not know it
/// yet. It sends one `dev-users.self` request, without retries, and only
/// after a fetch that ended well. A failed request only leaves the name out.
async fn exporter_after(
    client: &DevRevClient,
    fetched: &Result<FetchSummary, PagingError>,
) -> Option<String> {
    let finished = matches!(fetched, Ok(summary) if !summary.cancelled);
    if !finished || !client.looks_up_user() || client.user_label().is_some() {
        return None;
    }
    let once = client.clone().with_retry_policy(RetryPolicy::none());
    match once.current_user().await {
        Ok(user) => Some(user.label()),
        Err(error) => {
            tracing::warn!(%error, "the token's user could not be read for the About sheet");
            None
        }
    }
}

/// Returns what the About sheet should warn of after a fetch: dropped
/// duplicates, and a limited read that may have left accounts out.
fn fetch_warnings(summary: &FetchSummary) -> Vec<String> {
    let mut warnings = Vec::new();
    if summary.duplicates_dropped > 0 {
        warnings.push(format!(
            "{} accounts came twice while paging and were written once.",
            summary.duplicates_dropped
        ));
    }
    if let (true, Some(limit)) = (summary.may_be_truncated, summary.limit) {
        warnings.push(format!(
            "The export stopped at its limit of {limit} accounts, so more accounts may match. \
             Export all matching accounts to get every one."
        ));
    }
    warnings
}

/// Reads the pages of `plan` into `pages`, reporting progress at least every
/// [`PROGRESS_INTERVAL`]. Stops early, with `cancelled` set, when `cancel`
/// fires or the consumer hangs up.
async fn fetch_pages(
    plan: &FetchPlan,
    mut source: PageSource<'_>,
    cancel: &CancellationToken,
    pages: &mpsc::Sender<Vec<Account>>,
    mut on_progress: impl FnMut(Progress),
) -> Result<FetchSummary, PagingError> {
    let started = Instant::now();
    let mut ticker = tokio::time::interval(PROGRESS_INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut cancelled = false;
    // Counts as of the last finished page. The page future borrows the source
    // mutably, so progress between pages is reported from this copy.
    let mut counts = Counts::default();

    'pages: loop {
        // The same page future is polled until it finishes: dropping it on a
        // progress tick would abandon a request in flight.
        let next = {
            let page = source.next_page();
            tokio::pin!(page);
            loop {
                tokio::select! {
                    biased;
                    () = cancel.cancelled() => {
                        cancelled = true;
                        break 'pages;
                    }
                    _ = ticker.tick() => on_progress(counts.progress(started)),
                    next = &mut page => break next?,
                }
            }
        };
        let Some(accounts) = next else { break };
        counts = source.counts();

        tokio::select! {
            biased;
            () = cancel.cancelled() => {
                cancelled = true;
                break;
            }
            sent = pages.send(accounts) => {
                if sent.is_err() {
                    // The consumer stopped, which it does only on an error
                    // that it reports itself.
                    break;
                }
            }
        }
        on_progress(counts.progress(started));
    }

    let counts = source.counts();
    let count = counts.accounts;
    let limit = (!plan.all).then(|| plan.request.first.unwrap_or(DEFAULT_FIRST));
    let summary = FetchSummary {
        count,
        pages: counts.pages,
        endpoint: plan.endpoint(),
        duplicates_dropped: counts.duplicates_dropped,
        limit,
        may_be_truncated: limit.is_some_and(|limit| count >= limit as usize),
        cancelled,
        elapsed_ms: started.elapsed().as_millis() as u64,
    };
    tracing::info!(
        endpoint = summary.endpoint,
        accounts = summary.count,
        pages = summary.pages,
        duplicates_dropped = summary.duplicates_dropped,
        cancelled = summary.cancelled,
        elapsed_ms = summary.elapsed_ms,
        "fetch finished"
    );
    Ok(summary)
}

/// Pages of accounts from one `accounts.export` call or from `accounts.list`.
enum PageSource<'a> {
    Single {
        client: &'a DevRevClient,
        request: Option<AccountsExportRequest>,
        accounts: usize,
    },
    Paged(AccountPager<'a>),
}

impl<'a> PageSource<'a> {
    fn new(client: &'a DevRevClient, plan: &FetchPlan) -> Self {
        if plan.all {
            PageSource::Paged(AccountPager::new(
                client,
                plan.request.filters.clone(),
                plan.limits,
            ))
        } else {
            PageSource::Single {
                client,
                request: Some(plan.request.clone()),
                accounts: 0,
            }
        }
    }

    async fn next_page(&mut self) -> Result<Option<Vec<Account>>, PagingError> {
        match self {
            PageSource::Single {
                client,
                request,
                accounts,
            } => {
                let Some(request) = request.take() else {
                    return Ok(None);
                };
                let page = client.export_accounts(&request).await?;
                *accounts = page.len();
                Ok(Some(page))
            }
            PageSource::Paged(pager) => Ok(pager.next_page().await?.map(|page| page.accounts)),
        }
    }

    fn counts(&self) -> Counts {
        match self {
            PageSource::Single {
                request, accounts, ..
            } => Counts {
                accounts: *accounts,
                pages: usize::from(request.is_none()),
                duplicates_dropped: 0,
            },
            PageSource::Paged(pager) => Counts {
                accounts: pager.accounts(),
                pages: pager.pages(),
                duplicates_dropped: pager.duplicates_dropped(),
            },
        }
    }
}

/// Accounts, pages and dropped duplicates read so far.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    accounts: usize,
    pages: usize,
    duplicates_dropped: usize,
}

impl Counts {
    fn progress(&self, started: Instant) -> Progress {
        let elapsed = started.elapsed();
        let seconds = elapsed.as_secs_f64();
        Progress {
            accounts: self.accounts,
            pages: self.pages,
            elapsed_ms: elapsed.as_millis() as u64,
            accounts_per_second: if seconds > 0.0 {
                (self.accounts as f64 / seconds) as u64
            } else {
                0
            },
            duplicates_dropped: self.duplicates_dropped,
        }
    }
}

/// Returns the path with `.xlsx` appended unless it already ends in `.xlsx`
/// (in any case). `accounts.csv` becomes `accounts.csv.xlsx`, so a file is
/// never saved under an extension that misstates its format.
///
/// A path that names a folder (an existing one, or one written with a trailing
/// separator, `.` or `..`) is returned unchanged, so that saving reports it as
/// a folder instead of writing a hidden `.xlsx` file into it.
pub fn with_xlsx_extension(path: &Path) -> PathBuf {
    let has_extension = path
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("xlsx"));
    let text = path.as_os_str().to_string_lossy();
    let names_folder = path.is_dir()
        || text.ends_with(std::path::MAIN_SEPARATOR)
        || text.ends_with('/')
        || path.file_name().is_none();
    if has_extension || names_folder {
        return path.to_path_buf();
    }
    let mut name = path.as_os_str().to_owned();
    name.push(".xlsx");
    PathBuf::from(name)
}

/// Returns the suggested file name for an export made on `date`: `accounts-YYYY-MM-DD.xlsx`.
pub fn suggested_file_name(date: chrono::NaiveDate) -> String {
    format!("accounts-{}.xlsx", date.format("%Y-%m-%d"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xlsx_extension_is_appended_when_missing() {
        assert_eq!(
            with_xlsx_extension(Path::new("/tmp/out")),
            Path::new("/tmp/out.xlsx")
        );
        assert_eq!(
            with_xlsx_extension(Path::new("out.csv")),
            Path::new("out.csv.xlsx")
        );
    }

    #[test]
    fn folder_paths_are_left_alone() {
        let folder = tempfile::tempdir().unwrap();

        assert_eq!(with_xlsx_extension(folder.path()), folder.path());
        assert_eq!(
            with_xlsx_extension(Path::new("exports/")),
            Path::new("exports/")
        );
        assert_eq!(with_xlsx_extension(Path::new("..")), Path::new(".."));
        assert_eq!(with_xlsx_extension(Path::new("/")), Path::new("/"));
    }

    #[test]
    fn xlsx_extension_is_kept_in_any_case() {
        assert_eq!(
            with_xlsx_extension(Path::new("a.xlsx")),
            Path::new("a.xlsx")
        );
        assert_eq!(
            with_xlsx_extension(Path::new("a.XLSX")),
            Path::new("a.XLSX")
        );
    }

    #[test]
    fn suggested_name_has_iso_date() {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 3, 7).unwrap();

        assert_eq!(suggested_file_name(date), "accounts-2026-03-07.xlsx");
    }

    #[test]
    fn plan_endpoint_follows_all() {
        let mut plan = FetchPlan {
            request: AccountsExportRequest::default(),
            all: false,
            limits: PagingLimits::default(),
            columns: ColumnOptions::default(),
        };
        assert_eq!(plan.endpoint(), "accounts.export");

        plan.all = true;
        assert_eq!(plan.endpoint(), "accounts.list");
    }
}
