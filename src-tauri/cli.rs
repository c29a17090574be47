//! The command line: `export` runs an export without the window, `check`
//! tests the token and the connection, `columns` lists the column keys, and
//! `demo-server` serves generated sample accounts. Without a command the app
//! window opens.
//!
//! The command names, options, `DEVREV_TOKEN` and exit statuses are a public
//! interface that IT staff script: change them only in ways that keep old
//! scripts working.

// These replace the standard macros in this module and its children. The
// standard ones panic when the output is closed or full, as when a script
// pipes the output into `head`, and by then the export's file is written.
// A line that cannot be printed is dropped instead.
macro_rules! println {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod preset;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::columns::{catalogue, ColumnChoice, ColumnOptions, OTHER_CUSTOM_FIELDS_KEY};
use crate::csv_export::{export_csv_to_file, with_csv_extension, ExportFormat};
use crate::demo_server::{DemoServer, DemoServerConfig, DEFAULT_DEMO_TOKEN};
use crate::devrev::paging::PagingLimits;
use crate::devrev::{
    AccountsExportRequest, BaseUrl, ClientOptions, DevRevClient, ProxyMode, ProxyUrl, RetryNotice,
    RetryPolicy, WaitReason,
};
use crate::error::AppError;
use crate::export::{
    export_to_file, with_xlsx_extension, CancellationToken, ExportSummary, FetchPlan, Progress,
};
use crate::settings::SettingsStore;
use crate::time_zone::{ExportTimeZone, TimeZonePolicy};
use crate::token::{KeyringError, Token, TokenStore};

/// Environment variable with the API token for the command line. When set,
/// the keyring is not used at all.
pub const TOKEN_ENV: &str = "DEVREV_TOKEN";

/// Exit status: the filters, the output path or another argument is invalid.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit status: no token, or the token was rejected (HTTP 401 or 403).
pub const EXIT_TOKEN: u8 = 3;
/// Exit status: the API or the network failed, including certificate and
/// proxy problems and a server that is not the DevRev API.
pub const EXIT_API: u8 = 4;
/// Exit status: the workbook could not be written.
pub const EXIT_FILE: u8 = 5;
/// Exit status: the export was cancelled with Ctrl+C; nothing was written.
pub const EXIT_CANCELLED: u8 = 130;

#[derive(Debug, Parser)]
#[command(
    name = "devrev-accounts-export",
    version,
    about = "Export DevRev accounts to Excel workbooks or CSV files. Run without a command to open the app.",
    after_help = "Exit status: 0 success, 2 invalid input, 3 missing or rejected token, 4 API or network failure (certificate, proxy and wrong server address included), 5 file could not be written, 130 cancelled with Ctrl+C."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Export accounts to an Excel workbook or a CSV file without opening the window.
    ///
    /// The token comes from the DEVREV_TOKEN environment variable when it is
    /// set, otherwise from the keyring where the app saved it.
    Export(ExportArgs),
    /// Check the token and the connection: ask DevRev who the token belongs to.
    ///
    /// Sends one request to dev-users.self, without retries, and prints the
    /// user or what failed, such as a rejected token, a certificate or proxy
    /// problem, or a server address that is not the DevRev API.
    Check(CheckArgs),
    /// List the column keys that `export --columns` takes, in the default order.
    Columns,
    /// Serve generated sample accounts through a DevRev-compatible API on this computer.
    DemoServer(DemoServerArgs),
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// File to write. Its extension picks the format when --format is not
    /// given: `.csv` writes CSV, anything else a workbook. The format's
    /// extension is appended when the name lacks it. Optional with
    /// --preset, which then names the folder and file.
    #[arg(long, value_name = "FILE", required_unless_present = "preset")]
    out: Option<PathBuf>,
    /// JSON file with the accounts.export request body in the API's field
    /// names, for example {"tier": ["Enterprise"], "first": 500}.
    /// Without it, the API's default applies: the first 50 accounts.
    #[arg(long, value_name = "FILE")]
    filters: Option<PathBuf>,
    /// Replace FILE if it already exists. Without this option an existing file is never changed.
    #[arg(long)]
    overwrite: bool,
    /// Export every matching account, reading them page by page through
    /// accounts.list, instead of at most "first" (500 at most). "first" in the
    /// filters file is then ignored.
    #[arg(long)]
    all: bool,
    /// File format: `xlsx` (Excel workbook) or `csv` (UTF-8 with a
    /// byte-order mark). Default: the preset's format with --preset and no
    /// --out, else `csv` when FILE ends in .csv, else `xlsx`.
    #[arg(long, value_name = "FORMAT")]
    format: Option<ExportFormat>,
    /// Columns to write, in order, as comma-separated keys such as
    /// `display_name,tier,custom_fields.*`. Run the `columns` command for the
    /// keys. Default: every column in the default order.
    #[arg(long, value_name = "KEYS")]
    columns: Option<String>,
    /// Time zone of dates: `local` or `utc`. Headers name the offset, such as
    /// "Created (UTC+01:00)". Default: the one saved in the app, else local.
    #[arg(long, value_name = "ZONE")]
    time_zone: Option<TimeZonePolicy>,
    /// Saved preset to export, by name: its filters, dates, "all matching"
    /// choice, columns, format, time zone, folder and file-name pattern.
    /// Options given as well take precedence over the preset's.
    #[arg(long, value_name = "NAME")]
    preset: Option<String>,
    #[command(flatten)]
    network: NetworkArgs,
    /// Times a failed request is sent again before the export gives up:
    /// after a rate limit, a server error, a timeout or a lost connection.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_RETRIES)]
    retries: u32,
}

