// The filter form: builds the accounts.export request body from the form,
// checks the form before anything is sent, and shows problems next to the
// fields, whether found here or reported by the backend. Owners, creators,
// tags, stages, subtypes and tiers are picked by name and sent by ID. The
// form also converts to and from a preset's settings.

import * as api from './api.js';
import { ChipInput } from './chips.js';
import { localSearch, Picker } from './pickers.js';

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

/** Date filters: request field, "from" input id, "to" input id, period select id, preset key. */
const DATE_RANGES = [
  ['created_date', 'filter-created-after', 'filter-created-before', 'filter-created-period', 'created'],
  ['modified_date', 'filter-modified-after', 'filter-modified-before', 'filter-modified-period', 'modified'],
];

/** Periods that the backend resolves to dates on the day of each export. */
const RELATIVE_PERIODS = new Set([
  'today', 'last_7_days', 'last_30_days', 'last_90_days', 'this_month', 'this_quarter', 'this_year',
]);

/** Value of the custom field select for a field typed by its API name. */
const OTHER_FIELD = '';

/**
 * @typedef {object} FieldError
 * @property {string} message Text shown to the user.
 * @property {HTMLElement} slot Element that shows the message.
 * @property {HTMLElement} focus Element to focus when this is the first error.
 * @property {HTMLElement} [control] Control marked `aria-invalid`, if the error is about one control.
 */

/**
 * @typedef {object} CustomFieldRow
 * @property {HTMLElement} row
 * @property {HTMLSelectElement} field Known field, or "" for one typed by its API name.
 * @property {HTMLElement} valueBox Holds the value control, which changes with the field.
 * @property {HTMLInputElement|null} otherName API name of a field that is not in the list.
 * @property {HTMLInputElement|HTMLSelectElement} value
 * @property {string} input How the value is entered: checkbox, integer, number, date, choice or text.
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

/**
 * Converts an RFC 3339 time to a `datetime-local` value with seconds, in local time or in UTC.
 * @param {string} text
 * @param {boolean} utc
 * @returns {string}
 */
function utcToWallClock(text, utc) {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) {
    return '';
  }
  if (utc) {
    return date.toISOString().slice(0, 19);
  }
  const pad = (number) => String(number).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T`
    + `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** Returns `{value, label}` entries for a picker from the look-up choices `{value, label}`. */
function choiceEntries(choices) {
  return choices.map((choice) => ({ value: choice.value, label: choice.label }));
}

/** Returns the error line that belongs to a control, found by the "-error" id convention. */
function errorSlotFor(control) {
  return document.getElementById(`${control.id}-error`);
}

