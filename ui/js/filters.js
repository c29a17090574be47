// The filter form: builds the accounts.export request body from the form,
// checks the form before anything is sent, and shows problems next to the
// fields, whether found here or reported by the backend.

import { ChipInput } from './chips.js';

/** Smallest and largest `first` that the accounts.export endpoint accepts. */
const FIRST_MIN = 1;
const FIRST_MAX = 500;
const FIRST_DEFAULT = 50;

/** Fields that accounts.export can sort by, with the labels shown in the form. */
const SORT_FIELDS = [
  ['display_name', 'Name'],
  ['created_date', 'Created date'],
  ['modified_date', 'Modified date'],
  ['tier', 'Tier'],
  ['subtype', 'Subtype'],
  ['id', 'ID'],
  ['display_id', 'Display ID'],
];

/** Date filters: request field, "from" input id, "to" input id. */
const DATE_RANGES = [
  ['created_date', 'filter-created-after', 'filter-created-before'],
  ['modified_date', 'filter-modified-after', 'filter-modified-before'],
];

/**
 * @typedef {object} FieldError
 * @property {string} message Text shown to the user.
 * @property {HTMLElement} slot Element that shows the message.
 * @property {HTMLElement} focus Element to focus when this is the first error.
 * @property {HTMLElement} [control] Control marked `aria-invalid`, if the error is about one control.
 */

/**
 * @typedef {object} BuildResult
 * @property {object|null} request The request body, or null when the form has errors.
 * @property {FieldError[]} errors Problems found, in form order.
 */

let nextRowNumber = 1;

/** Returns an id that no other row control uses. */
function rowId(prefix) {
  const id = `${prefix}-${nextRowNumber}`;
  nextRowNumber += 1;
  return id;
}

/** Creates an element with a class and optional text. */
function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/**
 * Creates a labelled control with an error line below it. The control's
 * `aria-describedby` points at the error line, whose id is the control's id plus "-error".
 * `box` is what goes between label and error line: the control itself, or an element that contains it.
 */
function labelledControl(labelText, control, box = control) {
  const wrapper = element('div', 'field');
  const label = element('label', '', labelText);
  label.htmlFor = control.id;

  const error = element('p', 'field-error');
  error.id = `${control.id}-error`;
  control.setAttribute('aria-describedby', error.id);

  wrapper.append(label, box, error);
  return wrapper;
}

function textInput(id) {
  const input = document.createElement('input');
  input.type = 'text';
  input.id = id;
  input.autocomplete = 'off';
  input.spellcheck = false;
  return input;
}

function selectInput(id, options) {
  const select = document.createElement('select');
  select.id = id;
  for (const [value, text] of options) {
    const option = document.createElement('option');
    option.value = value;
    option.textContent = text;
    select.append(option);
  }
  return select;
}

function removeButton(label) {
  const button = element('button', 'button button-small button-quiet row-remove', 'Remove');
  button.type = 'button';
  button.setAttribute('aria-label', label);
  return button;
}

/**
 * Converts a `datetime-local` value to an RFC 3339 UTC string. The value is
 * read in the app's time zone: `offsetMinutes` east of UTC, or the browser's
 * own zone when that is null.
 */
function localToUtc(value, offsetMinutes) {
  if (offsetMinutes === null) {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? null : date.toISOString();
  }
  // Reading the wall-clock value as UTC, then moving it by the offset, gives the instant it names.
  const wallClock = Date.parse(`${value}Z`);
  return Number.isNaN(wallClock) ? null : new Date(wallClock - offsetMinutes * 60_000).toISOString();
}

/** Returns the error line that belongs to a control, found by the "-error" id convention. */
function errorSlotFor(control) {
  return document.getElementById(`${control.id}-error`);
}

/**
 * The filter form and everything in it: chip lists, date ranges, custom field,
 * tag and sort rows, and which accounts to fetch.
 */