/// Retries per request unless `--retries` sets another number: five attempts in all.
const DEFAULT_RETRIES: u32 = 4;

/// Most retries `--retries` accepts.
const MAX_RETRIES: u32 = 20;

#[derive(Debug, Args)]
struct CheckArgs {
    #[command(flatten)]
    network: NetworkArgs,
}

/// Network options: the server and the proxy.
#[derive(Debug, Args)]
struct NetworkArgs {
    /// DevRev API address. Default: the address saved in the app, else https://api.devrev.ai.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// HTTP proxy for all requests, such as http://proxy.example.com:8080.
    /// Default: the proxy saved in the app, else HTTPS_PROXY and the other
    /// proxy environment variables.
    #[arg(long, value_name = "URL")]
    proxy: Option<String>,
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
        // GTK aborts with a panic when there is no display to open a window on.
        #[cfg(target_os = "linux")]
        if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
            eprintln!(
                "error: the app window needs a desktop session, and none was found (DISPLAY and WAYLAND_DISPLAY are not set). Start the app from the desktop, or use a command such as `export`; `--help` lists them."
            );
            return ExitCode::FAILURE;
        }
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
            Command::Check(args) => check(args).await,
            Command::Columns => {
                print_columns();
                Ok(())
            }
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
        Some(name) => Some(preset::load(name, args.format).await?),
        None => None,
    };
    let all = args.all || chosen.as_ref().is_some_and(|chosen| chosen.all);
    let request = match (&args.filters, &chosen) {
        (None, Some(chosen)) => preset::request(chosen, now)?,
        _ => read_filters(args.filters.as_ref(), all).await?,
    };
    let choice = match (&args.columns, &chosen) {
        (Some(list), _) => ColumnChoice::parse_list(list).map_err(|error| {
            let mut app_error = AppError::from(error);
            app_error.message = format!(
                "--columns: {} Run `devrev-accounts-export columns` to list them.",
                app_error.message
            );
            (EXIT_BAD_INPUT, app_error)
        })?,
        (None, Some(chosen)) => preset::columns(chosen)?,
        (None, None) => ColumnChoice::default(),
    };

    let (target, format, overwrite) = match (&args.out, &chosen) {
        (Some(out), _) => {
            let format = args.format.unwrap_or_else(|| ExportFormat::for_path(out));
            let target = match format {
                ExportFormat::Xlsx => with_xlsx_extension(out),
                ExportFormat::Csv => with_csv_extension(out),
            };
            (target, format, args.overwrite)
        }
        // The preset's file name never replaces a file: a free name is chosen.
        (None, Some(chosen)) => (preset::target(chosen, now)?, chosen.format, false),
        (None, None) => {
            return Err(bad_input(
                "invalid_arguments",
                "Give --out FILE, or --preset NAME to use a preset's folder and file name.".into(),
            ))
        }
    };
    if target.is_dir() {
        let error = crate::workbook::WorkbookError::TargetIsFolder {
            path: target.clone(),
        };
        return Err(bad_input("target_is_folder", error.to_string()));
    }
    if !overwrite && target.exists() {
        return Err(bad_input(
            "file_exists",
            format!(
                "{} already exists and was left unchanged. Choose another --out name, or add --overwrite to replace it.",
                target.display()
            ),
        ));
    }

    if args.retries > MAX_RETRIES {
        return Err(bad_input(
            "invalid_retries",
            format!(
                "--retries {} is more than the {MAX_RETRIES} allowed. Choose a number from 0 to {MAX_RETRIES}.",
                args.retries
            ),
        ));
    }
    let (base_url, proxy) = network_settings(&args.network).await?;
    let policy = match (args.time_zone, &chosen) {
        (Some(policy), _) => policy,
        (None, Some(chosen)) => chosen.time_zone,
        (None, None) => saved_time_zone().await?,
    };
    let mut columns = ColumnOptions {
        choice,
        time_zone: ExportTimeZone::resolve(policy),
        ..ColumnOptions::default()
    };
    let token = resolve_token().await?;
    let options = ClientOptions {
        retry: RetryPolicy {
            max_attempts: args.retries + 1,
            ..RetryPolicy::default()
        },
        proxy: ProxyMode::from_setting(proxy),
        ..ClientOptions::default()
    };
    let client = DevRevClient::with_options(base_url.clone(), token, options)
        .map_err(|error| (EXIT_API, AppError::from(error)))?;
    // A missing or read-only folder ends the run before the line below
    // suggests that anything was fetched.
    if let Err(error) = crate::workbook::check_target(&target, overwrite) {
        return Err((EXIT_FILE, AppError::from(error)));
    }
    let facts = custom_field_facts(&client).await;
    columns.custom_labels = facts.labels;
    columns.custom_dates = facts.dates;
    let plan = FetchPlan {
        request,
        all,
        limits: PagingLimits::default(),
        columns: columns.clone(),
    };
    eprintln!("Fetching accounts from {base_url} ({}) …", plan.endpoint());
    let mut reporter = ProgressReporter::new();
    let client = client
        .on_retry(reporter.notice_printer())
        .with_user_lookup();
    let cancel = CancellationToken::new();
    let on_ctrl_c = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            stop_requested().await;
            cancel.cancel();
        })
    };
    let result = match format {
        ExportFormat::Xlsx => {
            export_to_file(&client, &plan, &target, overwrite, &cancel, |progress| {
                reporter.show(progress)
            })
            .await
            .map_err(|error| {
                let status = match &error {
                    crate::export::ExportError::Workbook(_) => EXIT_FILE,
                    crate::export::ExportError::Fetch(fetch) => fetch_status(fetch),
                };
                (status, AppError::from(error))
            })
        }
        ExportFormat::Csv => export_csv_to_file(
            &client,
            &plan,
            &columns,
            &target,
            overwrite,
            &cancel,
            |progress| reporter.show(progress),
        )
        .await
        .map_err(|error| {
            let status = match &error {
                crate::csv_export::CsvExportError::Csv(_) => EXIT_FILE,
                crate::csv_export::CsvExportError::Fetch(fetch) => fetch_status(fetch),
            };
            (status, AppError::from(error))
        }),
    };
    reporter.finish();
    on_ctrl_c.abort();

    let summary = result?;
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

