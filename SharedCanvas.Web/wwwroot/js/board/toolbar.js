// The toolbar, the style of what is drawn next (or of the selection), and keyboard shortcuts.

/** The palette, each colour with the name a screen reader says (and a tooltip shows). */
export const PALETTE = [
  ['#1e1e1e', 'Black'], ['#e03131', 'Red'], ['#f08c00', 'Orange'], ['#fab005', 'Yellow'], ['#2f9e44', 'Green'],
  ['#1971c2', 'Blue'], ['#7048e8', 'Violet'], ['#c2255c', 'Pink'], ['#868e96', 'Grey'], ['#ffffff', 'White'],
];
const TEXT_SIZES = { 2: 16, 4: 24, 8: 36, 16: 56 };

const SHORTCUTS = {
  v: 'select', h: 'hand', p: 'pen', m: 'highlighter', l: 'line', a: 'arrow', r: 'rect', o: 'ellipse', t: 'text', e: 'eraser',
};

/** A button or menu summary: with one focused, Space and Enter press it, as everywhere else. */
function isControl(target) {
  return target instanceof HTMLButtonElement || (target instanceof HTMLElement && target.tagName === 'SUMMARY');
}

export class Toolbar {
  constructor(root, app) {
    this.root = root;
    this.app = app;
    this.buttons = [...root.querySelectorAll('[data-tool]')];

    for (const button of this.buttons) button.addEventListener('click', () => app.selectTool(button.dataset.tool));
    // A button clicked with a pointer gives the focus back, so that holding Space pans the board afterwards;
    // a button reached with the keyboard (a click of detail 0) keeps it, and Space presses it again.
    root.addEventListener('click', event => {
      const control = event.target instanceof Element ? event.target.closest('button, summary') : null;
      if (control && event.detail > 0) control.blur();
    });

    const swatches = root.querySelector('.swatches');
    if (swatches) {
      for (const [colour, name] of PALETTE) {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'swatch';
        button.dataset.colour = colour;
        button.style.background = colour;
        button.setAttribute('aria-label', name);
        button.title = `${name} (${colour})`;
        button.addEventListener('click', () => this.setStyle({ color: colour }));
        swatches.append(button);
      }
    }
    root.querySelector('#colour')?.addEventListener('input', event => this.setStyle({ color: event.target.value }));
    for (const button of root.querySelectorAll('[data-width]')) {
      button.addEventListener('click', () => this.setStyle({ width: Number(button.dataset.width) }));
    }
    root.querySelector('#fill')?.addEventListener('click', () => this.setStyle({ fill: !app.style.fill }));
    root.querySelector('#opacity')?.addEventListener('input', event => this.setStyle({ opacity: Number(event.target.value) / 100 }));
    root.querySelector('#undo')?.addEventListener('click', () => app.history.undo());
    root.querySelector('#redo')?.addEventListener('click', () => app.history.redo());
    root.querySelector('#delete')?.addEventListener('click', () => app.deleteSelection());
    root.querySelector('#clear')?.addEventListener('click', () => app.clearBoard());
    root.querySelector('#zoom-in').addEventListener('click', () => app.viewport.zoomCentre(1.25));
    root.querySelector('#zoom-out').addEventListener('click', () => app.viewport.zoomCentre(0.8));
    root.querySelector('#zoom-reset').addEventListener('click', () => app.viewport.zoomCentre(1 / app.viewport.scale));
    root.querySelector('#zoom-fit').addEventListener('click', () => app.fitToContent());
    app.viewport.addEventListener('change', () => {
      root.querySelector('#zoom-reset').textContent = `${Math.round(app.viewport.scale * 100)} %`;
    });
    app.history.addEventListener('change', () => this.refreshActions());

    document.addEventListener('keydown', event => this.onKey(event));
    document.addEventListener('keyup', event => {
      if (event.code === 'Space') app.setSpaceHeld(false);
    });
    this.refreshStyle();
  }

  /** Changes the style of what is drawn next, and of the selected elements. */
  setStyle(change) {
    const { style } = this.app;
    Object.assign(style, change);
    if ('width' in change) style.textSize = TEXT_SIZES[change.width] ?? style.textSize;
    this.app.restyleSelection(change);
    this.refreshStyle();
  }

  refreshStyle() {
    const { style } = this.app;
    for (const swatch of this.root.querySelectorAll('.swatch')) swatch.setAttribute('aria-pressed', String(swatch.dataset.colour === style.color));
    const custom = this.root.querySelector('#colour');
    if (custom) custom.value = style.color;
    for (const button of this.root.querySelectorAll('[data-width]')) button.setAttribute('aria-pressed', String(Number(button.dataset.width) === style.width));
    this.root.querySelector('#fill')?.setAttribute('aria-pressed', String(style.fill));
    const opacity = this.root.querySelector('#opacity');
    if (opacity) opacity.value = String(Math.round(style.opacity * 100));
  }

  refreshTool(name) {
    for (const button of this.buttons) {
      const active = button.dataset.tool === name;
      button.classList.toggle('active', active);
      button.setAttribute('aria-pressed', String(active));
    }
  }

  refreshActions() {
    const { history } = this.app;
    const undo = this.root.querySelector('#undo'), redo = this.root.querySelector('#redo'), del = this.root.querySelector('#delete');
    if (undo) undo.disabled = !history.canUndo;
    if (redo) redo.disabled = !history.canRedo;
    if (del) del.disabled = this.app.renderer.preview.selection.size === 0;
  }

  onKey(event) {
    const target = event.target;
    if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target?.isContentEditable) return;
    const app = this.app;
    const key = event.key.toLowerCase();
    const mod = event.ctrlKey || event.metaKey;
    if (event.code === 'Space' && isControl(target)) return; // Space presses the focused button
    if (event.code === 'Space') {
      app.setSpaceHeld(true);
      event.preventDefault();
      return;
    }
    if (mod && (key === 'z' || key === 'y') && !app.canEdit) return; // a viewer, or access gone: nothing to undo
    if (mod && key === 'a' && app.canEdit) {
      event.preventDefault();
      app.selectAll();
      return;
    }
    if (mod && key === 'z') {
      event.preventDefault();
      if (event.shiftKey) app.history.redo();
      else app.history.undo();
      return;
    }
    if (mod && key === 'y') {
      event.preventDefault();
      app.history.redo();
      return;
    }
    if (mod || event.altKey) return;
    if (key === 'delete' || key === 'backspace') {
      event.preventDefault();
      app.deleteSelection();
    } else if (key === 'escape') {
      app.clearSelection();
      app.stopFollowing?.();
    } else if (key === '+' || key === '=') {
      app.viewport.zoomCentre(1.25);
    } else if (key === '-') {
      app.viewport.zoomCentre(0.8);
    } else if (key === '0') {
      app.viewport.zoomCentre(1 / app.viewport.scale);
    } else if (event.shiftKey && event.code === 'Digit1') {
      app.fitToContent();
    } else if (['1', '2', '3', '4'].includes(key) && app.canEdit) {
      this.setStyle({ width: [2, 4, 8, 16][Number(key) - 1] });
    } else if (key === 'f' && app.canEdit) {
      this.setStyle({ fill: !app.style.fill });
    } else if (SHORTCUTS[key] && (app.canEdit || SHORTCUTS[key] === 'hand')) {
      app.selectTool(SHORTCUTS[key]);
    }
  }
}
