// A question in the page's own <dialog>, instead of the browser's confirm(): the site's look, a real modal
// (focus inside, the page behind inert), Escape or «Отмена» says no, and the answer comes as a promise.

let open = null; // one question at a time: a second one waits for nothing, it answers the first «no»

function element(tag, properties) {
  return Object.assign(document.createElement(tag), properties);
}

/** Ask a yes/no question: resolves true for ``yes``, false for «Отмена», Escape or a click on the backdrop. */
export function ask(question, { yes = 'Да', no = 'Отмена', danger = false } = {}) {
  if (typeof HTMLDialogElement !== 'function') return Promise.resolve(window.confirm(question));
  if (open) open.close('no');
  const dialog = element('dialog', { className: 'ask' });
  dialog.setAttribute('aria-labelledby', 'ask-text');
  const text = element('p', { className: 'ask__text', id: 'ask-text', textContent: question });
  const form = element('form', { method: 'dialog', className: 'ask__buttons' });
  const cancel = element('button', { value: 'no', className: 'button button--secondary', textContent: no });
  const confirm = element('button', {
    value: 'yes', className: `button ${danger ? 'button--danger' : 'button--primary'}`, textContent: yes,
  });
  form.append(cancel, confirm);
  dialog.append(text, form);
  document.body.append(dialog);
  const returnTo = document.activeElement;
  open = dialog;
  return new Promise((resolve) => {
    dialog.addEventListener('click', (event) => {
      if (event.target === dialog) dialog.close('no'); // the backdrop: a tap outside is «нет»
    });
    dialog.addEventListener('close', () => {
      if (open === dialog) open = null;
      dialog.remove();
      if (returnTo && returnTo.isConnected && typeof returnTo.focus === 'function') returnTo.focus();
      resolve(dialog.returnValue === 'yes');
    }, { once: true });
    dialog.returnValue = 'no'; // Escape closes without a value: that is «нет» too
    dialog.showModal();
    (danger ? cancel : confirm).focus(); // Enter on a destructive question keeps things as they are
  });
}