/// Waits for Ctrl+C, or on Unix also for SIGTERM or SIGHUP, which `timeout`,
/// service managers and a closed terminal send. Each ends an export the way
/// Ctrl+C does, so no temporary file is left behind.
async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let terminate = signal(SignalKind::terminate());
        let hang_up = signal(SignalKind::hangup());
        if let (Ok(mut terminate), Ok(mut hang_up)) = (terminate, hang_up) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
                _ = hang_up.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Returns the exit status of a failed fetch: a rejected token or any other
/// API or network failure.
fn fetch_status(error: &crate::devrev::paging::PagingError) -> u8 {
    if rejects_token(error.api_error()) {
        EXIT_TOKEN
    } else {
        EXIT_API
    }
}

/// Prints the column keys with their headers, kinds and descriptions.
fn print_columns() {
    let entries = catalogue();
    let key_width = entries
        .iter()
        .map(|entry| entry.key.len())
        .chain([OTHER_CUSTOM_FIELDS_KEY.len(), "custom_fields.<key>".len()])
        .max()
        .unwrap_or(0);
    let header_width = entries
        .iter()
        .map(|entry| entry.header.len())
        .max()
        .unwrap_or(0);

    println!("Columns in the default order. Pass keys to `export --columns`, separated by commas.");
    println!();
    for entry in &entries {
        let kind = serde_json::to_value(entry.kind)
            .ok()
            .and_then(|value| value.as_str().map(str::to_owned))
            .unwrap_or_default();
        println!(
            "{:key_width$}  {:header_width$}  {:8}  {}",
            entry.key, entry.header, kind, entry.description
        );
    }
    let extras = [
        (
            "custom_fields.<key>",
            "One custom field, such as custom_fields.tnt__region",
        ),
        (
            OTHER_CUSTOM_FIELDS_KEY,
            "Every custom field not named before it; must come last",
        ),
    ];
    for (key, description) in extras {
        println!(
            "{key:key_width$}  {:header_width$}  {:8}  {description}",
            "", ""
        );
    }
}

