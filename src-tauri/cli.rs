//! The command line: `export` runs an export without the window, and
//! `demo-server` serves generated sample accounts. Without a command the app
//! window opens.
//!
//! The command names, options, `DEVREV_TOKEN` and exit statuses are a public
//! interface that IT staff script: change them only in ways that keep old
//! scripts working.

mod preset;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::demo_server::{DemoServer, DemoServerConfig, DEFAULT_DEMO_TOKEN};
use crate::devrev::paging::PagingLimits;
use crate::devrev::{AccountsExportRequest, BaseUrl, DevRevClient};
use crate::error::AppError;
use crate::export::{
    export_to_file, with_xlsx_extension, CancellationToken, ExportSummary, FetchPlan, Progress,
};
use crate::settings::SettingsStore;
use crate::token::{KeyringError, Token, TokenStore};

/// Environment variable with the API token for the command line. When set,
/// the keyring is not used at all.
pub const TOKEN_ENV: &str = "DEVREV_TOKEN";

/// Exit status: the filters, the output path or another argument is invalid.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit status: no token, or the token was rejected (HTTP 401 or 403).
pub const EXIT_TOKEN: u8 = 3;
/// Exit status: the API or the network failed.
pub const EXIT_API: u8 = 4;
/// Exit status: the workbook could not be written.
pub const EXIT_FILE: u8 = 5;
/// Exit status: the export was cancelled with Ctrl+C; nothing was written.
pub const EXIT_CANCELLED: u8 = 130;

#[derive(Debug, Parser)]
#[command(
    name = "devrev-accounts-export",
    version,
    about = "Export DevRev accounts to Excel workbooks. Run without a command to open the app.",
    after_help = "Exit status: 0 success, 2 invalid input, 3 missing or rejected token, 4 API or network failure, 5 file could not be written, 130 cancelled with Ctrl+C."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Export accounts to an Excel workbook without opening the window.
    ///
    /// The token comes from the DEVREV_TOKEN environment variable when it is
    /// set, otherwise from the keyring where the app saved it.
    Export(ExportArgs),
    /// Serve generated sample accounts through a DevRev-compatible API on this computer.
    DemoServer(DemoServerArgs),
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// Workbook to write. `.xlsx` is appended when the name lacks it.
    /// Optional with --preset, which then names the folder and file.
    #[arg(long, value_name = "FILE", required_unless_present = "preset")]
    out: Option<PathBuf>,
    /// JSON file with the accounts.export request body in the API's field
    /// names, for example {"tier": ["Enterprise"], "first": 500}.
    /// Without it, the API's default applies: the first 50 accounts.
    #[arg(long, value_name = "FILE")]
    filters: Option<PathBuf>,
    /// DevRev API address. Default: the address saved in the app, else https://api.devrev.ai.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Replace FILE if it already exists. Without this option an existing file is never changed.
    #[arg(long)]
    overwrite: bool,
    /// Export every matching account, reading them page by page through
    /// accounts.list, instead of at most "first" (500 at most). "first" in the
    /// filters file is then ignored.
    #[arg(long)]
    all: bool,
    /// Saved preset to export, by name: its filters, dates, "all matching"
    /// choice, folder and file-name pattern. --filters, --all, --out and
    /// --base-url given as well take precedence over the preset.
    #[arg(long, value_name = "NAME")]
    preset: Option<String>,
}

#[derive(Debug, Args)]
struct DemoServerArgs {
    /// TCP port on 127.0.0.1; 0 picks a free port.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Number of generated accounts.
    #[arg(long, default_value_t = 1_000)]
    accounts: usize,
    /// Bearer token the server accepts.
    #[arg(long, default_value = DEFAULT_DEMO_TOKEN)]
    token: String,
    /// Seed of the generated data; the same seed gives the same accounts.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

/// Runs the program: the window without a command, else the command.
pub fn main() -> ExitCode {
    let _log_guard = crate::logging::init();

    // WebKitWebDriver starts the app with `--automation` when tests drive it.
    let args: Vec<std::ffi::OsString> = std::env::args_os()
        .filter(|arg| arg != "--automation")
        .collect();
    let cli = Cli::parse_from(args);

    let Some(command) = cli.command else {
        return match crate::commands::run_app() {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                tracing::error!(%error, "the window failed");
                eprintln!("error: the app window could not be opened: {error}");
                ExitCode::FAILURE
            }
        };
    };

