// The results grid: a virtual table that keeps only the rows in view, plus a
// small buffer, in the DOM. Rows can stream in with `appendRows` while the
// user scrolls or sorts, and `setColumns` adds the columns that later rows
// bring. Sorting here reorders the preview only; it does not change the
// request or the exported file.
//
// Markup (see index.html): a focusable scroll container holding a
// role="table" element with a sticky header row group and a body row group.
// The body has the height of all rows; an inner "window" element is moved with
// a transform to where the rendered rows belong.

/** Height of one body row in pixels. app.css reads it from `--grid-row-height`. */
const ROW_HEIGHT = 32;

/** Maximum wait for an animation frame before a render runs anyway, in milliseconds. */
const RENDER_FALLBACK_MS = 50;

/** Rows rendered above and below the visible ones, so short scrolls show no blank rows. */
const BUFFER_ROWS = 8;

/**
 * Largest height the body gets, in pixels. Chromium and WebKit lay out with
 * 1/64 px units in 32 bits, so boxes taller than about 33.5 million pixels
 * break. Past this height (250,000 rows) the scroll position maps onto the
 * rows proportionally instead of one pixel per pixel.
 */
const MAX_BODY_HEIGHT = 8_000_000;

/** Bounds of a column's width in pixels. Longer values are cut with an ellipsis and shown in full on hover. */
const MIN_COLUMN_WIDTH = 72;
const MAX_COLUMN_WIDTH = 320;

/** Horizontal padding of a cell (app.css `.grid-cell`, 10px each side) and the room a header needs for its sort arrow. */
const CELL_PADDING = 22;
const HEADER_EXTRA = 40;

/** Rows from the start and from the end of the data that decide the column widths. */
const WIDTH_SAMPLE_ROWS = 100;

/** Factor applied to the widest sampled value, for values in rows that were not sampled. */
const WIDTH_HEADROOM = 1.15;

/** Time one slice of a sort may run before the page gets to handle input and paint again. */
const SORT_SLICE_MS = 12;

/** Elements a sort handles between two checks of the slice's time. */
const SORT_STEP = 4096;

/** Size of the blocks that a sort first sorts on their own. */
const SORT_BLOCK = 8192;

// Both formats read a date in UTC. A date is first moved by the app's UTC
// offset, so they show the wall clock of the app's time zone.
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
const fullDateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium', timeZone: 'UTC' });

/** The app's time zone: its offset east of UTC in milliseconds and its name in headers. */
const zone = { offsetMs: 0, label: 'UTC' };

/**
 * Returns the date of an RFC 3339 value moved to the app's wall clock, or null when it does not parse.
 * @param {unknown} value
 * @returns {Date|null}
 */
function wallClockDate(value) {
  const time = Date.parse(String(value));
  return Number.isNaN(time) ? null : new Date(time + zone.offsetMs);
}
const numberFormat = new Intl.NumberFormat();

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
    const date = wallClockDate(value);
    return date === null ? String(value) : dateFormat.format(date);
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
 * Returns text that compares with `<` roughly the way a person sorts names:
 * case and accents ignored, and runs of digits by their value, so "Item 9"
 * sorts before "Item 10". Each digit run is prefixed with a character that
 * encodes its length, because a longer number (without leading zeros) is larger.
 *
 * `Intl.Collator` would be exact for every language, but sorting 100,000 rows
 * with it took over a second in V8 (Node 20), while this key and plain
 * comparison took about a third of that.
 */
function textSortKey(text) {
  let key = /[^\u0000-\u007f]/.test(text) ? text.normalize('NFD').replace(/[\u0300-\u036f]/g, '') : text;
  key = key.toLowerCase();
  if (/\d/.test(key)) {
    key = key.replace(/\d+/g, (digits) => {
      const trimmed = digits.replace(/^0+(?=\d)/, '');
      return String.fromCharCode(0x30 + Math.min(trimmed.length, 40)) + trimmed;
    });
  }
  return key;
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
  return textSortKey(formatCell(value, 'text'));
}

