// The saved presets panel: choose a preset to fill in the form, save the form
// with a name, folder, file-name pattern and format, rename, delete, and move
// presets between computers as small files. With a preset chosen, the page
// exports straight to its folder.

import * as api from './api.js';

/** File-name pattern of a new preset, as the backend's default. */
const DEFAULT_FILE_NAME = 'accounts-{date}.xlsx';

/** Time a Delete button waits for the confirming second press, in milliseconds. */
const DELETE_CONFIRM_MS = 6000;

/**
 * Fills in a file-name pattern with the local date and time, as the backend does for an export now.
 * The backend's name is the one used; this only shows what to expect.
 * @param {string} pattern
 * @param {string} presetName
 * @param {'xlsx'|'csv'} format
 * @returns {string}
 */
function exampleName(pattern, presetName, format) {
  const now = new Date();
  const pad = (number) => String(number).padStart(2, '0');
  const date = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  const time = `${pad(now.getHours())}-${pad(now.getMinutes())}`;
  const name = pattern.replaceAll('{date}', date).replaceAll('{time}', time).replaceAll('{preset}', presetName);
  // The backend replaces a .xlsx or .csv ending with the format's extension.
  return `${name.replace(/\.(xlsx|csv)$/i, '')}.${format}`;
}

/**
 * The presets panel and its actions.
 */
export class PresetPanel {
  /**
   * @param {HTMLElement} root The `.presets` section.
   * @param {object} options
   * @param {import('./filters.js').FilterForm} options.filters
   * @param {HTMLSelectElement} options.format The toolbar's format choice, which presets share.
   * @param {() => string[]|null} options.currentColumns The app's column keys in order.
   * @param {(preset: object) => Promise<void>} options.applyAppSettings Makes a preset's time zone and columns the app's.
   * @param {(message: string) => void} options.onStatus Shows a sentence in the page's status line.
   * @param {(error: import('./api.js').CommandError) => void} options.onError Shows a failed action.
   * @param {() => void} options.onChange Called when the chosen preset or its settings change.
   */
  constructor(root, { filters, format, currentColumns, applyAppSettings, onStatus, onError, onChange }) {
    this.filters = filters;
    this.currentColumns = currentColumns;
    this.applyAppSettings = applyAppSettings;
    this.onStatus = onStatus;
    this.onError = onError;
    this.onChange = onChange;
    /** @type {object[]} */
    this.presets = [];
    this.readOnly = false;
    this.defaultFolder = null;
    this.deleteTimer = null;

    const find = (id) => root.querySelector(`#${id}`);
    this.select = find('preset-select');
    this.details = find('preset-details');
    this.name = find('preset-name');
    this.folder = find('preset-folder');
    this.folderHint = find('preset-folder-hint');
    this.fileName = find('preset-file-name');
    this.format = format;
    this.saveButton = find('preset-save');
    this.renameButton = find('preset-rename');
    this.deleteButton = find('preset-delete');
    this.exportButton = find('preset-export');
    this.importButton = find('preset-import');

    this.select.addEventListener('change', () => this.choose(this.select.value));
    find('preset-folder-choose').addEventListener('click', () => this.chooseFolder());
    this.saveButton.addEventListener('click', () => this.save());
    this.renameButton.addEventListener('click', () => this.rename());
    this.deleteButton.addEventListener('click', () => this.remove());
    this.exportButton.addEventListener('click', () => this.exportFile());
    this.importButton.addEventListener('click', () => this.importFile());
    for (const field of [this.folder, this.fileName, this.format]) {
      field.addEventListener('change', () => this.onChange());
    }
    this.renderButtons();
  }

  /**
   * Name of the chosen preset, or "" when none is chosen.
   * @returns {string}
   */
  get selected() {
    return this.select.value;
  }

