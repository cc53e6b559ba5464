/* The projector screen: shows, never acts. */
(function () {
  'use strict';
  var K = window.Krug;
  var t = K.t, h = K.h, $ = K.$, show = K.show, setText = K.setText;
  var CODE = K.CODE;

  // The screen link carries its token in the fragment: move it to this device's storage.
  if (window.location.hash && window.location.hash.length > 1) {
    var fromHash = decodeURIComponent(window.location.hash.slice(1));
    if (fromHash) K.store.set(K.keys.screen(CODE), fromHash);
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, '', window.location.pathname + window.location.search);
    }
  }

  // A new screen link pasted into this tab: take its token.
  window.addEventListener('hashchange', function () { if (window.location.hash.length > 1) window.location.reload(); });

  var state = null;
  var seenCards = null;
  var lastPhaseKey = null;
  var bigVote = false;

  K.themeButton($('theme-btn'), 'krug:theme:screen', 'dark');
  K.soundButton($('sound-btn'));

  var countdown = K.Countdown('cd-screen');
  $('s-clock').appendChild(countdown.node);
  // A big vote takes the whole width: then the countdown sits small in the header.
  var headCountdown = K.Countdown('cd-head');
  $('s-head-clock').appendChild(headCountdown.node);
  var plan = K.PlanBar('plan-screen');
  $('s-plan').appendChild(plan.node);
  var wallPager = K.Pager($('s-wall-viewport'), $('s-wall-track'), $('s-wall-pager'), 12000);

  // ------------------------------------------------------------------ corner tools

  var fsBtn = $('fs-btn');
  var root = document.documentElement;
  if (!root.requestFullscreen) fsBtn.hidden = true;
  function renderFs() {
    var on = !!document.fullscreenElement;
    var text = on ? t('Leave full screen') : t('Full screen');
    fsBtn.setAttribute('aria-label', text);
    fsBtn.setAttribute('title', text);
    setText(fsBtn.querySelector('.btn-label'), text);
  }
  fsBtn.addEventListener('click', function () {
    if (document.fullscreenElement) document.exitFullscreen();
    else root.requestFullscreen().catch(function () {});
  });
  document.addEventListener('fullscreenchange', renderFs);
  K.ready.then(renderFs);

  // Keep the projector awake (needs a secure context: localhost or HTTPS). Where the browser
  // cannot (plain http on a LAN), the lobby says so and what to do instead.
  var wakeLock = null;
  function wakeUnavailable(unavailable) { show($('s-wake'), unavailable); }
  function requestWake() {
    if (!('wakeLock' in navigator)) { wakeUnavailable(true); return; }
    if (document.visibilityState !== 'visible' || wakeLock) return;
    navigator.wakeLock.request('screen').then(function (lock) {
      wakeLock = lock;
      wakeUnavailable(false);
      lock.addEventListener('release', function () { wakeLock = null; });
    }).catch(function (err) {
      wakeLock = null;
      // Refused outright (not merely asked too early, before a click): nothing keeps it awake.
      if (!err || err.name !== 'NotAllowedError' || !window.isSecureContext) wakeUnavailable(true);
    });
  }
  document.addEventListener('visibilitychange', requestWake);
  requestWake();

  // One click opens the screen as it should run: sound on (browsers need a click for it),
  // full screen, kept awake.
  // Offered in the lobby, where the projector is set up; later the corner tools (the sound
  // button stays in sight while off) do the same without covering the phase.
  var startBtn = $('screen-start');
  var started = false;
  startBtn.addEventListener('click', function () {
    started = true;
    K.sound.setMuted(false);
    if (root.requestFullscreen && !document.fullscreenElement) root.requestFullscreen().catch(function () {});
    requestWake();
    startBtn.hidden = true;
    setTimeout(function () { K.sound.chime('warn'); }, 120);
  });

  // Hide the pointer and the corner tools when nobody moves the mouse.
  var idleTimer = null;
  function wake() {
    document.body.classList.remove('is-idle');
    clearTimeout(idleTimer);
    idleTimer = setTimeout(function () { document.body.classList.add('is-idle'); }, 3500);
  }
  ['mousemove', 'pointerdown', 'keydown', 'focusin'].forEach(function (ev) { document.addEventListener(ev, wake); });
  wake();

  // ------------------------------------------------------------------ rendering

  var SECTIONS = ['s-loading', 's-problem', 's-ended', 's-lobby', 's-run'];
  function showOnly(id) { SECTIONS.forEach(function (s) { show($(s), s === id); }); }

  function render() {
    if (!state) return;
    show(startBtn, !started && state.status === 'lobby');
    if (state.status === 'ended') { K.setFamily(null); showOnly('s-ended'); return; }
    if (state.status === 'lobby') { K.setFamily(null); showOnly('s-lobby'); renderLobby(); return; }
    showOnly('s-run');
    K.setFamily(state.phase ? state.phase.kind : null);
    renderRun();
  }

  function observersText() {
    var observers = state.people.filter(function (p) { return p.role === 'observer'; });
    return observers.length ? t('Outer circle: {names}', { names: observers.map(function (p) { return p.name; }).join(', ') }) : '';
  }

  function renderLobby() {
    var circle = state.people.filter(K.inCircle);
    setText($('s-format'), K.pick(state.format.name));
    setText($('s-count'), t('In the circle: {n}', { n: circle.length }));
    K.renderRing($('s-lobby-ring'), state, { rx: 41, ry: 41 });
    var obs = observersText();
    setText($('s-lobby-observers'), obs);
    show($('s-lobby-observers'), !!obs);
  }

  function renderRun() {
    var phase = state.phase;
    var step = t('Step {i} of {n}', { i: phase.index + 1, n: state.plan.phases.length });
    setText($('s-step'), phase['case'] ? t('Case {n}', { n: phase['case'] }) + ' · ' + step : step);
    setText($('s-title'), K.pick(phase.title));
    setText($('s-rule'), K.pick(phase.rule));
    show($('s-badge-outside'), !!state.presenter_outside);
    show($('s-badge-paused'), !!(state.timer && state.timer.paused_remaining !== null));
    K.renderRing($('s-run-ring'), state, { rx: 41, ry: 41 });
    var obs = observersText();
    setText($('s-run-observers'), obs);
    show($('s-run-observers'), !!obs);

    var kinds = Object.keys(phase.posts || {});
    var showVote = phase.kind === 'vote' || !!(state.vote && state.vote.open) ||
      (phase.kind === 'break' && state.vote && state.vote['case'] > 1);
    var showWall = kinds.length > 0 && !showVote;
    bigVote = showVote && voteList().length > 4;
    $('s-run').classList.toggle('has-big-vote', bigVote);
    var right = $('s-right');
    right.classList.toggle('has-wall', showWall);
    right.classList.toggle('has-vote', showVote);
    right.classList.toggle('is-quiet', !showWall && !showVote);

    renderCase(showWall || showVote);
    renderNextCase(showVote);
    renderPrompts();
    show($('s-vote'), showVote);
    if (showVote) renderVote();
    show($('s-wall'), showWall);
    if (showWall) renderWall(kinds);

    if (lastPhaseKey !== phase.key) {
      lastPhaseKey = phase.key;
      seenCards = null;
      setTimeout(function () { wallPager.refresh(true); }, 30);
    }
  }

  function renderCase(compact) {
    var kase = K.currentCase(state);
    var box = $('s-case');
    var upcoming = !kase ? K.upcomingCase(state) : null;
    box.classList.toggle('is-upcoming', !!upcoming);
    if (upcoming) {
      // The break: which case comes next and who presents it, or that it is still open.
      show(box, true);
      box.classList.remove('is-compact');
      box.classList.toggle('is-large', !compact);
      K.patch(box, ['next', upcoming, K.LANG, state.people.map(function (p) { return [p.id, p.name]; })], function () {
        return h('p', { class: 's-case-head' },
          h('span', { class: 's-case-kicker' }, t('After the break')),
          h('span', { class: 's-case-title' }, upcoming.title ? t('Case {n}: {title}', { n: upcoming.number, title: upcoming.title })
            : t('Case {n}', { n: upcoming.number })),
          h('span', { class: 's-case-who' }, upcoming.presenter ? t('Presenter: {name}', { name: K.nameOf(state, upcoming.presenter) })
            : t('The leaders choose the case.')));
      });
      return;
    }
    show(box, !!kase);
    if (!kase) return;
    box.classList.toggle('is-large', !compact);
    var kind = state.phase.kind;
    box.classList.toggle('is-compact', !!compact);
    K.patch(box, [kase, K.LANG, compact, kind, state.people.map(function (p) { return [p.id, p.name]; })], function () {
      var title = kase.title || t('Case {n}', { n: kase.number });
      var who = kase.presenter ? t('Presenter: {name}', { name: K.nameOf(state, kase.presenter) }) : '';
      if (compact) {
        // Cards and votes need the room: one box, the case in its label line.
        return h('blockquote', { class: 's-request' + (kase.request && kase.request.length > 220 ? ' is-long' : '') },
          h('span', { class: 's-request-label' },
            kase.request ? h('span', { class: 's-request-kicker' }, t('Request')) : null,
            h('span', { class: 's-request-case' }, kase.request ? title : title + (who ? ' · ' + who : ''))),
          kase.request ? h('span', { class: 's-request-text' }, kase.request) : null);
      }
      var parts = [
        h('p', { class: 's-case-head' },
          h('span', { class: 's-case-title' }, title),
          who ? h('span', { class: 's-case-who' }, who) : null)
      ];
      if (kase.request) {
        var req = h('blockquote', { class: 's-request' + (kase.request.length > 220 ? ' is-long' : '') },
          h('span', { class: 's-request-label' }, t('Request')), h('span', { class: 's-request-text' }, kase.request));
        parts.push(req);
      } else if (kind === 'request') {
        parts.push(h('p', { class: 's-request is-empty' }, t('The request will appear here.')));
      }
      return parts;
    });
  }

  /** Between cases: the next case, when it came without a vote of its own (runner-up, or the leader's choice). */
  function renderNextCase(showVote) {
    var line = $('s-next-case');
    var next = null;
    // Only where the vote itself is not on the wall: the vote's own cards already say which case.
    if (state.phase['case'] === null && !showVote) {
      var done = {};
      state.plan.phases.forEach(function (p, i) { if (p['case'] && i <= state.phase.index) done[p['case']] = true; });
      next = state.cases.filter(function (c) { return !done[c.number] && c.title && (c.source === 'runner_up' || c.source === 'leader'); })[0] || null;
    }
    var text = '';
    if (next && next.source === 'runner_up') text = t('Case {n}: “{title}”, the runner-up of the vote.', { n: next.number, title: next.title });
    else if (next) text = t('Case {n}: “{title}”, chosen by the leader.', { n: next.number, title: next.title });
    setText(line, text);
    show(line, !!text);
  }

  function renderPrompts() {
    var prompts = state.phase.reflection || [];
    var list = $('s-prompts');
    show(list, prompts.length > 0);
    K.patch(list, [prompts, K.LANG], function () {
      return prompts.map(function (p) { return h('li', null, K.pick(p)); });
    });
  }

  /** The candidates the screen shows: the vote's, or the cases put forward before one opens. */
  function voteList() {
    var vote = state.vote;
    var byId = {};
    state.nominations.forEach(function (n) { byId[n.id] = n; });
    if (vote) return vote.candidates.map(function (id) { return byId[id]; }).filter(Boolean);
    return state.nominations.filter(function (n) { return !n['case']; });
  }

  /** Every candidate (up to 12) with its bar on one screen: the winner first, tied ones
   * together, no pages. Two columns beyond four; the titles shrink a little if still needed. */
  function renderVote() {
    var vote = state.vote;
    var list = voteList();
    var revealed = !!(vote && vote.revealed && vote.tallies);
    var undecided = revealed && !vote.winner && vote.tie ? vote.tie : [];
    var rows = list.map(function (n) { return { n: n, votes: revealed ? (vote.tallies[n.id] || 0) : null }; });
    if (revealed) {
      rows.sort(function (a, b) {
        return (b.votes - a.votes) || ((b.n.id === vote.winner) - (a.n.id === vote.winner)) ||
          ((undecided.indexOf(b.n.id) !== -1) - (undecided.indexOf(a.n.id) !== -1));
      });
    }
    var head;
    if (!vote) head = list.length ? t('Cases put forward: {n}', { n: list.length }) : t('Who has a case? Put it forward from your phone.');
    else if (vote.open) head = t('The vote is open · {n} people have voted', { n: vote.voters });
    else if (!vote.revealed) head = t('The vote is closed · {n} people voted', { n: vote.voters });
    else if (vote.winner) {
      var won = list.filter(function (n) { return n.id === vote.winner; })[0];
      head = t('Case {n}: {title}', { n: vote['case'], title: won ? won.title : '' });
    } else head = t('A tie: the leader decides.');
    setText($('s-vote-head'), head);
    $('s-vote-head').classList.toggle('is-result', !!(vote && vote.revealed));

    var many = rows.length > 4;
    var track = $('s-noms');
    track.classList.toggle('is-many', many);
    track.style.setProperty('--rows', String(many ? Math.ceil(rows.length / 2) : rows.length));
    var sig = [rows.map(function (r) { return [r.n.id, r.n.title, r.n.pitch, r.n.by, r.n['case'], r.votes]; }),
      vote && [vote.revealed, vote.winner, undecided, vote['case']], K.LANG, state.people.map(function (p) { return [p.id, p.name]; })];
    K.patch(track, sig, function () {
      var max = rows.reduce(function (m, r) { return Math.max(m, r.votes || 0); }, 0);
      return rows.map(function (row) {
        var n = row.n;
        var winner = revealed && vote.winner === n.id;
        var tied = undecided.indexOf(n.id) !== -1;
        var assigned = n['case'] && revealed ? n['case'] : null;
        var li = h('li', { class: 's-nom' + (winner ? ' is-winner' : '') + (tied ? ' is-tied' : '') },
          h('p', { class: 's-nom-title' }, n.title,
            assigned ? h('span', { class: 'tag tag-case' }, t('Case {n}', { n: assigned })) : null,
            tied ? h('span', { class: 'tag tag-tie' }, t('tied')) : null),
          n.pitch && !many ? h('p', { class: 's-nom-pitch' }, n.pitch) : null,
          h('p', { class: 's-nom-by' }, K.nameOf(state, n.by)));
        if (row.votes !== null) {
          var bar = h('span', { class: 'tally-bar' });
          bar.style.width = (max ? (row.votes / max) * 100 : 0).toFixed(0) + '%';
          li.appendChild(h('p', { class: 'tally' }, h('span', { class: 'tally-track', 'aria-hidden': 'true' }, bar),
            h('span', { class: 'tally-n' }, String(row.votes))));
        }
        return li;
      });
    });
    fitVote();
  }

  /** Shrink the candidates' type in steps until all of them fit the space left. */
  function fitVote() {
    var viewport = $('s-vote-viewport');
    var track = $('s-noms');
    if (!viewport || viewport.offsetParent === null) return;
    var fit = 1;
    track.style.setProperty('--fit', '1');
    while (fit > 0.6 && (track.scrollHeight > viewport.clientHeight + 1 || track.scrollWidth > viewport.clientWidth + 1)) {
      fit = Math.round((fit - 0.05) * 100) / 100;
      track.style.setProperty('--fit', String(fit));
    }
  }
  window.addEventListener('resize', function () { if (state && state.status === 'running') fitVote(); });

  function renderWall(kinds) {
    var cards = state.cards.filter(function (c) { return kinds.indexOf(c.kind) !== -1; }).slice().reverse();
    // When the presenter returns, their response leads the wall, ahead of the discussion's thoughts.
    var lead = cards.filter(function (c) { return c.kind === 'response'; });
    if (lead.length) cards = lead.concat(cards.filter(function (c) { return c.kind !== 'response'; }));
    var fresh = false;
    var known = seenCards || {};
    var firstPass = seenCards === null;
    var track = $('s-wall-track');
    K.patch(track, [cards, K.LANG, kinds, state.people.map(function (p) { return [p.id, p.name]; })], function () {
      if (!cards.length) {
        return h('li', { class: 'wall-empty' }, t('Cards written on the phones appear here.'));
      }
      return cards.map(function (c) {
        var isNew = !firstPass && !known[c.id];
        if (isNew) fresh = true;
        var len = c.text.length;
        var response = c.kind === 'response';
        return h('li', { class: 'wall-card card-' + c.kind + (len > 150 || response ? ' is-wide' : '') + (len > 320 ? ' is-long' : '') +
          (response ? ' is-response' : '') + (isNew ? ' is-new' : '') },
          h('p', { class: 'wall-text' }, c.text),
          c.by || kinds.length > 1 ? h('p', { class: 'wall-by' },
            (kinds.length > 1 ? t(K.KIND_LABEL[c.kind]) + (c.by ? ' · ' : '') : '') + (c.by ? K.nameOf(state, c.by) : '')) : null);
      });
    });
    seenCards = {};
    cards.forEach(function (c) { seenCards[c.id] = true; });
    setTimeout(function () { wallPager.refresh(fresh); }, 30);
  }

  // ------------------------------------------------------------------ clock

  K.onFrame(function () {
    if (!state || state.status !== 'running') return;
    if (bigVote) headCountdown.update(state.timer);
    else countdown.update(state.timer);
    plan.update(state);
  });

  // ------------------------------------------------------------------ start

  function problem(title, text) {
    showOnly('s-problem');
    if (title) setText($('s-problem-title'), title);
    if (text) setText($('s-problem-text'), text);
  }

  K.ready.then(function () {
    var token = K.store.get(K.keys.screen(CODE));
    if (!token) {
      if (K.store.get(K.keys.ended(CODE))) { showOnly('s-ended'); return; }
      problem();
      return;
    }
    K.connect({
      token: token,
      outbox: false,
      onState: function (s) { state = s; render(); },
      onMe: function () {},
      onEnded: function () { K.wipe('s-run'); K.wipe('s-lobby'); showOnly('s-ended'); },
      onAuthFail: function () {
        K.store.remove(K.keys.screen(CODE));
        if (K.store.get(K.keys.ended(CODE))) showOnly('s-ended');
        else problem();
      }
    });
  });
})();