    let runtime = tokio::runtime::Runtime::new().expect("the tokio runtime starts");
    let result = runtime.block_on(async {
        match command {
            Command::Export(args) => export(args).await,
            Command::DemoServer(args) => demo_server(args).await,
        }
    });
    // Blocking tasks still running (a demo server search, a keyring call)
    // must not keep the program from exiting.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err((status, error)) => {
            tracing::error!(code = error.code, status, %error, "command failed");
            eprintln!("error: {error}");
            ExitCode::from(status)
        }
    }
}

type CommandResult = Result<(), (u8, AppError)>;

async fn export(args: ExportArgs) -> CommandResult {
    let now = chrono::Utc::now();
    let chosen = match &args.preset {
        Some(name) => Some(preset::load(name).await?),
        None => None,
    };
    let request = match (&args.filters, &chosen) {
        (None, Some(chosen)) => preset::request(chosen, now)?,
        _ => read_filters(args.filters.as_ref()).await?,
    };
    let all = args.all || chosen.as_ref().is_some_and(|chosen| chosen.all);

    let (target, overwrite) = match (&args.out, &chosen) {
        (Some(out), _) => (with_xlsx_extension(out), args.overwrite),
        (None, Some(chosen)) => (preset::target(chosen, now)?, false),
        (None, None) => {
            return Err(bad_input(
                "invalid_arguments",
                "Give --out FILE, or --preset NAME to use a preset's folder and file name.".into(),
            ))
        }
    };
    if !overwrite && target.exists() {
        return Err(bad_input(
            "file_exists",
            format!(
                "{} already exists and was left unchanged. Choose another --out name, or add --overwrite to replace it.",
                target.display()
            ),
        ));
    }

    let base_url = match &args.base_url {
        Some(text) => BaseUrl::parse(text).map_err(|error| (EXIT_BAD_INPUT, error.into()))?,
        None => saved_base_url().await?,
    };
    let token = resolve_token().await?;
    let client = DevRevClient::new(base_url.clone(), token);
    let plan = FetchPlan {
        request,
        all,
        limits: PagingLimits::default(),
    };

    eprintln!("Fetching accounts from {base_url} ({}) …", plan.endpoint());
    let cancel = CancellationToken::new();
    let on_ctrl_c = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                cancel.cancel();
            }
        })
    };
    let mut reporter = ProgressReporter::new();
    let result = export_to_file(&client, &plan, &target, overwrite, &cancel, |progress| {
        reporter.show(progress)
    })
    .await;
    reporter.finish();
    on_ctrl_c.abort();

    let summary = result.map_err(|error| {
        let status = match &error {
            crate::export::ExportError::Workbook(_) => EXIT_FILE,
            crate::export::ExportError::Fetch(crate::devrev::paging::PagingError::Api(api))
                if matches!(api.status(), Some(401 | 403)) =>
            {
                EXIT_TOKEN
            }
            crate::export::ExportError::Fetch(_) => EXIT_API,
        };
        (status, AppError::from(error))
    })?;
    if summary.cancelled {
        return Err((
            EXIT_CANCELLED,
            AppError::new(
                "cancelled",
                format!(
                    "The export was cancelled. Nothing was written to {}.",
                    target.display()
                ),
            ),
        ));
    }
    print_summary(&summary, plan.request.first);
    Ok(())
}

