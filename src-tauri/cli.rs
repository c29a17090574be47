//! The command line: `export` runs an export without the window, and
//! `demo-server` serves generated sample accounts. Without a command the app
//! window opens.
//!
//! The command names, options, `DEVREV_TOKEN` and exit statuses are a public
//! interface that IT staff script: change them only in ways that keep old
//! scripts working.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::demo_server::{DemoServer, DemoServerConfig, DEFAULT_DEMO_TOKEN};
use crate::devrev::{AccountsExportRequest, BaseUrl, DevRevClient};
use crate::error::AppError;
use crate::export::{fetch_accounts, with_xlsx_extension, write_accounts};
use crate::settings::SettingsStore;
use crate::token::{Token, TokenStore};

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

#[derive(Debug, Parser)]
#[command(
    name = "devrev-accounts-export",
    version,
    about = "Export DevRev accounts to Excel workbooks. Run without a command to open the app.",
    after_help = "Exit status: 0 success, 2 invalid input, 3 missing or rejected token, 4 API or network failure, 5 file could not be written."
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
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
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
    let args: Vec<String> = std::env::args()
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
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err((status, error)) => {
            eprintln!("error: {error}");
            ExitCode::from(status)
        }
    }
}

type CommandResult = Result<(), (u8, AppError)>;

async fn export(args: ExportArgs) -> CommandResult {
    let request = read_filters(args.filters.as_ref()).await?;

    let target = with_xlsx_extension(&args.out);
    if !args.overwrite && target.exists() {
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
        None => saved_base_url().await,
    };
    let token = resolve_token().await?;
    let client = DevRevClient::new(base_url.clone(), token);

    eprintln!("Fetching accounts from {base_url} …");
    let fetched = fetch_accounts(&client, &request).await.map_err(|error| {
        let status = match error.status() {
            Some(401 | 403) => EXIT_TOKEN,
            _ => EXIT_API,
        };
        (status, AppError::from(error))
    })?;
    let limit = fetched.limit;

    let summary = write_accounts(fetched, &target, args.overwrite)
        .await
        .map_err(|error| (EXIT_FILE, AppError::from(error)))?;
    println!(
        "Saved {} accounts to {} ({} columns).",
        summary.rows,
        summary.path.display(),
        summary.columns
    );
    if summary.truncated_cells > 0 {
        eprintln!(
            "note: {} cells were longer than Excel allows and were cut at 32,767 characters.",
            summary.truncated_cells
        );
    }
    if summary.may_be_truncated {
        eprintln!(
            "note: DevRev returned exactly {limit} accounts, the most this request asked for, so more may match. Set \"first\" (up to 500) in the filters file to get more."
        );
    }
    Ok(())
}

async fn read_filters(path: Option<&PathBuf>) -> Result<AccountsExportRequest, (u8, AppError)> {
    let Some(path) = path else {
        return Ok(AccountsExportRequest::default());
    };
    let text = tokio::fs::read_to_string(path).await.map_err(|error| {
        bad_input(
            "invalid_filters",
            format!(
                "Could not read the filters file {}: {error}. Check the path given to --filters.",
                path.display()
            ),
        )
    })?;
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

async fn saved_base_url() -> BaseUrl {
    match SettingsStore::in_config_dir() {
        Ok(store) => match store.load().await {
            Ok(loaded) => loaded.settings.base_url(),
            Err(_) => BaseUrl::default(),
        },
        Err(_) => BaseUrl::default(),
    }
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
            let mut app_error = AppError::from(error);
            app_error.message = format!(
                "{} Or set the {TOKEN_ENV} environment variable.",
                app_error.message
            );
            Err((EXIT_TOKEN, app_error))
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
        assert_eq!(args.out, PathBuf::from("a.xlsx"));
        assert_eq!(args.filters, Some(PathBuf::from("f.json")));
        assert!(args.overwrite);
    }

    #[test]
    fn export_requires_out() {
        assert!(Cli::try_parse_from(["app", "export"]).is_err());
    }
}
