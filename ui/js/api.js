// The only module that calls the Tauri backend. Each function wraps one
// command, passes its arguments with the camelCase keys the command expects,
// and turns every rejection into a CommandError with a code and a message.
// Commands that stream (preview and export) take an event handler, which this
// module connects to a Tauri channel.

/**
 * A failed backend command, carrying the error object the command rejected with.
 */
export class CommandError extends Error {
  /**
   * @param {string} code Stable error code, for example "invalid_filters".
   * @param {string} message Plain-language message to show to the user.
   * @param {{field: string, message: string}[]} fields Per-field problems, empty unless the code is "invalid_filters".
   * @param {string|null} [cause] Code of the failure behind this one, such as "unauthorized" behind "export_paused".
   */
  constructor(code, message, fields, cause = null) {
    super(message);
    this.name = 'CommandError';
    this.code = code;
    this.fields = fields;
    this.cause = cause;
  }
}

/**
 * Converts whatever a command rejected with into a CommandError.
 * Tauri passes the serialized Rust error through, which should be
 * `{code, message, fields?, cause?}`, but a panic or a missing command rejects with a bare string.
 * @param {unknown} reason
 * @returns {CommandError}
 */
function toCommandError(reason) {
  if (reason instanceof CommandError) {
    return reason;
  }
  if (reason && typeof reason === 'object' && typeof reason.message === 'string') {
    const code = typeof reason.code === 'string' ? reason.code : 'unknown';
    const fields = Array.isArray(reason.fields) ? reason.fields : [];
    const cause = typeof reason.cause === 'string' ? reason.cause : null;
    return new CommandError(code, reason.message, fields, cause);
  }
  const text = typeof reason === 'string' && reason !== '' ? reason : 'Something went wrong in the app.';
  return new CommandError('unknown', `${text} Try again, and restart the app if it keeps happening.`, []);
}

/**
 * Creates a Tauri channel that passes each message to `handler`.
 * A handler that throws is logged, so one bad message does not stop the stream.
 */
function channelFor(tauri, handler) {
  const channel = new tauri.core.Channel();
  channel.onmessage = (message) => {
    try {
      handler(message);
    } catch (error) {
      console.error('Handling a message from the backend failed:', error);
    }
  };
  return channel;
}

/**
 * Calls one backend command and rejects with a CommandError when it fails.
 * Function-valued arguments are passed as Tauri channels that call the function with each message.
 * @param {string} command
 * @param {Record<string, unknown>} [args]
 * @returns {Promise<any>}
 */
async function call(command, args) {
  const tauri = window.__TAURI__;
  if (!tauri || !tauri.core || typeof tauri.core.invoke !== 'function') {
    throw new CommandError(
      'no_backend',
      'This page only works inside the DevRev Accounts Export app. Start the app and try again.',
      [],
    );
  }

  let prepared = args;
  if (args && Object.values(args).some((value) => typeof value === 'function')) {
    prepared = Object.fromEntries(Object.entries(args).map(([key, value]) =>
      [key, typeof value === 'function' ? channelFor(tauri, value) : value]));
  }

  try {
    return await tauri.core.invoke(command, prepared);
  } catch (reason) {
    throw toCommandError(reason);
  }
}

/**
 * @typedef {object} AppStatus
 * @property {'keyring'|'session'|null} tokenSource Where the saved token lives, or null when there is none.
 * @property {boolean} keyringAvailable Whether the system keyring can store a token.
 * @property {string|null} keyringProblem Why the keyring cannot be used, when it cannot.
 * @property {string} baseUrl Saved DevRev server address, shown for editing.
 * @property {string} activeBaseUrl Address requests go to now: the sample server in sample mode, else `baseUrl`.
 * @property {string} defaultBaseUrl DevRev server address used after a reset.
 * @property {boolean} sampleMode Whether requests go to the built-in sample server.
 * @property {string|null} proxy Proxy saved in Settings, or null to use the computer's proxy settings.
 * @property {{address: string, source: 'settings'|'system'}|null} proxyInUse
 *   Proxy that requests to `activeBaseUrl` go through, or null for a direct connection.
 * @property {string} version App version.
 * @property {TimeZoneInfo} timeZone The time-zone policy, fixed to the computer's offset now.
 * @property {{keys: string[], hidden?: string[]}} columns Chosen column keys in order, and custom
 *   fields that "custom_fields.*" leaves out.
 */

