// Posters: a broken or missing image falls back to the title card underneath, never a broken-image icon.

function markBroken(img) {
  const poster = img.closest('.poster');
  if (poster) poster.classList.add('is-broken');
  else img.hidden = true;
}

/** Mark the images under ``root`` that failed before anyone listened (the page's own, a fragment's). */
export function watchPosters(root = document) {
  for (const img of root.querySelectorAll('img')) {
    if (img.complete && img.naturalWidth === 0 && img.getAttribute('src')) markBroken(img);
  }
}

/** From now on, any image of the page that fails falls back at once. */
export function catchBrokenPosters() {
  document.addEventListener('error', (event) => {
    if (event.target instanceof HTMLImageElement) markBroken(event.target);
  }, true);
}

/** Build a poster element with textContent only (user data never goes through innerHTML). */
export function posterElement(movie, size = 'card') {
  const poster = document.createElement('div');
  poster.className = `poster poster--${size}`;
  const fallback = document.createElement('span');
  fallback.className = 'poster__fallback';
  const title = document.createElement('span');
  title.className = 'poster__title';
  title.textContent = movie.name || '';
  fallback.append(title);
  if (movie.year) {
    const year = document.createElement('span');
    year.className = 'poster__year';
    year.textContent = String(movie.year);
    fallback.append(year);
  }
  poster.append(fallback);
  if (movie.poster && /^https?:\/\//i.test(movie.poster)) {
    const img = document.createElement('img');
    img.alt = '';
    img.decoding = 'async';
    img.referrerPolicy = 'no-referrer';
    img.src = movie.poster;
    poster.append(img);
  } else {
    poster.classList.add('is-missing');
  }
  return poster;
}