/// Reads the custom fields' display names and date fields from the org's
/// schema with one request and no retries. A failure only costs the names
/// and the date cells, so it is logged and the export goes on.
async fn custom_field_facts(client: &DevRevClient) -> crate::directory::CustomFieldFacts {
    let once = client.clone().with_retry_policy(RetryPolicy::none());
    match crate::directory::load_custom_field_facts(&once).await {
        Ok(facts) => facts,
        Err(error) => {
            tracing::warn!(%error, "custom field names and types could not be read, so headers use the field keys");
            crate::directory::CustomFieldFacts::default()
        }
    }
}

/// Returns the time-zone policy saved by the app, or local time when nothing
/// is saved or the settings file cannot be read.
async fn saved_time_zone() -> Result<TimeZonePolicy, (u8, AppError)> {
    let store = SettingsStore::in_config_dir().map_err(|error| (EXIT_BAD_INPUT, error.into()))?;
    // A damaged settings file has already been reported, or has stopped the
    // run, by the time this runs: a run that got here goes on in local time.
    match store.saved_settings().await {
        Ok(settings) => Ok(settings.time_zone),
        Err(error) => {
            tracing::warn!(%error, "the saved time zone could not be read");
            eprintln!(
                "warning: the saved time zone could not be read, so dates are in local time. Give --time-zone utc or --time-zone local to choose."
            );
            Ok(TimeZonePolicy::Local)
        }
    }
}