/**
 * @typedef {object} TimeZoneInfo
 * @property {'local'|'utc'} policy
 * @property {number} offsetMinutes Offset east of UTC in minutes, used for every date of a run.
 * @property {string} label The zone as headers show it, for example "UTC+01:00" or "UTC".
 */

/**
 * @typedef {object} CatalogueColumn
 * @property {string} key For example "display_name".
 * @property {string} header Header without the time zone, for example "Created".
 * @property {'text'|'number'|'bool'|'datetime'} kind
 * @property {string} description What the column contains.
 */

/**
 * @typedef {object} ConnectionReport
 * @property {string} baseUrl Server that responded.
 * @property {{id: string, display_id: string|null, display_name: string|null, full_name: string|null,
 *   email: string|null, state: string|null}} user User the token belongs to, with the API's own keys.
 * @property {{address: string, source: 'settings'|'system'}|null} proxy Proxy the request went through.
 * @property {boolean} sampleMode Whether the built-in sample server responded.
 * @property {number} elapsedMs
 * @property {string} message One sentence naming the user and the server.
 */

/**
 * A wait of the API client before its next request, as a preview's or export's
 * channel may carry it.
 * @typedef {object} RetryNotice
 * @property {string} endpoint API endpoint, for example "accounts.list".
 * @property {'rate_limited'|'rate_limited_no_wait'|'retry'|'pacing'} reason
 * @property {number} nextAttempt Attempt that follows the wait, counted from 1.
 * @property {number} maxAttempts
 * @property {number} waitMs Length of the wait.
 * @property {number|null} status HTTP status of the failed attempt.
 * @property {string} cause Short sentence naming what failed, for example "DevRev had an error (HTTP 500)."
 * @property {string} message Sentence for the person waiting, for example "DevRev asked us to wait 30 s."
 */

/**
 * @typedef {object} Column
 * @property {string} key
 * @property {string} header
 * @property {'text'|'number'|'bool'|'datetime'} kind
 */

/**
 * One message of a running preview or export, distinguished by `event`:
 * - `columns`: the full column list, sent before the first rows and again when
 *   columns are added. New columns only ever come at the end.
 * - `rows`: the next rows in order. A row may have fewer cells than there are columns;
 *   the missing cells at its end are empty.
 * - `progress`: counters, sent at least every 500 ms while the job runs.
 * - `wait`: the API client waits before its next request; the other fields are a RetryNotice.
 * @typedef {{event: 'columns', columns: Column[]}
 *   | {event: 'rows', rows: (string|number|boolean|null)[][]}
 *   | {event: 'progress', accounts: number, pages: number, elapsedMs: number,
 *      accountsPerSecond: number, duplicatesDropped: number}
 *   | ({event: 'wait'} & RetryNotice)} JobEvent
 */

/**
 * @typedef {object} PreviewResult
 * @property {number} count Number of accounts received, duplicates excluded.
 * @property {number} pages Pages read from the API.
 * @property {'accounts.export'|'accounts.list'} endpoint The API endpoint that was read.
 * @property {number} duplicatesDropped Accounts that came twice and were shown once.
 * @property {number|null} limit The `first` value the request used, or null when every matching account was read.
 * @property {boolean} mayBeTruncated True when more accounts may match than were read.
 * @property {boolean} cancelled True when the user cancelled before the last page.
 * @property {number} elapsedMs
 */