/**
 * Returns a comparator of row indices by their keys. Empty cells go last in
 * both directions, numbers come before text when a column mixes them, and
 * equal keys keep the rows' arrival order.
 * @param {(number|string|null)[]} keys Sort key of each row.
 * @param {1|-1} sign 1 for ascending, -1 for descending.
 */
function rowComparator(keys, sign) {
  return (a, b) => {
    const keyA = keys[a];
    const keyB = keys[b];
    if (keyA === null || keyB === null) {
      if (keyA === keyB) {
        return a - b;
      }
      return keyA === null ? 1 : -1;
    }

    if (typeof keyA !== typeof keyB) {
      return sign * (typeof keyA === 'number' ? -1 : 1);
    }
    if (keyA < keyB) {
      return -sign;
    }
    if (keyA > keyB) {
      return sign;
    }
    return a - b;
  };
}

/**
 * A stable sort of row indices that runs in slices, so the page can handle
 * input and paint between them. It sorts blocks of SORT_BLOCK indices with the
 * engine's own sort, then merges the blocks pairwise. A slice can overrun its
 * deadline by the time one block sort takes.
 */
class SlicedSort {
  /**
   * @param {Uint32Array} order Row indices in their starting order. Sorted in place or into a copy.
   * @param {(a: number, b: number) => number} compare A comparator that never returns 0 for two
   *   different rows, so the blocks' order does not depend on the engine's sort being stable.
   */
  constructor(order, compare) {
    this.compare = compare;
    this.length = order.length;
    this.source = order;
    this.target = new Uint32Array(order.length);
    this.blockStart = 0;
    this.width = SORT_BLOCK;
    this.left = 0;
    this.inPair = false;
    this.i = 0;
    this.j = 0;
    this.out = 0;
  }

  /** The sorted indices, once `run` has returned true. */
  get result() {
    return this.source;
  }

  /**
   * Sorts until done or until `deadline` (a `performance.now()` time) has passed.
   * @param {number} deadline
   * @returns {boolean} True when the sort is complete.
   */
  run(deadline) {
    const { compare, length } = this;

    while (this.blockStart < length) {
      const end = Math.min(this.blockStart + SORT_BLOCK, length);
      this.source.subarray(this.blockStart, end).sort(compare);
      this.blockStart = end;
      if (this.blockStart < length && performance.now() >= deadline) {
        return false;
      }
    }

    while (this.width < length) {
      const { source, target, width } = this;
      while (this.left < length) {
        const left = this.left;
        const middle = Math.min(left + width, length);
        const right = Math.min(left + 2 * width, length);
        if (!this.inPair) {
          this.inPair = true;
          this.i = left;
          this.j = middle;
          this.out = left;
        }

        let { i, j, out } = this;
        while (i < middle && j < right) {
          const stop = Math.min(out + SORT_STEP, right);
          while (out < stop && i < middle && j < right) {
            if (compare(source[i], source[j]) <= 0) {
              target[out++] = source[i++];
            } else {
              target[out++] = source[j++];
            }
          }
          if (i < middle && j < right && performance.now() >= deadline) {
            this.i = i;
            this.j = j;
            this.out = out;
            return false;
          }
        }
        // One side is used up, so the rest of the other side is already in order.
        if (i < middle) {
          target.set(source.subarray(i, middle), out);
        } else {
          target.set(source.subarray(j, right), out);
        }
        this.inPair = false;
        this.left = right;
      }

      this.source = target;
      this.target = source;
      this.width *= 2;
      this.left = 0;
      if (performance.now() >= deadline) {
        return this.width >= length;
      }
    }
    return true;
  }
}

/**
 * Returns the first position in `order[from..]` whose row sorts after `row`.
 * @param {Uint32Array} order Sorted row indices.
 */
function upperBound(order, from, row, compare) {
  let low = from;
  let high = order.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compare(order[middle], row) > 0) {
      high = middle;
    } else {
      low = middle + 1;
    }
  }
  return low;
}

/**
 * @typedef {object} SortState
 * @property {number} index Column index.
 * @property {'ascending'|'descending'} direction
 */

/**
 * The results grid: a virtual table with a sticky header whose column headers sort the rows.
 */