/// Prints what was saved, then notes on anything the user should check.
fn print_summary(summary: &ExportSummary, first: Option<u32>) {
    println!(
        "Saved {} to {} ({}; {} from {}).",
        counted(summary.rows, "account"),
        summary.path.display(),
        counted(summary.columns, "column"),
        counted(summary.pages, "page"),
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
            "note: DevRev sent {} twice; each was written once.",
            counted(summary.duplicates_dropped, "account")
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
            "note: {} longer than Excel allows and cut at 32,767 characters, ending with \"… [truncated]\": {}{}.",
            match summary.truncated_cells {
                1 => "1 cell was".to_owned(),
                count => format!("{count} cells were"),
            },
            listed.join(", "),
            if summary.truncated_cells > listed.len() { ", …" } else { "" }
        );
    }
    if summary.may_be_truncated {
        let limit = first.unwrap_or(crate::devrev::request::DEFAULT_FIRST);
        eprintln!(
            "note: DevRev returned exactly {}, the most this request asked for, so more may match. Add --all to export every matching account.",
            counted(limit as usize, "account")
        );
    }
}

/// Returns a count with its noun, such as "1 page" or "3 pages".
fn counted(count: usize, noun: &str) -> String {
    match count {
        1 => format!("1 {noun}"),
        _ => format!("{count} {noun}s"),
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
            "Fetched {} · {} · {} per second · {:.1} s",
            counted(progress.accounts, "account"),
            counted(progress.pages, "page"),
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

    /// Returns a callback that prints each wait of the client above the live
    /// line, or as a plain line. Pacing waits under a second are not printed,
    /// because near the rate limit there is one before every request.
    fn notice_printer(&self) -> impl Fn(&RetryNotice) + Send + Sync + 'static {
        let bar = self.bar.clone();
        move |notice: &RetryNotice| {
            if notice.reason == WaitReason::Pacing && notice.wait_ms < 1_000 {
                return;
            }
            let line = format!("note: {}", notice.message);
            match &bar {
                Some(bar) => bar.println(line),
                None => eprintln!("{line}"),
            }
        }
    }
}

/// True when the API rejected the token (HTTP 401) or its permissions (403).
fn rejects_token(error: Option<&crate::devrev::ApiError>) -> bool {
    error.is_some_and(|api| matches!(api.status(), Some(401 | 403)))
}

async fn check(args: CheckArgs) -> CommandResult {
    let (base_url, proxy) = network_settings(&args.network).await?;
    let token = resolve_token().await?;
    let options = ClientOptions {
        retry: RetryPolicy::none(),
        proxy: ProxyMode::from_setting(proxy),
        ..ClientOptions::default()
    };
    let client = DevRevClient::with_options(base_url.clone(), token, options)
        .map_err(|error| (EXIT_API, AppError::from(error)))?;
    let route = match client.proxy() {
        Some(proxy) => format!(" through the proxy {}", proxy.address),
        None => String::new(),
    };

    eprintln!("Checking the token with {base_url}{route} …");
    let user = client.current_user().await.map_err(|error| {
        let status = if rejects_token(Some(&error)) {
            EXIT_TOKEN
        } else {
            EXIT_API
        };
        (status, AppError::from(error))
    })?;
    println!(
        "The token works: it belongs to {} at {base_url}{route}.",
        user.label()
    );
    Ok(())
}

/// Returns the base URL and proxy for a command: the options when given,
/// else what the app saved.
async fn network_settings(
    args: &NetworkArgs,
) -> Result<(BaseUrl, Option<ProxyUrl>), (u8, AppError)> {
    let base_url = match &args.base_url {
        Some(text) => BaseUrl::parse(text).map_err(|error| (EXIT_BAD_INPUT, error.into()))?,
        None => saved_base_url().await?,
    };
    let proxy = match &args.proxy {
        Some(text) => Some(ProxyUrl::parse(text).map_err(|error| {
            let mut app_error = AppError::from(error);
            app_error.message = format!("--proxy: {}", app_error.message);
            (EXIT_BAD_INPUT, app_error)
        })?),
        // With --base-url, older scripts ran without reading the settings file,
        // so a damaged one only loses its proxy, with a warning.
        None if args.base_url.is_some() => saved_proxy().await.unwrap_or_else(|(_, error)| {
            eprintln!("warning: {error}");
            None
        }),
        None => saved_proxy().await?,
    };
    Ok((base_url, proxy))
}

