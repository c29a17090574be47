// A list input made of "chips": the user types a value and presses Enter or a
// comma to add it, and each chip has its own remove button. Pasting several
// values separated by commas or line breaks adds them all. The container
// markup is
//   <div class="chip-input"><ul class="chip-list"></ul><input type="text"></div>
// and the input keeps its id, label and aria-describedby from the page.
// A chip may show a label in place of its value, so a picker can show a
// person's name while the request carries the person's ID.

/** Splits pasted or typed text into values at line breaks, and at commas unless `keepCommas` is set. */
function splitValues(text, keepCommas) {
  return text
    .split(keepCommas ? /[\r\n]+/ : /[,\r\n]+/)
    .map((value) => value.trim())
    .filter((value) => value !== '');
}

/**
 * A chip list bound to one `.chip-input` container.
 */
export class ChipInput {
  /**
   * @param {HTMLElement} container The `.chip-input` element.
   * @param {object} [options]
   * @param {string} [options.label] Field name used in the remove buttons' labels, for example "Tier".
   *   Defaults to the text of the input's `<label>`.
   * @param {boolean} [options.keepCommas] Treat commas as part of a value, for lists such as
   *   company names ("Acme, Inc."). Enter and line breaks in pasted text still separate values.
   * @param {() => void} [options.onChange] Called after a chip is added or removed.
   * @param {boolean} [options.freeText] Whether typed text becomes chips. Pickers turn it off, because
   *   there the text is a search and only a chosen entry becomes a chip. Defaults to true.
   */
  constructor(container, options = {}) {
    this.container = container;
    this.list = container.querySelector('.chip-list');
    this.input = container.querySelector('input');
    this.label = options.label ?? this.input.labels?.[0]?.textContent.trim() ?? 'list';
    this.keepCommas = options.keepCommas ?? false;
    this.onChange = options.onChange ?? (() => {});
    this.freeText = options.freeText ?? true;
    /** @type {string[]} */
    this.items = [];
    /** @type {Map<string, string>} Labels shown in place of values, by value. */
    this.labels = new Map();

    this.input.addEventListener('keydown', (event) => this.handleKeydown(event));
    this.input.addEventListener('input', () => this.handleInput());
    this.input.addEventListener('paste', (event) => this.handlePaste(event));
    this.input.addEventListener('blur', () => this.commitPending());

    // A click on the empty part of the box focuses the text field, as in a plain input.
    container.addEventListener('click', (event) => {
      if (event.target === container || event.target === this.list) {
        this.input.focus();
      }
    });
  }

  /**
   * Returns the values, including text typed but not yet turned into a chip.
   * @returns {string[]}
   */
  values() {
    if (!this.freeText) {
      return [...this.items];
    }
    const pending = splitValues(this.input.value, this.keepCommas).filter((value) => !this.items.includes(value));
    return [...this.items, ...pending];
  }

  /**
   * Returns the labels of chips that show one in place of their value.
   * @returns {Record<string, string>}
   */
  labelsByValue() {
    return Object.fromEntries(this.items.filter((value) => this.labels.has(value))
      .map((value) => [value, this.labels.get(value)]));
  }

  /**
   * Replaces every chip with `values` and empties the text field.
   * @param {(string|{value: string, label: string})[]} values
   */
  setValues(values) {
    this.items = [];
    this.labels.clear();
    this.input.value = '';
    this.list.replaceChildren();
    this.add(values);
    this.list.hidden = this.items.length === 0;
  }

  /** Removes every chip and empties the text field. */
  clear() {
    this.setValues([]);
  }

  /**
   * Adds values as chips, skipping empty ones and ones already present.
   * An entry given as `{value, label}` shows its label.
   * @param {(string|{value: string, label: string})[]} values
   * @returns {number} How many chips were added.
   */
  add(values) {
    let added = 0;
    for (const entry of values) {
      const trimmed = (typeof entry === 'string' ? entry : entry.value).trim();
      if (typeof entry !== 'string' && entry.label && entry.label !== trimmed) {
        this.labels.set(trimmed, entry.label);
      }
      if (trimmed !== '' && !this.items.includes(trimmed)) {
        this.items.push(trimmed);
        // Appending instead of redrawing keeps existing remove buttons alive, so a click
        // that blurs the field (and so adds its text) still lands on the button.
        this.list.append(this.createChip(trimmed));
        added += 1;
      }
    }
    this.list.hidden = this.items.length === 0;
    if (added > 0) {
      this.onChange();
    }
    return added;
  }

  /** Turns the text in the field into chips, unless typed text is only a search. */
  commitPending() {
    if (!this.freeText) {
      return;
    }
    const values = splitValues(this.input.value, this.keepCommas);
    this.input.value = '';
    if (values.length > 0) {
      this.add(values);
    }
  }

  handleKeydown(event) {
    if (!this.freeText) {
      return;
    }
    // Enter in an empty field falls through, so it submits the form as usual.
    if (event.key === 'Enter' && this.input.value.trim() !== '') {
      event.preventDefault();
      this.commitPending();
    } else if (event.key === ',' && !this.keepCommas) {
      event.preventDefault();
      this.commitPending();
    }
  }

  // Covers commas that arrive without a key press, such as from autofill or an input method.
  handleInput() {
    if (!this.freeText || this.keepCommas || !this.input.value.includes(',')) {
      return;
    }
    const parts = this.input.value.split(',');
    const rest = parts.pop();
    this.add(parts);
    this.input.value = rest.trimStart();
  }

  handlePaste(event) {
    const text = event.clipboardData?.getData('text') ?? '';
    if (!this.freeText || !(this.keepCommas ? /[\r\n]/ : /[,\r\n]/).test(text)) {
      return;
    }
    event.preventDefault();
    this.add([...splitValues(this.input.value, this.keepCommas), ...splitValues(text, this.keepCommas)]);
    this.input.value = '';
  }

  remove(value) {
    const index = this.items.indexOf(value);
    if (index === -1) {
      return;
    }
    this.items.splice(index, 1);
    this.labels.delete(value);
    this.list.children[index].remove();
    this.list.hidden = this.items.length === 0;
    this.onChange();

    // Keep keyboard focus in the list. It goes to the chip that moved into this place, else the one before, else the field.
    const buttons = this.list.querySelectorAll('button');
    const next = buttons[index] ?? buttons[index - 1];
    (next ?? this.input).focus();
  }

  createChip(value) {
    const chip = document.createElement('li');
    chip.className = 'chip';

    const shown = this.labels.get(value) ?? value;
    const text = document.createElement('span');
    text.className = 'chip-text';
    text.textContent = shown;
    text.title = shown;

    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'chip-remove';
    remove.setAttribute('aria-label', `Remove ${shown} from ${this.label}`);
    remove.textContent = '×';
    remove.addEventListener('click', () => this.remove(value));

    chip.append(text, remove);
    return chip;
  }
}