/**
 * @typedef {object} TruncatedCell
 * @property {string} sheet Worksheet name, for example "Accounts".
 * @property {string} cell Cell address, for example "F12".
 * @property {string} header Header of the cell's column.
 */

/**
 * @typedef {object} ExportResult
 * @property {string} path Where the workbook was saved.
 * @property {number} rows Accounts written, one row each.
 * @property {number} columns
 * @property {string[]} sheets Sheets written, for example ["Accounts", "Accounts (2)"].
 * @property {number} truncatedCells Cells whose text was cut at Excel's cell limit.
 * @property {TruncatedCell[]} truncatedCellList The first truncated cells (at most 100).
 * @property {number} duplicatesDropped Accounts that came twice and were written once.
 * @property {number} pages
 * @property {'accounts.export'|'accounts.list'} endpoint
 * @property {boolean} mayBeTruncated True when more accounts may match than were written.
 * @property {boolean} cancelled True when the user cancelled; nothing was written then.
 */

/**
 * @typedef {object} JobOptions
 * @property {boolean} all Read every matching account instead of the request's `first`.
 * @property {(event: JobEvent) => void} onEvent Called with each message while the job runs,
 *   and possibly shortly after its promise settles, because channel messages and the
 *   command's result travel separately.
 */

/**
 * Fetches the token, server and sample-mode state.
 * @returns {Promise<AppStatus>}
 */
export function appStatus() {
  return call('app_status');
}

/**
 * Stores the API token, in the keyring or for this session only.
 * @param {string} token
 * @param {boolean} sessionOnly
 * @returns {Promise<AppStatus>}
 */
export function saveToken(token, sessionOnly) {
  return call('save_token', { token, sessionOnly });
}

/**
 * Deletes the stored token.
 * @returns {Promise<AppStatus>}
 */
export function removeToken() {
  return call('remove_token');
}

/**
 * Changes the DevRev server address. Rejects with code "invalid_base_url" when the address is not usable.
 * @param {string} baseUrl
 * @returns {Promise<AppStatus>}
 */
export function setBaseUrl(baseUrl) {
  return call('set_base_url', { baseUrl });
}

/**
 * Saves the proxy for all requests. An empty string removes it. Rejects with
 * code "invalid_proxy" when the address is not usable.
 * @param {string} proxy
 * @returns {Promise<AppStatus>}
 */
export function setProxy(proxy) {
  return call('set_proxy', { proxy });
}

/**
 * Asks the server in use who the token belongs to, with one request and no retries.
 * Rejects with a CommandError whose code names the problem, for example "unauthorized",
 * "certificate_problem", "proxy_failed", "no_network" or "wrong_server".
 * @returns {Promise<ConnectionReport>}
 */
export function testConnection() {
  return call('test_connection');
}

/**
 * Starts the built-in sample server and points the app at it.
 * @returns {Promise<AppStatus>}
 */
export function startSampleData() {
  return call('start_sample_data');
}

/**
 * Stops the sample server and points the app back at DevRev.
 * @returns {Promise<AppStatus>}
 */
export function stopSampleData() {
  return call('stop_sample_data');
}

/**
 * Fetches the accounts that match an accounts.export request body. The columns,
 * rows and progress arrive through `onEvent`; the promise resolves when the last page is read.
 * @param {object} request Without `first` when `all` is set.
 * @param {JobOptions} options
 * @returns {Promise<PreviewResult>}
 */
export function preview(request, { all, onEvent }) {
  return call('preview', { request, all, onEvent });
}

/**
 * Opens the save dialog and resolves with the chosen path, or null when the user cancelled.
 * @param {string} suggestedName
 * @param {'xlsx'|'csv'} [format] The file type the dialog filters for; xlsx when left out.
 * @returns {Promise<string|null>}
 */
export function chooseExportPath(suggestedName, format = 'xlsx') {
  return call('choose_export_path', { suggestedName, format });
}

