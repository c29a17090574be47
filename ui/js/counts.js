// The sentence above the results that states what an export will contain,
// before anything is exported: how many accounts, and whether more may match.
// It is exact only after a preview or export of the same filters. Otherwise it
// gives what is known and suggests a preview.

import { formatNumber, pluralAccounts } from './format.js';

/**
 * @typedef {object} PreviewFacts
 * @property {string} key The request of the preview, as JSON, to tell whether the form changed since.
 * @property {boolean} all Whether the preview read every matching account.
 * @property {number} count Accounts the preview received.
 * @property {boolean} mayBeTruncated Whether a limited preview filled its limit, so more may match.
 * @property {boolean} cancelled
 */

/**
 * Describes what an export of the current form will contain.
 * @param {object} form
 * @param {string|null} form.key The current request as JSON, or null when the form has errors.
 * @param {boolean} form.all Whether "All matching accounts" is selected.
 * @param {number|null} form.first The number of accounts asked for, when not all.
 * @param {PreviewFacts|null} preview The latest finished preview, if any.
 * @returns {string}
 */
export function describeFileContents({ key, all, first, preview }) {
  if (key === null) {
    return 'Fix the filters marked in the form before exporting.';
  }
  const current = preview !== null && !preview.cancelled && preview.key === key;
  const limit = formatNumber(first ?? 0);

  if (!current) {
    return all
      ? 'The file will contain every matching account. Select Preview to see how many match.'
      : `The file will contain up to the first ${limit} matching accounts. Select Preview to see how many match.`;
  }

  const count = formatNumber(preview.count);
  if (all) {
    return preview.count === 0
      ? 'No accounts matched at the preview, so the file would contain only the header row.'
      : `The file will contain every matching account: ${pluralAccounts(preview.count)} at the preview.`;
  }
  if (preview.mayBeTruncated) {
    return `The file will contain the first ${count} of at least ${count} matching accounts: choose All matching accounts to get every one.`;
  }
  return preview.count === 0
    ? 'No accounts match, so the file would contain only the header row.'
    : `The file will contain all ${pluralAccounts(preview.count)} that match.`;
}

/**
 * Returns the facts of a finished preview that `describeFileContents` needs.
 * @param {string} key
 * @param {boolean} all
 * @param {import('./api.js').PreviewResult} result
 * @returns {PreviewFacts}
 */
export function previewFacts(key, all, result) {
  return {
    key,
    all,
    count: result.count,
    mayBeTruncated: result.mayBeTruncated,
    cancelled: result.cancelled,
  };
}
