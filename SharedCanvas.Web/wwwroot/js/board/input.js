// Pointer, touch, pen and wheel input on the canvas, routed to the current tool (tools.js, select-tool.js).

/** A wheel event's distance in CSS pixels, whether the browser counts pixels, lines or pages. */
export function wheelDelta(event) {
  const unit = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? 800 : 1;
  return { dx: event.deltaX * unit, dy: event.deltaY * unit };
}

/**
 * Routes pointer input on the canvas to the current tool, and handles what every tool shares: panning
 * with space, the middle button, two fingers or the wheel; pinch and Ctrl+wheel zoom; palm rejection (touches are ignored
 * while a pen is in use); and a short wait before a touch starts drawing, so that a second finger can
 * turn it into a pan or pinch.
 */
export function attachInput(canvas, app) {
  const touches = new Map();
  let pan = null;            // { pointerId, x, y } while panning with space or the middle button
  let gesture = null;        // { distance, x, y } while two fingers pinch or pan
  let pendingTouch = null;   // a first touch that may still become a gesture
  let drawing = null;        // pointerId of the pointer the tool follows
  let lastPenAt = -Infinity;

  const tool = () => app.tool();
  const boardPoint = event => app.viewport.toBoard(event.clientX, event.clientY);

  const startTool = event => {
    drawing = event.pointerId;
    tool()?.down(event, boardPoint(event));
  };

  canvas.addEventListener('pointerdown', event => {
    try {
      canvas.setPointerCapture(event.pointerId);
    } catch {
      // A pointer the browser no longer tracks: nothing to capture.
    }
    event.preventDefault();
    if (event.pointerType === 'pen') lastPenAt = performance.now();

    if (event.pointerType === 'touch') {
      touches.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (touches.size === 2) {
        // Two fingers: pan and pinch. A stroke the first finger began ends here.
        if (pendingTouch) pendingTouch = null;
        if (drawing !== null) {
          tool()?.up(event, boardPoint(event));
          drawing = null;
        }
        const [a, b] = [...touches.values()];
        gesture = { distance: Math.hypot(a.x - b.x, a.y - b.y), x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
        return;
      }
      if (touches.size > 2 || performance.now() - lastPenAt < 3000) return; // a palm while writing with a pen
      pendingTouch = { event, at: performance.now() };
      return;
    }

    if (event.button === 1 || (event.button === 0 && app.spaceHeld)) {
      pan = { pointerId: event.pointerId, x: event.clientX, y: event.clientY };
      return;
    }
    if (event.button !== 0) return;
    startTool(event);
  });

  canvas.addEventListener('pointermove', event => {
    app.pointerMoved(event);
    if (event.pointerType === 'touch' && touches.has(event.pointerId)) {
      touches.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (gesture && touches.size >= 2) {
        const [a, b] = [...touches.values()];
        const distance = Math.hypot(a.x - b.x, a.y - b.y);
        const x = (a.x + b.x) / 2, y = (a.y + b.y) / 2;
        app.viewport.panBy(x - gesture.x, y - gesture.y);
        if (gesture.distance > 0) app.viewport.zoomAt(distance / gesture.distance, x, y);
        gesture = { distance, x, y };
        return;
      }
      if (pendingTouch && pendingTouch.event.pointerId === event.pointerId) {
        const moved = Math.hypot(event.clientX - pendingTouch.event.clientX, event.clientY - pendingTouch.event.clientY);
        if (moved > 4 || performance.now() - pendingTouch.at > 80) {
          const first = pendingTouch.event;
          pendingTouch = null;
          startTool(first);
        } else {
          return;
        }
      }
    }
    if (pan && pan.pointerId === event.pointerId) {
      app.viewport.panBy(event.clientX - pan.x, event.clientY - pan.y);
      pan = { pointerId: event.pointerId, x: event.clientX, y: event.clientY };
      return;
    }
    if (drawing === event.pointerId) tool()?.move(event, boardPoint(event));
  });

  const end = event => {
    if (event.pointerType === 'touch') {
      touches.delete(event.pointerId);
      if (touches.size < 2) gesture = null;
      if (pendingTouch && pendingTouch.event.pointerId === event.pointerId) {
        // A tap: the tool gets it whole (a click of the text or select tool, a dot of the pen).
        const first = pendingTouch.event;
        pendingTouch = null;
        startTool(first);
      }
    }
    if (pan && pan.pointerId === event.pointerId) {
      pan = null;
      return;
    }
    if (drawing === event.pointerId) {
      drawing = null;
      tool()?.up(event, boardPoint(event));
    }
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  canvas.addEventListener('pointerleave', event => app.pointerLeft(event));
  canvas.addEventListener('dblclick', event => tool()?.doubleClick?.(boardPoint(event)));
  canvas.addEventListener('contextmenu', event => event.preventDefault());
  canvas.addEventListener('wheel', event => {
    event.preventDefault();
    const { dx, dy } = wheelDelta(event);
    if (event.ctrlKey || event.metaKey) {
      // Ctrl/⌘ + wheel, and a trackpad's pinch (which browsers report as a wheel with Ctrl), zoom at the pointer.
      // A mouse wheel's notch (~100 px) is capped to the size of a pinch's step, so one notch zooms ~10 %.
      app.viewport.zoomAt(Math.exp(-Math.max(-10, Math.min(10, dy)) * 0.01), event.clientX, event.clientY);
      return;
    }
    // The wheel and two-finger trackpad scrolling pan, as in Excalidraw and tldraw; Shift turns a wheel sideways.
    if (event.shiftKey && dx === 0) app.viewport.panBy(-dy, 0);
    else app.viewport.panBy(-dx, -dy);
  }, { passive: false });
}
