// The board page: wires the model, the connection, the view, the renderer, the tools, undo/redo,
// presence and export together.

import { BoardModel } from './model.js';
import { BoardConnection } from './connection.js';
import { Viewport } from './view.js';
import { Renderer } from './renderer.js';
import { History } from './history.js';
import { Presence } from './presence.js';
import { TextEditor } from './text-editor.js';
import { Toolbar } from './toolbar.js';
import { FreehandTool, ShapeTool, TextTool, EraserTool, HandTool } from './tools.js';
import { SelectTool } from './select-tool.js';
import { attachInput } from './input.js';
import { bounds, union } from './geometry.js';
import { exportJson, exportPng, exportSvg, download, importElements } from './export.js';
import { BoardTelemetry } from './telemetry.js';

const root = document.getElementById('board');
const canvas = document.getElementById('canvas');
const status = root.querySelector('[data-testid=connection-state]');
const boardId = root.dataset.boardId;
const boardName = root.dataset.boardName;
const role = root.dataset.role;

const model = new BoardModel();
const connection = new BoardConnection({ boardId, tokenUrl: root.dataset.tokenUrl, antiforgery: root.dataset.antiforgery, model });
const viewport = new Viewport(canvas);
const renderer = new Renderer(canvas, model, viewport);
const history = new History(connection);

// Browser telemetry, where the site names a collector (telemetry.js): the SDK loads beside the board.
BoardTelemetry.start(root, boardId).then(telemetry => {
  telemetry.user = model.me?.user ?? null;
  connection.telemetry = telemetry;
  renderer.onPainted = paintedAt => telemetry.painted(paintedAt);
  // Which of the dashboard's `browser-…` resources is this page (its spans, its glass-to-glass figures).
  const page = root.querySelector('[data-testid=diagnostics] .page');
  if (page && telemetry.resourceName) {
    page.textContent = telemetry.resourceName;
    page.closest('p').hidden = false;
  }
});

let elementCounter = 0;
const app = {
  model, connection, viewport, renderer, history,
  canEdit: role !== 'viewer',
  isOwner: role === 'owner',
  style: { color: '#1e1e1e', width: 4, opacity: 1, fill: false, textSize: 24 },
  spaceHeld: false,
  nextElementId: () => `${connection.client}-${Date.now().toString(36)}${(elementCounter++).toString(36)}`,
};
app.textEditor = new TextEditor(document.getElementById('text-editor'), app);

const tools = {
  select: new SelectTool(app),
  hand: new HandTool(app),
  pen: new FreehandTool(app, 'pen'),
  highlighter: new FreehandTool(app, 'highlighter'),
  line: new ShapeTool(app, 'line'),
  arrow: new ShapeTool(app, 'arrow'),
  rect: new ShapeTool(app, 'rect'),
  ellipse: new ShapeTool(app, 'ellipse'),
  text: new TextTool(app),
  eraser: new EraserTool(app),
};
let current = app.canEdit ? 'pen' : 'hand';

app.tool = () => (app.spaceHeld ? tools.hand : tools[current]);

app.selectTool = name => {
  if (!tools[name] || (!app.canEdit && name !== 'hand')) return;
  tools[current].cancel();
  if (name !== 'select') app.clearSelection();
  current = name;
  canvas.dataset.tool = name;
  toolbar.refreshTool(name);
};

app.setSpaceHeld = held => {
  app.spaceHeld = held;
  canvas.dataset.tool = held ? 'hand' : current;
};

app.selectionChanged = () => toolbar.refreshActions();

app.selectAll = () => {
  app.selectTool('select');
  tools.select.selectAll();
};

app.clearSelection = () => {
  renderer.preview.selection.clear();
  app.selectionChanged();
  renderer.requestRender();
};

app.deleteSelection = () => {
  const ids = [...renderer.preview.selection].filter(id => model.element(id)?.deleted === null);
  if (!app.canEdit || ids.length === 0) return;
  const ns = [];
  const trace = connection.newTrace('delete');
  for (let i = 0; i < ids.length; i += 1000) ns.push(connection.send({ k: 'delete', ids: ids.slice(i, i + 1000) }, trace));
  history.deleted(ids, ns);
  app.clearSelection();
};

