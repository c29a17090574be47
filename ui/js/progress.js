// The progress line of a running preview or export, with its Cancel button.
// The line counts up every TICK_MS from a local clock, so the time moves even
// between two progress messages. Screen readers hear a separate copy of the
// line that changes at most every ANNOUNCE_INTERVAL_MS, because a polite live
// region that changes four times a second would talk without pause.
//
// Below the line, a countdown shows each wait of the API client (a rate
// limit, a retry's backoff, pacing). It is read out once per wait, and
// hides when the next page arrives, the wait runs out or the job ends.

import { WaitCountdown } from './countdown.js';
import { formatCount, formatElapsed, formatElapsedWords, formatRate, pluralAccounts } from './format.js';

/** Jobs that finish sooner than this never show the progress line, so quick previews do not flicker. */
const SHOW_DELAY_MS = 300;

/** Interval of the visible clock. */
const TICK_MS = 250;

/** Shortest time between two screen reader announcements of the progress. */
const ANNOUNCE_INTERVAL_MS = 5000;

/** Pacing waits shorter than this are not shown, as on the command line, because they pass before anyone could read them. */
const SHORT_PACING_MS = 1000;

/**
 * @typedef {object} ProgressCounters
 * @property {number} accounts Accounts received so far, duplicates excluded.
 * @property {number} pages Pages read so far.
 * @property {number} [accountsPerSecond]
 */

/**
 * The progress line and Cancel button of the job in progress.
 */
export class JobProgress {
  /**
   * @param {HTMLElement} container The `#progress` element, holding `#progress-visible`,
   *   `#progress-spoken` (both inside `#progress-text`) and `#cancel-button`.
   * @param {object} options
   * @param {() => void} options.onCancel Called once when the user asks to cancel,
   *   with the Cancel button or the Escape key.
   * @param {HTMLElement} options.waitText Where the countdown of a wait shows; hidden from screen readers.
   * @param {HTMLElement} options.waitSpoken A polite live region that reads each wait out once.
   */
  constructor(container, { onCancel, waitText, waitSpoken }) {
    this.container = container;
    this.visibleText = container.querySelector('#progress-visible');
    this.spokenText = container.querySelector('#progress-spoken');
    this.cancelButton = container.querySelector('#cancel-button');
    this.onCancel = onCancel;
    this.waitText = waitText;
    this.waitSpoken = waitSpoken;
    this.countdown = new WaitCountdown(waitText);
    /** Pages read when the wait shown began; a later page ends the wait. */
    this.pagesAtWait = 0;

    this.running = false;
    this.cancelling = false;
    this.startedAt = 0;
    this.lastAnnouncedAt = 0;
    /** @type {ProgressCounters|null} */
    this.counters = null;
    this.showTimer = 0;
    this.tickTimer = 0;

    this.cancelButton.addEventListener('click', () => this.requestCancel());
    document.addEventListener('keydown', (event) => this.handleKeydown(event));
  }

  /** Starts the clock. The line shows after a short delay unless `stop` comes first. */
  start() {
    this.stop();
    this.running = true;
    this.cancelling = false;
    this.counters = null;
    this.startedAt = performance.now();
    this.cancelButton.textContent = 'Cancel';
    this.cancelButton.removeAttribute('aria-disabled');
    this.showTimer = setTimeout(() => this.show(), SHOW_DELAY_MS);
    this.tickTimer = setInterval(() => this.render(), TICK_MS);
  }

  /**
   * Shows the counters of a progress message.
   * @param {ProgressCounters} counters
   */
  update(counters) {
    if (this.running) {
      this.counters = counters;
      // Progress also arrives during a wait, with the same counts, so only a new page ends the countdown.
      if (this.countdown.isActive() && counters.pages !== this.pagesAtWait) {
        this.hideWait();
      }
      this.render();
    }
  }

  /**
   * Counts down a wait of the API client and reads its message out once.
   * @param {import('./api.js').RetryNotice} notice
   */
  wait(notice) {
    if (!this.running || this.cancelling) {
      return;
    }
    if (notice.reason === 'pacing' && notice.waitMs < SHORT_PACING_MS) {
      return;
    }
    this.pagesAtWait = this.counters?.pages ?? 0;
    this.countdown.show(notice);
    this.waitText.hidden = false;
    this.waitSpoken.textContent = notice.message;
  }

