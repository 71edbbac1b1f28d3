// Every page: tidy poster fallbacks, times in the viewer's zone, titles that fit, a message left by the
// previous page of this tab. Loaded by base.html; the page's own entry (if any) comes after it.

import { showPendingToast } from './lib/errors.js';
import { localizeTimes } from './lib/format.js';
import { catchBrokenPosters, watchPosters } from './lib/posters.js';
import { watchNewTitles, watchTitles } from './lib/titles.js';

catchBrokenPosters();
watchNewTitles();
localizeTimes();
watchPosters();
showPendingToast();
watchTitles();
