// Page wiring: loads the app status, connects the filter form, the results
// grid, the column chooser, the presets panel and the settings dialog, and
// runs the preview and export flows with their progress line.

import * as api from './api.js';
import { ColumnChooser } from './columns.js';
import { describeFileContents, previewFacts } from './counts.js';
import { FilterForm } from './filters.js';
import { formatNumber, pluralAccounts } from './format.js';
import { ResultsGrid } from './grid.js';
import { PresetPanel } from './presets.js';
import { JobProgress } from './progress.js';
import { SettingsPanel } from './settings.js';
import { describeExport, describePreview } from './summary.js';

const byId = (id) => document.getElementById(id);

const page = {
  connectionStatus: byId('connection-status'),
  settingsButton: byId('settings-button'),
  sampleBanner: byId('sample-banner'),
  sampleStop: byId('sample-data-stop'),
  previewButton: byId('preview-button'),
  exportButton: byId('export-button'),
  resetButton: byId('filter-reset'),
  resultsCount: byId('results-count'),
  resultsNote: byId('results-note'),
  resultsNoteText: byId('results-note-text'),
  fetchAllButton: byId('fetch-all-button'),
  resultsScroll: byId('results-scroll'),
  statusMessage: byId('status-message'),
  exportSummary: byId('export-summary'),
  errorMessage: byId('error-message'),
  errorOpenSettings: byId('error-open-settings'),
  welcome: byId('welcome'),
  welcomeAddToken: byId('welcome-add-token'),
  welcomeSampleData: byId('welcome-sample-data'),
  resultsEmpty: byId('results-empty'),
  exportFormat: byId('export-format'),
  columnsButton: byId('columns-button'),
  exportActions: byId('export-actions'),
  openExport: byId('open-export'),
  showExport: byId('show-export'),
  fileContents: byId('file-contents'),
  pausedExport: byId('paused-export'),
  pausedMessage: byId('paused-message'),
  resumeExport: byId('resume-export'),
  discardExport: byId('discard-export'),
  pausedOpenSettings: byId('paused-open-settings'),
};

/** Export button label for each format. */
const EXPORT_LABELS = { xlsx: 'Export to Excel', csv: 'Export to CSV' };

const filters = new FilterForm(byId('filter-form'));
filters.onOptionsProblem = (message) => showStatus(message);
const grid = new ResultsGrid(byId('results-table'), {
  onSortStart: (header) => showStatus(`Sorting by ${header}…`),
  onSort: (header, direction) => showStatus(`Sorted by ${header}, ${direction}. The export keeps the order set under "Sort by".`),
});
const progress = new JobProgress(byId('progress'), {
  onCancel: cancelJob,
  waitText: byId('wait-text'),
  waitSpoken: byId('wait-spoken'),
});
const settings = new SettingsPanel(byId('settings-panel'), {
  onStatus: applyStatus,
  fallbackFocus: page.settingsButton,
});
const columnChooser = new ColumnChooser(byId('columns-panel'), {
  onStatus: (status, note) => {
    settings.render(status);
    applyStatus(status, note);
  },
  returnFocus: page.columnsButton,
});

const presets = new PresetPanel(document.querySelector('.presets'), {
  filters,
  format: page.exportFormat,
  currentColumns: () => appStatus?.columns?.keys ?? null,
  applyAppSettings: applyPresetSettings,
  onStatus: showStatus,
  onError: (error) => showError(error),
  onChange: () => {
    updateFileContents();
    rememberForm();
  },
});

/** @type {import('./api.js').AppStatus|null} */
let appStatus = null;
/** @type {import('./counts.js').PreviewFacts|null} The latest finished preview. */
let lastPreview = null;
/** Timer of the pending update of the file-contents line. */
let fileContentsTimer = null;
let busy = false;
/** The toolbar button that started the job in progress, to give focus back to when it ends. */
let jobButton = null;
/** Whether a preview result, possibly with no rows, is on screen. */
let resultsShown = false;
/** Number of the latest preview. Messages of older previews are ignored. */
let previewRun = 0;
/**
 * The request of the export that stopped with `export_paused` and can resume, or null.
 * @type {{request: object|null, all: boolean}|null}
 */
