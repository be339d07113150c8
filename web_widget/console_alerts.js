/* Helpline agent console: spike alerts and incident notices in the #alerts banner. No dependencies.
   console.js hands it every frame of the agent socket (helplineAlerts.frame) and the language. */
(function () {
  'use strict';

  var STRINGS = {
    ko: {
      region: '급증 알림',
      spike: '급증: {what} 문의가 {since}부터 늘었어요. 최근 {minutes}분 동안 {count}건 (평소 {usual}건).',
      fallback: '챗봇이 답하지 못한 메시지',
      back: '평소 수준으로 돌아왔어요: {what}',
      notice: '고객 안내 중 ({intent}): {text}',
      open: '고객 안내 붙이기', edit: '안내 고치기', lift: '안내 내리기',
      formTitle: '{intent} 문의 고객에게 답변 전에 보여 줄 안내',
      ko: '안내 (한국어)', en: '안내 (영어)', hint: '예: 14:05부터 결제 장애가 있어 복구 중입니다.',
      post: '안내 게시', cancel: '취소', needText: '한 언어 이상으로 안내를 써 주세요.',
      failed: '요청을 처리하지 못했어요: {m}'
    },
    en: {
      region: 'Spike alerts',
      spike: 'Spike: {what} since {since}. {count} in the last {minutes} min (usually {usual}).',
      fallback: 'messages the bot could not answer',
      back: 'Back to usual: {what}',
      notice: 'Customers are told ({intent}): {text}',
      open: 'Attach a notice', edit: 'Change the notice', lift: 'Lift the notice',
      formTitle: 'Notice customers asking about {intent} see before the answer',
      ko: 'Notice (Korean)', en: 'Notice (English)', hint: 'e.g. We know about a payment problem since 14:05.',
      post: 'Post the notice', cancel: 'Cancel', needText: 'Write the notice in at least one language.',
      failed: 'The request failed: {m}'
    }
  };
  var LANGS = ['ko', 'en'];

  var lang = 'en';
  var agent = null;
  var alerts = {};      // id -> alert view, standing
  var incidents = {};   // intent -> incident view, standing
  var editing = null;   // the intent whose notice form is open

  var $ = function (id) { return document.getElementById(id); };

  var fmt = helplineCommon.fmt; // web_widget/common.js, loaded before this script

  function make(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) node.textContent = text;
    return node;
  }

  function T() { return STRINGS[lang] || STRINGS.en; }

  function clock(seconds) {
    return new Date(seconds * 1000).toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' });
  }

  function what(alert) { return alert.fallback ? T().fallback : alert.intent; }

  function alertText(a) {
    var usual = a.expected < 1 ? '<1' : String(Math.round(a.expected));
    return fmt(T().spike, {
      what: what(a), since: clock(a.since), count: a.count, usual: usual,
      minutes: Math.max(1, Math.round((a.raised_at - a.since) / 60))
    });
  }

  function noticeText(incident) {
    var texts = incident.texts || {};
    var shown = texts[lang] || LANGS.map(function (l) { return texts[l]; }).filter(Boolean)[0] || '';
    return fmt(T().notice, { intent: incident.intent, text: shown });
  }

  function supervisor() { return !!(agent && agent.role === 'supervisor'); }

  // ---------------------------------------------------------------- rendering
  function render() {
    var box = $('alerts');
    if (!box) return;
    box.setAttribute('aria-label', T().region);
    box.textContent = '';
    var shown = {};
    Object.keys(alerts).map(function (id) { return alerts[id]; })
      .sort(function (a, b) { return a.raised_at - b.raised_at; })
      .forEach(function (a) {
        if (a.intent) shown[a.intent] = true;
        box.appendChild(item(alertText(a), 'alert', a.intent));
      });
    Object.keys(incidents).sort().forEach(function (intent) {
      if (!shown[intent]) box.appendChild(item(null, 'notice', intent));
    });
    box.hidden = !box.firstChild;
  }

  // One alert (kind 'alert') or a notice standing without one ('notice'); a supervisor gets
  // the notice's controls on every item that names an intent.
  function item(text, kind, intent) {
    var node = make('div', { 'class': 'alert-item ' + kind });
    if (text) node.appendChild(make('p', { role: 'alert' }, text));
    var incident = intent && incidents[intent];
    if (incident) node.appendChild(make('p', { 'class': 'standing' }, noticeText(incident)));
    if (!intent || !supervisor()) return node;
    var tools = make('div', { 'class': 'alert-tools' });
    var open = make('button', { type: 'button', 'aria-expanded': String(editing === intent) },
      incident ? T().edit : T().open);
    open.addEventListener('click', function () { toggleForm(intent); });
    tools.appendChild(open);
    if (incident) {
      var lift = make('button', { type: 'button' }, T().lift);
      lift.addEventListener('click', function () { liftNotice(intent); });
      tools.appendChild(lift);
    }
    node.appendChild(tools);
    if (editing === intent) node.appendChild(form(intent, incident));
    return node;
  }

  function form(intent, incident) {
    var f = make('form', { 'class': 'notice-form', novalidate: '' });
    var titleId = 'notice-title-' + intent;
    f.setAttribute('aria-labelledby', titleId);
    f.appendChild(make('p', { id: titleId, 'class': 'form-title' }, fmt(T().formTitle, { intent: intent })));
    LANGS.forEach(function (l) {
      var id = 'notice-' + l + '-' + intent;
      f.appendChild(make('label', { 'for': id }, T()[l]));
      var area = make('textarea', { id: id, name: l, rows: '2', maxlength: '500', lang: l, placeholder: T().hint });
      area.value = (incident && incident.texts && incident.texts[l]) || '';
      f.appendChild(area);
    });
    var error = make('p', { 'class': 'error', role: 'alert' });
    f.appendChild(error);
    var buttons = make('div', { 'class': 'alert-tools' });
    buttons.appendChild(make('button', { type: 'submit', 'class': 'primary' }, T().post));
    var cancel = make('button', { type: 'button' }, T().cancel);
    cancel.addEventListener('click', function () { toggleForm(intent); });
    buttons.appendChild(cancel);
    f.appendChild(buttons);
    f.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var texts = {};
      LANGS.forEach(function (l) { var v = f.elements[l].value.trim(); if (v) texts[l] = v; });
      if (!Object.keys(texts).length) { error.textContent = T().needText; return; }
      postNotice(intent, texts, error);
    });
    return f;
  }

  function toggleForm(intent) {
    editing = editing === intent ? null : intent;
    render();
    var target = editing ? $('notice-' + lang + '-' + intent) : null;
    if (target) target.focus();
  }

  // ---------------------------------------------------------------- requests
  function request(method, path, body) {
    var init = { method: method, credentials: 'same-origin', headers: {} };
    if (body) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
    return fetch(path, init).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) throw new Error(data.message || String(res.status));
        return data;
      });
    });
  }

  function postNotice(intent, texts, error) {
    request('POST', '/api/incidents', { intent: intent, texts: texts }).then(function (data) {
      incidents[intent] = data.incident;
      editing = null;
      render();
    }, function (e) { error.textContent = fmt(T().failed, { m: e.message }); });
  }

  function liftNotice(intent) {
    request('DELETE', '/api/incidents/' + encodeURIComponent(intent)).then(function () {
      delete incidents[intent];
      render();
    }, function (e) { announce(fmt(T().failed, { m: e.message })); });
  }

  function announce(text) {
    var region = $('announce');
    if (region) region.textContent = text;
  }

  // ---------------------------------------------------------------- frames
  var HANDLERS = {
    'agent.ready': function (f) { agent = f.agent || agent; render(); },
    'alerts.snapshot': function (f) {
      alerts = {}; incidents = {};
      (f.alerts || []).forEach(function (a) { alerts[a.id] = a; });
      (f.incidents || []).forEach(function (i) { incidents[i.intent] = i; });
      render();
    },
    'alert.raised': function (f) { alerts[f.alert.id] = f.alert; render(); },
    'alert.cleared': function (f) {
      if (!alerts[f.alert.id]) return;
      delete alerts[f.alert.id];
      render();
      announce(fmt(T().back, { what: what(f.alert) }));
    },
    'incident.posted': function (f) { incidents[f.incident.intent] = f.incident; render(); },
    'incident.lifted': function (f) {
      var standing = incidents[f.incident.intent];
      if (standing && standing.id === f.incident.id) { delete incidents[f.incident.intent]; render(); }
    }
  };

  window.helplineAlerts = {
    frame: function (f) { if (HANDLERS[f.type]) HANDLERS[f.type](f); },
    setLang: function (code) { lang = STRINGS[code] ? code : 'en'; render(); },
    clear: function () { agent = null; alerts = {}; incidents = {}; editing = null; render(); }
  };
})();
