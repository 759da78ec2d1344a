// Tells a person how guessable the password they type is, with zxcvbn-ts — the very estimate the site
// applies when the form is sent (Accounts/PasswordStrength.cs runs the same bundle). A password input with
// `data-strength-for` names the output element; `data-strength-user` names the user-name input, whose value,
// like the site's name, counts as something an attacker would try.

const MINIMUM_SCORE = 3; // as the server: zxcvbn's "safely unguessable"
const SITE_WORDS = ['sharedcanvas', 'shared', 'canvas', 'whiteboard'];

/** The text to show for an estimate, in the words the server uses when it refuses one. */
export function describe(estimate) {
  if (estimate.score >= MINIMUM_SCORE) return { ok: true, text: 'Strong enough.' };
  const reason = [estimate.warning, ...estimate.suggestions].filter(Boolean).join(' ');
  return { ok: false, text: `This password is too easy to guess. ${reason}`.trim() };
}

for (const input of document.querySelectorAll('input[data-strength-for]')) {
  const output = document.getElementById(input.dataset.strengthFor);
  const userName = input.dataset.strengthUser ? document.getElementById(input.dataset.strengthUser) : null;
  if (!output || !globalThis.PasswordStrength) continue;
  let timer = 0;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (!input.value) {
        output.textContent = '';
        output.className = 'strength';
        return;
      }
      const { ok, text } = describe(globalThis.PasswordStrength.estimate(input.value, [userName?.value ?? '', ...SITE_WORDS]));
      output.textContent = text;
      output.className = ok ? 'strength good' : 'strength weak';
    }, 120);
  });
}
