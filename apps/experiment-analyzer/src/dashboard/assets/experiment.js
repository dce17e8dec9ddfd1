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
  var colours = {};

  function colourOf(name) {
    if (!(name in colours)) colours[name] = c.colour(Object.keys(colours).length);
    return colours[name];
  }

  function swatch(name) {
    var node = c.el('span', { class: 'swatch', 'aria-hidden': 'true' });
    node.style.background = colourOf(name);
    return c.el('span', { class: 'named' }, [node, name]);
  }

  function findMetric(variant, name) {
    return variant
      ? variant.metrics.find(function (m) {
          return m.metric === name;
        })
      : undefined;
  }

  function formatterFor(spec) {
    return spec && spec.type === 'binary' ? c.percent : c.number;
  }

  // ---- charts ------------------------------------------------------------------------------

  /**
   * Draws (or updates) a uPlot chart in the container. `series` are {label, values, colour,
   * dash?, width?}; `bands` pairs of [upperLabel, lowerLabel, colour].
   */
  /** Per chart and series label: indices of points drawn as markers (e.g. drifted windows). */
  var marked = {};

  function chart(name, times, series, options) {
    var container = document.getElementById(name);
    marked[name] = {};
    series.forEach(function (s) {
      if (s.marked) marked[name][s.label] = s.marked;
    });
    state.plotted[name] = {
      times: times.slice(),
      series: series.map(function (s) {
        return { label: s.label, values: s.values.slice() };
      }),
    };
    var plotted = series.reduce(function (sum, s) {
      return (
        sum +
        s.values.filter(function (v) {
          return v !== null && v !== undefined;
        }).length
      );
    }, 0);
    container.dataset.points = String(plotted);
    if (times.length === 0 || series.length === 0) {
      if (state.charts[name]) state.charts[name].destroy();
      delete state.charts[name];
      container.replaceChildren(c.el('p', { class: 'empty' }, options.empty || 'No data yet.'));
      return;
    }
    var data = [
      times.map(function (t) {
        return t / 1000;
      }),
    ].concat(
      series.map(function (s) {
        return s.values;
      }),
    );
    var signature = series
      .map(function (s) {
        return s.label;
      })
      .join('\u0000');
    var existing = state.charts[name];
    if (existing && existing.verdictSignature === signature) {
      existing.setData(data);
      return;
    }
    if (existing) existing.destroy();
    container.replaceChildren();
    var index = {};
    series.forEach(function (s, i) {
      index[s.label] = i + 1;
    });
    var u = new uPlot(
      {
        width: Math.max(320, container.clientWidth),
        height: 260,
        scales: { x: { time: true }, y: options.range ? { range: options.range } : {} },
        axes: [
          {},
          {
            values: function (_u, ticks) {
              return ticks.map(function (tick) {
                return (options.format || c.number)(tick);
              });
            },
            size: 70,
          },
        ],
        series: [{ label: 'time' }].concat(
          series.map(function (s) {
            return {
              label: s.label,
              stroke: s.colour,
              width: s.width === undefined ? 2 : s.width,
              dash: s.dash,
              paths: s.paths,
              points: s.marked
                ? {
                    show: true,
                    size: 9,
                    fill: '#b42318',
                    filter: function (u, seriesIdx) {
                      return (marked[name] || {})[u.series[seriesIdx].label] || [];
                    },
                  }
                : { show: s.points === undefined ? true : s.points },
              value: function (_u, v) {
                return v === null || v === undefined ? '–' : (options.format || c.number)(v);
              },
            };
          }),
        ),
        bands: (options.bands || []).map(function (band) {
          return { series: [index[band[0]], index[band[1]]], fill: c.translucent(band[2], 0.15) };
        }),
        legend: { live: true },
      },
      data,
      container,
    );
    var legendRows = u.root.querySelectorAll('.u-legend .u-series');
    series.forEach(function (s, i) {
      if (s.legend === false && legendRows[i + 1]) legendRows[i + 1].style.display = 'none';
    });
    u.verdictSignature = signature;
    state.charts[name] = u;
  }

  window.addEventListener('resize', function () {
    Object.keys(state.charts).forEach(function (name) {
      var container = document.getElementById(name);
      state.charts[name].setSize({ width: Math.max(320, container.clientWidth), height: 260 });
    });
  });

  var stepped =
    window.uPlot && uPlot.paths && uPlot.paths.stepped
      ? uPlot.paths.stepped({ align: -1 })
      : undefined;

  function withBand(name, points, valueKey, colour) {
    var pick = function (key) {
      return points.map(function (p) {
        return p[key];
      });
    };
    return [
      { label: name, values: pick(valueKey), colour: colour },
      {
        label: name + ' upper',
        values: pick('upper'),
        colour: c.translucent(colour, 0.5),
        width: 1,
        points: false,
        legend: false,
      },
      {
        label: name + ' lower',
        values: pick('lower'),
        colour: c.translucent(colour, 0.5),
        width: 1,
        points: false,
        legend: false,
      },
    ];
  }

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

  // ---- tables ------------------------------------------------------------------------------

  function renderFacts(e) {
    var facts = [
      ['State', c.el('span', { class: 'state state-' + e.state }, e.state)],
      ['Kind', e.kind],
      ['Model', e.model],
      ['Team', e.team || '–'],
      ['Unit', e.unitType || '–'],
      [
        'Primary metric',
        e.primaryMetric
          ? e.primaryMetric.name +
            ' (' +
            e.primaryMetric.type +
            ', ' +
            e.primaryMetric.direction.replace(/_/g, ' ') +
            ')'
          : '–',
      ],
      [
        'Method',
        e.method +
          ', alpha ' +
          e.alpha +
          (e.autoApply ? ', decisions applied automatically' : ', decisions are recommendations'),
      ],
      ['Started', c.time(e.startTime)],
      ['Ended', c.time(e.endTime)],
      ['Winner', e.winner || '–'],
      ['Version', String(e.version)],
    ];
    if (e.description) facts.push(['Description', e.description]);
    document.getElementById('facts').replaceChildren.apply(
      document.getElementById('facts'),
      facts.reduce(function (nodes, f) {
        return nodes.concat([c.el('dt', {}, f[0]), c.el('dd', {}, f[1])]);
      }, []),
    );
    document.getElementById('title').textContent = (e.name || e.id) + ' (' + e.state + ')';
    document.title = (e.name || e.id) + ' · Verdict';
  }

  function renderSummary(e, r) {
    var spec = e.primaryMetric;
    var fmt = formatterFor(spec);
    var bayesian = r.method === 'bayesian';
    var headers = [
      'Variant',
      'Role',
      'Serves',
      'Units',
      'Requests',
      'Share (expected)',
      (spec ? spec.name : 'primary') + ' [CI]',
      'Lift vs control [CI]',
      'p-value',
    ];
    if (bayesian) headers.push('P(beats control)');
    headers.push('Significant');
    var roles = {};
    e.variants.forEach(function (v) {
      roles[v.name] = v;
    });
    c.fillTable(
      document.getElementById('summary'),
      headers,
      r.variants.map(function (v, index) {
        var m = spec ? findMetric(v, spec.name) : undefined;
        var control = index === 0;
        var row = [
          swatch(v.variant),
          roles[v.variant] ? roles[v.variant].role : '',
          roles[v.variant] ? roles[v.variant].target : '',
          c.count(v.units),
          c.count(v.requests),
          c.percent(v.observedShare, 1) + ' (' + c.percent(v.expectedShare, 1) + ')',
          m ? fmt(m.mean) + ' ' + c.interval(m.ci, fmt) : '–',
          m && !control ? c.percent(m.lift) + ' ' + c.interval(m.liftCi, c.percent) : '–',
          m && !control ? c.pValue(m.pValue) : '–',
        ];
        if (bayesian) row.push(m && !control ? c.percent(m.chanceToBeatControl, 1) : '–');
        row.push(m && !control ? (m.significant ? c.el('strong', {}, 'yes') : 'no') : '–');
        return row;
      }),
      'No exposures yet.',
    );
    var srm = document.getElementById('srm');
    if (r.srm) {
      srm.className = r.srm.mismatch ? 'bad' : '';
      srm.textContent =
        'Sample ratio check: χ² = ' +
        c.number(r.srm.chiSquare, 2) +
        ', p = ' +
        c.pValue(r.srm.pValue) +
        (r.srm.mismatch
          ? ' — MISMATCH: assignment or logging is broken, the numbers above are suspect.'
          : ' — split as configured.');
    } else {
      srm.textContent = '';
    }
  }

  /** How much worse a treatment is, in the guardrail's terms (positive = worse). */
  function degradation(guardrail, m) {
    var worseIsUp = guardrail.metric.direction !== 'higher_is_better';
    var sign = worseIsUp ? 1 : -1;
    var value = guardrail.relative ? m.lift : m.difference;
    var ci = guardrail.relative ? m.liftCi : m.differenceCi;
    return {
      value: sign * value,
      ci: ci ? [Math.min(sign * ci[0], sign * ci[1]), Math.max(sign * ci[0], sign * ci[1])] : null,
    };
  }

  function renderGuardrails(e, r) {
    var rows = [];
    var control = r.variants[0];
    e.guardrails.forEach(function (g) {
      if (!g.metric) return;
      var fmt = g.relative ? c.percent : formatterFor(g.metric);
      r.variants.slice(1).forEach(function (v) {
        var m = findMetric(v, g.metric.name);
        var cm = findMetric(control, g.metric.name);
        var valueFmt = formatterFor(g.metric);
        if (!m || m.n === 0) {
          rows.push([
            g.metric.name,
            v.variant,
            cm ? valueFmt(cm.mean) : '–',
            '–',
            '–',
            fmt(g.maxDegradation),
            'no data',
          ]);
          return;
        }
        var d = degradation(g, m);
        var verdict =
          d.ci && d.ci[0] > g.maxDegradation
            ? c.el('span', { class: 'bad' }, 'breached')
            : d.value > g.maxDegradation
              ? c.el('span', { class: 'watch' }, 'watch')
              : c.el('span', { class: 'ok' }, 'holding');
        rows.push([
          g.metric.name + (g.metric.type === 'latency' ? ' p' + g.metric.percentile : ''),
          swatch(v.variant),
          cm ? valueFmt(cm.mean) : '–',
          valueFmt(m.mean),
          fmt(d.value) + ' ' + c.interval(d.ci, fmt),
          fmt(g.maxDegradation),
          verdict,
        ]);
      });
    });
    c.fillTable(
      document.getElementById('guardrails'),
      [
        'Guardrail',
        'Treatment',
        'Control',
        'Treatment value',
        'Degradation [CI]',
        'Tolerated',
        'Status',
      ],
      rows,
      'No guardrails configured.',
    );
  }

  function renderDecisions(decisions) {
    c.fillTable(
      document.getElementById('decisions'),
      ['Time', 'Action', 'Variant', 'Reason', 'Numbers', 'Applied', 'By', 'Versions'],
      decisions.map(function (d) {
        var numbers = Object.keys(d.numbers)
          .sort()
          .map(function (k) {
            return k + ' = ' + c.number(d.numbers[k]);
          })
          .join(', ');
        return [
          c.time(d.time),
          d.action,
          d.variant || '–',
          d.reason,
          c.el('span', { class: 'numbers' }, numbers || '–'),
          d.applied ? 'applied' : 'recommendation',
          c.el('span', { title: d.actor }, d.actor ? d.actor.split('/').pop() : '–'),
          'experiment ' +
            d.experimentVersion +
            (d.routingTableVersion ? ', table ' + d.routingTableVersion : ''),
        ];
      }),
      'No decisions yet.',
    );
  }

  function renderShadows(r) {
    c.fillTable(
      document.getElementById('shadows'),
      [
        'Shadow',
        'Comparisons',
        'Agreement [CI]',
        'Mean |diff| [CI]',
        'Max |diff|',
        'Latency diff µs [CI]',
        'Shadow errors',
      ],
      r.shadows.map(function (s) {
        return [
          swatch(s.variant),
          c.count(s.comparisons),
          c.percent(s.agreementRate) + ' ' + c.interval(s.agreementCi, c.percent),
          c.number(s.meanAbsDiff) + ' ' + c.interval(s.meanAbsDiffCi, c.number),
          c.number(s.maxAbsDiff),
          c.number(s.meanLatencyDiffUs, 0) +
            ' ' +
            c.interval(s.latencyDiffCi, function (v) {
              return c.number(v, 0);
            }),
          c.percent(s.shadowErrorRate),
        ];
      }),
      'No shadow variant.',
    );
  }

  // ---- polling -----------------------------------------------------------------------------

  function refresh() {
    Promise.all([
      c.fetchJson(base),
      c.fetchJson(base + '/results'),
      c.fetchJson(base + '/timeseries?points=' + points),
      c.fetchJson(base + '/decisions'),
      c.fetchJson('/api/models/' + encodeURIComponent(model) + '/drift'),
    ])
      .then(function (all) {
        var e = all[0].experiment;
        var r = all[1].results;
        e.variants.forEach(function (v) {
          colourOf(v.name);
        });
        state.experiment = e;
        state.results = r;
        state.timeseries = all[2].timeseries;
        state.decisions = all[3].decisions;
        state.drift = all[4].drift;
        renderFacts(e);
        renderSummary(e, r);
        renderTimeseries(state.timeseries, e);
        renderGuardrails(e, r);
        renderDecisions(state.decisions);
        renderShadows(r);
        renderDrift(state.drift);
        state.updates++;
        status.textContent =
          'Updated ' +
          c.time(Date.now()) +
          '; refreshes every ' +
          Math.round(pollMs / 1000) +
          ' s.';
      })
      .catch(function (error) {
        state.lastError = error.message;
        status.textContent = 'Update failed: ' + error.message + ' (retrying)';
      })
      .finally(function () {
        setTimeout(refresh, pollMs);
      });
  }
  refresh();
})();