/** Clearing removes everyone's work for everyone: the owner confirms it first (it stays undoable). */
app.clearBoard = () => {
  const dialog = document.getElementById('clear-dialog');
  if (!app.isOwner || !dialog || dialog.open) return;
  dialog.returnValue = '';
  dialog.addEventListener('close', () => {
    if (dialog.returnValue !== 'clear') return;
    history.cleared(connection.send({ k: 'clear' }, connection.newTrace('clear')));
    app.clearSelection();
  }, { once: true });
  dialog.showModal();
};

/** A style change applies to the selection too (one undo step for all of it). */
app.restyleSelection = change => {
  const changes = [];
  const trace = connection.newTrace('restyle');
  for (const id of renderer.preview.selection) {
    const el = model.element(id);
    if (!el || el.deleted !== null) continue;
    const before = {}, after = {};
    for (const [field, value] of Object.entries(change)) {
      let target = field, next = value;
      if (field === 'fill' && el.t !== 'rect' && el.t !== 'ellipse') continue;
      if (field === 'width' && el.t === 'text') {
        target = 'size';
        next = app.style.textSize;
      }
      if (el[target] === next) continue;
      before[target] = el[target];
      after[target] = next;
    }
    if (Object.keys(after).length === 0) continue;
    // A field that had no value cannot be a condition (the protocol takes only real values there).
    const condition = Object.fromEntries(Object.entries(before).filter(([, value]) => value !== null && value !== undefined));
    connection.send(Object.keys(condition).length ? { k: 'update', id, set: after, if: condition } : { k: 'update', id, set: after }, trace);
    changes.push({ id, before, after });
  }
  if (changes.length) history.restyled(changes);
};

app.fitToContent = () => {
  let box = null;
  for (const el of model.visibleElements()) box = union(box, bounds(el));
  viewport.fit(box);
};

const presence = new Presence({
  connection, viewport,
  list: root.querySelector('[data-testid=presence]'),
  layer: document.getElementById('cursors'),
  banner: root.querySelector('[data-testid=following]'),
});
app.stopFollowing = () => presence.stopFollowing();
app.pointerMoved = event => presence.pointerAt(viewport.toBoard(event.clientX, event.clientY));
app.pointerLeft = () => presence.pointerAt(null);

const toolbar = new Toolbar(root, app);

// The style panel on a small screen: opened by its button, closed again when drawing starts.
const styleToggle = root.querySelector('[data-testid=style-toggle]');
const setStyleOpen = open => {
  root.classList.toggle('style-open', open);
  styleToggle?.setAttribute('aria-expanded', String(open));
};
styleToggle?.addEventListener('click', () => setStyleOpen(!root.classList.contains('style-open')));
canvas.addEventListener('pointerdown', () => setStyleOpen(false));
attachInput(canvas, app);
app.selectTool(current);

// Export.
for (const button of root.querySelectorAll('[data-export]')) {
  button.addEventListener('click', async () => {
    button.closest('details').open = false;
    const name = boardName.replace(/[^\w.-]+/g, '-').slice(0, 60) || 'board';
    switch (button.dataset.export) {
      case 'png-view': download(`${name}.png`, await exportPng(model, viewport, { whole: false })); break;
      case 'png-all': download(`${name}.png`, await exportPng(model, viewport, { whole: true })); break;
      case 'svg': download(`${name}.svg`, new Blob([exportSvg(model)], { type: 'image/svg+xml' })); break;
      case 'json': download(`${name}.json`, new Blob([exportJson(model, boardName)], { type: 'application/json' })); break;
    }
  });
}

// The connection state, and how much work is not yet saved, counted as a person counts it: in strokes.
const labels = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', offline: 'Offline', closed: 'Disconnected' };
const strokes = count => `${count} stroke${count === 1 ? '' : 's'}`;
connection.addEventListener('state', ({ detail }) => {
  status.dataset.state = detail.state;
  status.querySelector('.label').textContent = detail.reason ?? labels[detail.state] ?? detail.state;
  status.querySelector('.unsaved').textContent = detail.strokes > 0 && !detail.ended ? `${strokes(detail.strokes)} not yet saved` : '';
  if (detail.ended) app.lockOut(detail.ended);
});

/**
 * Access is gone (withdrawn, or the board deleted): the page says so plainly and turns read-only for good;
 * the drawing stays to look at. Work the server never acknowledged is not on the board: it is offered as a
 * file that "Import a board" on My boards turns into a board of the person's own.
 */
