//! The one error shape that reaches the window and the command line.
//!
//! Every module error converts into an [`AppError`]: a stable `code` that the
//! frontend and scripts may match on, a plain-language `message` with the next
//! step, and for invalid filters the broken rule of each field.

use serde::Serialize;

use crate::columns::ColumnChoiceError;
use crate::csv_export::{CsvError, CsvExportError};
use crate::devrev::paging::PagingError;
use crate::devrev::request::{FieldError, RequestParseError};
use crate::devrev::{ApiError, BaseUrlError, ProxyUrlError};
use crate::export::ExportError;
use crate::settings::SettingsError;
use crate::token::{KeyringError, TokenError};
use crate::workbook::WorkbookError;

/// An error as shown to a person: `{code, message, fields?}` in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    /// Stable identifier, such as `unauthorized` or `invalid_filters`.
    pub code: &'static str,
    /// Description of the failure and the next step.
    pub message: String,
    /// Per-field problems, for `invalid_filters` only.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
    /// Code of the failure behind this one, such as `unauthorized` behind a
    /// stopped export, so the window can offer that failure's next step too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<&'static str>,
}

impl AppError {
    /// Creates an error without field details.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        AppError {
            code,
            message: message.into(),
            fields: Vec::new(),
            cause: None,
        }
    }

    /// Returns the error for an action that needs a token when none is available.
    pub fn no_token() -> Self {
        AppError::new(
            "no_token",
            "No API token is saved. Open Settings and paste your DevRev personal access token, or choose Try with sample data.",
        )
    }

    /// Returns the error for filters that break one or more rules.
    pub fn invalid_filters(fields: Vec<FieldError>) -> Self {
        let count = fields.len();
        let message = if count == 1 {
            format!("One filter needs fixing: {}", fields[0])
        } else {
            format!("{count} filters need fixing. See the messages next to the fields.")
        };
        AppError {
            code: "invalid_filters",
            message,
            fields,
            cause: None,
        }
    }
}

impl From<ApiError> for AppError {
    fn from(error: ApiError) -> Self {
        AppError::new(api_error_code(&error), error.to_string())
    }
}

/// Returns the stable code of an API failure, such as `unauthorized`.
pub fn api_error_code(error: &ApiError) -> &'static str {
    match error {
        ApiError::BadRequest { .. } => "bad_request",
        ApiError::Unauthorized { .. } => "unauthorized",
        ApiError::Forbidden { .. } => "forbidden",
        ApiError::RateLimited { .. } => "rate_limited",
        ApiError::ServerError { .. } => "server_error",
        ApiError::Unavailable { .. } => "unavailable",
        ApiError::UnexpectedStatus { .. } => "unexpected_status",
        ApiError::WrongServer { .. } => "wrong_server",
        ApiError::Connection { .. } => "connection_failed",
        ApiError::NoNetwork { .. } => "no_network",
        ApiError::ConnectionLost { .. } => "connection_lost",
        ApiError::Certificate { .. } => "certificate_problem",
        ApiError::Proxy { .. } => "proxy_failed",
        ApiError::Timeout { .. } => "timed_out",
        ApiError::InvalidJson { .. } | ApiError::Decode { .. } | ApiError::TooLarge { .. } => {
            "invalid_response"
        }
        ApiError::Setup { .. } => "client_setup_failed",
    }
}

impl From<PagingError> for AppError {
    fn from(error: PagingError) -> Self {
        match error {
            PagingError::Api(failure) => failure.error.into(),
            PagingError::RepeatedCursor { .. } => AppError::new("paging_loop", error.to_string()),
            PagingError::TooManyPages { .. } => AppError::new("too_many_pages", error.to_string()),
        }
    }
}

impl From<ExportError> for AppError {
    fn from(error: ExportError) -> Self {
        match error {
            ExportError::Fetch(error) => error.into(),
            ExportError::Workbook(error) => error.into(),
        }
    }
}

impl From<KeyringError> for AppError {
    fn from(error: KeyringError) -> Self {
        let code = match &error {
            KeyringError::Unavailable { .. } => "keyring_unavailable",
            KeyringError::Locked { .. } => "keyring_locked",
            KeyringError::Damaged => "keyring_damaged",
            KeyringError::Failed { .. } => "keyring_failed",
        };
        AppError::new(code, error.to_string())
    }
}

impl From<TokenError> for AppError {
    fn from(error: TokenError) -> Self {
        AppError::new("invalid_token", error.to_string())
    }
}

impl From<BaseUrlError> for AppError {
    fn from(error: BaseUrlError) -> Self {
        AppError::new("invalid_base_url", error.to_string())
    }
}

impl From<ProxyUrlError> for AppError {
    fn from(error: ProxyUrlError) -> Self {
        AppError::new("invalid_proxy", error.to_string())
    }
}

impl From<SettingsError> for AppError {
    fn from(error: SettingsError) -> Self {
        AppError::new("settings_failed", error.to_string())
    }
}

impl From<RequestParseError> for AppError {
    fn from(error: RequestParseError) -> Self {
        match error {
            RequestParseError::Invalid(fields) => AppError::invalid_filters(fields),
            other => AppError::new("invalid_filters", other.to_string()),
        }
    }
}

impl From<WorkbookError> for AppError {
    fn from(error: WorkbookError) -> Self {
        let code = match &error {
            WorkbookError::TargetExists { .. } => "file_exists",
            WorkbookError::TargetIsFolder { .. }
            | WorkbookError::MissingFileName { .. }
            | WorkbookError::FolderNotFound { .. }
            | WorkbookError::FolderNotWritable { .. } => "invalid_path",
            WorkbookError::TooManyColumns { .. } | WorkbookError::TooManyRows { .. } => "too_large",
            _ => "save_failed",
        };
        AppError::new(code, error.to_string())
    }
}

