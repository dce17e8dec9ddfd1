// The experiment list: polls /api/experiments and redraws the table.
(function () {
  'use strict';
  var c = window.verdictCommon;
  var main = document.getElementById('dashboard');
  var pollMs = Number(main.dataset.pollMs) || 5000;
  var status = document.getElementById('status');
  var table = document.getElementById('experiments');
  var state = (window.verdictDashboard = { updates: 0, experiments: [] });

  function render(experiments) {
    c.fillTable(
      table,
      ['Name', 'Model', 'Kind', 'State', 'Team', 'Variants', 'Started'],
      experiments.map(function (e) {
        return [
          c.el('a', { href: '/experiments/' + encodeURIComponent(e.id) }, e.name || e.id),
          e.model,
          e.kind,
          c.el('span', { class: 'state state-' + e.state }, e.state),
          e.team,
          e.variants
            .map(function (v) {
              return v.name + (v.role === 'shadow' ? ' (shadow)' : ' ' + c.number(v.weight, 2));
            })
            .join(', '),
          c.time(e.startTime),
        ];
      }),
      'No experiments yet.',
    );
  }

  function refresh() {
    c.fetchJson('/api/experiments')
      .then(function (body) {
        state.experiments = body.experiments;
        state.updates++;
        render(body.experiments);
        status.textContent =
          body.experiments.length + ' experiments, updated ' + c.time(Date.now());
      })
      .catch(function (error) {
        status.textContent = 'Update failed: ' + error.message + ' (retrying)';
      })
      .finally(function () {
        setTimeout(refresh, pollMs);
      });
  }
  refresh();
})();