  /** Hides the countdown. The spoken copy is emptied too, so the next wait with the same words is read out again. */
  hideWait() {
    this.countdown.stop();
    this.waitText.hidden = true;
    this.waitSpoken.textContent = '';
  }

  /** Stops the clock and hides the line and any countdown. Safe to call when nothing runs. */
  stop() {
    clearTimeout(this.showTimer);
    clearInterval(this.tickTimer);
    this.running = false;
    this.container.hidden = true;
    this.hideWait();
  }

  /** Lets the user try Cancel again after `onCancel` failed. */
  cancelFailed() {
    this.cancelling = false;
    this.cancelButton.textContent = 'Cancel';
    this.cancelButton.removeAttribute('aria-disabled');
  }

  /**
   * Checks whether the Cancel button has focus, so the caller can move focus elsewhere when the line hides.
   * @returns {boolean}
   */
  hasFocus() {
    return this.container.contains(document.activeElement);
  }

  show() {
    // The status line has just announced the start, so the first progress announcement waits a full interval.
    this.container.hidden = false;
    this.lastAnnouncedAt = performance.now();
    this.spokenText.textContent = '';
    this.render();

    // The button that started the job is disabled now. Give its focus to Cancel
    // instead of leaving keyboard users on nothing.
    const active = document.activeElement;
    const lost = !active || active === document.body || active.disabled || active.closest('[hidden]') !== null;
    if (lost) {
      this.cancelButton.focus();
    }
  }

  requestCancel() {
    if (!this.running || this.cancelling) {
      return;
    }
    // aria-disabled rather than disabled, so the button keeps keyboard focus.
    this.cancelling = true;
    this.cancelButton.textContent = 'Cancelling…';
    this.cancelButton.setAttribute('aria-disabled', 'true');
    this.hideWait();
    this.visibleText.textContent = 'Cancelling…';
    this.spokenText.textContent = 'Cancelling.';
    this.onCancel();
  }

  /** Escape cancels the job, unless focus is in a text field or a dialog, where Escape has its own meaning. */
  handleKeydown(event) {
    if (event.key !== 'Escape' || event.defaultPrevented || !this.running || this.container.hidden) {
      return;
    }
    const target = event.target instanceof Element ? event.target : null;
    if (target?.closest('input, select, textarea, dialog')) {
      return;
    }
    event.preventDefault();
    this.requestCancel();
  }

  render() {
    if (!this.running || this.cancelling) {
      return;
    }
    // The countdown empties itself when its time is up; the empty line goes with it.
    if (!this.countdown.isActive() && !this.waitText.hidden) {
      this.hideWait();
    }
    const elapsed = performance.now() - this.startedAt;
    const counters = this.counters;

    let visible;
    let spoken;
    if (!counters || counters.pages === 0) {
      visible = `Waiting for the first page · ${formatElapsed(elapsed)}`;
      spoken = `Still waiting for the first page after ${formatElapsedWords(elapsed)}.`;
    } else {
      const accounts = `Fetched ${pluralAccounts(counters.accounts)}`;
      const pages = formatCount(counters.pages, 'page', 'pages');
      const perSecond = counters.accountsPerSecond ?? (counters.accounts * 1000) / Math.max(elapsed, 1);
      const rate = counters.accounts > 0 ? ` · ${formatRate(perSecond)} per second` : '';
      visible = `${accounts} · ${pages}${rate} · ${formatElapsed(elapsed)}`;
      spoken = `${accounts} from ${pages} in ${formatElapsedWords(elapsed)}.`;
    }
    this.visibleText.textContent = visible;

    const now = performance.now();
    if (!this.container.hidden && now - this.lastAnnouncedAt >= ANNOUNCE_INTERVAL_MS) {
      this.lastAnnouncedAt = now;
      this.spokenText.textContent = spoken;
    }
  }
}
