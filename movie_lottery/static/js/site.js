// Every page: tidy poster fallbacks, times in the viewer's zone, titles that fit, a message left by the
// previous page of this tab; inside Telegram, its colours and back button (lib/telegram.js). Loaded by
// base.html; the page's own entry (if any) comes after it.

import { showPendingToast } from './lib/errors.js';
import { localizeTimes } from './lib/format.js';
import { catchBrokenPosters, watchPosters } from './lib/posters.js';
import './lib/telegram.js'; // inside Telegram: its theme and back button; outside, nothing
import { watchNewTitles, watchTitles } from './lib/titles.js';

catchBrokenPosters();
watchNewTitles();
localizeTimes();
watchPosters();
showPendingToast();
watchTitles();
