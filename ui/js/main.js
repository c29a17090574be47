// Page wiring: loads the app status, connects the filter form, the results
// grid and the settings dialog, and runs the preview and export flows.

import * as api from './api.js';
import { FilterForm } from './filters.js';
import { ResultsGrid } from './grid.js';
import { SettingsPanel } from './settings.js';

const byId = (id) => document.getElementById(id);

const page = {
  connectionStatus: byId('connection-status'),
  settingsButton: byId('settings-button'),
  sampleBanner: byId('sample-banner'),
  sampleStop: byId('sample-data-stop'),
  previewButton: byId('preview-button'),
  exportButton: byId('export-button'),
  resetButton: byId('filter-reset'),
  resultsPane: document.querySelector('.results-pane'),
  resultsCount: byId('results-count'),
  resultsNote: byId('results-note'),
  resultsScroll: byId('results-scroll'),
  statusMessage: byId('status-message'),
  errorMessage: byId('error-message'),
  errorOpenSettings: byId('error-open-settings'),
  welcome: byId('welcome'),
  welcomeAddToken: byId('welcome-add-token'),
  welcomeSampleData: byId('welcome-sample-data'),
  resultsEmpty: byId('results-empty'),
};

const filters = new FilterForm(byId('filter-form'));
const grid = new ResultsGrid(byId('results-table'), {
  onSort: (header, direction) => showStatus(`Sorted by ${header}, ${direction}. The export keeps the order set under "Sort by".`),
});
const settings = new SettingsPanel(byId('settings-panel'), {
  onStatus: applyStatus,
  fallbackFocus: page.settingsButton,
});

/** @type {import('./api.js').AppStatus|null} */
let appStatus = null;
let busy = false;
/** Whether a preview result, possibly with no rows, is on screen. */
let resultsShown = false;

/**
 * Error codes (from the backend's `AppError`) whose fix is in the settings
 * dialog: the token, the server address or the keyring. These errors get an
 * "Open settings" button.
 */
const SETTINGS_ERROR_CODES = new Set([
  'no_token',
  'invalid_token',
  'unauthorized',
  'forbidden',
  'invalid_base_url',
  'unexpected_status',
  'invalid_response',
  'connection_failed',
  'keyring_unavailable',
  'keyring_locked',
  'keyring_damaged',
  'keyring_failed',
]);

function pluralAccounts(count) {
  return count === 1 ? '1 account' : `${count.toLocaleString()} accounts`;
}

function showStatus(message) {
  page.statusMessage.textContent = message;
}

/**
 * Shows an error in the alert area. `details` are extra lines, such as filter
 * problems that match no field in the form.
 */
function showError(error, details = []) {
  const message = document.createElement('p');
  message.textContent = error.message;
  page.errorMessage.replaceChildren(message);

  if (details.length > 0) {
    const list = document.createElement('ul');
    for (const detail of details) {
      const item = document.createElement('li');
      item.textContent = detail;
      list.append(item);
    }
    page.errorMessage.append(list);
  }
  page.errorOpenSettings.hidden = !SETTINGS_ERROR_CODES.has(error.code ?? '');
}

function clearError() {
  page.errorMessage.replaceChildren();
  page.errorOpenSettings.hidden = true;
}

/** Returns a name like "accounts-2024-05-31.xlsx", using the local date. */
function suggestedFileName() {
  const now = new Date();
  const month = String(now.getMonth() + 1).padStart(2, '0');
  const day = String(now.getDate()).padStart(2, '0');
  return `accounts-${now.getFullYear()}-${month}-${day}.xlsx`;
}

/** Shows the header pill, banner and empty states for an app status. */
function applyStatus(status, note) {
  const modeChanged = appStatus !== null && appStatus.sampleMode !== status.sampleMode;
  appStatus = status;

  let host = status.baseUrl;
  try {
    host = new URL(status.baseUrl).host;
  } catch {
    // Keep the full address when it does not parse, because the backend has already accepted it.
  }
  if (status.sampleMode) {
    setPill('sample', 'Sample data');
  } else if (status.tokenSource === 'keyring') {
    setPill('ok', `Token saved · ${host}`);
  } else if (status.tokenSource === 'session') {
    setPill('ok', `Token for this session · ${host}`);
  } else {
    setPill('warn', 'No token');
  }
  page.sampleBanner.hidden = !status.sampleMode;

  // Rows from sample data must not stay on screen next to real ones, or the other way round.
  if (modeChanged) {
    clearResults();
  }
  renderEmptyState();
  if (note) {
    showStatus(note);
  }
}

function setPill(state, text) {
  page.connectionStatus.dataset.state = state;
  page.connectionStatus.textContent = text;
}

function renderEmptyState() {
  const needsSetup = appStatus !== null && !appStatus.sampleMode && appStatus.tokenSource === null;
  page.welcome.hidden = resultsShown || !needsSetup;
  page.resultsEmpty.hidden = resultsShown || needsSetup;
}

function clearResults() {
  grid.clear();
  resultsShown = false;
  page.resultsScroll.hidden = true;
  page.resultsCount.textContent = '';
  page.resultsNote.hidden = true;
  page.resultsNote.textContent = '';
  renderEmptyState();
}

