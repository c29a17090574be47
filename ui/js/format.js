// Number, count and time formatting shared by the page's messages, so every
// sentence writes "12,500 accounts" and "1:05" the same way.

const numberFormat = new Intl.NumberFormat();
const rateFormat = new Intl.NumberFormat(undefined, { maximumSignificantDigits: 2 });

/**
 * Formats a whole number with the user's digit grouping, for example "12,500".
 * @param {number} value
 * @returns {string}
 */
export function formatNumber(value) {
  return numberFormat.format(value);
}

/**
 * Formats a count with the singular or plural noun, for example "1 page" or "25 pages".
 * @param {number} count
 * @param {string} singular
 * @param {string} plural
 * @returns {string}
 */
export function formatCount(count, singular, plural) {
  return `${formatNumber(count)} ${count === 1 ? singular : plural}`;
}

/**
 * Formats a number of accounts, for example "1 account" or "12,500 accounts".
 * @param {number} count
 * @returns {string}
 */
export function pluralAccounts(count) {
  return formatCount(count, 'account', 'accounts');
}

/**
 * Formats a rate rounded to two significant digits, for example 4,137 as "4,100",
 * so the number does not flicker in its last digits while it updates.
 * @param {number} perSecond
 * @returns {string}
 */
export function formatRate(perSecond) {
  return rateFormat.format(perSecond);
}

/**
 * Formats a duration as a clock, "m:ss" or "h:mm:ss", rounding down to whole seconds.
 * @param {number} milliseconds
 * @returns {string}
 */
export function formatElapsed(milliseconds) {
  const totalSeconds = Math.max(0, Math.floor(milliseconds / 1000));
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = String(totalSeconds % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/**
 * Formats a duration in words for screen readers, for example "1 minute 5 seconds".
 * @param {number} milliseconds
 * @returns {string}
 */
export function formatElapsedWords(milliseconds) {
  const totalSeconds = Math.max(0, Math.floor(milliseconds / 1000));
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = formatCount(totalSeconds % 60, 'second', 'seconds');
  return minutes > 0 ? `${formatCount(minutes, 'minute', 'minutes')} ${seconds}` : seconds;
}

/**
 * Joins items as a list in English, for example "A", "A and B" or "A, B and C".
 * @param {string[]} items
 * @returns {string}
 */
export function joinList(items) {
  if (items.length <= 1) {
    return items.join('');
  }
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
