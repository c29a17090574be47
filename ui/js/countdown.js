// Countdown text for the API client's waits: a rate limit, a retry after a
// failure, or slowing down near the rate limit. The backend sends each wait
// as a RetryNotice. Progress code passes it to WaitCountdown.show, which
// counts the seconds down in one element until the next request starts.

/** Interval of the countdown's clock. */
const TICK_MS = 250;

/**
 * Describes a wait with the seconds left, for example "DevRev asked us to wait 30 s."
 * @param {import('./api.js').RetryNotice} notice
 * @param {number} remainingMs Time left of the wait.
 * @returns {string}
 */
export function describeWait(notice, remainingMs) {
  // Rounded up, so the text never shows 0 s while the app still waits.
  const seconds = Math.max(0, Math.ceil(remainingMs / 1000));
  switch (notice.reason) {
    case 'rate_limited':
      return `DevRev asked us to wait ${seconds} s.`;
    case 'rate_limited_no_wait':
      return `${notice.cause} Trying again in ${seconds} s.`;
    case 'pacing':
      return `${notice.cause} Next request in ${seconds} s.`;
    default:
      return `${notice.cause} Trying again in ${seconds} s (attempt ${notice.nextAttempt} of ${notice.maxAttempts}).`;
  }
}

/**
 * One line of text that counts a wait down, then empties itself.
 */
export class WaitCountdown {
  /**
   * @param {HTMLElement} element Where the text goes. It should not be a live region
   *   itself, because it changes four times a second; announce `notice.message` once instead.
   */
  constructor(element) {
    this.element = element;
    this.timer = 0;
    this.endsAt = 0;
    /** @type {import('./api.js').RetryNotice|null} */
    this.notice = null;
  }

  /**
   * Starts counting down a new wait, replacing any wait still shown.
   * @param {import('./api.js').RetryNotice} notice
   */
  show(notice) {
    this.stop();
    this.notice = notice;
    this.endsAt = performance.now() + notice.waitMs;
    this.render();
    this.timer = setInterval(() => this.render(), TICK_MS);
  }

  /** Stops the countdown and empties the element. Safe to call when nothing is shown. */
  stop() {
    clearInterval(this.timer);
    this.timer = 0;
    this.notice = null;
    this.element.textContent = '';
  }

  /** Checks whether a wait is being counted down. */
  isActive() {
    return this.notice !== null;
  }

  render() {
    if (!this.notice) {
      return;
    }
    const remaining = this.endsAt - performance.now();
    if (remaining <= 0) {
      this.stop();
      return;
    }
    this.element.textContent = describeWait(this.notice, remaining);
  }
}