  /**
   * Returns the form and the panel as preset settings, or null after showing what to fix.
   * @returns {object|null}
   */
  settings() {
    const settings = this.filters.toSettings();
    if (!settings) {
      return null;
    }
    const folder = this.folder.value.trim();
    return {
      ...settings,
      name: this.name.value.trim() || this.selected,
      folder: folder === '' ? null : folder,
      file_name: this.fileName.value.trim() || DEFAULT_FILE_NAME,
      format: this.format.value === 'csv' ? 'csv' : 'xlsx',
      columns: this.currentColumns(),
    };
  }

  /**
   * Describes where a one-click export goes, for the line above the results.
   * @returns {string}
   */
  destination() {
    const folder = this.folder.value.trim() || this.defaultFolder || 'your Downloads folder';
    const pattern = this.fileName.value.trim() || DEFAULT_FILE_NAME;
    const format = this.format.value === 'csv' ? 'csv' : 'xlsx';
    const action = format === 'csv' ? 'Export to CSV' : 'Export to Excel';
    return `${action} saves to ${folder} as ${exampleName(pattern, this.selected, format)} without asking.`;
  }

  /** Reads the saved presets and lists them, keeping the current choice when it still exists. */
  async refresh() {
    try {
      this.applyList(await api.listPresets());
    } catch (error) {
      this.onError(error);
    }
  }

  /**
   * Fills the form and the panel from last-used settings, choosing their preset if it still exists.
   * @param {object} settings
   */
  async restore(settings) {
    await this.applyAppSettings(settings);
    await this.filters.applySettings(settings);
    this.fillDetails(settings);
    const exists = this.presets.some((preset) => preset.name === settings.name);
    this.select.value = exists ? settings.name : '';
    this.renderButtons();
    this.onChange();
  }

  /**
   * @param {import('./api.js').PresetList} list
   */
  applyList(list) {
    const current = this.select.value;
    this.presets = list.presets;
    this.readOnly = list.readOnly;
    this.defaultFolder = list.defaultFolder;
    if (list.defaultFolder) {
      this.folder.placeholder = list.defaultFolder;
      this.folderHint.textContent = `Leave empty for ${list.defaultFolder}.`;
    }

    const none = this.select.options[0];
    this.select.replaceChildren(none, ...list.presets.map((preset) => {
      const option = document.createElement('option');
      option.value = preset.name;
      option.textContent = preset.name;
      return option;
    }));
    this.select.value = list.presets.some((preset) => preset.name === current) ? current : '';
    if (list.warning) {
      this.onStatus(list.warning);
    }
    this.renderButtons();
  }

  /** Loads the preset `name` into the form, or clears the choice for "No preset". */
  async choose(name) {
    this.cancelDelete();
    if (name === '') {
      this.fillDetails({ name: '', folder: null, file_name: DEFAULT_FILE_NAME, format: 'xlsx' });
      this.renderButtons();
      this.onChange();
      this.onStatus('No preset chosen. Export asks where to save.');
      return;
    }
    const preset = this.presets.find((candidate) => candidate.name === name);
    if (!preset) {
      return;
    }
    await this.applyAppSettings(preset);
    await this.filters.applySettings(preset);
    this.fillDetails(preset);
    this.renderButtons();
    this.onChange();
    this.onStatus(`Preset ${name} loaded. ${this.destination()}`);
  }

  fillDetails(preset) {
    this.name.value = preset.name ?? '';
    this.folder.value = preset.folder ?? '';
    this.fileName.value = preset.file_name || DEFAULT_FILE_NAME;
    const format = preset.format === 'csv' ? 'csv' : 'xlsx';
    if (this.format.value !== format) {
      this.format.value = format;
      // The export button's label follows the format through this event.
      this.format.dispatchEvent(new Event('change'));
    }
  }

  renderButtons() {
    const chosen = this.selected !== '';
    this.renameButton.disabled = !chosen || this.readOnly;
    this.deleteButton.disabled = !chosen || this.readOnly;
    this.exportButton.disabled = !chosen;
    this.saveButton.disabled = this.readOnly;
    this.importButton.disabled = this.readOnly;
  }