export class ResultsGrid {
  /**
   * @param {HTMLElement} table The `role="table"` element, containing `.grid-head .grid-row`,
   *   `.grid-body` and `.grid-window`. Its parent is the element that scrolls.
   * @param {object} [options]
   * @param {(header: string, direction: 'ascending'|'descending') => void} [options.onSort]
   *   Called after the rows are in the new order, for example to announce it.
   * @param {(header: string) => void} [options.onSortStart] Called when a sort starts, because
   *   100,000 rows take a noticeable moment.
   */
  constructor(table, options = {}) {
    this.table = table;
    /** @type {(() => void)|null} Called once, by the next render that puts rows on screen. */
    this.onFirstRows = null;
    this.scroller = table.parentElement;
    this.head = table.querySelector('.grid-head');
    this.headRow = table.querySelector('.grid-head .grid-row');
    this.body = table.querySelector('.grid-body');
    this.window = table.querySelector('.grid-window');
    this.onSort = options.onSort ?? (() => {});
    this.onSortStart = options.onSortStart ?? (() => {});

    /** @type {import('./api.js').Column[]} */
    this.columns = [];
    /** @type {number[]} Width of each column in pixels. */
    this.widths = [];
    /** Whether the widths were measured from rows rather than from headers alone. */
    this.widthsFromRows = false;
    /** Increases whenever the columns or their widths change, so rendered rows know to rebuild their cells. */
    this.columnsVersion = 0;

    /** @type {unknown[][]} Rows in the order they arrived. */
    this.rows = [];
    /**
     * Display order of the first `order.length` rows, or null for arrival order.
     * Rows past its end show after it in arrival order, which happens only while a sort runs.
     * @type {Uint32Array|null}
     */
    this.order = null;
    /** @type {SortState|null} The sort that `order` follows. */
    this.sort = null;
    /** @type {{index: number, kind: string, keys: (number|string|null)[]}|null} Sort keys of one column. */
    this.sortKeys = null;
    /** @type {{cancelled: boolean}|null} The sort in progress. */
    this.sortJob = null;

    /** @type {Map<number, {element: HTMLElement, rowIndex: number, version: number}>} Rendered rows by display index. */
    this.rendered = new Map();
    this.frame = 0;
    this.fallbackTimer = 0;
    /** Row count that the body height and `aria-rowcount` show. */
    this.sizedRowCount = -1;
    /** Heights of the scroller's inside and of the header row, kept by a ResizeObserver so `render` need not force a layout to read them. */
    this.viewportHeight = 0;
    this.headHeight = 0;

    this.table.style.setProperty('--grid-row-height', `${ROW_HEIGHT}px`);
    this.scroller.addEventListener('scroll', () => this.scheduleRender(), { passive: true });
    const resizeObserver = new ResizeObserver(() => {
      this.viewportHeight = this.scroller.clientHeight;
      this.headHeight = this.head.offsetHeight;
      this.scheduleRender();
    });
    resizeObserver.observe(this.scroller);
    resizeObserver.observe(this.head);
    this.window.addEventListener('mouseover', (event) => this.showTooltip(event));
  }

  /** Number of rows received. */
  get rowCount() {
    return this.rows.length;
  }

  /**
   * Shows new data, in the order given, with no column sorted.
   * @param {import('./api.js').Column[]} columns
   * @param {unknown[][]} rows One array per row, cells in column order.
   */
  setData(columns, rows) {
    this.clear();
    this.setColumns(columns);
    this.appendRows(rows);
  }

  /**
   * Shows dates in the given time zone from now on, redrawing the rows on screen.
   * @param {import('./api.js').TimeZoneInfo} timeZone
   */
  setTimeZone(timeZone) {
    const offsetMs = timeZone.offsetMinutes * 60_000;
    if (offsetMs === zone.offsetMs && timeZone.label === zone.label) {
      return;
    }
    zone.offsetMs = offsetMs;
    zone.label = timeZone.label;
    this.columnsVersion += 1;
    this.forgetRenderedRows();
    this.scheduleRender();
  }

