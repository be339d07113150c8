/* Helpline console, Customers page: the verified customers an agent may see
   (GET /api/customers), each one's profile (GET /api/customers/{id}: identity, the
   attributes the host site signed, conversations, tickets, ratings, notes) and notes
   about them (POST /api/customers/{id}/notes). The search and the open profile live in
   the URL, so the live desk links straight to a profile. No dependencies but common.js. */
(function () {
  'use strict';

  var STRINGS = {
    ko: {
      title: '고객 목록', skip: '고객 목록으로 건너뛰기', pages: '콘솔 화면', deskLink: '실시간 상담',
      conversationsLink: '대화 목록', customersLink: '고객 목록', language: '언어',
      signedOut: '먼저 상담 콘솔에서 로그인하세요.', signInLink: '콘솔로 가기',
      filters: '고객 찾기', query: '이름, 이메일 또는 ID', search: '검색', results: '고객',
      more: '더 보기', pick: '프로필을 볼 고객을 고르세요.', attributes: '사이트가 알려준 정보',
      attributesEmpty: '받은 정보가 없어요.', conversations: '대화', tickets: '티켓',
      ticketsEmpty: '티켓이 없어요.', notes: '고객 메모', notesEmpty: '아직 메모가 없어요.',
      noteLabel: '메모 추가 (상담원만 봐요)', addNote: '메모 추가', noteAdded: '메모를 추가했어요',
      none: '조건에 맞는 고객이 없어요.', count: '고객 {n}명', countOne: '고객 1명', countMore: '고객 {n}명 (더 있음)',
      loading: '불러오는 중…', failed: '불러오지 못했어요: {m}',
      forbidden: '내 팀의 대화가 있는 고객만 볼 수 있어요.', notFound: '없는 고객이에요.',
      badRequest: '요청을 확인하세요 ({m})', name: '이름', email: '이메일', id: 'ID',
      firstSeen: '처음 방문', lastSeen: '최근 방문', conversationCount: '대화 수',
      averageCsat: '평균 만족도', rating: '만족도 {n}/5', seen: '최근 방문 {t}',
      summary: '대화 {n}개', opened: '{name} 고객 프로필을 열었어요', openConversation: '대화 열기',
      status_open: '챗봇 응대 중', status_queued: '대기 중', status_with_agent: '상담원 응대 중',
      status_closed: '종료됨', ticket: '{team} · {status}', noteBy: '{name} · {t}'
    },
    en: {
      title: 'Customers', skip: 'Skip to the customers', pages: 'Console pages', deskLink: 'Live desk',
      conversationsLink: 'Conversations', customersLink: 'Customers', language: 'Language',
      signedOut: 'Sign in on the console first.', signInLink: 'Go to the console',
      filters: 'Find customers', query: 'Name, email or id', search: 'Search', results: 'Customers',
      more: 'Show more', pick: 'Pick a customer to see their profile.', attributes: 'From the site',
      attributesEmpty: 'Nothing passed.', conversations: 'Conversations', tickets: 'Tickets',
      ticketsEmpty: 'No tickets.', notes: 'Notes about the customer', notesEmpty: 'No notes yet.',
      noteLabel: 'Add a note (agents only)', addNote: 'Add note', noteAdded: 'Note added',
      none: 'No customer matches.', count: '{n} customers', countOne: '1 customer', countMore: '{n} customers (more below)',
      loading: 'Loading…', failed: 'Could not load: {m}',
      forbidden: "Only customers with a conversation of your teams can be shown.",
      notFound: 'No such customer.', badRequest: 'Check the request ({m})', name: 'Name',
      email: 'Email', id: 'Id', firstSeen: 'First seen', lastSeen: 'Last seen',
      conversationCount: 'Conversations', averageCsat: 'Average rating', rating: 'Rated {n}/5',
      seen: 'Last seen {t}', summary: '{n} conversations',
      opened: "Opened {name}'s profile", openConversation: 'Open the conversation',
      status_open: 'With the bot', status_queued: 'Queued', status_with_agent: 'With an agent',
      status_closed: 'Closed', ticket: '{team} · {status}', noteBy: '{name} · {t}'
    }
  };
  var LANG_KEY = 'helpline-console:lang';  // the console's own choice, shared
  var fmt = helplineCommon.fmt;
  var el = helplineCommon.elementMaker('');
  var $ = function (id) { return document.getElementById(id); };
  var lang = pickLang();
  var T = STRINGS[lang];
  var S = { customers: [], next: null, open: null, loaded: null };

  function pickLang() {
    var saved = null;
    try { saved = localStorage.getItem(LANG_KEY); } catch (e) { /* storage off */ }
    var wanted = [saved].concat(navigator.languages || [navigator.language]);
    for (var i = 0; i < wanted.length; i++) {
      var code = String(wanted[i] || '').slice(0, 2).toLowerCase();
      if (STRINGS[code]) return code;
    }
    return 'en';
  }

  function applyLang() {
    document.documentElement.lang = lang;
    document.title = T.title + ' · Helpline';
    $('lang').value = lang;
    document.querySelectorAll('[data-t]').forEach(function (n) { n.textContent = T[n.dataset.t]; });
    document.querySelectorAll('[data-tl]').forEach(function (n) { n.setAttribute('aria-label', T[n.dataset.tl]); });
    renderList();
    if (S.loaded) renderProfile(S.loaded);
  }

  function announce(text) {
    var region = $('announce');
    region.textContent = '';
    setTimeout(function () { region.textContent = text; }, 50);
  }

  function when(seconds) {
    var options = { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' };
    return new Intl.DateTimeFormat(lang, options).format(new Date(seconds * 1000));
  }

  // the same colour for a customer on every screen, from their id (common.js)
  function hue(id) { return helplineCommon.customerMark(id).hue; }

  function displayName(c) { return c.name || c.id; }

  // ------------------------------------------------------------ the list
  // Only the latest request's answer is shown (a search typed while the first list loads).
  var latest = 0;

  function load(more) {
    var params = new URLSearchParams();
    var q = $('f-q').value.trim();
    if (q) params.set('q', q);
    if (more && S.next) params.set('cursor', S.next);
    $('error').textContent = '';
    if (!more) $('status-line').textContent = T.loading;
    var asked = ++latest;
    return getJson('/api/customers?' + params.toString()).then(function (page) {
      if (asked !== latest) return;
      S.customers = more ? S.customers.concat(page.customers) : page.customers;
      S.next = page.next_cursor;
      renderList();
      announce($('status-line').textContent);
    }, function (err) { if (asked === latest) showError(err); });
  }

  function renderList() {
    var list = $('cards');
    list.textContent = '';
    S.customers.forEach(function (c) { list.appendChild(entry(c)); });
    var n = S.customers.length;
    $('status-line').textContent = !n ? T.none : S.next ? fmt(T.countMore, { n: n })
      : n === 1 ? T.countOne : fmt(T.count, { n: n });
    $('more').hidden = !S.next;
  }

  function entry(c) {
    var button = el('button', 'entry');
    button.type = 'button';
    button.dataset.id = c.id;
    button.setAttribute('aria-current', String(S.open === c.id));
    var head = el('span', 'name');
    var dot = head.appendChild(el('span', 'avatar'));
    dot.style.background = 'hsl(' + hue(c.id) + ', 65%, 42%)';
    dot.setAttribute('aria-hidden', 'true');
    head.appendChild(document.createTextNode(displayName(c)));
    button.appendChild(head);
    button.appendChild(el('span', 'seen', fmt(T.seen, { t: when(c.last_seen_at) })));
    button.appendChild(el('span', 'preview', [c.email, c.id].filter(Boolean).join(' · ')));
    var meta = el('span', 'meta');
    meta.appendChild(el('span', 'badge', fmt(T.summary, { n: c.conversations })));
    if (c.average_csat != null) meta.appendChild(el('span', 'badge', fmt(T.rating, { n: c.average_csat })));
    button.appendChild(meta);
    button.addEventListener('click', function () { openProfile(c.id, true); });
    var item = el('li');
    item.appendChild(button);
    return item;
  }

  // ------------------------------------------------------------ one profile
  function openProfile(id, byHand) {
    S.open = id;
    document.querySelectorAll('#cards .entry').forEach(function (b) {
      b.setAttribute('aria-current', String(b.dataset.id === id));
    });
    if (byHand) pushUrl();
    return getJson('/api/customers/' + encodeURIComponent(id)).then(function (found) {
      if (S.open !== id) return;  // another customer was chosen meanwhile
      S.loaded = found;
      renderProfile(found);
      $('profile-title').focus();
      announce(fmt(T.opened, { name: displayName(found) }));
    }, showError);
  }

  function pairs(dl, rows) {
    dl.textContent = '';
    rows.forEach(function (row) {
      if (row[1] == null || row[1] === '') return;
      dl.appendChild(el('dt', null, row[0]));
      dl.appendChild(el('dd', null, String(row[1])));
    });
  }

  function renderProfile(c) {
    $('reader-none').hidden = true;
    $('reader-body').hidden = false;
    $('profile-title').textContent = displayName(c);
    pairs($('profile-identity'), [
      [T.name, c.name], [T.email, c.email], [T.id, c.id], [T.firstSeen, when(c.first_seen_at)],
      [T.lastSeen, when(c.last_seen_at)], [T.conversationCount, c.conversations],
      [T.averageCsat, c.average_csat == null ? null : fmt(T.rating, { n: c.average_csat })]
    ]);
    var keys = Object.keys(c.attributes || {});
    pairs($('profile-attributes'), keys.map(function (k) { return [k, c.attributes[k] === null ? '–' : c.attributes[k]]; }));
    $('attributes-empty').hidden = keys.length > 0;
    fill($('profile-conversations'), c.conversations_listed, conversationItem);
    fill($('profile-tickets'), c.tickets, ticketItem);
    $('tickets-empty').hidden = c.tickets.length > 0;
    fill($('profile-notes'), c.notes, noteItem);
    $('notes-empty').hidden = c.notes.length > 0;
  }

  function fill(list, items, make) {
    list.textContent = '';
    items.forEach(function (item) { list.appendChild(make(item)); });
  }

  function conversationItem(v) {
    var li = el('li');
    var link = li.appendChild(el('a', null, when(v.started_at) + ' · ' + (T['status_' + v.status] || v.status)));
    link.href = '/console/conversations?open=' + encodeURIComponent(v.id);
    link.setAttribute('aria-label', T.openConversation + ': ' + link.textContent);
    if (v.team) li.append(' ', el('span', 'badge', v.team));
    return li;
  }

  function ticketItem(t) {
    var li = el('li', null, fmt(T.ticket, { team: t.team, status: t.status }) + ' · ' + when(t.opened_at));
    (t.tags || []).forEach(function (tag) { li.appendChild(el('span', 'badge', '#' + tag)); });
    if (t.csat != null) li.appendChild(el('span', 'badge', fmt(T.rating, { n: t.csat })));
    if (t.csat_comment) li.appendChild(el('div', 'comment', '“' + t.csat_comment + '”'));
    return li;
  }

  function noteItem(n) {
    var li = el('li', 'note');
    li.appendChild(el('div', 'from', fmt(T.noteBy, { name: n.name, t: when(n.at) })));
    li.appendChild(el('div', null, n.text));
    return li;
  }

  function addNote(ev) {
    ev.preventDefault();
    var id = S.open;
    var text = $('note-text').value.trim();
    if (!id || !text) return;
    sendJson('/api/customers/' + encodeURIComponent(id) + '/notes', { text: text }).then(function (answer) {
      $('note-text').value = '';
      if (S.loaded && S.loaded.id === id) {
        S.loaded.notes.push(answer.note);
        renderProfile(S.loaded);
      }
      announce(T.noteAdded);
    }, showError);
  }

  // ------------------------------------------------------------ plumbing
  function pushUrl() {
    var params = new URLSearchParams();
    var q = $('f-q').value.trim();
    if (q) params.set('q', q);
    if (S.open) params.set('open', S.open);
    var query = params.toString();
    history.pushState(null, '', location.pathname + (query ? '?' + query : ''));
  }

  function answered(res) {
    if (res.status === 401) { signedOut(); throw new Error('401'); }
    return res.json().catch(function () { return {}; }).then(function (body) {
      if (!res.ok) { var err = new Error(body.message || String(res.status)); err.code = body.error; throw err; }
      return body;
    });
  }

  function getJson(path) { return fetch(path, { credentials: 'same-origin' }).then(answered); }

  function sendJson(path, body) {
    return fetch(path, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body)
    }).then(answered);
  }

  function showError(err) {
    if (err && err.message === '401') return;
    var code = err && err.code;
    // the server's own words name a bad parameter; the rest is said in the page's language
    $('error').textContent = code === 'forbidden' ? T.forbidden : code === 'not_found' ? T.notFound
      : code === 'bad_request' ? fmt(T.badRequest, { m: err.message }) : fmt(T.failed, { m: err && err.message });
    $('status-line').textContent = '';
  }

  function signedOut() {
    $('browse').hidden = true;
    $('signed-out').hidden = false;
  }

  function fromUrl() {
    var params = new URLSearchParams(location.search);
    $('f-q').value = params.get('q') || '';
    load(false);
    var open = params.get('open');
    if (open) openProfile(open, false);
  }

  function wire() {
    $('lang').addEventListener('change', function (ev) {
      lang = STRINGS[ev.target.value] ? ev.target.value : 'en';
      T = STRINGS[lang];
      try { localStorage.setItem(LANG_KEY, lang); } catch (e) { /* storage off */ }
      applyLang();
    });
    $('filters').addEventListener('submit', function (ev) {
      ev.preventDefault();
      pushUrl();
      load(false).then(function () { $('results-title').focus(); });
    });
    $('more').addEventListener('click', function () { load(true); });
    $('note-form').addEventListener('submit', addNote);
    window.addEventListener('popstate', fromUrl);
  }

  function boot() {
    wire();
    applyLang();
    fetch('/api/agent/me', { credentials: 'same-origin' }).then(function (res) {
      if (!res.ok) { signedOut(); return null; }
      return res.json().then(function (agent) {
        $('agent-name').textContent = agent.name;
        $('browse').hidden = false;
        fromUrl();
      });
    }).catch(signedOut);
  }

  boot();
})();
