// The board page: wires the model, the connection, the renderer and the tools together.

import { BoardModel } from './model.js';
import { BoardConnection } from './connection.js';
import { Renderer } from './renderer.js';
import { PenTool, attachPointerInput } from './tools.js';

const root = document.getElementById('board');
const canvas = document.getElementById('canvas');
const status = root.querySelector('[data-testid=connection-state]');

const model = new BoardModel();
const connection = new BoardConnection({
  boardId: root.dataset.boardId,
  tokenUrl: root.dataset.tokenUrl,
  antiforgery: root.dataset.antiforgery,
  model,
});
const renderer = new Renderer(canvas, model);

const style = { color: '#1e1e1e', width: 4 };
document.getElementById('colour').addEventListener('input', e => { style.color = e.target.value; });
document.getElementById('width').addEventListener('input', e => { style.width = Number(e.target.value); });

let elementCounter = 0;
const nextElementId = () => `${connection.client}-${Date.now().toString(36)}${(elementCounter++).toString(36)}`;
const pen = new PenTool({ renderer, connection, style, nextElementId });
attachPointerInput(canvas, () => (model.me?.role === 'viewer' ? null : pen));

const labels = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
  closed: 'Disconnected',
};
connection.addEventListener('state', ({ detail }) => {
  status.dataset.state = detail.state;
  status.querySelector('.label').textContent = detail.reason ?? labels[detail.state] ?? detail.state;
  status.querySelector('.unsaved').textContent =
    detail.unsaved > 0 ? `${detail.unsaved} change${detail.unsaved === 1 ? '' : 's'} not yet saved` : '';
});

// Tests and the browser benchmark read the model through this handle; nothing else uses it.
window.sharedCanvas = { model, connection, renderer };

await connection.start();