impl From<ColumnChoiceError> for AppError {
    fn from(error: ColumnChoiceError) -> Self {
        AppError::new("invalid_columns", error.to_string())
    }
}

impl From<CsvError> for AppError {
    fn from(error: CsvError) -> Self {
        let code = match &error {
            CsvError::TargetExists { .. } => "file_exists",
            CsvError::TargetIsFolder { .. }
            | CsvError::MissingFileName { .. }
            | CsvError::FolderNotFound { .. }
            | CsvError::FolderNotWritable { .. } => "invalid_path",
            _ => "save_failed",
        };
        AppError::new(code, error.to_string())
    }
}

impl From<CsvExportError> for AppError {
    fn from(error: CsvExportError) -> Self {
        match error {
            CsvExportError::Fetch(error) => error.into(),
            CsvExportError::Csv(error) => error.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devrev::ErrorBody;
    use serde_json::json;

    #[test]
    fn serializes_code_and_message_only() {
        let error = AppError::no_token();

        let json = serde_json::to_value(&error).unwrap();

        assert_eq!(
            json,
            json!({
                "code": "no_token",
                "message": "No API token is saved. Open Settings and paste your DevRev personal access token, or choose Try with sample data."
            })
        );
    }

    #[test]
    fn invalid_filters_carry_fields() {
        let error = AppError::invalid_filters(vec![FieldError {
            field: "first".into(),
            message: "0 is outside the allowed range. Enter a number from 1 to 500.".into(),
        }]);

        let json = serde_json::to_value(&error).unwrap();

        assert_eq!(
            json,
            json!({
                "code": "invalid_filters",
                "message": "One filter needs fixing: first: 0 is outside the allowed range. Enter a number from 1 to 500.",
                "fields": [{"field": "first", "message": "0 is outside the allowed range. Enter a number from 1 to 500."}]
            })
        );
    }

    #[test]
    fn api_errors_map_to_stable_codes() {
        let endpoint = || "accounts.export".to_string();
        let body = ErrorBody::default;
        let cases = [
            (
                ApiError::BadRequest {
                    endpoint: endpoint(),
                    body: body(),
                },
                "bad_request",
            ),
            (
                ApiError::Unauthorized {
                    endpoint: endpoint(),
                    body: body(),
                },
                "unauthorized",
            ),
            (
                ApiError::Forbidden {
                    endpoint: endpoint(),
                    body: body(),
                },
                "forbidden",
            ),
            (
                ApiError::RateLimited {
                    endpoint: endpoint(),
                    body: body(),
                    retry_after: None,
                },
                "rate_limited",
            ),
            (
                ApiError::ServerError {
                    endpoint: endpoint(),
                    status: 500,
                    body: body(),
                },
                "server_error",
            ),
            (
                ApiError::Unavailable {
                    endpoint: endpoint(),
                    body: body(),
                },
                "unavailable",
            ),
            (
                ApiError::Timeout {
                    endpoint: endpoint(),
                    phase: crate::devrev::TimeoutPhase::Read,
                    after: std::time::Duration::from_secs(5),
                },
                "timed_out",
            ),
            (
                ApiError::WrongServer {
                    base_url: "https://example.test".into(),
                    endpoint: endpoint(),
                    reply: "HTTP 404 and an HTML page".into(),
                },
                "wrong_server",
            ),
            (
                ApiError::NoNetwork {
                    base_url: "https://example.test".into(),
                    endpoint: endpoint(),
                    reason: "dns error".into(),
                },
                "no_network",
            ),
            (
                ApiError::ConnectionLost {
                    base_url: "https://example.test".into(),
                    endpoint: endpoint(),
                    reason: "connection reset".into(),
                },
                "connection_lost",
            ),
            (
                ApiError::Certificate {
                    base_url: "https://example.test".into(),
                    endpoint: endpoint(),
                    reason: "self-signed certificate".into(),
                },
                "certificate_problem",
            ),
            (
                ApiError::Proxy {
                    proxy: "http://127.0.0.1:3128".into(),
                    base_url: "https://example.test".into(),
                    endpoint: endpoint(),
                    reason: "connection refused".into(),
                },
                "proxy_failed",
            ),
            (
                ApiError::InvalidJson {
                    endpoint: endpoint(),
                    reason: "it ended early".into(),
                },
                "invalid_response",
            ),
        ];

        for (error, code) in cases {
            assert_eq!(AppError::from(error).code, code);
        }
    }

    #[test]
    fn keyring_unavailable_offers_session_token() {
        let error = AppError::from(KeyringError::Unavailable {
            detail: "no Secret Service".into(),
        });

        assert_eq!(error.code, "keyring_unavailable");
        assert!(error.message.contains("for this session only"));
    }

    #[test]
    fn column_and_csv_errors_map_to_codes() {
        let columns = AppError::from(ColumnChoiceError::Empty);
        let exists = AppError::from(CsvError::TargetExists {
            path: "a.csv".into(),
        });
        let folder = AppError::from(CsvError::FolderNotFound {
            folder: "missing".into(),
        });

        assert_eq!(columns.code, "invalid_columns");
        assert_eq!(exists.code, "file_exists");
        assert!(exists.message.contains("a.csv"), "{}", exists.message);
        assert_eq!(folder.code, "invalid_path");
    }
}
