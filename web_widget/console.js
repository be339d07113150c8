/* Helpline agent console: login, the live queue, conversations, composer. No dependencies. */
(function () {
  'use strict';

  // ---------------------------------------------------------------- strings
  var STRINGS = {
    ko: {
      title: 'Helpline 상담 콘솔', skip: '대화로 건너뛰기', language: '언어', presence: '상태',
      online: '상담 가능', away: '자리 비움', logout: '로그아웃',
      reports: '리포트', // the header's link to /console/reports, for supervisors
      teamLink: '팀 관리', // the header's link to /console/team, for supervisors
      inboxLink: '미응답 수신함', cannedLink: '자주 쓰는 답변 관리',
      loginTitle: '상담원 로그인', email: '이메일', password: '비밀번호', signIn: '로그인',
      badLogin: '이메일 또는 비밀번호가 맞지 않아요.', tooMany: '로그인 시도가 너무 많아요. {s}초 후에 다시 해 주세요.',
      loginFailed: '로그인하지 못했어요. 잠시 후 다시 해 주세요.',
      queue: '대기열', queueEmpty: '기다리는 고객이 없어요.', mine: '내 상담', mineEmpty: '아직 상담이 없어요.',
      pick: '대기열이나 내 상담에서 대화를 고르세요.', transfer: '이관', handBack: '챗봇에게 돌려주기', close: '종료',
      transferTo: '이관 대상', team: '팀', agentId: '상담원 (ID)', target: '팀 또는 상담원',
      transferNote: '다음 상담원에게 남길 메모 (선택)', transferDo: '이관하기',
      tags: '태그 (쉼표로 구분)', closeDo: '상담 종료하기', accept: '수락', claim: '가져오기', markUrgent: '긴급으로 표시', unmarkUrgent: '긴급 해제',
      offerLeft: '{s}초 안에 수락하세요', mode: '메시지 종류', reply: '답변', note: '내부 메모',
      noteLabel: '메모', cannedSearch: '자주 쓰는 답변 검색', cannedResults: '자주 쓰는 답변',
      cannedCount: '자주 쓰는 답변 {n}개', compose: '메시지', composeHint: '답변을 입력하세요 ("/"로 자주 쓰는 답변 검색)',
      composeNote: '내부 메모 (고객에게 보이지 않아요)', send: '보내기', addNote: '메모 남기기',
      customer: '고객', history: '이전 상담', historyEmpty: '없음', name: '이름', id: 'ID', lang: '언어',
      customerName: '고객', bot: '챗봇', agent: '상담원', system: '안내',
      waited: '대기 {t}', priority: '우선순위 {p}', urgent: '긴급', intent: '의도', score: '점수',
      decision: '판단', mood: '기분', unread: '읽지 않은 메시지 {n}개',
      secs: '{s}초', mins: '{m}분 {s}초', typing: '고객이 입력 중이에요',
      arrived: '새 고객이 기다려요: {name}', offered: '상담이 배정되었어요: {name}',
      released: '대화가 목록에서 빠졌어요 ({reason})', reconnecting: '연결이 끊겼어요. 다시 연결하는 중…',
      status_bot: '챗봇', status_queued: '대기 중', status_assigned: '상담 중', status_closed: '종료됨',
      status_offline: '부재 중', status_open: '열림', status_pending: '보류', status_solved: '해결됨',
      priority_low: '낮음', priority_normal: '보통', priority_high: '높음', priority_urgent: '긴급',
      csat: '만족도 {n}/5', ticket: '티켓 {s}', error: '요청을 처리하지 못했어요: {m}',
      conversationsLink: '대화 목록',
      customersLink: '고객 목록', profileLink: '고객 프로필 열기',
      anonymous: '익명 고객 #{id}', page: '보던 페이지', onPage: '보던 페이지: {url}', seen: '읽음',
      sentAt: '{t}에 보냄', loading: '불러오는 중…', teamsHeading: '팀', agentsHeading: '상담 가능한 상담원',
      teamOption: '{name} · 상담 가능 {online}명 · 대기 {waiting}건', agentOption: '{name} ({teams}) · 상담 {active}/{capacity}건',
      noAgents: '상담 가능한 다른 상담원이 없어요.', pickTarget: '이관할 팀이나 상담원을 고르세요.',
      shortcuts: '단축키', closeHelp: '닫기',
      shortcutsHint: '한 글자 단축키는 입력 중이 아닐 때만 동작해요. Esc를 누르면 입력창에서 나가요.',
      keyAccept: '제안된 상담 수락', keyNext: '다음 상담', keyPrev: '이전 상담', keyReply: '답변 쓰기',
      keyNote: '내부 메모 쓰기', keySend: '보내기 (입력 중에도)', keySendNote: '내부 메모로 보내기 (입력 중에도)',
      keyLeave: '입력창에서 나가기', keyHelp: '이 도움말 열기'
    },
    en: {
      title: 'Helpline console', skip: 'Skip to the conversation', language: 'Language', presence: 'Status',
      online: 'Online', away: 'Away', logout: 'Log out',
      reports: 'Reports', teamLink: 'Team',
      inboxLink: 'Unanswered inbox', cannedLink: 'Canned answers',
      loginTitle: 'Agent sign-in', email: 'Email', password: 'Password', signIn: 'Sign in',
      badLogin: 'Wrong email or password.', tooMany: 'Too many attempts. Try again in {s} s.',
      loginFailed: 'Could not sign in. Please try again shortly.',
      queue: 'Queue', queueEmpty: 'Nobody is waiting.', mine: 'My conversations', mineEmpty: 'No conversations yet.',
      pick: 'Pick a conversation from the queue or your list.', transfer: 'Transfer', handBack: 'Hand back to the bot',
      close: 'Close', transferTo: 'Transfer to', team: 'Team', agentId: 'Agent (id)', target: 'Team or agent',
      transferNote: 'Note for the next agent (optional)', transferDo: 'Transfer',
      tags: 'Tags (comma separated)', closeDo: 'Close the conversation', accept: 'Accept', claim: 'Claim', markUrgent: 'Mark urgent', unmarkUrgent: 'Not urgent',
      offerLeft: 'Accept within {s} s', mode: 'Message type', reply: 'Reply', note: 'Internal note',
      noteLabel: 'Note', cannedSearch: 'Search canned answers', cannedResults: 'Canned answers',
      cannedCount: '{n} canned answers', compose: 'Message', composeHint: 'Type a reply ("/" searches canned answers)',
      composeNote: 'Internal note (the customer never sees it)', send: 'Send', addNote: 'Add note',
      customer: 'Customer', history: 'Earlier conversations', historyEmpty: 'None.', name: 'Name', id: 'Id', lang: 'Language',
      customerName: 'Customer', bot: 'Bot', agent: 'Agent', system: 'Notice',
      waited: 'waiting {t}', priority: 'priority {p}', urgent: 'urgent', intent: 'intent', score: 'score',
      decision: 'decision', mood: 'mood', unread: '{n} unread',
      secs: '{s} s', mins: '{m} min {s} s', typing: 'The customer is typing',
      arrived: 'New customer waiting: {name}', offered: 'Conversation offered to you: {name}',
      released: 'The conversation left your list ({reason})', reconnecting: 'Connection lost. Reconnecting…',
      status_bot: 'bot', status_queued: 'queued', status_assigned: 'assigned', status_closed: 'closed',
      status_offline: 'offline', status_open: 'open', status_pending: 'pending', status_solved: 'solved',
      priority_low: 'low', priority_normal: 'normal', priority_high: 'high', priority_urgent: 'urgent',
      csat: 'CSAT {n}/5', ticket: 'ticket {s}', error: 'The request failed: {m}',
      conversationsLink: 'Conversations',
      customersLink: 'Customers', profileLink: "Open the customer's profile",
      anonymous: 'Anonymous #{id}', page: 'Page', onPage: 'on page: {url}', seen: 'Seen',
      sentAt: 'sent at {t}', loading: 'Loading…', teamsHeading: 'Teams', agentsHeading: 'Agents online',
      teamOption: '{name} · {online} online · {waiting} waiting', agentOption: '{name} ({teams}) · {active} of {capacity} conversations',
      noAgents: 'No other agent is online.', pickTarget: 'Choose a team or an agent to transfer to.',
      shortcuts: 'Keyboard shortcuts', closeHelp: 'Close',
      shortcutsHint: 'Single keys work when you are not typing; Esc leaves the message box.',
      keyAccept: 'Accept the offered conversation', keyNext: 'Next conversation', keyPrev: 'Previous conversation',
      keyReply: 'Write a reply', keyNote: 'Write an internal note', keySend: 'Send (also while typing)',
      keySendNote: 'Send as an internal note (also while typing)', keyLeave: 'Leave the message box', keyHelp: 'Open this help'
    }
  };
  var LANG_KEY = 'helpline-console:lang';
  var lang = pickLang();
  var T = STRINGS[lang];

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

  // the helpers shared with the widget (web_widget/common.js, loaded before this script)
  var fmt = helplineCommon.fmt;
  var el = helplineCommon.elementMaker('');
  var markdown = helplineCommon.markdown(el);

  function renderMarkdown(text) { return markdown(text, lang); }

  function newId() { return helplineCommon.newId('a'); }

  // ---------------------------------------------------------------- state
  var S = {
    agent: null,
    queue: [],          // entries of the last queue.snapshot, with receivedAt
    queueSeen: null,    // conversation -> true; null until the first snapshot
    mine: [],
    offers: {},         // conversation -> {expiresAt, entry}
    convs: {},          // conversation -> {customer, transcript, history, seen}
    unread: {},
    current: null,
    accepting: null,    // the conversation this console last accepted: shown once assigned
    mode: 'reply',
    wantedPresence: null, // chosen before the socket was open: sent on agent.ready
    canned: { query: null, results: [], index: -1, source: null },
    pending: {}         // client id -> {conversation, seq}
  };

  var $ = function (id) { return document.getElementById(id); };

  function duration(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    if (s < 60) return fmt(T.secs, { s: s });
    return fmt(T.mins, { m: Math.floor(s / 60), s: s % 60 });
  }

  // Who a card is: the signed name, else an anonymous customer's short id; the dot's colour
  // comes from the same conversation id, so it matches on every screen (common.js).
  function customerLabel(name, conversation) {
    return name || fmt(T.anonymous, { id: helplineCommon.customerMark(conversation).shortId });
  }

  function avatar(conversation) {
    var dot = el('span', 'avatar');
    dot.setAttribute('aria-hidden', 'true');
    dot.style.background = 'hsl(' + helplineCommon.customerMark(conversation).hue + ', 65%, 42%)';
    return dot;
  }

  // The stored time of a message (common.js), the full date and time on hover.
  function timeNode(at) {
    var node = helplineCommon.timeElement(el, at, lang);
    node.title = new Date(at * 1000).toLocaleString(lang);
    return node;
  }

  // A page address as text for a card: host and path, cut to fit; never markup.
  function pageText(url) {
    var shown = String(url).replace(/^https?:\/\//, '');
    return shown.length > 60 ? shown.slice(0, 59) + '…' : shown;
  }

  function announce(text) {
    var region = $('announce');
    region.textContent = '';
    // a fresh text node after clearing makes screen readers speak repeated messages too
    setTimeout(function () { region.textContent = text; }, 50);
  }

  // ---------------------------------------------------------------- language
  function applyLang() {
    document.documentElement.lang = lang;
    document.title = T.title;
    $('lang').value = lang;
    document.querySelectorAll('[data-t]').forEach(function (n) { n.textContent = T[n.dataset.t]; });
    document.querySelectorAll('[data-tp]').forEach(function (n) { n.placeholder = T[n.dataset.tp]; });
    document.querySelectorAll('[data-tl]').forEach(function (n) { n.setAttribute('aria-label', T[n.dataset.tl]); });
    setMode(S.mode);
    if (window.helplineAlerts) helplineAlerts.setLang(lang);
    if (S.agent) renderAll();
  }

  function setLang(code) {
    lang = STRINGS[code] ? code : 'en';
    T = STRINGS[lang];
    try { localStorage.setItem(LANG_KEY, lang); } catch (e) { /* storage off */ }
    applyLang();
  }

  // ---------------------------------------------------------------- signals
  var audio = null;

  // A short beep; browsers may refuse sound before a user gesture, which must not break anything.
  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.08, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.25);
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.25);
    } catch (e) { /* no sound available */ }
  }

  function notify(text) {
    announce(text);
    beep();
    try {
      if (window.Notification && Notification.permission === 'granted' && document.hidden) {
        new Notification(T.title, { body: text, tag: 'helpline-queue' });
      }
    } catch (e) { /* notifications unsupported here */ }
  }

  function askNotificationPermission() {
    try {
      if (window.Notification && Notification.permission === 'default') {
        var asked = Notification.requestPermission();
        if (asked && asked.catch) asked.catch(function () { /* refused */ });
      }
    } catch (e) { /* unsupported */ }
  }

  // ---------------------------------------------------------------- HTTP
  function api(method, path, body) {
    return fetch(path, {
      method: method,
      credentials: 'same-origin',
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined
    });
  }

  function onLogin(ev) {
    ev.preventDefault();
    askNotificationPermission();
    var error = $('login-error');
    error.textContent = '';
    var body = { email: $('email').value.trim(), password: $('password').value };
    api('POST', '/api/agent/login', body).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (res.ok) { $('password').value = ''; start(data.agent); return; }
        if (res.status === 429) error.textContent = fmt(T.tooMany, { s: data.retry_after_s || 60 });
        else if (res.status === 401) error.textContent = T.badLogin;
        else error.textContent = T.loginFailed;
        $('password').focus();
      });
    }, function () { error.textContent = T.loginFailed; });
  }

  function onLogout() {
    var done = function () { stop(); showLogin(); };
    api('POST', '/api/agent/logout').then(done, done);
  }

  function showLogin() {
    $('login-view').hidden = false;
    $('desk').hidden = true;
    $('who').hidden = true;
    $('email').focus();
  }

  // ---------------------------------------------------------------- socket
  var ws = null;
  var attempt = 0;
  var retryTimer = null;
  var wanted = false;   // false after logout: a closed socket stays closed

  function start(agent) {
    // an author takes no conversations: their page is the inbox, and no desk socket opens
    if (agent.role === 'author') { location.replace('/console/inbox'); return; }
    S.agent = agent;
    wanted = true;
    $('login-view').hidden = true;
    $('desk').hidden = false;
    $('who').hidden = false;
    renderWho();
    renderAll();
    connect();
  }

  function stop() {
    wanted = false;
    clearTimeout(retryTimer);
    retryTimer = null;
    if (ws) { var old = ws; ws = null; old.close(); }
    S.agent = null;
    S.queue = []; S.queueSeen = null; S.mine = []; S.offers = {}; S.convs = {}; S.unread = {};
    S.current = null; S.wantedPresence = null;
    $('banner').hidden = true;
    if (window.helplineAlerts) helplineAlerts.clear();
    document.dispatchEvent(new CustomEvent('helpline:signed-out'));
  }

  function connect() {
    retryTimer = null;
    var sock = new WebSocket(location.origin.replace(/^http/, 'ws') + '/ws/agent');
    ws = sock;
    sock.onmessage = function (ev) {
      if (sock !== ws) return;
      var frame;
      try { frame = JSON.parse(ev.data); } catch (e) { return; }
      if (!frame || typeof frame.type !== 'string') return;
      if (window.helplineAlerts) helplineAlerts.frame(frame); // alerts and notices: console_alerts.js
      if (HANDLERS[frame.type]) HANDLERS[frame.type](frame);
    };
    sock.onclose = function () {
      if (sock !== ws) return;
      ws = null;
      if (wanted) dropped();
    };
  }

  // The upgrade is refused (401) when the session ended: then sign in again, else retry.
  function dropped() {
    $('banner').textContent = T.reconnecting;
    $('banner').hidden = false;
    fetch('/api/agent/me', { credentials: 'same-origin' }).then(function (res) {
      if (res.status === 401) { stop(); showLogin(); } else schedule();
    }, schedule);
  }

  function schedule() {
    if (retryTimer || !wanted) return;
    var ceiling = Math.min(30000, 500 * Math.pow(2, attempt));
    attempt += 1;
    retryTimer = setTimeout(connect, ceiling / 2 + Math.random() * ceiling / 2);
  }

  function send(frame) {
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  var HANDLERS = {
    'agent.ready': function (f) {
      attempt = 0;
      $('banner').hidden = true;
      S.agent = f.agent || S.agent;
      renderWho(f.presence);
      // a status chosen while the socket was still connecting is sent now, not lost
      if (S.wantedPresence && S.wantedPresence !== f.presence) send({ type: 'presence.set', status: S.wantedPresence });
      S.wantedPresence = null;
      // the Tickets panel (sla.js) starts once someone is signed in
      document.dispatchEvent(new CustomEvent('helpline:ready', { detail: S.agent }));
    },
    'sla.breached': function (f) { document.dispatchEvent(new CustomEvent('helpline:sla', { detail: f })); },
    'presence.changed': function (f) { renderWho(f.status); },
    'queue.snapshot': onQueue,
    'mine.snapshot': function (f) {
      S.mine = f.conversations || [];
      S.mine.forEach(function (c) {
        if (c.conversation !== S.current && c.unread != null) S.unread[c.conversation] = c.unread;
      });
      renderMine();
    },
    'conversation.offered': function (f) {
      var entry = f.entry || { conversation: f.conversation };
      S.offers[f.conversation] = { expiresAt: Date.now() + (f.expires_in_s || 0) * 1000, entry: entry };
      notify(fmt(T.offered, { name: customerLabel(entry.customer_name, f.conversation) }));
      renderQueue();
    },
    'conversation.assigned': onAssigned,
    'conversation.released': function (f) {
      delete S.convs[f.conversation];
      delete S.offers[f.conversation];
      S.mine = S.mine.filter(function (c) { return c.conversation !== f.conversation; });
      var wasOpen = S.current === f.conversation;
      if (wasOpen) { S.current = null; announce(fmt(T.released, { reason: f.reason || '' })); }
      renderAll();
      if (wasOpen) $('conversation').focus(); // the focused control has just disappeared
    },
    'message.new': onMessage,
    'message.seen': function (f) {
      var conv = S.convs[f.conversation];
      if (!conv || !(f.seq > (conv.seenSeq || 0))) return;
      conv.seenSeq = f.seq;
      if (f.conversation === S.current) renderSeen(conv);
    },
    'transfer.options': renderTransferOptions,
    'typing.start': function (f) { if (f.conversation === S.current) $('typing').hidden = false; },
    'typing.stop': function (f) { if (f.conversation === S.current) $('typing').hidden = true; },
    'canned.results': function (f) {
      if (f.conversation !== S.current || f.query !== S.canned.query) return;
      S.canned.results = f.results || [];
      S.canned.index = S.canned.results.length ? 0 : -1;
      renderCanned();
    },
    'ack': function (f) {
      var p = S.pending[f.id];
      if (!p) return;
      p.seq = f.seq;
      var conv = S.convs[p.conversation];
      if (f.seq == null || (conv && conv.seen[f.seq])) dropPending(f.id);
    },
    'conversation.status': function (f) {
      S.mine.forEach(function (c) { if (c.conversation === f.conversation) c.status = f.status; });
      renderMine();
    },
    'error': function (f) { flash(fmt(T.error, { m: f.message || f.code })); }
  };

  // A refusal (taken by someone else, not yours any more...) shown for a few seconds.
  var flashTimer = null;
  function flash(text) {
    var banner = $('banner');
    banner.textContent = text;
    banner.hidden = false;
    clearTimeout(flashTimer);
    flashTimer = setTimeout(function () { if (ws) banner.hidden = true; }, 6000);
  }

  function onQueue(f) {
    document.dispatchEvent(new CustomEvent('helpline:queue'));  // tickets come and go with it
    var now = Date.now();
    var entries = (f.entries || []).map(function (e) { return Object.assign({ receivedAt: now }, e); });
    var first = S.queueSeen === null;
    var seen = {};
    var arrivals = entries.filter(function (e) {
      seen[e.conversation] = true;
      return !first && !S.queueSeen[e.conversation];
    });
    S.queueSeen = seen;
    S.queue = entries;
    if (arrivals.length) notify(fmt(T.arrived, { name: customerLabel(arrivals[0].customer_name, arrivals[0].conversation) }));
    renderQueue();
  }

  function onAssigned(f) {
    var transcript = f.transcript || [];
    var seen = {};
    transcript.forEach(function (m) { if (m.seq != null) seen[m.seq] = true; });
    S.convs[f.conversation] = {
      customer: f.customer || {}, transcript: transcript, history: f.history || [], seen: seen,
      seenSeq: f.seen_seq || 0
    };
    delete S.offers[f.conversation];
    if (!S.mine.some(function (c) { return c.conversation === f.conversation; })) {
      S.mine.push({ conversation: f.conversation, status: 'assigned', customer_name: (f.customer || {}).name, unread: 0 });
    }
    if (!S.current || S.current === f.conversation || S.accepting === f.conversation) {
      S.accepting = null;
      select(f.conversation);
    } else {
      renderMine();
    }
  }

  function onMessage(f) {
    var conv = S.convs[f.conversation];
    if (!conv || (f.seq != null && conv.seen[f.seq])) return;
    if (f.seq != null) conv.seen[f.seq] = true;
    conv.transcript.push(f);
    settlePending(f);
    if (f.conversation === S.current) {
      if (f.sender === 'customer') $('typing').hidden = true;
      appendMessage(f, conv);
    } else if (f.sender === 'customer') {
      S.unread[f.conversation] = (S.unread[f.conversation] || 0) + 1;
    }
    if (f.sender === 'customer') renderMine(); // its preview and unread count
  }

  function settlePending(f) {
    Object.keys(S.pending).forEach(function (id) {
      var p = S.pending[id];
      var same = id === f.client_id || id === f.id;
      if (same || (p.conversation === f.conversation && p.seq != null && p.seq === f.seq)) dropPending(id);
    });
  }

  function dropPending(id) {
    delete S.pending[id];
    var node = document.querySelector('[data-client-id="' + id.replace(/[^\w-]/g, '') + '"]');
    if (node) node.remove();
  }

  // ---------------------------------------------------------------- rendering
  function renderAll() {
    renderQueue();
    renderMine();
    renderConversation();
  }

  function renderWho(presence) {
    if (!S.agent) return;
    $('agent-name').textContent = S.agent.name || S.agent.email || '';
    $('reports-link').hidden = S.agent.role !== 'supervisor'; // the page and its API are theirs
    $('team-link').hidden = S.agent.role !== 'supervisor';
    $('inbox-link').hidden = ['author', 'supervisor'].indexOf(S.agent.role) < 0; // as /api/inbox allows
    $('canned-link').hidden = S.agent.role !== 'supervisor'; // they write the answers
    if (presence === 'online' || presence === 'away') $('presence').value = presence;
    if (presence) $('who').dataset.presence = presence; // as the server last confirmed it
  }

  function badge(text, cls) {
    return el('span', 'badge' + (cls ? ' ' + cls : ''), text);
  }

  function renderQueue() {
    var list = $('queue');
    list.textContent = '';
    var shown = S.queue.slice();
    Object.keys(S.offers).forEach(function (c) {
      if (!shown.some(function (e) { return e.conversation === c; })) shown.unshift(S.offers[c].entry);
    });
    shown.forEach(function (e) { list.appendChild(queueItem(e)); });
    $('queue-count').textContent = String(shown.length);
    $('queue-empty').hidden = shown.length > 0;
    tick();
  }

  function queueItem(e) {
    var li = el('li', 'entry' + (S.offers[e.conversation] ? ' offered' : ''));
    li.dataset.conversation = e.conversation;
    var name = li.appendChild(el('span', 'name'));
    name.append(avatar(e.conversation), document.createTextNode(customerLabel(e.customer_name, e.conversation)));
    var waited = el('span', 'waited');
    waited.dataset.since = String(waitingSince(e));
    li.appendChild(waited);
    if (e.preview) li.appendChild(el('span', 'preview', '“' + e.preview + '”'));
    if (e.page_url) {
      var page = li.appendChild(el('span', 'page', fmt(T.onPage, { url: pageText(e.page_url) })));
      page.title = e.page_url;
    }
    var meta = el('span', 'meta');
    if (e.priority != null) {
      var high = e.priority === 'high' || e.priority === 'urgent';
      meta.appendChild(badge(fmt(T.priority, { p: T['priority_' + e.priority] || e.priority }), high ? 'p-high' : ''));
    }
    if (e.urgent) meta.appendChild(badge(T.urgent, 'urgent'));
    if (e.intent) meta.appendChild(badge(e.intent));
    if (e.mood) meta.appendChild(badge(T.mood + ' ' + moodText(e.mood), moodClass(e.mood)));
    if (e.language) meta.appendChild(badge(String(e.language).toUpperCase()));
    if (e.team) meta.appendChild(badge(e.team));
    li.appendChild(meta);
    var action = queueAction(e);
    if (action) li.appendChild(action);
    return li;
  }

  // Snapshots may be built a while before they are sent, so waited_s is a lower bound;
  // enqueued_at is exact on the server's clock, which may differ a little from ours.
  function waitingSince(e) {
    var byCount = (e.receivedAt || Date.now()) - (e.waited_s || 0) * 1000;
    var byStamp = e.enqueued_at ? e.enqueued_at * 1000 : byCount;
    return Math.min(byCount, byStamp);
  }

  function moodText(level) {
    if (typeof level !== 'number') return String(level);
    return Math.round(level * 100) + '%';
  }

  function moodClass(level) {
    return typeof level === 'number' && level >= 0.7 ? 'mood-frustrated' : '';
  }

  function queueAction(e) {
    var offer = S.offers[e.conversation];
    var supervisor = S.agent && S.agent.role === 'supervisor';
    if (!offer && !supervisor) return null;
    var btn = el('button', offer ? 'accept primary' : 'claim', offer ? T.accept : T.claim);
    btn.type = 'button';
    btn.setAttribute('aria-label', (offer ? T.accept : T.claim) + ': ' + customerLabel(e.customer_name, e.conversation));
    if (offer) btn.setAttribute('aria-keyshortcuts', 'a');
    btn.addEventListener('click', function () { accept(e.conversation); });
    var box = el('span', 'meta');
    box.appendChild(btn);
    if (offer) box.appendChild(el('span', 'left'));
    if (supervisor) box.appendChild(urgentToggle(e));
    return box;
  }

  // Supervisors move a conversation to the head of its team's line (or back).
  function urgentToggle(e) {
    var label = e.urgent ? T.unmarkUrgent : T.markUrgent;
    var btn = el('button', 'flag-urgent', label);
    btn.type = 'button';
    btn.setAttribute('aria-pressed', e.urgent ? 'true' : 'false');
    btn.setAttribute('aria-label', label + ': ' + customerLabel(e.customer_name, e.conversation));
    btn.addEventListener('click', function () {
      send({ type: 'conversation.urgent', conversation: e.conversation, urgent: !e.urgent });
    });
    return btn;
  }

  // Every second: waiting times and offer countdowns move on their own between snapshots.
  function tick() {
    var now = Date.now();
    document.querySelectorAll('#queue .waited').forEach(function (n) {
      n.textContent = fmt(T.waited, { t: duration((now - Number(n.dataset.since)) / 1000) });
    });
    var expired = false;
    Object.keys(S.offers).forEach(function (c) {
      var left = Math.ceil((S.offers[c].expiresAt - now) / 1000);
      if (left <= 0) { delete S.offers[c]; expired = true; return; }
      var text = fmt(T.offerLeft, { s: left });
      document.querySelectorAll('#queue .entry').forEach(function (li) {
        if (li.dataset.conversation === c) { var n = li.querySelector('.left'); if (n) n.textContent = text; }
      });
    });
    if (expired) renderQueue();
  }

  function renderMine() {
    var list = $('mine');
    list.textContent = '';
    S.mine.forEach(function (c) {
      var li = el('li');
      var btn = el('button', 'entry');
      btn.type = 'button';
      btn.dataset.conversation = c.conversation;
      if (c.conversation === S.current) btn.setAttribute('aria-current', 'true');
      var name = btn.appendChild(el('span', 'name'));
      name.append(avatar(c.conversation), document.createTextNode(customerLabel(c.customer_name, c.conversation)));
      var n = c.conversation === S.current ? 0 : (S.unread[c.conversation] || 0);
      if (n) {
        var u = el('span', 'unread', String(n));
        u.setAttribute('aria-label', fmt(T.unread, { n: n }));
        btn.appendChild(u);
      }
      if (c.status) btn.appendChild(el('span', 'meta', T['status_' + c.status] || c.status));
      var said = newestCustomerText(S.convs[c.conversation]);
      if (said) btn.appendChild(el('span', 'preview', '“' + said + '”'));
      btn.addEventListener('click', function () { select(c.conversation); });
      li.appendChild(btn);
      list.appendChild(li);
    });
    $('mine-empty').hidden = S.mine.length > 0;
  }

  // What the customer said last, as the queue's cards show it: which of several open
  // conversations is which, without opening each
  function newestCustomerText(conv) {
    var messages = (conv && conv.transcript) || [];
    for (var i = messages.length - 1; i >= 0; i--) {
      var m = messages[i];
      if (m.sender !== 'customer') continue;
      var said = m.text || (m.attachment && m.attachment.name) || '';
      if (said) return said.length > 120 ? said.slice(0, 119) + '…' : said;
    }
    return '';
  }

  // keepKeys: focus the conversation's button, not the composer, so single-key shortcuts
  // (j/k to go on) keep working
  function select(conversation, keepKeys) {
    if (S.current !== conversation) closeCanned();
    S.current = conversation;
    S.unread[conversation] = 0;
    renderMine();
    renderConversation();
    var button = keepKeys && $('mine').querySelector('[data-conversation="' + cssId(conversation) + '"]');
    (button || $('text')).focus();
  }

  function cssId(id) { return String(id).replace(/["\\]/g, ''); }

  function renderConversation() {
    var conv = S.current && S.convs[S.current];
    $('conv-none').hidden = !!conv;
    $('conv-body').hidden = !conv;
    $('customer').hidden = !conv;
    if (!conv) return;
    var c = conv.customer;
    $('conv-title').textContent = c.name || c.email || customerLabel(null, S.current);
    $('typing').textContent = T.typing;
    $('typing').hidden = true;
    var log = $('transcript');
    log.textContent = '';
    conv.transcript.forEach(function (m) { log.appendChild(messageNode(m, conv)); });
    renderSeen(conv);
    log.scrollTop = log.scrollHeight;
    renderCustomer(conv);
  }

  function appendMessage(m, conv) {
    var log = $('transcript');
    log.appendChild(messageNode(m, conv));
    renderSeen(conv);
    log.scrollTop = log.scrollHeight;
  }

  // "Seen" under the newest agent reply the customer's widget has shown (one marker only).
  function renderSeen(conv) {
    var log = $('transcript');
    log.querySelectorAll('.seen').forEach(function (n) { n.remove(); });
    var replies = log.querySelectorAll('.msg.agent[data-seq]');
    for (var i = replies.length - 1; i >= 0; i--) {
      if (Number(replies[i].dataset.seq) <= (conv.seenSeq || 0)) {
        replies[i].appendChild(el('div', 'seen', T.seen));
        return;
      }
    }
  }

  function senderName(m, conv) {
    if (m.sender === 'customer') return conv.customer.name || customerLabel(null, m.conversation || S.current);
    if (m.sender === 'agent') return m.name || T.agent;
    if (m.sender === 'bot') return T.bot;
    if (m.sender === 'note') return m.name || T.agent;
    return T.system;
  }

  function messageNode(m, conv) {
    var node = el('div', 'msg ' + (m.sender || 'system'));
    if (m.seq != null) node.dataset.seq = m.seq;
    if (m.pendingId) node.dataset.clientId = m.pendingId;
    var from = el('div', 'from', senderName(m, conv));
    if (m.sender === 'note') from.prepend(el('span', 'note-label', T.noteLabel + ' · '));
    var bubble = el('div', 'bubble');
    bubble.appendChild(m.sender === 'customer' ? document.createTextNode(m.text || '') : renderMarkdown(m.text || ''));
    if (m.attachment) bubble.appendChild(fileNode(m.attachment));
    node.append(from, bubble);
    if (typeof m.at === 'number') from.append(' · ', timeNode(m.at));
    if (m.sender === 'bot') node.appendChild(decisionBadges(m));
    return node;
  }

  // The bot's reasons: stored messages carry them as `decision`; live ones only the intent.
  function decisionBadges(m) {
    var d = m.decision && typeof m.decision === 'object' ? m.decision : m;
    var box = el('div', 'decision');
    var intent = d.intent || m.intent;
    if (intent) box.appendChild(badge(T.intent + ': ' + intent));
    if (typeof d.score === 'number' && d.score > 0) box.appendChild(badge(T.score + ': ' + Math.round(d.score)));
    var decision = typeof d.decision === 'string' ? d.decision : m.kind;
    if (decision) box.appendChild(badge(T.decision + ': ' + decision));
    if (typeof d.mood === 'number') box.appendChild(badge(T.mood + ': ' + moodText(d.mood), moodClass(d.mood)));
    return box;
  }

  function renderCustomer(conv) {
    var c = conv.customer;
    var dl = $('identity');
    dl.textContent = '';
    [[T.name, c.name], [T.email, c.email], [T.id, c.id], [T.lang, c.language]].forEach(function (row) {
      if (!row[1]) return;
      dl.append(el('dt', null, row[0]), el('dd', null, String(row[1])));
    });
    if (c.page_url) dl.append(el('dt', null, T.page), el('dd', 'page', c.page_url));
    // only a verified customer has a profile (an anonymous one is just this conversation)
    $('profile-link').hidden = !c.id;
    if (c.id) $('profile-link').href = '/console/customers?open=' + encodeURIComponent(c.id);
    var list = $('history');
    list.textContent = '';
    conv.history.forEach(function (h) { list.appendChild(historyItem(h)); });
    $('history-empty').hidden = conv.history.length > 0;
  }

  function historyItem(h) {
    var li = el('li');
    var when = h.started_at ? new Date(h.started_at * 1000).toLocaleString(lang) : '';
    li.appendChild(el('div', null, when + ' · ' + (T['status_' + h.status] || h.status || '')));
    (h.tickets || (h.ticket ? [h.ticket] : [])).forEach(function (t) {
      var meta = el('div', 'decision');
      meta.appendChild(badge(fmt(T.ticket, { s: T['status_' + t.status] || t.status })));
      (t.tags || []).forEach(function (tag) { meta.appendChild(badge('#' + tag)); });
      if (t.csat != null) meta.appendChild(badge(fmt(T.csat, { n: t.csat })));
      li.appendChild(meta);
      if (t.csat_comment) li.appendChild(el('div', 'comment', '“' + t.csat_comment + '”'));
    });
    return li;
  }

  // ---------------------------------------------------------------- actions
  function accept(conversation) {
    S.accepting = conversation;
    send({ type: 'conversation.accept', conversation: conversation });
  }

  function setMode(mode) {
    S.mode = mode;
    $('mode-reply').setAttribute('aria-pressed', String(mode === 'reply'));
    $('mode-note').setAttribute('aria-pressed', String(mode === 'note'));
    $('composer').classList.toggle('note-mode', mode === 'note');
    $('text').placeholder = mode === 'note' ? T.composeNote : T.composeHint;
    $('send').textContent = mode === 'note' ? T.addNote : T.send;
  }

  function submitComposer(ev) {
    ev.preventDefault();
    var text = $('text').value.trim();
    if (!text || !S.current) return;
    var id = newId();
    var frame = { type: S.mode === 'note' ? 'note.new' : 'message.new', conversation: S.current, id: id, text: text };
    if (!send(frame)) return;
    S.pending[id] = { conversation: S.current, seq: null };
    var shown = { sender: S.mode === 'note' ? 'note' : 'agent', text: text, name: S.agent.name, pendingId: id };
    appendMessage(shown, S.convs[S.current]);
    $('text').value = '';
    stopTyping();
  }

  var typingTimer = null;
  var typingOn = false;

  function onType() {
    var value = $('text').value;
    if (value.charAt(0) === '/') { search(value.slice(1), 'composer'); return; }
    if (S.canned.source === 'composer') closeCanned();
    if (S.mode !== 'reply' || !S.current) return;
    if (!typingOn && value) typingOn = send({ type: 'typing.start', conversation: S.current });
    clearTimeout(typingTimer);
    typingTimer = setTimeout(stopTyping, 3000);
  }

  function stopTyping() {
    clearTimeout(typingTimer);
    if (typingOn && S.current) send({ type: 'typing.stop', conversation: S.current });
    typingOn = false;
  }

  var searchTimer = null;

  function search(query, source) {
    S.canned.source = source;
    clearTimeout(searchTimer);
    searchTimer = setTimeout(function () {
      S.canned.query = query.trim();
      if (!S.current || !S.canned.query) { closeCanned(); return; }
      send({ type: 'canned.search', conversation: S.current, query: S.canned.query });
    }, 150);
  }

  function renderCanned() {
    var list = $('canned');
    list.textContent = '';
    S.canned.results.forEach(function (r, i) {
      var li = el('li');
      li.id = 'canned-' + i;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', String(i === S.canned.index));
      li.append(el('span', 'c-title', (r.shortcut ? r.shortcut + ' · ' : '') + (r.title || r.intent)), el('span', 'c-text', r.text));
      li.addEventListener('mousedown', function (ev) { ev.preventDefault(); insertCanned(i); });
      list.appendChild(li);
    });
    var open = S.canned.results.length > 0;
    list.hidden = !open;
    $('canned-query').setAttribute('aria-expanded', String(open));
    if (open) $('canned-query').setAttribute('aria-activedescendant', 'canned-' + S.canned.index);
    else $('canned-query').removeAttribute('aria-activedescendant');
    announce(fmt(T.cannedCount, { n: S.canned.results.length }));
  }

  function closeCanned() {
    S.canned = { query: null, results: [], index: -1, source: null };
    $('canned').hidden = true;
    $('canned').textContent = '';
    $('canned-query').setAttribute('aria-expanded', 'false');
    $('canned-query').removeAttribute('aria-activedescendant');
  }

  function insertCanned(i) {
    var r = S.canned.results[i];
    if (!r) return;
    $('text').value = r.text;
    $('canned-query').value = '';
    closeCanned();
    $('text').focus();
  }

  // Up/Down move through the results, Enter inserts, Escape closes; true when handled.
  function cannedKey(ev) {
    var n = S.canned.results.length;
    if (!n) return false;
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      S.canned.index = (S.canned.index + (ev.key === 'ArrowDown' ? 1 : n - 1)) % n;
      renderCanned();
    } else if (ev.key === 'Enter') {
      insertCanned(Math.max(0, S.canned.index));
    } else if (ev.key === 'Escape') {
      closeCanned();
    } else {
      return false;
    }
    ev.preventDefault();
    return true;
  }

  function toggleDrawer(buttonId, formId) {
    var form = $(formId);
    var open = form.hidden;
    ['transfer', 'close-form'].forEach(function (id) { $(id).hidden = true; });
    ['transfer-open', 'close-open'].forEach(function (id) { $(id).setAttribute('aria-expanded', 'false'); });
    form.hidden = !open;
    $(buttonId).setAttribute('aria-expanded', String(open));
    if (open && formId !== 'transfer') form.querySelector('input:not([type=radio]), textarea').focus();
  }

  // The picker: teams and the other agents online with their load, asked for each time the
  // drawer opens (transfer.options), so it lists who is there now.
  function openTransfer() {
    var opening = $('transfer').hidden;
    toggleDrawer('transfer-open', 'transfer');
    if (!opening) return;
    $('transfer-loading').hidden = false;
    $('transfer-teams').hidden = true;
    $('transfer-agents').hidden = true;
    $('transfer-error').textContent = '';
    send({ type: 'transfer.options' });
  }

  function renderTransferOptions(f) {
    $('transfer-loading').hidden = true;
    $('transfer-teams').hidden = false;
    $('transfer-agents').hidden = false;
    fillOptions($('transfer-team-list'), f.teams || [], function (t) {
      return { value: 'team:' + t.name, text: fmt(T.teamOption, t) };
    });
    fillOptions($('transfer-agent-list'), f.agents || [], function (a) {
      var text = fmt(T.agentOption, { name: a.name, teams: (a.teams || []).join(', '), active: a.active, capacity: a.capacity });
      return { value: 'agent:' + a.id, text: text };
    });
    $('transfer-no-agents').hidden = (f.agents || []).length > 0;
    var first = $('transfer').querySelector('input[name="transfer-to"]');
    if (first) first.focus();
  }

  function fillOptions(list, items, describe) {
    list.textContent = '';
    items.forEach(function (item) {
      var option = describe(item);
      var input = el('input');
      input.type = 'radio';
      input.name = 'transfer-to';
      input.value = option.value;
      var label = el('label');
      label.append(input, document.createTextNode(' ' + option.text));
      list.appendChild(el('li')).appendChild(label);
    });
  }

  function onTransfer(ev) {
    ev.preventDefault();
    var chosen = $('transfer').querySelector('input[name="transfer-to"]:checked');
    if (!S.current) return;
    if (!chosen) { $('transfer-error').textContent = T.pickTarget; return; }
    var kind = chosen.value.slice(0, chosen.value.indexOf(':'));
    var target = chosen.value.slice(kind.length + 1);
    var frame = { type: 'conversation.transfer', conversation: S.current };
    frame[kind === 'agent' ? 'to_agent' : 'to_team'] = target;
    var note = $('transfer-note').value.trim();
    if (note) frame.note = note;
    if (send(frame)) { $('transfer').reset(); toggleDrawer('transfer-open', 'transfer'); }
  }

  function onClose(ev) {
    ev.preventDefault();
    if (!S.current) return;
    var tags = $('close-tags').value.split(',').map(function (t) { return t.trim(); }).filter(Boolean);
    if (send({ type: 'conversation.close', conversation: S.current, tags: tags })) {
      $('close-form').reset();
      toggleDrawer('close-open', 'close-form');
    }
  }


  // ---------------------------------------------------------------- files
  // A file is uploaded to the conversation first (POST /api/conversations/{id}/attachments),
  // then sent like a reply: a message.new naming it, with whatever the composer holds.
  var FILE_STRINGS = {
    ko: { attach: '파일 첨부', tooLarge: '파일이 너무 커요 (최대 {size}).', badType: '이미지(PNG, JPEG, GIF, WebP), PDF, 텍스트 파일만 보낼 수 있어요.', failed: '파일을 보내지 못했어요: {m}', noteFile: '파일은 고객에게 보내는 답변으로만 보낼 수 있어요.' },
    en: { attach: 'Attach a file', tooLarge: 'That file is too large (at most {size}).', badType: 'Only images (PNG, JPEG, GIF, WebP), PDF and text files can be sent.', failed: 'The file was not sent: {m}', noteFile: 'Files go to the customer with a reply, not in a note.' }
  };
  var showFile = helplineCommon.showFile(el);

  function fileNode(file) {
    var node = showFile(file, '/api/attachments/' + encodeURIComponent(file.id), lang);
    var image = node.querySelector('img');
    // an image grows the transcript as it loads: keep the newest in view if it was
    if (image) image.addEventListener('load', function () {
      var log = $('transcript');
      var below = log.scrollHeight - log.scrollTop - log.clientHeight;
      if (below <= image.offsetHeight + 80) log.scrollTop = log.scrollHeight;
    });
    return node;
  }

  function wireFiles() {
    $('attach').setAttribute('aria-label', FILE_STRINGS[lang].attach);
    $('attach').addEventListener('click', function () { $('attach-input').click(); });
    $('attach-input').addEventListener('change', function () {
      var input = $('attach-input');
      if (input.files && input.files[0]) uploadFile(input.files[0]);
      input.value = '';
    });
    $('text').addEventListener('paste', function (ev) {
      var file = ev.clipboardData && ev.clipboardData.files && ev.clipboardData.files[0];
      if (file) { ev.preventDefault(); uploadFile(file); }
    });
  }

  function uploadFile(file) {
    var FT = FILE_STRINGS[lang];
    var conversation = S.current;
    if (!conversation) return;
    if (S.mode === 'note') { flash(FT.noteFile); return; }
    $('attach').disabled = true;
    var path = '/api/conversations/' + encodeURIComponent(conversation) + '/attachments?name=' + encodeURIComponent(file.name || '');
    fetch(path, {
      method: 'POST', credentials: 'same-origin', body: file,
      headers: { 'Content-Type': file.type || 'application/octet-stream' }
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (res.ok && body.attachment) return sendFile(conversation, body.attachment);
        if (res.status === 413 && body.max_bytes) flash(fmt(FT.tooLarge, { size: helplineCommon.fileSize(body.max_bytes) }));
        else if (res.status === 415) flash(FT.badType);
        else flash(fmt(FT.failed, { m: body.message || res.status }));
      });
    }, function (e) { flash(fmt(FT.failed, { m: e.message })); }).then(function () { $('attach').disabled = false; });
  }

  function sendFile(conversation, file) {
    var text = conversation === S.current ? $('text').value.trim() : '';
    var id = newId();
    var frame = { type: 'message.new', conversation: conversation, id: id, text: text, attachment: file.id };
    if (!send(frame)) return;
    S.pending[id] = { conversation: conversation, seq: null };
    if (conversation !== S.current) return;
    appendMessage({ sender: 'agent', text: text, name: S.agent.name, pendingId: id, attachment: file }, S.convs[conversation]);
    $('text').value = '';
    stopTyping();
  }

  function wire() {
    $('lang').addEventListener('change', function () { setLang($('lang').value); });
    $('login').addEventListener('submit', onLogin);
    $('logout').addEventListener('click', onLogout);
    $('presence').addEventListener('change', function () {
      var status = $('presence').value;
      S.wantedPresence = send({ type: 'presence.set', status: status }) ? null : status;
    });
    $('mode-reply').addEventListener('click', function () { setMode('reply'); });
    $('mode-note').addEventListener('click', function () { stopTyping(); setMode('note'); });
    $('composer').addEventListener('submit', submitComposer);
    wireFiles();
    $('text').addEventListener('input', onType);
    $('text').addEventListener('keydown', function (ev) {
      if (S.canned.source === 'composer' && cannedKey(ev)) return;
      if (composerShortcut(ev)) return;
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) submitComposer(ev);
    });
    document.addEventListener('keydown', onShortcut);
    $('shortcuts-open').addEventListener('click', showShortcuts);
    $('canned-query').addEventListener('input', function () { search($('canned-query').value, 'box'); });
    $('canned-query').addEventListener('keydown', function (ev) {
      if (ev.key === 'Enter') ev.preventDefault(); // never submits the composer
      cannedKey(ev);
    });
    $('transfer-open').addEventListener('click', openTransfer);
    $('close-open').addEventListener('click', function () { toggleDrawer('close-open', 'close-form'); });
    $('transfer').addEventListener('submit', onTransfer);
    $('close-form').addEventListener('submit', onClose);
    $('release').addEventListener('click', function () {
      if (S.current) send({ type: 'conversation.release', conversation: S.current });
    });
    setInterval(tick, 1000);
  }

  // ---------------------------------------------------------------- keyboard
  // Single keys act only outside text fields, where they would be typing; the Ctrl/Cmd
  // combinations work in the message box too. This list is also the help dialog's.
  var SHORTCUTS = [
    { key: 'a', label: 'keyAccept', run: acceptFirstOffer },
    { key: 'j', label: 'keyNext', run: function () { stepConversation(1); } },
    { key: 'k', label: 'keyPrev', run: function () { stepConversation(-1); } },
    { key: 'r', label: 'keyReply', run: function () { compose('reply'); } },
    { key: 'n', label: 'keyNote', run: function () { compose('note'); } },
    { key: '?', label: 'keyHelp', run: showShortcuts }
  ];
  var COMBOS = [
    { keys: ['Ctrl/⌘', 'Enter'], label: 'keySend' },
    { keys: ['Ctrl/⌘', 'Shift', 'Enter'], label: 'keySendNote' },
    { keys: ['Esc'], label: 'keyLeave' }
  ];

  function onShortcut(ev) {
    if (ev.defaultPrevented || ev.isComposing || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if ($('desk').hidden || $('shortcuts').open || isTextField(ev.target)) return;
    var hit = SHORTCUTS.filter(function (s) { return s.key === ev.key; })[0];
    if (!hit) return;
    ev.preventDefault();
    hit.run();
  }

  function isTextField(node) {
    if (!node || !node.tagName) return false;
    if (node.tagName === 'TEXTAREA' || node.tagName === 'SELECT' || node.isContentEditable) return true;
    return node.tagName === 'INPUT' && ['radio', 'checkbox', 'button', 'submit'].indexOf(node.type) < 0;
  }

  // In the message box: Ctrl/Cmd+Enter sends, with Shift as an internal note; Esc leaves it.
  function composerShortcut(ev) {
    if (ev.key === 'Escape') {
      ev.preventDefault();
      $('transcript').focus();
      return true;
    }
    if (ev.key !== 'Enter' || ev.isComposing || !(ev.ctrlKey || ev.metaKey)) return false;
    var mode = S.mode;
    if (ev.shiftKey) setMode('note');
    submitComposer(ev);
    setMode(mode);
    return true;
  }

  function acceptFirstOffer() {
    var offered = $('queue').querySelector('.entry.offered');
    if (offered) accept(offered.dataset.conversation);
  }

  function stepConversation(by) {
    var ids = S.mine.map(function (c) { return c.conversation; });
    if (!ids.length) return;
    var at = ids.indexOf(S.current);
    var next = at < 0 ? (by > 0 ? 0 : ids.length - 1) : (at + by + ids.length) % ids.length;
    select(ids[next], true);
  }

  function compose(mode) {
    if (!S.current) return;
    setMode(mode);
    $('text').focus();
  }

  function showShortcuts() {
    var list = $('shortcut-list');
    list.textContent = '';
    SHORTCUTS.map(function (s) { return { keys: [s.key], label: s.label }; }).concat(COMBOS).forEach(function (s) {
      var keys = el('dt');
      s.keys.forEach(function (k, i) {
        if (i) keys.append(' + ');
        keys.appendChild(el('kbd', null, k));
      });
      list.append(keys, el('dd', null, T[s.label]));
    });
    $('shortcuts').showModal();
  }

  function boot() {
    wire();
    applyLang();
    fetch('/api/agent/me', { credentials: 'same-origin' }).then(function (res) {
      if (!res.ok) { showLogin(); return null; }
      return res.json().then(start);
    }).catch(showLogin);
  }

  boot();
})();