/// Returns the proxy saved by the app, or `None`. A damaged settings file
/// stops the command, because requests would otherwise bypass a proxy the
/// user set.
async fn saved_proxy() -> Result<Option<ProxyUrl>, (u8, AppError)> {
    let store = SettingsStore::in_config_dir().map_err(|error| (EXIT_BAD_INPUT, error.into()))?;
    store.saved_proxy().await.map_err(|error| {
        let mut app_error = AppError::from(error);
        app_error.message = format!("{} Or give the proxy with --proxy.", app_error.message);
        (EXIT_BAD_INPUT, app_error)
    })
}

/// Reads and checks the filters file. With `all`, its `first` is left out
/// unread, since an export of all matching accounts does not use it.
async fn read_filters(
    path: Option<&PathBuf>,
    all: bool,
) -> Result<AccountsExportRequest, (u8, AppError)> {
    let Some(path) = path else {
        return Ok(AccountsExportRequest::default());
    };
    let text = read_filters_text(path)
        .await
        .map_err(|message| bad_input("invalid_filters", message))?;
    let parsed = match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Object(mut object)) if all => {
            object.remove("first");
            AccountsExportRequest::from_value(serde_json::Value::Object(object))
        }
        _ => AccountsExportRequest::from_json(&text),
    };
    parsed.map_err(|error| {
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
    fn export_format_columns_and_zone_parse() {
        let cli = Cli::try_parse_from([
            "app",
            "export",
            "--out",
            "a",
            "--format",
            "CSV",
            "--columns",
            "display_name,tier",
            "--time-zone",
            "utc",
        ])
        .unwrap();

        let Some(Command::Export(args)) = cli.command else {
            panic!("not an export");
        };
        assert_eq!(args.format, Some(ExportFormat::Csv));
        assert_eq!(args.columns.as_deref(), Some("display_name,tier"));
        assert_eq!(args.time_zone, Some(TimeZonePolicy::Utc));
    }

    #[test]
    fn invalid_format_and_zone_rejected() {
        let format = Cli::try_parse_from(["app", "export", "--out", "a", "--format", "ods"]);
        let zone = Cli::try_parse_from(["app", "export", "--out", "a", "--time-zone", "cet"]);

        assert!(format
            .unwrap_err()
            .to_string()
            .contains("Invalid format `ods`"));
        assert!(zone
            .unwrap_err()
            .to_string()
            .contains("Invalid time zone `cet`"));
    }

    #[test]
    fn columns_command_parses() {
        let cli = Cli::try_parse_from(["app", "columns"]).unwrap();

        assert!(matches!(cli.command, Some(Command::Columns)));
    }

    #[test]
    fn export_requires_out() {
        assert!(Cli::try_parse_from(["app", "export"]).is_err());
    }

    #[test]
    fn check_takes_base_url_and_proxy() {
        let cli = Cli::try_parse_from([
            "app",
            "check",
            "--base-url",
            "http://127.0.0.1:1",
            "--proxy",
            "http://127.0.0.1:2",
        ])
        .unwrap();

        let Some(Command::Check(args)) = cli.command else {
            panic!("not a check");
        };
        assert_eq!(args.network.base_url.as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!(args.network.proxy.as_deref(), Some("http://127.0.0.1:2"));
    }

    #[test]
    fn export_retries_default_to_four() {
        let cli = Cli::try_parse_from(["app", "export", "--out", "a.xlsx"]).unwrap();

        let Some(Command::Export(args)) = cli.command else {
            panic!("not an export");
        };
        assert_eq!(args.retries, 4);
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