/**
 * The filter form and everything in it: chip lists and pickers, date periods,
 * custom field and sort rows, and which accounts to fetch.
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

    /** @type {Map<string, import('./pickers.js').PickerEntry[]>} Entries of the fixed lists, by field. */
    this.localEntries = new Map();
    /** @type {Promise<void>|null} The read of the fixed lists, in progress or done; null before the first use. */
    this.optionsLoading = null;
    this.optionsGeneration = 0;
    /** Shows a sentence about lists that could not be read. main.js replaces it. */
    this.onOptionsProblem = () => {};
    /** @type {Map<string, Picker>} Pickers by request field name. */
    this.pickers = new Map();
    for (const container of form.querySelectorAll('[data-picker]')) {
      const field = container.dataset.chipField;
      const chips = this.chipFields.get(field);
      const onError = (message) => this.showErrors([
        { message, control: chips.input, slot: errorSlotFor(chips.input), focus: chips.input },
      ]);
      this.pickers.set(field, new Picker(chips, {
        search: this.searchFor(container.dataset.picker),
        noun: container.dataset.pickerNoun ?? 'entries',
        onError,
      }));
    }
    /** The app's time-zone policy, `local` or `utc`, which periods are worked out in. */
    this.timeZone = { value: 'local' };
    /** @type {import('./api.js').CustomFieldChoice[]} Filterable custom fields from the look-ups. */
    this.customFieldChoices = [];

    this.first = form.querySelector('#filter-first');
    this.fetchFirstRadio = form.querySelector('#fetch-mode-first');
    this.fetchAllRadio = form.querySelector('#fetch-mode-all');
    this.fetchFirstCount = form.querySelector('#fetch-mode-first-count');
    this.customFieldRows = form.querySelector('#custom-field-rows');
    this.sortRows = form.querySelector('#sort-rows');
    this.customFieldAdd = form.querySelector('#custom-field-add');
    this.sortAdd = form.querySelector('#sort-add');

    /** @type {CustomFieldRow[]} */
    this.customFields = [];
    /** @type {{row: HTMLElement, field: HTMLSelectElement, direction: HTMLSelectElement}[]} */
    this.sorts = [];

    this.customFieldAdd.addEventListener('click', async () => {
      await this.ensureOptions();
      this.addCustomFieldRow().field.focus();
    });
    this.sortAdd.addEventListener('click', () => this.addSortRow().field.focus());

    /** @type {Map<string, {after: string, before: string}>} Ranges of relative periods, by request field. */
    this.resolvedPeriods = new Map();
    for (const [field, , , periodId] of DATE_RANGES) {
      form.querySelector(`#${periodId}`).addEventListener('change', () => this.applyPeriod(field));
    }

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
    for (const [field] of DATE_RANGES) {
      this.applyPeriod(field);
    }
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
    if (this.timeZone.value !== zone.policy) {
      this.timeZone.value = zone.policy;
      for (const [field] of DATE_RANGES) {
        this.applyPeriod(field);
      }
    }
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
   * Returns the search of a picker source: users and tags ask the backend, fixed lists start empty
   * until `setOptions` fills them.
   * @param {string} source `users`, `tags` or the name of a fixed list.
   */
  searchFor(source) {
    if (source === 'users') {
      return async (query) => (await api.searchUsers(query)).map((user) => ({
        value: user.id,
        label: user.name,
        detail: user.email ?? undefined,
        chip: user.label,
      }));
    }
    if (source === 'tags') {
      return async (query) => (await api.searchTags(query)).flatMap((tag) => [
        { value: tag.id, label: tag.name, detail: tag.values.length > 0 ? 'with any value' : undefined },
        ...tag.values.map((value) => ({ value: `${tag.id}=${value}`, label: `${tag.name}: ${value}` })),
      ]);
    }
    // Fixed lists are read on first use, so nothing is sent before someone needs a list.
    return async (query) => {
      await this.ensureOptions();
      return localSearch(this.localEntries.get(source) ?? [])(query);
    };
  }

  /**
   * Reads the organization's stages, subtypes, tiers and custom fields once per connection.
   * A failed read is reported through `onOptionsProblem` and tried again on next use.
   * @returns {Promise<void>}
   */
  ensureOptions() {
    if (this.optionsLoading === null) {
      // Lists that arrive after the server or token changed belong to the old connection.
      const generation = this.optionsGeneration;
      const current = () => generation === this.optionsGeneration;
      this.optionsLoading = api.filterOptions().then((options) => {
        if (!current()) {
          return;
        }
        this.setOptions(options);
        if (options.problems.length > 0) {
          this.optionsLoading = null;
          this.onOptionsProblem(options.problems.join(' '));
        }
      }, (error) => {
        if (!current()) {
          return;
        }
        this.optionsLoading = null;
        this.onOptionsProblem(`The lists of stages, subtypes, tiers and custom fields could not be read, so type those values by hand. ${error.message}`);
      });
    }
    return this.optionsLoading ?? Promise.resolve();
  }

  /** Forgets the fixed lists, because the server or token changed. The next use reads them again. */
  forgetOptions() {
    this.optionsGeneration += 1;
    this.optionsLoading = null;
  }

  /**
   * Offers the organization's stages, subtypes, tiers and custom fields. A list that could not be
   * read lets its picker take typed text instead.
   * @param {import('./api.js').FilterOptions} options
   */
  setOptions(options) {
    const lists = [['stage', options.stages], ['subtype', options.subtypes], ['tier', options.tiers]];
    for (const [field, choices] of lists) {
      this.localEntries.set(field, choiceEntries(choices));
      this.pickers.get(field).allowFreeText(choices.length === 0);
    }
    this.customFieldChoices = options.customFields;
    for (const row of this.customFields) {
      this.fillFieldSelect(row.field, row.field.value);
    }
  }

  /**
   * Adds a custom field row. The value control fits the field's type: a checkbox, a number, a date,
   * a list of the allowed values, or text.
   * @param {string} [name] Field to select; the first known field by default.
   * @param {unknown} [value] Value to fill in.
   * @returns {CustomFieldRow}
   */
  addCustomFieldRow(name, value) {
    const row = element('li', 'filter-row filter-row-stacked');
    const field = selectInput(rowId('custom-field'), []);
    const valueBox = element('div', 'custom-field-value');
    const entry = { row, field, valueBox, otherName: null, value: null };

    this.fillFieldSelect(field, name ?? this.customFieldChoices[0]?.name ?? OTHER_FIELD);
    field.addEventListener('change', () => this.renderValueControl(entry));
    const remove = removeButton('Remove this custom field filter');
    remove.addEventListener('click', () => this.removeRow(this.customFields, entry, this.customFieldAdd));

    row.append(labelledControl('Field', field), valueBox, remove);
    this.customFieldRows.append(row);
    this.customFields.push(entry);
    this.renderValueControl(entry, name, value);
    return entry;
  }

  /** Lists the known custom fields in a row's select, plus "Other field" for one typed by name. */
  fillFieldSelect(select, selected) {
    const known = this.customFieldChoices.map((choice) => [choice.name, choice.label]);
    select.replaceChildren();
    for (const [value, text] of [...known, [OTHER_FIELD, 'Other field (type its API name)']]) {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = text;
      select.append(option);
    }
    select.value = known.some(([value]) => value === selected) ? selected : OTHER_FIELD;
  }

  /**
   * Puts the value control that fits the selected field into a custom field row.
   * @param {CustomFieldRow} entry
   * @param {string} [name] Field name for "Other field", when known.
   * @param {unknown} [value] Value to fill in.
   */
  renderValueControl(entry, name, value) {
    const choice = this.customFieldChoices.find((candidate) => candidate.name === entry.field.value);
    const parts = [];
    entry.otherName = null;

    if (!choice) {
      entry.otherName = textInput(rowId('custom-field-name'));
      entry.otherName.value = name ?? '';
      entry.otherName.placeholder = 'tnt__region';
      parts.push(labelledControl('API name', entry.otherName));
    }

    const input = choice?.input ?? 'text';
    let control;
    if (input === 'checkbox') {
      control = document.createElement('input');
      control.type = 'checkbox';
      control.id = rowId('custom-field-value');
      control.checked = value === true;
      const wrapper = element('div', 'field inline-check-field');
      const label = element('label', 'inline-check');
      label.append(control, ' Yes (leave unchecked to match No)');
      const error = element('p', 'field-error');
      error.id = `${control.id}-error`;
      control.setAttribute('aria-describedby', error.id);
      wrapper.append(label, error);
      parts.push(wrapper);
    } else {
      if (input === 'choice') {
        control = selectInput(rowId('custom-field-value'), choice.values.map((option) => [option, option]));
      } else {
        control = document.createElement('input');
        control.id = rowId('custom-field-value');
        control.autocomplete = 'off';
        control.type = { integer: 'number', number: 'number', date: 'date' }[input] ?? 'text';
        if (input === 'integer') {
          control.step = '1';
        } else if (input === 'number') {
          control.step = 'any';
        }
      }
      if (value !== undefined && value !== null) {
        control.value = String(value);
      }
      parts.push(labelledControl(choice ? `Value of ${choice.label}` : 'Value', control));
    }
    entry.value = control;
    entry.input = input;
    entry.valueBox.replaceChildren(...parts);
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
    for (const [field, , , periodId] of DATE_RANGES) {
      this.form.querySelector(`#${periodId}`).value = 'any';
      this.applyPeriod(field);
    }
    for (const entries of [this.customFields, this.sorts]) {
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

    for (const [field, fromId, toId, periodId] of DATE_RANGES) {
      const period = this.form.querySelector(`#${periodId}`).value;
      const range = RELATIVE_PERIODS.has(period)
        ? this.resolvedPeriods.get(field) ?? null
        : this.buildDateRange(fromId, toId, fail);
      if (range) {
        request[field] = range;
      }
    }

    const customFields = this.buildCustomFields(fail);
    if (customFields) {
      request.custom_fields = customFields;
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
    for (const entry of this.customFields) {
      const fieldName = entry.otherName ? entry.otherName.value.trim() : entry.field.value;
      const value = this.readCustomValue(entry, fail);
      if (entry.otherName && fieldName === '' && (value === null || value === '')) {
        continue;
      }
      if (fieldName === '') {
        fail(entry.otherName, 'Enter the field\'s API name, for example tnt__region.');
        continue;
      }
      if (value === null) {
        continue;
      }

      // Two rows for the same field match any value of either row.
      const known = result[fieldName] ?? [];
      if (!known.includes(value)) {
        result[fieldName] = [...known, value];
      }
    }
    return Object.keys(result).length > 0 ? result : null;
  }

  /**
   * Reads a custom field row's value as the request sends it: true or false, a number, a date
   * as `YYYY-MM-DD`, or text. Returns null after reporting a problem.
   * @param {CustomFieldRow} entry
   */
  readCustomValue(entry, fail) {
    const control = entry.value;
    if (entry.input === 'checkbox') {
      return control.checked;
    }
    const text = control.value.trim();
    if (control.validity?.badInput) {
      fail(control, 'This value is incomplete. Finish it or remove this row.');
      return null;
    }
    if (text === '') {
      fail(control, 'Enter a value, or remove this row.');
      return null;
    }
    if (entry.input === 'integer' || entry.input === 'number') {
      const number = Number(text);
      if (!Number.isFinite(number) || (entry.input === 'integer' && !Number.isInteger(number))) {
        fail(control, entry.input === 'integer' ? 'Enter a whole number.' : 'Enter a number.');
        return null;
      }
      return number;
    }
    return text;
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
   * Shows the range of the chosen period in the date fields: editable for a custom range,
   * read-only and filled in by the backend for a relative period such as "this quarter".
   * @param {string} field `created_date` or `modified_date`.
   */
  async applyPeriod(field) {
    const [, fromId, toId, periodId] = DATE_RANGES.find(([name]) => name === field);
    const period = this.form.querySelector(`#${periodId}`).value;
    const from = this.form.querySelector(`#${fromId}`);
    const to = this.form.querySelector(`#${toId}`);
    const relative = RELATIVE_PERIODS.has(period);
    from.readOnly = relative;
    to.readOnly = relative;
    from.closest('.date-pair').hidden = period === 'any';
    this.clearError(from);
    this.clearError(to);
    this.resolvedPeriods.delete(field);

    if (period === 'any') {
      from.value = '';
      to.value = '';
      return;
    }
    if (!relative) {
      return;
    }
    const zone = this.timeZone.value;
    const range = await api.resolveDateRange(period, zone);
    // The user may have picked another period or zone while this one resolved.
    if (this.form.querySelector(`#${periodId}`).value !== period || this.timeZone.value !== zone) {
      return;
    }
    this.resolvedPeriods.set(field, range);
    from.value = utcToWallClock(range.after, zone === 'utc');
    to.value = utcToWallClock(range.before, zone === 'utc');
  }

  /**
   * Returns the form as preset settings: the request body without the relative periods, which
   * travel by name so a saved preset always means "this quarter" of the day it runs.
   * Returns null, after showing what to fix, when the form has errors.
   * @returns {object|null} A preset without name, folder, file name or format.
   */
  toSettings() {
    const { request, errors } = this.build();
    if (!request) {
      this.showErrors(errors);
      return null;
    }
    const filters = { ...request };
    const dates = {};
    for (const [field, , , periodId, key] of DATE_RANGES) {
      const period = this.form.querySelector(`#${periodId}`).value;
      if (RELATIVE_PERIODS.has(period)) {
        dates[key] = period;
        delete filters[field];
      }
    }
    if (this.fetchAll) {
      // Keep the number for when the preset goes back to "First N accounts".
      filters.first = Number(this.first.value) || FIRST_DEFAULT;
    }
    const labels = {};
    for (const chips of this.chipFields.values()) {
      Object.assign(labels, chips.labelsByValue());
    }
    return {
      filters,
      dates,
      time_zone: this.timeZone.value,
      all: this.fetchAll,
      columns: null,
      labels,
    };
  }

  /**
   * Fills the form from preset settings, replacing everything in it.
   * @param {object} settings A preset or the last-used settings.
   */
  async applySettings(settings) {
    this.reset();
    const filters = settings.filters ?? {};
    const labels = settings.labels ?? {};
    for (const [field, chips] of this.chipFields) {
      const values = Array.isArray(filters[field]) ? filters[field].map(String) : [];
      chips.setValues(values.map((value) => ({ value, label: labels[value] ?? value })));
    }

    if (Object.keys(filters.custom_fields ?? {}).length > 0) {
      // The rows need the field list to pick the right value controls.
      await this.ensureOptions();
    }
    const waits = [];
    for (const [field, fromId, toId, periodId, key] of DATE_RANGES) {
      const period = settings.dates?.[key];
      const select = this.form.querySelector(`#${periodId}`);
      const range = filters[field];
      if (period && RELATIVE_PERIODS.has(period)) {
        select.value = period;
      } else if (range && typeof range === 'object') {
        select.value = 'custom';
        const utc = this.timeZone.value === 'utc';
        this.form.querySelector(`#${fromId}`).value = range.after ? utcToWallClock(range.after, utc) : '';
        this.form.querySelector(`#${toId}`).value = range.before ? utcToWallClock(range.before, utc) : '';
      } else {
        select.value = 'any';
      }
      waits.push(this.applyPeriod(field));
    }

    for (const [name, accepted] of Object.entries(filters.custom_fields ?? {})) {
      for (const value of Array.isArray(accepted) ? accepted : [accepted]) {
        this.addCustomFieldRow(name, value);
      }
    }
    for (const key of Array.isArray(filters.sort_by) ? filters.sort_by : []) {
      const [field, direction] = String(key).split(':');
      const row = this.addSortRow();
      row.field.value = field;
      row.direction.value = direction === 'desc' ? 'desc' : 'asc';
    }
    if (Number.isInteger(filters.first)) {
      this.first.value = String(filters.first);
      this.showFirstInLabel();
    }
    this.setFetchAll(settings.all === true);
    await Promise.all(waits);
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
      const row = this.customFields.find((entry) => suffix !== undefined
        && (entry.otherName ? entry.otherName.value.trim() : entry.field.value) === suffix);
      if (row) {
        return onControl(row.otherName ?? row.field);
      }
      return this.onGroup('#custom-fields-error', this.customFields[0]?.field ?? this.customFieldAdd);
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
