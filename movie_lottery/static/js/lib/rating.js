// The group's 1–10 rating of a watched winner (partials/rating.html): the page is the same for everyone (and
// may be kept rendered), so this browser's own score and name come from GET the section's API; a press sends
// PUT. The words of the summary («оценка группы 7,5 · 4 голоса») are the server's. Inside Telegram no name is
// asked: the server rates under the account's name (lib/telegram.js, Authorization: tma …).

import { api } from './api.js';
import { showError } from './errors.js';
import { telegram } from './telegram.js';
import { checkText, pageRule } from './text-rules.js';

/** Make the rating section work: its data-api is the night's ratings. */
export function setupRating(section) {
  const $ = (id) => document.getElementById(id);
  const buttons = [...section.querySelectorAll('[data-score]')];
  const error = $('rating-error');
  let known = null; // the name the participant cookie goes by here, if any
  const rule = pageRule('participant_name'); // the server's rule, from the page

  function show(data) {
    known = data.name;
    $('rating-summary').textContent = data.text
      ? `${data.text[0].toUpperCase()}${data.text.slice(1)}`
      : 'Оценок пока нет — будьте первым.';
    const mine = data.mine ? data.mine.score : null;
    for (const button of buttons) button.setAttribute('aria-pressed', String(Number(button.dataset.score) === mine));
    $('rating-mine').hidden = !data.mine;
    if (data.mine) $('rating-mine').textContent = `Ваша оценка — ${data.mine.score} (вы — ${data.mine.name}). Её можно изменить.`;
    $('rating-name-field').hidden = Boolean(known) || Boolean(telegram);
  }

  async function rate(score, button) {
    showError(error, null);
    const body = { score };
    if (!known && !telegram) {
      const { value: name, ok, empty, tooLong } = checkText($('rating-name').value, rule);
      if (empty) { showError(error, 'Напишите имя — оценка идёт под ним.'); $('rating-name').focus(); return; }
      if (tooLong) { showError(error, `Имя — не длиннее ${rule.max} символов.`); return; }
      if (!ok) { showError(error, `${rule.message}.`); return; }
      body.name = name;
    }
    for (const b of buttons) b.disabled = true;
    try {
      const { data } = await api(section.dataset.api, { method: 'PUT', body });
      show(data);
      button.focus();
    } catch (failure) {
      showError(error, failure.message);
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  }

  for (const button of buttons) button.addEventListener('click', () => rate(Number(button.dataset.score), button));

  // Arrow keys move along the scale (Tab reaches every button as well; Enter or Space rates).
  $('rating-scale').addEventListener('keydown', (event) => {
    const at = buttons.indexOf(document.activeElement);
    if (at < 0) return;
    const step = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1 }[event.key];
    if (!step) return;
    event.preventDefault();
    buttons[Math.min(buttons.length - 1, Math.max(0, at + step))].focus();
  });

  api(section.dataset.api).then(({ data }) => show(data)).catch((failure) => showError(error, failure.message));
}
