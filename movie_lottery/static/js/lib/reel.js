// The reel's formula in the browser (movie_lottery/core/reel.py): the lottery result and poll tie-break pages check
// the server with it.

export async function sha256Hex(text) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The documented pick: int(sha256(seed \n id \n names...), 16) mod n. */
export async function pickIndex(seed, id, names) {
  const hex = await sha256Hex([seed, id, ...names].join('\n'));
  return Number(BigInt(`0x${hex}`) % BigInt(names.length));
}

/** Web Crypto exists only on secure pages (HTTPS or localhost). */
export const canVerify = () => Boolean(window.crypto && crypto.subtle);