export class FilterForm {
  /**
   * @param {HTMLFormElement} form The `#filter-form` element.
   */
  constructor(form) {
    this.form = form;
    /** Offset east of UTC, in minutes, that date inputs are read in; null for the browser's zone. */
    this.utcOffsetMinutes = null;
    this.datesHint = form.querySelector('#dates-hint');

    /** @type {Map<string, ChipInput>} List fields by request field name. */
    this.chipFields = new Map();
    for (const container of form.querySelectorAll('[data-chip-field]')) {
      const keepCommas = container.dataset.chipCommas === 'keep';
      this.chipFields.set(container.dataset.chipField, new ChipInput(container, { keepCommas }));
    }

    this.first = form.querySelector('#filter-first');
    this.fetchFirstRadio = form.querySelector('#fetch-mode-first');
    this.fetchAllRadio = form.querySelector('#fetch-mode-all');
    this.fetchFirstCount = form.querySelector('#fetch-mode-first-count');
    this.customFieldRows = form.querySelector('#custom-field-rows');
    this.tagRows = form.querySelector('#tag-filter-rows');
    this.sortRows = form.querySelector('#sort-rows');
    this.customFieldAdd = form.querySelector('#custom-field-add');
    this.tagAdd = form.querySelector('#tag-filter-add');
    this.sortAdd = form.querySelector('#sort-add');

    /** @type {{row: HTMLElement, name: HTMLInputElement, values: ChipInput}[]} */
    this.customFields = [];
    /** @type {{row: HTMLElement, id: HTMLInputElement, value: HTMLInputElement}[]} */
    this.tags = [];
    /** @type {{row: HTMLElement, field: HTMLSelectElement, direction: HTMLSelectElement}[]} */
    this.sorts = [];

    this.customFieldAdd.addEventListener('click', () => this.addCustomFieldRow().name.focus());
    this.tagAdd.addEventListener('click', () => this.addTagRow().id.focus());
    this.sortAdd.addEventListener('click', () => this.addSortRow().field.focus());

    // Editing a field that shows an error hides the error, so it never describes an old value.
    const clearOnEdit = (event) => {
      if (event.target instanceof HTMLElement && event.target.getAttribute('aria-invalid') === 'true') {
        this.clearError(event.target);
      }
    };
    form.addEventListener('input', clearOnEdit);
    form.addEventListener('change', clearOnEdit);

    for (const radio of [this.fetchFirstRadio, this.fetchAllRadio]) {
      radio.addEventListener('change', () => this.applyFetchMode());
    }
    this.first.addEventListener('input', () => this.showFirstInLabel());
    this.applyFetchMode();
    this.showFirstInLabel();
  }

  /**
   * Whether "All matching accounts" is selected, in which case the request has no `first`.
   * @returns {boolean}
   */
  get fetchAll() {
    return this.fetchAllRadio.checked;
  }

  /**
   * Reads date inputs in the app's time zone from now on, and says which in the hint.
   * @param {import('./api.js').TimeZoneInfo} zone
   */
  setTimeZone(zone) {
    this.utcOffsetMinutes = zone.offsetMinutes;
    this.datesHint.textContent = zone.policy === 'utc'
      ? 'Times are in UTC. Both ends are included.'
      : `Times are your local time, ${zone.label}. Both ends are included.`;
  }

  /**
   * Selects "All matching accounts" (true) or "First N accounts" (false).
   * @param {boolean} all
   */
  setFetchAll(all) {
    this.fetchAllRadio.checked = all;
    this.fetchFirstRadio.checked = !all;
    this.applyFetchMode();
  }

  /** Enables the number box only while "First N accounts" is selected. */
  applyFetchMode() {
    this.first.disabled = this.fetchAll;
    if (this.fetchAll) {
      this.clearError(this.first);
    }
  }

  /** Puts the typed number into the radio's label, as in "First 200 accounts". */
  showFirstInLabel() {
    const text = this.first.value.trim();
    const valid = /^\d+$/.test(text) && Number(text) >= FIRST_MIN && Number(text) <= FIRST_MAX;
    this.fetchFirstCount.textContent = valid ? String(Number(text)) : 'N';
  }

