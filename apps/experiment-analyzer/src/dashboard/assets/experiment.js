// One experiment: polls its JSON endpoints and redraws the facts, tables and uPlot charts.
// What is plotted is kept on window.verdictDashboard (charts and their data) for tests and for
// people poking at the page from the console.
(function () {
  'use strict';
  var c = window.verdictCommon;
  var main = document.getElementById('dashboard');
  var id = main.dataset.experimentId;
  var model = main.dataset.model;
  var pollMs = Number(main.dataset.pollMs) || 5000;
  var points = Number(main.dataset.points) || 48;
  var base = '/api/experiments/' + encodeURIComponent(id);
  var status = document.getElementById('status');
  var state = (window.verdictDashboard = { updates: 0, charts: {}, plotted: {} });
  var colourOf = c.colourOf;
  var formatterFor = c.formatterFor;
  var tables = window.verdictTables;
  var charts = window.verdictCharts.create(state);
  var chart = charts.chart;
  var withBand = charts.withBand;
  var stepped = charts.stepped;

  function renderTimeseries(ts, experiment) {
    var spec = experiment.primaryMetric;
    chart(
      'plot-split',
      ts.times,
      ts.variants.map(function (v) {
        return {
          label: v.variant,
          colour: colourOf(v.variant),
          paths: stepped,
          values: v.points.map(function (p) {
            return p.share;
          }),
        };
      }),
      {
        range: [0, 1],
        format: function (v) {
          return c.percent(v, 0);
        },
        yLabel: 'share of requests',
        empty: 'No traffic yet.',
      },
    );
    var bands = [];
    chart(
      'plot-primary',
      ts.times,
      ts.variants.reduce(function (all, v) {
        bands.push([v.variant + ' upper', v.variant + ' lower', colourOf(v.variant)]);
        return all.concat(withBand(v.variant, v.points, 'mean', colourOf(v.variant)));
      }, []),
      {
        format: formatterFor(spec),
        yLabel: spec
          ? spec.name + (spec.type === 'latency' ? ' p' + spec.percentile + ' (ms)' : '')
          : '',
        bands: bands,
        empty: 'No observations of ' + (spec ? spec.name : 'the primary metric') + ' yet.',
      },
    );
    var shadowBands = [];
    chart(
      'plot-shadow',
      ts.times,
      ts.shadows.reduce(function (all, s) {
        shadowBands.push([s.variant + ' upper', s.variant + ' lower', colourOf(s.variant)]);
        return all.concat(withBand(s.variant, s.points, 'agreement', colourOf(s.variant)));
      }, []),
      {
        range: [0, 1],
        format: c.percent,
        yLabel: 'agreement with primary',
        bands: shadowBands,
        empty: 'No shadow variant or no comparisons yet.',
      },
    );
  }

  /** Features drawn: the ones with the largest PSI, so that the plot stays readable. */
  var MAX_DRIFT_FEATURES = 8;

  function renderDrift(drift) {
    var summary = document.getElementById('drift-summary');
    if (!drift.available) {
      chart('plot-drift', [], [], { empty: 'Drift is not monitored by this analyzer.' });
      summary.textContent = '';
      return;
    }
    var peak = function (f) {
      return Math.max.apply(
        null,
        f.psi
          .filter(function (v) {
            return v !== null;
          })
          .concat([0]),
      );
    };
    var shown = drift.features
      .slice()
      .sort(function (a, b) {
        return peak(b) - peak(a);
      })
      .slice(0, MAX_DRIFT_FEATURES);
    var series = shown.map(function (f, i) {
      var drifted = [];
      f.drifted.forEach(function (d, index) {
        if (d) drifted.push(index);
      });
      return { label: f.feature, values: f.psi, colour: c.colour(i), marked: drifted };
    });
    if (drift.psiThreshold !== null && drift.times.length > 0) {
      series.push({
        label: 'threshold',
        values: drift.times.map(function () {
          return drift.psiThreshold;
        }),
        colour: '#b42318',
        dash: [6, 4],
        width: 1,
        points: false,
      });
    }
    chart('plot-drift', drift.times, series, {
      yLabel: 'PSI',
      empty: 'No drift windows for ' + drift.model + ' yet.',
    });
    var last = drift.times.length - 1;
    var drifted = drift.features.filter(function (f) {
      return last >= 0 && f.drifted[last];
    });
    summary.className = drifted.length > 0 ? 'bad' : '';
    summary.textContent =
      last < 0
        ? ''
        : drift.features.length +
          ' features monitored' +
          (drift.features.length > shown.length
            ? ' (the ' + shown.length + ' with the highest PSI drawn)'
            : '') +
          '; latest window ' +
          c.time(drift.times[last]) +
          ': ' +
          (drifted.length === 0
            ? 'no feature drifted.'
            : 'drifted: ' +
              drifted
                .map(function (f) {
                  return f.feature + ' (PSI ' + c.number(f.psi[last], 3) + ')';
                })
                .join(', ') +
              '.');
  }

  // ---- polling -----------------------------------------------------------------------------

  /** A failed part keeps its last drawing; the status line names what failed. */
  function attempt(failures, what, draw) {
    try {
      draw();
    } catch (error) {
      failures.push(what + ': ' + error.message);
    }
  }

  function settle(path) {
    return c.fetchJson(path).then(
      function (body) {
        return { body: body };
      },
      function (error) {
        return { error: error };
      },
    );
  }

  function refresh() {
    Promise.all([
      settle(base),
      settle(base + '/results'),
      settle(base + '/timeseries?points=' + points),
      settle(base + '/decisions'),
      settle('/api/models/' + encodeURIComponent(model) + '/drift'),
    ])
      .then(function (all) {
        var failures = [];
        var names = ['experiment', 'results', 'timeseries', 'decisions', 'drift'];
        all.forEach(function (answer, index) {
          if (answer.error) failures.push(names[index] + ': ' + answer.error.message);
        });
        var e = all[0].body && all[0].body.experiment;
        var r = all[1].body && all[1].body.results;
        if (e) {
          e.variants.forEach(function (v) {
            colourOf(v.name);
          });
          state.experiment = e;
          attempt(failures, 'facts', function () {
            tables.facts(e);
          });
        }
        if (e && r) {
          state.results = r;
          attempt(failures, 'variants', function () {
            tables.summary(e, r);
          });
          attempt(failures, 'guardrails', function () {
            tables.guardrails(e, r);
          });
          attempt(failures, 'shadows', function () {
            tables.shadows(r);
          });
        }
        if (e && all[2].body) {
          state.timeseries = all[2].body.timeseries;
          attempt(failures, 'plots', function () {
            renderTimeseries(state.timeseries, e);
          });
        }
        if (all[3].body) {
          state.decisions = all[3].body.decisions;
          attempt(failures, 'decisions', function () {
            tables.decisions(state.decisions, state.experiment && state.experiment.primaryMetric);
          });
        }
        if (all[4].body) {
          state.drift = all[4].body.drift;
          attempt(failures, 'drift', function () {
            renderDrift(state.drift);
          });
        }
        state.updates++;
        state.failures = failures;
        status.className = failures.length > 0 ? 'status bad' : 'status';
        status.textContent =
          (failures.length > 0
            ? 'Partly updated ' + c.time(Date.now()) + '; failed: ' + failures.join('; ') + '.'
            : 'Updated ' + c.time(Date.now()) + '.') +
          ' Refreshes every ' +
          Math.round(pollMs / 1000) +
          ' s.';
      })
      .finally(function () {
        setTimeout(refresh, pollMs);
      });
  }
  refresh();
})();
