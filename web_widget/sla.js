/* Helpline console: the Tickets panel. Each ticket's SLA due time, amber once its warning
   time has passed and red once due, recoloured every second from the server's times; SLA
   breach alerts; supervisors change status, priority, tags and assignee (PATCH
   /api/tickets/{id}). Its own strings and state: console.js only tells it when the agent
   is signed in (helpline:ready) and when a breach frame arrives (helpline:sla). */
(function () {
  'use strict';

  var STRINGS = {
    ko: {
      tickets: '티켓', ticketsEmpty: '열린 티켓이 없어요.', ticket: '티켓 {id}', team: '팀: {t}',
      ok: '여유', warning: '기한 임박', breached: '기한 초과', met: '기한 내 처리', paused: '고객 답변 대기 중',
      first_response: '첫 응답', next_response: '다음 응답', resolution: '해결',
      dueIn: '{what} 기한 {at} ({left} 남음)', overdue: '{what} 기한 {at} ({late} 지남)',
      mins: '{m}분', secs: '{s}초', hours: '{h}시간 {m}분',
      edit: '변경', editOf: '티켓 {id} 변경', save: '저장', cancel: '취소', saved: '티켓을 변경했어요.',
      status: '상태', priority: '우선순위', tags: '태그 (쉼표로 구분)', assignee: '담당 상담원 (ID)',
      status_open: '열림', status_pending: '고객 대기', status_solved: '해결됨',
      priority_low: '낮음', priority_normal: '보통', priority_high: '높음', priority_urgent: '긴급',
      alert: 'SLA 기한 초과: {team} 팀 티켓 {id}의 {what}', failed: '변경하지 못했어요: {m}',
    },
    en: {
      tickets: 'Tickets', ticketsEmpty: 'No open tickets.', ticket: 'Ticket {id}', team: 'Team: {t}',
      ok: 'On time', warning: 'Due soon', breached: 'Overdue', met: 'Met', paused: 'Waiting on the customer',
      first_response: 'First response', next_response: 'Next response', resolution: 'Resolution',
      dueIn: '{what} due {at} (in {left})', overdue: '{what} was due {at} ({late} ago)',
      mins: '{m} min', secs: '{s} s', hours: '{h} h {m} min',
      edit: 'Change', editOf: 'Change ticket {id}', save: 'Save', cancel: 'Cancel', saved: 'Ticket changed.',
      status: 'Status', priority: 'Priority', tags: 'Tags (comma separated)', assignee: 'Assignee (agent id)',
      status_open: 'Open', status_pending: 'Pending', status_solved: 'Solved',
      priority_low: 'Low', priority_normal: 'Normal', priority_high: 'High', priority_urgent: 'Urgent',
      alert: 'SLA breached: {what} of ticket {id} ({team})', failed: 'Not changed: {m}',
    },
  };
  var STATUSES = ['open', 'pending', 'solved'];
  var PRIORITIES = ['low', 'normal', 'high', 'urgent'];
  var REFRESH_MS = 15000; // the list is read again this often; colours move every second
  var SOON_MS = 1000; // a queue change reads the list once within this time, however many came

  var common = helplineCommon;
  var el = common.elementMaker('');
  var fmt = common.fmt;
  var $ = function (id) { return document.getElementById(id); };
  var S = { agent: null, tickets: [], offset: 0, editing: null, timer: null, refresher: null, soon: null };

  function T() { return STRINGS[document.documentElement.lang] || STRINGS.en; }

  function serverNow() { return Date.now() / 1000 + S.offset; }

  function span(seconds) {
    var s = Math.max(0, Math.round(seconds));
    if (s < 60) return fmt(T().secs, { s: s });
    if (s < 3600) return fmt(T().mins, { m: Math.round(s / 60) });
    return fmt(T().hours, { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
  }

  // The state now, from the server's due and warning times: no reload needed to turn red.
  function stateOf(sla, now) {
    if (sla.due_at == null) return sla.state;
    if (now >= sla.due_at) return 'breached';
    if (sla.warn_at != null && now >= sla.warn_at) return sla.state === 'breached' ? 'breached' : 'warning';
    return sla.state === 'breached' ? 'breached' : 'ok';
  }

  function dueText(sla, now) {
    var t = T();
    var timer = (sla.timers || []).filter(function (x) { return x.due_at === sla.due_at; })[0];
    if (!timer) return sla.state ? t[sla.state === 'ok' || sla.state === 'warning' ? 'paused' : sla.state] : '';
    var at = new Date(sla.due_at * 1000).toLocaleTimeString(document.documentElement.lang, { hour: '2-digit', minute: '2-digit' });
    var what = t[timer.target] || timer.target;
    if (now >= sla.due_at) return fmt(t.overdue, { what: what, at: at, late: span(now - sla.due_at) });
    return fmt(t.dueIn, { what: what, at: at, left: span(sla.due_at - now) });
  }

  function render() {
    var list = $('tickets');
    if (!list) return;
    var t = T();
    document.querySelectorAll('[data-sla-t]').forEach(function (n) { n.textContent = t[n.dataset.slaT]; });
    // the card being changed is kept as it is: a refresh must not undo what is being typed
    var editing = S.editing && list.querySelector('.ticket[data-ticket="' + S.editing + '"]');
    list.replaceChildren();
    S.tickets.forEach(function (ticket) {
      list.appendChild(editing && ticket.id === S.editing ? editing : card(ticket));
    });
    $('tickets-count').textContent = String(S.tickets.length);
    $('tickets-empty').hidden = S.tickets.length > 0;
    recolour();
  }

  function card(ticket) {
    var t = T();
    var short = ticket.id.slice(-6);
    var li = el('li', 'ticket');
    li.dataset.ticket = ticket.id;
    var head = el('div', 'ticket-head');
    head.appendChild(el('span', 'name', fmt(t.ticket, { id: short })));
    head.appendChild(el('span', 'badge', t['status_' + ticket.status] || ticket.status));
    head.appendChild(el('span', 'badge', t['priority_' + ticket.priority] || ticket.priority));
    li.appendChild(head);
    var meta = el('div', 'meta', fmt(t.team, { t: ticket.team }));
    if (ticket.tags && ticket.tags.length) meta.appendChild(el('span', null, ' · ' + ticket.tags.join(', ')));
    li.appendChild(meta);
    var due = el('p', 'sla-due');
    due.appendChild(el('span', 'sla-state'));
    due.appendChild(el('span', 'sla-when'));
    li.appendChild(due);
    if (S.agent && S.agent.role === 'supervisor') li.appendChild(editor(ticket, short));
    return li;
  }

  function editor(ticket, short) {
    var t = T();
    var wrap = el('div', 'ticket-edit');
    var open = el('button', null, t.edit);
    open.type = 'button';
    open.setAttribute('aria-label', fmt(t.editOf, { id: short }));
    var form = el('form', 'drawer');
    form.id = 'edit-' + ticket.id;
    form.hidden = S.editing !== ticket.id;
    open.setAttribute('aria-expanded', String(!form.hidden));
    open.setAttribute('aria-controls', form.id);
    open.addEventListener('click', function () {
      S.editing = S.editing === ticket.id ? null : ticket.id;
      form.hidden = S.editing !== ticket.id;
      open.setAttribute('aria-expanded', String(!form.hidden));
      if (!form.hidden) form.querySelector('select').focus();
    });
    form.appendChild(choice('status', STATUSES, ticket.status, ticket.id));
    form.appendChild(choice('priority', PRIORITIES, ticket.priority, ticket.id));
    form.appendChild(field('tags', (ticket.tags || []).join(', '), ticket.id));
    form.appendChild(field('assignee', ticket.assignee || '', ticket.id));
    var error = el('p', 'error');
    error.setAttribute('role', 'alert');
    form.appendChild(error);
    var save = el('button', 'primary', t.save);
    save.type = 'submit';
    form.appendChild(save);
    form.addEventListener('submit', function (ev) { ev.preventDefault(); submit(ticket, form, error); });
    wrap.appendChild(open);
    wrap.appendChild(form);
    return wrap;
  }

  function choice(name, values, current, id) {
    var t = T();
    var label = el('label', null, t[name]);
    var select = el('select');
    select.name = name;
    select.id = name + '-' + id;
    label.htmlFor = select.id;
    values.forEach(function (v) {
      var option = el('option', null, t[name + '_' + v] || v);
      option.value = v;
      option.selected = v === current;
      select.appendChild(option);
    });
    var box = el('div', 'field');
    box.appendChild(label);
    box.appendChild(select);
    return box;
  }

  function field(name, value, id) {
    var label = el('label', null, T()[name]);
    var input = el('input');
    input.name = name;
    input.id = name + '-' + id;
    input.value = value;
    input.autocomplete = 'off';
    label.htmlFor = input.id;
    var box = el('div', 'field');
    box.appendChild(label);
    box.appendChild(input);
    return box;
  }

  function submit(ticket, form, error) {
    var body = {
      status: form.elements.status.value,
      priority: form.elements.priority.value,
      tags: form.elements.tags.value.split(',').map(function (s) { return s.trim(); }).filter(Boolean),
    };
    var assignee = form.elements.assignee.value.trim();
    if (assignee && assignee !== (ticket.assignee || '')) body.assignee = assignee;
    fetch('/api/tickets/' + encodeURIComponent(ticket.id), {
      method: 'PATCH', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    }).then(function (res) {
      return res.json().then(function (answer) {
        if (!res.ok) { error.textContent = fmt(T().failed, { m: answer.message || res.status }); return; }
        S.editing = null;
        say(T().saved);
        load();
      });
    }, function () { error.textContent = fmt(T().failed, { m: '' }); });
  }

  // Colour and words together: the state is said, never shown by colour alone.
  function recolour() {
    var now = serverNow();
    S.tickets.forEach(function (ticket) {
      var li = document.querySelector('.ticket[data-ticket="' + ticket.id + '"]');
      if (!li) return;
      var state = stateOf(ticket.sla, now);
      var due = li.querySelector('.sla-due');
      due.className = 'sla-due' + (state ? ' sla-' + state : '');
      due.dataset.state = state || 'none';
      due.querySelector('.sla-state').textContent = state ? T()[state] + ' · ' : '';
      due.querySelector('.sla-when').textContent = dueText(ticket.sla, now);
    });
  }

  function load() {
    return fetch('/api/tickets', { credentials: 'same-origin' }).then(function (res) {
      if (res.status === 401) { stop(); return null; }
      return res.ok ? res.json() : null;
    }).then(function (body) {
      if (!body) return;
      S.offset = body.now - Date.now() / 1000;
      S.tickets = body.tickets || [];
      render();
      $('tickets-panel').dataset.loaded = 'true';
    }, function () { /* the next refresh tries again */ });
  }

  function say(text) {
    var region = $('sla-announce');
    region.textContent = '';
    setTimeout(function () { region.textContent = text; }, 50);
  }

  function onBreach(frame) {
    var t = T();
    var alert = $('sla-alert');
    alert.textContent = fmt(t.alert, { what: t[frame.target] || frame.target, id: String(frame.ticket).slice(-6), team: frame.team });
    alert.hidden = false;
    load();
  }

  function start(agent) {
    S.agent = agent;
    $('tickets-panel').hidden = false;
    load();
    if (!S.timer) S.timer = setInterval(recolour, 1000);
    if (!S.refresher) S.refresher = setInterval(load, REFRESH_MS);
  }

  function stop() {
    S.agent = null;
    clearInterval(S.timer);
    clearInterval(S.refresher);
    S.timer = S.refresher = null;
    var panel = $('tickets-panel');
    if (panel) panel.hidden = true;
  }

  document.addEventListener('helpline:ready', function (ev) { start(ev.detail); });
  document.addEventListener('helpline:sla', function (ev) { onBreach(ev.detail); });
  document.addEventListener('helpline:queue', function () {
    if (!S.agent || S.soon) return;
    S.soon = setTimeout(function () { S.soon = null; load(); }, SOON_MS);
  });
  document.addEventListener('helpline:signed-out', stop);
  document.addEventListener('DOMContentLoaded', function () {
    $('lang').addEventListener('change', function () { setTimeout(render, 0); });
  });
}());
