/* Helpline customer chat widget: one script, one global (`Helpline`), no dependencies. */
(function () {
  'use strict';

  var prior = window.Helpline;
  if (prior && prior.version) return; // loaded twice: keep the first

  // ---------------------------------------------------------------- strings
  var STRINGS = {
    ko: {
      title: 'StreamFlix 고객센터',
      open: '채팅 상담 열기',
      openUnread: '채팅 상담 열기, 읽지 않은 메시지 {n}개',
      close: '채팅 닫기',
      dialog: '채팅 상담',
      log: '대화 내용',
      input: '메시지 입력',
      placeholder: '메시지를 입력하세요',
      send: '보내기',
      talk: '상담원 연결',
      bot: '챗봇이 답변 중',
      botName: '챗봇',
      you: '나',
      agent: '상담원',
      system: '안내',
      queued: '상담원 연결 대기 중',
      queuePos: '대기 {pos}번째 · 약 {eta}분',
      queuePosOnly: '대기 {pos}번째',
      assigned: '{name} 상담원과 대화 중',
      closed: '상담이 종료되었어요',
      offline: '지금은 상담원이 없어요',
      typingBot: '챗봇이 입력 중이에요',
      typingAgent: '{name}님이 입력 중이에요',
      helpful: '도움이 됐어요',
      notHelpful: '도움이 안 됐어요',
      thanks: '의견 감사합니다',
      reconnecting: '연결이 끊겼어요. 다시 연결하는 중…',
      sending: '보내는 중',
      failed: '보내지 못했어요 (너무 길어요)',
      emailAsk: '이메일을 남겨 주시면 상담원이 답변을 보내 드릴게요.',
      emailLabel: '이메일 주소',
      emailSend: '이메일 남기기',
      emailBad: '올바른 이메일 주소를 입력해 주세요 (예: name@example.com).',
      emailThanks: '고마워요! {email} 주소로 답변을 보내 드릴게요.',
      csatAsk: '상담은 어떠셨나요?',
      csatScale: '1점(매우 불만족)부터 5점(매우 만족)까지',
      csatPoint: '{n}점',
      csatLow: '매우 불만족',
      csatHigh: '매우 만족',
      csatComment: '의견 (선택)',
      csatSend: '평가 보내기',
      csatPick: '점수를 골라 주세요.',
      csatThanks: '평가해 주셔서 감사합니다!',
      sentAt: '{t}에 보냄'
    },
    en: {
      title: 'StreamFlix Help',
      open: 'Open chat',
      openUnread: 'Open chat, {n} unread messages',
      close: 'Close chat',
      dialog: 'Chat with StreamFlix Help',
      log: 'Conversation',
      input: 'Type a message',
      placeholder: 'Type a message',
      send: 'Send',
      talk: 'Talk to a person',
      bot: 'Our bot is answering',
      botName: 'Bot',
      you: 'You',
      agent: 'Agent',
      system: 'Notice',
      queued: 'Waiting for a person',
      queuePos: 'Position {pos} in line · about {eta} min',
      queuePosOnly: 'Position {pos} in line',
      assigned: 'Talking with {name}',
      closed: 'This conversation has ended',
      offline: 'No one is available right now',
      typingBot: 'The bot is typing',
      typingAgent: '{name} is typing',
      helpful: 'This helped',
      notHelpful: 'This did not help',
      thanks: 'Thanks for the feedback',
      reconnecting: 'Connection lost. Reconnecting…',
      sending: 'Sending',
      failed: 'Not sent (too long)',
      emailAsk: 'Leave your email and an agent will reply there.',
      emailLabel: 'Email address',
      emailSend: 'Leave my email',
      emailBad: 'Please enter a valid email address (like name@example.com).',
      emailThanks: 'Thanks! We will reply to {email}.',
      csatAsk: 'How was your conversation?',
      csatScale: 'From 1 (very unhappy) to 5 (very happy)',
      csatPoint: '{n} points',
      csatLow: 'very unhappy',
      csatHigh: 'very happy',
      csatComment: 'Comment (optional)',
      csatSend: 'Send rating',
      csatPick: 'Please choose a rating.',
      csatThanks: 'Thanks for rating us!',
      sentAt: 'sent at {t}'
    }
  };

  // ---------------------------------------------------------------- config
  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  var data = (script && script.dataset) || {};
  var origin = new URL((script && script.src) || location.href, location.href).origin;
  var lang = pickLang([data.lang, document.documentElement.lang, navigator.language]);
  var T = STRINGS[lang];
  var KEY = 'helpline:v1:' + origin + ':';
  var MAX_KEPT = 200; // messages cached for reloads; older ones are dropped
  var TALK_PAYLOAD = '/talk_to_agent';

  function pickLang(candidates) {
    for (var i = 0; i < candidates.length; i++) {
      var code = String(candidates[i] || '').slice(0, 2).toLowerCase();
      if (STRINGS[code]) return code;
    }
    return 'ko';
  }

  // the shared helpers (web_widget/common.js), inlined before this script by the server
  var fmt = helplineCommon.fmt;
  var el = helplineCommon.elementMaker('hl-');
  var markdown = helplineCommon.markdown(el);

  function renderMarkdown(text) { return markdown(text, lang); }

  // ---------------------------------------------------------------- storage
  // localStorage is shared by every tab of the page's origin: that is what keeps one
  // conversation across reloads and tabs. It may be unavailable (privacy modes).
  function load(name, fallback) {
    try {
      var raw = localStorage.getItem(KEY + name);
      return raw ? JSON.parse(raw) : fallback;
    } catch (e) { return fallback; }
  }
  function save(name, value) {
    try { localStorage.setItem(KEY + name, JSON.stringify(value)); } catch (e) { /* full or off */ }
  }

  function newId() { return helplineCommon.newId('w'); }

  // ---------------------------------------------------------------- state
  var conv = load('conv', null) || { token: null, messages: [] };
  var state = {
    seen: {},          // seq -> true: each stored message is rendered once
    status: 'bot',
    agentName: null,
    queue: null,       // {position, eta_s}
    ask: null,         // the form shown under the log: 'email', 'csat' or null
    emailId: null,     // the email.submit waiting for its email.ack
    canEmail: true,    // the server can send replies by email (session.ready's `email`)
    unread: 0,
    open: false,
    identity: null,
    listeners: {},
    seenSent: 0        // the newest seq this page told the server the customer saw
  };

  function lastSeq() {
    var m = conv.messages;
    return m.length ? m[m.length - 1].seq : 0;
  }

  function remember(msg) {
    var stored = load('conv', null);
    if (stored && stored.token === conv.token) conv.messages = mergeBySeq(stored.messages, conv.messages);
    conv.messages = mergeBySeq(conv.messages, [msg]).slice(-MAX_KEPT);
    save('conv', conv);
  }

  function mergeBySeq(a, b) {
    var bySeq = {};
    a.concat(b).forEach(function (m) { bySeq[m.seq] = m; });
    return Object.keys(bySeq).map(Number).sort(function (x, y) { return x - y; })
      .map(function (s) { return bySeq[s]; });
  }

  function outbox() { return load('outbox', []); }
  function setOutbox(list) { save('outbox', list); }
  function dropFromOutbox(id) {
    var list = outbox().filter(function (f) { return f.id !== id; });
    setOutbox(list);
  }

  function emit(name, value) {
    (state.listeners[name] || []).forEach(function (fn) {
      try { fn(value); } catch (e) { setTimeout(function () { throw e; }); }
    });
  }

  // ---------------------------------------------------------------- styles
  var accent = /^#[0-9a-f]{3}([0-9a-f]{3})?$/i.test(data.color || '') ? data.color : '#b0142c';
  var onAccent = readableOn(accent);

  function readableOn(hex) {
    var h = hex.length === 4 ? hex.replace(/(\w)/g, '$1$1').slice(1) : hex.slice(1);
    var lum = [0, 2, 4].map(function (i) {
      var c = parseInt(h.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var L = 0.2126 * lum[0] + 0.7152 * lum[1] + 0.0722 * lum[2];
    return L > 0.179 ? '#111' : '#fff';
  }

  // widget.css, inlined as a string before this script by the server (one file for the page)
  var CSS = HELPLINE_WIDGET_CSS;

  // ---------------------------------------------------------------- view
  var ICON = 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z';
  var THUMB = 'M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.3l1-4.9c0-.4-.2-.8-.5-1.1L14.2 1 7.6 7.6C7.2 8 7 8.5 7 9v10c0 1.1.9 2 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z';
  var ui = buildView();
  followLogEnd();

  function buildView() {
    var host = document.createElement('helpline-widget'); // no tag selector of the page matches it
    var root = host.attachShadow({ mode: 'open' });
    var style = document.createElement('style');
    style.textContent = CSS;
    var wrap = el('div', 'root');
    wrap.style.setProperty('--hl-accent', accent);
    wrap.style.setProperty('--hl-on-accent', onAccent);
    root.append(style, wrap);

    var launcher = el('button', 'launcher');
    launcher.type = 'button';
    launcher.setAttribute('aria-expanded', 'false');
    launcher.setAttribute('aria-controls', 'hl-panel');
    launcher.appendChild(icon(ICON));
    var badge = el('span', 'badge');
    badge.hidden = true;
    badge.setAttribute('aria-hidden', 'true');
    launcher.appendChild(badge);

    var panel = el('div', 'panel');
    panel.id = 'hl-panel';
    panel.hidden = true;
    panel.setAttribute('role', 'dialog');
    panel.setAttribute('aria-labelledby', 'hl-title');
    panel.setAttribute('aria-describedby', 'hl-sub');

    var head = el('div', 'head');
    var who = el('div', 'who');
    var title = el('h2', 'title', data.title || T.title);
    title.id = 'hl-title';
    var sub = el('div', 'sub');
    sub.id = 'hl-sub';
    sub.setAttribute('role', 'status');
    who.append(title, sub);
    var closeBtn = el('button', 'x');
    closeBtn.type = 'button';
    closeBtn.appendChild(el('span', null, '×')).setAttribute('aria-hidden', 'true');
    closeBtn.setAttribute('aria-label', T.close);
    head.append(who, closeBtn);

    var banner = el('div', 'banner', T.reconnecting);
    banner.hidden = true;
    banner.setAttribute('role', 'status');

    var log = el('div', 'log');
    log.setAttribute('role', 'log');
    log.setAttribute('aria-live', 'polite');
    log.setAttribute('aria-label', T.log);
    log.tabIndex = 0; // scrollable region must be reachable by keyboard

    var typing = el('div', 'typing');
    typing.hidden = true;
    typing.setAttribute('aria-live', 'polite');

    var actions = el('div', 'actions');
    var talk = el('button', 'talk', T.talk);
    talk.type = 'button';
    actions.appendChild(talk);

    var form = el('form', 'form');
    var label = el('label', 'sr', T.input);
    label.htmlFor = 'hl-input';
    var input = el('textarea', 'input');
    input.id = 'hl-input';
    input.rows = 1;
    input.maxLength = 2000;
    input.placeholder = T.placeholder;
    input.value = load('draft', '');
    var send = el('button', 'send', T.send);
    send.type = 'submit';
    form.append(label, input, send);

    var extra = el('div', 'extra');
    extra.hidden = true;

    panel.append(head, banner, log, typing, extra, actions, form);
    wrap.append(panel, launcher);
    return {
      host: host, root: root, wrap: wrap, launcher: launcher, badge: badge, panel: panel,
      sub: sub, closeBtn: closeBtn, banner: banner, log: log, typing: typing, talk: talk,
      form: form, input: input, extra: extra
    };
  }

  function icon(d) {
    var ns = 'http://www.w3.org/2000/svg';
    var svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    var path = document.createElementNS(ns, 'path');
    path.setAttribute('d', d);
    svg.appendChild(path);
    return svg;
  }

  function senderName(msg) {
    if (msg.sender === 'customer') return T.you;
    if (msg.sender === 'agent') return msg.name || state.agentName || T.agent;
    if (msg.sender === 'system') return T.system;
    return T.botName;
  }

  function messageNode(msg, pending) {
    var node = el('div', 'msg ' + msg.sender + (pending ? ' pending' : ''));
    if (msg.seq) node.dataset.seq = msg.seq;
    if (msg.client_id) node.dataset.clientId = msg.client_id;
    var from = msg.sender === 'agent' ? el('div', 'from', senderName(msg)) : el('span', 'sr', senderName(msg) + ': ');
    var bubble = el('div', 'bubble');
    bubble.appendChild(msg.sender === 'customer' ? document.createTextNode(msg.text) : renderMarkdown(msg.text));
    if (msg.attachment) bubble.appendChild(fileNode(msg.attachment));
    if (pending) bubble.appendChild(el('span', 'sr', ' (' + T.sending + ')'));
    node.append(from, bubble);
    // the rating form stands in for a rating request's buttons
    if (msg.buttons && msg.buttons.length && msg.kind !== 'csat') node.appendChild(choices(msg.buttons));
    if (msg.sender === 'bot' && msg.kind === 'answer' && msg.seq) node.appendChild(rating(msg));
    if (typeof msg.at === 'number') node.appendChild(timeNode(msg.at));
    return node;
  }

  // The stored time (common.js), said with its meaning to screen readers.
  function timeNode(at) {
    var node = helplineCommon.timeElement(el, at, lang);
    node.setAttribute('aria-label', fmt(T.sentAt, { t: node.textContent }));
    return node;
  }

  function choices(buttons) {
    var box = el('div', 'choices');
    buttons.forEach(function (b) {
      var btn = el('button', 'choice', b.label);
      btn.type = 'button';
      btn.addEventListener('click', function () { sendMessage(b.label, b.payload); });
      box.appendChild(btn);
    });
    return box;
  }

  function rating(msg) {
    var box = el('div', 'rate');
    var given = load('rated', {})[conv.token + ':' + msg.seq];
    [[true, 'up', T.helpful], [false, 'down', T.notHelpful]].forEach(function (spec) {
      var btn = el('button', 'thumb ' + spec[1]);
      btn.appendChild(icon(THUMB));
      btn.type = 'button';
      btn.setAttribute('aria-label', spec[2]);
      btn.setAttribute('aria-pressed', String(given === spec[0]));
      btn.disabled = given != null;
      btn.addEventListener('click', function () { sendFeedback(msg.seq, spec[0], box); });
      box.appendChild(btn);
    });
    return box;
  }

  function showMessage(msg) {
    if (state.seen[msg.seq]) return false;
    state.seen[msg.seq] = true;
    var pending = msg.client_id && ui.log.querySelector('[data-client-id="' + cssId(msg.client_id) + '"]');
    var node = messageNode(msg, false);
    if (pending) pending.remove();
    var after = Array.prototype.find.call(ui.log.children, function (n) {
      return !n.dataset.seq || Number(n.dataset.seq) > msg.seq;
    });
    ui.log.insertBefore(node, after || null);
    ui.log.scrollTop = ui.log.scrollHeight;
    return true;
  }

  function cssId(id) { return String(id).replace(/["\\]/g, ''); }

  function showPending(frame) {
    if (ui.log.querySelector('[data-client-id="' + cssId(frame.id) + '"]')) return;
    var node = messageNode({ sender: 'customer', text: frame.text, client_id: frame.id, attachment: frame.file }, true);
    ui.log.appendChild(node);
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function renderHeader() {
    var s = state.status;
    var text = T.bot;
    if (s === 'queued') text = queueText(state.queue);
    else if (s === 'assigned') text = fmt(T.assigned, { name: state.agentName || T.agent });
    else if (s === 'closed') text = T.closed;
    else if (s === 'offline') text = T.offline;
    ui.sub.textContent = text;
    ui.talk.hidden = s === 'queued' || s === 'assigned' || s === 'offline'; // already asked
  }

  function queueText(q) {
    if (!q || q.position == null) return T.queued;
    if (q.eta_s == null) return fmt(T.queuePosOnly, { pos: q.position });
    return fmt(T.queuePos, { pos: q.position, eta: Math.max(1, Math.round(q.eta_s / 60)) });
  }

  function renderBadge() {
    var n = state.unread;
    ui.badge.hidden = n === 0;
    ui.badge.textContent = n > 99 ? '99+' : String(n);
    ui.launcher.setAttribute('aria-label', n ? fmt(T.openUnread, { n: n }) : T.open);
  }

  function setTyping(sender, on) {
    ui.typing.hidden = !on;
    ui.typing.textContent = '';
    if (!on) return;
    var text = sender === 'agent' ? fmt(T.typingAgent, { name: state.agentName || T.agent }) : T.typingBot;
    ui.typing.append(document.createTextNode(text), el('span', 'dots'));
  }

  // ---------------------------------------------------------------- open / close
  function open() {
    state.open = true;
    state.unread = 0;
    ui.panel.hidden = false;
    ui.wrap.classList.add('hl-open');
    ui.launcher.setAttribute('aria-expanded', 'true');
    renderBadge();
    try { sessionStorage.setItem(KEY + 'open', '1'); } catch (e) { /* off */ }
    ensureConnected();
    ui.log.scrollTop = ui.log.scrollHeight;
    ui.input.focus();
    reportSeen();
    emit('open');
  }

  function close() {
    var wasOpen = state.open;
    state.open = false;
    ui.panel.hidden = true;
    ui.wrap.classList.remove('hl-open');
    ui.launcher.setAttribute('aria-expanded', 'false');
    try { sessionStorage.removeItem(KEY + 'open'); } catch (e) { /* off */ }
    if (wasOpen) ui.launcher.focus();
    emit('close');
  }

  // ---------------------------------------------------------------- connection
  var ws = null;
  var ready = false;
  var attempt = 0;
  var retryTimer = null;
  var pingTimer = null;
  var typingTimer = null;
  var typingSent = false;
  var heardAt = 0;

  function wsUrl() {
    return origin.replace(/^http/, 'ws') + '/ws/customer';
  }

  // Where the customer is, for the agent's card: only an http(s) page, without its
  // fragment (often a token after a sign-in redirect), and never past the server's limit.
  function pageUrl() {
    var href = String(location.href).split('#')[0];
    return /^https?:/i.test(href) && href.length <= 1000 ? href : null;
  }

  // "Seen" for the agent: the newest agent reply, once it is on screen for the customer
  // (panel open, page visible); the server keeps the highest seq, so a repeat is harmless.
  function reportSeen() {
    if (!ready || !state.open || document.visibilityState !== 'visible') return;
    var newest = 0;
    conv.messages.forEach(function (m) { if (m.sender === 'agent' && m.seq > newest) newest = m.seq; });
    if (newest > state.seenSent && send({ type: 'message.seen', seq: newest })) state.seenSent = newest;
  }

  function ensureConnected() {
    if (ws || retryTimer) return;
    connect();
  }

  function connect() {
    retryTimer = null;
    ready = false;
    var sock = new WebSocket(wsUrl());
    ws = sock;
    sock.onopen = function () {
      sock.send(JSON.stringify({
        type: 'session.hello', token: conv.token, last_seq: conv.token ? lastSeq() : 0,
        lang: lang, identity: state.identity, page: pageUrl()
      }));
    };
    sock.onmessage = function (ev) {
      if (sock !== ws) return;
      heardAt = Date.now();
      var frame;
      try { frame = JSON.parse(ev.data); } catch (e) { return; }
      if (frame && typeof frame.type === 'string') handle(frame);
    };
    sock.onclose = function () {
      if (sock !== ws) return;
      dropped();
    };
  }

  function dropped() {
    ws = null;
    ready = false;
    clearInterval(pingTimer);
    ui.banner.hidden = false;
    setTyping(null, false);
    schedule();
  }

  // Exponential backoff with full jitter, so many widgets do not return at the same instant.
  function schedule() {
    if (retryTimer) return;
    var ceiling = Math.min(30000, 500 * Math.pow(2, attempt));
    attempt += 1;
    retryTimer = setTimeout(connect, ceiling / 2 + Math.random() * ceiling / 2);
  }

  function reconnectNow() {
    clearTimeout(retryTimer);
    retryTimer = null;
    var old = ws;
    ws = null;
    if (old) { try { old.close(); } catch (e) { /* already closing */ } }
    connect();
  }

  // A socket can die without a close event (sleeping laptop, NAT timeout): silence means gone.
  function keepAlive() {
    if (Date.now() - heardAt > 60000) reconnectNow();
    else send({ type: 'ping' });
  }

  function send(frame) {
    if (!ready) return false;
    ws.send(JSON.stringify(frame, withoutFile));
    return true;
  }

  function flushOutbox() {
    outbox().forEach(function (frame) {
      if (frame.type === 'message.new') showPending(frame);
      send(frame);
      if (frame.type !== 'message.new') dropFromOutbox(frame.id);
    });
  }

  var HANDLERS = {
    'session.ready': function (f) {
      if (f.token !== conv.token || !f.resumed) adopt(f.token, f.resumed);
      ready = true;
      attempt = 0;
      ui.banner.hidden = true;
      state.canEmail = f.email !== false; // older servers do not say: they always could
      setStatus(f.status);
      flushOutbox();
      reportSeen();
      clearInterval(pingTimer);
      pingTimer = setInterval(keepAlive, 25000);
    },
    'message.new': function (f) {
      if (typeof f.seq !== 'number') return;
      if (f.client_id) dropFromOutbox(f.client_id);
      if (f.sender !== 'customer') setTyping(null, false);
      remember(f);
      if (f.sender === 'agent') reportSeen();
      if (!showMessage(f)) return;
      if (f.sender === 'bot' && FORM_KINDS[f.kind]) askFor(FORM_KINDS[f.kind]);
      if (!state.open && f.sender !== 'customer') { state.unread += 1; renderBadge(); }
      emit('message', JSON.parse(JSON.stringify(f)));
    },
    'message.ack': function (f) {
      var frame = outbox().filter(function (x) { return x.id === f.id; })[0];
      dropFromOutbox(f.id);
      if (!frame || frame.type !== 'message.new' || typeof f.seq !== 'number') return;
      // The echo may go only to other tabs: the ack alone is enough to place the message.
      var msg = { type: 'message.new', seq: f.seq, sender: 'customer', text: frame.text, client_id: f.id, buttons: [], at: f.at };
      if (frame.file) msg.attachment = frame.file;
      remember(msg);
      showMessage(msg);
    },
    'typing.start': function (f) {
      if (f.sender === 'agent' && f.name) state.agentName = f.name;
      if (f.sender !== 'customer') setTyping(f.sender, true);
    },
    'typing.stop': function () { setTyping(null, false); },
    'conversation.status': function (f) { setStatus(f.status); },
    'queue.position': function (f) { state.queue = f; setStatus('queued'); },
    'agent.joined': function (f) { state.agentName = f.name || null; setStatus('assigned'); },
    'agent.left': function () { state.agentName = null; renderHeader(); },
    'email.ack': function (f) {
      dropFromOutbox(f.id);
      if (f.id !== state.emailId) { markDone('email', f.email); renderExtra(); return; }
      state.emailId = null;
      finish('email', f.email, fmt(T.emailThanks, { email: f.email }));
    },
    'error': function (f) { onError(f); }
  };

  function handle(frame) {
    var fn = HANDLERS[frame.type];
    if (fn) fn(frame);
  }

  function setStatus(status) {
    if (!status) return;
    if (status !== 'queued') state.queue = null;
    state.status = status;
    if (status === 'closed') askFor('csat');
    else if (status === 'offline') askFor('email');
    else if (status === 'assigned' || (status === 'bot' && formDone())) askFor(null);
    renderHeader();
    emit('status', status);
  }

  function onError(f) {
    if (f.code === 'rate_limited') {
      // The server kept nothing: the same frames (same ids) go again a little later.
      setTimeout(function () { if (ready) flushOutbox(); }, 1500);
    } else if (f.code === 'bad_email') {
      state.emailId = null;
      emailRefused();
    } else if (f.code === 'email_unavailable') {
      state.emailId = null;
      state.canEmail = false;
      askFor(null);
    } else if (f.code === 'too_large') {
      markFailed();
    }
  }

  function markFailed() {
    var pending = ui.log.querySelectorAll('.hl-pending');
    var node = pending[pending.length - 1];
    if (!node) return;
    dropFromOutbox(node.dataset.clientId);
    node.classList.replace('hl-pending', 'hl-failed');
    node.appendChild(el('div', 'from', T.failed));
  }

  // A new conversation (first visit, unknown token, or another tab started one).
  function adopt(token, resumed) {
    if (!resumed) {
      conv = { token: token, messages: [] };
      state.seen = {};
      state.seenSent = 0;
      ui.log.textContent = '';
      askFor(null);
    }
    conv.token = token;
    save('conv', conv);
  }

  // ---------------------------------------------------------------- actions
  function sendMessage(text, payload) {
    text = String(text || '').trim();
    if (!text) return;
    var frame = { type: 'message.new', id: newId(), text: text };
    if (payload) frame.payload = payload;
    setOutbox(outbox().concat([frame]));
    showPending(frame);
    stopTyping();
    if (!send(frame)) ensureConnected();
  }

  function sendFeedback(seq, helpful, box) {
    var frame = { type: 'feedback.new', id: newId(), seq: seq, helpful: helpful };
    var rated = load('rated', {});
    rated[conv.token + ':' + seq] = helpful;
    save('rated', rated);
    box.querySelectorAll('button').forEach(function (b, i) {
      b.disabled = true;
      b.setAttribute('aria-pressed', String((i === 0) === helpful));
    });
    box.appendChild(el('span', null, T.thanks));
    sendOrKeep(frame);
  }

  function sendOrKeep(frame) {
    if (!send(frame)) { setOutbox(outbox().concat([frame])); ensureConnected(); }
  }

  // ---------------------------------------------------------------- files
  // A file goes up over HTTP with the conversation's token (never a cookie: the page is
  // another site's), then a message.new names it, so it is stored before it is shown like
  // any message. Files are read back the same way, into blob: URLs of this page.
  var FILE_STRINGS = {
    ko: { attach: '파일 첨부', tooLarge: '파일이 너무 커요 (최대 {size}).', badType: '이미지(PNG, JPEG, GIF, WebP), PDF, 텍스트 파일만 보낼 수 있어요.', failed: '파일을 보내지 못했어요. 다시 해 주세요.' },
    en: { attach: 'Attach a file', tooLarge: 'That file is too large (at most {size}).', badType: 'Only images (PNG, JPEG, GIF, WebP), PDF and text files can be sent.', failed: 'The file was not sent. Please try again.' }
  };
  var FT = FILE_STRINGS[lang];
  var CLIP = 'M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6h-1.5z';
  var showFile = helplineCommon.showFile(el);
  var fileUrls = {}; // file id -> promise of its blob: URL, fetched once per page

  function withoutFile(key, value) { return key === 'file' ? undefined : value; } // kept for display only

  function addFileControls() {
    var btn = el('button', 'attach');
    btn.type = 'button';
    btn.setAttribute('aria-label', FT.attach);
    btn.appendChild(icon(CLIP));
    var picker = el('input', 'sr');
    picker.type = 'file';
    picker.tabIndex = -1;
    picker.setAttribute('aria-hidden', 'true');
    picker.accept = 'image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain';
    var err = el('p', 'file-err');
    err.setAttribute('role', 'alert');
    btn.addEventListener('click', function () { picker.click(); });
    picker.addEventListener('change', function () {
      if (picker.files && picker.files[0]) uploadFile(picker.files[0]);
      picker.value = '';
    });
    ui.input.addEventListener('paste', function (ev) {
      var file = ev.clipboardData && ev.clipboardData.files && ev.clipboardData.files[0];
      if (file) { ev.preventDefault(); uploadFile(file); }
    });
    ui.form.insertBefore(btn, ui.form.lastChild);
    ui.form.appendChild(picker);
    ui.panel.insertBefore(err, ui.form);
    ui.attach = btn;
    ui.fileErr = err;
  }

  function fileError(text) { ui.fileErr.textContent = text || ''; }

  function uploadFile(file) {
    fileError('');
    if (!conv.token) { ensureConnected(); fileError(FT.failed); return; }
    ui.attach.disabled = true;
    fetch(origin + '/customer/attachments?name=' + encodeURIComponent(file.name || ''), {
      method: 'POST', body: file,
      headers: { 'X-Conversation-Token': conv.token, 'Content-Type': file.type || 'application/octet-stream' }
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (res.ok && body.attachment) return sendFile(body.attachment);
        if (res.status === 413 && body.max_bytes) fileError(fmt(FT.tooLarge, { size: helplineCommon.fileSize(body.max_bytes) }));
        else if (res.status === 415) fileError(FT.badType);
        else fileError(FT.failed);
      });
    }, function () { fileError(FT.failed); }).then(function () { ui.attach.disabled = false; });
  }

  function sendFile(file) {
    var text = ui.input.value.trim(); // words typed before attaching go with the file
    ui.input.value = '';
    save('draft', '');
    var frame = { type: 'message.new', id: newId(), text: text, attachment: file.id, file: file };
    setOutbox(outbox().concat([frame]));
    showPending(frame);
    stopTyping();
    if (!send(frame)) ensureConnected();
  }

  function fileNode(file) {
    var node = showFile(file, null, lang);
    var image = node.querySelector('img');
    if (image) image.addEventListener('load', keepNewestInView); // it grew the log
    if (image) fileUrl(file.id).then(function (url) { helplineCommon.setFileUrl(node, url); }, function () { /* alt text stays */ });
    else {
      node.addEventListener('click', function (ev) {
        if (node.href) return; // fetched: the browser downloads it
        ev.preventDefault();
        fileUrl(file.id).then(function (url) { helplineCommon.setFileUrl(node, url); node.click(); });
      });
    }
    return node;
  }

  function fileUrl(id) {
    if (!fileUrls[id]) {
      fileUrls[id] = fetch(origin + '/customer/attachments/' + encodeURIComponent(id), {
        headers: { 'X-Conversation-Token': conv.token }
      }).then(function (res) {
        if (!res.ok) throw new Error(String(res.status));
        return res.blob();
      }).then(function (blob) { return URL.createObjectURL(blob); });
      fileUrls[id].catch(function () { delete fileUrls[id]; }); // a later render tries again
    }
    return fileUrls[id];
  }

  addFileControls();

  // ---------------------------------------------------------------- email and rating forms
  // The email form when nobody can answer now, the rating form once an agent has closed;
  // each is answered once per conversation (remembered with the conversation's token).
  var FORM_KINDS = { offline: 'email', email: 'email', csat: 'csat' };

  function formsDone() { return load('forms', {})[conv.token] || {}; }

  function formDone() { return !!(state.ask && formsDone()[state.ask]); }

  function markDone(name, value) {
    var all = load('forms', {});
    var mine = all[conv.token] || {};
    mine[name] = value;
    all[conv.token] = mine;
    save('forms', all);
  }

  function askFor(kind) {
    if (kind === 'email' && !state.canEmail) kind = null; // never offer what cannot be sent
    if (state.ask === kind) return;
    state.ask = kind;
    renderExtra();
  }

  // A form already answered is not shown again (its thanks is shown once, by finish()).
  function renderExtra() {
    var box = ui.extra;
    var show = state.ask && !formsDone()[state.ask];
    box.textContent = '';
    box.hidden = !show;
    if (show) box.appendChild(state.ask === 'email' ? emailForm() : csatForm());
    keepNewestInView();
  }

  // The form under the log (or a phone's keyboard) takes its height from the log: scroll
  // the newest messages back into view, unless the customer had scrolled up to read.
  var LOG_END_PX = 48; // this close to the end counts as reading the newest
  var logAtEnd = true;

  function keepNewestInView() {
    if (logAtEnd) ui.log.scrollTop = ui.log.scrollHeight;
  }

  function followLogEnd() {
    ui.log.addEventListener('scroll', function () {
      logAtEnd = ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight <= LOG_END_PX;
    });
    if (window.ResizeObserver) new ResizeObserver(keepNewestInView).observe(ui.log);
  }

  function thanks(text) {
    var p = el('p', 'done', text);
    p.setAttribute('role', 'status');
    p.tabIndex = -1;
    return p;
  }

  function formParts(form, errId) {
    form.noValidate = true;
    var err = el('p', 'err');
    err.id = errId;
    err.setAttribute('aria-live', 'assertive');
    return err;
  }

  function emailForm() {
    var form = el('form', 'card email-form');
    var err = formParts(form, 'hl-email-err');
    var intro = el('p', null, T.emailAsk);
    intro.id = 'hl-email-ask';
    form.setAttribute('aria-labelledby', 'hl-email-ask');
    var label = el('label', null, T.emailLabel);
    label.htmlFor = 'hl-email';
    var input = el('input', 'field email');
    input.id = 'hl-email';
    input.type = 'email';
    input.autocomplete = 'email';
    input.required = true;
    input.maxLength = 254;
    input.setAttribute('aria-describedby', 'hl-email-err');
    var btn = el('button', 'submit', T.emailSend);
    btn.type = 'submit';
    form.append(intro, label, input, err, btn);
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var email = input.value.trim();
      if (!validEmail(email)) {
        input.setAttribute('aria-invalid', 'true');
        err.textContent = T.emailBad;
        input.focus();
        return;
      }
      input.removeAttribute('aria-invalid');
      err.textContent = '';
      btn.disabled = true;
      state.emailId = newId();
      sendOrKeep({ type: 'email.submit', id: state.emailId, email: email });
    });
    return form;
  }

  function validEmail(value) {
    return value.length <= 254 && /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(value);
  }

  function csatForm() {
    var form = el('form', 'card csat-form');
    var err = formParts(form, 'hl-csat-err');
    var scale = el('fieldset', 'scale');
    scale.appendChild(el('legend', null, T.csatAsk));
    scale.setAttribute('aria-describedby', 'hl-csat-ends');
    for (var n = 1; n <= 5; n++) {
      var star = el('label', 'star');
      var radio = el('input');
      radio.type = 'radio';
      radio.name = 'hl-csat';
      radio.value = String(n);
      radio.setAttribute('aria-label', fmt(T.csatPoint, { n: n }));
      star.append(radio, el('span', null, String(n)));
      scale.appendChild(star);
    }
    var ends = el('div', 'ends');
    ends.id = 'hl-csat-ends';
    ends.append(el('span', null, '1 · ' + T.csatLow), el('span', null, '5 · ' + T.csatHigh));
    scale.appendChild(ends);
    var label = el('label', null, T.csatComment);
    label.htmlFor = 'hl-csat-comment';
    var comment = el('textarea', 'field comment');
    comment.id = 'hl-csat-comment';
    comment.rows = 2;
    comment.maxLength = 1000;
    var btn = el('button', 'submit', T.csatSend);
    btn.type = 'submit';
    form.append(scale, label, comment, err, btn);
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var picked = form.querySelector('input[name="hl-csat"]:checked');
      if (!picked) { err.textContent = T.csatPick; form.querySelector('input').focus(); return; }
      var frame = { type: 'csat.submit', id: newId(), rating: Number(picked.value) };
      if (comment.value.trim()) frame.comment = comment.value.trim();
      sendOrKeep(frame);
      finish('csat', frame.rating, T.csatThanks);
    });
    return form;
  }

  function finish(name, value, text) {
    markDone(name, value);
    ui.extra.textContent = '';
    ui.extra.hidden = false;
    var done = ui.extra.appendChild(thanks(text));
    keepNewestInView();
    if (state.open) done.focus({ preventScroll: true });
  }

  // The server refused the address: say so in the form, which stays open.
  function emailRefused() {
    var err = ui.extra.querySelector('#hl-email-err');
    var input = ui.extra.querySelector('#hl-email');
    if (!err || !input) return;
    err.textContent = T.emailBad;
    input.setAttribute('aria-invalid', 'true');
    ui.extra.querySelector('.hl-submit').disabled = false;
    input.focus();
  }

  function stopTyping() {
    clearTimeout(typingTimer);
    if (typingSent) send({ type: 'typing.stop' });
    typingSent = false;
  }

  function onInput() {
    save('draft', ui.input.value);
    if (!typingSent && ui.input.value) typingSent = send({ type: 'typing.start' });
    clearTimeout(typingTimer);
    typingTimer = setTimeout(stopTyping, 3000);
  }

  function submit(ev) {
    ev.preventDefault();
    var text = ui.input.value;
    if (!text.trim()) return;
    ui.input.value = '';
    save('draft', '');
    sendMessage(text);
    ui.input.focus();
  }

  function wire() {
    ui.launcher.addEventListener('click', function () { state.open ? close() : open(); });
    ui.closeBtn.addEventListener('click', close);
    ui.talk.addEventListener('click', function () { sendMessage(T.talk, TALK_PAYLOAD); });
    ui.form.addEventListener('submit', submit);
    ui.input.addEventListener('input', onInput);
    ui.input.addEventListener('keydown', function (ev) {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) submit(ev);
    });
    ui.wrap.addEventListener('keydown', function (ev) {
      if (ev.key === 'Escape' && state.open) { ev.stopPropagation(); close(); }
    });
    window.addEventListener('offline', function () { if (ws) { var s = ws; ws = null; s.close(); dropped(); } });
    document.addEventListener('visibilitychange', reportSeen);
    window.addEventListener('online', function () { if (state.open || conv.token) reconnectNow(); });
    window.addEventListener('storage', onStorage);
  }

  // Another tab of this site changed the shared conversation: follow it.
  function onStorage(ev) {
    if (ev.key === KEY + 'conv') {
      var stored = load('conv', null);
      if (stored && stored.token && stored.token !== conv.token) {
        conv = stored;
        state.seen = {};
        ui.log.textContent = '';
        conv.messages.forEach(showMessage);
        reconnectNow();
      }
    } else if (ev.key === KEY + 'draft' && ui.root.activeElement !== ui.input) {
      ui.input.value = load('draft', '');
    }
  }

  // ---------------------------------------------------------------- public API
  function identify(who) {
    who = who || {};
    var next = { id: String(who.id || ''), name: who.name || null, email: who.email || null, signature: who.signature || null };
    // passed on as given: the host site signed this very object (docs/protocol.md)
    if (who.attributes && typeof who.attributes === 'object') next.attributes = who.attributes;
    var previous = load('identity', null);
    state.identity = next;
    save('identity', { id: next.id });
    // A different person on this browser must not see the previous person's conversation.
    if (previous && previous.id !== next.id) {
      conv = { token: null, messages: [] };
      save('conv', conv);
      setOutbox([]);
      state.seen = {};
      ui.log.textContent = '';
    }
    if (ws) reconnectNow();
  }

  function on(name, fn) {
    if (typeof fn !== 'function') return;
    (state.listeners[name] = state.listeners[name] || []).push(fn);
  }

  var api = {
    version: '1',
    open: open,
    close: close,
    identify: identify,
    on: on
  };

  function start() {
    document.body.appendChild(ui.host);
    conv.messages.forEach(showMessage);
    conv.messages.forEach(function (m) { if (m.sender === 'bot' && FORM_KINDS[m.kind]) askFor(FORM_KINDS[m.kind]); });
    renderHeader();
    renderBadge();
    wire();
    window.Helpline = api;
    var queued = (prior && prior.q) || [];
    queued.forEach(function (call) {
      var fn = api[call[0]];
      if (fn) fn.apply(null, Array.prototype.slice.call(call[1] || []));
    });
    var keepOpen = false;
    try { keepOpen = sessionStorage.getItem(KEY + 'open') === '1'; } catch (e) { /* off */ }
    if (keepOpen || data.open === 'true' || data.open === '') { if (!state.open) open(); }
    else if (conv.token || outbox().length) ensureConnected();
  }

  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start);
})();
