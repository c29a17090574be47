//! One export from start to finish: fetch the accounts, turn them into rows,
//! write the workbook. Shared by the window and the command line.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::columns::{build_table, AccountTable};
use crate::devrev::request::DEFAULT_FIRST;
use crate::devrev::{Account, AccountsExportRequest, ApiError, DevRevClient};
use crate::workbook::{write_workbook, WorkbookError};

/// What one export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportSummary {
    /// Where the workbook was saved.
    pub path: PathBuf,
    /// Accounts written, one row each.
    pub rows: usize,
    pub columns: usize,
    /// Cells cut at Excel's 32,767-character limit.
    pub truncated_cells: usize,
    /// True when the API returned exactly as many accounts as requested, so
    /// more may match than were exported.
    pub may_be_truncated: bool,
}

/// Fetched accounts with the limit that applied to them.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchedAccounts {
    pub accounts: Vec<Account>,
    /// The request's `first`, or the API's default when unset.
    pub limit: u32,
}

impl FetchedAccounts {
    /// True when the result filled the limit, so more accounts may match.
    pub fn may_be_truncated(&self) -> bool {
        self.accounts.len() >= self.limit as usize
    }
}

/// Fetches the accounts that match the request with one `accounts.export` call.
pub async fn fetch_accounts(
    client: &DevRevClient,
    request: &AccountsExportRequest,
) -> Result<FetchedAccounts, ApiError> {
    let accounts = client.export_accounts(request).await?;
    Ok(FetchedAccounts {
        accounts,
        limit: request.first.unwrap_or(DEFAULT_FIRST),
    })
}

/// Builds the table and writes the workbook on tokio's blocking pool, because
/// building and compressing the file is CPU work that would stall the runtime.
pub async fn write_accounts(
    fetched: FetchedAccounts,
    path: &Path,
    overwrite: bool,
) -> Result<ExportSummary, WorkbookError> {
    let path = path.to_path_buf();
    let may_be_truncated = fetched.may_be_truncated();
    tokio::task::spawn_blocking(move || {
        let table: AccountTable = build_table(&fetched.accounts);
        let written = write_workbook(&table, &path, overwrite)?;
        Ok(ExportSummary {
            path,
            rows: written.rows,
            columns: written.columns,
            truncated_cells: written.truncated_cells,
            may_be_truncated,
        })
    })
    .await
    .expect("the workbook task does not panic")
}

/// Returns the path with `.xlsx` appended unless it already ends in `.xlsx`
/// (in any case). `accounts.csv` becomes `accounts.csv.xlsx`, so a file is
/// never saved under an extension that misstates its format.
pub fn with_xlsx_extension(path: &Path) -> PathBuf {
    let has_extension = path
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("xlsx"));
    if has_extension {
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
    fn full_result_may_be_truncated() {
        let fetched = FetchedAccounts {
            accounts: vec![Account::default(); 3],
            limit: 3,
        };

        assert!(fetched.may_be_truncated());
    }
}
