/* Helpline console, Conversations page: every conversation with filters and full-text
   search (GET /api/conversations), each one's transcript read-only. The filters live in
   the URL, so a view can be shared by its address. No dependencies but common.js and
   page.js. */
(function () {
  'use strict';

  var STRINGS = {
    ko: {
      title: '대화 목록', skip: '결과로 건너뛰기', pages: '콘솔 화면', deskLink: '실시간 상담',
      customersLink: '고객 목록', profileLink: '고객 프로필 열기',
      conversationsLink: '대화 목록', language: '언어',
      signedOut: '먼저 상담 콘솔에서 로그인하세요.', signInLink: '콘솔로 가기',
      filters: '대화 필터', query: '메시지, 메모, 태그, 고객 검색', status: '상태', any: '전체',
      status_open: '챗봇 응대 중', status_queued: '대기 중', status_with_agent: '상담원 응대 중',
      status_closed: '종료됨', team: '팀', agent: '상담원 ID', intent: '의도',
      convLanguage: '고객 언어', csat: '만족도', csatLow: '1–2 (불만족)', csatMid: '3',
      csatHigh: '4–5 (만족)', tag: '태그', ticketStatus: '티켓', ticket_open: '열림',
      ticket_pending: '보류 (고객 답변 대기)', ticket_unsolved: '열림 또는 보류', ticket_solved: '해결됨',
      sla: 'SLA', sla_breached: '기한 초과', sla_warning: '기한 임박', sla_either: '기한 임박 또는 초과',
      since: '시작일부터', until: '시작일까지', search: '검색',
      clear: '초기화', results: '검색 결과', more: '더 보기', pick: '읽을 대화를 고르세요.',
      transcript: '대화 내용', none: '조건에 맞는 대화가 없어요.', count: '대화 {n}개', countOne: '대화 1개',
      countMore: '대화 {n}개 (더 있음)', loading: '불러오는 중…',
      bounded: '1–2글자 검색어는 최근 대화 {n}개에서만 찾아요. 3글자 이상이면 전체에서 찾아요.',
      failed: '불러오지 못했어요: {m}', forbidden: '내 팀의 대화만 볼 수 있어요.',
      badFilter: '검색 조건을 확인하세요 ({m})', notFound: '없는 대화예요.', customer: '고객', anonymous: '익명 고객 #{id}',
      started: '시작', lang: '언어', tickets: '티켓', rating: '만족도 {n}/5', noMessages: '메시지 없음',
      customerSays: '고객', bot: '챗봇', agentSays: '상담원', system: '안내', note: '내부 메모',
      noteBy: '내부 메모 · {name}', ticket: '{team} · {status}{tags}', opened: '{name} 대화를 열었어요'
    },
    en: {
      title: 'Conversations', skip: 'Skip to the results', pages: 'Console pages', deskLink: 'Live desk',
      customersLink: 'Customers', profileLink: "Open the customer's profile",
      conversationsLink: 'Conversations', language: 'Language',
      signedOut: 'Sign in on the console first.', signInLink: 'Go to the console',
      filters: 'Filter conversations', query: 'Search messages, notes, tags, customers',
      status: 'Status', any: 'Any', status_open: 'With the bot', status_queued: 'Queued',
      status_with_agent: 'With an agent', status_closed: 'Closed', team: 'Team', agent: 'Agent id',
      intent: 'Intent', convLanguage: "Customer's language", csat: 'Rating',
      csatLow: '1–2 (unhappy)', csatMid: '3', csatHigh: '4–5 (happy)', tag: 'Tag',
      ticketStatus: 'Ticket', ticket_open: 'Open', ticket_pending: 'Pending (waiting on the customer)',
      ticket_unsolved: 'Open or pending', ticket_solved: 'Solved', sla: 'SLA',
      sla_breached: 'Breaching', sla_warning: 'Due soon', sla_either: 'Due soon or breaching',
      since: 'Started from',
      until: 'Started until', search: 'Search', clear: 'Clear', results: 'Results', more: 'Show more',
      pick: 'Pick a conversation to read it.', transcript: 'Transcript',
      none: 'No conversation matches.', count: '{n} conversations', countOne: '1 conversation', countMore: '{n} conversations (more below)',
      loading: 'Loading…',
      bounded: 'Terms of 1–2 letters search the newest {n} conversations only; 3 or more letters search them all.',
      failed: 'Could not load: {m}', forbidden: "Only your teams' conversations can be shown.",
      badFilter: 'Check the filters ({m})', notFound: 'No such conversation.', customer: 'Customer', anonymous: 'Anonymous #{id}',
      started: 'Started', lang: 'Language', tickets: 'Tickets', rating: 'Rated {n}/5',
      noMessages: 'No messages', customerSays: 'Customer', bot: 'Bot', agentSays: 'Agent',
      system: 'Notice', note: 'Internal note', noteBy: 'Internal note · {name}',
      ticket: '{team} · {status}{tags}', opened: 'Opened the conversation with {name}'
    }
  };
  var FILTERS = ['q', 'status', 'team', 'agent', 'intent', 'language', 'csat', 'tag', 'ticket', 'sla',
    'since', 'until'];
  var SENDER = { customer: 'customerSays', bot: 'bot', agent: 'agentSays', system: 'system' };
  var page = helplinePage;
  var fmt = helplineCommon.fmt;
  var el = helplineCommon.elementMaker('');
  var markdown = helplineCommon.markdown(el);
  var showFile = helplineCommon.showFile(el); // a message's image or file, read with the session
  var $ = function (id) { return document.getElementById(id); };
  var lang = page.pickLang(STRINGS);
  var T = STRINGS[lang];
  var S = { open: null, loaded: null };
  var list = page.pagedList('/api/conversations', 'conversations', listed, showError);

  function applyLang() {
    page.showTexts(T, lang, ' · Helpline');
    renderCards();
    if (S.loaded) renderReader(S.loaded);
  }

  // ------------------------------------------------------------ who a card is
  // An anonymous customer's short id and colour come from the conversation id, so the
  // same conversation looks the same on every screen and every visit.
  function shortId(id) { return String(id).replace(/^c_/, '').slice(0, 6); }

  function displayName(c) {
    if (c.customer && c.customer.name) return c.customer.name;
    if (c.customer && c.customer.id) return c.customer.id;
    return fmt(T.anonymous, { id: shortId(c.id) });
  }

  function when(seconds) { return page.when(seconds, lang); }

  function statusText(status) { return T['status_' + status] || status; }

  // ------------------------------------------------------------ the URL is the view
  function filtersFromUrl() {
    var params = new URLSearchParams(location.search);
    FILTERS.forEach(function (name) { $('f-' + name).value = params.get(name) || ''; });
    return params;
  }

  function viewParams() {
    var params = new URLSearchParams();
    FILTERS.forEach(function (name) {
      var value = $('f-' + name).value.trim();
      if (value) params.set(name, value);
    });
    return params;
  }

  function pushUrl(params) {
    var query = params.toString();
    history.pushState(null, '', location.pathname + (query ? '?' + query : ''));
  }

  // ------------------------------------------------------------ the list
  function load(more) {
    $('error').textContent = '';
    if (!more) $('status-line').textContent = T.loading;
    return list.load(viewParams(), more);
  }

  function listed() {
    renderCards();
    page.announce($('status-line').textContent);
  }

  function renderCards() {
    page.fill($('cards'), list.items, card);
    var line = page.countLine(T, list.items.length, list.next);
    var bounded = list.page && list.page.bounded ? list.page.bounded_to : null;
    if (bounded) line += ' ' + fmt(T.bounded, { n: bounded.toLocaleString(lang) });
    $('status-line').textContent = line;
    $('more').hidden = !list.next;
  }

  function card(c) {
    var button = page.entryButton(c.id, displayName(c), S.open === c.id);
    button.appendChild(el('span', 'waited', when(c.started_at)));
    var last = c.last_message;
    var preview = last ? T[SENDER[last.sender]] + ': ' + last.text : T.noMessages;
    button.appendChild(el('span', 'preview', preview));
    var meta = el('span', 'meta');
    meta.appendChild(el('span', 'badge status-' + c.status, statusText(c.status)));
    if (c.language) meta.appendChild(el('span', 'badge', c.language));
    if (c.team) meta.appendChild(el('span', 'badge', c.team));
    if (c.csat) meta.appendChild(el('span', 'badge', fmt(T.rating, { n: c.csat })));
    button.appendChild(meta);
    button.addEventListener('click', function () { openConversation(c.id, true); });
    var item = el('li');
    item.appendChild(button);
    return item;
  }

  // ------------------------------------------------------------ one conversation
  function openConversation(id, byHand) {
    S.open = id;
    page.markCurrent('cards', id);
    if (byHand) {
      var params = new URLSearchParams(location.search);
      params.set('open', id);
      pushUrl(params);
    }
    return page.json('GET', '/api/conversations/' + encodeURIComponent(id)).then(function (found) {
      if (S.open !== id) return;  // another card was chosen meanwhile
      S.loaded = found;
      renderReader(found);
      if (byHand) { $('reader-title').focus(); page.announce(fmt(T.opened, { name: displayName(found) })); }
    }, showError);
  }

  function renderReader(c) {
    $('reader-none').hidden = true;
    $('reader-body').hidden = false;
    $('reader-title').textContent = displayName(c);
    // a verified customer's profile: every conversation of theirs, attributes, notes
    $('reader-profile').hidden = !c.customer.id;
    if (c.customer.id) $('reader-profile').href = '/console/customers?open=' + encodeURIComponent(c.customer.id);
    var meta = $('reader-meta');
    meta.textContent = '';
    var tickets = c.tickets.map(function (t) {
      var tags = t.tags.length ? ' · ' + t.tags.join(', ') : '';
      return fmt(T.ticket, { team: t.team, status: t.status, tags: tags }) + (t.csat ? ' · ' + fmt(T.rating, { n: t.csat }) : '');
    });
    [[T.status, statusText(c.status)], [T.started, when(c.started_at)], [T.lang, c.language || '–'],
     [T.tickets, tickets.join(' / ') || '–']].forEach(function (pair) {
      meta.appendChild(el('dt', null, pair[0]));
      meta.appendChild(el('dd', null, pair[1]));
    });
    var log = $('reader-log');
    log.textContent = '';
    timeline(c).forEach(function (item) { log.appendChild(item); });
  }

  // messages and notes in the order they were written
  function timeline(c) {
    var items = c.messages.map(function (m) { return { at: m.at, node: messageNode(m) }; });
    c.notes.forEach(function (n) { items.push({ at: n.at, node: noteNode(n) }); });
    items.sort(function (a, b) { return a.at - b.at; });
    return items.map(function (i) { return i.node; });
  }

  function messageNode(m) {
    var item = el('li', 'msg ' + m.sender);
    item.appendChild(el('span', 'from', T[SENDER[m.sender]] + ' · ' + when(m.at)));
    var bubble = item.appendChild(el('div', 'bubble'));
    bubble.appendChild(markdown(m.text || '', lang));
    if (m.attachment) bubble.appendChild(showFile(m.attachment, '/api/attachments/' + encodeURIComponent(m.attachment.id), lang));
    return item;
  }

  function noteNode(n) {
    var item = el('li', 'msg note');
    item.appendChild(el('span', 'from', fmt(T.noteBy, { name: n.name }) + ' · ' + when(n.at)));
    item.appendChild(el('div', 'bubble', n.text));
    return item;
  }

  // ------------------------------------------------------------ plumbing
  function showError(err) {
    if (err.status === 401) return;  // the signed-out view is shown
    // the server's own words name a bad parameter; the rest is said in the page's language
    var code = err && err.code;
    var text = code === 'forbidden' ? T.forbidden : code === 'not_found' ? T.notFound
      : code === 'bad_request' ? fmt(T.badFilter, { m: err.message }) : fmt(T.failed, { m: err && err.message });
    $('error').textContent = text;
    $('status-line').textContent = '';
  }

  function fromUrl() {
    var params = filtersFromUrl();
    load(false);
    var open = params.get('open');
    if (open) openConversation(open, false);
  }

  function wire() {
    page.onLanguage(STRINGS, function (code) { lang = code; T = STRINGS[code]; applyLang(); });
    $('filters').addEventListener('submit', function (ev) {
      ev.preventDefault();
      pushUrl(viewParams());
      load(false).then(function () { $('results-title').focus(); });
    });
    $('clear').addEventListener('click', function () {
      FILTERS.forEach(function (name) { $('f-' + name).value = ''; });
      pushUrl(viewParams());
      load(false);
    });
    $('more').addEventListener('click', function () { load(true); });
    window.addEventListener('popstate', fromUrl);
  }

  function boot() {
    wire();
    applyLang();
    page.signIn({ main: 'browse', signedOut: 'signed-out' }).then(function (agent) {
      if (agent) fromUrl();
    });
  }

  boot();
})();
