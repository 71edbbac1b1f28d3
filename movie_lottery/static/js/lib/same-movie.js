// When two movies are one: the server's rule (movie_lottery/core/same_movie.py), so the builder says so before
// sending. Both are held to one table of cases, tests/support/fixtures/same_movie_cases.json: change them
// together.

// Python's str.split() separators, exactly: JavaScript's \s also takes U+FEFF and leaves out U+001C–U+001F, U+0085.
const SPACES = /[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

// Python's str.casefold(): lower, upper, lower again folds ß to ss, ς to σ, ﬁ to fi… alike. The one letter it
// would fold further than casefold is the dotless ı (into i), so it is kept out of the round trip.
const fold = (text) => text.split('ı').map((part) => part.toLowerCase().toUpperCase().toLowerCase()).join('ı');

/** The title as the rule compares it: case, spacing and ё/е do not matter. */
export function normaliseTitle(name) {
  return fold(String(name)).replaceAll('ё', 'е').split(SPACES).filter(Boolean).join(' ');
}

/** Same Kinopoisk id; or, when either has none, the same normalised title and the same year. */
export function sameMovie(a, b) {
  const idA = a.kinopoisk_id ?? null;
  const idB = b.kinopoisk_id ?? null;
  if (idA !== null && idB !== null) return idA === idB;
  return normaliseTitle(a.name) === normaliseTitle(b.name) && (a.year ?? null) === (b.year ?? null);
}
