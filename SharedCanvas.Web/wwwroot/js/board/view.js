// The viewport: which part of the board the canvas shows, and at what zoom. Board coordinates never
// change with it, so every person sees the same drawing whatever their screen and zoom.

export const MIN_SCALE = 0.05;
export const MAX_SCALE = 20;

export class Viewport extends EventTarget {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    super();
    this.canvas = canvas;
    this.x = 0;        // board coordinate at the canvas' left edge
    this.y = 0;        // board coordinate at the canvas' top edge
    this.scale = 1;    // screen pixels per board unit
  }

  /** Client (CSS pixel) coordinates → board coordinates. */
  toBoard(clientX, clientY) {
    const rect = this.canvas.getBoundingClientRect();
    return { x: (clientX - rect.left) / this.scale + this.x, y: (clientY - rect.top) / this.scale + this.y };
  }

  /** Board coordinates → coordinates relative to the canvas' top-left corner (CSS pixels). */
  toCanvas(x, y) {
    return { x: (x - this.x) * this.scale, y: (y - this.y) * this.scale };
  }

  /** The board rectangle the canvas shows. */
  visibleBounds() {
    return {
      minX: this.x,
      minY: this.y,
      maxX: this.x + this.canvas.clientWidth / this.scale,
      maxY: this.y + this.canvas.clientHeight / this.scale,
    };
  }

  set(x, y, scale) {
    this.x = x;
    this.y = y;
    this.scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
    this.dispatchEvent(new Event('change'));
  }

  /** Zooms by `factor`, keeping the board point under (clientX, clientY) where it is. */
  zoomAt(factor, clientX, clientY) {
    const before = this.toBoard(clientX, clientY);
    const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, this.scale * factor));
    const rect = this.canvas.getBoundingClientRect();
    this.set(before.x - (clientX - rect.left) / scale, before.y - (clientY - rect.top) / scale, scale);
  }

  /** Zooms around the canvas' centre. */
  zoomCentre(factor) {
    const rect = this.canvas.getBoundingClientRect();
    this.zoomAt(factor, rect.left + rect.width / 2, rect.top + rect.height / 2);
  }

  /** Moves the view by a distance in screen pixels. */
  panBy(dx, dy) {
    this.set(this.x - dx / this.scale, this.y - dy / this.scale, this.scale);
  }

  /** Shows the whole of `box` (board coordinates), never zooming in past 100 %. */
  fit(box, padding = 40) {
    const width = this.canvas.clientWidth, height = this.canvas.clientHeight;
    if (!box || !isFinite(box.minX)) {
      this.set(0, 0, 1);
      return;
    }
    const scale = Math.min(1, (width - 2 * padding) / Math.max(1, box.maxX - box.minX), (height - 2 * padding) / Math.max(1, box.maxY - box.minY));
    const s = Math.max(MIN_SCALE, scale);
    this.set((box.minX + box.maxX) / 2 - width / 2 / s, (box.minY + box.maxY) / 2 - height / 2 / s, s);
  }
}

/**
 * The view (left, top, scale) that shows someone else's visible rectangle [x, y, width, height] on a canvas of
 * `width` × `height` CSS pixels: the same centre, and all of their rectangle, however different the screens.
 */
export function viewShowing([x, y, w, h], width, height) {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, Math.min(width / w, height / h)));
  return { x: x + w / 2 - width / 2 / scale, y: y + h / 2 - height / 2 / scale, scale };
}
