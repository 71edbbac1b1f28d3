// The server's rule for a text field (movie_lottery/core/text_rules.py), read from the page's `text-rules`
// block: which code points a name or a title may hold and how many. The browser keeps no copy of its own, and
// tests/e2e/test_text_rules_in_the_browser.py holds this module to the Python rule's table of cases
// (tests/support/fixtures/text_cases.json).
//
// Lengths are code points, as on the server and in the database: [...text].length, not text.length (UTF-16
// units, which count 😀 twice). Every class is a list of code point ranges; the `u` flag makes a class match
// whole code points, and a lone surrogate as itself.

import { readJsonScript } from './page.js';

const hex = (cp) => `\\u{${cp.toString(16)}}`;
const cls = (ranges) => ranges.map(([low, high]) => (low === high ? hex(low) : `${hex(low)}-${hex(high)}`)).join('');
const literal = (text) => [...text].map((ch) => hex(ch.codePointAt(0))).join('');

/** A rule as served (lists of ranges) made into regular expressions. */
export function compileRule(served) {
  const unsafe = cls(served.unsafe) + literal(served.refused);
  return {
    ...served,
    spaces: new RegExp(`[${cls(served.spaces)}]+`, 'gu'),
    unsafe: new RegExp(`[${unsafe}]`, 'u'),
    visible: new RegExp(`[^${unsafe}${cls(served.blank)}]`, 'u'),
  };
}

/** The value as the server keeps it, and whether the rule takes it: { value, ok, tooLong, empty }. */
export function checkText(text, rule) {
  const value = rule.collapse
    ? String(text).replace(rule.spaces, ' ').replace(/^ | $/g, '')
    : String(text).replace(new RegExp(`^(?:${rule.spaces.source})|(?:${rule.spaces.source})$`, 'gu'), '');
  const length = [...value].length;
  const empty = length === 0;
  const tooLong = length > rule.max;
  const ok = !empty && !tooLong && !rule.unsafe.test(value) && rule.visible.test(value);
  return { value, ok, empty, tooLong };
}

let served = null;

/** The page's rule for `field` (`participant_name`, `title`). */
export function pageRule(field) {
  served = served || readJsonScript('text-rules') || {};
  return served[field] ? compileRule(served[field]) : null;
}
