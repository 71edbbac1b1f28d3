// A question in the page's own <dialog>, instead of the browser's confirm(): the site's look, a real modal
// (focus inside, the page behind inert), Escape or «Отмена» says no, and the answer comes as a promise.

let open = null; // one question at a time: a second one waits for nothing, it answers the first «no»

/** Ask a yes/no question: resolves true for ``yes``, false for «Отмена», Escape or a click on the backdrop. */
export function ask(question, { yes = 'Да', no = 'Отмена', danger = false } = {}) {
  if (typeof HTMLDialogElement !== 'function') return Promise.resolve(window.confirm(question));
  if (open) open.close('no');
  const dialog = document.createElement('dialog');
  dialog.className = 'ask';
  dialog.setAttribute('aria-labelledby', 'ask-text');
  const text = document.createElement('p');
  text.className = 'ask__text';
  text.id = 'ask-text';
  text.textContent = question;
  const form = document.createElement('form');
  form.method = 'dialog';
  form.className = 'ask__buttons';
  const cancel = document.createElement('button');
  cancel.value = 'no';
  cancel.className = 'button button--secondary';
  cancel.textContent = no;
  const confirm = document.createElement('button');
  confirm.value = 'yes';
  confirm.className = `button ${danger ? 'button--danger' : 'button--primary'}`;
  confirm.textContent = yes;
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
