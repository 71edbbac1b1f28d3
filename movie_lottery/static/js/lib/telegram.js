// Inside Telegram (a Mini App): who the person is, Telegram's colours and its back button — with no script
// from Telegram's servers, ever. Telegram opens the page with its launch parameters in the URL fragment:
// #tgWebAppData=<init data>&tgWebAppThemeParams=<JSON>&tgWebAppVersion=…&tgWebAppPlatform=…
// The init data is signed by Telegram; the server checks it (Authorization: tma …, lib/api.js) and only then
// believes the user in it. The page reads the user's name from it only to say «Вы — …» before the server
// answers. Kept for this tab (sessionStorage), so a link followed inside the Mini App stays inside it.
// Outside Telegram nothing here does anything: `telegram` is null.

const KEY = 'ml:telegram';

function fromFragment() {
  const hash = window.location.hash.slice(1);
  if (!hash.includes('tgWebAppData=')) return null;
  const params = new URLSearchParams(hash);
  const initData = params.get('tgWebAppData');
  if (!initData) return null;
  let theme = {};
  try { theme = JSON.parse(params.get('tgWebAppThemeParams') || '{}') || {}; } catch { theme = {}; }
  return { initData, theme, platform: params.get('tgWebAppPlatform') || '' };
}

function launch() {
  const found = fromFragment();
  try {
    if (found) sessionStorage.setItem(KEY, JSON.stringify(found));
    else return JSON.parse(sessionStorage.getItem(KEY) || 'null');
  } catch { /* private mode: this page only */ }
  return found;
}

function userOf(initData) {
  try {
    const user = JSON.parse(new URLSearchParams(initData).get('user') || 'null');
    return user && typeof user.first_name === 'string' ? user : null;
  } catch {
    return null;
  }
}

const launched = launch();

/** The Mini App's launch: { initData, theme, platform, user } — or null outside Telegram. */
export const telegram = launched ? { ...launched, user: userOf(launched.initData) } : null;

/** The name Telegram gives the person (the server may add «(2)» when it is already taken in a poll). */
export function telegramName() {
  const user = telegram && telegram.user;
  if (!user) return '';
  return [user.first_name, user.last_name].filter(Boolean).join(' ') || user.username || '';
}

// ---- talking to the Telegram app (its documented raw events: no library) ------------------------------

const handlers = new Map();

function postEvent(type, data = {}) {
  const payload = JSON.stringify(data);
  try {
    if (window.TelegramWebviewProxy && typeof window.TelegramWebviewProxy.postEvent === 'function') {
      window.TelegramWebviewProxy.postEvent(type, payload); // Android and iOS
    } else if (window.parent !== window) {
      window.parent.postMessage(JSON.stringify({ eventType: type, eventData: data }), '*'); // Telegram Web
    }
  } catch { /* an old client without the event: the page works without it */ }
}

function receiveEvent(type, data) {
  const handler = handlers.get(type);
  if (handler) handler(data);
}

// ---- theme: Telegram's colours become the page's own variables -----------------------------------------

const COLOURS = /^#[0-9a-fA-F]{6}$/;
// Telegram's theme key -> the site's CSS variables it paints (app.css :root).
const THEME_VARIABLES = {
  bg_color: ['--bg'],
  secondary_bg_color: ['--bg-raised'],
  section_bg_color: ['--bg-raised-2'],
  text_color: ['--text'],
  hint_color: ['--text-muted', '--line'],
  button_color: ['--accent', '--accent-strong'],
  button_text_color: ['--accent-ink'],
  destructive_text_color: ['--danger'],
};

function applyTheme(given) {
  // Older clients send no section colour: the cards then take the secondary one (or the background).
  const theme = { ...given };
  if (!COLOURS.test(theme.section_bg_color || '')) theme.section_bg_color = theme.secondary_bg_color || theme.bg_color;
  const root = document.documentElement.style;
  for (const [key, variables] of Object.entries(THEME_VARIABLES)) {
    const colour = theme[key];
    if (typeof colour !== 'string' || !COLOURS.test(colour)) continue; // never a value that is not a colour
    for (const variable of variables) root.setProperty(variable, colour);
    root.setProperty(`--tg-theme-${key.replace(/_/g, '-')}`, colour);
  }
  if (COLOURS.test(theme.bg_color || '')) {
    postEvent('web_app_set_background_color', { color: theme.bg_color });
    postEvent('web_app_set_header_color', { color: theme.bg_color });
  }
}

// ---- the back button: Telegram's own, in its header ----------------------------------------------------

function setupBackButton() {
  const canGoBack = window.history.length > 1;
  postEvent('web_app_setup_back_button', { is_visible: canGoBack });
  handlers.set('back_button_pressed', () => {
    if (window.history.length > 1) window.history.back();
    else postEvent('web_app_close');
  });
}

if (telegram) {
  document.documentElement.classList.add('in-telegram');
  // Telegram calls these to deliver events (Android and iOS; Telegram Web posts messages).
  window.Telegram = window.Telegram || {};
  window.Telegram.WebView = window.Telegram.WebView || { receiveEvent };
  window.TelegramGameProxy = window.TelegramGameProxy || { receiveEvent };
  window.addEventListener('message', (event) => {
    try {
      const message = typeof event.data === 'string' ? JSON.parse(event.data) : event.data;
      if (message && typeof message.eventType === 'string') receiveEvent(message.eventType, message.eventData);
    } catch { /* not Telegram's */ }
  });
  applyTheme(telegram.theme || {});
  setupBackButton();
  postEvent('web_app_ready');
  postEvent('web_app_expand');
}
