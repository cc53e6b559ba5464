/* The leaders' debrief: each phase planned against actual, people, cards — no typed text. */
(function () {
  'use strict';
  var K = window.Krug;
  var t = K.t, h = K.h, s = K.s, $ = K.$, show = K.show, setText = K.setText;
  var CODE = K.CODE;
  var ROW = 34, LABEL = 380, WIDTH = 1000, BAR = 12;

  function minutes(seconds) { return Math.round(seconds / 6) / 10; }
  /** A phase's name; a case's phases say which case (the two cases' phases share titles). */
  function phaseName(phase) {
    var title = K.pick(phase.title);
    return phase.case ? t('Case {n}', { n: phase.case }) + ' · ' + title : title;
  }
  function signed(value) { return (value > 0 ? '+' : value < 0 ? '−' : '') + Math.abs(value); }

  function colours() {
    var css = getComputedStyle(document.documentElement);
    function v(name) { return css.getPropertyValue(name).trim(); }
    return { text: v('--text'), muted: v('--muted'), line: v('--line'), planned: v('--surface-2'),
      actual: v('--asking'), over: v('--alarm'), bg: v('--surface') };
  }

  /** The chart as SVG with its colours written out, so it also stands alone as a PNG. */
  function chart(record) {
    var c = colours();
    var phases = record.phases;
    var longest = Math.max.apply(null, phases.map(function (p) { return Math.max(p.planned_seconds, p.actual_seconds); }).concat([1]));
    var scale = (WIDTH - LABEL - 90) / longest;
    var height = phases.length * ROW + 20;
    var svg = s('svg', { viewBox: '0 0 ' + WIDTH + ' ' + height, width: WIDTH, height: height, role: 'img',
      'aria-labelledby': 'd-chart-title', xmlns: 'http://www.w3.org/2000/svg', 'font-family': 'system-ui, sans-serif' });
    svg.appendChild(s('rect', { x: 0, y: 0, width: WIDTH, height: height, fill: c.bg }));
    phases.forEach(function (phase, i) {
      var y = 10 + i * ROW;
      var label = s('text', { x: LABEL - 12, y: y + ROW / 2 + 5, 'text-anchor': 'end', 'font-size': 15, fill: c.text });
      label.textContent = phaseName(phase);
      svg.appendChild(label);
      svg.appendChild(s('rect', { x: LABEL, y: y + 4, width: Math.max(phase.planned_seconds * scale, 1), height: BAR,
        fill: c.planned, stroke: c.line }));
      if (phase.visits) {
        svg.appendChild(s('rect', { x: LABEL, y: y + 4 + BAR, width: Math.max(phase.actual_seconds * scale, 1), height: BAR,
          fill: phase.over ? c.over : c.actual }));
      }
      var note = s('text', { x: LABEL + Math.max(phase.planned_seconds, phase.actual_seconds) * scale + 8, y: y + ROW / 2 + 5,
        'font-size': 13, fill: phase.over ? c.over : c.muted });
      var diff = minutes(phase.actual_seconds - phase.planned_seconds);
      note.textContent = phase.visits ? signed(diff) + ' ' + t('min') : t('skipped');
      svg.appendChild(note);
    });
    return svg;
  }

  function table(record) {
    var body = $('d-table').querySelector('tbody');
    body.textContent = '';
    record.phases.forEach(function (phase) {
      body.appendChild(h('tr', { class: phase.over ? 'is-over' : null },
        h('th', { scope: 'row', text: phaseName(phase) }),
        h('td', { text: String(minutes(phase.planned_seconds)) }),
        h('td', { text: phase.visits ? String(minutes(phase.actual_seconds)) + (phase.over ? ' (' + t('over time') + ')' : '') : t('skipped') }),
        h('td', { text: String(phase.cards) })));
    });
  }

  function facts(record) {
    var list = $('d-facts');
    list.textContent = '';
    function fact(term, value) { list.appendChild(h('div', null, h('dt', { text: term }), h('dd', { text: value }))); }
    var day = new Date(record.started_at * 1000);
    fact(t('Date'), day.toLocaleDateString(K.LANG === 'ru' ? 'ru-RU' : 'en-GB'));
    fact(t('Started'), K.formatTimeOfDay(record.started_at));
    fact(t('Planned end'), record.planned_end ? K.formatTimeOfDay(record.planned_end) : '—');
    fact(t('Actual end'), K.formatTimeOfDay(record.ended_at));
    fact(t('People in the circle'), String(record.circle));
    if (record.observers) fact(t('Observers'), String(record.observers));
    fact(t('Cards'), String(record.cards));
  }

  /** For a group's own format: how each phase ran across its meetings, this one included. */
  function past(record, earlier) {
    if (!earlier.length) return;
    var all = earlier.concat([record]);
    var body = $('d-past').querySelector('tbody');
    var worst = null;
    record.phases.forEach(function (phase) {
      var diffs = [];
      all.forEach(function (r) {
        var same = r.phases.filter(function (p) { return p.key === phase.key && p.visits; })[0];
        if (same) diffs.push(same.actual_seconds - same.planned_seconds);
      });
      if (!diffs.length) return;
      var average = diffs.reduce(function (a, b) { return a + b; }, 0) / diffs.length;
      if (!worst || average > worst.average) worst = { phase: phase, average: average };
      body.appendChild(h('tr', null, h('th', { scope: 'row', text: phaseName(phase) }),
        h('td', { text: String(diffs.length) }), h('td', { text: signed(minutes(average)) })));
    });
    if (worst && worst.average > 0) {
      setText($('d-past-summary'), t('Across {n} meetings, «{phase}» runs {minutes} min over on average.',
        { n: all.length, phase: phaseName(worst.phase), minutes: minutes(worst.average) }));
    } else {
      setText($('d-past-summary'), t('Across {n} meetings, every phase kept to its plan on average.', { n: all.length }));
    }
    show($('d-past-panel'), true);
  }

  function savePng() {
    var svg = $('d-chart').querySelector('svg');
    if (!svg) return;
    var image = new Image();
    image.onload = function () {
      var canvas = document.createElement('canvas');
      canvas.width = svg.width.baseVal.value * 2;
      canvas.height = svg.height.baseVal.value * 2;
      var ctx = canvas.getContext('2d');
      ctx.scale(2, 2);
      ctx.drawImage(image, 0, 0);
      var link = h('a', { href: canvas.toDataURL('image/png') });
      link.download = 'krug-' + CODE + '-debrief.png';
      document.body.appendChild(link);
      link.click();
      link.remove();
    };
    image.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(new XMLSerializer().serializeToString(svg));
  }

  var SECTIONS = ['d-loading', 'd-problem', 'd-report'];
  function showOnly(id) { SECTIONS.forEach(function (section) { show($(section), section === id); }); }
  function problem() { showOnly('d-problem'); }

  K.ready.then(function () {
    var token = K.store.get(K.keys.debrief(CODE));
    if (!token) { problem(); return; }
    fetch('/api/debrief', { headers: { Authorization: 'Bearer ' + token }, credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (!data.ok) {
          if (data.error && data.error.code === 'not_authenticated') K.store.remove(K.keys.debrief(CODE));
          problem();
          return;
        }
        var record = data.record;
        setText($('d-format'), K.pick(record.format_name));
        facts(record);
        $('d-chart').appendChild(chart(record));
        table(record);
        past(record, data.past || []);
        showOnly('d-report');
      })
      .catch(problem);
  });
  $('d-print').addEventListener('click', function () { window.print(); });
  $('d-png').addEventListener('click', savePng);
})();