/**
 * Fetches the matching accounts and writes them to an Excel file at `path`.
 * Progress arrives through `onEvent`. A cancelled export resolves with `cancelled`
 * set and leaves any existing file at `path` untouched.
 * @param {object} request Without `first` when `all` is set.
 * @param {string} path
 * @param {JobOptions} options
 * @returns {Promise<ExportResult>}
 */
export function exportXlsx(request, path, { all, onEvent }) {
  return call('export_xlsx', { request, all, path, onEvent });
}

/**
 * Continues the Excel export that failed with the code `export_paused`, from the
 * last page that arrived, into the same file. Messages arrive through `onEvent` as
 * during the export, and it resolves like `exportXlsx`. A failure after its retries
 * rejects with `export_paused` again, and the rows stay kept.
 * @param {{onEvent: (event: JobEvent) => void}} options
 * @returns {Promise<ExportResult>}
 */
export function resumeExport({ onEvent }) {
  return call('resume_export', { onEvent });
}

/**
 * Deletes the rows of the export that failed with `export_paused`. Does nothing when there is none.
 * @returns {Promise<null>}
 */
export function discardExport() {
  return call('discard_export');
}

/**
 * Cancels the preview or export in progress, and discards an export that stopped
 * with `export_paused`. Does nothing when neither exists.
 * @returns {Promise<null>}
 */
export function cancelJob() {
  return call('cancel_job');
}

/**
 * Fetches the matching accounts and writes the chosen columns to a CSV file at `path`.
 * Works like `exportXlsx`, and resolves with the same kind of result.
 * @param {object} request Without `first` when `all` is set.
 * @param {string} path
 * @param {JobOptions} options
 * @returns {Promise<ExportResult>}
 */
export function exportCsv(request, path, { all, onEvent }) {
  return call('export_csv', { request, all, path, onEvent });
}

/**
 * Saves the time-zone policy for the grid, exports and date filters.
 * @param {'local'|'utc'} policy
 * @returns {Promise<AppStatus>}
 */
export function setTimeZone(policy) {
  return call('set_time_zone', { policy });
}

/**
 * Fetches the time-zone policy fixed to the computer's offset now, for a run about to start.
 * @returns {Promise<TimeZoneInfo>}
 */
export function timeZone() {
  return call('time_zone');
}

/**
 * Saves the chosen columns. Rejects with code "invalid_columns" for an unusable choice.
 * @param {string[]} keys Column keys in order; "custom_fields.*" may come last.
 * @param {string[]} hidden Custom field keys that "custom_fields.*" leaves out.
 * @returns {Promise<AppStatus>}
 */
export function setColumns(keys, hidden) {
  return call('set_columns', { keys, hidden });
}

/**
 * Lists the standard columns in their default order.
 * @returns {Promise<CatalogueColumn[]>}
 */
export function columnCatalogue() {
  return call('column_catalogue');
}

/**
 * Opens the last exported file in the program the system uses for it.
 * @returns {Promise<null>}
 */
export function openExport() {
  return call('open_export');
}

/**
 * Shows the last exported file in the system's file manager.
 * @returns {Promise<null>}
 */
export function showExportInFolder() {
  return call('show_export_in_folder');
}

/**
 * @typedef {object} UserChoice
 * @property {string} id Dev user ID, which the request carries.
 * @property {string} name Full name, else display name.
 * @property {string|null} email
 * @property {string} label `Name <email>`.
 */

/**
 * @typedef {object} TagChoice
 * @property {string} id
 * @property {string} name
 * @property {string[]} values Values the tag may carry; empty when it takes none.
 */

/**
 * @typedef {object} CustomFieldChoice
 * @property {string} name Key in the request's `custom_fields`, such as "tnt__region".
 * @property {string} label
 * @property {'checkbox'|'integer'|'number'|'date'|'choice'|'text'} input
 * @property {string[]} values Allowed values of a "choice" field.
 */

