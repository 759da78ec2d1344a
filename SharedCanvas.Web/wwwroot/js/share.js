// The sharing page: "Copy link" puts a link on the clipboard and says so.

for (const button of document.querySelectorAll('[data-copy]')) {
  button.addEventListener('click', async () => {
    const label = button.textContent;
    try {
      await navigator.clipboard.writeText(button.dataset.copy);
      button.textContent = 'Copied';
    } catch {
      // No clipboard (an insecure origin, or permission refused): select the link so Ctrl+C copies it.
      button.closest('li')?.querySelector('input.link-url')?.select();
      button.textContent = 'Press Ctrl+C to copy';
    }
    setTimeout(() => { button.textContent = label; }, 2000);
  });
}
