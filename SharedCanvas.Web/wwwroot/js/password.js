// Tells a person how guessable the password they type is, with zxcvbn-ts — the very estimate the site
// applies when the form is sent (Accounts/PasswordStrength.cs runs the same bundle). A password input with
// `data-strength-for` names the output element; `data-strength-user` names the user-name input, whose value,
// like the site's name (which the estimate adds), counts as something an attacker would try.

/** The text to show for an estimate, in the words the server uses when it refuses one. */
export function describe(estimate) {
  if (estimate.acceptable) return { ok: true, text: 'Strong enough.' };
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
      const name = userName?.value ?? input.dataset.strengthName ?? '';
      const { ok, text } = describe(globalThis.PasswordStrength.estimate(input.value, [name], [name]));
      output.textContent = text;
      output.className = ok ? 'strength good' : 'strength weak';
    }, 120);
  });
}