/**
 * @typedef {object} FilterOptions
 * @property {{value: string, label: string}[]} stages Sent by ID.
 * @property {{value: string, label: string}[]} subtypes
 * @property {{value: string, label: string}[]} tiers
 * @property {CustomFieldChoice[]} customFields Filterable custom fields.
 * @property {string[]} problems One sentence per list that could not be read.
 */

/**
 * @typedef {object} PresetList
 * @property {object[]} presets Saved presets, in the order saved.
 * @property {string|null} warning Note about a presets file that was set aside or is read-only.
 * @property {boolean} readOnly True when the presets file is from a newer version.
 * @property {string|null} defaultFolder Folder used when a preset names none.
 */

/**
 * Finds active users by part of their name or email. The first search of a session reads the whole list.
 * @param {string} query
 * @returns {Promise<UserChoice[]>}
 */
export function searchUsers(query) {
  return call('search_users', { query });
}

/**
 * Finds tags by part of their name.
 * @param {string} query
 * @returns {Promise<TagChoice[]>}
 */
export function searchTags(query) {
  return call('search_tags', { query });
}

/**
 * Reads the organization's stages, subtypes, tiers and filterable custom fields.
 * @returns {Promise<FilterOptions>}
 */
export function filterOptions() {
  return call('filter_options');
}

/**
 * Forgets the lists read so far, so the next look-up reads them again.
 * @returns {Promise<null>}
 */
export function reloadLookups() {
  return call('reload_lookups');
}

/**
 * Returns the inclusive UTC range of a period such as "this_quarter" today.
 * @param {string} range
 * @param {'local'|'utc'} timeZone
 * @returns {Promise<{after: string, before: string}>}
 */
export function resolveDateRange(range, timeZone) {
  return call('resolve_date_range', { range, timeZone });
}

/** @returns {Promise<PresetList>} */
export function listPresets() {
  return call('list_presets');
}

/**
 * Saves a preset. Without `replace`, a preset of the same name is an error with code "preset_exists".
 * @param {object} preset
 * @param {boolean} replace
 * @returns {Promise<PresetList>}
 */
export function savePreset(preset, replace) {
  return call('save_preset', { preset, replace });
}

/**
 * @param {string} oldName
 * @param {string} newName
 * @returns {Promise<PresetList>}
 */
export function renamePreset(oldName, newName) {
  return call('rename_preset', { oldName, newName });
}

/**
 * @param {string} name
 * @returns {Promise<PresetList>}
 */
export function deletePreset(name) {
  return call('delete_preset', { name });
}

/**
 * Asks where to save a preset file and writes it. Resolves with the path, or null when cancelled.
 * @param {string} name
 * @returns {Promise<string|null>}
 */
export function exportPresetFile(name) {
  return call('export_preset_file', { name });
}

/**
 * Asks for a preset file and saves its preset. Resolves with `{preset, list}`, or null when cancelled.
 * @returns {Promise<{preset: object, list: PresetList}|null>}
 */
export function importPresetFile() {
  return call('import_preset_file');
}

/**
 * Asks for a folder. Resolves with its path, or null when cancelled.
 * @returns {Promise<string|null>}
 */
export function chooseFolder() {
  return call('choose_folder');
}

/**
 * Returns the form as it was last used, or null.
 * @returns {Promise<object|null>}
 */
export function lastUsed() {
  return call('last_used');
}

/**
 * Remembers the form for the next start.
 * @param {object} settings
 * @returns {Promise<null>}
 */
export function saveLastUsed(settings) {
  return call('save_last_used', { settings });
}

/**
 * Exports what the settings describe to their folder under their file-name pattern, without a dialog.
 * An existing file is never replaced; the new name gets " (2)" and so on.
 * @param {object} settings A preset: filters, dates, all, folder, file name and format.
 * @param {{onEvent: (event: JobEvent) => void}} options
 * @returns {Promise<ExportResult>}
 */
export function exportToFolder(settings, { onEvent }) {
  return call('export_to_folder', { settings, onEvent });
}