const banner = document.getElementById('access-lost');
app.lockOut = why => {
  if (app.lockedOut) return;
  app.lockedOut = true;
  app.readOnly('hand'); // a stroke or text in progress ends here, and counts among the unsaved
  const unsaved = connection.unsavedStrokes;
  const title = why === 'deleted' ? 'This board was deleted.' : why === 'withdrawn' ? 'Your access to this board was withdrawn.' : 'This board refused the connection.';
  banner.querySelector('.title').textContent = title;
  banner.querySelector('.detail').textContent = why === 'refused'
    ? 'Reload the page to try again. Nothing you do here reaches the board until then.'
    : 'You can still look at it as it was, but nothing you do here reaches it any more.';
  const offer = banner.querySelector('.unsaved-offer');
  if (unsaved > 0) {
    offer.querySelector('.count').textContent = `${strokes(unsaved)} you drew ${unsaved === 1 ? 'was' : 'were'} not saved on the board.`;
    offer.hidden = false;
  }
  banner.hidden = false;
};
banner?.querySelector('[data-download-unsaved]')?.addEventListener('click', () => {
  const name = `${boardName.replace(/[^\w.-]+/g, '-').slice(0, 50) || 'board'}-unsaved`;
  download(`${name}.json`, new Blob([exportJson(model, `${boardName} (unsaved)`, el => model.isPending(el.id))], { type: 'application/json' }));
});

/** Takes the tools away (access withdrawn, or the role lowered to viewer); the view still pans and zooms. */
app.readOnly = tool => {
  tools[current].cancel();
  app.textEditor.commit?.();
  app.clearSelection();
  app.canEdit = false;
  current = tool;
  canvas.dataset.tool = tool;
  for (const element of root.querySelectorAll('[data-testid=toolbar], [data-testid=style-panel]')) element.hidden = true;
};

// A role changed while the page was open arrives as a new welcome: a viewer loses the tools at once; a new
// editor is told to reload for them (the page was rendered without).
connection.addEventListener('welcome', ({ detail }) => {
  const role = detail.me?.role;
  if (!role || app.lockedOut) return;
  const notice = document.getElementById('role-changed');
  if (role === 'viewer' && app.canEdit) {
    app.readOnly('hand');
    notice.querySelector('.text').textContent = 'The owner made you a viewer: you can watch this board, not draw on it.';
    notice.querySelector('a').hidden = true;
    notice.hidden = false;
  } else if (role !== 'viewer' && !app.canEdit && root.querySelector('[data-testid=toolbar]') === null) {
    notice.querySelector('.text').textContent = 'The owner made you an editor.';
    notice.querySelector('a').hidden = false;
    notice.hidden = false;
  }
});

// On the first sync: show the drawing, and draw what the "My boards" page asked to import.
let firstSync = true;
connection.addEventListener('state', ({ detail }) => {
  if (detail.state !== 'live' || !firstSync) return;
  firstSync = false;
  const importKey = `sharedcanvas:import:${boardId}`;
  const pending = sessionStorage.getItem(importKey);
  if (pending && app.canEdit) {
    sessionStorage.removeItem(importKey);
    history.added(importElements(connection, JSON.parse(pending), connection.limits));
  }
  if (model.visibleElements().next().done === false) app.fitToContent();
});
connection.addEventListener('welcome', ({ detail }) => {
  connection.limits = detail.limits;
  connection.server = detail.server; // the realtime replica holding this socket
});

// Diagnostics (Development, or where the site enables them): the replica, and the last stroke's trace.
const diagnostics = root.querySelector('[data-testid=diagnostics]');
if (diagnostics) {
  const dashboard = diagnostics.dataset.dashboardUrl;
  connection.addEventListener('welcome', ({ detail }) => { diagnostics.querySelector('.replica').textContent = detail.server ?? '–'; });
  connection.addEventListener('trace', ({ detail }) => {
    diagnostics.querySelector('.trace').textContent = detail.id;
    const link = diagnostics.querySelector('.trace-link');
    if (dashboard) {
      link.href = `${dashboard}/traces/detail/${detail.id}`;
      link.hidden = false;
    }
  });
}

// Tests and the browser benchmark read the page's state through this handle; nothing else uses it.
window.sharedCanvas = { model, connection, renderer, viewport, history, app, presence };

await connection.start();
