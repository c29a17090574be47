// Plain-language sentences about a finished preview or export: the status
// line, the note above the results, and the details under an export.
// Building them here keeps main.js about wiring.

import { formatCount, formatElapsed, formatNumber, joinList, pluralAccounts } from './format.js';

/** Truncated cells named in an export summary. The rest are only counted. */
const TRUNCATED_CELLS_SHOWN = 5;

/** Rows of an Excel worksheet, the header row included. */
const EXCEL_MAX_ROWS = 1_048_576;

/** Characters an Excel cell can hold. */
const EXCEL_MAX_CELL_CHARACTERS = 32_767;

/** Durations shorter than this are left out of the status line. */
const ELAPSED_SHOWN_FROM_MS = 2000;

/**
 * @typedef {object} PreviewSummary
 * @property {string} status Sentence for the status line.
 * @property {string} note Sentence for the note above the results, or "" for none.
 * @property {boolean} offerFetchAll Whether to offer fetching every matching account.
 */

/**
 * Describes a finished preview.
 * @param {import('./api.js').PreviewResult} result
 * @returns {PreviewSummary}
 */
export function describePreview(result) {
  const count = result.count;
  const notes = [];
  let offerFetchAll = false;

  if (result.cancelled) {
    notes.push(count === 0
      ? 'You cancelled the preview before any accounts arrived.'
      : `You cancelled the preview, so this shows only the ${pluralAccounts(count)} fetched before that.`);
  } else if (count === 0) {
    notes.push('No accounts match these filters. Try removing a filter or widening a date range.');
  } else if (result.mayBeTruncated && result.limit !== null) {
    notes.push(`Showing the first ${pluralAccounts(result.limit)}. The list may be cut off there, because more accounts may match.`);
    offerFetchAll = true;
  } else if (result.mayBeTruncated) {
    notes.push('More accounts may match than shown, because reading stopped before DevRev reported the last page.');
  }
  if (result.duplicatesDropped > 0) {
    notes.push(duplicatesSentence(result.duplicatesDropped, 'shown'));
  }

  const took = result.elapsedMs >= ELAPSED_SHOWN_FROM_MS ? ` in ${formatElapsed(result.elapsedMs)}` : '';
  const status = result.cancelled
    ? `Preview cancelled after ${pluralAccounts(count)}.`
    : `Preview ready: ${pluralAccounts(count)}${took}.`;
  return { status, note: notes.join(' '), offerFetchAll };
}

/**
 * @typedef {object} ExportSummary
 * @property {string} status Sentence for the status line. It starts with "Saved".
 * @property {string[]} details Further sentences, one per fact worth knowing, or none.
 */

/**
 * Describes a finished export that was not cancelled.
 * @param {import('./api.js').ExportResult} result
 * @returns {ExportSummary}
 */
export function describeExport(result) {
  const columns = formatCount(result.columns, 'column', 'columns');
  const status = `Saved ${pluralAccounts(result.rows)} with ${columns} to ${result.path}`;
  const details = [];

  const sheets = result.sheets ?? [];
  if (sheets.length > 1) {
    const more = sheets.slice(1);
    const noun = more.length === 1 ? 'sheet' : 'sheets';
    details.push(
      `The export continued on ${noun} ${joinList(more)} because a sheet has at most ` +
      `${formatNumber(EXCEL_MAX_ROWS)} rows.`,
    );
  }

  if (result.truncatedCells > 0) {
    details.push(truncatedCellsSentence(result.truncatedCells, result.truncatedCellList ?? []));
  }

  if (result.duplicatesDropped > 0) {
    details.push(duplicatesSentence(result.duplicatesDropped, 'saved'));
  }

  if (result.mayBeTruncated) {
    details.push(
      `More accounts may match than the ${pluralAccounts(result.rows)} saved. ` +
      'To save all of them, choose "All matching accounts" under "Sort and size" and export again.',
    );
  }
  return { status, details };
}

/** Builds the sentence about cells cut at Excel's limit, naming the first few. */
function truncatedCellsSentence(count, listed) {
  const subject = count === 1 ? '1 cell was' : `${formatNumber(count)} cells were`;
  const shown = listed.slice(0, TRUNCATED_CELLS_SHOWN).map((item) => `${item.sheet}!${item.cell} (${item.header})`);
  const rest = count - shown.length;
  const names = rest > 0 ? [...shown, `${formatNumber(rest)} more`] : shown;
  const where = names.length > 0 ? `: ${joinList(names)}` : '';
  return (
    `${subject} longer than the ${formatNumber(EXCEL_MAX_CELL_CHARACTERS)} characters an Excel cell can hold, ` +
    `so the text was cut short${where}.`
  );
}

/** Builds the sentence about accounts that came twice while paging. `verb` is "shown" or "saved". */
function duplicatesSentence(count, verb) {
  const subject = count === 1 ? '1 account' : `${formatNumber(count)} accounts`;
  const were = count === 1 ? 'was' : 'were';
  return `${subject} came more than once while paging through DevRev and ${were} ${verb} once.`;
}
