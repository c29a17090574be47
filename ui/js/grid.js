// The results table. Callers use only `setData(columns, rows)` and `clear()`,
// so a virtualized grid can replace this plain <table> later without changes
// elsewhere. Sorting here reorders the preview only; it does not change the
// request or the exported file.

/** Text cells longer than this get their full text in a tooltip, because the cell may clip them. */
const TOOLTIP_MIN_LENGTH = 30;

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const fullDateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'long' });
const numberFormat = new Intl.NumberFormat();
const textCollator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Header arrow for each `aria-sort` value. */
const SORT_ARROWS = { ascending: '▲', descending: '▼' };

function isEmpty(value) {
  return value === null || value === undefined || value === '';
}

/**
 * Formats one cell for display according to its column kind.
 * @param {unknown} value
 * @param {'text'|'number'|'bool'|'datetime'} kind
 * @returns {string}
 */
export function formatCell(value, kind) {
  if (isEmpty(value)) {
    return '';
  }
  if (kind === 'datetime') {
    const date = new Date(String(value));
    return Number.isNaN(date.getTime()) ? String(value) : dateFormat.format(date);
  }
  if (kind === 'number' && typeof value === 'number') {
    return numberFormat.format(value);
  }
  if (typeof value === 'boolean') {
    return value ? 'Yes' : 'No';
  }
  if (typeof value === 'object') {
    return JSON.stringify(value);
  }
  return String(value);
}

/**
 * Returns a value that sorts the way the column kind reads, or null for an empty cell.
 * A cell that does not fit its kind (for example text in a number column) sorts as text.
 */
function sortKey(value, kind) {
  if (isEmpty(value)) {
    return null;
  }
  if (kind === 'number') {
    const number = typeof value === 'number' ? value : Number(value);
    if (!Number.isNaN(number)) {
      return number;
    }
  }
  if (kind === 'datetime') {
    const time = Date.parse(String(value));
    if (!Number.isNaN(time)) {
      return time;
    }
  }
  if (kind === 'bool' && typeof value === 'boolean') {
    return value ? 1 : 0;
  }
  return formatCell(value, 'text');
}

/** Compares two sort keys ascending. Numbers come before text when a column mixes them. */
function compareKeys(a, b) {
  if (typeof a === 'number' && typeof b === 'number') {
    return a - b;
  }
  if (typeof a === 'number') {
    return -1;
  }
  if (typeof b === 'number') {
    return 1;
  }
  return textCollator.compare(a, b);
}

/**
 * The results grid: a <table> with a sticky header whose column headers sort the rows.
 */
export class ResultsGrid {
  /**
   * @param {HTMLTableElement} table A table with an empty <thead> and <tbody>.
   * @param {object} [options]
   * @param {(header: string, direction: 'ascending'|'descending') => void} [options.onSort]
   *   Called after the user sorts by a column, for example to announce it.
   */
  constructor(table, options = {}) {
    this.table = table;
    this.head = table.tHead;
    this.body = table.tBodies[0];
    this.onSort = options.onSort ?? (() => {});
    /** @type {import('./api.js').Column[]} */
    this.columns = [];
    /** @type {unknown[][]} Rows in the order the API returned them. */
    this.rows = [];
    /** @type {{index: number, direction: 'ascending'|'descending'}|null} */
    this.sort = null;
  }

  /**
   * Shows new data, in the order given, with no column sorted.
   * @param {import('./api.js').Column[]} columns
   * @param {unknown[][]} rows One array per row, cells in column order.
   */
  setData(columns, rows) {
    this.columns = columns;
    this.rows = rows;
    this.sort = null;
    this.renderHead();
    this.renderBody();
  }

  /** Removes every column and row. */
  clear() {
    this.setData([], []);
  }

  /** Number of rows shown. */
  get rowCount() {
    return this.rows.length;
  }

  /**
   * Sorts by one column. Empty cells stay last in both directions, and equal
   * cells keep the API's order.
   * @param {number} index Column index.
   * @param {'ascending'|'descending'} direction
   */
  sortBy(index, direction) {
    this.sort = { index, direction };
    this.renderHead();
    this.renderBody();
  }

  renderHead() {
    const row = document.createElement('tr');
    this.columns.forEach((column, index) => {
      const cell = document.createElement('th');
      cell.scope = 'col';
      cell.dataset.kind = column.kind;
      const sorted = this.sort?.index === index ? this.sort.direction : null;
      if (sorted) {
        cell.setAttribute('aria-sort', sorted);
      }

      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'sort-button';
      button.dataset.columnKey = column.key;
      button.append(document.createTextNode(column.header));

      const arrow = document.createElement('span');
      arrow.className = 'sort-arrow';
      arrow.setAttribute('aria-hidden', 'true');
      arrow.textContent = sorted ? SORT_ARROWS[sorted] : '';
      button.append(arrow);

      button.addEventListener('click', () => {
        const direction = sorted === 'ascending' ? 'descending' : 'ascending';
        this.sortBy(index, direction);
        // Rebuilding the header replaced this button, so put focus on its successor.
        this.head.querySelectorAll('.sort-button')[index]?.focus();
        this.onSort(column.header, direction);
      });

      cell.append(button);
      row.append(cell);
    });
    this.head.replaceChildren(row);
  }

  /** Returns the rows in display order. */
  orderedRows() {
    if (!this.sort) {
      return this.rows;
    }
    const { index, direction } = this.sort;
    const kind = this.columns[index].kind;
    const sign = direction === 'ascending' ? 1 : -1;

    const keyed = this.rows.map((row, position) => ({ row, position, key: sortKey(row[index], kind) }));
    keyed.sort((a, b) => {
      if (a.key === null || b.key === null) {
        if (a.key === b.key) {
          return a.position - b.position;
        }
        return a.key === null ? 1 : -1;
      }
      return sign * compareKeys(a.key, b.key) || a.position - b.position;
    });
    return keyed.map((entry) => entry.row);
  }

  renderBody() {
    const fragment = document.createDocumentFragment();
    for (const values of this.orderedRows()) {
      const row = document.createElement('tr');
      this.columns.forEach((column, index) => {
        const cell = document.createElement('td');
        cell.dataset.kind = column.kind;

        const text = formatCell(values[index], column.kind);
        const content = document.createElement('div');
        content.className = 'cell';
        content.textContent = text;
        if (column.kind === 'datetime' && text !== '') {
          const date = new Date(String(values[index]));
          content.title = Number.isNaN(date.getTime()) ? text : fullDateFormat.format(date);
        } else if (text.length > TOOLTIP_MIN_LENGTH) {
          content.title = text;
        }

        cell.append(content);
        row.append(cell);
      });
      fragment.append(row);
    }
    this.body.replaceChildren(fragment);
  }
}
