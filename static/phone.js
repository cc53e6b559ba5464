/* The phone: join with a name and consent, then exactly what this person may do now. */
(function () {
  'use strict';
  var K = window.Krug;
  var t = K.t, h = K.h, $ = K.$, show = K.show, setText = K.setText;
  var CODE = K.CODE;
  var LIMITS = K.LIMITS;

  var room = null;
  var state = null;
  var me = null;
  var composeKind = null;
  var requestDirty = false;
  var lastPhaseKey = null;
  var MINE_KEY = 'krug:' + CODE + ':mine';
  var mine = K.store.getJSON(MINE_KEY, []);
  if (!Array.isArray(mine)) mine = [];

  var countdown = K.Countdown('cd-phone');
  $('p-clock').appendChild(countdown.node);
  K.soundButton($('sound-btn'));

  var SECTIONS = ['p-loading', 'p-join', 'p-problem', 'p-ended', 'p-room'];
  function showOnly(id) {
    SECTIONS.forEach(function (s) { show($(s), s === id); });
  }

  function rememberMine(clientIdValue) {
    if (mine.indexOf(clientIdValue) === -1) {
      mine.push(clientIdValue);
      if (mine.length > 300) mine = mine.slice(-300);
      K.store.setJSON(MINE_KEY, mine);
    }
  }

  // ------------------------------------------------------------------ joining

  var joinForm = $('join-form');
  var joinName = $('join-name');
  var joinError = $('join-error');
  var joinAsObserver = $('join-as-observer');
  K.bindCounter(joinName, $('join-name-count'), LIMITS.name);

  function showJoin(message) {
    showOnly('p-join');
    setText(joinError, message || '');
    show(joinError, !!message);
    setTimeout(function () { if (!joinName.value) joinName.focus(); }, 50);
  }

  /** Show a join error; `field` (the name or the consent box) is marked invalid and described by it. */
  function joinError_(text, offerObserver, field) {
    setText(joinError, text);
    show(joinError, true);
    show(joinAsObserver, !!offerObserver);
    markInvalid(field || null);
  }

  function markInvalid(field) {
    [joinName, $('join-consent')].forEach(function (input) {
      if (input === field) {
        input.setAttribute('aria-invalid', 'true');
        input.setAttribute('aria-describedby', 'join-error');
      } else {
        input.removeAttribute('aria-invalid');
        input.removeAttribute('aria-describedby');
      }
    });
  }
  joinName.addEventListener('input', function () { if (joinName.value.trim()) markInvalid(null); });
  $('join-consent').addEventListener('change', function () { if ($('join-consent').checked) markInvalid(null); });

  function join(observer) {
    var name = joinName.value.trim();
    show(joinAsObserver, false);
    if (!name) { joinError_(t('Please write your name.'), false, joinName); joinName.focus(); return; }
    if (!$('join-consent').checked) {
      joinError_(t('Please confirm that you will keep what is said here confidential.'), false, $('join-consent'));
      $('join-consent').focus();
      return;
    }
    $('join-btn').disabled = true;
    fetch('/api/rooms/' + encodeURIComponent(CODE) + '/join', {
      method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: name, consent: true, observer: !!observer })
    }).then(function (r) {
      return r.json().catch(function () { return { ok: false, error: { code: 'server_error' } }; });
    }).then(function (data) {
      $('join-btn').disabled = false;
      if (data.ok) {
        K.store.remove(K.keys.ended(CODE));
        K.store.set(K.keys.token(CODE), data.token);
        show(joinError, false);
        markInvalid(null);
        connectWith(data.token);
        return;
      }
      var code = data.error && data.error.code;
      if (code === 'room_full') {
        joinError_(K.errorText('room_full') + ' ' + t('You can still join as an observer in the outer circle.'), true);
      } else if (code === 'session_ended') {
        K.forgetRoom(CODE);
        showOnly('p-ended');
      } else if (code === 'not_found') {
        joinError_(t('No room with this code.'));
      } else if (code === 'observers_not_allowed') {
        joinError_(K.errorText('observers_not_allowed'));
      } else if (code === 'room_locked') {
        joinError_(K.errorText('room_locked'));
      } else if (code === 'rate_limited') {
        joinError_(t('Too many attempts. Please wait {n} seconds and try again.', { n: (data.error.details || {}).retry_after || 60 }));
      } else {
        joinError_(K.errorText(data.error));
      }
    }).catch(function () {
      $('join-btn').disabled = false;
      joinError_(t('No connection to Krug. Check the Wi-Fi and try again.'));
    });
  }

  joinForm.addEventListener('submit', function (ev) {
    ev.preventDefault();
    join($('join-observer').checked);
  });
  joinAsObserver.addEventListener('click', function () {
    $('join-observer').checked = true;
    join(true);
  });

  // ------------------------------------------------------------------ connection

  function connectWith(token) {
    showOnly('p-loading');
    room = K.connect({
      token: token,
      onState: function (s) { state = s; render(); },
      onMe: function (m) { me = m; render(); },
      onEnded: function () {
        // Nothing typed in the room stays on this phone, not even in the page's hidden parts.
        $('note-text').value = '';
        mine = [];
        K.wipe('p-room');
        showOnly('p-ended');
      },
      onRemoved: function (reason) {
        $('note-text').value = '';
        mine = [];
        K.wipe('p-room');
        room = null;
        var words = {
          removed: t('A leader has removed you from the room. Nothing of it stays on this phone.'),
          refused: t('The leader did not let you in. Nothing of the room stays on this phone.'),
          left: t('You have left the room. Nothing of it stays on this phone.')
        };
        setText($('p-problem-title'), t('You are no longer in the room'));
        setText($('p-problem-text'), words[reason] || words.removed);
        showOnly('p-problem');
      },
      onAuthFail: function () {
        K.store.remove(K.keys.token(CODE));
        room = null;
        if (K.store.get(K.keys.ended(CODE))) showOnly('p-ended');
        else showJoin(t('This phone is not in the room (any more). Please join again.'));
      }
    });
    if (room.outbox) {
      room.outbox.on(function (kind, item, ack) {
        if (kind === 'sent' && item.payload && item.payload.client_id) rememberMine(item.payload.client_id);
        if (kind === 'failed') restoreFailed(item);
        renderPosts();
        // Nominations go through the outbox too: show them pending, and drop the pending copy once sent.
        if (item.event === 'nominate' && state && me && state.status !== 'ended') renderNominate();
      });
    }
  }

  function restoreFailed(item) {
    var p = item.payload || {};
    if (item.event === 'post_card' && !$('compose-text').value.trim()) {
      $('compose-text').value = p.text || '';
      composeCounter();
    } else if (item.event === 'nominate' && !$('nom-title').value.trim()) {
      $('nom-title').value = p.title || '';
      $('nom-pitch').value = p.pitch || '';
      nomTitleCounter();
      nomPitchCounter();
      $('p-nominate-box').open = true;
    }
  }

  // ------------------------------------------------------------------ rendering

  function isCircle() { return !!me && K.CIRCLE_ROLES.indexOf(me.role) !== -1; }
  function isLeading() { return !!me && (me.role === 'leader' || me.role === 'coleader'); }
  function isPresenterNow() {
    var phase = state && state.phase;
    return !!(phase && phase['case'] && me && (me.presenter_of || []).indexOf(phase['case']) !== -1);
  }
  function running() { return state && state.status === 'running'; }
  function phaseKinds() { return state && state.phase ? Object.keys(state.phase.posts || {}) : []; }

  function allowedKinds() {
    if (!running() || !isCircle() || (me && me.silent)) return [];
    var posts = state.phase.posts || {};
    var presenter = isPresenterNow();
    return Object.keys(posts).filter(function (kind) {
      var audience = posts[kind];
      if (audience === 'all') return true;
      if (audience === 'presenter') return presenter;
      if (audience === 'circle') return !presenter;
      return false;
    });
  }

  function render() {
    if (!state || !me) return;
    if (state.status === 'ended') { K.setFamily(null); showOnly('p-ended'); return; }
    if (me.person === null && me.role === null) {
      showOnly('p-problem');
      setText($('p-problem-title'), t('You are no longer in this room'));
      setText($('p-problem-text'), t('Ask the leader if you think this is a mistake.'));
      return;
    }
    if (me.role === 'waiting') {
      showOnly('p-problem');
      setText($('p-problem-title'), t('Waiting for the leader'));
      setText($('p-problem-text'), t('The session has already started. The leader will let you in; this page opens by itself.'));
      return;
    }
    if (state.waiting) {
      // Let in: the room's format and state are on their way (the sync after the new role).
      showOnly('p-loading');
      return;
    }
    showOnly('p-room');
    var phase = state.phase;
    var live = running() && phase;
    // A new phase starts at the top: its title, its rule and its clock at one glance.
    var phaseKey = live ? phase.index + ':' + (state.timer ? state.timer.started_at : '') : state.status;
    if (lastPhaseKey !== null && lastPhaseKey !== phaseKey) {
      var active = document.activeElement;
      var typing = active && (active.tagName === 'TEXTAREA' || active.tagName === 'INPUT') && active.value;
      if (!typing) window.scrollTo(0, 0);
    }
    lastPhaseKey = phaseKey;
    K.setFamily(live ? phase.kind : null);

    show($('p-console-link'), isLeading());
    show($('p-silent'), !!me.silent);
    document.body.classList.toggle('is-silent', !!me.silent);

    renderHeader();
    renderLobby();
    show($('p-observer'), me.role === 'observer');
    renderRequest();
    renderVote();
    renderNominate();
    renderCompose();
    renderNote();
    renderExport();
    renderPosts();
    renderGroup();
    renderRoute();
  }

  // --- the presenter's own copy of their case (only theirs; nothing after the end)

  // Phases of one's own case in which the group has not yet given anything back.
  var BEFORE_RETURN = ['presentation', 'request', 'questions', 'hypotheses', 'advice', 'discussion'];

  function exportable() {
    if (!running() || !(me.presenter_of || []).length) return false;
    var phase = state.phase;
    return !((me.presenter_of || []).indexOf(phase['case']) !== -1 && BEFORE_RETURN.indexOf(phase.kind) !== -1);
  }

  function renderExport() {
    // A person in focus takes their route card from its own panel, not this one.
    var visible = exportable() && !(state.format && state.format.focus);
    show($('p-export'), visible);
    // "Include my private note" only when there is a note to include.
    show($('export-note-row'), visible && !!noteText.value.trim());
  }

  $('export-btn').addEventListener('click', function () {
    var token = K.store.get(K.keys.token(CODE));
    var note = $('export-note').checked ? $('note-text').value : '';
    $('export-btn').disabled = true;
    fetch('/api/export', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Authorization': 'Bearer ' + token },
      body: JSON.stringify({ note: note })
    }).then(function (r) {
      if (!r.ok) return r.json().then(function (data) { throw data.error || { code: 'server_error' }; });
      return r.blob();
    }).then(function (blob) {
      var link = h('a', { href: URL.createObjectURL(blob), download: 'krug-' + CODE + '-case.md' });
      document.body.appendChild(link);
      link.click();
      setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
    }).catch(function (error) {
      K.toast(K.errorText(error && error.code ? error : 'offline'));
    }).then(function () { $('export-btn').disabled = false; });
  });

  function renderHeader() {
    var phase = state.phase;
    var live = running() && phase;
    if (live) {
      var step = t('Step {i} of {n}', { i: phase.index + 1, n: state.plan.phases.length });
      if (phase['case'] && !state.format.focus) step = t('Case {n}', { n: phase['case'] }) + ' · ' + step;
      setText($('p-step'), step);
      setText($('p-phase-title'), K.pick(phase.title));
      setText($('p-rule'), K.pick(phase.rule));
      show($('p-rule'), !me.silent);
      show($('p-clock'), true);
    } else {
      setText($('p-step'), t('Room {code}', { code: CODE }));
      setText($('p-phase-title'), K.pick(state.format.name));
      show($('p-rule'), false);
      show($('p-clock'), false);
    }
    var kase = live ? K.currentCase(state) : null;
    var upcoming = live && !kase ? K.upcomingCase(state) : null;
    var box = $('p-case');
    if (upcoming) {
      show(box, true);
      K.patch(box, ['next', upcoming, me.person, K.LANG, state.people.map(function (p) { return p.name; })], function () {
        return [
          h('span', { class: 'label' }, t('After the break')),
          h('span', { class: 'p-case-title' }, upcoming.title ? t('Case {n}: {title}', { n: upcoming.number, title: upcoming.title })
            : t('Case {n}', { n: upcoming.number })),
          h('span', { class: 'p-case-who' }, upcoming.presenter === me.person ? t('Your case') :
            (upcoming.presenter ? t('Presenter: {name}', { name: K.nameOf(state, upcoming.presenter) }) : t('The leaders choose the case.')))
        ];
      });
      return;
    }
    show(box, !!(kase && (kase.title || kase.presenter)));
    if (kase) {
      K.patch(box, [kase, me.presenter_of, K.LANG, state.phase.kind, state.people.map(function (p) { return p.name; })], function () {
        var mineCase = kase.presenter && kase.presenter === me.person;
        if (state.format.focus) return focusLine(kase, mineCase);
        return [
          h('span', { class: 'p-case-title' }, kase.title || t('Case {n}', { n: kase.number })),
          h('span', { class: 'p-case-who' }, mineCase ? t('Your case') :
            (kase.presenter ? t('Presenter: {name}', { name: K.nameOf(state, kase.presenter) }) : t('No presenter yet'))),
          kase.request && !(mineCase && state.phase.kind === 'request') ? h('span', { class: 'p-case-request' },
            h('span', { class: 'label' }, t('Request')), ' ', kase.request) : null
        ];
      });
    }
  }

  // Tutor support has a person in focus (the teacher), not a case and its presenter.
  function focusLine(kase, mineCase) {
    return [
      h('span', { class: 'p-case-title' }, mineCase ? t('You are in focus') :
        (kase.presenter ? t('In focus: {name}', { name: K.nameOf(state, kase.presenter) }) : t('Nobody is in focus yet')))
    ];
  }

  function renderLobby() {
    var lobby = state.status === 'lobby';
    show($('p-lobby'), lobby);
    if (!lobby) return;
    setText($('p-lobby-title'), me.name ? t('You are in, {name}.', { name: me.name }) : t('You are in.'));
    // The leader is not told to wait for the leader.
    setText($('p-lobby-wait'), isLeading() ? t('You lead this session: start it from the console when everyone is here.')
      : t('Waiting for the leader to start.'));
    var circle = state.people.filter(K.inCircle);
    K.renderRing($('p-ring'), state, { names: false, me: me.person, rx: 42, ry: 42 });
    setText($('p-ring-count'), String(circle.length));
    K.patch($('p-people'), [circle.map(function (p) { return [p.id, p.name, p.role, K.presence(p)]; }), me.person, K.LANG], function () {
      return circle.map(function (p) {
        return h('li', { class: 'chip chip-' + K.presence(p) + (p.id === me.person ? ' is-me' : '') },
          h('span', { class: 'chip-dot', 'aria-hidden': 'true' }),
          p.name || '—',
          p.role === 'leader' || p.role === 'coleader' ? h('span', { class: 'chip-tag' }, t(K.ROLE_LABEL[p.role])) : null,
          p.id === me.person ? h('span', { class: 'chip-tag' }, t('you')) : null,
          // Presence in words too, not by the dot's colour alone.
          K.presence(p) === 'away' ? h('span', { class: 'chip-tag' }, t('away')) : null,
          K.presence(p) === 'reconnecting' ? h('span', { class: 'chip-tag' }, t('reconnecting…')) : null);
      });
    });
    var observers = state.people.filter(function (p) { return p.role === 'observer'; });
    show($('p-observers'), observers.length > 0);
    setText($('p-observers'), observers.length ? t('Outer circle: {names}', {
      names: observers.map(function (p) { return p.name; }).join(', ') }) : '');
  }

  // --- the presenter's request

  var requestText = $('request-text');
  var requestCounter = K.bindCounter(requestText, $('request-count'), LIMITS.request);
  requestText.addEventListener('input', function () { requestDirty = true; show($('request-saved'), false); });
  $('request-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var text = requestText.value.trim();
    if (!text) { K.toast(K.errorText('empty_text'), 'error'); return; }
    if (text.length > LIMITS.request) { K.toast(K.errorText('too_long'), 'error'); return; }
    $('request-btn').disabled = true;
    room.send('set_request', { text: text }).then(function (ack) {
      $('request-btn').disabled = false;
      if (ack.ok) { requestDirty = false; show($('request-saved'), true); }
    });
  });

  function renderRequest() {
    var visible = running() && state.phase.kind === 'request' && isPresenterNow() && !me.silent;
    show($('p-request'), visible);
    if (!visible) return;
    var kase = K.currentCase(state);
    if (!requestDirty && document.activeElement !== requestText && kase && requestText.value !== (kase.request || '')) {
      requestText.value = kase.request || '';
      requestCounter();
    }
  }

  // --- the case vote

  function nominationById(id) {
    return state.nominations.filter(function (n) { return n.id === id; })[0] || null;
  }

  function renderVote() {
    var vote = state.vote;
    var kind = state.phase ? state.phase.kind : null;
    var inNominationTime = state.status === 'lobby' || K.NOMINATION_KINDS.indexOf(kind) !== -1;
    var visible = !!vote && !me.silent && (vote.open || inNominationTime);
    show($('p-vote'), visible);
    if (!visible) return;
    var myVotes = me.votes || [];
    var left = Math.max(0, vote.budget - myVotes.length);
    var canVote = vote.open && isCircle();
    setText($('p-vote-title'), vote.open ? t('Vote: which case do we take as case {n}?', { n: vote['case'] })
      : t('Vote for case {n}', { n: vote['case'] }));
    var budgetText = '';
    if (canVote) {
      budgetText = vote.budget > 1 ? t('You have {left} of {budget} votes left.', { left: left, budget: vote.budget })
        : (left ? t('You have one vote.') : t('You have voted. You can take your vote back while the vote is open.'));
    } else if (vote.open) {
      budgetText = t('{n} people have voted', { n: vote.voters });
    } else if (!vote.revealed) {
      budgetText = isLeading() ? t('The vote is closed. Reveal the results from the console.')
        : t('The vote is closed. The leader will show the results.');
    }
    setText($('p-vote-budget'), budgetText);

    var candidates = vote.candidates.map(nominationById).filter(Boolean);
    K.patch($('p-ballot'), [vote, myVotes, candidates, canVote, K.LANG, state.people.map(function (p) { return p.name; })], function () {
      var rows = candidates.map(function (n) { return { n: n, votes: vote.tallies ? (vote.tallies[n.id] || 0) : null }; });
      if (vote.revealed && vote.tallies) {
        rows.sort(function (a, b) {
          return (b.votes - a.votes) || ((b.n.id === vote.winner) - (a.n.id === vote.winner));
        });
      }
      var max = rows.reduce(function (m, r) { return Math.max(m, r.votes || 0); }, 0);
      return rows.map(function (row) {
        var n = row.n;
        var count = myVotes.filter(function (id) { return id === n.id; }).length;
        var winner = vote.revealed && vote.winner === n.id;
        var item = h('li', { class: 'ballot-item' + (count ? ' is-chosen' : '') + (winner ? ' is-winner' : '') },
          h('span', { class: 'ballot-title' }, n.title),
          n.pitch ? h('span', { class: 'ballot-pitch' }, n.pitch) : null,
          h('span', { class: 'ballot-by' }, n.by === me.person ? t('your case') : t('put forward by {name}', { name: K.nameOf(state, n.by) })));
        if (vote.revealed && row.votes !== null) {
          var bar = h('span', { class: 'tally-bar' });
          bar.style.width = (max ? (row.votes / max) * 100 : 0).toFixed(0) + '%';
          item.appendChild(h('span', { class: 'tally' }, h('span', { class: 'tally-track' }, bar),
            h('span', { class: 'tally-n' }, t('Votes: {n}', { n: row.votes }))));
          if (winner) item.appendChild(h('span', { class: 'winner-tag' }, t('Case {n}', { n: vote['case'] })));
        }
        if (count) {
          item.appendChild(h('span', { class: 'my-vote' }, count > 1 ? t('Your votes: {n}', { n: count }) : t('Your vote')));
        }
        if (canVote) {
          var actions = h('span', { class: 'ballot-actions' });
          var castBtn = h('button', { type: 'button', class: 'btn btn-primary', 'data-fk': 'cast-' + n.id, disabled: left <= 0 },
            count && vote.budget > 1 ? t('One more vote') : t('Vote for this case'));
          castBtn.addEventListener('click', function () { castVote('cast_vote', n.id, castBtn); });
          if (!count || vote.budget > 1) actions.appendChild(castBtn);
          if (count) {
            var back = h('button', { type: 'button', class: 'btn btn-quiet', 'data-fk': 'back-' + n.id }, t('Take my vote back'));
            back.addEventListener('click', function () { castVote('retract_vote', n.id, back); });
            actions.appendChild(back);
          }
          item.appendChild(actions);
        }
        return item;
      });
    });

    K.patch($('p-vote-result'), [vote.revealed, vote.winner, vote.tie, vote['case'], K.LANG, isLeading()], function () {
      if (!vote.revealed) return null;
      if (vote.winner) {
        var n = nominationById(vote.winner);
        return h('p', { class: 'vote-winner' }, t('Case {n}: {title}', { n: vote['case'], title: n ? n.title : '' }),
          n && n.by === me.person ? h('strong', { class: 'vote-winner-me' }, ' ' + t('This is your case. You will present it.')) : null);
      }
      if (vote.tie) return h('p', { class: 'vote-winner' }, isLeading() ? t('A tie: choose the case in the console.') : t('A tie: the leader decides.'));
      return null;
    });
  }

  function castVote(event, nominationId, button) {
    button.disabled = true;
    room.send(event, { nomination_id: nominationId }).then(function (ack) {
      button.disabled = false;
      if (ack.ok && ack.votes) {
        me = Object.assign({}, me, { votes: ack.votes });
        render();
      }
    });
  }

  // --- nominations

  var nomTitle = $('nom-title');
  var nomPitch = $('nom-pitch');
  var nomTitleCounter = K.bindCounter(nomTitle, $('nom-title-count'), LIMITS.title);
  var nomPitchCounter = K.bindCounter(nomPitch, $('nom-pitch-count'), LIMITS.pitch, function (value, base) {
    return base + ' · ' + t('{n} of 3 sentences', { n: K.countSentences(value) });
  });
  nomPitch.addEventListener('input', function () {
    $('nom-pitch-count').classList.toggle('is-over', K.countSentences(nomPitch.value) > LIMITS.sentences ||
      nomPitch.value.length > LIMITS.pitch);
  });

  $('nominate-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var title = nomTitle.value.trim();
    var pitch = nomPitch.value.trim();
    if (!title) { K.toast(t('Please give the case a short title.'), 'error'); nomTitle.focus(); return; }
    if (title.length > LIMITS.title || pitch.length > LIMITS.pitch) { K.toast(K.errorText('too_long'), 'error'); return; }
    if (K.countSentences(pitch) > LIMITS.sentences) {
      K.toast(t('A pitch has at most 3 sentences.'), 'error');
      nomPitch.focus();
      return;
    }
    if (!room || !room.outbox) return;
    room.outbox.add('nominate', { title: title, pitch: pitch });
    nomTitle.value = '';
    nomPitch.value = '';
    nomTitleCounter();
    nomPitchCounter();
    $('p-nominate-box').open = false;
  });

  function renderNominate() {
    var kind = state.phase ? state.phase.kind : null;
    var open = state.status === 'lobby' || (running() && K.NOMINATION_KINDS.indexOf(kind) !== -1);
    var voteOpen = state.vote && state.vote.open;
    var visible = isCircle() && open && !voteOpen && !me.silent;
    show($('p-nominate'), visible);
    if (!visible) return;
    renderMyNominations();
  }

  function renderMyNominations() {
    var pending = room && room.outbox ? room.outbox.pending().filter(function (it) { return it.event === 'nominate'; }) : [];
    var list = state.nominations;
    K.patch($('p-my-noms'), [list, pending.map(function (p) { return p.id; }), me.person, K.LANG, state.people.length], function () {
      var items = list.map(function (n) {
        var own = n.by === me.person;
        var li = h('li', { class: 'nom' + (own ? ' is-mine' : '') },
          h('span', { class: 'nom-title' }, n.title),
          n.pitch ? h('span', { class: 'nom-pitch' }, n.pitch) : null,
          h('span', { class: 'nom-by' }, own ? t('your case') : K.nameOf(state, n.by)),
          n['case'] ? h('span', { class: 'tag' }, t('Case {n}', { n: n['case'] })) : null);
        if (own && !n['case']) {
          var withdraw = h('button', { type: 'button', class: 'btn btn-quiet btn-small', 'data-fk': 'wd-' + n.id }, t('Withdraw'));
          withdraw.addEventListener('click', function () {
            K.confirm(t('Withdraw your case “{title}”?', { title: n.title }), t('Withdraw')).then(function (ok) {
              if (ok) room.send('withdraw_nomination', { nomination_id: n.id });
            });
          });
          li.appendChild(withdraw);
        }
        return li;
      });
      pending.forEach(function (it) {
        items.push(h('li', { class: 'nom is-mine is-pending' },
          h('span', { class: 'nom-title' }, it.payload.title),
          h('span', { class: 'nom-by' }, t('Sending…'))));
      });
      if (!items.length) items.push(h('li', { class: 'muted small' }, t('No case has been put forward yet.')));
      return items;
    });
  }

  // --- writing cards

  var composeText = $('compose-text');
  var DRAFT_KEY = K.keys.draft(CODE, 'card');
  composeText.value = K.store.get(DRAFT_KEY) || '';
  var composeCounter = K.bindCounter(composeText, $('compose-count'), LIMITS.card);
  var ADVICE = /^\s*(why\b|have you (thought|considered|tried)|did you (think|try|consider)|what if you|you (should|could|might)|try\b|почему|зачем|а вы не|а ты не|вы не (думали|пробовали)|не пробовали|не думали|попробуйте|вам (стоит|надо|нужно)|надо было|может быть, вам)/i;
  composeText.addEventListener('input', function () {
    K.store.set(DRAFT_KEY, composeText.value);
    show($('compose-nudge'), composeKind === 'question' && ADVICE.test(composeText.value));
  });

  var PROMPT = {
    checkin: K.N_('How are you arriving today?'),
    question: K.N_('Your question of fact'),
    hypothesis: K.N_('A feeling, a fantasy, an image'),
    advice: K.N_('What would you do in the presenter\'s place?'),
    thought: K.N_('A thought, a link, what you notice'),
    response: K.N_('What struck you, what you now see differently'),
    reflection: K.N_('Your closing words')
  };
  Object.keys(K.Groups.PROMPTS).forEach(function (kind) { PROMPT[kind] = K.Groups.PROMPTS[kind]; });

  $('compose-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var text = composeText.value.trim();
    if (!text) { K.toast(K.errorText('empty_text'), 'error'); composeText.focus(); return; }
    if (text.length > LIMITS.card) { K.toast(K.errorText('too_long'), 'error'); return; }
    if (!composeKind || !room || !room.outbox) return;
    room.outbox.add('post_card', { kind: composeKind, text: text });
    composeText.value = '';
    K.store.remove(DRAFT_KEY);
    composeCounter();
    show($('compose-nudge'), false);
  });

  function renderCompose() {
    var kinds = allowedKinds();
    var visible = kinds.length > 0;
    show($('p-compose'), visible);
    if (!visible) return;
    if (kinds.indexOf(composeKind) === -1) composeKind = kinds[0];
    var switcher = $('p-kinds');
    show(switcher, kinds.length > 1);
    K.patch(switcher, [kinds, composeKind, K.LANG], function () {
      return kinds.map(function (kind) {
        var b = h('button', { type: 'button', class: 'kind-btn', role: 'radio', 'data-fk': 'kind-' + kind,
          'aria-checked': kind === composeKind ? 'true' : 'false' }, t(K.KIND_LABEL[kind]));
        b.addEventListener('click', function () { composeKind = kind; renderCompose(); });
        return b;
      });
    });
    setText($('compose-label'), PROMPT[composeKind] ? t(PROMPT[composeKind]) : t('Your card'));
    var anonymous = (state.settings.anonymous || []).indexOf(composeKind) !== -1;
    setText($('compose-anon'), anonymous ? t('Your name is not shown with this card.') : t('Your name is shown with this card.'));
    var prompts = state.phase.reflection || [];
    var list = $('p-prompts');
    show(list, prompts.length > 0);
    K.patch(list, [prompts, K.LANG], function () {
      return prompts.map(function (p) { return h('li', null, K.pick(p)); });
    });
  }

  // --- the silent presenter's private note

  var noteText = $('note-text');
  var NOTE_KEY = K.keys.note(CODE);
  noteText.value = K.store.get(NOTE_KEY) || '';
  var noteTimer = null;
  noteText.addEventListener('input', function () {
    clearTimeout(noteTimer);
    noteTimer = setTimeout(function () { K.store.set(NOTE_KEY, noteText.value); }, 300);
    if (state && me && state.status !== 'ended') renderExport();
  });
  window.addEventListener('pagehide', function () {
    if (state && state.status !== 'ended' && noteText.value) K.store.set(NOTE_KEY, noteText.value);
  });

  function renderNote() {
    // Silent, the presenter writes it; back in the circle and afterwards it stays at hand. The
    // troika's client listening with their back turned may keep notes, as a silent presenter does.
    var back = isPresenterNow() && ['presenter_return', 'decision'].indexOf(state.phase.kind) !== -1;
    var spec = K.Groups.spec(state);
    var listeningLead = !!(running() && me.group && me.group.listening && spec && me.group.role === spec.roles[0]);
    show($('p-note'), !!me.silent || listeningLead || ((back || exportable()) && !!noteText.value.trim()));
  }

  // --- the cards of this phase (live), with my unsent ones on top
  //
  // Keyed: a card's item is made once and kept while the list changes around it, so a screen
  // reader is not walked through the whole list again; a new card from someone else is said
  // once through the live region. A new phase (or language) starts a new list, quietly.

  var cardItems = {};
  var cardListKey = null;

  function cardItem(text, meta, cls) {
    // The text and who wrote it are two things: a pause between them when read out.
    return h('li', { class: cls }, h('span', { class: 'card-text' }, text),
      h('span', { class: 'visually-hidden' }, ' — '), h('span', { class: 'card-meta' }, meta));
  }

  function renderPosts() {
    if (!state || !me) return;
    var kinds = phaseKinds();
    var visible = running() && kinds.length > 0;
    show($('p-cards'), visible);
    if (!visible) return;
    var heading = kinds.map(function (k) { return t(K.KIND_PLURAL[k]); }).join(' · ');
    setText($('p-cards-title'), heading);
    // Co-leaders receive hidden cards too; the phone shows what the circle sees.
    var cards = state.cards.filter(function (c) { return kinds.indexOf(c.kind) !== -1 && !c.hidden && !c.held; }).slice().reverse();
    cards = presenterFirst(cards);
    var withheld = renderWithheld(kinds);
    var pending = room && room.outbox ? room.outbox.pending().filter(function (it) {
      return it.event === 'post_card' && kinds.indexOf(it.payload.kind) !== -1;
    }) : [];
    var known = {};
    cards.concat(withheld).forEach(function (c) { known[c.cid] = true; });
    pending = pending.filter(function (it) { return !known[it.id]; });

    var list = $('p-card-list');
    var listKey = [state.phase.index, kinds.join(','), K.LANG].join('|');
    var fresh = listKey !== cardListKey;
    if (fresh) { K.clear(list); cardItems = {}; cardListKey = listKey; }

    var wanted = pending.map(function (it) {
      return { key: 'p:' + it.id, sig: it.payload.text, build: function () {
        return cardItem(it.payload.text, t('Sending…'), 'card is-mine is-pending');
      } };
    });
    cards.forEach(function (c) {
      var own = c.by ? c.by === me.person : mine.indexOf(c.cid) !== -1;
      var who = c.by ? (own ? t('you') : K.nameOf(state, c.by)) : (own ? t('you (anonymous to others)') : t('anonymous'));
      var meta = (kinds.length > 1 ? t(K.KIND_LABEL[c.kind]) + ' · ' : '') + who;
      wanted.push({ key: 'c:' + c.id, sig: c.text + '\n' + meta + '\n' + own, own: own, text: c.text, build: function () {
        return cardItem(c.text, meta, 'card card-' + c.kind + (own ? ' is-mine' : ''));
      }, spoken: t(K.KIND_LABEL[c.kind]) + ': ' + c.text + (c.by ? ' — ' + who : '') });
    });
    if (!wanted.length) {
      wanted.push({ key: 'empty', sig: '', build: function () { return h('li', { class: 'muted small empty' }, t('Nothing here yet.')); } });
    }

    var keep = {};
    wanted.forEach(function (w) { keep[w.key] = true; });
    Object.keys(cardItems).forEach(function (key) {
      if (!keep[key]) { list.removeChild(cardItems[key].node); delete cardItems[key]; }
    });
    var prev = null;
    wanted.forEach(function (w) {
      var item = cardItems[w.key];
      if (item && item.sig !== w.sig) {
        var again = w.build();
        list.replaceChild(again, item.node);
        item = cardItems[w.key] = { node: again, sig: w.sig, own: w.own, text: w.text };
      }
      if (!item) {
        item = cardItems[w.key] = { node: w.build(), sig: w.sig, own: w.own, text: w.text };
        if (!fresh && w.spoken && !w.own) K.announce(w.spoken);
      }
      var at = prev ? prev.nextSibling : list.firstChild;
      if (at !== item.node) list.insertBefore(item.node, at);
      prev = item.node;
    });
  }

  /** When the presenter returns, what they post leads, above the cards of the discussion. */
  function presenterFirst(cards) {
    var posts = state.phase.posts || {};
    var lead = cards.filter(function (c) { return posts[c.kind] === 'presenter'; });
    if (!lead.length) return cards;
    return lead.concat(cards.filter(function (c) { return posts[c.kind] !== 'presenter'; }));
  }

  /** My own cards the room does not see (held for the leader's release, or hidden by a leader),
   * from my own view only: said where they are, so nobody posts one again. Returns them. */
  var withheldKnown = null;
  function renderWithheld(kinds) {
    var withheld = (me.withheld || []).filter(function (c) { return kinds.indexOf(c.kind) !== -1; });
    var list = $('p-withheld');
    show(list, withheld.length > 0);
    if (withheldKnown !== null) {
      withheld.forEach(function (c) {
        if (c.hidden && !withheldKnown[c.id]) {
          K.toast(t('A leader has hidden your card. Only the leaders see it now.'), 'info');
          K.announce(t('A leader has hidden your card. Only the leaders see it now.'));
        }
      });
    }
    withheldKnown = {};
    withheld.forEach(function (c) { if (c.hidden) withheldKnown[c.id] = true; });
    K.patch(list, [withheld, K.LANG, kinds.length], function () {
      return withheld.map(function (c) {
        var why = c.hidden ? t('Hidden by the leader: only the leaders see it. No need to send it again.')
          : t('Waiting for the leader: the screen and the others see it once it is released.');
        return h('li', { class: 'card card-' + c.kind + ' is-mine ' + (c.hidden ? 'is-hidden-mine' : 'is-held') },
          h('span', { class: 'card-text' }, c.text),
          h('span', { class: 'card-meta' }, (kinds.length > 1 ? t(K.KIND_LABEL[c.kind]) + ' · ' : '') + why));
      });
    });
    return withheld;
  }

  // --- small groups: my group, my role this round, what my role may write

  var groupKind = null;
  function renderGroup() {
    // ``me`` and the room state arrive apart: draw the group once both know it.
    var mineGroup = running() && me.group && state.groups && state.groups.list[me.group.index] ? me.group : null;
    show($('p-group'), !!mineGroup);
    document.body.classList.toggle('is-listening', !!(mineGroup && mineGroup.listening));
    if (!mineGroup) return;
    var G = K.Groups;
    var groups = state.groups;
    setText($('p-group-kicker'), t('Group {n}', { n: mineGroup.index + 1 }) + ' · ' + G.headline(state));
    var role = mineGroup.role;
    setText($('p-group-role'), role ? G.roleLabel(state, role) : t('Find your group: the people below.'));
    $('p-group').setAttribute('data-role', role || 'forming');
    var step = G.stepSpec(state);
    setText($('p-group-step'), step ? K.pick(step.rule) : G.ruleText(groups));
    // In a round the step's rule (here) replaces the phase's, so the role fits one glance.
    if (step) show($('p-rule'), false);
    K.patch($('p-group-members'), [mineGroup.members, groups.list[mineGroup.index].roles, me.person, K.LANG,
      state.people.map(function (p) { return [p.id, p.name]; })], function () {
      return mineGroup.members.map(function (pid) {
        var r = groups.list[mineGroup.index].roles[pid];
        return h('li', { class: 'chip' + (pid === me.person ? ' is-me' : '') },
          pid === me.person ? t('you') : K.nameOf(state, pid),
          r ? h('span', { class: 'chip-role' }, G.roleTitle(state, r)) : null);
      });
    });
    var kinds = mineGroup.posts || [];
    show($('group-form'), kinds.length > 0);
    if (kinds.indexOf(groupKind) === -1) groupKind = kinds[0] || null;
    show($('group-kinds'), kinds.length > 1);
    K.patch($('group-kinds'), [kinds, groupKind, K.LANG], function () {
      return kinds.map(function (kind) {
        var b = h('button', { type: 'button', class: 'kind-btn', role: 'radio',
          'aria-checked': kind === groupKind ? 'true' : 'false' }, t(K.KIND_LABEL[kind]));
        b.addEventListener('click', function () { groupKind = kind; renderGroup(); });
        return b;
      });
    });
    if (groupKind) setText($('group-label'), t(K.KIND_LABEL[groupKind]));
    var cards = (mineGroup.cards || []).slice().reverse();
    show($('p-group-cards'), cards.length > 0);
    K.patch($('p-group-cards'), [cards, K.LANG, state.people.map(function (p) { return p.name; })], function () {
      return cards.map(function (c) {
        var who = c.by ? (c.by === me.person ? t('you') : K.nameOf(state, c.by)) : t('anonymous');
        return h('li', { class: 'card card-' + c.kind + (c.by === me.person ? ' is-mine' : '') },
          h('span', { class: 'card-text' }, c.text),
          h('span', { class: 'card-meta' }, t(K.KIND_LABEL[c.kind]) + ' · ' + who));
      });
    });
  }

  $('group-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var text = $('group-text').value.trim();
    if (!text || !groupKind || !room) return;
    $('group-btn').disabled = true;
    room.send('post_card', { client_id: K.clientId(), kind: groupKind, text: text }).then(function (ack) {
      if (ack && ack.ok) $('group-text').value = '';
    }).then(function () { $('group-btn').disabled = false; });
  });

  // --- tutor support: the route card, downloaded and opened again on this phone only

  function renderRoute() {
    var focus = !!(state.format && state.format.focus) && running() && isCircle();
    show($('p-route'), focus);
    if (!focus) return;
    show($('route-download'), (me.presenter_of || []).length > 0);
  }

  $('route-download').addEventListener('click', function () {
    var token = K.store.get(K.keys.token(CODE));
    $('route-download').disabled = true;
    fetch('/api/export', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Authorization': 'Bearer ' + token },
      body: JSON.stringify({ note: '' })
    }).then(function (r) {
      if (!r.ok) return r.json().then(function (data) { throw data.error || { code: 'server_error' }; });
      return r.blob();
    }).then(function (blob) {
      var link = h('a', { href: URL.createObjectURL(blob), download: 'krug-' + CODE + '-route.md' });
      document.body.appendChild(link);
      link.click();
      setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
    }).catch(function (error) {
      K.toast(K.errorText(error && error.code ? error : 'offline'));
    }).then(function () { $('route-download').disabled = false; });
  });

  // The file is read here and shown as its headings and points; it never leaves the phone.
  $('route-file').addEventListener('change', function () {
    var file = $('route-file').files[0];
    if (!file) return;
    var reader = new FileReader();
    reader.onload = function () {
      var lines = String(reader.result || '').split(/\r?\n/);
      var nodes = [];
      var list = null;
      lines.forEach(function (line) {
        var heading = /^#{1,3}\s+(.*)$/.exec(line);
        var item = /^[-*]\s+(.*)$/.exec(line);
        if (heading) { list = null; nodes.push(h('h3', { class: 'route-heading' }, heading[1])); }
        else if (item) {
          if (!list) { list = h('ul', { class: 'route-list' }); nodes.push(list); }
          list.appendChild(h('li', null, item[1]));
        } else if (line.trim() && line.trim() !== '---') { list = null; nodes.push(h('p', null, line.trim())); }
      });
      var view = $('route-view');
      K.clear(view);
      nodes.forEach(function (n) { view.appendChild(n); });
      show(view, nodes.length > 0);
      $('route-file').value = '';
    };
    reader.readAsText(file);
  });

  // ------------------------------------------------------------------ clock

  K.onFrame(function () {
    if (state && state.status === 'running') countdown.update(state.timer);
  });

  // ------------------------------------------------------------------ start

  K.ready.then(function () {
    var token = K.store.get(K.keys.token(CODE));
    if (token) connectWith(token);
    else if (K.store.get(K.keys.ended(CODE))) showOnly('p-ended');
    else showJoin();
  });
})();
