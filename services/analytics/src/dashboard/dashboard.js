/* Careloop analytics dashboard: filters → REST report calls → charts (chart.js, served by analytics). */
(function () {
  'use strict';
  var charts = {};
  var $ = function (id) { return document.getElementById(id); };
  var hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get('token')) $('token').value = hash.get('token');
  $('from').value = hash.get('from') || '';
  $('to').value = hash.get('to') || '';

  function params(extra) {
    var p = new URLSearchParams();
    if ($('from').value) p.set('from', $('from').value);
    if ($('to').value) p.set('to', $('to').value);
    ['facility', 'department'].forEach(function (k) { if ($(k).value.trim()) p.set(k, $(k).value.trim()); });
    Object.keys(extra).forEach(function (k) { p.set(k, extra[k]); });
    return p;
  }

  function report(name, groupBy, extra) {
    var p = params(extra || {});
    if (groupBy) p.set('group_by', groupBy);
    return fetch('/v1/reports/' + name + '?' + p.toString(), { headers: { authorization: 'Bearer ' + $('token').value } }).then(function (r) {
      if (!r.ok) throw new Error(name + ': HTTP ' + r.status);
      return r.json();
    });
  }

  var pct = function (v) { return v === null || v === undefined ? null : Math.round(v * 1000) / 10; };

  function draw(id, type, rows, metric, label) {
    var labels = rows.map(function (r) { return r.key; });
    var values = rows.map(function (r) { return pct(r.values[metric]); });
    var canvas = $(id);
    canvas.dataset.labels = JSON.stringify(labels);
    canvas.dataset.values = JSON.stringify(values);
    if (charts[id]) charts[id].destroy();
    charts[id] = new Chart(canvas, {
      type: type,
      data: { labels: labels, datasets: [{ label: label, data: values, backgroundColor: '#60a5fa', borderColor: '#1d4ed8', tension: 0.2 }] },
      options: { animation: false, responsive: true, scales: { y: { beginAtZero: true, title: { display: true, text: '%' } } } },
    });
  }

  function show(id, value) { $(id).textContent = value === null || value === undefined ? '–' : String(value); }

  function load() {
    $('status').textContent = 'loading…';
    var bookingChannel = $('booking_channel').value;
    var noShowExtra = bookingChannel ? { booking_channel: bookingChannel } : {};
    return Promise.all([
      report('no-show', 'reminder_outcome', noShowExtra),
      report('no-show', 'week', noShowExtra),
      report('no-show', 'facility', noShowExtra),
      report('csat', 'week'),
      report('csat', 'practitioner'),
    ]).then(function (r) {
      show('kpi-noshow', pct(r[0].total.values.no_show_rate) === null ? null : pct(r[0].total.values.no_show_rate) + '%');
      show('kpi-due', r[0].total.values.appointments);
      show('kpi-csat', pct(r[3].total.values.csat) === null ? null : pct(r[3].total.values.csat) + '%');
      show('kpi-responses', r[3].total.values.responses);
      draw('chart-noshow-outcome', 'bar', r[0].rows, 'no_show_rate', 'no-show rate %');
      draw('chart-noshow-trend', 'line', r[1].rows, 'no_show_rate', 'no-show rate %');
      draw('chart-noshow-facility', 'bar', r[2].rows, 'no_show_rate', 'no-show rate %');
      draw('chart-csat-trend', 'line', r[3].rows, 'csat', 'CSAT %');
      draw('chart-csat-practitioner', 'bar', r[4].rows, 'csat', 'CSAT %');
      $('status').textContent = 'loaded ' + new Date().toLocaleTimeString();
      document.body.dataset.loads = String(Number(document.body.dataset.loads || '0') + 1);
    }).catch(function (e) {
      $('status').textContent = 'error: ' + e.message;
    });
  }

  $('filters').addEventListener('submit', function (e) { e.preventDefault(); load(); });
  if ($('token').value) load();
})();
