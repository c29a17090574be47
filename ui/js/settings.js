// The settings dialog: API token and Test connection, DevRev server address,
// proxy, time zone and sample data.
// It reports every new app status to its owner through `onStatus`, so the
// header and banners outside the dialog stay in step.

import * as api from './api.js';

/**
 * Describes where the token is kept, in one sentence for the token status line.
 * @param {import('./api.js').AppStatus} status
 * @returns {string}
 */
export function describeToken(status) {
  if (status.tokenSource === 'keyring') {
    return 'A token is saved in your system keyring.';
  }
  if (status.tokenSource === 'session') {
    return 'A token is saved for this session only. You will need to paste it again after you close the app.';
  }
  return 'No token is saved yet.';
}

/**
 * Formats the browser's current UTC offset as headers show it, for example "UTC+01:00".
 * @returns {string}
 */
function localOffsetLabel() {
  const minutes = -new Date().getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const hours = String(Math.floor(Math.abs(minutes) / 60)).padStart(2, '0');
  const rest = String(Math.abs(minutes) % 60).padStart(2, '0');
  return `UTC${sign}${hours}:${rest}`;
}

/**
 * Describes which proxy requests go through, for the hint under the proxy field.
 * @param {import('./api.js').AppStatus} status
 * @returns {string}
 */
export function describeProxy(status) {
  const inUse = status.proxyInUse;
  if (status.sampleMode) {
    return 'Sample data is on, so requests stay on this computer and use no proxy.';
  }
  if (inUse && inUse.source === 'settings') {
    return `Requests to ${status.baseUrl} go through ${inUse.address}. Empty the field to use your computer's proxy settings.`;
  }
  if (inUse) {
    return `Requests to ${status.baseUrl} go through ${inUse.address}, from your computer's proxy settings. Enter an address to use another proxy.`;
  }
  return "Requests go directly to the server. Enter an address only if your IT department gave you a proxy.";
}

/**
 * The settings dialog and its actions.
 */
