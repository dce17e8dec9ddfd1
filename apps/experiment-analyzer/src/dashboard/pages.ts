/**
 * The HTML of the dashboard: small shells whose tables and plots the page scripts fill from the
 * JSON endpoints, so that there is one rendering path for the first load and every refresh.
 */

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const ASSET_LINKS = `<link rel="stylesheet" href="/assets/uPlot.min.css">
<link rel="stylesheet" href="/assets/dashboard.css">`;

function layout(title: string, body: string, scripts: readonly string[]): string {
  const tags = scripts.map((src) => `<script src="${src}" defer></script>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)} · Verdict</title>
${ASSET_LINKS}
${tags}
</head>
<body>
<header class="top"><a href="/">Verdict experiments</a></header>
${body}
</body>
</html>
`;
}

/** Page settings read by the scripts from data attributes. */
export interface PageSettings {
  /** How often the page polls, in ms. */
  readonly pollMs: number;
  /** Points of the over-time plots. */
  readonly points: number;
}

export function listPage(settings: PageSettings): string {
  return layout(
    'Experiments',
    `<main id="dashboard" data-page="list" data-poll-ms="${settings.pollMs}">
<h1>Experiments</h1>
<p class="status" role="status" aria-live="polite" id="status">Loading…</p>
<table id="experiments" aria-describedby="status">
<caption>All experiments, refreshed every ${Math.round(settings.pollMs / 1000)} s</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Model</th><th scope="col">Kind</th><th scope="col">State</th><th scope="col">Team</th><th scope="col">Variants</th><th scope="col">Started</th></tr></thead>
<tbody></tbody>
</table>
<noscript>This page needs JavaScript; the same data is at <a href="/api/experiments">/api/experiments</a>.</noscript>
</main>`,
    ['/assets/common.js', '/assets/list.js'],
  );
}

function plotFigure(id: string, caption: string): string {
  return `<figure class="plot">
<figcaption id="${id}-caption">${caption}</figcaption>
<div class="chart" id="${id}" role="img" aria-labelledby="${id}-caption" data-points="0"></div>
</figure>`;
}

export function experimentPage(
  experiment: { id: string; name: string; model: string },
  settings: PageSettings,
): string {
  const id = escapeHtml(experiment.id);
  return layout(
    experiment.name || experiment.id,
    `<main id="dashboard" data-page="experiment" data-experiment-id="${id}" data-model="${escapeHtml(experiment.model)}" data-poll-ms="${settings.pollMs}" data-points="${settings.points}">
<h1 id="title">${escapeHtml(experiment.name || experiment.id)}</h1>
<p class="status" role="status" aria-live="polite" id="status">Loading…</p>
<dl id="facts" class="facts"></dl>
<section aria-labelledby="summary-heading">
<h2 id="summary-heading">Variants</h2>
<table id="summary"><caption>Primary metric per variant (whole experiment)</caption><thead></thead><tbody></tbody></table>
<p id="srm"></p>
</section>
<section aria-labelledby="time-heading">
<h2 id="time-heading">Over time</h2>
${plotFigure('plot-split', 'Traffic split: share of requests per variant between points')}
${plotFigure('plot-primary', 'Primary metric per variant with its confidence interval as a band (cumulative)')}
</section>
<section aria-labelledby="guardrails-heading">
<h2 id="guardrails-heading">Guardrails</h2>
<table id="guardrails"><caption>Each treatment against control</caption><thead></thead><tbody></tbody></table>
</section>
<section aria-labelledby="decisions-heading">
<h2 id="decisions-heading">Decisions</h2>
<table id="decisions"><caption>Newest first, with the numbers behind them</caption><thead></thead><tbody></tbody></table>
</section>
<section aria-labelledby="shadow-heading">
<h2 id="shadow-heading">Shadow agreement</h2>
<table id="shadows"><caption>Shadow variants against the answering variant</caption><thead></thead><tbody></tbody></table>
${plotFigure('plot-shadow', 'Agreement rate per shadow variant with its confidence interval (cumulative)')}
</section>
<section aria-labelledby="drift-heading">
<h2 id="drift-heading">Input drift of ${escapeHtml(experiment.model)}</h2>
${plotFigure('plot-drift', 'Population stability index per feature, per evaluated window (red dots: the feature drifted in that window; dashed: the PSI threshold)')}
<p id="drift-summary"></p>
</section>
<noscript>This page needs JavaScript; its data is under <a href="/api/experiments/${id}">/api/experiments/${id}</a>.</noscript>
</main>`,
    [
      '/assets/uPlot.iife.min.js',
      '/assets/common.js',
      '/assets/charts.js',
      '/assets/experiment-tables.js',
      '/assets/experiment.js',
    ],
  );
}

export function notFoundPage(what: string): string {
  return layout(
    'Not found',
    `<main id="dashboard" data-page="not-found">
<h1>Not found</h1>
<p role="alert">${escapeHtml(what)}</p>
<p><a href="/">All experiments</a></p>
</main>`,
    [],
  );
}
