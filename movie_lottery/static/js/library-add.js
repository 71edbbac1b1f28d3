// Result page: "В библиотеку" for the winner and "+ в библиотеку" for the other candidates (admin only).

import { api } from './api.js';
import { readJsonScript, toast } from './common.js';

const lottery = readJsonScript('lottery-data');

for (const button of document.querySelectorAll('[data-library-add]')) {
  button.addEventListener('click', async () => {
    const position = Number(button.dataset.libraryAdd);
    const movie = lottery.movies.find((m) => m.position === position);
    if (!movie) return;
    button.disabled = true;
    try {
      const { status, data } = await api('/api/library', { method: 'POST', body: movie });
      const created = status === 201;
      const small = button.classList.contains('library-add-small');
      button.textContent = small ? '✓' : created ? 'В библиотеке ✓' : 'Уже в библиотеке ✓';
      button.setAttribute('aria-label', `«${data.name}» в библиотеке`);
      button.title = 'В библиотеке';
      button.classList.add('is-done');
      toast(created ? `«${data.name}» добавлен в библиотеку` : `«${data.name}» уже был в библиотеке — данные обновлены`, 'success');
    } catch (error) {
      button.disabled = false;
      toast(error.message, 'error');
    }
  });
}
