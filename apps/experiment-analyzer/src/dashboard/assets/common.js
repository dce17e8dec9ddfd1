// Helpers shared by the dashboard's pages: fetching, formatting and building table rows.
// Plain browser JavaScript, no build step; everything hangs off window.verdictCommon.
(function () {
  'use strict';

  /** Okabe-Ito colours, distinguishable with the common colour-vision deficiencies. */
  var PALETTE = [
    '#0072B2',
    '#D55E00',
    '#009E73',
    '#CC79A7',
    '#E69F00',
    '#56B4E9',
    '#000000',
    '#F0E442',
  ];

  function colour(index) {
    return PALETTE[index % PALETTE.length];
  }

  /** The colour with an alpha, for confidence bands. */
  function translucent(hex, alpha) {
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + alpha + ')';
  }

  function fetchJson(path) {
    return fetch(path, {
      headers: { accept: 'application/json' },
      credentials: 'same-origin',
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok)
          throw new Error(body && body.error ? body.error : 'HTTP ' + response.status);
        return body;
      });
    });
  }

  /** An element with text or children; attributes given as an object. */
  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    (Array.isArray(children) ? children : children === undefined ? [] : [children]).forEach(
      function (child) {
        node.append(child instanceof Node ? child : document.createTextNode(String(child)));
      },
    );
    return node;
  }

  /** Replaces a table's header and body. `rows` are arrays of cells (text or nodes). */
  function fillTable(table, headers, rows, empty) {
    var head = table.tHead || table.createTHead();
    head.replaceChildren(
      el(
        'tr',
        {},
        headers.map(function (header) {
          return el('th', { scope: 'col' }, header);
        }),
      ),
    );
    var body = table.tBodies[0] || table.createTBody();
    if (rows.length === 0) {
      body.replaceChildren(el('tr', {}, el('td', { colspan: String(headers.length) }, empty)));
      return;
    }
    body.replaceChildren.apply(
      body,
      rows.map(function (cells) {
        return el(
          'tr',
          {},
          cells.map(function (cell, index) {
            return index === 0 ? el('th', { scope: 'row' }, cell) : el('td', {}, cell);
          }),
        );
      }),
    );
  }

  function number(value, digits) {
    if (value === null || value === undefined || !isFinite(value)) return '–';
    var abs = Math.abs(value);
    // Exponents only where grouping digits stops helping a reader (1.14e+6 reads as a typo).
    if (abs !== 0 && (abs >= 1e15 || abs < 1e-4)) return value.toExponential(2);
    return value.toLocaleString('en', { maximumFractionDigits: digits === undefined ? 4 : digits });
  }

  /** A latency given in microseconds (as the analyzer keeps it), written in milliseconds. */
  function latency(us) {
    if (us === null || us === undefined || !isFinite(us)) return '–';
    var ms = us / 1000;
    var abs = Math.abs(ms);
    var digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
    return ms.toLocaleString('en', { maximumFractionDigits: digits }) + ' ms';
  }

  function percent(value, digits) {
    if (value === null || value === undefined || !isFinite(value)) return '–';
    return (value * 100).toFixed(digits === undefined ? 2 : digits) + '%';
  }

  function count(value) {
    return value === null || value === undefined ? '–' : Number(value).toLocaleString('en');
  }

  function interval(ci, format) {
    return ci ? '[' + format(ci[0]) + ', ' + format(ci[1]) + ']' : '–';
  }

  function pValue(p) {
    if (p === null || p === undefined || !isFinite(p)) return '–';
    return p < 0.001 ? '< 0.001' : p.toFixed(3);
  }

  function time(ms) {
    return ms === null || ms === undefined ? '–' : new Date(ms).toLocaleString('en-GB');
  }

  /** Colours by series name, stable for the page's life. */
  var colours = {};

  function colourOf(name) {
    if (!(name in colours)) colours[name] = colour(Object.keys(colours).length);
    return colours[name];
  }

  function swatch(name) {
    var node = el('span', { class: 'swatch', 'aria-hidden': 'true' });
    node.style.background = colourOf(name);
    return el('span', { class: 'named' }, [node, name]);
  }

  function findMetric(variant, name) {
    return variant
      ? variant.metrics.find(function (m) {
          return m.metric === name;
        })
      : undefined;
  }

  /** How values of a metric are written: binary as a percentage, latency in ms, else plain. */
  function formatterFor(spec) {
    if (spec && spec.type === 'binary') return percent;
    if (spec && spec.type === 'latency') return latency;
    return number;
  }

  window.verdictCommon = {
    colour: colour,
    translucent: translucent,
    fetchJson: fetchJson,
    el: el,
    fillTable: fillTable,
    number: number,
    latency: latency,
    percent: percent,
    count: count,
    interval: interval,
    pValue: pValue,
    time: time,
    colourOf: colourOf,
    swatch: swatch,
    findMetric: findMetric,
    formatterFor: formatterFor,
  };
})();