  /** Removes every column and row and scrolls back to the top. */
  clear() {
    this.cancelSortJob();
    this.columns = [];
    this.widths = [];
    this.widthsFromRows = false;
    this.rows = [];
    this.order = null;
    this.sort = null;
    this.sortKeys = null;

    this.headRow.replaceChildren();
    this.window.replaceChildren();
    this.rendered.clear();
    this.applyWidths();
    this.scroller.scrollTop = 0;
    this.scroller.scrollLeft = 0;
    this.scheduleRender();
  }

  /**
   * Sets the full column list. Columns the grid already has keep their place
   * and width; new ones are added at the end. Rows shorter than the list show
   * empty cells at the end.
   * @param {import('./api.js').Column[]} columns
   */
  setColumns(columns) {
    const previous = this.columns;
    this.columns = columns.slice();

    for (let index = 0; index < this.columns.length; index += 1) {
      const column = this.columns[index];
      const old = previous[index];
      if (old && old.header === column.header && old.kind === column.kind) {
        continue;
      }
      this.widths[index] = this.measureColumn(index);
      this.headerCell(index).dataset.kind = column.kind;
      this.headerCell(index).querySelector('.sort-label').textContent = column.header;
      if (old && old.kind !== column.kind && this.sortKeys?.index === index) {
        this.sortKeys = null;
      }
    }
    while (this.headRow.children.length > this.columns.length) {
      this.headRow.lastElementChild.remove();
    }
    this.widths.length = this.columns.length;

    this.applyWidths();
    this.table.setAttribute('aria-colcount', String(this.columns.length));
    this.scheduleRender();

    // A column that changed kind sorts differently now.
    const sort = this.sortJob ? null : this.sort;
    if (sort && this.sortKeys === null && sort.index < this.columns.length) {
      this.sortBy(sort.index, sort.direction);
    }
  }

  /**
   * Adds rows after the ones already received. Only the rows in view are
   * rendered, on the next animation frame. While a column is sorted, the new
   * rows are placed at their sorted positions.
   * @param {unknown[][]} rows
   */
  appendRows(rows) {
    if (rows.length === 0) {
      return;
    }
    const start = this.rows.length;
    for (const row of rows) {
      this.rows.push(row);
    }

    if (!this.widthsFromRows) {
      this.widthsFromRows = true;
      this.widths = this.columns.map((_, index) => this.measureColumn(index));
      this.applyWidths();
    }
    if (this.sort && !this.sortJob) {
      this.insertSorted(start, this.rows.length);
    }
    this.scheduleRender();
  }

  /**
   * Sorts by one column. Empty cells stay last in both directions, and equal
   * cells keep their arrival order. A large sort runs in slices so the page
   * stays responsive. A new sort or `clear` abandons the one in progress.
   * @param {number} index Column index.
   * @param {'ascending'|'descending'} direction
   * @returns {Promise<boolean>} Resolves with true once the rows are in the new order,
   *   or false when the sort was abandoned.
   */
  sortBy(index, direction) {
    this.cancelSortJob();
    const job = { cancelled: false };
    this.sortJob = job;
    const column = this.columns[index];
    this.showSortState(index, direction);
    this.table.setAttribute('aria-busy', 'true');
    this.onSortStart(column.header);

    const rowCount = this.rows.length;
    const compare = () => rowComparator(this.sortKeys.keys, direction === 'ascending' ? 1 : -1);
    let sorter = null;
    return new Promise((resolve) => {
      const runSlice = () => {
        if (job.cancelled) {
          resolve(false);
          return;
        }
        const deadline = performance.now() + SORT_SLICE_MS;
        if (!this.extendSortKeys(index, rowCount, deadline)) {
          setTimeout(runSlice, 0);
          return;
        }
        if (sorter === null) {
          const order = new Uint32Array(rowCount);
          for (let i = 0; i < rowCount; i += 1) {
            order[i] = i;
          }
          sorter = new SlicedSort(order, compare());
        }
        if (!sorter.run(deadline)) {
          setTimeout(runSlice, 0);
          return;
        }

        this.sortJob = null;
        this.table.removeAttribute('aria-busy');
        this.order = sorter.result;
        this.sort = { index, direction };
        // Rows that arrived while the sort ran go to their places now.
        this.insertSorted(rowCount, this.rows.length);
        this.forgetRenderedRows();
        this.scroller.scrollTop = 0;
        this.scheduleRender();
        this.onSort(column.header, direction);
        resolve(true);
      };
      runSlice();
    });
  }

