// "My boards": importing a board exported as JSON. The board is created through the API; its page
// then draws the imported elements as the importer's own operations.

import { parseImport } from './board/export.js';

const root = document.getElementById('import');
const input = document.getElementById('import-file');
const status = document.getElementById('import-status');

input?.addEventListener('change', async () => {
  const file = input.files?.[0];
  if (!file) return;
  try {
    const elements = parseImport(await file.text());
    const name = `${file.name.replace(/\.json$/i, '')} (imported)`.slice(0, 100);
    const response = await fetch('/api/boards', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', RequestVerificationToken: root.dataset.antiforgery },
      body: JSON.stringify({ name }),
    });
    if (!response.ok) throw new Error(`The board could not be created (${response.status}).`);
    const board = await response.json();
    sessionStorage.setItem(`sharedcanvas:import:${board.id}`, JSON.stringify(elements));
    location.href = board.url;
  } catch (error) {
    status.textContent = error.message;
  }
});