  /**
   * Adds an empty custom field row.
   * @returns {{row: HTMLElement, name: HTMLInputElement, values: ChipInput}}
   */
  addCustomFieldRow() {
    const row = element('li', 'filter-row filter-row-stacked');
    const name = textInput(rowId('custom-field-name'));

    const valuesId = rowId('custom-field-values');
    const chipBox = element('div', 'chip-input');
    const chipList = element('ul', 'chip-list');
    chipList.setAttribute('aria-label', 'Values added');
    const valuesInput = textInput(valuesId);
    chipBox.append(chipList, valuesInput);

    const valuesField = labelledControl('Values', valuesInput, chipBox);
    const values = new ChipInput(chipBox, { label: 'Values' });

    const entry = { row, name, values };
    const remove = removeButton('Remove this custom field filter');
    remove.addEventListener('click', () => this.removeRow(this.customFields, entry, this.customFieldAdd));

    row.append(labelledControl('Field name', name), valuesField, remove);
    this.customFieldRows.append(row);
    this.customFields.push(entry);
    return entry;
  }

  /**
   * Adds an empty tag row.
   * @returns {{row: HTMLElement, id: HTMLInputElement, value: HTMLInputElement}}
   */
  addTagRow() {
    const row = element('li', 'filter-row');
    const id = textInput(rowId('tag-id'));
    const value = textInput(rowId('tag-value'));

    const entry = { row, id, value };
    const remove = removeButton('Remove this tag filter');
    remove.addEventListener('click', () => this.removeRow(this.tags, entry, this.tagAdd));

    row.append(labelledControl('Tag ID', id), labelledControl('Value (optional)', value), remove);
    this.tagRows.append(row);
    this.tags.push(entry);
    return entry;
  }

  /**
   * Adds a sort row, by default by name ascending.
   * @returns {{row: HTMLElement, field: HTMLSelectElement, direction: HTMLSelectElement}}
   */
  addSortRow() {
    const row = element('li', 'filter-row');
    const field = selectInput(rowId('sort-field'), SORT_FIELDS);
    const direction = selectInput(rowId('sort-direction'), [
      ['asc', 'Ascending (A to Z, oldest first)'],
      ['desc', 'Descending (Z to A, newest first)'],
    ]);

    // Start on a field that no other row sorts by yet, because sorting by one field twice is an error.
    const used = new Set(this.sorts.map((sort) => sort.field.value));
    const unused = SORT_FIELDS.find(([value]) => !used.has(value));
    if (unused) {
      field.value = unused[0];
    }

    const entry = { row, field, direction };
    const remove = removeButton('Remove this sort');
    remove.addEventListener('click', () => this.removeRow(this.sorts, entry, this.sortAdd));

    row.append(labelledControl('Field', field), labelledControl('Direction', direction), remove);
    this.sortRows.append(row);
    this.sorts.push(entry);
    return entry;
  }

  /** Removes a row and moves focus to the next row, or to the section's add button when it was the last. */
  removeRow(entries, entry, addButton) {
    const index = entries.indexOf(entry);
    entries.splice(index, 1);
    entry.row.remove();

    const next = entries[index]?.row.querySelector('input, select');
    (next ?? addButton).focus();
  }

  /** Empties every filter and goes back to fetching the default number of accounts. */
  reset() {
    this.clearErrors();
    for (const chips of this.chipFields.values()) {
      chips.clear();
    }
    for (const [, fromId, toId] of DATE_RANGES) {
      this.form.querySelector(`#${fromId}`).value = '';
      this.form.querySelector(`#${toId}`).value = '';
    }
    for (const entries of [this.customFields, this.tags, this.sorts]) {
      for (const entry of entries) {
        entry.row.remove();
      }
      entries.length = 0;
    }
    this.first.value = String(FIRST_DEFAULT);
    this.showFirstInLabel();
    this.setFetchAll(false);
  }

