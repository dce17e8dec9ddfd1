// The tables of the experiment page: facts, variants, guardrails, decisions and shadows, each
// redrawn whole from the JSON of one poll.
(function () {
  'use strict';
  var c = window.verdictCommon;
  var swatch = c.swatch;
  var findMetric = c.findMetric;
  var formatterFor = c.formatterFor;

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

  /** A duration given in hours, in the unit a person would say it in ("2 min", "3.5 h"). */
  function duration(hours) {
    if (hours === null || hours === undefined || !isFinite(hours)) return '–';
    var seconds = hours * 3600;
    if (seconds < 120) return c.number(seconds, 0) + ' s';
    if (seconds < 7200) return c.number(seconds / 60, 0) + ' min';
    if (hours < 72) return c.number(hours, 1) + ' h';
    return c.number(hours / 24, 1) + ' d';
  }

  /** A decision's number written by what its name says it is (a share, a p-value, hours). */
  function decisionNumber(name, value, primary) {
    if (name === 'p_value') return c.pValue(value);
    if (/_mean$/.test(name)) return formatterFor(primary)(value);
    if (/(^|_|\.)(lift|weight|rate|chance)/.test(name)) return c.percent(value);
    if (/_hours$/.test(name)) return duration(value);
    if (/(^|_)n$|sample_size$/.test(name)) return c.count(value);
    return c.number(value);
  }

  /** `primary`: the experiment's primary metric, the one the decisions' means are of. */
  function renderDecisions(decisions, primary) {
    c.fillTable(
      document.getElementById('decisions'),
      ['Time', 'Action', 'Variant', 'Reason', 'Numbers', 'Applied', 'By', 'Versions'],
      decisions.map(function (d) {
        var numbers = Object.keys(d.numbers)
          .sort()
          .map(function (k) {
            return (
              k.replace(/_hours$/, '').replace(/_/g, ' ') +
              ' ' +
              decisionNumber(k, d.numbers[k], primary)
            );
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
        'Latency diff [CI]',
        'Shadow errors',
      ],
      r.shadows.map(function (s) {
        return [
          swatch(s.variant),
          c.count(s.comparisons),
          c.percent(s.agreementRate) + ' ' + c.interval(s.agreementCi, c.percent),
          c.number(s.meanAbsDiff) + ' ' + c.interval(s.meanAbsDiffCi, c.number),
          c.number(s.maxAbsDiff),
          c.latency(s.meanLatencyDiffUs) + ' ' + c.interval(s.latencyDiffCi, c.latency),
          c.percent(s.shadowErrorRate),
        ];
      }),
      'No shadow variant.',
    );
  }

  window.verdictTables = {
    facts: renderFacts,
    summary: renderSummary,
    guardrails: renderGuardrails,
    decisions: renderDecisions,
    shadows: renderShadows,
  };
})();