  /**
   * Makes sure `sortKeys` belongs to column `index` and covers the first `rowCount` rows.
   * @param {number} [deadline] A `performance.now()` time at which to stop early.
   * @returns {boolean} True when the keys are complete.
   */
  extendSortKeys(index, rowCount, deadline = Infinity) {
    const kind = this.columns[index].kind;
    if (this.sortKeys?.index !== index || this.sortKeys.kind !== kind) {
      // Keys of one column at a time, because text keys cost as much memory as the text.
      this.sortKeys = { index, kind, keys: [] };
    }
    const { keys } = this.sortKeys;
    while (keys.length < rowCount) {
      const end = Math.min(rowCount, keys.length + SORT_STEP);
      for (let row = keys.length; row < end; row += 1) {
        keys.push(sortKey(this.rows[row][index], kind));
      }
      if (keys.length < rowCount && performance.now() >= deadline) {
        return false;
      }
    }
    return true;
  }

  /** Places rows `from` to `to` (exclusive), which arrived after the sort, at their sorted positions. */
  insertSorted(from, to) {
    if (from >= to || !this.sort) {
      return;
    }
    const { index, direction } = this.sort;
    this.extendSortKeys(index, to);
    const compare = rowComparator(this.sortKeys.keys, direction === 'ascending' ? 1 : -1);
    const added = new Uint32Array(to - from);
    for (let i = 0; i < added.length; i += 1) {
      added[i] = from + i;
    }
    added.sort(compare);

    // Merge by binary search: each added row needs about log2(n) comparisons,
    // and the existing order is copied in blocks.
    const old = this.order;
    const merged = new Uint32Array(old.length + added.length);
    let read = 0;
    let write = 0;
    for (const row of added) {
      const position = upperBound(old, read, row, compare);
      merged.set(old.subarray(read, position), write);
      write += position - read;
      read = position;
      merged[write] = row;
      write += 1;
    }
    merged.set(old.subarray(read), write);
    this.order = merged;
    this.forgetRenderedRows();
  }

  cancelSortJob() {
    if (this.sortJob) {
      this.sortJob.cancelled = true;
      this.sortJob = null;
      this.table.removeAttribute('aria-busy');
      this.showSortState(this.sort?.index ?? -1, this.sort?.direction);
    }
  }

  /** Returns the header cell of a column, creating the cells up to it when missing. */
  headerCell(index) {
    while (this.headRow.children.length <= index) {
      const columnIndex = this.headRow.children.length;
      const cell = document.createElement('div');
      cell.className = 'grid-header-cell';
      cell.setAttribute('role', 'columnheader');

      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'sort-button';
      const label = document.createElement('span');
      label.className = 'sort-label';
      const arrow = document.createElement('span');
      arrow.className = 'sort-arrow';
      arrow.setAttribute('aria-hidden', 'true');
      button.append(label, arrow);
      button.addEventListener('click', () => {
        const current = cell.getAttribute('aria-sort');
        this.sortBy(columnIndex, current === 'ascending' ? 'descending' : 'ascending');
      });

      cell.append(button);
      this.headRow.append(cell);
    }
    return this.headRow.children[index];
  }

  /** Shows the sort arrow and `aria-sort` on one header, or on none when `index` is -1. */
  showSortState(index, direction) {
    Array.from(this.headRow.children).forEach((cell, position) => {
      const sorted = position === index ? direction : null;
      if (sorted) {
        cell.setAttribute('aria-sort', sorted);
      } else {
        cell.removeAttribute('aria-sort');
      }
      cell.querySelector('.sort-arrow').textContent = sorted ? SORT_ARROWS[sorted] : '';
    });
  }

