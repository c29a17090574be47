// Type-ahead pickers: a combobox on top of a chip list. Typing searches,
// the matches appear in a list below the field, and choosing one adds a chip
// that shows the name while the request carries the ID. The list follows the
// ARIA combobox pattern: arrow keys move through the matches, Enter chooses,
// Escape closes, and a live region announces how many matches there are.

/** Wait after the last key press before searching, in milliseconds. */
const SEARCH_DELAY_MS = 150;

/** Most matches listed at once. */
const MAX_SHOWN = 20;

/**
 * @typedef {object} PickerEntry
 * @property {string} value What the request carries, such as a user ID.
 * @property {string} label What the chip and the list show, such as a person's name.
 * @property {string} [detail] Second line in the list, such as an email address.
 * @property {string} [chip] Text of the chip once chosen, when it differs from `label`.
 */

/**
 * Lowercases text and removes accents, so "bjorn" finds "Björn".
 * @param {string} text
 * @returns {string}
 */
export function fold(text) {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}

/**
 * Returns a search over a fixed list: entries whose label contains every word of the query.
 * @param {PickerEntry[]} entries
 * @returns {(query: string) => Promise<PickerEntry[]>}
 */
export function localSearch(entries) {
  return async (query) => {
    const words = fold(query).split(/\s+/).filter((word) => word !== '');
    return entries.filter((entry) => {
      const haystack = fold(`${entry.label} ${entry.detail ?? ''}`);
      return words.every((word) => haystack.includes(word));
    });
  };
}

/**
 * A combobox that adds chosen entries to a ChipInput.
 */
export class Picker {
  /**
   * @param {import('./chips.js').ChipInput} chips The chip list; its input becomes the combobox.
   * @param {object} options
   * @param {(query: string) => Promise<PickerEntry[]>} options.search Finds entries for the typed text.
   * @param {string} options.noun Plural noun for announcements, such as "users".
   * @param {(message: string) => void} [options.onError] Shows a failed search next to the field.
   */
  constructor(chips, { search, noun, onError }) {
    this.chips = chips;
    this.input = chips.input;
    this.search = search;
    this.noun = noun;
    this.onError = onError ?? (() => {});
    /** @type {PickerEntry[]} */
    this.shown = [];
    this.active = -1;
    this.searchNumber = 0;
    this.timer = null;
    /** Folded text of an Enter pressed before its matches arrived, or null. */
    this.exactQuery = null;

    const field = chips.container.closest('.field');
    this.listbox = field.querySelector('[role="listbox"]');
    this.status = field.querySelector('.picker-status');

    chips.freeText = false;
    this.input.setAttribute('role', 'combobox');
    this.input.setAttribute('aria-autocomplete', 'list');
    this.input.setAttribute('aria-expanded', 'false');
    this.input.setAttribute('aria-controls', this.listbox.id);

    this.input.addEventListener('input', () => this.scheduleSearch());
    this.input.addEventListener('keydown', (event) => this.handleKeydown(event));
    this.input.addEventListener('blur', () => this.close());
    // Pressing on an entry must not move focus out of the field before the click arrives.
    this.listbox.addEventListener('mousedown', (event) => event.preventDefault());
    this.listbox.addEventListener('click', (event) => {
      const option = event.target instanceof Element ? event.target.closest('[role="option"]') : null;
      if (option) {
        this.choose(Number(option.dataset.index));
      }
    });
  }

  /**
   * Replaces the search, for example once a fixed list has loaded.
   * @param {(query: string) => Promise<PickerEntry[]>} search
   */
  setSearch(search) {
    this.search = search;
  }

  /**
   * Lets typed text become a chip as it is, for lists that could not be loaded.
   * @param {boolean} allowed
   */
  allowFreeText(allowed) {
    this.chips.freeText = allowed;
  }

  scheduleSearch() {
    clearTimeout(this.timer);
    if (fold(this.input.value.trim()) !== this.exactQuery) {
      this.exactQuery = null;
    }
    if (this.input.value.trim() === '') {
      this.close();
      return;
    }
    this.timer = setTimeout(() => this.runSearch(), SEARCH_DELAY_MS);
  }

