//! DevRev Accounts Export: fetches DevRev accounts and writes them to Excel workbooks.
//!
//! The library is plain Rust shared by the desktop app, the command line and the
//! tests. Only [`commands`] uses Tauri: it adapts the library to the window.
//!
//! - [`devrev`]: the HTTP client, request and account types, API errors.
//! - [`token`]: the API token and its place in the OS keyring.
//! - [`settings`]: the base URL and other saved preferences.
//! - [`presets`]: saved filters, file names and folders, and the last-used form.
//! - [`directory`]: users, tags, stages and fields that the filter pickers offer.
//! - [`columns`]: how an account becomes a row of typed cells, and which columns the user chose.
//! - [`time_zone`]: the one time-zone policy for the grid, the files and the date filters.
//! - [`text_rules`]: the rules every exported text follows (XML characters, line
//!   breaks, formulas, sheet names, links).
//! - [`workbook`]: writes rows to an `.xlsx` file without ever leaving a broken one.
//! - [`about`]: the facts of the workbook's "About this export" sheet.
//! - [`csv_export`]: writes rows to a `.csv` file, with the same guarantees.
//! - [`demo_server`]: a DevRev-compatible server with generated accounts.
//! - [`cli`]: the command line.

pub mod about;
pub mod cli;
pub mod columns;
pub mod commands;
pub mod csv_export;
pub mod demo_server;
pub mod devrev;
pub mod directory;
pub mod error;
pub mod export;
pub mod logging;
pub mod presets;
pub mod session;
pub mod settings;
pub mod text_rules;
pub mod time_zone;
pub mod token;
pub mod workbook;
