// What a friend reads about a draw's honesty: one line. The numbers and the rule live behind «Как проверить».

export const HONEST = '✓ Честно: проверено в этом браузере';

export const NO_CHECK_HERE = 'Проверить в этом браузере не вышло: странице нужен HTTPS. Как проверить самому — в «Как проверить».';

/** The failure, loudly: what does not match, and that the result is not to be trusted. */
export function notHonest(what) {
  return `✗ Не сходится: ${what}. Этому результату верить нельзя.`;
}
