// The column chooser: which columns the results and the exports show, and in
// what order. It lists the standard columns, the custom fields seen in the
// results so far, and "Other custom fields", which stands for custom fields
// that show up later and always stays last. Saving sends the choice to the
// backend, which keeps it in the settings.

import * as api from './api.js';

/** Key that stands for every custom field not named in the choice. */
export const OTHER_CUSTOM_FIELDS_KEY = 'custom_fields.*';

const CUSTOM_FIELD_PREFIX = 'custom_fields.';

/**
 * @typedef {object} ChooserItem
 * @property {string} key
 * @property {string} header
 * @property {boolean} visible
 */

/**
 * The column chooser dialog.
 */
export class ColumnChooser {
  /**
   * @param {HTMLDialogElement} dialog The `#columns-panel` element.
   * @param {object} options
   * @param {(status: import('./api.js').AppStatus, note: string) => void} options.onStatus
   *   Called with the new status after the choice was saved.
   * @param {HTMLElement} options.returnFocus Element to focus when the dialog closes.
   */
  constructor(dialog, { onStatus, returnFocus }) {
    this.dialog = dialog;
    this.onStatus = onStatus;
    const find = (id) => dialog.querySelector(`#${id}`);
    this.list = find('columns-list');
    this.error = find('columns-error');
    this.moved = find('columns-moved');
    this.saveButton = find('columns-save');
    this.resetButton = find('columns-reset');

    /** @type {import('./api.js').CatalogueColumn[]|null} */
    this.catalogue = null;
    /** @type {ChooserItem[]} Movable columns in order. */
    this.items = [];
    /** Whether custom fields not in `items` get columns. */
    this.otherCustomFields = true;
    /** @type {import('./api.js').Column[]} Columns of the latest results, for custom field headers. */
    this.seenColumns = [];

    find('columns-close').addEventListener('click', () => this.close());
    dialog.addEventListener('close', () => returnFocus.focus());
    this.saveButton.addEventListener('click', () => this.save());
    this.resetButton.addEventListener('click', () => this.reset());
  }

  /**
   * Opens the dialog with the saved choice.
   * @param {import('./api.js').AppStatus} status
   * @param {import('./api.js').Column[]} seenColumns Columns of the results on screen, possibly none.
   */
  async open(status, seenColumns) {
    this.showError('');
    this.moved.textContent = '';
    try {
      this.catalogue ??= await api.columnCatalogue();
    } catch (error) {
      this.showError(error.message);
      this.catalogue = null;
    }
    this.seenColumns = seenColumns;
    this.load(status.columns);
    if (!this.dialog.open) {
      this.dialog.showModal();
    }
    this.list.querySelector('input')?.focus();
  }

  close() {
    if (this.dialog.open) {
      this.dialog.close();
    }
  }

  /**
   * Builds the list from a saved choice: chosen columns in order, then the
   * standard columns left out, then custom fields seen in the results, then
   * hidden custom fields.
   * @param {{keys: string[], hidden?: string[]}} choice
   */
  load(choice) {
    const headers = new Map((this.catalogue ?? []).map((column) => [column.key, column.header]));
    const seenCustom = this.seenColumns.filter((column) => column.key.startsWith(CUSTOM_FIELD_PREFIX));
    for (const column of seenCustom) {
      headers.set(column.key, column.header);
    }
    const headerOf = (key) => headers.get(key) ?? key.slice(CUSTOM_FIELD_PREFIX.length);

    const listed = new Set();
    const items = [];
    const add = (key, visible) => {
      if (!listed.has(key) && key !== OTHER_CUSTOM_FIELDS_KEY) {
        listed.add(key);
        items.push({ key, header: headerOf(key), visible });
      }
    };
    for (const key of choice.keys) {
      add(key, true);
    }
    for (const column of this.catalogue ?? []) {
      add(column.key, false);
    }
    const hidden = new Set(choice.hidden ?? []);
    for (const column of seenCustom) {
      add(column.key, !hidden.has(column.key));
    }
    for (const key of hidden) {
      add(key, false);
    }

    this.items = items;
    this.otherCustomFields = choice.keys.includes(OTHER_CUSTOM_FIELDS_KEY);
    this.render();
  }