  /**
   * Saves the form under the name in the Name box. The chosen preset is replaced when the name is
   * its own; any other existing name is an error, so no preset is replaced by accident.
   */
  async save() {
    this.clearNameError();
    const settings = this.settings();
    if (!settings) {
      this.onStatus('The preset was not saved, because a filter needs fixing.');
      return;
    }
    if (settings.name === '') {
      this.showNameError('Enter a name for the preset, such as Enterprise accounts.');
      return;
    }
    const replace = this.selected !== '' && settings.name === this.selected;
    try {
      this.applyList(await api.savePreset(settings, replace));
      this.select.value = settings.name;
      this.renderButtons();
      this.onChange();
      this.onStatus(`Preset ${settings.name} saved. ${this.destination()}`);
    } catch (error) {
      this.reportError(error);
    }
  }

  async rename() {
    this.clearNameError();
    const oldName = this.selected;
    const newName = this.name.value.trim();
    if (newName === '' || newName === oldName) {
      this.showNameError('Type the new name in the Name box, then select Rename.');
      return;
    }
    try {
      this.applyList(await api.renamePreset(oldName, newName));
      this.select.value = newName;
      this.renderButtons();
      this.onStatus(`Preset ${oldName} renamed to ${newName}.`);
    } catch (error) {
      this.reportError(error);
    }
  }

  /** Deletes the chosen preset on a second press of Delete, so one stray press loses nothing. */
  async remove() {
    const name = this.selected;
    if (!this.deleteTimer) {
      this.deleteButton.textContent = `Press again to delete ${name}`;
      this.onStatus(`Press Delete again to delete preset ${name}.`);
      this.deleteTimer = setTimeout(() => this.cancelDelete(), DELETE_CONFIRM_MS);
      return;
    }
    this.cancelDelete();
    try {
      this.applyList(await api.deletePreset(name));
      await this.choose('');
      this.onStatus(`Preset ${name} deleted.`);
      this.select.focus();
    } catch (error) {
      this.reportError(error);
    }
  }

  cancelDelete() {
    clearTimeout(this.deleteTimer);
    this.deleteTimer = null;
    this.deleteButton.textContent = 'Delete';
  }

  async exportFile() {
    try {
      const path = await api.exportPresetFile(this.selected);
      if (path) {
        this.onStatus(`Preset ${this.selected} saved to ${path}. Import it on another computer with Import preset from file.`);
      }
    } catch (error) {
      this.reportError(error);
    }
  }

  async importFile() {
    try {
      const imported = await api.importPresetFile();
      if (!imported) {
        return;
      }
      this.applyList(imported.list);
      this.select.value = imported.preset.name;
      await this.choose(imported.preset.name);
      this.onStatus(`Preset ${imported.preset.name} imported and loaded.`);
    } catch (error) {
      this.reportError(error);
    }
  }

  async chooseFolder() {
    try {
      const folder = await api.chooseFolder();
      if (folder) {
        this.folder.value = folder;
        this.onChange();
      }
    } catch (error) {
      this.reportError(error);
    }
  }

  /** Shows an error next to the panel's field it is about, else in the page's alert area. */
  reportError(error) {
    const field = {
      invalid_preset_name: this.name,
      preset_exists: this.name,
      invalid_file_name: this.fileName,
      no_export_folder: this.folder,
    }[error.code];
    if (field) {
      this.details.open = true;
      this.showFieldError(field, error.message);
    } else {
      this.onError(error);
    }
  }

  showNameError(message) {
    this.details.open = true;
    this.showFieldError(this.name, message);
  }

  showFieldError(field, message) {
    field.setAttribute('aria-invalid', 'true');
    document.getElementById(`${field.id}-error`).textContent = message;
    this.onStatus(message);
    field.focus();
  }

  clearNameError() {
    for (const field of [this.name, this.folder, this.fileName]) {
      field.removeAttribute('aria-invalid');
      document.getElementById(`${field.id}-error`).textContent = '';
    }
  }
}