  /**
   * Returns a width for a column that fits its header and most of its values,
   * measured on the first and last rows received.
   */
  measureColumn(index) {
    const column = this.columns[index];
    const context = this.measuringContext();
    context.font = this.headerFont;
    let width = context.measureText(column.header).width + HEADER_EXTRA;

    context.font = this.cellFont;
    const sample = this.rows.length <= 2 * WIDTH_SAMPLE_ROWS
      ? this.rows
      : [...this.rows.slice(0, WIDTH_SAMPLE_ROWS), ...this.rows.slice(-WIDTH_SAMPLE_ROWS)];
    let widest = 0;
    for (const row of sample) {
      const text = formatCell(row[index], column.kind);
      if (text !== '') {
        widest = Math.max(widest, context.measureText(text).width);
        if (widest >= MAX_COLUMN_WIDTH) {
          break;
        }
      }
    }
    // Later rows are not measured, so leave room for somewhat longer values.
    width = Math.max(width, widest * WIDTH_HEADROOM + CELL_PADDING);
    return Math.ceil(Math.min(MAX_COLUMN_WIDTH, Math.max(MIN_COLUMN_WIDTH, width)));
  }

  measuringContext() {
    if (!this.context) {
      this.context = document.createElement('canvas').getContext('2d');
      const style = getComputedStyle(this.table);
      this.cellFont = `${style.fontSize} ${style.fontFamily}`;
      this.headerFont = `600 ${this.cellFont}`;
    }
    return this.context;
  }

  /**
   * Gives the header cells and the table their widths. Rendered rows take the
   * new widths when they are next filled. Rows are flex boxes with fixed-width
   * cells, because in Chromium that laid out about twice as fast as a CSS grid
   * row with the same tracks.
   */
  applyWidths() {
    this.columnsVersion += 1;
    this.widths.forEach((width, index) => {
      this.headRow.children[index].style.width = `${width}px`;
    });
    const total = this.widths.reduce((sum, width) => sum + width, 0);
    this.table.style.width = total > 0 ? `${total}px` : '';
  }

  /**
   * Renders on the next animation frame, or after RENDER_FALLBACK_MS when no
   * frame comes: WebKitGTK sends no animation frames to a window that it does
   * not consider visible, such as one on a virtual display.
   */
  scheduleRender() {
    if (this.frame !== 0) {
      return;
    }
    const run = () => {
      if (this.frame === 0) {
        return;
      }
      cancelAnimationFrame(this.frame);
      clearTimeout(this.fallbackTimer);
      this.frame = 0;
      this.render();
    };
    this.frame = requestAnimationFrame(run);
    this.fallbackTimer = setTimeout(run, RENDER_FALLBACK_MS);
  }

  /** Makes every rendered row refill its cells on the next render, after the order changed. */
  forgetRenderedRows() {
    for (const entry of this.rendered.values()) {
      entry.rowIndex = -1;
    }
  }

  /** Returns the arrival index of the row shown at a display position. */
  rowIndexAt(position) {
    return this.order && position < this.order.length ? this.order[position] : position;
  }

