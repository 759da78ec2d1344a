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

/** The lowest score accepted: zxcvbn's "safely unguessable" (about 10^8 guesses and more). */
export const MINIMUM_SCORE = 3;

/** Words every password is judged against besides the user's own. */
export const SITE_WORDS = ['sharedcanvas', 'shared', 'canvas', 'whiteboard'];

/**
 * The score (0–4) of a password given words about its owner (and the site's words), whether it is
 * acceptable, with the reason and advice. A password that contains one of `forbidden` (the user's own
 * name) whole scores at most 1, however long.
 */
export function estimate(password, userInputs, forbidden) {
  const text = String(password).slice(0, 128);
  const result = zxcvbn.check(text, [...Array.from(userInputs ?? [], String), ...SITE_WORDS]);
  const lower = text.toLowerCase();
  const personal = Array.from(forbidden ?? [], String).some(word => word.length >= 3 && lower.includes(word.toLowerCase()));
  if (personal && result.score > 1) {
    return { score: 1, acceptable: false, warning: en.translations.warnings.userInputs, suggestions: result.feedback.suggestions ?? [] };
  }
  return {
    score: result.score,
    acceptable: result.score >= MINIMUM_SCORE,
    warning: result.feedback.warning ?? null,
    suggestions: result.feedback.suggestions ?? [],
  };
}
