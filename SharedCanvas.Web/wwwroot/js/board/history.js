// Undo and redo of one person's own actions. Each is an ordinary operation sent to everyone (so every
// client converges), built so that it can only ever change this person's own work:
//   added elements      undo: delete them           redo: restore what that delete removed
//   deleted elements    undo: restore that delete   redo: delete them again
//   cleared the board   undo: restore that clear    redo: clear again
//   moved elements      undo: move them back        redo: move them again
//   restyled / edited   undo: set the old values, only where they still hold the new ones (and back)
// `restore` names the sequence number of the delete it undoes, and the server applies it only to what
// that person's delete removed; a move or restyle of an element someone has since deleted is harmless.

const LIMIT = 200;
const MAX_IDS = 1000;

function chunks(ids) {
  const result = [];
  for (let i = 0; i < ids.length; i += MAX_IDS) result.push(ids.slice(i, i + MAX_IDS));
  return result;
}

export class History extends EventTarget {
  /** @param {import('./connection.js').BoardConnection} connection */
  constructor(connection) {
    super();
    this.connection = connection;
    this.undoStack = [];
    this.redoStack = [];
  }

  get canUndo() { return this.undoStack.length > 0; }
  get canRedo() { return this.redoStack.length > 0; }

  /** Records an action this person just did. `ns` are the operation numbers that did it. */
  record(action) {
    this.undoStack.push(action);
    if (this.undoStack.length > LIMIT) this.undoStack.shift();
    this.redoStack = [];
    this.changed();
  }

  /** Elements added (`ids`). */
  added(ids) { this.record({ kind: 'added', ids }); }

  /** Elements deleted by the operations `ns`. */
  deleted(ids, ns) { this.record({ kind: 'deleted', ids, ns }); }

  cleared(n) { this.record({ kind: 'cleared', ns: [n] }); }

  moved(ids, dx, dy) { this.record({ kind: 'moved', ids, dx, dy }); }

  /** `changes`: [{ id, before: {field: value}, after: {field: value} }]. */
  restyled(changes) { this.record({ kind: 'restyled', changes }); }

  async undo() {
    const action = this.undoStack.pop();
    if (!action) return;
    this.changed();
    await this.apply(action, true);
    this.redoStack.push(action);
    this.changed();
  }

  async redo() {
    const action = this.redoStack.pop();
    if (!action) return;
    this.changed();
    await this.apply(action, false);
    this.undoStack.push(action);
    this.changed();
  }

  async apply(action, backwards) {
    const trace = this.connection.newTrace(backwards ? 'undo' : 'redo', { attributes: { 'sharedcanvas.action': action.kind } });
    const send = op => this.connection.send(op, trace);
    switch (action.kind) {
      case 'added':
        if (backwards) action.ns = chunks(action.ids).map(ids => send({ k: 'delete', ids }));
        else await this.restore(action.ns);
        break;
      case 'deleted':
        if (backwards) await this.restore(action.ns);
        else action.ns = chunks(action.ids).map(ids => send({ k: 'delete', ids }));
        break;
      case 'cleared':
        if (backwards) await this.restore(action.ns);
        else action.ns = [send({ k: 'clear' })];
        break;
      case 'moved': {
        const sign = backwards ? -1 : 1;
        for (const ids of chunks(action.ids)) send({ k: 'update', ids, dx: sign * action.dx, dy: sign * action.dy });
        break;
      }
      case 'restyled':
        for (const { id, before, after } of action.changes) {
          const [set, condition] = backwards ? [before, after] : [after, before];
          const real = Object.fromEntries(Object.entries(set).filter(([, value]) => value !== null && value !== undefined));
          if (Object.keys(real).length === 0) continue;
          const onlyIf = Object.fromEntries(Object.entries(condition).filter(([, value]) => value !== null && value !== undefined));
          send(Object.keys(onlyIf).length ? { k: 'update', id, set: real, if: onlyIf } : { k: 'update', id, set: real });
        }
        break;
      default:
        break;
    }
  }

  /** Restores what the delete (or clear) operations `ns` removed; waits for their sequence numbers if needed. */
  async restore(ns) {
    for (const n of ns ?? []) {
      const seq = await this.connection.seqOf(n);
      if (seq) this.connection.send({ k: 'restore', ref: seq }, this.connection.newTrace('restore'));
    }
  }

  changed() {
    this.dispatchEvent(new Event('change'));
  }
}
