// The dashboard's uPlot charts: one function that draws a chart or updates it in place, and
// keeps what it plotted on the page state (for tests and for the console).
(function () {
  'use strict';
  var c = window.verdictCommon;

  /** Chart helpers writing to `state.charts` (uPlot instances) and `state.plotted`. */
  function create(state) {
    /**
     * Draws (or updates) a uPlot chart in the container. `series` are {label, values, colour,
     * dash?, width?}; `bands` pairs of [upperLabel, lowerLabel, colour].
     */
    /** Per chart and series label: indices of points drawn as markers (e.g. drifted windows). */
    var marked = {};

    /**
     * The x range: the data's own, or ten minutes around a single time. For one time uPlot makes
     * the range a day of milliseconds, which with times in seconds is nearly three years.
     */
    function timeRange(u, min, max) {
      var times = u.data[0];
      if (times && times.length > 0 && times[0] === times[times.length - 1]) {
        return [times[0] - 300, times[0] + 300];
      }
      return [min, max];
    }

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
          scales: {
            x: { time: true, range: timeRange },
            y: options.range ? { range: options.range } : {},
          },
          axes: [
            {},
            {
              label: options.yLabel,
              values: function (_u, ticks) {
                return ticks.map(function (tick) {
                  return (options.format || c.number)(tick);
                });
              },
              size: 80,
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
                // A step with no traffic has no value; the line carries on across it rather
                // than breaking into pieces.
                spanGaps: true,
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

    return { chart: chart, withBand: withBand, stepped: stepped };
  }

  window.verdictCharts = { create: create };
})();