  /** Renders the rows in view and updates the body height. `scheduleRender` calls it once per animation frame at most. */
  render() {
    const count = this.rows.length;
    const totalHeight = count * ROW_HEIGHT;
    const bodyHeight = Math.min(totalHeight, MAX_BODY_HEIGHT);
    if (this.sizedRowCount !== count) {
      this.sizedRowCount = count;
      this.body.style.height = `${bodyHeight}px`;
      this.table.setAttribute('aria-rowcount', String(count + 1));
    }

    // Map the scroll position to a row. Below MAX_BODY_HEIGHT the ratio is 1.
    if (this.viewportHeight === 0) {
      // The observer has not reported a size yet (it reports with animation
      // frames, which a window on a virtual display may not get), so measure once.
      this.viewportHeight = this.scroller.clientHeight;
      this.headHeight = this.head.offsetHeight;
    }
    const view = Math.max(0, this.viewportHeight - this.headHeight);
    const scrollRange = Math.max(0, bodyHeight - view);
    const scrollTop = Math.min(this.scroller.scrollTop, scrollRange);
    const ratio = scrollRange > 0 ? Math.max(0, totalHeight - view) / scrollRange : 0;
    const virtualTop = scrollTop * ratio;
    const firstVisible = Math.min(Math.floor(virtualTop / ROW_HEIGHT), Math.max(0, count - 1));
    const start = Math.max(0, firstVisible - BUFFER_ROWS);
    const end = Math.min(count, firstVisible + Math.ceil(view / ROW_HEIGHT) + 1 + BUFFER_ROWS);
    const windowTop = scrollTop - (virtualTop - firstVisible * ROW_HEIGHT) - (firstVisible - start) * ROW_HEIGHT;

    // Keep the rows still in range and recycle the others for the new positions.
    // Recycled rows leave the DOM first, so the kept rows stay where they are.
    // Moving a node makes the browser style and lay it out again.
    const keptRows = new Map();
    const free = [];
    for (const [position, entry] of this.rendered) {
      if (position >= start && position < end) {
        keptRows.set(position, entry);
      } else {
        entry.element.remove();
        free.push(entry);
      }
    }

    let previous = null;
    for (let position = start; position < end; position += 1) {
      let entry = keptRows.get(position);
      if (!entry) {
        entry = free.pop() ?? { element: this.createRow(), rowIndex: -1, version: -1 };
        entry.rowIndex = -1;
        keptRows.set(position, entry);
      }
      const rowIndex = this.rowIndexAt(position);
      if (entry.rowIndex !== rowIndex || entry.version !== this.columnsVersion) {
        this.fillRow(entry, position, rowIndex);
      }

      // Keep the DOM in display order, so screen readers read the rows in order.
      const expected = previous ? previous.nextSibling : this.window.firstChild;
      if (entry.element !== expected) {
        this.window.insertBefore(entry.element, expected);
      }
      previous = entry.element;
    }
    this.rendered = keptRows;
    this.window.style.transform = `translateY(${windowTop}px)`;
    if (this.onFirstRows && keptRows.size > 0) {
      const notify = this.onFirstRows;
      this.onFirstRows = null;
      notify();
    }
  }

  createRow() {
    const element = document.createElement('div');
    element.className = 'grid-row';
    element.setAttribute('role', 'row');
    return element;
  }

  /** Fills a rendered row with the cells of row `rowIndex`, shown at display `position`. */
  fillRow(entry, position, rowIndex) {
    const { element } = entry;
    const values = this.rows[rowIndex];

    if (entry.version !== this.columnsVersion) {
      while (element.children.length < this.columns.length) {
        const cell = document.createElement('div');
        cell.className = 'grid-cell';
        cell.setAttribute('role', 'cell');
        element.append(cell);
      }
      while (element.children.length > this.columns.length) {
        element.lastElementChild.remove();
      }
      this.columns.forEach((column, index) => {
        const cell = element.children[index];
        cell.dataset.kind = column.kind;
        cell.style.width = `${this.widths[index]}px`;
      });
      entry.version = this.columnsVersion;
    }

    element.setAttribute('aria-rowindex', String(position + 2));
    element.classList.toggle('grid-row-alternate', position % 2 === 1);
    element.dataset.row = String(rowIndex);
    for (let index = 0; index < this.columns.length; index += 1) {
      const cell = element.children[index];
      const text = formatCell(values[index], this.columns[index].kind);
      if (cell.textContent !== text) {
        cell.textContent = text;
      }
      cell.removeAttribute('title');
    }
    entry.rowIndex = rowIndex;
  }

  /** Gives a cell a tooltip on hover: the full date, or the full text when the cell cuts it off. */
  showTooltip(event) {
    const cell = event.target instanceof Element ? event.target.closest('.grid-cell') : null;
    if (!cell || cell.hasAttribute('title')) {
      return;
    }
    const row = this.rows[Number(cell.parentElement.dataset.row)];
    const index = Array.prototype.indexOf.call(cell.parentElement.children, cell);
    const column = this.columns[index];
    if (!row || !column || cell.textContent === '') {
      return;
    }

    if (column.kind === 'datetime') {
      const date = wallClockDate(row[index]);
      cell.title = date === null ? cell.textContent : `${fullDateFormat.format(date)} (${zone.label})`;
    } else if (cell.scrollWidth > cell.clientWidth) {
      cell.title = cell.textContent;
    }
  }
}
