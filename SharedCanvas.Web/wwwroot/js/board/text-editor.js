// Typing text on the board: a textarea over the canvas, at the text's place and zoom.

import { FONT_FAMILY } from './geometry.js';

export class TextEditor {
  /** @param {HTMLTextAreaElement} textarea */
  constructor(textarea, app) {
    this.textarea = textarea;
    this.app = app;
    this.editing = null; // { id?, x, y, size, color, original }
    textarea.addEventListener('keydown', event => {
      event.stopPropagation();
      if (event.key === 'Escape' || (event.key === 'Enter' && (event.ctrlKey || event.metaKey))) {
        event.preventDefault();
        this.commit();
      }
    });
    textarea.addEventListener('input', () => this.fit());
    textarea.addEventListener('blur', () => this.commit());
    app.viewport.addEventListener('change', () => this.place());
  }

  create(x, y) {
    const { style } = this.app;
    this.open({ id: null, x, y, size: style.textSize, color: style.color, opacity: style.opacity, original: '' });
  }

  edit(el) {
    this.app.renderer.preview.editing = el.id;
    this.app.renderer.requestRender();
    this.open({ id: el.id, x: el.pts[0], y: el.pts[1], size: el.size ?? 24, color: el.color, opacity: el.opacity, original: el.text ?? '' });
  }

  open(editing) {
    if (this.editing) this.commit();
    this.editing = editing;
    this.textarea.value = editing.original;
    this.textarea.hidden = false;
    this.place();
    this.fit();
    requestAnimationFrame(() => this.textarea.focus());
  }

  place() {
    const editing = this.editing;
    if (!editing) return;
    const { x, y } = this.app.viewport.toCanvas(editing.x, editing.y);
    const scale = this.app.viewport.scale;
    Object.assign(this.textarea.style, {
      left: `${x}px`,
      top: `${y}px`,
      font: `${editing.size * scale}px ${FONT_FAMILY}`,
      lineHeight: '1.25',
      color: editing.color,
      opacity: String(editing.opacity),
    });
  }

  fit() {
    this.textarea.style.height = 'auto';
    this.textarea.style.width = 'auto';
    this.textarea.style.height = `${this.textarea.scrollHeight}px`;
    this.textarea.style.width = `${Math.max(40, this.textarea.scrollWidth + 8)}px`;
  }

  commit() {
    const editing = this.editing;
    if (!editing) return;
    this.editing = null;
    const text = this.textarea.value.replace(/\s+$/, '').slice(0, 10_000);
    this.textarea.hidden = true;
    this.app.renderer.preview.editing = null;
    const { connection, history } = this.app;
    const trace = connection.newTrace('edit text');
    if (editing.id === null) {
      if (text.length === 0) return;
      const id = this.app.nextElementId();
      connection.send({
        k: 'add',
        el: { id, t: 'text', color: editing.color, width: 1, opacity: editing.opacity, pts: [editing.x, editing.y], text, size: editing.size },
      }, trace);
      history.added([id]);
    } else if (text.length === 0) {
      const n = connection.send({ k: 'delete', ids: [editing.id] }, trace);
      history.deleted([editing.id], [n]);
    } else if (text !== editing.original) {
      connection.send({ k: 'update', id: editing.id, set: { text }, if: { text: editing.original } }, trace);
      history.restyled([{ id: editing.id, before: { text: editing.original }, after: { text } }]);
    }
    this.app.renderer.requestRender();
  }
}
