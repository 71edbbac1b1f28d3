// A lottery's result page and a closed poll's results: "В библиотеку" for the winner, "+ в библиотеку" for the
// other candidates of a lottery, and «Посмотрели» (admin only).

import { api } from './api.js';
import { readJsonScript, toast, toastAfterReload } from './common.js';

// The candidates come with the page: a lottery's or a poll's (the same movie shape, with positions).
const lottery = readJsonScript('lottery-data') || readJsonScript('poll-data');

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

// «Посмотрели» (admin): the winner gets a viewing on the chosen day through POST /api/lotteries/<id>/watched;
// the page then shows the day as the server words it, and the message survives the reload.
const watched = document.getElementById('watched-form');
if (watched) {
  const day = watched.querySelector('input[name="date"]');
  const now = new Date();
  const today = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
  day.max = today; // the viewer's day, which may be ahead of the server's UTC day
  if (day.hasAttribute('data-today-value')) day.value = today;
  watched.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = watched.querySelector('[type="submit"]');
    const [method, path] = watched.dataset.api.split(' ');
    button.disabled = true;
    try {
      const { data } = await api(path, { method, body: { date: day.value || null } });
      toastAfterReload(`«${data.name}»: посмотрели — записано в библиотеке`, 'success');
      window.location.reload();
    } catch (error) {
      button.disabled = false;
      toast(error.message, 'error');
    }
  });
}
