// What a page script reads from its page, and small facts about the browser it runs in.

/** The data the server wrote into the page as <script type="application/json" id="…">. */
export function readJsonScript(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
}

export const prefersReducedMotion = () => window.matchMedia('(prefers-reduced-motion: reduce)').matches;

/** Copy an input's text; where the clipboard API is refused (no HTTPS), the older way. */
export async function copyText(input) {
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    input.select();
    document.execCommand('copy');
  }
}