/**
 * Disables the toolbar while one request runs and shows progress on the button that started it.
 * @param {HTMLButtonElement|null} button The button that started the request, or null when it is done.
 * @param {string} [label] Text for that button while the request runs.
 */
function setBusy(button, label) {
  busy = button !== null;
  page.resultsPane.setAttribute('aria-busy', String(busy));
  for (const candidate of [page.previewButton, page.exportButton, page.resetButton]) {
    candidate.disabled = busy;
    if (candidate.dataset.label) {
      candidate.textContent = candidate.dataset.label;
      delete candidate.dataset.label;
    }
  }
  if (button && label) {
    button.dataset.label = button.textContent;
    button.textContent = label;
  }
}

/**
 * Checks the form and returns the request body, or null after showing what to fix.
 * @returns {object|null}
 */
function readRequest() {
  const { request, errors } = filters.build();
  filters.showErrors(errors);
  if (errors.length > 0) {
    const count = errors.length === 1 ? 'One filter needs' : `${errors.length} filters need`;
    showStatus(`${count} fixing before anything is sent. See the messages next to the fields.`);
  }
  return request;
}

/** Shows a failed preview or export, placing filter errors next to their fields. */
function reportFailure(error) {
  if (error.code === 'invalid_filters' && error.fields?.length > 0) {
    const unplaced = filters.showServerErrors(error.fields);
    showError(error, unplaced.map((item) => `${item.field}: ${item.message}`));
  } else {
    showError(error);
  }
}

async function runPreview() {
  if (busy) {
    return;
  }
  clearError();
  const request = readRequest();
  if (!request) {
    return;
  }

  setBusy(page.previewButton, 'Loading…');
  showStatus('Loading accounts…');
  try {
    const result = await api.preview(request);
    grid.setData(result.columns, result.rows);
    resultsShown = true;
    page.resultsScroll.hidden = result.rows.length === 0;
    page.resultsCount.textContent = pluralAccounts(result.count);

    let note = '';
    if (result.count === 0) {
      note = 'No accounts match these filters. Try removing a filter or widening a date range.';
    } else if (result.mayBeTruncated) {
      note =
        `Showing the first ${pluralAccounts(result.limit)}; there may be more. ` +
        'Raise "Number of accounts" (up to 500) to get more.';
    }
    page.resultsNote.textContent = note;
    page.resultsNote.hidden = note === '';
    renderEmptyState();
    showStatus(`Preview ready: ${pluralAccounts(result.count)}.`);
  } catch (error) {
    showStatus('');
    reportFailure(error);
  } finally {
    setBusy(null);
  }
}

async function runExport() {
  if (busy) {
    return;
  }
  clearError();
  const request = readRequest();
  if (!request) {
    return;
  }

  setBusy(page.exportButton, 'Exporting…');
  try {
    showStatus('Choose where to save the Excel file…');
    const path = await api.chooseExportPath(suggestedFileName());
    if (path === null || path === undefined) {
      showStatus('Export cancelled. Nothing was saved.');
      return;
    }

    showStatus('Exporting accounts to Excel…');
    const result = await api.exportXlsx(request, path);
    let message = `Saved ${pluralAccounts(result.rows)} to ${result.path}`;
    if (result.mayBeTruncated) {
      message += '. There may be more. Raise "Number of accounts" (up to 500) to get more.';
    }
    showStatus(message);
  } catch (error) {
    showStatus('');
    reportFailure(error);
  } finally {
    setBusy(null);
  }
}

async function leaveSampleData() {
  page.sampleStop.disabled = true;
  clearError();
  try {
    const status = await api.stopSampleData();
    settings.render(status);
    applyStatus(status, 'Sample data is off. The app reads from DevRev again.');
    page.settingsButton.focus();
  } catch (error) {
    showError(error);
  } finally {
    page.sampleStop.disabled = false;
  }
}

async function startSampleData() {
  page.welcomeSampleData.disabled = true;
  clearError();
  try {
    const status = await api.startSampleData();
    settings.render(status);
    applyStatus(status, 'Sample data is on. Select Preview to see made-up accounts.');
    page.previewButton.focus();
  } catch (error) {
    showError(error);
  } finally {
    page.welcomeSampleData.disabled = false;
  }
}

function wireEvents() {
  byId('filter-form').addEventListener('submit', (event) => {
    event.preventDefault();
    runPreview();
  });
  page.exportButton.addEventListener('click', runExport);
  page.resetButton.addEventListener('click', () => {
    filters.reset();
    showStatus('All filters cleared.');
  });

  page.settingsButton.addEventListener('click', () => settings.open());
  page.errorOpenSettings.addEventListener('click', () => settings.open());
  page.welcomeAddToken.addEventListener('click', () => settings.open(byId('token-input')));
  page.welcomeSampleData.addEventListener('click', startSampleData);
  page.sampleStop.addEventListener('click', leaveSampleData);
}

async function start() {
  wireEvents();
  clearResults();
  try {
    const status = await api.appStatus();
    settings.render(status);
    applyStatus(status);
  } catch (error) {
    setPill('warn', 'Status unknown');
    showError(error);
  }
}

start();
