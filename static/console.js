/* The leader console: phases, timer, vote, cases, cards, people, settings. */
(function () {
  'use strict';
  var K = window.Krug;
  var t = K.t, h = K.h, $ = K.$, show = K.show, setText = K.setText;
  var CODE = K.CODE;

  var room = null;
  var state = null;
  var me = null;
  var requestDirty = false;

  var countdown = K.Countdown('cd-console');
  $('c-clock').appendChild(countdown.node);
  var plan = K.PlanBar('plan-console');
  $('c-plan').appendChild(plan.node);
  K.soundButton($('sound-btn'));

  var SECTIONS = ['c-loading', 'c-problem', 'c-ended', 'c-room'];
  function showOnly(id) { SECTIONS.forEach(function (s) { show($(s), s === id); }); }

  function leading() { return !!me && (me.role === 'leader' || me.role === 'coleader'); }
  function mainLeader() { return !!me && me.role === 'leader'; }
  function running() { return !!state && state.status === 'running'; }

  function send(event, payload, opts) {
    if (!room) return Promise.resolve({ ok: false });
    return room.send(event, payload || {}, opts);
  }

  // Moves and the clock carry what they act on and are retried until answered: a repeat (a
  // lost answer, a second press) never moves the room twice or adds the minutes twice.
  function sendOnce(event, payload) { return send(event, payload, { retry: true }); }
  function fromHere(extra) { return Object.assign({ expect_phase: state.phase.index }, extra); }

  function button(label, cls, onClick, extra) {
    var b = h('button', Object.assign({ type: 'button', class: 'btn ' + (cls || 'btn-quiet btn-small') }, extra || {}), label);
    b.addEventListener('click', function () {
      if (b.disabled) return;
      onClick(b);
    });
    return b;
  }

  function phaseTitle(index) {
    var p = state.plan.phases[index];
    return p ? K.pick(p.title) : '';
  }

  // ------------------------------------------------------------------ controls (wired once)

  $('c-start').addEventListener('click', function () {
    send('start').then(function (ack) {
      // The Start button goes away: the keyboard goes on from "Next", not from the page top.
      if (ack.ok) setTimeout(function () { if (!$('c-next').hidden) $('c-next').focus(); }, 0);
    });
  });
  $('c-next').addEventListener('click', function () {
    if (!running()) return;
    var next = state.phase.index + 1;
    var title = nextGroupStep() || phaseTitle(next);
    K.confirm(t('Move on to “{title}”?', { title: title }), t('Move on')).then(function (ok) {
      if (ok) sendOnce('next_phase', fromHere());
    });
  });
  $('c-back').addEventListener('click', function () {
    if (!running()) return;
    var prev = state.phase.index - 1;
    K.confirm(t('Go back to “{title}”? Its timer starts again.', { title: phaseTitle(prev) }), t('Go back')).then(function (ok) {
      if (ok) sendOnce('previous_phase', fromHere());
    });
  });
  $('c-pause').addEventListener('click', function () {
    if (!running() || !state.timer) return;
    sendOnce(state.timer.paused_remaining !== null ? 'resume' : 'pause');
  });
  /** −1 / +1 / +5 min, and what the timer says now for a leader who cannot see it. */
  function extend(minutes) {
    sendOnce('extend', { minutes: minutes }).then(function (ack) {
      if (!ack || !ack.ok || !state || !state.timer) return;
      var paused = state.timer.paused_remaining !== null && state.timer.paused_remaining !== undefined;
      K.announce(K.spokenTime(K.remaining(state.timer), paused));
    });
  }
  $('c-minus1').addEventListener('click', function () { extend(-1); });
  $('c-plus1').addEventListener('click', function () { extend(1); });
  $('c-plus5').addEventListener('click', function () { extend(5); });

  $('c-end').addEventListener('click', function () {
    K.confirm(t('End the session? All case content (names, titles, requests, cards) will be deleted for everyone. This cannot be undone.'),
      t('End and delete')).then(function (ok) { if (ok) send('end_session'); });
  });

  $('c-admit-each').addEventListener('change', function () {
    var box = $('c-admit-each');
    send('set_admit_each', { on: box.checked }).then(function (ack) { if (!ack.ok) box.checked = !box.checked; });
  });
  $('c-lock').addEventListener('change', function () {
    var box = $('c-lock');
    send('set_locked', { locked: box.checked }).then(function (ack) { if (!ack.ok) box.checked = !box.checked; });
  });

  $('c-hold').addEventListener('change', function () {
    var box = $('c-hold');
    send('set_card_hold', { on: box.checked }).then(function (ack) { if (!ack.ok) box.checked = !box.checked; });
  });

  $('c-budget-save').addEventListener('click', function () {
    send('set_vote_budget', { budget: Number($('c-budget').value) }).then(function (ack) {
      if (ack.ok) K.toast(t('Saved'), 'info', 1800);
    });
  });

  var joinUrl = $('c-join-url').textContent.trim();
  $('c-copy-join').addEventListener('click', function () { K.copyText(joinUrl); });
  var screenToken = K.store.get(K.keys.screen(CODE));
  // The screen opens in the console's language; its token travels in the fragment only.
  var screenPath = '/s/' + CODE + '?lang=' + K.LANG + (screenToken ? '#' + screenToken : '');
  var screenUrl = window.location.origin + screenPath;
  if (screenToken) {
    $('c-open-screen').setAttribute('href', screenPath);
    $('c-copy-screen').addEventListener('click', function () { K.copyText(screenUrl); });
  } else {
    $('c-screen-field').hidden = true;
  }

  var requestText = $('c-request-text');
  var requestCounter = K.bindCounter(requestText, $('c-request-count'), K.LIMITS.request);
  requestText.addEventListener('input', function () { requestDirty = true; });
  $('c-request-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var text = requestText.value.trim();
    if (!text) { K.toast(K.errorText('empty_text'), 'error'); return; }
    send('set_request', { text: text }).then(function (ack) {
      if (ack.ok) { requestDirty = false; K.toast(t('Saved'), 'info', 1800); }
    });
  });

  // ------------------------------------------------------------------ rendering

  function render() {
    if (!state || !me) return;
    if (state.status === 'ended') { K.setFamily(null); showEnded(); return; }
    if (!leading()) {
      showOnly('c-problem');
      setText($('c-problem-title'), t('You are not leading this session'));
      setText($('c-problem-text'), t('Only the leader and co-leaders use the console. Your phone page lets you take part.'));
      return;
    }
    showOnly('c-room');
    K.setFamily(running() && state.phase ? state.phase.kind : null);
    renderNow();
    renderVote();
    renderCases();
    renderCards();
    renderDoor();
    renderPeople();
    renderPhases();
    renderSettings();
    renderGroups();
  }

  // --- the door: people who joined after the start wait for a leader, in a banner on top

  var doorKnown = null;
  function renderDoor() {
    var waiting = state.people.filter(function (p) { return p.waiting; });
    show($('c-door'), waiting.length > 0);
    if (doorKnown !== null) {
      waiting.forEach(function (p) { if (!doorKnown[p.id]) K.announce(t('At the door: {name}', { name: p.name })); });
    }
    doorKnown = {};
    waiting.forEach(function (p) { doorKnown[p.id] = true; });
    K.patch($('c-door-list'), [waiting.map(function (p) { return [p.id, p.name]; }), K.LANG], function () {
      return waiting.map(function (p) {
        return h('li', { class: 'c-door-item' },
          h('p', { class: 'c-door-text' }, t('At the door: {name}', { name: p.name }),
            h('span', { class: 'c-door-hint' }, t('The session has started; let them in or turn them away.'))),
          h('div', { class: 'row-actions' },
            button(t('Let in'), 'btn-primary btn-small', function () { send('admit', { person_id: p.id, admit: true }); },
              { 'data-fk': 'admit-' + p.id, 'aria-label': t('Let in: {name}', { name: p.name }) }),
            button(t('Turn away'), 'btn-quiet btn-small', function () {
              K.confirm(t('Turn {name} away? They cannot join this session.', { name: p.name }), t('Turn away')).then(function (ok) {
                if (ok) send('admit', { person_id: p.id, admit: false });
              });
            }, { 'data-fk': 'refuse-' + p.id, 'aria-label': t('Turn away: {name}', { name: p.name }) })));
      });
    });
  }

  // --- small groups: size, the leader in or out, another draw, swaps; "Next" starts round 1

  var swapFrom = null;
  function renderGroups() {
    // Formats without cases (troika, tutorial, reflection) need no case or vote panels.
    var caseless = !!(state.format && state.format.cases === 0);
    ['.c-vote', '.c-cases'].forEach(function (sel) { var node = document.querySelector(sel); if (node) show(node, !caseless); });
    var groups = running() ? state.groups : null;
    show($('c-groups'), !!groups);
    if (!groups) { swapFrom = null; return; }
    var G = K.Groups;
    setText($('c-groups-head'), G.headline(state));
    setText($('c-groups-rule'), G.ruleText(groups));
    show($('c-groups-tools'), groups.forming);
    show($('c-groups-swap-hint'), groups.forming);
    $('c-group-size').value = String(groups.size);
    $('c-group-leader').checked = !!groups.with_leader;
    K.patch($('c-group-list'), [groups, swapFrom, K.LANG, state.people.map(function (p) { return [p.id, p.name]; })], function () {
      return groups.list.map(function (group, index) {
        return h('li', { class: 'c-group' }, h('span', { class: 'c-group-n' }, t('Group {n}', { n: index + 1 })),
          group.members.map(function (pid) {
            var role = group.roles[pid];
            var label = K.nameOf(state, pid) + (role ? ' · ' + G.roleTitle(state, role) : '');
            if (!groups.forming) return h('span', { class: 'chip' }, label);
            var b = h('button', { type: 'button', class: 'chip chip-btn' + (swapFrom === pid ? ' is-picked' : ''),
              'aria-pressed': swapFrom === pid ? 'true' : 'false' }, label);
            b.addEventListener('click', function () {
              if (!swapFrom || swapFrom === pid) { swapFrom = swapFrom === pid ? null : pid; renderGroups(); return; }
              var first = swapFrom;
              swapFrom = null;
              send('swap_people', { person_id: first, other_id: pid });
            });
            return b;
          }));
      });
    });
  }

  /** Inside a small-group phase "Next" moves to the next step or round; its title, or null. */
  function nextGroupStep() {
    var g = state.groups, spec = K.Groups.spec(state);
    if (!g || !spec) return null;
    var round = g.forming ? 0 : g.round, step = g.forming ? 0 : g.step + 1;
    if (step >= spec.steps.length) { step = 0; round += 1; }
    if (round >= g.rounds) return null;
    var text = t('Round {i} of {n}', { i: round + 1, n: g.rounds });
    return spec.steps.length > 1 ? text + ' · ' + K.pick(spec.steps[step].title) : text;
  }

  function splitAgain() {
    send('split_groups', { size: Number($('c-group-size').value), with_leader: $('c-group-leader').checked });
  }
  $('c-group-size').addEventListener('change', splitAgain);
  $('c-group-leader').addEventListener('change', splitAgain);
  $('c-group-split').addEventListener('click', splitAgain);

  function renderNow() {
    var phase = state.phase;
    var live = running() && phase;
    var total = state.plan.phases.length;
    if (live) {
      var step = t('Step {i} of {n}', { i: phase.index + 1, n: total });
      setText($('c-step'), phase['case'] && !state.format.focus ? t('Case {n}', { n: phase['case'] }) + ' · ' + step : step);
      setText($('c-now-title'), K.pick(phase.title));
    } else {
      setText($('c-step'), t('Lobby'));
      setText($('c-now-title'), K.pick(state.format.name));
    }
    var kase = live ? K.currentCase(state) : null;
    show($('c-case'), !!kase);
    if (kase) {
      setText($('c-case'), (kase.title || t('Case {n}', { n: kase.number })) + ' — ' +
        (kase.presenter ? t('Presenter: {name}', { name: K.nameOf(state, kase.presenter) }) : t('No presenter yet')));
    }
    var prompt = live && phase.prompt ? K.pick(phase.prompt) : '';
    setText($('c-prompt'), prompt);
    show($('c-prompt'), !!prompt);

    var circle = state.people.filter(K.inCircle);
    show($('c-lobby-note'), !live);
    if (!live) {
      setText($('c-lobby-note'), circle.length < 2
        ? t('{n} in the circle. At least two people are needed to start: ask them to scan the QR code on the screen.', { n: circle.length })
        : t('{n} in the circle. Start when everyone is here.', { n: circle.length }));
    }
    show($('c-start'), !live);
    $('c-start').disabled = circle.length < 2;
    ['c-back', 'c-pause', 'c-next', 'c-minus1', 'c-plus1', 'c-plus5'].forEach(function (id) { show($(id), !!live); });
    show($('c-plan'), !!live);
    show($('c-clock'), !!live);
    if (live) {
      $('c-back').disabled = phase.index <= 0;
      var groupStep = nextGroupStep();  // rounds left in a small-group phase, even the last one
      $('c-next').disabled = phase.index >= total - 1 && !groupStep;
      $('c-next').setAttribute('title', groupStep || (phase.index >= total - 1 ? K.errorText('no_next_phase') : t('Next phase: {title}', { title: phaseTitle(phase.index + 1) })));
      var paused = state.timer && state.timer.paused_remaining !== null;
      // The label says what the button does; no aria-pressed on top of a changing label.
      setText($('c-pause'), paused ? t('Resume') : t('Pause'));
    }
  }

  // --- vote

  /** A case none of whose phases has begun: its presenter may still change. */
  function caseAhead(number) {
    if (state.status === 'lobby') return true;
    var idx = state.phase ? state.phase.index : -1;
    return state.plan.phases.every(function (p, i) { return p['case'] !== number || i > idx; });
  }

  function firstOpenCase() {
    var open = state.cases.filter(function (c) { return !c.presenter; })[0];
    return open ? open.number : state.cases.length;
  }

  function renderVote() {
    var vote = state.vote;
    var kind = state.phase ? state.phase.kind : null;
    var nominationTime = state.status === 'lobby' || K.NOMINATION_KINDS.indexOf(kind) !== -1;
    var unused = state.nominations.filter(function (n) { return !n['case']; });
    var byId = {};
    state.nominations.forEach(function (n) { byId[n.id] = n; });

    var status;
    if (!vote) status = state.nominations.length ? t('Cases put forward: {n}. No vote yet.', { n: state.nominations.length }) : t('Nobody has put a case forward yet.');
    else if (vote.open) {
      status = t('Vote for case {n} is open: {v} of {total} have voted.',
        { n: vote['case'], v: vote.voters, total: vote.eligible });
    }
    else if (!vote.winner && vote.tie) status = t('Vote for case {n}: a tie. Choose the case.', { n: vote['case'] });
    else if (!vote.revealed) status = t('Vote for case {n} is closed. The group sees the results when you reveal them.', { n: vote['case'] });
    else status = t('Vote for case {n}: the results are on the screen.', { n: vote['case'] });
    setText($('c-vote-status'), status);

    K.patch($('c-vote-actions'), [vote, kind, state.status, unused.length, state.cases.map(function (c) { return c.presenter; }), K.LANG], function () {
      var parts = [];
      if ((!vote || vote.revealed) && nominationTime) {
        var select = h('select', { id: 'c-vote-case', 'data-fk': 'vote-case', 'aria-label': t('Case to vote on') });
        state.cases.forEach(function (c) {
          var opt = h('option', { value: String(c.number) }, t('Case {n}', { n: c.number }));
          if (c.number === firstOpenCase()) opt.selected = true;
          select.appendChild(opt);
        });
        var openBtn = button(vote ? t('Open a new vote') : t('Open the vote'), vote ? 'btn-quiet btn-small' : 'btn-primary btn-small', function () {
          send('open_vote', { 'case': Number(select.value) });
        }, { 'data-fk': 'open-vote', disabled: !unused.length });
        parts.push(h('div', { class: 'copy-row' }, state.cases.length > 1 ? select : null, openBtn));
      }
      if (vote && vote.open) {
        parts.push(button(t('Close the vote'), 'btn-primary btn-small', function () { send('close_vote'); }, { 'data-fk': 'close-vote' }));
      }
      if (vote && !vote.open && !vote.revealed) {
        parts.push(button(t('Reveal the results'), 'btn-primary btn-small', function () { send('reveal_vote'); }, { 'data-fk': 'reveal-vote' }));
      }
      if (vote && !vote.open && vote.tie && !vote.winner) {
        parts.push(h('p', { class: 'label' }, t('Break the tie:')));
        vote.tie.forEach(function (id) {
          var n = byId[id];
          parts.push(button(t('Choose “{title}”', { title: n ? n.title : id }), 'btn-quiet btn-small', function () {
            send('break_tie', { nomination_id: id });
          }, { 'data-fk': 'tie-' + id }));
        });
      }
      return parts;
    });

    K.patch($('c-noms'), [state.nominations, vote, state.cases.length, state.phase ? state.phase.index : -1, K.LANG, state.people.map(function (p) { return [p.id, p.name]; })], function () {
      if (!state.nominations.length) return null;
      var tallies = vote && vote.tallies ? vote.tallies : null;
      var list = state.nominations.slice();
      if (tallies) {
        list.sort(function (a, b) {
          return ((tallies[b.id] || 0) - (tallies[a.id] || 0)) || ((b.id === vote.winner) - (a.id === vote.winner));
        });
      }
      return list.map(function (n) {
        var inVote = vote && vote.candidates.indexOf(n.id) !== -1;
        var li = h('li', { class: 'c-nom' + (vote && vote.winner === n.id ? ' is-winner' : '') },
          h('p', { class: 'c-nom-title' }, n.title,
            n['case'] ? h('span', { class: 'tag tag-case' }, t('Case {n}', { n: n['case'] })) : null,
            tallies && inVote ? h('span', { class: 'tag tag-tally' }, t('Votes: {n}', { n: tallies[n.id] || 0 })) : null),
          n.pitch ? h('p', { class: 'c-nom-pitch' }, n.pitch) : null,
          h('p', { class: 'c-nom-by' }, t('put forward by {name}', { name: K.nameOf(state, n.by) })));
        var actions = h('div', { class: 'row-actions' });
        if (!vote || !vote.open) {
          state.cases.forEach(function (c) {
            if (n['case'] === c.number || !caseAhead(c.number) || (n['case'] && !caseAhead(n['case']))) return;
            actions.appendChild(button(t('Make it case {n}', { n: c.number }), 'btn-quiet btn-small', function () {
              K.confirm(t('Make “{title}” case {n}? {name} becomes its presenter.', { title: n.title, n: c.number, name: K.nameOf(state, n.by) }),
                t('Assign')).then(function (ok) { if (ok) send('assign_case', { 'case': c.number, nomination_id: n.id }); });
            }, { 'data-fk': 'assign-' + n.id + '-' + c.number }));
          });
        }
        if (!n['case'] && (!vote || vote.open || !inVote)) {
          actions.appendChild(button(t('Withdraw'), 'btn-quiet btn-small', function () {
            K.confirm(t('Withdraw the case “{title}”?', { title: n.title }), t('Withdraw')).then(function (ok) {
              if (ok) send('withdraw_nomination', { nomination_id: n.id });
            });
          }, { 'data-fk': 'wd-' + n.id }));
        }
        if (actions.children.length) li.appendChild(actions);
        return li;
      });
    });
    renderVoteNote();
  }

  /** Who has not voted yet (leaders only learn it), or how the next case was chosen without a word. */
  function renderVoteNote() {
    var vote = state.vote;
    var note = $('c-vote-note');
    var text = '';
    if (vote && vote.open && vote.not_voted) {
      var names = vote.not_voted.map(function (id) { return K.nameOf(state, id); });
      text = names.length ? t('Not voted yet: {names}', { names: names.join(', ') }) : t('Everyone in the circle has voted.');
    } else {
      var runnerUp = state.cases.filter(function (c) { return c.source === 'runner_up' && caseAhead(c.number); })[0];
      if (runnerUp) {
        text = t('Case {n}: “{title}”, the runner-up of the vote.', { n: runnerUp.number, title: runnerUp.title }) + ' ' +
          t('To take another case, choose “Make it case {n}” on it, or open a new vote in the break.', { n: runnerUp.number });
      }
    }
    setText(note, text);
    show(note, !!text);
  }

  // --- cases

  function renderCases() {
    K.patch($('c-case-list'), [state.cases, state.phase ? state.phase['case'] : null, state.status, K.LANG, state.people.map(function (p) { return [p.id, p.name]; })], function () {
      return state.cases.map(function (c) {
        var current = state.phase && state.phase['case'] === c.number && running();
        return h('li', { class: 'c-case-item' + (current ? ' is-current' : '') },
          h('p', { class: 'c-case-head' }, h('span', { class: 'tag tag-case' }, t('Case {n}', { n: c.number })),
            ' ', c.title || t('not chosen yet')),
          h('p', { class: 'small' }, c.presenter ? t('Presenter: {name}', { name: K.nameOf(state, c.presenter) }) : t('No presenter yet')),
          c.request ? h('p', { class: 'c-case-request' }, h('span', { class: 'label' }, t('Request')), ' ', c.request) : null);
      });
    });
    var phase = state.phase;
    var kase = running() ? K.currentCase(state) : null;
    var canRequest = !!(kase && phase && (phase.kind === 'request' || phase.kind === 'presentation'));
    show($('c-request-form'), canRequest);
    if (canRequest && !requestDirty && document.activeElement !== requestText && requestText.value !== (kase.request || '')) {
      requestText.value = kase.request || '';
      requestCounter();
    }
  }

  // --- cards

  function renderCards() {
    var cards = state.cards.slice().reverse();
    K.patch($('c-card-list'), [cards, K.LANG, state.people.map(function (p) { return [p.id, p.name]; })], function () {
      if (!cards.length) return h('li', { class: 'muted small' }, t('No cards in this part of the session yet.'));
      return cards.map(function (c) {
        var who = c.by ? K.nameOf(state, c.by) : t('anonymous');
        var hide = button(c.hidden ? t('Show again') : t('Hide'), 'btn-quiet btn-small', function () {
          send('hide_card', { card_id: c.id, hidden: !c.hidden });
        }, { 'data-fk': 'hide-' + c.id, 'aria-label': (c.hidden ? t('Show again') : t('Hide')) + ': ' + c.text.slice(0, 40) });
        return h('li', { class: 'c-card' + (c.hidden ? ' is-hidden' : '') + (c.held ? ' is-held' : '') },
          h('p', { class: 'c-card-text' }, c.text),
          h('p', { class: 'c-card-meta' }, t(K.KIND_LABEL[c.kind] || c.kind) + ' · ' + who + (c.hidden ? ' · ' + t('hidden') : '') +
            (c.held ? ' · ' + t('waiting for release') : '')),
          c.held ? h('div', { class: 'c-card-actions' }, releaseButton(c), hide) : hide);
      });
    });
    renderRelease(cards.filter(function (c) { return c.held; }));
  }

  // --- the card hold: cards wait here until a leader lets them reach the room

  function releaseButton(c) {
    return button(t('Release'), 'btn-primary btn-small', function (b) {
      b.disabled = true;
      send('release_cards', { card_ids: [c.id] }).then(function () { b.disabled = false; });
    }, { 'data-fk': 'release-' + c.id, 'aria-label': t('Release') + ': ' + c.text.slice(0, 40) });
  }

  function renderRelease(held) {
    var bar = $('c-release');
    show(bar, held.length > 0);
    K.patch(bar, [held.length, K.LANG], function () {
      if (!held.length) return null;
      return [
        h('p', { class: 'c-release-text' }, t('Cards waiting for your release: {n}', { n: held.length })),
        button(t('Release all'), 'btn-primary btn-small', function (b) {
          b.disabled = true;
          send('release_cards', { all: true }).then(function () { b.disabled = false; });
        }, { 'data-fk': 'release-all' })
      ];
    });
  }

  // --- people

  function presenceText(p) {
    var st = K.presence(p);
    if (st === 'online') return t('online');
    if (st === 'reconnecting') return t('reconnecting…');
    return p.off_since ? t('away') : t('not connected yet');
  }

  function renderPeople() {
    // Those at the door are in the banner above, not here.
    var people = state.people.filter(function (p) { return !p.waiting; }).sort(function (a, b) {
      return (K.inCircle(a) ? 0 : 1) - (K.inCircle(b) ? 0 : 1);
    });
    var sig = [people.map(function (p) { return [p.id, p.name, p.role, K.presence(p), !!p.off_since, !!p.waiting]; }),
      state.cases.map(function (c) { return c.presenter; }), me.role, me.person, K.LANG, state.phase ? state.phase.index : -1];
    K.patch($('c-person-list'), sig, function () {
      return people.map(function (p) {
        var circle = K.inCircle(p);
        var presents = state.cases.filter(function (c) { return c.presenter === p.id; }).map(function (c) { return c.number; });
        var li = h('li', { class: 'c-person presence-' + K.presence(p) },
          h('div', { class: 'c-person-main' },
            h('span', { class: 'presence-dot', 'aria-hidden': 'true' }),
            h('span', { class: 'c-person-name' }, p.name || '—'),
            p.id === me.person ? h('span', { class: 'tag' }, t('you')) : null,
            h('span', { class: 'tag tag-role-' + p.role }, t(K.ROLE_LABEL[p.role] || p.role)),
            presents.map(function (n) { return h('span', { class: 'tag tag-case' }, t('presents case {n}', { n: n })); }),
            h('span', { class: 'c-person-presence' }, presenceText(p))));
        var actions = [];
        if (circle && mainLeader() && p.role !== 'leader') {
          var co = p.role === 'coleader';
          actions.push(button(co ? t('Remove co-leader') : t('Make co-leader'), 'btn-quiet btn-small', function () {
            send('make_coleader', { person_id: p.id, on: !co });
          }, { 'data-fk': 'co-' + p.id }));
        }
        if (circle && mainLeader() && p.id !== me.person) {
          actions.push(button(t('Hand leadership'), 'btn-quiet btn-small', function () {
            K.confirm(t('Hand leadership to {name}? They get the full console; you stay in the circle.', { name: p.name }),
              t('Hand over')).then(function (ok) { if (ok) send('hand_leadership', { person_id: p.id }); });
          }, { 'data-fk': 'lead-' + p.id }));
        }
        state.cases.forEach(function (c) {
          if (!circle || c.presenter === p.id || !caseAhead(c.number)) return;
          actions.push(button(t('Presenter of case {n}', { n: c.number }), 'btn-quiet btn-small', function () {
            send('assign_presenter', { 'case': c.number, person_id: p.id });
          }, { 'data-fk': 'pres-' + p.id + '-' + c.number }));
        });
        if (p.role !== 'leader' && p.id !== me.person) {
          actions.push(button(t('Remove from the room'), 'btn-quiet btn-small', function () {
            K.confirm(t('Remove from the room: {name}? Their device forgets the room; their cards stay, without a name.', { name: p.name }),
              t('Remove')).then(function (ok) { if (ok) send('remove_person', { person_id: p.id }); });
          }, { 'data-fk': 'remove-' + p.id }));
        }
        if (actions.length) {
          var details = h('details', { class: 'c-person-actions' },
            h('summary', { 'data-fk': 'more-' + p.id, 'aria-label': t('Actions for {name}', { name: p.name }) }, t('Actions')),
            h('div', { class: 'row-actions' }, actions));
          li.appendChild(details);
        }
        return li;
      });
    });
  }

  // --- phases

  function renderPhases() {
    var idx = running() && state.phase ? state.phase.index : -1;
    K.patch($('c-phase-list'), [state.plan.phases.map(function (p) { return [p.key, p.seconds]; }), idx, state.status, K.LANG], function () {
      return state.plan.phases.map(function (p, i) {
        var when = i < idx ? 'done' : (i === idx ? 'current' : 'future');
        var minutes = (Math.round(p.seconds / 60 * 10) / 10).toLocaleString(K.LANG);
        var li = h('li', { class: 'c-phase is-' + when + ' fam-' + K.familyOf(p.kind) },
          h('span', { class: 'c-phase-dot', 'aria-hidden': 'true' }),
          h('span', { class: 'c-phase-title' }, K.pick(p.title),
            p['case'] ? h('span', { class: 'muted small' }, ' · ' + t('case {n}', { n: p['case'] })) : null),
          h('span', { class: 'c-phase-min' }, minutes + ' ' + t('min')));
        if (when === 'current') li.setAttribute('aria-current', 'step');
        if (running() && when !== 'current') {
          li.appendChild(button(t('Go'), 'btn-quiet btn-small', function () {
            K.confirm(t('Jump to “{title}”? Its timer starts from the beginning.', { title: K.pick(p.title) }), t('Jump')).then(function (ok) {
              if (ok) sendOnce('jump_to_phase', fromHere({ index: i }));
            });
          }, { 'data-fk': 'go-' + i, 'aria-label': t('Go to {title}', { title: K.pick(p.title) }) }));
        }
        return li;
      });
    });
  }

  // --- settings

  function renderSettings() {
    var used = (state.format.card_kinds || []).slice();
    (state.settings.anonymous || []).forEach(function (k) { if (used.indexOf(k) === -1) used.push(k); });
    used.sort(function (a, b) { return K.CARD_KINDS.indexOf(a) - K.CARD_KINDS.indexOf(b); });
    K.patch($('c-anon'), [used, state.settings.anonymous, K.LANG], function () {
      return used.map(function (kind) {
        var id = 'anon-' + kind;
        var box = h('input', { type: 'checkbox', id: id, 'data-fk': id, checked: state.settings.anonymous.indexOf(kind) !== -1 });
        box.addEventListener('change', function () {
          send('set_anonymity', { kind: kind, anonymous: box.checked }).then(function (ack) {
            if (!ack.ok) box.checked = !box.checked;
          });
        });
        return h('label', { class: 'check', for: id }, box, h('span', null, t(K.KIND_PLURAL[kind])));
      });
    });
    var lock = $('c-lock');
    lock.checked = !!state.settings.locked;
    $('c-admit-each').checked = !!state.settings.admit_each;
    $('c-hold').checked = !!state.settings.card_hold;
    var budget = $('c-budget');
    if (document.activeElement !== budget) budget.value = String(state.settings.vote_budget);
    var voteOpen = !!(state.vote && state.vote.open);
    budget.disabled = voteOpen;
    $('c-budget-save').disabled = voteOpen;
  }

  // ------------------------------------------------------------------ clock

  K.onFrame(function () {
    if (state && state.status === 'running') {
      countdown.update(state.timer);
      plan.update(state);
    }
  });
  setInterval(function () { if (state && state.status !== 'ended' && leading()) renderPeople(); }, 5000);

  /** The end: and for a leader, the way to the content-free debrief. */
  function showEnded() {
    show($('c-debrief'), !!K.store.get(K.keys.debrief(CODE)));
    showOnly('c-ended');
  }

  // ------------------------------------------------------------------ start

  K.ready.then(function () {
    var token = K.store.get(K.keys.token(CODE));
    if (!token) {
      if (K.store.get(K.keys.ended(CODE))) showEnded(); else showOnly('c-problem');
      return;
    }
    room = K.connect({
      token: token,
      onState: function (s) { state = s; render(); },
      onMe: function (m) { me = m; render(); },
      onEnded: function () {
        K.wipe('c-room');
        showEnded();
      },
      onRemoved: function () {
        K.wipe('c-room');
        showOnly('c-problem');
      },
      onAuthFail: function () {
        K.store.remove(K.keys.token(CODE));
        if (K.store.get(K.keys.ended(CODE))) showEnded(); else showOnly('c-problem');
      }
    });
  });
})();