let pausedRun = null;

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
  'invalid_proxy',
  'certificate_problem',
  'proxy_failed',
  'wrong_server',
  'no_network',
  'unexpected_status',
  'invalid_response',
  'connection_failed',
  'keyring_unavailable',
  'keyring_locked',
  'keyring_damaged',
  'keyring_failed',
]);

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

/**
 * Returns a name like "accounts-2024-05-31.xlsx", using the local date.
 * @param {'xlsx'|'csv'} format
 */
function suggestedFileName(format) {
  const now = new Date();
  const month = String(now.getMonth() + 1).padStart(2, '0');
  const day = String(now.getDate()).padStart(2, '0');
  return `accounts-${now.getFullYear()}-${month}-${day}.${format}`;
}

/** Whether a preview or export is reading the time zone before it starts. */
let starting = false;

/**
 * Gives the grid and the date filters the time zone of the run about to start.
 * Resolves with false when another run is already starting, so a double click starts one run.
 */
async function refreshTimeZone() {
  if (starting) {
    return false;
  }
  starting = true;
  try {
    applyTimeZone(await api.timeZone());
  } catch (error) {
    // The zone from the last status stays in use; the run itself reports real failures.
    console.warn('Reading the time zone failed:', error);
  } finally {
    starting = false;
  }
  return !busy;
}

/** @param {import('./api.js').TimeZoneInfo|undefined} zone */
function applyTimeZone(zone) {
  if (zone) {
    grid.setTimeZone(zone);
    filters.setTimeZone(zone);
  }
}

/**
 * Makes a preset's time zone and columns the app's, so the grid, the form and the file agree.
 * @param {object} preset A preset or the last-used settings.
 */
async function applyPresetSettings(preset) {
  try {
    let status = null;
    const policy = preset.time_zone === 'utc' ? 'utc' : 'local';
    if (appStatus && policy !== appStatus.timeZone?.policy) {
      status = await api.setTimeZone(policy);
    }
    const keys = Array.isArray(preset.columns) ? preset.columns : [];
    if (appStatus && keys.length > 0 && JSON.stringify(keys) !== JSON.stringify(appStatus.columns?.keys)) {
      status = await api.setColumns(keys, []);
    }
    if (status) {
      settings.render(status);
      applyStatus(status);
    }
  } catch (error) {
    showError(error);
  }
}

