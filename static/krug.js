/* Krug client core, shared by every face (index, phone, screen, console).
 *
 * i18n (t), safe DOM building (textContent only), device storage, the Socket.IO room
 * connection (clock sync, newest state, resync on wake), the countdown ring, the ring of
 * names, the session plan bar, the chime, the outbox for posts, toasts and the
 * "Reconnecting…" banner. Exposed as the global `Krug`.
 */
(function () {
  'use strict';

  var root = document.documentElement;
  var LANG = root.getAttribute('data-lang') === 'ru' ? 'ru' : 'en';
  var CODE = root.getAttribute('data-code') || '';
  var FACE = root.getAttribute('data-face') || 'page';
  var SVG_NS = 'http://www.w3.org/2000/svg';

  // ------------------------------------------------------------------ i18n

  var catalogue = {};
  var serverErrors = {};
  var i18nReady = fetch('/i18n/' + LANG + '.json', { credentials: 'same-origin' })
    .then(function (r) { return r.ok ? r.json() : {}; })
    .then(function (data) {
      catalogue = (data && data.messages) || {};
      serverErrors = (data && data.errors) || {};
    })
    .catch(function () { catalogue = {}; });

  /** Translate an English message id; {name} placeholders are filled from params. */
  function t(msgid, params) {
    var text = catalogue[msgid] || msgid;
    if (params) {
      text = text.replace(/\{(\w+)\}/g, function (m, key) {
        return Object.prototype.hasOwnProperty.call(params, key) ? String(params[key]) : m;
      });
    }
    return text;
  }

  /** Marks a message id for the catalogue without translating it yet. */
  function N_(msgid) { return msgid; }

  /** A {ru, en} text from a format, in the current language. */
  function pick(text) {
    if (!text) return '';
    if (typeof text === 'string') return text;
    return text[LANG] || text.en || text.ru || '';
  }

  // ------------------------------------------------------------------ DOM helpers (never innerHTML)

  function h(tag, props) {
    var node = document.createElement(tag);
    applyProps(node, props);
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  function s(tag, attrs) {
    var node = document.createElementNS(SVG_NS, tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  function applyProps(node, props) {
    if (!props) return;
    Object.keys(props).forEach(function (key) {
      var value = props[key];
      if (value === undefined || value === null || value === false) return;
      if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = value;
      else if (key === 'on') Object.keys(value).forEach(function (ev) { node.addEventListener(ev, value[ev]); });
      else if (key === 'data') Object.keys(value).forEach(function (d) { node.setAttribute('data-' + d, value[d]); });
      else if (key === 'hidden') node.hidden = true;
      else if (key === 'disabled') node.disabled = true;
      else if (key === 'checked') node.checked = true;
      else if (key === 'value') node.value = value;
      else node.setAttribute(key, value === true ? '' : value);
    });
  }

  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(node, c); }); return; }
    node.appendChild(typeof child === 'string' || typeof child === 'number'
      ? document.createTextNode(String(child)) : child);
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

  function setText(node, text) {
    text = text === null || text === undefined ? '' : String(text);
    if (node && node.textContent !== text) node.textContent = text;
  }

  function show(node, visible) { if (node) node.hidden = !visible; }

  function $(id) { return document.getElementById(id); }

  var lastRender = typeof WeakMap === 'function' ? new WeakMap() : null;

  /** Rebuild `container` with `build()` only when `signature` changed; keeps keyboard focus
   * on an element carrying the same data-fk after the rebuild. */
  function patch(container, signature, build) {
    if (!container) return;
    var key = typeof signature === 'string' ? signature : JSON.stringify(signature);
    if (lastRender && lastRender.get(container) === key) return;
    if (lastRender) lastRender.set(container, key);
    var active = document.activeElement;
    var fk = active && container.contains(active) ? active.getAttribute('data-fk') : null;
    clear(container);
    append(container, build());
    if (fk) {
      var again = container.querySelector('[data-fk="' + fk.replace(/"/g, '') + '"]');
      if (again && typeof again.focus === 'function') again.focus();
    }
  }

  // ------------------------------------------------------------------ storage

  var store = {
    get: function (key) { try { return window.localStorage.getItem(key); } catch (e) { return null; } },
    set: function (key, value) { try { window.localStorage.setItem(key, value); } catch (e) { /* private mode */ } },
    remove: function (key) { try { window.localStorage.removeItem(key); } catch (e) { /* ignore */ } },
    getJSON: function (key, fallback) {
      var raw = store.get(key);
      if (!raw) return fallback;
      try { return JSON.parse(raw); } catch (e) { return fallback; }
    },
    setJSON: function (key, value) { store.set(key, JSON.stringify(value)); }
  };

  var keys = {
    token: function (code) { return 'krug:' + code + ':token'; },
    screen: function (code) { return 'krug:' + code + ':screen'; },
    note: function (code) { return 'krug:' + code + ':note'; },
    outbox: function (code) { return 'krug:' + code + ':outbox'; },
    draft: function (code, what) { return 'krug:' + code + ':draft:' + what; },
    ended: function (code) { return 'krug:' + code + ':ended'; },
    // Outside the room's own prefix: the one thing a leader's device keeps after the end is the
    // key to the content-free debrief.
    debrief: function (code) { return 'krug-debrief:' + code; }
  };

  /**
   * Forget everything this device holds about a room: its token, the private note, the outbox,
   * drafts. ``ended`` also remembers that the session is over, so the page says so.
   */
  function forgetRoom(code, ended) {
    var prefix = 'krug:' + code + ':';
    try {
      var doomed = [];
      for (var i = 0; i < window.localStorage.length; i++) {
        var k = window.localStorage.key(i);
        if (k && k.indexOf(prefix) === 0) doomed.push(k);
      }
      doomed.forEach(function (k) { window.localStorage.removeItem(k); });
    } catch (e) { /* ignore */ }
    if (ended !== false) store.set(keys.ended(code), String(Date.now()));
  }

  /** Empty a face's room view for good (its content must not outlive the session on a device). */
  function wipe(id) {
    var node = document.getElementById(id);
    if (node) node.textContent = '';
  }

  /**
   * A random client id; works without a secure context (plain HTTP on a LAN). The server
   * matches retries per author, so 48 bits are plenty (a person posts tens of cards); every
   * card carries its id to every phone, so it is kept short.
   */
  function clientId() {
    var bytes = new Uint8Array(6);
    if (window.crypto && typeof window.crypto.getRandomValues === 'function') {
      window.crypto.getRandomValues(bytes);
    } else {
      for (var i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    }
    var out = '';
    for (var j = 0; j < bytes.length; j++) out += (bytes[j] < 16 ? '0' : '') + bytes[j].toString(16);
    return out;
  }

  // ------------------------------------------------------------------ vocabulary

  var FAMILY = {
    check_in: 'speaking', presentation: 'speaking', request: 'speaking', presenter_return: 'speaking',
    decision: 'speaking', closing: 'speaking', questions: 'asking', vote: 'asking',
    hypotheses: 'listening', advice: 'listening', discussion: 'listening', 'break': 'break'
  };
  var NOMINATION_KINDS = ['check_in', 'vote', 'break'];
  var CARD_KINDS = ['checkin', 'question', 'hypothesis', 'advice', 'thought', 'response', 'reflection'];
  var KIND_LABEL = {
    checkin: N_('Check-in'), question: N_('Question'), hypothesis: N_('Hypothesis'),
    advice: N_('Advice'), thought: N_('Thought'), response: N_('Response'), reflection: N_('Reflection')
  };
  var KIND_PLURAL = {
    checkin: N_('Check-in words'), question: N_('Questions'), hypothesis: N_('Hypotheses'),
    advice: N_('Advice'), thought: N_('Thoughts'), response: N_("The presenter's response"),
    reflection: N_('Reflections')
  };
  var ROLE_LABEL = {
    leader: N_('Leader'), coleader: N_('Co-leader'), participant: N_('Participant'),
    observer: N_('Observer'), screen: N_('Screen')
  };
  var CIRCLE_ROLES = ['leader', 'coleader', 'participant'];
  // The engine's limits, rendered into the page (rules.TEXT_LIMITS).
  var LIMITS = JSON.parse(document.documentElement.getAttribute('data-limits') || '{}');
  var GRACE_SECONDS = 90;

  // Error texts come from the server's catalogue (``errors`` in /i18n/<lang>.json), already in
  // this language; only the failures the browser itself detects are worded here.
  var CLIENT_ERRORS = {
    offline: N_('No connection right now. Please try again in a moment.'),
    timeout: N_('The server did not answer in time. Please try again.')
  };

  function errorText(error) {
    if (!error) return t('Something went wrong.');
    var code = typeof error === 'string' ? error : error.code;
    if (code && serverErrors[code]) return serverErrors[code];
    if (code && CLIENT_ERRORS[code]) return t(CLIENT_ERRORS[code]);
    return t('Something went wrong.');
  }

  function familyOf(kind) { return FAMILY[kind] || 'neutral'; }

  function setFamily(kind) {
    var fam = kind ? familyOf(kind) : 'neutral';
    if (root.getAttribute('data-family') !== fam) root.setAttribute('data-family', fam);
  }

  // ------------------------------------------------------------------ toasts and banner

  function toast(text, kind, ms) {
    var host = $('toasts');
    if (!host) return;
    var node = h('div', { class: 'toast toast-' + (kind || 'error') }, text);
    host.appendChild(node);
    while (host.children.length > 3) host.removeChild(host.firstChild);
    setTimeout(function () { node.classList.add('is-leaving'); }, (ms || 4500) - 400);
    setTimeout(function () { if (node.parentNode) node.parentNode.removeChild(node); }, ms || 4500);
  }

  var banner = {
    node: null,
    set: function (state) {
      var node = banner.node || (banner.node = $('conn-banner'));
      if (!node) return;
      if (!state) { node.hidden = true; return; }
      setText(node, state === 'connecting' ? t('Connecting…') : t('Reconnecting…'));
      node.hidden = false;
    }
  };

  // ------------------------------------------------------------------ screen-reader announcements

  /** Say `text` once through the page's polite live region (#sr-live): each announcement is a
   * new line added to it (older lines go quietly), so nothing already said is read again. The
   * projector has no listener: it announces nothing. */
  var live = { node: null, last: '', at: 0 };
  function announce(text) {
    if (!text || FACE === 'screen') return;
    var node = live.node || (live.node = $('sr-live'));
    if (!node) return;
    var now = Date.now();
    if (text === live.last && now - live.at < 2000) return;
    live.last = text;
    live.at = now;
    node.appendChild(h('p', null, text));
    while (node.children.length > 3) node.removeChild(node.firstChild);
  }

  /** What the page says out loud when the room changes: the new phase's title, the timer
   * paused or running again. The first state a page sees is its starting point, not news. */
  var heard = { phase: undefined, paused: null };
  function announceChanges(state) {
    var running = state.status === 'running' && state.phase;
    var phase = running ? state.phase.index : state.status;
    var paused = running && state.timer ? state.timer.paused_remaining !== null && state.timer.paused_remaining !== undefined : null;
    var first = heard.phase === undefined;
    var moved = phase !== heard.phase;
    if (!first && moved && running) {
      announce(t('Now: {title}', { title: pick(state.phase.title) }));
    } else if (!first && !moved && paused !== null && heard.paused !== null && paused !== heard.paused) {
      announce(paused ? t('The timer is paused.') : t('The timer runs again.'));
    }
    heard.phase = phase;
    heard.paused = paused;
  }

  // ------------------------------------------------------------------ clock

  var clock = { offset: null, rough: 0, rtt: null };

  /** Server time now, in epoch seconds. */
  function serverNow() {
    return Date.now() / 1000 + (clock.offset !== null ? clock.offset : clock.rough);
  }

  /** Seconds left on a timer (negative: overtime), or null without a timer. */
  function remaining(timer) {
    if (!timer) return null;
    if (timer.paused_remaining !== null && timer.paused_remaining !== undefined) return timer.paused_remaining;
    return timer.ends_at - serverNow();
  }

  function pad2(n) { return (n < 10 ? '0' : '') + n; }

  function formatClock(sec) {
    if (sec === null || sec === undefined || isNaN(sec)) return '–:––';
    if (sec > -1 && sec <= 0) sec = 0;
    if (sec >= 0) {
      var up = Math.ceil(sec - 0.001);
      return Math.floor(up / 60) + ':' + pad2(up % 60);
    }
    var over = Math.floor(-sec);
    return '+' + Math.floor(over / 60) + ':' + pad2(over % 60);
  }

  function formatTimeOfDay(epochSeconds) {
    var local = new Date((epochSeconds - (clock.offset !== null ? clock.offset : clock.rough)) * 1000);
    return pad2(local.getHours()) + ':' + pad2(local.getMinutes());
  }

  // ------------------------------------------------------------------ sound and vibration

  var SOUND_KEY = 'krug:sound:' + FACE;
  var sound = {
    ctx: null,
    muted: (function () {
      var saved = store.get(SOUND_KEY);
      if (saved === 'on') return false;
      if (saved === 'off') return true;
      return FACE === 'phone'; // a dozen phones chiming at once is noise: phones vibrate, sound is opt-in
    })(),
    listeners: [],
    unlock: function () {
      var AC = window.AudioContext || window.webkitAudioContext;
      if (!AC) return;
      try {
        if (!sound.ctx) sound.ctx = new AC();
        if (sound.ctx.state === 'suspended') sound.ctx.resume().then(sound.notify, function () {});
      } catch (e) { /* no audio */ }
      sound.notify();
    },
    ready: function () { return !!(sound.ctx && sound.ctx.state === 'running'); },
    setMuted: function (muted) {
      sound.muted = muted;
      store.set(SOUND_KEY, muted ? 'off' : 'on');
      if (!muted) sound.unlock();
      sound.notify();
    },
    notify: function () { sound.listeners.forEach(function (fn) { fn(); }); },
    /** A soft two-note chime: rising at one minute left, falling at zero. */
    chime: function (which) {
      if (sound.muted || !sound.ready()) return;
      var ctx = sound.ctx;
      var notes = which === 'zero' ? [784, 523.25] : [587.33, 784];
      var start = ctx.currentTime + 0.05;
      notes.forEach(function (freq, i) {
        var at = start + i * 0.34;
        var osc = ctx.createOscillator();
        var gain = ctx.createGain();
        osc.type = 'sine';
        osc.frequency.setValueAtTime(freq, at);
        gain.gain.setValueAtTime(0.0001, at);
        gain.gain.exponentialRampToValueAtTime(0.16, at + 0.03);
        gain.gain.exponentialRampToValueAtTime(0.0001, at + 1.6);
        osc.connect(gain);
        gain.connect(ctx.destination);
        osc.start(at);
        osc.stop(at + 1.7);
      });
    }
  };
  ['pointerdown', 'keydown', 'touchstart'].forEach(function (ev) {
    document.addEventListener(ev, function () { sound.unlock(); }, { capture: true, passive: true });
  });

  function vibrate(pattern) {
    if (FACE !== 'phone') return;
    try { if (navigator.vibrate) navigator.vibrate(pattern); } catch (e) { /* unsupported */ }
  }

  /** Wire a mute button (aria-pressed = sound off). */
  function soundButton(button) {
    if (!button) return;
    var label = button.querySelector('.btn-label');
    function render() {
      var off = sound.muted;
      var locked = !off && !sound.ready();
      button.setAttribute('aria-pressed', off ? 'true' : 'false');
      button.classList.toggle('is-off', off || locked);
      var text = off ? t('Sound off') : (locked ? t('Click to enable sound') : t('Sound on'));
      button.setAttribute('title', text);
      button.setAttribute('aria-label', off ? t('Sound off: turn on') : t('Sound on: turn off'));
      if (label) setText(label, text);
    }
    button.addEventListener('click', function () {
      if (!sound.muted && !sound.ready()) { sound.unlock(); render(); return; }
      sound.setMuted(!sound.muted);
      if (!sound.muted) setTimeout(function () { sound.chime('warn'); }, 60);
    });
    sound.listeners.push(render);
    i18nReady.then(render);
    render();
  }

  /** Chime and vibrate once when a phase's timer crosses one minute left and zero. */
  var alarm = { key: null, last: null };
  function watchTimer(state) {
    var timer = state && state.status === 'running' ? state.timer : null;
    if (!timer || !state.phase) { alarm.key = null; return; }
    var key = state.phase.index + ':' + timer.started_at;
    var rem = remaining(timer);
    if (alarm.key !== key) { alarm.key = key; alarm.last = rem; return; }
    var prev = alarm.last;
    alarm.last = rem;
    if (prev === null || timer.paused_remaining !== null) return;
    if (timer.duration > 90 && prev > 60 && rem <= 60 && rem > 50) {
      sound.chime('warn');
      vibrate([120, 80, 120]);
      announce(t('One minute left.'));
    }
    if (prev > 0 && rem <= 0 && rem > -10) {
      sound.chime('zero');
      vibrate([300, 120, 300]);
      announce(t('Time is up. Overtime begins.'));
    }
  }

  // ------------------------------------------------------------------ frame loop

  // Nothing on these pages needs 60 frames a second: the countdown's digits change once a
  // second and its ring moves a hair in that time. So the faces' tickers run once a second, in
  // the frame just after the digits change (the clock stays exact to the second boundary), and
  // not at all while no timer runs (lobby, end); while paused, every 15 s for the projected end.
  // A new state wakes them at once.

  var tickers = [];
  var liveTimer = null;
  var tick = { frame: null, timeout: null };
  function onFrame(fn) { tickers.push(fn); wakeTickers(); }
  function runTickers() {
    tick.frame = null;
    for (var i = 0; i < tickers.length; i++) {
      try { tickers[i](); } catch (e) { if (window.console) console.error(e); }
    }
    scheduleTickers();
  }
  function nextTickDelay() {
    if (!liveTimer) return null;
    if (liveTimer.paused_remaining !== null && liveTimer.paused_remaining !== undefined) return 15000;
    var rem = remaining(liveTimer);
    var frac = rem - Math.floor(rem);
    return Math.max(20, Math.round(frac * 1000) + 15);
  }
  function scheduleTickers() {
    if (tick.frame !== null || tick.timeout !== null) return;
    var delay = nextTickDelay();
    if (delay === null) return;
    tick.timeout = setTimeout(function () {
      tick.timeout = null;
      tick.frame = window.requestAnimationFrame(runTickers);
    }, delay);
  }
  function wakeTickers() {
    if (tick.timeout !== null) { clearTimeout(tick.timeout); tick.timeout = null; }
    if (tick.frame === null) tick.frame = window.requestAnimationFrame(runTickers);
  }
  function setLiveTimer(state) {
    liveTimer = state && state.status === 'running' && state.timer ? state.timer : null;
    wakeTickers();
  }

  // ------------------------------------------------------------------ countdown ring

  var RING_R = 45;
  var RING_C = 2 * Math.PI * RING_R;

  /** The time left as a screen reader says it: minutes, seconds under a minute (never
   * "0 min"), and "paused" while paused. */
  function spokenTime(rem, paused) {
    if (rem === null || rem === undefined || isNaN(rem)) return t('No timer');
    var text;
    if (rem > 0) {
      text = rem > 60 ? t('{n} min left', { n: Math.round(rem / 60) }) : t('{n} s left', { n: Math.max(1, Math.ceil(rem - 0.001)) });
    } else {
      var over = Math.floor(-rem);
      text = over >= 60 ? t('Overtime: {n} min', { n: Math.floor(over / 60) }) : t('Overtime: {n} s', { n: over });
    }
    return paused ? t('Paused: {time}', { time: text }) : text;
  }

  /** A countdown ring that empties; digits in its centre. Call .update(timer) each frame. */
  function Countdown(extraClass) {
    var fill = s('circle', { class: 'cd-fill', cx: '50', cy: '50', r: String(RING_R),
      transform: 'rotate(-90 50 50)', 'stroke-dasharray': RING_C.toFixed(2) });
    var svg = s('svg', { class: 'cd-svg', viewBox: '0 0 100 100', 'aria-hidden': 'true', focusable: 'false' },
      s('circle', { class: 'cd-track', cx: '50', cy: '50', r: String(RING_R) }), fill);
    var time = h('span', { class: 'cd-time' }, '–:––');
    var sub = h('span', { class: 'cd-sub' });
    var node = h('div', { class: 'countdown ' + (extraClass || ''), role: 'timer', 'aria-live': 'off' },
      svg, h('div', { class: 'cd-center' }, time, sub));
    var last = { text: null, cls: null, offset: null, sub: null, label: null };

    function update(timer) {
      var rem = remaining(timer);
      var text = timer ? formatClock(rem) : '–:––';
      if (text !== last.text) { time.textContent = text; last.text = text; }
      var paused = !!(timer && timer.paused_remaining !== null && timer.paused_remaining !== undefined);
      var over = rem !== null && rem < 0;
      var cls = (paused ? ' is-paused' : '') + (over ? ' is-over' : '') +
        (rem !== null && rem >= 0 && rem <= 60 ? ' is-warning' : '');
      if (cls !== last.cls) {
        node.classList.toggle('is-paused', paused);
        node.classList.toggle('is-over', over);
        node.classList.toggle('is-warning', rem !== null && rem >= 0 && rem <= 60);
        last.cls = cls;
      }
      var frac = 0;
      if (timer && timer.duration > 0 && rem !== null) frac = Math.max(0, Math.min(1, rem / timer.duration));
      var offset = (RING_C * (1 - frac)).toFixed(1);
      if (offset !== last.offset) {
        fill.style.strokeDashoffset = offset;
        // A round line cap would leave a dot on an empty ring.
        fill.style.visibility = frac > 0.002 ? 'visible' : 'hidden';
        last.offset = offset;
      }
      var subText = paused ? t('Paused') : (over ? t('overtime') : (timer ? t('left') : ''));
      if (subText !== last.sub) { sub.textContent = subText; last.sub = subText; }
      var label = timer ? spokenTime(rem, paused) : t('No timer');
      if (label !== last.label) { node.setAttribute('aria-label', label); last.label = label; }
    }
    return { node: node, update: update };
  }

  // ------------------------------------------------------------------ people helpers

  function inCircle(person) { return !person.waiting && CIRCLE_ROLES.indexOf(person.role) !== -1; }

  function peopleById(state) {
    var map = {};
    (state && state.people || []).forEach(function (p) { map[p.id] = p; });
    return map;
  }

  function nameOf(state, id) {
    var p = peopleById(state)[id];
    return p && p.name ? p.name : t('Someone');
  }

  /** online | reconnecting | away */
  function presence(person) {
    if (person.online) return 'online';
    if (person.off_since && serverNow() - person.off_since < GRACE_SECONDS) return 'reconnecting';
    return 'away';
  }

  function currentCase(state) {
    if (!state || !state.phase || !state.phase.case) return null;
    return (state.cases || []).filter(function (c) { return c.number === state.phase.case; })[0] || null;
  }

  /** In a break: the case the next phase works on (it may have been settled by the vote's
   * runner-up or a tie-break: the room should see it, not guess). */
  function upcomingCase(state) {
    if (!state || !state.phase || state.phase.kind !== 'break' || !state.plan) return null;
    var next = state.plan.phases[state.phase.index + 1];
    if (!next || !next['case']) return null;
    return (state.cases || []).filter(function (c) { return c.number === next['case']; })[0] || null;
  }

  // ------------------------------------------------------------------ ring of names

  /** Lay out the circle's people around a centre node. The presenter who is outside the
   * circle leaves an empty seat and has their name outside the ring. */
  function renderRing(container, state, opts) {
    opts = opts || {};
    var circle = (state.people || []).filter(inCircle);
    var kase = currentCase(state);
    var outsideId = state.presenter_outside && kase ? kase.presenter : null;
    var presenterId = state.status === 'running' && kase ? kase.presenter : null;
    var sig = JSON.stringify([circle.map(function (p) { return [p.id, p.name, p.role, presence(p)]; }),
      outsideId, presenterId, opts.me || null, opts.names !== false, LANG]);
    if (container.getAttribute('data-sig') === sig) return;
    container.setAttribute('data-sig', sig);
    Array.prototype.slice.call(container.querySelectorAll('.seat, .seat-outside')).forEach(function (n) {
      n.parentNode.removeChild(n);
    });
    var n = circle.length;
    var rx = opts.rx || 40;
    var ry = opts.ry || 40;
    circle.forEach(function (p, i) {
      var angle = -Math.PI / 2 + (n ? (2 * Math.PI * i) / n : 0);
      var x = 50 + rx * Math.cos(angle);
      var y = 50 + ry * Math.sin(angle);
      var outside = p.id === outsideId;
      var state_ = presence(p);
      var seat = h('div', {
        class: 'seat seat-' + state_ + (outside ? ' is-empty' : '') + (p.id === opts.me ? ' is-me' : '') + (p.id === presenterId ? ' is-presenter' : '') +
          (p.role === 'leader' || p.role === 'coleader' ? ' is-lead' : '')
      }, h('span', { class: 'seat-dot', 'aria-hidden': 'true' }),
        opts.names === false || outside ? null : h('span', { class: 'seat-name' }, p.name || '—'),
        outside ? h('span', { class: 'visually-hidden' }, t('Empty place of the presenter')) : null);
      seat.style.left = x.toFixed(2) + '%';
      seat.style.top = y.toFixed(2) + '%';
      container.appendChild(seat);
      if (outside && opts.names !== false) {
        var ox = 50 + (rx + 13) * Math.cos(angle);
        var oy = 50 + (ry + 13) * Math.sin(angle);
        var away = h('div', { class: 'seat-outside' },
          h('span', { class: 'seat-name' }, p.name || '—'),
          h('span', { class: 'seat-note' }, t('outside the circle')));
        if (Math.abs(Math.cos(angle)) > 0.6) {
          // Near 3 or 9 o'clock there is no room beyond the ring: the name hangs just below the
          // empty place, between it and the next seat, never over it.
          away.classList.add('is-below');
          away.style.left = Math.max(10, Math.min(90, x)).toFixed(2) + '%';
          away.style.top = (y + 3).toFixed(2) + '%';
        } else {
          away.style.left = Math.max(8, Math.min(92, ox)).toFixed(2) + '%';
          away.style.top = Math.max(3, Math.min(97, oy)).toFixed(2) + '%';
        }
        container.appendChild(away);
      }
    });
  }

  // ------------------------------------------------------------------ session plan bar

  /** {text, behind} where behind is seconds (positive = later than planned). */
  function planStatus(state) {
    var plan = state && state.plan;
    if (!plan || !plan.planned_end || state.status !== 'running') return null;
    var rem = remaining(state.timer);
    var projected = serverNow() + Math.max(rem || 0, 0) + (plan.rest || 0);
    var behind = projected - plan.planned_end;
    var minutes = Math.round(Math.abs(behind) / 60);
    var text;
    if (minutes < 1) text = t('On plan');
    else if (behind > 0) text = t('{n} min behind plan', { n: minutes });
    else text = t('{n} min ahead of plan', { n: minutes });
    return { text: text, behind: behind, projected: projected };
  }

  /** The whole session as one bar: segments sized by planned seconds. */
  function PlanBar(extraClass) {
    // Named from the start: the steps are added with the first state (an unnamed image meanwhile).
    var track = h('div', { class: 'plan-track', role: 'img', 'aria-label': t('Session plan') });
    var status = h('span', { class: 'plan-status' });
    var ends = h('span', { class: 'plan-ends' });
    var node = h('div', { class: 'planbar ' + (extraClass || '') }, track, h('div', { class: 'plan-meta' }, status, ends));
    var currentFill = null;
    var lastSig = null;
    var lastText = null;

    function build(state) {
      var plan = state.plan;
      var idx = state.phase ? state.phase.index : -1;
      var sig = JSON.stringify([plan.phases.map(function (p) { return [p.key, p.seconds, p.kind]; }), idx, state.status, LANG]);
      if (sig === lastSig) return;
      lastSig = sig;
      clear(track);
      currentFill = null;
      plan.phases.forEach(function (p, i) {
        var when = state.status === 'ended' || i < idx ? 'done' : (i === idx ? 'current' : 'future');
        var seg = h('div', { class: 'plan-seg fam-' + familyOf(p.kind) + ' is-' + when + (p.kind === 'break' ? ' is-break' : ''),
          title: pick(p.title) + ' · ' + (Math.round(p.seconds / 60 * 10) / 10).toLocaleString(LANG) + ' ' + t('min') });
        seg.style.flexGrow = String(Math.max(p.seconds, 1));
        if (when === 'current') {
          currentFill = h('span', { class: 'plan-fill' });
          seg.appendChild(currentFill);
        }
        track.appendChild(seg);
      });
      track.setAttribute('aria-label', t('Session plan: step {i} of {n}', { i: Math.max(idx + 1, 0), n: plan.phases.length }));
    }

    function update(state) {
      if (!state || !state.plan) return;
      build(state);
      if (currentFill && state.timer) {
        var rem = remaining(state.timer);
        var frac = state.timer.duration > 0 ? 1 - Math.max(0, rem) / state.timer.duration : 1;
        currentFill.style.width = (Math.max(0, Math.min(1, frac)) * 100).toFixed(1) + '%';
      }
      var st = planStatus(state);
      var text = st ? st.text : '';
      var endText = st ? t('Ends about {time}', { time: formatTimeOfDay(st.projected) }) : '';
      var key = text + '|' + endText + '|' + (st ? (st.behind >= 60 ? 'b' : st.behind <= -60 ? 'a' : 'o') : '');
      if (key !== lastText) {
        lastText = key;
        setText(status, text);
        setText(ends, endText);
        node.classList.toggle('is-behind', !!st && st.behind >= 60);
        node.classList.toggle('is-ahead', !!st && st.behind <= -60);
      }
    }
    return { node: node, update: update };
  }

  // ------------------------------------------------------------------ room connection

  /**
   * Answers worth sending again (the same event, the same command_id/client_id): the server
   * could not store just now, failed unexpectedly, asked to slow down, or did not answer.
   * Every other code is a definitive refusal.
   */
  var RETRYABLE = { unavailable: true, server_error: true, rate_limited: true, timeout: true, offline: true };
  function retryable(error) { return !!(error && RETRYABLE[error.code]); }

  /** Backoff with jitter: about 1, 2, 4, 8 s, at most 15 s, never in step with other phones. */
  function retryDelay(attempt, error) {
    var ms = Math.min(15000, 1000 * Math.pow(2, Math.min(attempt, 4)));
    var after = error && error.details && error.details.retry_after;
    if (typeof after === 'number') ms = Math.max(ms, after * 1000);
    return Math.round(ms * (0.75 + Math.random() * 0.5));
  }

  function isAuthError(err) {
    if (!err) return false;
    if (err.data && (err.data.code === 'not_authenticated' || err.data.code === 'unknown_person')) return true;
    // The server currently puts the error object into the message text.
    return typeof err.message === 'string' && err.message.indexOf('not_authenticated') !== -1;
  }

  /**
   * room_state names phases by position; their texts come once per connection in room_format.
   * Put them back, so the faces read state.phase.title, state.plan.phases[i].title, state.format.
   * Idempotent: the same state may pass twice (when the format arrives after it).
   */
  function withFormat(state, format) {
    var phases = format.phases || [];
    state.format = format;
    if (state.phase && phases[state.phase.index]) {
      state.phase = Object.assign({}, phases[state.phase.index], state.phase);
    }
    if (state.plan && state.plan.phases) {
      state.plan.phases = state.plan.phases.map(function (p, i) { return Object.assign({}, phases[i], p); });
    }
    return state;
  }

  /**
   * Connect to the room with a token. opts: {token, onState(state), onMe(me), onAuthFail(),
   * onEnded(state), onConnect()}. Returns a room object with send(), outbox, state and me.
   */
  function connect(opts) {
    var room = {
      token: opts.token, state: null, me: null, socket: null, everConnected: false, ended: false,
      send: send, sync: doSync, outbox: null, close: close
    };
    if (typeof window.io !== 'function') {
      banner.set('reconnecting');
      return room;
    }
    var socket = window.io({
      // "previous" lets the server forget this device's last connection if it died with its process.
      auth: function (cb) { cb({ token: room.token, previous: room.lastSid }); },
      transports: ['websocket', 'polling'],
      tryAllTransports: true,
      reconnectionDelay: 800,
      reconnectionDelayMax: 5000,
      timeout: 10000
    });
    room.socket = socket;
    var connectingTimer = setTimeout(function () { if (!socket.connected && !room.ended) banner.set('connecting'); }, 1200);

    var connectAttempts = 0;
    socket.on('connect', function () {
      connectAttempts = 0;
      room.lastSid = socket.id;
      clearTimeout(connectingTimer);
      room.everConnected = true;
      banner.set(null);
      clockSync();
      if (room.outbox) room.outbox.flush();
      if (opts.onConnect) opts.onConnect();
    });
    socket.on('disconnect', function (reason) {
      if (room.ended) return;
      banner.set('reconnecting');
      if (reason === 'io server disconnect') setTimeout(function () { socket.connect(); }, 1000);
    });
    socket.on('connect_error', function (err) {
      var over = !!(err && err.data && err.data.code === 'session_ended');
      if (over || isAuthError(err)) {
        clearTimeout(connectingTimer);
        banner.set(null);
        socket.disconnect();
        // The room is over for this device, or its token is refused: nothing of it stays here.
        room.ended = true;
        if (over && err.data.details && err.data.details.debrief) store.set(keys.debrief(CODE), room.token);
        forgetRoom(CODE, over);
        if (over && opts.onEnded) opts.onEnded(null);
        if (opts.onAuthFail) opts.onAuthFail();
        return;
      }
      if (!room.ended) banner.set(room.everConnected ? 'reconnecting' : 'connecting');
      // A refusal by the server (unavailable: its database fails; rate_limited) is final for
      // socket.io, which then stops trying: try again with backoff until the server takes us.
      if (!socket.active) {
        setTimeout(function () { if (!room.ended && !socket.connected) socket.connect(); },
          retryDelay(connectAttempts++, err && err.data));
      }
    });
    // The server's word that this device is out: removed, turned away, left, or the end.
    socket.on('removed', function (data) { over(false, (data && data.reason) || 'removed'); });
    socket.on('ended', function () { over(true, 'ended'); });

    function over(ended, reason) {
      if (room.ended) return;
      room.ended = true;
      if (ended && room.me && (room.me.role === 'leader' || room.me.role === 'coleader')) store.set(keys.debrief(CODE), room.token);
      forgetRoom(CODE, ended);
      banner.set(null);
      setTimeout(function () { socket.disconnect(); }, 200);
      if (ended && opts.onEnded) opts.onEnded(null);
      if (!ended && opts.onRemoved) opts.onRemoved(reason);
    }
    socket.on('me', function (me) { setMe(me); });
    socket.on('room_format', function (format) {
      room.format = format;
      if (room.state) setState(room.state);
    });
    socket.on('room_state', function (state) { setState(state); });

    function setState(state) {
      if (!state) return;
      if (room.state && typeof state.v === 'number' && state.v < room.state.v) return;
      if (typeof state.server_now === 'number') clock.rough = state.server_now - Date.now() / 1000;
      if (typeof state.grace === 'number') GRACE_SECONDS = state.grace;
      room.state = state;
      // Until the format has arrived (it follows on connect) there are no titles to show.
      if (!state.waiting && !room.format) return;
      if (!state.waiting) withFormat(state, room.format);
      if (state.status === 'ended' && !room.ended) {
        room.ended = true;
        if (room.me && (room.me.role === 'leader' || room.me.role === 'coleader')) store.set(keys.debrief(CODE), room.token);
        forgetRoom(CODE, true);
        banner.set(null);
        setTimeout(function () { socket.disconnect(); }, 200);
        if (opts.onEnded) opts.onEnded(state);
      }
      announceChanges(state);
      if (opts.onState) opts.onState(state);
      setLiveTimer(state);
    }

    function setMe(me) {
      if (!me) return;
      var before = room.me;
      room.me = me;
      // A new role (a latecomer let in, a co-leader made) changes what this connection hears:
      // ask for the format and the state first, so no rendering of the old state can stop it.
      if (before && before.role !== me.role) doSync();
      if (opts.onMe) opts.onMe(me);
    }

    function doSync() {
      if (!socket.connected) return Promise.resolve(null);
      return emitAck('sync', {}, 8000).then(function (ack) {
        if (ack && ack.ok) {
          if (ack.me) {
            var before = room.me;
            room.me = ack.me;
            if (opts.onMe && (!before || JSON.stringify(before) !== JSON.stringify(ack.me))) opts.onMe(ack.me);
          }
          if (ack.format) room.format = ack.format;
          if (ack.state) setState(ack.state);
        }
        return ack;
      });
    }

    function emitAck(event, payload, ms) {
      return new Promise(function (resolve) {
        if (!socket.connected) { resolve({ ok: false, error: { code: 'offline' } }); return; }
        socket.timeout(ms || 8000).emit(event, payload || {}, function (err, ack) {
          if (err) resolve({ ok: false, error: { code: 'timeout' } });
          else resolve(ack || { ok: false, error: { code: 'server_error' } });
        });
      });
    }

    var clockBusy = false;
    function clockSync() {
      if (clockBusy) return;
      clockBusy = true;
      var best = null;
      var i = 0;
      function sample() {
        if (i++ >= 5 || !socket.connected) { finish(); return; }
        var t0 = Date.now() / 1000;
        emitAck('time_sync', {}, 3000).then(function (ack) {
          var t1 = Date.now() / 1000;
          if (ack && ack.ok && typeof ack.server_now === 'number') {
            var rtt = t1 - t0;
            if (!best || rtt < best.rtt) best = { rtt: rtt, offset: ack.server_now - (t0 + t1) / 2 };
            sample();
          } else finish();
        });
      }
      function finish() {
        if (best) { clock.offset = best.offset; clock.rtt = best.rtt; }
        clockBusy = false;
      }
      sample();
    }

    /**
     * Send a command; resolves with the ack. Errors are toasted unless opts.quiet.
     * opts.retry: the command carries a command_id and is sent again on a retryable answer
     * (with backoff, for up to a minute): a repeat the server already applied is answered as
     * the first was and changes nothing.
     */
    function send(event, payload, sendOpts) {
      sendOpts = sendOpts || {};
      if (sendOpts.retry) payload = Object.assign({ command_id: clientId() }, payload);
      var started = Date.now();
      var attempt = 0;
      function once() {
        return emitAck(event, payload, sendOpts.timeout).then(function (ack) {
          if (!ack.ok && sendOpts.retry && retryable(ack.error) && Date.now() - started < 60000) {
            return new Promise(function (resolve) { setTimeout(resolve, retryDelay(attempt++, ack.error)); })
              .then(function () { return waitConnected(); }).then(once);
          }
          // The room moved on meanwhile: show where it is now.
          if (!ack.ok && ack.error && ack.error.code === 'phase_changed') doSync();
          if (!ack.ok && !sendOpts.quiet) toast(errorText(ack.error), 'error');
          return ack;
        });
      }
      return once();
    }

    /** Resolves once connected (at once if connected), or after 15 s regardless. */
    function waitConnected() {
      if (socket.connected) return Promise.resolve();
      return new Promise(function (resolve) {
        var timer = setTimeout(done, 15000);
        function done() { clearTimeout(timer); socket.off('connect', done); resolve(); }
        socket.on('connect', done);
      });
    }

    function close() { room.ended = true; socket.disconnect(); }

    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState !== 'visible' || room.ended) return;
      if (!socket.connected) socket.connect();
      else { clockSync(); doSync(); }
    });
    window.addEventListener('online', function () { if (!socket.connected && !room.ended) socket.connect(); });
    window.addEventListener('pageshow', function (ev) { if (ev.persisted && !socket.connected && !room.ended) socket.connect(); });

    room.emitAck = emitAck;
    room.outbox = opts.outbox === false ? null : Outbox(room, emitAck);
    onFrame(function () { if (room.state) watchTimer(room.state); });
    setInterval(function () { if (room.state && document.hidden) watchTimer(room.state); }, 1000);
    return room;
  }

  // ------------------------------------------------------------------ outbox

  /** Posts (cards, nominations) survive a lost connection: kept until acknowledged. */
  function Outbox(room, emitAck) {
    var key = keys.outbox(CODE);
    var items = store.getJSON(key, []);
    if (!Array.isArray(items)) items = [];
    var inflight = {};
    var tries = {};
    var listeners = [];

    function save() {
      if (room.ended) return;
      store.setJSON(key, items);
    }
    function notify(kind, item, ack) { listeners.forEach(function (fn) { fn(kind, item, ack); }); }
    function remove(id) {
      items = items.filter(function (it) { return it.id !== id; });
      save();
    }
    function trySend(item) {
      if (inflight[item.id] || !room.socket || !room.socket.connected) return;
      inflight[item.id] = true;
      emitAck(item.event, item.payload, 10000).then(function (ack) {
        delete inflight[item.id];
        if (ack.ok) {
          delete tries[item.id];
          remove(item.id);
          notify('sent', item, ack);
        } else if (retryable(ack.error)) {
          // Kept and sent again (same client_id: stored once); the text is not given back.
          notify('pending', item, ack);
          if (ack.error.code !== 'offline') {
            var attempt = tries[item.id] = (tries[item.id] || 0) + 1;
            setTimeout(function () { trySend(item); }, retryDelay(attempt - 1, ack.error));
          }
        } else {
          delete tries[item.id];
          remove(item.id);
          toast(errorText(ack.error), 'error');
          notify('failed', item, ack);
        }
      });
    }
    var box = {
      add: function (event, payload) {
        var id = clientId();
        payload = Object.assign({}, payload, { client_id: id });
        var item = { id: id, event: event, payload: payload, at: Date.now() };
        items.push(item);
        save();
        notify('added', item);
        trySend(item);
        return item;
      },
      flush: function () { items.slice().forEach(trySend); },
      pending: function () { return items.slice(); },
      on: function (fn) { listeners.push(fn); }
    };
    setInterval(function () { if (items.length) box.flush(); }, 15000);
    return box;
  }

  // ------------------------------------------------------------------ misc UI

  /** Confirmation dialog (a <dialog id="confirm-dialog"> in the page, else window.confirm). */
  function confirmDialog(text, okLabel) {
    var dialog = $('confirm-dialog');
    if (!dialog || typeof dialog.showModal !== 'function') return Promise.resolve(window.confirm(text));
    setText($('confirm-text'), text);
    setText($('confirm-ok'), okLabel || t('Yes'));
    return new Promise(function (resolve) {
      function done() {
        dialog.removeEventListener('close', done);
        resolve(dialog.returnValue === 'ok');
      }
      dialog.returnValue = '';
      dialog.addEventListener('close', done);
      dialog.showModal();
      var cancel = $('confirm-cancel');
      if (cancel) cancel.focus();
    });
  }

  function copyText(text) {
    function fallback() {
      var area = h('textarea', { class: 'visually-hidden', readonly: 'readonly' });
      area.value = text;
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      document.body.removeChild(area);
      return ok;
    }
    var done = function (ok) { toast(ok ? t('Copied') : t('Could not copy; select the text instead.'), ok ? 'info' : 'error', 2200); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(fallback()); });
    } else done(fallback());
  }

  /** Counter text "12 / 80" for an input; marks it when over the limit. */
  function bindCounter(input, counter, limit, extra) {
    function render() {
      var len = input.value.length;
      var text = len + ' / ' + limit;
      if (extra) text = extra(input.value, text);
      setText(counter, text);
      counter.classList.toggle('is-near', len > limit * 0.9);
      counter.classList.toggle('is-over', len > limit);
    }
    input.addEventListener('input', render);
    i18nReady.then(render);
    render();
    return render;
  }

  /** Sentences as the server counts them (split after . ! ? … followed by space). */
  function countSentences(text) {
    var clean = String(text || '').trim();
    if (!clean) return 0;
    var m = clean.match(/[.!?…]\s+/g);
    return (m ? m.length : 0) + 1;
  }

  /** Page through a long list inside a fixed-height viewport, one screenful at a time. */
  function Pager(viewport, track, pagerNode, intervalMs) {
    var pages = [0];
    var index = 0;
    var timer = null;
    function measure() {
      var height = viewport.clientHeight;
      pages = [0];
      if (!height) return;
      var children = Array.prototype.slice.call(track.children);
      var pageTop = 0;
      children.forEach(function (child) {
        var top = child.offsetTop;
        var bottom = top + child.offsetHeight;
        if (bottom - pageTop > height + 1 && top > pageTop) {
          pageTop = top;
          pages.push(top);
        }
      });
      var unique = [];
      pages.forEach(function (p) { if (unique.indexOf(p) === -1) unique.push(p); });
      pages = unique.sort(function (a, b) { return a - b; });
      if (index >= pages.length) index = 0;
      apply();
    }
    function apply() {
      track.style.transform = 'translateY(' + (-pages[index]) + 'px)';
      Array.prototype.slice.call(track.children).forEach(function (child) {
        var top = child.offsetTop - pages[index];
        var visible = top >= -1 && top + child.offsetHeight <= viewport.clientHeight + 1;
        child.classList.toggle('is-offpage', !visible);
      });
      if (pagerNode) {
        clear(pagerNode);
        if (pages.length > 1) {
          pages.forEach(function (_, i) {
            pagerNode.appendChild(h('span', { class: 'pager-dot' + (i === index ? ' is-current' : '') }));
          });
          pagerNode.appendChild(h('span', { class: 'pager-text' }, t('Page {i} of {n}', { i: index + 1, n: pages.length })));
        }
      }
    }
    function next() { if (pages.length > 1) { index = (index + 1) % pages.length; apply(); } }
    function restart() {
      if (timer) clearInterval(timer);
      timer = setInterval(next, intervalMs || 12000);
    }
    window.addEventListener('resize', function () { measure(); });
    restart();
    return {
      refresh: function (resetToFirst) { if (resetToFirst) { index = 0; restart(); } measure(); },
      next: next
    };
  }

  /** Language switch links keep the path and the other query parameters. */
  function wireLanguageLinks() {
    Array.prototype.slice.call(document.querySelectorAll('a[data-lang-link]')).forEach(function (a) {
      var params = new URLSearchParams(window.location.search);
      params.set('lang', a.getAttribute('data-lang-link'));
      params.delete('bad_code');
      a.setAttribute('href', window.location.pathname + '?' + params.toString());
    });
  }

  /** Dark / light theme for faces that offer a toggle (the screen). */
  function themeButton(button, storageKey, fallback) {
    var theme = store.get(storageKey) || fallback;
    root.setAttribute('data-theme', theme);
    if (!button) return;
    function render() {
      var dark = root.getAttribute('data-theme') === 'dark';
      var text = dark ? t('Light theme') : t('Dark theme');
      button.setAttribute('title', text);
      button.setAttribute('aria-label', text);
      var label = button.querySelector('.btn-label');
      if (label) setText(label, text);
    }
    button.addEventListener('click', function () {
      var next = root.getAttribute('data-theme') === 'dark' ? 'light' : 'dark';
      root.setAttribute('data-theme', next);
      store.set(storageKey, next);
      render();
    });
    i18nReady.then(render);
    render();
  }

  document.addEventListener('DOMContentLoaded', wireLanguageLinks);
  if (document.readyState !== 'loading') wireLanguageLinks();

  window.Krug = {
    LANG: LANG, CODE: CODE, FACE: FACE, LIMITS: LIMITS, CARD_KINDS: CARD_KINDS,
    NOMINATION_KINDS: NOMINATION_KINDS, CIRCLE_ROLES: CIRCLE_ROLES, KIND_LABEL: KIND_LABEL,
    KIND_PLURAL: KIND_PLURAL, ROLE_LABEL: ROLE_LABEL,
    t: t, N_: N_, pick: pick, ready: i18nReady,
    h: h, s: s, clear: clear, setText: setText, show: show, $: $, patch: patch,
    store: store, keys: keys, forgetRoom: forgetRoom, wipe: wipe, clientId: clientId,
    familyOf: familyOf, setFamily: setFamily, errorText: errorText,
    toast: toast, banner: banner, clock: clock, serverNow: serverNow, remaining: remaining,
    formatClock: formatClock, formatTimeOfDay: formatTimeOfDay, spokenTime: spokenTime, announce: announce,
    sound: sound, soundButton: soundButton, vibrate: vibrate, onFrame: onFrame,
    Countdown: Countdown, PlanBar: PlanBar, planStatus: planStatus, renderRing: renderRing,
    inCircle: inCircle, peopleById: peopleById, nameOf: nameOf, presence: presence,
    currentCase: currentCase, upcomingCase: upcomingCase, connect: connect, confirm: confirmDialog, copyText: copyText,
    bindCounter: bindCounter, countSentences: countSentences, Pager: Pager, themeButton: themeButton
  };
})();
