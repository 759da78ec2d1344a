// zxcvbn-ts with its common and English dictionaries, bundled (by the Web project's build, with esbuild) into
// one classic script, wwwroot/lib/password-strength.js, that defines `PasswordStrength`. The register and
// account pages run it as the user types; the site runs the very same file in a JavaScript interpreter to
// decide (Accounts/PasswordStrength.cs), so the page and the server never disagree.
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as en from '@zxcvbn-ts/language-en';

const zxcvbn = new ZxcvbnFactory({
  translations: en.translations,
  graphs: common.adjacencyGraphs,
  dictionary: { ...common.dictionary, ...en.dictionary },
});

/** The score (0–4) of a password given words about its owner and the site, with the reason and advice. */
export function estimate(password, userInputs) {
  const result = zxcvbn.check(String(password).slice(0, 128), Array.from(userInputs ?? [], String));
  return { score: result.score, warning: result.feedback.warning ?? null, suggestions: result.feedback.suggestions ?? [] };
}
