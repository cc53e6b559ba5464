/* Small groups and the tutoring methods, shared by the screen, the phone and the console:
 * the words for roles, steps and the odd-number rule, and the rings of who is with whom. */
(function () {
  'use strict';
  var K = window.Krug;
  var t = K.t, h = K.h, N_ = K.N_;

  // The card kinds of tutor support: the person in focus's statements, the others' resources.
  var LABELS = {
    interest: [N_('Cognitive interest'), N_('Cognitive interest')],
    edu_question: [N_('Educational question'), N_('Educational questions')],
    goal: [N_('Goal'), N_('Goals')],
    plan_step: [N_('Plan step'), N_('Steps of the plan')],
    difficulty: [N_('Difficulty'), N_('Difficulties')],
    result: [N_('Result'), N_('Results')],
    analysis: [N_('Analysis'), N_('Analysis of the results')],
    perspective: [N_('Outlook'), N_('Outlook')],
    resource: [N_('Resource'), N_('Resources')]
  };
  Object.keys(LABELS).forEach(function (kind) {
    K.KIND_LABEL[kind] = LABELS[kind][0];
    K.KIND_PLURAL[kind] = LABELS[kind][1];
  });

  var PROMPTS = {
    interest: N_('What interests me, what I want to understand'),
    edu_question: N_('What exactly I lack to decide, to choose a path or a way of working'),
    goal: N_('The result I expect, as an image'),
    plan_step: N_('One step of my plan'),
    difficulty: N_('A difficulty I met'),
    result: N_('A result I reached'),
    analysis: N_('My analysis: in the form and at the level I choose'),
    perspective: N_('What next, and by when'),
    resource: N_('A source or resource for the person in focus')
  };

  var RULES = {
    one_trio: N_('An odd number: one trio instead of a pair.'),
    one_four: N_('One left over: one group of four instead of a trio.'),
    one_pair: N_('Two left over: one pair instead of a trio.')
  };

  function spec(state) { return state && state.phase ? state.phase.groups || null : null; }

  function stepSpec(state) {
    var s = spec(state);
    var g = state && state.groups;
    if (!s || !g || g.forming) return null;
    return s.steps[g.step] || null;
  }

  function roleTitle(state, role) {
    if (role === 'free') return t('Free round');
    var s = spec(state);
    return s && s.role_titles[role] ? K.pick(s.role_titles[role]) : '';
  }

  /** One line on the phone: what you do in this step ("You listen with your back turned"). */
  function roleLabel(state, role) {
    if (role === 'free') return t('Your group has finished its rounds: sit quietly and note what you take away.');
    var step = stepSpec(state);
    return step && step.roles[role] ? K.pick(step.roles[role].label) : '';
  }

  function sizeWord(size) { return size === 2 ? t('pairs') : t('trios'); }

  function ruleText(groups) {
    if (!groups) return '';
    var count = groups.list.length;
    var base = t('{n} groups: {kind}', { n: count, kind: sizeWord(groups.size) });
    return RULES[groups.rule] ? base + ' · ' + t(RULES[groups.rule]) : base;
  }

  /** "Round 2 of 3 · Consulting", or "Find your group" while the groups form. */
  function headline(state) {
    var g = state.groups;
    if (!g) return '';
    if (g.forming) return t('Find your group');
    var step = stepSpec(state);
    var text = t('Round {i} of {n}', { i: g.round + 1, n: g.rounds });
    // A round of one step needs no step title.
    return step && spec(state).steps.length > 1 ? text + ' · ' + K.pick(step.title) : text;
  }

  /** The groups as small rings: names round a centre with the group's number; each seat says
   * its role this round. ``opts.me`` marks this phone's person. */
  function renderRings(container, state, opts) {
    opts = opts || {};
    var g = state.groups;
    var list = g ? g.list : [];
    var sig = JSON.stringify([list, g && g.forming, g && g.round, g && g.step, K.LANG, opts.me || null,
      (state.people || []).map(function (p) { return [p.id, p.name, K.presence(p)]; })]);
    if (container.getAttribute('data-sig') === sig) return;
    container.setAttribute('data-sig', sig);
    K.clear(container);
    container.setAttribute('data-count', String(list.length));
    list.forEach(function (group, index) {
      var ring = h('li', { class: 'group-ring' + (opts.me && group.members.indexOf(opts.me) !== -1 ? ' is-mine' : '') },
        h('span', { class: 'group-number', 'aria-hidden': 'true' }, String(index + 1)));
      var label = [t('Group {n}', { n: index + 1 })];
      var n = group.members.length;
      group.members.forEach(function (pid, i) {
        var angle = -Math.PI / 2 + (2 * Math.PI * i) / n;
        var role = group.roles[pid];
        var step = stepSpec(state);
        var back = !!(role && step && step.roles[role] && step.roles[role].back_turned);
        var person = (state.people || []).filter(function (p) { return p.id === pid; })[0];
        var name = person ? person.name || '—' : '—';
        var seat = h('span', { class: 'group-seat seat-' + (person ? K.presence(person) : 'away') +
            (role ? ' role-' + role + (role === (spec(state) || { roles: [] }).roles[0] ? ' is-lead-role' : '') : '') +
            (pid === opts.me ? ' is-me' : '') + (back ? ' is-back-turned' : '') },
          h('span', { class: 'group-name' }, name),
          role ? h('span', { class: 'group-role' }, roleTitle(state, role)) : null,
          back ? h('span', { class: 'group-back' }, t('back turned, listening')) : null);
        // Three or more round a ring: the lower seats sit side by side, so where the rings stand
        // in at most two columns (1, 2 or 4 groups) they spread wider and their labels keep apart.
        var wide = n > 2 && [1, 2, 4].indexOf(list.length) !== -1;
        seat.style.left = (50 + (wide ? 44 : 36) * Math.cos(angle)).toFixed(1) + '%';
        seat.style.top = (50 + 36 * Math.sin(angle)).toFixed(1) + '%';
        ring.appendChild(seat);
        label.push((role ? name + ' — ' + roleTitle(state, role) : name) + (back ? ', ' + t('back turned, listening') : ''));
      });
      ring.setAttribute('aria-label', label.join(', '));
      container.appendChild(ring);
    });
  }

  K.Groups = {
    spec: spec, stepSpec: stepSpec, roleTitle: roleTitle, roleLabel: roleLabel, ruleText: ruleText,
    headline: headline, renderRings: renderRings, PROMPTS: PROMPTS
  };
})();