/// Prints what was saved, then notes on anything the user should check.
fn print_summary(summary: &ExportSummary, first: Option<u32>) {
    println!(
        "Saved {} account{} to {} ({} columns; {} page{} from {}).",
        summary.rows,
        if summary.rows == 1 { "" } else { "s" },
        summary.path.display(),
        summary.columns,
        summary.pages,
        if summary.pages == 1 { "" } else { "s" },
        summary.endpoint
    );
    if summary.sheets.len() > 1 {
        eprintln!(
            "note: the accounts did not fit one sheet, so the workbook continues on sheets {}.",
            summary.sheets[1..].join(", ")
        );
    }
    if summary.duplicates_dropped > 0 {
        eprintln!(
            "note: DevRev sent {} accounts twice; each was written once.",
            summary.duplicates_dropped
        );
    }
    if summary.truncated_cells > 0 {
        let listed: Vec<String> = summary
            .truncated_cell_list
            .iter()
            .take(5)
            .map(|cell| format!("{}!{} ({})", cell.sheet, cell.cell, cell.header))
            .collect();
        eprintln!(
            "note: {} cells were longer than Excel allows and were cut at 32,767 characters, ending with \"… [truncated]\": {}{}.",
            summary.truncated_cells,
            listed.join(", "),
            if summary.truncated_cells > listed.len() { ", …" } else { "" }
        );
    }
    if summary.may_be_truncated {
        let limit = first.unwrap_or(crate::devrev::request::DEFAULT_FIRST);
        eprintln!(
            "note: DevRev returned exactly {limit} accounts, the most this request asked for, so more may match. Add --all to export every matching account."
        );
    }
}

/// Shows progress on standard error: a live line on a terminal, otherwise a
/// plain line every few seconds so logs of scripted runs stay short.
struct ProgressReporter {
    bar: Option<indicatif::ProgressBar>,
    last_line: std::time::Instant,
}

impl ProgressReporter {
    const PLAIN_LINE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

    fn new() -> Self {
        use std::io::IsTerminal;
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        ProgressReporter {
            bar,
            last_line: std::time::Instant::now(),
        }
    }