  /** Puts back the default: every standard column in catalogue order, then every custom field. */
  reset() {
    const keys = (this.catalogue ?? []).map((column) => column.key);
    this.load({ keys: [...keys, OTHER_CUSTOM_FIELDS_KEY], hidden: [] });
    this.moved.textContent = 'Default columns restored. Select Save columns to keep them.';
    this.list.querySelector('input')?.focus();
  }

  render() {
    const rows = this.items.map((item, index) => this.renderItem(item, index));

    const other = document.createElement('li');
    other.className = 'column-item';
    const checkbox = document.createElement('input');
    checkbox.type = 'checkbox';
    checkbox.id = 'column-choice-other';
    checkbox.checked = this.otherCustomFields;
    checkbox.addEventListener('change', () => {
      this.otherCustomFields = checkbox.checked;
    });
    const label = document.createElement('label');
    label.htmlFor = checkbox.id;
    label.textContent = 'Other custom fields';
    const key = document.createElement('span');
    key.className = 'column-key';
    key.textContent = 'found while loading, always last';
    label.append(key);
    other.append(checkbox, label);

    this.list.replaceChildren(...rows, other);
  }

  /** Builds the row of one movable column. */
  renderItem(item, index) {
    const row = document.createElement('li');
    row.className = 'column-item';

    const checkbox = document.createElement('input');
    checkbox.type = 'checkbox';
    checkbox.id = `column-choice-${index}`;
    checkbox.checked = item.visible;
    checkbox.addEventListener('change', () => {
      item.visible = checkbox.checked;
    });
    checkbox.addEventListener('keydown', (event) => {
      if (event.altKey && (event.key === 'ArrowUp' || event.key === 'ArrowDown')) {
        event.preventDefault();
        this.move(index, event.key === 'ArrowUp' ? -1 : 1);
      }
    });

    const label = document.createElement('label');
    label.htmlFor = checkbox.id;
    label.textContent = item.header;
    const key = document.createElement('span');
    key.className = 'column-key';
    key.textContent = item.key;
    label.append(key);

    const up = this.moveButton('Up', `Move ${item.header} up`, index > 0, () => this.move(index, -1));
    const down = this.moveButton('Down', `Move ${item.header} down`, index < this.items.length - 1,
      () => this.move(index, 1));
    row.append(checkbox, label, up, down);
    return row;
  }

  moveButton(text, label, enabled, onClick) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'button button-small button-quiet';
    button.textContent = text;
    button.setAttribute('aria-label', label);
    button.disabled = !enabled;
    button.addEventListener('click', onClick);
    return button;
  }

  /**
   * Moves the column at `index` one place up (-1) or down (1), keeps focus on
   * it and announces its new position.
   */
  move(index, delta) {
    const target = index + delta;
    if (target < 0 || target >= this.items.length) {
      return;
    }
    const [item] = this.items.splice(index, 1);
    this.items.splice(target, 0, item);
    this.render();
    this.list.querySelector(`#column-choice-${target}`)?.focus();
    this.moved.textContent = `${item.header} moved to position ${target + 1} of ${this.items.length}.`;
  }

  async save() {
    const keys = this.items.filter((item) => item.visible).map((item) => item.key);
    if (this.otherCustomFields) {
      keys.push(OTHER_CUSTOM_FIELDS_KEY);
    }
    const hidden = this.items
      .filter((item) => !item.visible && item.key.startsWith(CUSTOM_FIELD_PREFIX))
      .map((item) => item.key);
    if (keys.length === 0) {
      this.showError('Choose at least one column.');
      return;
    }

    this.showError('');
    this.saveButton.disabled = true;
    try {
      const status = await api.setColumns(keys, hidden);
      this.close();
      this.onStatus(status, 'Columns saved. Select Preview to see them in the results.');
    } catch (error) {
      this.showError(error.message);
    } finally {
      this.saveButton.disabled = false;
    }
  }

  showError(message) {
    this.error.textContent = message;
  }
}
