// The only module that calls the Tauri backend. Each function wraps one
// command, passes its arguments with the camelCase keys the command expects,
// and turns every rejection into a CommandError with a code and a message.

/**
 * A failed backend command, carrying the error object the command rejected with.
 */
export class CommandError extends Error {
  /**
   * @param {string} code Stable error code, for example "invalid_filters".
   * @param {string} message Plain-language message to show to the user.
   * @param {{field: string, message: string}[]} fields Per-field problems, empty unless the code is "invalid_filters".
   */
  constructor(code, message, fields) {
    super(message);
    this.name = 'CommandError';
    this.code = code;
    this.fields = fields;
  }
}

/**
 * Converts whatever a command rejected with into a CommandError.
 * Tauri passes the serialized Rust error through, which should be
 * `{code, message, fields?}`, but a panic or a missing command rejects with a bare string.
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
    return new CommandError(code, reason.message, fields);
  }
  const text = typeof reason === 'string' && reason !== '' ? reason : 'Something went wrong in the app.';
  return new CommandError('unknown', `${text} Try again, and restart the app if it keeps happening.`, []);
}

/**
 * Calls one backend command and rejects with a CommandError when it fails.
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

  try {
    return await tauri.core.invoke(command, args);
  } catch (reason) {
    throw toCommandError(reason);
  }
}

/**
 * @typedef {object} AppStatus
 * @property {'keyring'|'session'|null} tokenSource Where the saved token lives, or null when there is none.
 * @property {boolean} keyringAvailable Whether the system keyring can store a token.
 * @property {string|null} keyringProblem Why the keyring cannot be used, when it cannot.
 * @property {string} baseUrl DevRev server address in use.
 * @property {string} defaultBaseUrl DevRev server address used after a reset.
 * @property {boolean} sampleMode Whether requests go to the built-in sample server.
 * @property {string} version App version.
 */

/**
 * @typedef {object} Column
 * @property {string} key
 * @property {string} header
 * @property {'text'|'number'|'bool'|'datetime'} kind
 */

/**
 * @typedef {object} PreviewResult
 * @property {Column[]} columns
 * @property {(string|number|boolean|null)[][]} rows One array of cells per account, in column order.
 * @property {number} count Number of accounts returned.
 * @property {number} limit The `first` value the request used.
 * @property {boolean} mayBeTruncated True when the API returned exactly `limit` accounts.
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
 * Fetches the accounts that match an accounts.export request body.
 * @param {object} request
 * @returns {Promise<PreviewResult>}
 */
export function preview(request) {
  return call('preview', { request });
}

/**
 * Opens the save dialog and resolves with the chosen path, or null when the user cancelled.
 * @param {string} suggestedName
 * @returns {Promise<string|null>}
 */
export function chooseExportPath(suggestedName) {
  return call('choose_export_path', { suggestedName });
}

/**
 * Fetches the matching accounts and writes them to an Excel file at `path`.
 * @param {object} request
 * @param {string} path
 * @returns {Promise<{path: string, rows: number, columns: number, truncatedCells: number, mayBeTruncated: boolean}>}
 */
export function exportXlsx(request, path) {
  return call('export_xlsx', { request, path });
}