/** Shows the header pill, banner and empty states for an app status. */
function applyStatus(status, note) {
  const modeChanged = appStatus !== null && appStatus.sampleMode !== status.sampleMode;
  appStatus = status;

  let host = status.activeBaseUrl ?? status.baseUrl;
  try {
    host = new URL(host).host;
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
  applyTimeZone(status.timeZone);

  // Rows from sample data must not stay on screen next to real ones, or the other way round.
  if (modeChanged) {
    if (busy) {
      previewRun += 1;
      api.cancelJob().catch(showError);
    }
    // A stopped export cannot resume against another server.
    if (pausedRun) {
      hidePaused();
      api.discardExport().catch(showError);
    }
    clearResults();
  }
  renderEmptyState();
  if (note) {
    showStatus(note);
  }
  // Lists read for another server or token must not be offered now.
  filters.forgetOptions();
}

/** Says above the results what an export of the current form will contain, and where a preset saves it. */
function updateFileContents() {
  const { request } = filters.build();
  const text = describeFileContents({
    key: request ? JSON.stringify(request) : null,
    all: filters.fetchAll,
    first: Number(filters.first.value),
    preview: lastPreview,
  });
  page.fileContents.textContent = presets.selected ? `${text} ${presets.destination()}` : text;
}

/** Updates the file-contents line once typing pauses, so a screen reader is not interrupted at every key. */
function scheduleFileContents() {
  clearTimeout(fileContentsTimer);
  fileContentsTimer = setTimeout(updateFileContents, 600);
}

/** Remembers the form and the chosen preset for the next start. A failure only costs that convenience. */
function rememberForm() {
  const { request } = filters.build();
  if (!request) {
    return;
  }
  const settings = presets.settings();
  if (settings) {
    api.saveLastUsed({ ...settings, name: presets.selected }).catch((error) => {
      console.warn('The form could not be remembered for the next start:', error);
    });
  }
}

/** Takes what an export read as the latest count, because it fetched the same accounts a preview would. */
function recordExport(request, all, result) {
  if (request) {
    lastPreview = previewFacts(JSON.stringify(request), all, { ...result, count: result.rows });
    updateFileContents();
  }
}

/** Shows Open file and Show in folder after a saved export, or hides them with `saved` false. */
function showExportDone(saved) {
  page.exportActions.hidden = !saved;
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
  showNote('', false);
  renderEmptyState();
}

/** Shows the note above the results, or hides it when `text` is empty. */
function showNote(text, offerFetchAll) {
  page.resultsNoteText.textContent = text;
  page.fetchAllButton.hidden = !offerFetchAll;
  page.resultsNote.hidden = text === '';
}

/** Shows the extra sentences of an export summary, or hides the list when there are none. */
function showExportDetails(details) {
  page.exportSummary.replaceChildren(...details.map((detail) => {
    const item = document.createElement('li');
    item.textContent = detail;
    return item;
  }));
  page.exportSummary.hidden = details.length === 0;
}

/**
 * Disables the toolbar while one job runs and shows progress on the button that started it.
 * When the job ends, focus goes back to that button if it was left on nothing or on Cancel.
 * @param {HTMLButtonElement|null} button The button that started the job, or null when it is done.
 * @param {string} [label] Text for that button while the job runs.
 */
function setBusy(button, label) {
  const returnFocus = button === null && jobButton !== null && (progress.hasFocus() || document.activeElement === document.body);
  busy = button !== null;
  // Only the table is marked busy, so the progress line and the status line keep speaking while a job runs.
  page.resultsScroll.setAttribute('aria-busy', String(busy));
  for (const candidate of [page.previewButton, page.exportButton, page.resetButton, page.resumeExport, page.discardExport]) {
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

  if (button === null) {
    progress.stop();
    if (returnFocus) {
      jobButton.focus();
    }
  }
  jobButton = button;
}

async function cancelJob() {
  try {
    await api.cancelJob();
    // A cancel also discards a stopped export in the backend.
    hidePaused();
  } catch (error) {
    progress.cancelFailed();
    showError(error);
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

/**
 * Shows a failed preview or export, placing filter errors next to their fields.
 * An export that stopped with its rows kept gets Resume and Discard instead of a plain error.
 * @param {Error & {code?: string, fields?: object[]}} error
 * @param {{request: object|null, all: boolean}} [run] The export that failed, to remember for Resume.
 */
function reportFailure(error, run) {
  if (error.code === 'export_paused' && run) {
    showPaused(error, run);
    return;
  }
  if (error.code === 'invalid_filters' && error.fields?.length > 0) {
    const unplaced = filters.showServerErrors(error.fields);
    showError(error, unplaced.map((item) => `${item.field}: ${item.message}`));
  } else {
    showError(error);
  }
}

/**
 * Offers Resume and Discard for an export that stopped with its rows kept.
 * @param {Error} error Says why it stopped and how many accounts are kept.
 * @param {{request: object|null, all: boolean}} run
 */
function showPaused(error, run) {
  pausedRun = run;
  page.pausedMessage.textContent = error.message;
  // A rejected token or a wrong address is fixed in Settings before resuming.
  page.pausedOpenSettings.hidden = !SETTINGS_ERROR_CODES.has(error.cause ?? '');
  page.pausedExport.hidden = false;
  // The button is still disabled while the failed job winds down, so focus moves once that is done.
  queueMicrotask(() => page.resumeExport.focus());
}

/** Removes the Resume offer, after a resume, a discard or a new export, which discards the old one. */
function hidePaused() {
  pausedRun = null;
  page.pausedMessage.textContent = '';
  page.pausedOpenSettings.hidden = true;
  page.pausedExport.hidden = true;
}

/**
 * Handles one message of a running export: progress and the waits of the API client.
 * The grid keeps showing the preview, so rows are not expected here.
 * @param {import('./api.js').JobEvent} message
 */
function handleExportEvent(message) {
  switch (message?.event) {
    case 'progress':
      progress.update(message);
      break;
    case 'wait':
      progress.wait(message);
      break;
    default:
      break;
  }
}

/** Shows the status, details and file buttons of a saved export, or says that a cancelled one saved nothing. */
function finishExport(request, all, result) {
  if (result.cancelled) {
    showStatus('Export cancelled. Nothing was saved.');
    return;
  }
  recordExport(request, all, result);

  const summary = describeExport(result);
  showStatus(summary.status);
  showExportDetails(summary.details);
  showExportDone(true);
  rememberForm();
}

/** Continues the export that stopped, from the last page that arrived, into the same file. */
async function resumeExport() {
  if (busy || !pausedRun) {
    return;
  }
  const run = pausedRun;
  clearError();
  hidePaused();
  showExportDetails([]);
  showExportDone(false);
  setBusy(page.exportButton, 'Exporting…');
  try {
    progress.start();
    showStatus('Resuming the export from where it stopped…');
    const result = await api.resumeExport({ onEvent: handleExportEvent });
    finishExport(run.request, run.all, result);
  } catch (error) {
    showStatus('');
    reportFailure(error, run);
  } finally {
    setBusy(null);
  }
}

/** Deletes the rows of the export that stopped. */
async function discardExport() {
  if (busy) {
    return;
  }
  clearError();
  try {
    await api.discardExport();
    hidePaused();
    showStatus('The stopped export was discarded. Nothing was saved.');
    page.exportButton.focus();
  } catch (error) {
    showError(error);
  }
}

/** Shows the grid as soon as a preview has columns or rows to show. */
function showGrid() {
  if (page.resultsScroll.hidden) {
    resultsShown = true;
    page.resultsScroll.hidden = false;
    renderEmptyState();
  }
}

/**
 * Handles one message of a running preview. Rows go to the grid in batches,
 * which renders them on the next animation frame.
 * @param {import('./api.js').JobEvent} message
 * @param {{done: boolean}} run Whether the preview's command has already returned.
 */
function handlePreviewEvent(message, run) {
  switch (message?.event) {
    case 'columns':
      grid.setColumns(message.columns);
      showGrid();
      break;
    case 'rows':
      grid.appendRows(message.rows);
      showGrid();
      // Once the command has returned, the count shows its final total and late rows only fill the grid.
      if (!run.done) {
        page.resultsCount.textContent = `Accounts so far: ${formatNumber(grid.rowCount)}`;
      }
      break;
    case 'progress':
      progress.update(message);
      break;
    case 'wait':
      progress.wait(message);
      break;
    default:
      // A message this page does not know, from a newer backend, changes nothing.
      break;
  }
}

async function runPreview() {
  if (busy) {
    return;
  }
  const startedAt = performance.now();
  clearError();
  if (!(await refreshTimeZone())) {
    return;
  }
  const request = readRequest();
  if (!request) {
    return;
  }
  const all = filters.fetchAll;
  const key = JSON.stringify(request);

  clearResults();
  showExportDetails([]);
  // The time to the first rows on screen, kept on the table for the GUI test to read.
  delete grid.table.dataset.firstRowsMs;
  grid.onFirstRows = () => {
    grid.table.dataset.firstRowsMs = String(Math.round(performance.now() - startedAt));
  };
  showExportDone(false);
  previewRun += 1;
  const runNumber = previewRun;
  const run = { done: false };
  setBusy(page.previewButton, 'Loading…');
  progress.start();
  showStatus(all ? 'Fetching every matching account…' : 'Loading accounts…');

  const onEvent = (message) => {
    if (runNumber === previewRun) {
      handlePreviewEvent(message, run);
    }
  };
  try {
    const result = await api.preview(request, { all, onEvent });
    run.done = true;
    if (runNumber !== previewRun) {
      return;
    }

    const summary = describePreview(result);
    lastPreview = previewFacts(key, all, result);
    updateFileContents();
    rememberForm();
    resultsShown = true;
    page.resultsCount.textContent = pluralAccounts(result.count);
    page.resultsScroll.hidden = result.count === 0 && grid.rowCount === 0;
    showNote(summary.note, summary.offerFetchAll);
    renderEmptyState();
    showStatus(summary.status);
  } catch (error) {
    run.done = true;
    if (runNumber !== previewRun) {
      return;
    }
    showStatus('');
    reportFailure(error);
    if (grid.rowCount > 0) {
      page.resultsCount.textContent = pluralAccounts(grid.rowCount);
      showNote(`The preview stopped early because of the error above. The table shows the ${pluralAccounts(grid.rowCount)} fetched before it.`, false);
    } else {
      clearResults();
    }
  } finally {
    setBusy(null);
  }
}

/** Switches to "All matching accounts" and runs the preview again. */
function fetchAllMatching() {
  filters.setFetchAll(true);
  runPreview();
}

/** Exports to the chosen preset's folder under its file-name pattern, without a dialog. */
async function runFolderExport() {
  const settings = presets.settings();
  if (!settings) {
    showStatus('Fix the filters marked in the form, then export again.');
    return;
  }

  // The backend discards a stopped export when a new one starts.
  hidePaused();
  showExportDetails([]);
  showExportDone(false);
  setBusy(page.exportButton, 'Exporting…');
  const request = filters.build().request;
  try {
    progress.start();
    showStatus(`Exporting to ${settings.folder ?? 'your Downloads folder'}…`);
    const result = await api.exportToFolder(settings, { onEvent: handleExportEvent });
    finishExport(request, settings.all, result);
  } catch (error) {
    showStatus('');
    reportFailure(error, { request, all: settings.all });
  } finally {
    setBusy(null);
  }
}

async function runExport() {
  if (busy) {
    return;
  }
  clearError();
  if (!(await refreshTimeZone())) {
    return;
  }
  if (presets.selected !== '') {
    await runFolderExport();
    return;
  }
  const request = readRequest();
  if (!request) {
    return;
  }

  const all = filters.fetchAll;
  const format = page.exportFormat.value === 'csv' ? 'csv' : 'xlsx';
  const formatName = format === 'csv' ? 'CSV' : 'Excel';

  showExportDetails([]);
  showExportDone(false);
  setBusy(page.exportButton, 'Exporting…');
  try {
    showStatus(`Choose where to save the ${formatName} file…`);
    const path = await api.chooseExportPath(suggestedFileName(format), format);
    if (path === null || path === undefined) {
      showStatus('Export cancelled. Nothing was saved.');
      return;
    }

    // The backend discards a stopped export when a new one starts.
    hidePaused();
    progress.start();
    showStatus(all ? `Exporting every matching account to ${formatName}…` : `Exporting accounts to ${formatName}…`);
    const run = format === 'csv' ? api.exportCsv : api.exportXlsx;
    const result = await run(request, path, { all, onEvent: handleExportEvent });
    finishExport(request, all, result);
  } catch (error) {
    showStatus('');
    reportFailure(error, { request, all });
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
  page.exportFormat.addEventListener('change', () => {
    const label = EXPORT_LABELS[page.exportFormat.value] ?? EXPORT_LABELS.xlsx;
    // While an export runs the button shows "Exporting…" and takes its label back from the data attribute.
    if (page.exportButton.dataset.label) {
      page.exportButton.dataset.label = label;
    } else {
      page.exportButton.textContent = label;
    }
  });
  page.columnsButton.addEventListener('click', () => {
    if (appStatus) {
      columnChooser.open(appStatus, grid.columns);
    }
  });
  page.openExport.addEventListener('click', () => {
    clearError();
    api.openExport().catch(showError);
  });
  page.showExport.addEventListener('click', () => {
    clearError();
    api.showExportInFolder().catch(showError);
  });
  page.fetchAllButton.addEventListener('click', fetchAllMatching);
  page.resumeExport.addEventListener('click', resumeExport);
  page.discardExport.addEventListener('click', discardExport);
  byId('lookups-reload').addEventListener('click', async () => {
    try {
      await api.reloadLookups();
      filters.forgetOptions();
      showStatus('The lists of users, tags, stages, subtypes, tiers and custom fields will be read again when next used.');
    } catch (error) {
      showError(error);
    }
  });
  page.resetButton.addEventListener('click', () => {
    filters.reset();
    updateFileContents();
    showStatus('All filters cleared.');
  });

  page.settingsButton.addEventListener('click', () => settings.open());
  page.errorOpenSettings.addEventListener('click', () => settings.open());
  page.pausedOpenSettings.addEventListener('click', () => settings.open());
  page.welcomeAddToken.addEventListener('click', () => settings.open(byId('token-input')));
  page.welcomeSampleData.addEventListener('click', startSampleData);
  page.sampleStop.addEventListener('click', leaveSampleData);

  const form = byId('filter-form');
  form.addEventListener('input', scheduleFileContents);
  form.addEventListener('change', scheduleFileContents);
  form.addEventListener('click', scheduleFileContents);
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

  await presets.refresh();
  try {
    const last = await api.lastUsed();
    if (last) {
      await presets.restore(last);
    }
  } catch (error) {
    showError(error);
  }
  updateFileContents();
}

start();