  /**
   * Checks the form and builds the accounts.export request body, leaving out every field that is not set.
   * With "All matching accounts" selected the body has no `first`, and the number box is not checked.
   * It does not show the errors, so pass them to `showErrors`.
   * @returns {BuildResult}
   */
  build() {
    const request = {};
    const errors = [];
    const fail = (control, message) => {
      errors.push({ message, control, slot: errorSlotFor(control), focus: control });
    };

    for (const [field, chips] of this.chipFields) {
      const values = chips.values();
      if (values.length > 0) {
        request[field] = values;
      }
    }

    for (const [field, fromId, toId] of DATE_RANGES) {
      const range = this.buildDateRange(fromId, toId, fail);
      if (range) {
        request[field] = range;
      }
    }

    const customFields = this.buildCustomFields(fail);
    if (customFields) {
      request.custom_fields = customFields;
    }

    const tags = this.buildTags(fail);
    if (tags.length > 0) {
      request.tags = tags;
    }

    const sortBy = this.buildSortBy(fail);
    if (sortBy.length > 0) {
      request.sort_by = sortBy;
    }

    if (!this.fetchAll) {
      const first = this.buildFirst(fail);
      if (first !== null) {
        request.first = first;
      }
    }

    // The checks above run by kind, so put the errors back in the order they appear on screen.
    errors.sort((a, b) => (a.focus.compareDocumentPosition(b.focus) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
    return { request: errors.length === 0 ? request : null, errors };
  }

  buildDateRange(fromId, toId, fail) {
    const fromInput = this.form.querySelector(`#${fromId}`);
    const toInput = this.form.querySelector(`#${toId}`);
    const range = {};

    for (const [key, input] of [['after', fromInput], ['before', toInput]]) {
      if (input.validity.badInput) {
        fail(input, 'This date is incomplete. Finish it or clear the field.');
      } else if (input.value !== '') {
        const utc = localToUtc(input.value, this.utcOffsetMinutes);
        if (utc === null) {
          fail(input, 'This is not a valid date. Pick one from the calendar or clear the field.');
        } else {
          range[key] = utc;
        }
      }
    }

    if (range.after && range.before && range.before < range.after) {
      fail(toInput, 'The "To" date is before the "From" date. Pick a later "To" date or an earlier "From" date.');
    }
    return Object.keys(range).length > 0 ? range : null;
  }

  buildCustomFields(fail) {
    const result = {};
    for (const { name, values } of this.customFields) {
      const fieldName = name.value.trim();
      const fieldValues = values.values();
      if (fieldName === '' && fieldValues.length === 0) {
        continue;
      }
      if (fieldName === '') {
        fail(name, 'Enter the field\'s API name, for example tnt__region.');
        continue;
      }
      if (fieldValues.length === 0) {
        fail(values.input, `Add at least one value for ${fieldName}, or remove this row.`);
        continue;
      }

      // Two rows for the same field match any value of either row.
      const known = result[fieldName] ?? [];
      result[fieldName] = [...known, ...fieldValues.filter((value) => !known.includes(value))];
    }
    return Object.keys(result).length > 0 ? result : null;
  }

  buildTags(fail) {
    const tags = [];
    for (const { id, value } of this.tags) {
      const tagId = id.value.trim();
      const tagValue = value.value.trim();
      if (tagId === '' && tagValue === '') {
        continue;
      }
      if (tagId === '') {
        fail(id, 'Enter the tag ID for this value, or clear the value.');
        continue;
      }
      if (tagId.includes('=')) {
        fail(id, 'A tag ID cannot contain "=". Put the tag\'s value in the Value box.');
        continue;
      }
      tags.push(tagValue === '' ? tagId : `${tagId}=${tagValue}`);
    }
    return tags;
  }

  buildSortBy(fail) {
    const sortBy = [];
    const seen = new Set();
    for (const { field, direction } of this.sorts) {
      if (seen.has(field.value)) {
        const label = field.selectedOptions[0]?.textContent ?? field.value;
        fail(field, `An earlier row already sorts by ${label}. Pick another field or remove this row.`);
        continue;
      }
      seen.add(field.value);
      sortBy.push(`${field.value}:${direction.value}`);
    }
    return sortBy;
  }

  buildFirst(fail) {
    const text = this.first.value.trim();
    const message = `Enter a whole number from ${FIRST_MIN} to ${FIRST_MAX}.`;
    if (this.first.validity.badInput || !/^\d+$/.test(text)) {
      fail(this.first, message);
      return null;
    }
    const first = Number(text);
    if (first < FIRST_MIN || first > FIRST_MAX) {
      fail(this.first, `${message} For more accounts, choose "All matching accounts".`);
      return null;
    }
    return first;
  }

  /**
   * Shows each error next to its field, marks the fields invalid and focuses the first one.
   * Clears errors shown before.
   * @param {FieldError[]} errors
   */
  showErrors(errors) {
    this.clearErrors();
    for (const error of errors) {
      if (error.control) {
        error.control.setAttribute('aria-invalid', 'true');
      }
      const existing = error.slot.textContent;
      error.slot.textContent = existing === '' ? error.message : `${existing} ${error.message}`;
    }
    if (errors.length > 0) {
      errors[0].focus.focus();
    }
  }

  /**
   * Shows the per-field errors of an `invalid_filters` rejection next to their fields.
   * Field names use the request's names, with suffixes such as `created_date.before` or `custom_fields.tnt__region`.
   * @param {{field: string, message: string}[]} fields
   * @returns {{field: string, message: string}[]} The errors that match no field in the form, to show elsewhere.
   */
  showServerErrors(fields) {
    const placed = [];
    const unplaced = [];
    for (const item of fields) {
      const target = this.locateField(String(item.field ?? ''));
      if (target) {
        placed.push({ ...target, message: String(item.message ?? '') });
      } else {
        unplaced.push(item);
      }
    }
    this.showErrors(placed);
    return unplaced;
  }

  /**
   * Finds where to show an error about a request field.
   * @param {string} path Request field name, optionally with a suffix after a dot or in brackets.
   * @returns {Omit<FieldError, 'message'>|null}
   */
  locateField(path) {
    const match = /^([a-z_]+)(?:\.(.+)|\[(\d+)\])?$/.exec(path);
    if (!match) {
      return null;
    }
    const [, field, suffix, index] = match;
    const onControl = (control) => ({ control, slot: errorSlotFor(control), focus: control });

    if (this.chipFields.has(field)) {
      return onControl(this.chipFields.get(field).input);
    }
    if (field === 'first') {
      return onControl(this.first);
    }

    const range = DATE_RANGES.find(([name]) => name === field);
    if (range) {
      const [, fromId, toId] = range;
      return onControl(this.form.querySelector(`#${suffix === 'before' ? toId : fromId}`));
    }

    if (field === 'custom_fields') {
      const row = this.customFields.find(({ name }) => suffix !== undefined && name.value.trim() === suffix);
      if (row) {
        return onControl(row.name);
      }
      return this.onGroup('#custom-fields-error', this.customFields[0]?.name ?? this.customFieldAdd);
    }
    if (field === 'tags') {
      const row = index !== undefined ? this.tags.filter(({ id }) => id.value.trim() !== '')[Number(index)] : undefined;
      return row ? onControl(row.id) : this.onGroup('#tag-filters-error', this.tags[0]?.id ?? this.tagAdd);
    }
    if (field === 'sort_by') {
      const row = index !== undefined ? this.sorts[Number(index)] : undefined;
      return row ? onControl(row.field) : this.onGroup('#sort-error', this.sorts[0]?.field ?? this.sortAdd);
    }
    return null;
  }

  onGroup(slotSelector, focus) {
    return { slot: this.form.querySelector(slotSelector), focus };
  }

  /** Hides every error message and clears `aria-invalid`. */
  clearErrors() {
    for (const slot of this.form.querySelectorAll('.field-error')) {
      slot.textContent = '';
    }
    for (const control of this.form.querySelectorAll('[aria-invalid]')) {
      control.removeAttribute('aria-invalid');
    }
  }

  /** Hides the error of one control. */
  clearError(control) {
    control.removeAttribute('aria-invalid');
    const slot = errorSlotFor(control);
    if (slot) {
      slot.textContent = '';
    }
  }
}