    fn show(&mut self, progress: Progress) {
        let text = format!(
            "Fetched {} accounts · {} pages · {} per second · {:.1} s",
            progress.accounts,
            progress.pages,
            progress.accounts_per_second,
            progress.elapsed_ms as f64 / 1000.0
        );
        match &self.bar {
            Some(bar) => bar.set_message(text),
            None if self.last_line.elapsed() >= Self::PLAIN_LINE_INTERVAL => {
                eprintln!("{text}");
                self.last_line = std::time::Instant::now();
            }
            None => {}
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

async fn read_filters(path: Option<&PathBuf>) -> Result<AccountsExportRequest, (u8, AppError)> {
    let Some(path) = path else {
        return Ok(AccountsExportRequest::default());
    };
    let text = read_filters_text(path)
        .await
        .map_err(|message| bad_input("invalid_filters", message))?;
    AccountsExportRequest::from_json(&text).map_err(|error| {
        let mut app_error = AppError::from(error);
        app_error.message = format!(
            "The filters file {} is invalid: {}",
            path.display(),
            app_error.message
        );
        if !app_error.fields.is_empty() {
            let details: Vec<String> = app_error.fields.iter().map(ToString::to_string).collect();
            app_error.message = format!(
                "The filters file {} is invalid:\n  {}",
                path.display(),
                details.join("\n  ")
            );
        }
        (EXIT_BAD_INPUT, app_error)
    })
}

/// Largest filters file read. Real filters are a few hundred bytes.
const MAX_FILTERS_BYTES: u64 = 1024 * 1024;

/// Reads a filters file as text, without a UTF-8 byte-order mark. Only regular
/// files up to [`MAX_FILTERS_BYTES`] are read, so a device or a pipe cannot
/// hang or exhaust the program.
async fn read_filters_text(path: &std::path::Path) -> Result<String, String> {
    let shown = path.display();
    let metadata = tokio::fs::metadata(path).await.map_err(|error| {
        format!(
            "Could not read the filters file {shown}: {error}. Check the path given to --filters."
        )
    })?;
    if !metadata.is_file() {
        return Err(format!(
            "The filters file {shown} is not a regular file. Give --filters the path of a JSON file."
        ));
    }
    if metadata.len() > MAX_FILTERS_BYTES {
        return Err(format!(
            "The filters file {shown} is {} bytes, more than the {MAX_FILTERS_BYTES} bytes a filters file may have. Check that --filters names the right file.",
            metadata.len()
        ));
    }
    let bytes = tokio::fs::read(path).await.map_err(|error| {
        format!("Could not read the filters file {shown}: {error}. Check the file's permissions.")
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        format!("The filters file {shown} is not UTF-8 text. Save it as UTF-8 JSON and try again.")
    })?;
    Ok(text
        .strip_prefix('\u{feff}')
        .map(str::to_owned)
        .unwrap_or(text))
}

/// Returns the base URL saved by the app, or the default when nothing is
/// saved. A damaged settings file stops the export, because the token would
/// otherwise go to a server the user did not choose.
async fn saved_base_url() -> Result<BaseUrl, (u8, AppError)> {
    let store = SettingsStore::in_config_dir().map_err(|error| (EXIT_BAD_INPUT, error.into()))?;
    store.saved_base_url().await.map_err(|error| {
        let mut app_error = AppError::from(error);
        app_error.message = format!(
            "{} Or give the server address with --base-url.",
            app_error.message
        );
        (EXIT_BAD_INPUT, app_error)
    })
}

/// Returns the token from `DEVREV_TOKEN`, else from the keyring.
async fn resolve_token() -> Result<Token, (u8, AppError)> {
    if let Some(value) = std::env::var_os(TOKEN_ENV) {
        let text = value.to_string_lossy();
        return Token::parse(&text).map_err(|error| {
            let mut app_error = AppError::from(error);
            app_error.message = format!("{TOKEN_ENV}: {}", app_error.message);
            (EXIT_TOKEN, app_error)
        });
    }
    match TokenStore::default().load().await {
        Ok(Some(token)) => Ok(token),
        Ok(None) => Err((
            EXIT_TOKEN,
            AppError::new(
                "no_token",
                format!("No API token found. Set the {TOKEN_ENV} environment variable to your DevRev personal access token, or save one in the app's Settings."),
            ),
        )),
        Err(error) => {
            let code = AppError::from(error.clone()).code;
            let reason = match &error {
                KeyringError::Unavailable { detail }
                | KeyringError::Locked { detail }
                | KeyringError::Failed { detail } => detail.clone(),
                KeyringError::Damaged => "the saved token is damaged".to_owned(),
            };
            Err((
                EXIT_TOKEN,
                AppError::new(
                    code,
                    format!("The token could not be read from the keyring ({reason}). Set the {TOKEN_ENV} environment variable to your DevRev personal access token instead."),
                ),
            ))
        }
    }
}

async fn demo_server(args: DemoServerArgs) -> CommandResult {
    let config = DemoServerConfig {
        accounts: args.accounts,
        seed: args.seed,
        token: args.token.clone(),
        bind: std::net::SocketAddr::from(([127, 0, 0, 1], args.port)),
    };
    let server = DemoServer::start(config)
        .await
        .map_err(|error| bad_input("demo_server_failed", error.to_string()))?;
    println!(
        "Serving {} sample accounts at {} (bearer token: {}). Press Ctrl+C to stop.",
        args.accounts,
        server.base_url(),
        args.token
    );

    let _ = tokio::signal::ctrl_c().await;
    server.shutdown().await;
    println!("Stopped.");
    Ok(())
}

fn bad_input(code: &'static str, message: String) -> (u8, AppError) {
    (EXIT_BAD_INPUT, AppError::new(code, message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn export_options_parse() {
        let cli = Cli::try_parse_from([
            "app",
            "export",
            "--out",
            "a.xlsx",
            "--filters",
            "f.json",
            "--base-url",
            "http://127.0.0.1:1",
            "--overwrite",
        ])
        .unwrap();

        let Some(Command::Export(args)) = cli.command else {
            panic!("not an export");
        };
        assert_eq!(args.out, Some(PathBuf::from("a.xlsx")));
        assert_eq!(args.filters, Some(PathBuf::from("f.json")));
        assert!(args.overwrite);
    }

    #[test]
    fn export_requires_out() {
        assert!(Cli::try_parse_from(["app", "export"]).is_err());
    }

    #[test]
    fn preset_makes_out_optional() {
        let cli = Cli::try_parse_from(["app", "export", "--preset", "Weekly", "--all"]).unwrap();

        let Some(Command::Export(args)) = cli.command else {
            panic!("not an export");
        };
        assert_eq!(args.preset.as_deref(), Some("Weekly"));
        assert_eq!(args.out, None);
        assert!(args.all);
    }
}