export class SettingsPanel {
  /**
   * @param {HTMLDialogElement} dialog The `#settings-panel` element.
   * @param {object} options
   * @param {(status: import('./api.js').AppStatus, note?: string) => void} options.onStatus
   *   Called with the new status after each successful action. `note` is a sentence for the page's status line.
   * @param {HTMLElement} options.fallbackFocus Element to focus on close when the one that opened the dialog
   *   is gone or hidden, such as the welcome panel's button after a token is saved.
   */
  constructor(dialog, { onStatus, fallbackFocus }) {
    this.dialog = dialog;
    this.onStatus = onStatus;
    this.fallbackFocus = fallbackFocus;
    /** @type {import('./api.js').AppStatus|null} */
    this.status = null;
    /** @type {HTMLElement|null} Element to focus when the dialog closes. */
    this.returnFocus = null;

    const find = (id) => dialog.querySelector(`#${id}`);
    this.error = find('settings-error');
    this.tokenStatus = find('token-status');
    this.keyringProblem = find('keyring-problem');
    this.tokenInput = find('token-input');
    this.tokenShow = find('token-show');
    this.tokenSave = find('token-save');
    this.tokenSessionOnly = find('token-session-only');
    this.tokenRemove = find('token-remove');
    this.connectionTest = find('connection-test');
    this.connectionResult = find('connection-result');
    this.connectionError = find('connection-error');
    this.baseUrlInput = find('base-url-input');
    this.baseUrlHint = find('base-url-hint');
    this.baseUrlStatus = find('base-url-status');
    this.baseUrlSave = find('base-url-save');
    this.baseUrlReset = find('base-url-reset');
    this.proxyInput = find('proxy-input');
    this.proxyHint = find('proxy-hint');
    this.proxyStatus = find('proxy-status');
    this.proxySave = find('proxy-save');
    this.sampleStart = find('sample-data-start');
    this.sampleStop = find('settings-sample-data-stop');
    this.version = find('app-version');
    this.timeZoneRadios = [...dialog.querySelectorAll('input[name="time-zone"]')];
    this.timeZoneLocalOffset = find('time-zone-local-offset');
    this.timeZoneStatus = find('time-zone-status');
    this.buttons = [...dialog.querySelectorAll('.settings-section button')];

    find('settings-close').addEventListener('click', () => this.close());
    dialog.addEventListener('close', () => {
      const target = this.returnFocus?.isConnected && this.returnFocus.getClientRects().length > 0
        ? this.returnFocus
        : this.fallbackFocus;
      target.focus();
    });

    this.tokenShow.addEventListener('change', () => {
      this.tokenInput.type = this.tokenShow.checked ? 'text' : 'password';
    });
    this.tokenInput.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        // Without a keyring, Enter can only mean "this session only".
        this.saveToken(this.status?.keyringAvailable === false);
      }
    });
    this.baseUrlInput.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        this.saveBaseUrl(this.baseUrlInput.value.trim());
      }
    });
    this.proxyInput.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        this.saveProxy(this.proxyInput.value.trim());
      }
    });
    for (const input of [this.tokenInput, this.baseUrlInput, this.proxyInput]) {
      input.addEventListener('input', () => this.clearFieldError(input));
    }

    this.tokenSave.addEventListener('click', () => this.saveToken(false));
    this.tokenSessionOnly.addEventListener('click', () => this.saveToken(true));
    this.tokenRemove.addEventListener('click', () => this.removeToken());
    this.connectionTest.addEventListener('click', () => this.testConnection());
    this.proxySave.addEventListener('click', () => this.saveProxy(this.proxyInput.value.trim()));
    this.baseUrlSave.addEventListener('click', () => this.saveBaseUrl(this.baseUrlInput.value.trim()));
    this.baseUrlReset.addEventListener('click', () => {
      if (this.status) {
        this.saveBaseUrl(this.status.defaultBaseUrl);
      }
    });
    for (const radio of this.timeZoneRadios) {
      radio.addEventListener('change', () => {
        if (radio.checked) {
          this.saveTimeZone(radio.value);
        }
      });
    }
    this.sampleStart.addEventListener('click', () => this.setSampleMode(true));
    this.sampleStop.addEventListener('click', () => this.setSampleMode(false));
  }

  /**
   * Opens the dialog as a modal and focuses `focusTarget`, or the dialog's first control.
   * @param {HTMLElement} [focusTarget]
   */
  open(focusTarget) {
    this.returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    this.showError('');
    this.baseUrlStatus.textContent = '';
    this.proxyStatus.textContent = '';
    if (this.status) {
      this.baseUrlInput.value = this.status.baseUrl;
      this.proxyInput.value = this.status.proxy ?? '';
    }
    if (!this.dialog.open) {
      this.dialog.showModal();
    }
    (focusTarget ?? this.tokenInput).focus();
  }

  /** Closes the dialog. The `close` listener then returns focus to the element that opened it. */
  close() {
    if (this.dialog.open) {
      this.dialog.close();
    }
  }

  /**
   * Shows an app status in the dialog.
   * @param {import('./api.js').AppStatus} status
   */
  render(status) {
    const baseUrlChanged = !this.status || this.status.baseUrl !== status.baseUrl;
    const proxyChanged = !this.status || this.status.proxy !== status.proxy;
    this.status = status;

    this.tokenStatus.textContent = status.sampleMode
      ? `${describeToken(status)} Sample data is on, so the token is not used right now.`
      : describeToken(status);

    const problem = [];
    if (!status.keyringAvailable) {
      problem.push(
        'This computer has no keyring service, so the token cannot be saved.',
        'Select "Use for this session only" to use it until you close the app.',
      );
    } else if (status.keyringProblem) {
      // The backend's message already names the failure and the next step.
      problem.push(status.keyringProblem);
    }
    this.keyringProblem.textContent = problem.join(' ');
    this.keyringProblem.hidden = problem.length === 0;

    if (baseUrlChanged) {
      this.baseUrlInput.value = status.baseUrl;
    }
    this.baseUrlHint.textContent =
      `The address of the DevRev API. Keep the default, ${status.defaultBaseUrl}, ` +
      'unless your DevRev administrator gave you another one.';

    if (proxyChanged) {
      this.proxyInput.value = status.proxy ?? '';
    }
    this.proxyHint.textContent = describeProxy(status);
    this.applyButtonState();

    this.sampleStart.hidden = status.sampleMode;
    this.sampleStop.hidden = !status.sampleMode;

    this.version.textContent = status.version ? `Version ${status.version}` : '';

    const policy = status.timeZone?.policy ?? 'local';
    for (const radio of this.timeZoneRadios) {
      radio.checked = radio.value === policy;
    }
    this.timeZoneLocalOffset.textContent = `(now ${localOffsetLabel()})`;
  }

  async saveTimeZone(policy) {
    this.timeZoneStatus.textContent = '';
    const status = await this.run(() => api.setTimeZone(policy));
    if (status) {
      const note = policy === 'utc'
        ? 'Dates now show in UTC. Preview again to update the results.'
        : `Dates now show in local time, ${status.timeZone.label}. Preview again to update the results.`;
      this.timeZoneStatus.textContent = note;
      this.update(status, note);
    } else if (this.status) {
      // Put the radio back on the saved policy.
      this.render(this.status);
    }
  }

  async saveToken(sessionOnly) {
    const token = this.tokenInput.value.trim();
    if (token === '') {
      this.showFieldError(this.tokenInput, 'Paste your token here first.');
      this.tokenInput.focus();
      return;
    }

    const status = await this.run(() => api.saveToken(token, sessionOnly));
    if (status) {
      this.tokenInput.value = '';
      this.tokenShow.checked = false;
      this.tokenInput.type = 'password';
      this.update(status, describeToken(status));
      // In sample mode the new token is not in use, so testing would only test the sample server.
      if (!status.sampleMode) {
        await this.testConnection();
      }
    }
  }

  /** Asks the server who the token belongs to and shows the user or the failure. */
  async testConnection() {
    this.connectionResult.textContent = 'Testing the connection…';
    this.connectionError.textContent = '';
    const report = await this.run(() => api.testConnection(), (error) => {
      this.connectionResult.textContent = '';
      this.connectionError.textContent = error.message;
      return true;
    });
    if (report) {
      this.connectionResult.textContent = report.message;
    }
  }

  async saveProxy(proxy) {
    this.clearFieldError(this.proxyInput);
    const status = await this.run(() => api.setProxy(proxy), (error) => {
      if (error.code !== 'invalid_proxy') {
        return false;
      }
      this.showFieldError(this.proxyInput, error.message);
      this.proxyInput.focus();
      return true;
    });
    if (status) {
      this.proxyInput.value = status.proxy ?? '';
      const note = status.proxy
        ? `Proxy saved: ${status.proxy}`
        : "Proxy removed. The app uses your computer's proxy settings.";
      this.proxyStatus.textContent = note;
      this.update(status, note);
    }
  }

  async removeToken() {
    const status = await this.run(() => api.removeToken());
    if (status) {
      this.update(status, 'The token was removed. Add a new one to read accounts from DevRev again.');
    }
  }

  async saveBaseUrl(baseUrl) {
    if (baseUrl === '') {
      const example = this.status ? `, for example ${this.status.defaultBaseUrl}` : '';
      this.showFieldError(this.baseUrlInput, `Enter the server address${example}.`);
      this.baseUrlInput.focus();
      return;
    }

    this.clearFieldError(this.baseUrlInput);
    const status = await this.run(() => api.setBaseUrl(baseUrl), (error) => {
      if (error.code !== 'invalid_base_url') {
        return false;
      }
      this.showFieldError(this.baseUrlInput, error.message);
      this.baseUrlInput.focus();
      return true;
    });
    if (status) {
      this.baseUrlInput.value = status.baseUrl;
      const note = `Server address saved: ${status.baseUrl}`;
      this.baseUrlStatus.textContent = note;
      this.update(status, note);
    }
  }

  async setSampleMode(on) {
    const status = await this.run(() => (on ? api.startSampleData() : api.stopSampleData()));
    if (!status) {
      return;
    }
    if (on) {
      // The sample accounts show in the main window, so close the dialog.
      this.close();
      this.update(status, 'Sample data is on. Select Preview to see made-up accounts.');
    } else {
      this.update(status, 'Sample data is off. The app reads from DevRev again.');
      this.sampleStart.focus();
    }
  }

  update(status, note) {
    // A connection test result describes the old token, server or proxy.
    this.connectionResult.textContent = '';
    this.connectionError.textContent = '';
    this.render(status);
    this.onStatus(status, note);
  }

  /**
   * Runs one backend action with the dialog's buttons disabled.
   * Resolves with the action's value, or null after showing its error.
   * `handleError` may show an error itself and return true.
   */
  async run(action, handleError = () => false) {
    this.showError('');
    this.setBusy(true);
    try {
      return await action();
    } catch (error) {
      if (!handleError(error)) {
        this.showError(error.message);
      }
      return null;
    } finally {
      this.setBusy(false);
    }
  }

  setBusy(busy) {
    this.dialog.setAttribute('aria-busy', String(busy));
    for (const button of this.buttons) {
      button.disabled = busy;
    }
    if (!busy) {
      this.applyButtonState();
    }
  }

  /** Disables the buttons that cannot work in the current status. */
  applyButtonState() {
    if (!this.status) {
      return;
    }
    this.tokenSave.disabled = !this.status.keyringAvailable;
    this.tokenRemove.disabled = this.status.tokenSource === null;
    this.connectionTest.disabled = this.status.tokenSource === null && !this.status.sampleMode;
    this.baseUrlReset.disabled = this.status.baseUrl === this.status.defaultBaseUrl;
  }

  showError(message) {
    this.error.textContent = message;
  }

  showFieldError(input, message) {
    input.setAttribute('aria-invalid', 'true');
    this.dialog.querySelector(`#${input.id}-error`).textContent = message;
  }

  clearFieldError(input) {
    input.removeAttribute('aria-invalid');
    this.dialog.querySelector(`#${input.id}-error`).textContent = '';
  }
}
