/* Landing page: start a session (leader) or join one by code. */
(function () {
  'use strict';
  var K = window.Krug;
  var t = K.t, h = K.h;

  var form = K.$('create-form');
  var nameInput = K.$('leader-name');
  var editor = K.$('phase-editor');
  var totalNode = K.$('editor-total');
  var errorNode = K.$('create-error');
  var createBtn = K.$('create-btn');
  var formats = {};
  var OWNER_KEY = 'krug:format-owner';

  // Formats a leader saves belong to this device: a random key kept here and sent with the
  // list and with create (docs/protocol.md). The server keeps only its hash.
  function ownerKey() {
    var key = K.store.get(OWNER_KEY);
    if (!key || !/^[A-Za-z0-9_-]{22,100}$/.test(key)) {
      var bytes = new Uint8Array(32);
      window.crypto.getRandomValues(bytes);
      key = Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
      K.store.set(OWNER_KEY, key);
    }
    return key;
  }

  function addSavedOption(fmt) {
    if (form.querySelector('input[name="format_id"][value="' + fmt.id + '"]')) return;
    var radio = h('input', { type: 'radio', name: 'format_id', value: fmt.id });
    K.$('format-list').appendChild(h('label', { 'class': 'format-option' }, radio,
      h('span', { 'class': 'format-body' },
        h('span', { 'class': 'format-name' }, K.pick(fmt.name)),
        h('span', { 'class': 'format-meta' }, fmt.total_minutes + ' ' + t('min')))));
  }
  var rows = [];       // [{key, title, minutes, include, case}]
  var edited = false;

  function selectedFormatId() {
    var checked = form.querySelector('input[name="format_id"]:checked');
    return checked ? checked.value : 'balint-classic';
  }

  function loadRows() {
    var fmt = formats[selectedFormatId()];
    rows = fmt ? fmt.phases.map(function (p) {
      return { key: p.key, kind: p.kind, title: K.pick(p.title), minutes: p.minutes, include: true, 'case': p['case'],
        reflection_kind: p.reflection_kind || null, original_reflection: p.reflection_kind || null };
    }) : [];
    edited = false;
    renderEditor();
  }

  function total() {
    return rows.reduce(function (sum, r) { return sum + (r.include ? (Number(r.minutes) || 0) : 0); }, 0);
  }

  function renderEditor() {
    K.clear(editor);
    rows.forEach(function (row, i) {
      var id = 'ph-' + row.key;
      var include = h('input', { type: 'checkbox', id: id + '-on', checked: row.include, 'data-fk': id + '-on' });
      include.addEventListener('change', function () { row.include = include.checked; changed(); });
      var minutes = h('input', { type: 'number', id: id + '-min', min: '1', max: '240', step: '1',
        value: String(row.minutes), class: 'minutes-input', inputmode: 'numeric', 'data-fk': id + '-min',
        'aria-label': t('Minutes for {phase}', { phase: row.title }) });
      minutes.addEventListener('input', function () { row.minutes = Number(minutes.value); changed(false); });
      var up = h('button', { type: 'button', class: 'icon-btn btn-small', 'data-fk': id + '-up',
        'aria-label': t('Move {phase} up', { phase: row.title }), disabled: i === 0 }, '↑');
      var down = h('button', { type: 'button', class: 'icon-btn btn-small', 'data-fk': id + '-down',
        'aria-label': t('Move {phase} down', { phase: row.title }), disabled: i === rows.length - 1 }, '↓');
      up.addEventListener('click', function () { move(i, -1, id + '-up'); });
      down.addEventListener('click', function () { move(i, 1, id + '-down'); });
      var caseTag = row['case'] ? h('span', { class: 'tag' }, t('Case {n}', { n: row['case'] })) : null;
      var addedTag = row.added ? h('span', { class: 'tag tag-added' }, t('added')) : null;
      editor.appendChild(h('li', { class: 'phase-row fam-' + K.familyOf(row.kind) + (row.include ? '' : ' is-off') },
        h('label', { class: 'phase-include', for: id + '-on' }, include, h('span', { class: 'phase-title' }, row.title), caseTag, addedTag),
        h('span', { class: 'phase-minutes' }, minutes, h('span', { class: 'unit' }, t('min'))),
        h('span', { class: 'phase-move' }, up, down),
        reflectionChooser(row, id)));
    });
    renderTotal();
  }

  // --- the primitive library and the kinds of reflection (from /api/formats)

  var library = [];
  var reflectionKinds = {};
  var REFLECTIVE = ['closing', 'reflection'];
  var REFLECTION_NAMES = { prognostic: K.N_('Prognostic reflection'), process: K.N_('Process reflection'),
    product: K.N_('Productive reflection') };

  function reflectionChooser(row, id) {
    if (REFLECTIVE.indexOf(row.kind) === -1) return null;
    var select = h('select', { id: id + '-refl', class: 'reflection-select', 'data-fk': id + '-refl',
      'aria-label': t('Kind of reflection for {phase}', { phase: row.title }) },
      h('option', { value: '' }, t('Reflection as written')),
      Object.keys(REFLECTION_NAMES).map(function (kind) {
        return h('option', { value: kind, selected: row.reflection_kind === kind }, t(REFLECTION_NAMES[kind]));
      }));
    select.addEventListener('change', function () {
      row.reflection_kind = select.value || null;
      var texts = reflectionKinds[row.reflection_kind];
      if (texts) row.title = K.pick(texts.title);
      changed();
      var again = editor.querySelector('[data-fk="' + id + '-refl"]');
      if (again) again.focus();
    });
    return h('span', { class: 'phase-reflection' }, select);
  }

  function renderLibrary() {
    var select = K.$('add-kind');
    K.clear(select);
    library.forEach(function (p) {
      select.appendChild(h('option', { value: p.kind }, K.pick(p.title)));
    });
    renderAddRule();
  }

  function renderAddRule() {
    var chosen = library.filter(function (p) { return p.kind === K.$('add-kind').value; })[0];
    K.setText(K.$('add-rule'), chosen ? K.pick(chosen.rule) : '');
  }

  K.$('add-kind').addEventListener('change', renderAddRule);
  K.$('add-btn').addEventListener('click', function () {
    var chosen = library.filter(function (p) { return p.kind === K.$('add-kind').value; })[0];
    if (!chosen) return;
    var minutes = chosen.groups ? chosen.groups.forming_minutes + chosen.groups.size *
      chosen.groups.steps.reduce(function (sum, s) { return sum + s.minutes; }, 0) : chosen.minutes;
    rows.push({ key: 'new-' + rows.length + '-' + chosen.kind, kind: chosen.kind, title: K.pick(chosen.title),
      minutes: minutes, include: true, added: true, reflection_kind: null });
    changed();
  });

  function renderTotal() {
    K.setText(totalNode, t('Total: {n} min', { n: (Math.round(total() * 10) / 10).toLocaleString(K.LANG) }));
  }

  function move(i, delta, focusKey) {
    var j = i + delta;
    if (j < 0 || j >= rows.length) return;
    var tmp = rows[i]; rows[i] = rows[j]; rows[j] = tmp;
    edited = true;
    renderEditor();
    var again = editor.querySelector('[data-fk="' + focusKey + '"]');
    if (again && !again.disabled) again.focus();
    else if (again) { var other = editor.querySelector('[data-fk="' + focusKey.replace(/-(up|down)$/, delta < 0 ? '-down' : '-up') + '"]'); if (other) other.focus(); }
  }

  function changed(rerender) {
    edited = true;
    if (rerender === false) {
      renderTotal();
      return;
    }
    renderEditor();
  }

  function showError(text) {
    K.setText(errorNode, text);
    errorNode.hidden = !text;
  }

  form.addEventListener('change', function (ev) {
    if (ev.target && ev.target.name === 'format_id') loadRows();
  });
  K.$('editor-reset').addEventListener('click', loadRows);

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    showError('');
    var name = nameInput.value.trim();
    if (!name) {
      showError(t('Please write your name.'));
      nameInput.focus();
      return;
    }
    var body = { leader_name: name, format_id: selectedFormatId() };
    if (edited) {
      var chosen = rows.filter(function (r) { return r.include; });
      var bad = chosen.filter(function (r) { return !(r.minutes > 0 && r.minutes <= 240); })[0];
      if (bad) {
        showError(t('Minutes must be between 1 and 240 ({phase}).', { phase: bad.title }));
        return;
      }
      if (!chosen.length) {
        showError(t('Keep at least one phase.'));
        return;
      }
      body.phases = chosen.map(function (r) {
        var item = r.added ? { kind: r.kind, minutes: Number(r.minutes) } : { key: r.key, minutes: Number(r.minutes) };
        if (r.reflection_kind && (r.added || r.reflection_kind !== r.original_reflection)) item.reflection_kind = r.reflection_kind;
        return item;
      });
    }
    var saveAs = K.$('save-as').value.trim();
    if (saveAs) body.save_as = saveAs;
    if (saveAs || body.format_id.indexOf('own-') === 0) body.owner = ownerKey();
    createBtn.disabled = true;
    fetch('/api/rooms', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return { ok: false, error: { code: 'server_error' } }; });
    }).then(function (data) {
      if (!data.ok) {
        createBtn.disabled = false;
        var msg = K.errorText(data.error);
        if (data.error && data.error.code === 'bad_request' && data.error.field === 'phases') {
          msg = t('Every case needs at least one phase.');
        }
        showError(msg);
        return;
      }
      K.store.remove(K.keys.ended(data.code));
      K.store.set(K.keys.token(data.code), data.token);
      K.store.set(K.keys.screen(data.code), data.screen_token);
      window.location.assign('/c/' + encodeURIComponent(data.code));
    }).catch(function () {
      createBtn.disabled = false;
      showError(t('No connection to Krug. Check the network and try again.'));
    });
  });

  // The formats' full texts and the phase library fill the phase editor only: fetched when it is
  // opened, not on every visit to this page — unless this device has saved formats of its own to list.
  var formatsLoading = null;
  function ensureFormats() {
    if (formatsLoading) return formatsLoading;
    formatsLoading = K.ready.then(function () {
      return fetch('/api/formats', { credentials: 'same-origin', headers: { 'X-Krug-Owner': ownerKey() } })
        .then(function (r) { return r.json(); });
    }).then(function (data) {
      (data.formats || []).forEach(function (f) {
        formats[f.id] = f;
        if (f.id.indexOf('own-') === 0) addSavedOption(f);
      });
      library = data.primitives || [];
      reflectionKinds = data.reflection_kinds || {};
      renderLibrary();
      loadRows();
    }).catch(function () {
      formatsLoading = null; // the editor stays empty (try again on the next opening); the default still works
    });
    return formatsLoading;
  }
  var adjust = K.$('adjust');
  adjust.addEventListener('toggle', function () { if (adjust.open) ensureFormats(); });
  if (adjust.open || K.store.get(OWNER_KEY)) ensureFormats();

  var codeInput = K.$('join-code');
  if (codeInput && codeInput.getAttribute('aria-invalid') === 'true') codeInput.focus();
})();