  /**
   * Searches for the typed text and lists the matches. After an Enter pressed before the matches
   * arrived, an entry whose label is exactly the typed text (ignoring case and accents) is added at
   * once, as when someone types a tier's full name and presses Enter.
   */
  async runSearch() {
    clearTimeout(this.timer);
    this.searchNumber += 1;
    const number = this.searchNumber;
    const query = this.input.value.trim();
    let found;
    try {
      found = await this.search(query);
    } catch (error) {
      if (number === this.searchNumber) {
        this.close();
        this.announce(`Could not search ${this.noun}.`);
        this.onError(error.message ?? String(error));
      }
      return;
    }
    // A slower, older search must not replace the list of a newer one.
    if (number !== this.searchNumber || document.activeElement !== this.input) {
      return;
    }
    const chosen = new Set(this.chips.values());
    const entries = found.filter((entry) => !chosen.has(entry.value)).slice(0, MAX_SHOWN);
    this.render(entries, query);
    if (this.exactQuery !== null && this.exactQuery === fold(query)) {
      this.exactQuery = null;
      const exact = entries.filter((entry) => fold(entry.label) === fold(query));
      if (exact.length === 1) {
        this.choose(entries.indexOf(exact[0]));
      }
    }
  }

  /**
   * Shows the matches, or a line saying there are none.
   * @param {PickerEntry[]} entries
   * @param {string} query
   */
  render(entries, query) {
    this.shown = entries;
    this.active = entries.length > 0 ? 0 : -1;
    this.listbox.replaceChildren(...entries.map((entry, index) => {
      const option = document.createElement('li');
      option.id = `${this.listbox.id}-${index}`;
      option.className = 'picker-option';
      option.setAttribute('role', 'option');
      option.dataset.index = String(index);
      const label = document.createElement('span');
      label.className = 'picker-option-label';
      label.textContent = entry.label;
      option.append(label);
      if (entry.detail) {
        const detail = document.createElement('span');
        detail.className = 'picker-option-detail';
        detail.textContent = entry.detail;
        option.append(detail);
      }
      return option;
    }));
    // The field is a flex column, so the list is placed under the chip box by hand.
    const box = this.chips.container;
    this.listbox.style.top = `${box.offsetTop + box.offsetHeight + 2}px`;
    this.listbox.hidden = entries.length === 0;
    this.input.setAttribute('aria-expanded', String(entries.length > 0));
    this.highlight();

    if (entries.length === 0) {
      this.announce(query === '' ? `No more ${this.noun} to add.` : `No ${this.noun} match “${query}”.`);
    } else {
      const count = entries.length === 1 ? `1 match` : `${entries.length} matches`;
      this.announce(`${count}. Use the up and down arrow keys, then Enter to add.`);
    }
  }

  highlight() {
    for (const option of this.listbox.children) {
      option.setAttribute('aria-selected', String(Number(option.dataset.index) === this.active));
    }
    const activeOption = this.listbox.children[this.active];
    if (activeOption) {
      this.input.setAttribute('aria-activedescendant', activeOption.id);
      activeOption.scrollIntoView({ block: 'nearest' });
    } else {
      this.input.removeAttribute('aria-activedescendant');
    }
  }

  get isOpen() {
    return !this.listbox.hidden;
  }

  close() {
    clearTimeout(this.timer);
    this.listbox.hidden = true;
    this.listbox.replaceChildren();
    this.shown = [];
    this.active = -1;
    this.input.setAttribute('aria-expanded', 'false');
    this.input.removeAttribute('aria-activedescendant');
  }

  /** Adds the entry at `index` of the list as a chip and clears the search. */
  choose(index) {
    const entry = this.shown[index];
    if (!entry) {
      return;
    }
    const chipText = entry.chip ?? entry.label;
    this.chips.add([{ value: entry.value, label: chipText }]);
    this.input.value = '';
    this.close();
    this.announce(`Added ${chipText}.`);
    this.input.focus();
  }

  handleKeydown(event) {
    switch (event.key) {
      case 'ArrowDown':
        event.preventDefault();
        if (this.isOpen) {
          this.active = Math.min(this.active + 1, this.shown.length - 1);
          this.highlight();
        } else {
          this.runSearch();
        }
        break;
      case 'ArrowUp':
        if (this.isOpen) {
          event.preventDefault();
          this.active = Math.max(this.active - 1, 0);
          this.highlight();
        }
        break;
      case 'Enter':
        if (this.isOpen && this.active >= 0) {
          event.preventDefault();
          this.choose(this.active);
        } else if (!this.chips.freeText && this.input.value.trim() !== '') {
          // Typed text is only a search here, so Enter must not submit the form with it.
          event.preventDefault();
          this.exactQuery = fold(this.input.value.trim());
          this.runSearch();
        }
        break;
      case 'Escape':
        if (this.isOpen) {
          event.preventDefault();
          event.stopPropagation();
          this.close();
        }
        break;
      default:
        break;
    }
  }

  announce(message) {
    if (this.status) {
      this.status.textContent = message;
    }
  }
}
