/* Helpline unanswered inbox, for authors: clusters of messages the bot could not answer,
   added to an intent or dismissed; agents' answers offered as drafts. No dependencies but
   common.js and page.js. */
(function () {
  'use strict';

  // ---------------------------------------------------------------- strings
  var STRINGS = {
    ko: {
      title: 'Helpline 미응답 수신함', skip: '수신함으로 건너뛰기', pages: '페이지', consoleLink: '상담 콘솔',
      language: '언어', logout: '로그아웃', loginTitle: '작성자 로그인', email: '이메일', password: '비밀번호',
      signIn: '로그인', badLogin: '이메일 또는 비밀번호가 맞지 않아요.',
      tooMany: '로그인 시도가 너무 많아요. {s}초 후에 다시 해 주세요.', loginFailed: '로그인하지 못했어요. 잠시 후 다시 해 주세요.',
      forbidden: '이 페이지는 작성자와 관리자만 쓸 수 있어요.', views: '보기',
      unanswered: '미응답', learn: '상담원 답변에서 배우기', refresh: '새로 고침',
      unansweredHint: '챗봇이 이해하지 못했거나, 되물었거나, "도움 안 됨" 평가를 받은 메시지를 비슷한 것끼리 묶었어요. 의도의 예문으로 추가하면 같은 말을 쓰는 고객이 그 답변을 받아요.',
      answersHint: '상담원이 응대하고 종료한 대화의 질문과 답변이에요. 답변을 초안으로 새 의도를 만들면 챗봇의 FAQ 답변이자 자주 쓰는 답변이 돼요. 규칙 검사를 거쳐 파일에 저장하거나, 복사하거나, YAML로 내려받을 수 있어요.',
      clustersEmpty: '살펴볼 메시지가 없어요. 챗봇이 모두 답했어요.', draftsEmpty: '아직 상담원이 답한 질문이 없어요.',
      summary: '묶음 {c}개, 메시지 {n}개', size: '메시지 {n}개', asked: '질문 {n}번', nearest: '가장 가까운 의도: {intent} ({score}점)',
      noNearest: '가까운 의도 없음', last: '마지막: {when}', messages: '메시지', moreMessages: '같은 말이 더 있어요 (모두 {n}개)',
      flag_fallback: '이해 못 함', flag_clarify: '되물음', flag_thumbs_down: '도움 안 됨 평가',
      lang_ko: '한국어', lang_en: '영어', intentLabel: '추가할 의도', intentHint: '의도 이름이나 제목으로 검색하세요.',
      addAll: '메시지 {n}개 모두 추가', addTicked: '선택한 메시지 추가', dismiss: '제외',
      unknownIntent: '"{name}" 의도가 없어요. 목록에서 골라 주세요.', noneTicked: '추가할 메시지를 먼저 선택하세요.',
      adding: '추가하는 중…', dismissing: '제외하는 중…',
      added: '{intent} 의도({file})에 예문 {k}개를 추가하고 규칙을 다시 불러왔어요. 이 묶음의 메시지 {messages}개 중 {answered}개에 이제 챗봇이 답해요.',
      addedNone: '{intent} 의도에 이미 있는 예문이었어요. 이 묶음의 메시지 {messages}개 중 {answered}개에 챗봇이 답해요.',
      dismissed: '메시지 {n}개를 제외했어요. 다시 나타나지 않아요.',
      failed: '하지 못했어요: {m} 선택한 내용은 그대로 있어요.', offline: '서버에 연결하지 못했어요.',
      loadFailed: '수신함을 불러오지 못했어요: {m}',
      customer: '고객', agent: '상담원', useAnswer: '이 답변 사용', draftName: '새 의도 이름',
      snippet: 'YAML 초안', copyYaml: 'YAML 복사', download: 'YAML 내려받기', copyAnswer: '답변만 복사',
      copied: '클립보드에 복사했어요.', copyManual: '복사하지 못했어요. 선택된 글을 Ctrl+C로 복사하세요.',
      downloaded: '{file} 파일을 내려받았어요.', yamlTodo: '{lang} 답변을 써 주세요', badName: '의도 이름은 영문 소문자로 시작하고 영문 소문자, 숫자, _ 로 써 주세요.',
      category: '팀 (분류)', file: '저장할 파일', examplesLabel: '예문 (한 줄에 하나)', answerLabel: '답변',
      addIntent: '새 의도로 추가',
      intentAdded: '{file}에 {intent} 의도를 추가하고 규칙을 다시 불러왔어요. 예문 {examples}개 중 {answered}개에 이제 챗봇이 답해요.'
    },
    en: {
      title: 'Helpline inbox', skip: 'Skip to the inbox', pages: 'Pages', consoleLink: 'Console',
      language: 'Language', logout: 'Log out', loginTitle: 'Author sign-in', email: 'Email', password: 'Password',
      signIn: 'Sign in', badLogin: 'Wrong email or password.',
      tooMany: 'Too many attempts. Try again in {s} s.', loginFailed: 'Could not sign in. Please try again shortly.',
      forbidden: 'This page is for authors and supervisors.', views: 'Views',
      unanswered: 'Unanswered', learn: 'Learn from agents', refresh: 'Refresh',
      unansweredHint: 'Messages the bot fell back on, asked back about, or got a thumbs-down for, grouped by similarity. Add them as examples of an intent, and customers who write them get that answer.',
      answersHint: 'Questions people answered in conversations they closed. Make an answer a new intent, and it becomes the bot\'s FAQ answer and a canned answer: written to a file once the rules check passes, or copied, or downloaded as YAML.',
      clustersEmpty: 'Nothing to look at: the bot answered everything.', draftsEmpty: 'No answered questions yet.',
      summary: 'Clusters: {c} · messages: {n}', size: '{n} messages', size_one: '1 message', asked: 'asked {n} times', asked_one: 'asked once', nearest: 'nearest intent: {intent} ({score})',
      noNearest: 'no intent near', last: 'last: {when}', messages: 'Messages', moreMessages: 'More with the same wording ({n} in all)',
      flag_fallback: 'fallback', flag_clarify: 'clarify', flag_thumbs_down: 'thumbs-down',
      lang_ko: 'Korean', lang_en: 'English', intentLabel: 'Intent to add to', intentHint: 'Search by intent name or title.',
      addAll: 'Add all {n} messages', addAll_one: 'Add the message', addTicked: 'Add the ticked messages', dismiss: 'Dismiss',
      unknownIntent: 'There is no intent "{name}". Pick one from the list.', noneTicked: 'Tick the messages to add first.',
      adding: 'Adding…', dismissing: 'Dismissing…',
      added: 'Added to {intent} ({file}) as new examples: {k}. Rules reloaded: the bot now answers {answered} of the {messages} in this cluster.',
      addedNone: '{intent} had these examples already. The bot answers {answered} of the {messages} in this cluster.',
      dismissed: 'Dismissed {n} messages. They will not come back.', dismissed_one: 'Dismissed the message. It will not come back.',
      failed: 'That did not work: {m} Your choices are kept.', offline: 'Could not reach the server.',
      loadFailed: 'Could not load the inbox: {m}',
      customer: 'Customer', agent: 'Agent', useAnswer: 'Use this answer', draftName: 'New intent name',
      snippet: 'YAML draft', copyYaml: 'Copy YAML', download: 'Download YAML', copyAnswer: 'Copy the answer only',
      copied: 'Copied to the clipboard.', copyManual: 'Could not copy. The text is selected: press Ctrl+C.',
      downloaded: 'Downloaded {file}.', yamlTodo: 'write the {lang} answer', badName: 'Write the intent name in lower-case letters, digits and _, starting with a letter.',
      category: 'Team (category)', file: 'File to write to', examplesLabel: 'Examples (one a line)', answerLabel: 'Answer',
      addIntent: 'Add as a new intent',
      intentAdded: 'Added the intent {intent} to {file} and reloaded the rules. The bot now answers {answered} of its {examples} examples.'
    }
  };
  var AUTHOR_ROLES = ['author', 'supervisor'];
  var INTENT_NAME = /^[a-z][a-z0-9_]*$/;
  var page = helplinePage;
  var lang = page.pickLang(STRINGS);
  var T = STRINGS[lang];

  var fmt = helplineCommon.fmt;
  var el = helplineCommon.elementMaker('');
  var markdown = helplineCommon.markdown(el);
  var $ = function (id) { return document.getElementById(id); };

  // T[key] with {n} filled, or T[key + '_one'] for one where the language has such a form
  function count(key, n) { return fmt(n === 1 && T[key + '_one'] ? T[key + '_one'] : T[key], { n: n }); }

  // ---------------------------------------------------------------- state
  var S = {
    agent: null,
    tab: 'unanswered',
    clusters: [],
    total: 0,
    drafts: [],
    intents: [],       // [{name, category, title: {lang: text}, file}]
    languages: [],     // the rules' languages: every intent answers in each
    choices: {},       // cluster id -> {intent, ticked: {text: true}}: kept through reloads and failures
    errors: {},        // cluster id -> the last refusal, shown in its card
    busy: {},          // cluster id -> true while its request runs
    picks: {}          // draft id -> {name, pair}
  };

  // ---------------------------------------------------------------- HTTP
  // {status, data} for the callers that branch on it: 200 for any success, 0 when the
  // server could not be reached; a 401 (but the login's own) shows the login form
  function api(method, path, body) {
    return page.json(method, path, body).then(function (data) {
      return { status: 200, data: data };
    }, function (err) {
      if (err.status === 401 && path !== '/api/agent/login') showLogin();
      return { status: err.status, data: err.data };
    });
  }

  function refusal(reply) {
    if (!reply.status) return T.offline;
    return (reply.data && reply.data.message) || ('HTTP ' + reply.status);
  }

  // ---------------------------------------------------------------- language
  function applyLang() {
    page.showTexts(T, lang);
    if (S.agent) render();
  }

  // ---------------------------------------------------------------- sign-in
  function onLogin(ev) {
    ev.preventDefault();
    var error = $('login-error');
    error.textContent = '';
    var body = { email: $('email').value.trim(), password: $('password').value };
    api('POST', '/api/agent/login', body).then(function (reply) {
      if (reply.status === 200) { $('password').value = ''; start(reply.data.agent); return; }
      if (reply.status === 429) error.textContent = fmt(T.tooMany, { s: reply.data.retry_after_s || 60 });
      else if (reply.status === 401) error.textContent = T.badLogin;
      else error.textContent = T.loginFailed;
      $('password').focus();
    });
  }

  function onLogout() {
    api('POST', '/api/agent/logout').then(showLogin);
  }

  function showView(id) {
    ['login-view', 'forbidden-view', 'inbox'].forEach(function (v) { $(v).hidden = v !== id; });
  }

  function showLogin() {
    S.agent = null;
    showView('login-view');
    $('who').hidden = true;
    $('email').focus();
  }

  function start(agent) {
    S.agent = agent;
    $('agent-name').textContent = agent.name || agent.email || '';
    $('who').hidden = false;
    if (AUTHOR_ROLES.indexOf(agent.role) < 0) { showView('forbidden-view'); return; }
    showView('inbox');
    loadAll();
  }

  // ---------------------------------------------------------------- loading
  // the intents first: a draft's first choices (its file, its team) come from them
  function loadAll() {
    return loadIntents().then(function () { return Promise.all([loadClusters(), loadDrafts()]); });
  }

  function loadIntents() {
    return api('GET', '/api/inbox/intents').then(function (reply) {
      if (reply.status !== 200) { showBanner(fmt(T.loadFailed, { m: refusal(reply) })); return; }
      S.intents = reply.data.intents || [];
      S.languages = reply.data.languages || [];
      renderIntentList();
    });
  }

  function loadClusters() {
    return api('GET', '/api/inbox').then(function (reply) {
      if (reply.status !== 200) { showBanner(fmt(T.loadFailed, { m: refusal(reply) })); return; }
      S.clusters = reply.data.clusters || [];
      S.total = reply.data.total || 0;
      renderClusters();
    });
  }

  function loadDrafts() {
    return api('GET', '/api/inbox/answers').then(function (reply) {
      if (reply.status !== 200) { showBanner(fmt(T.loadFailed, { m: refusal(reply) })); return; }
      S.drafts = reply.data.drafts || [];
      renderDrafts();
    });
  }

  function showBanner(text) {
    $('banner').textContent = text;
    $('banner').hidden = !text;
  }

  // ---------------------------------------------------------------- rendering
  function render() {
    renderIntentList();
    renderClusters();
    renderDrafts();
  }

  function intentTitle(intent) {
    return (intent.title && (intent.title[lang] || intent.title.en || intent.title.ko)) || intent.name;
  }

  function renderIntentList() {
    var list = $('intent-names');
    list.textContent = '';
    S.intents.forEach(function (intent) {
      var option = el('option');
      option.value = intent.name;
      option.label = intentTitle(intent) + ' · ' + intent.category;
      list.appendChild(option);
    });
  }

  function badge(text, cls) { return el('span', 'badge' + (cls ? ' ' + cls : ''), text); }

  function nearestBadge(nearest) {
    if (!nearest) return badge(T.noNearest);
    return badge(fmt(T.nearest, { intent: nearest.intent, score: Math.round(nearest.score) }));
  }

  function when(seconds) { return new Date(seconds * 1000).toLocaleString(lang); }

  // element ids from a cluster id: the server's are hex, but nothing here depends on it
  function domId(prefix, id) { return prefix + String(id).replace(/[^A-Za-z0-9_-]/g, '_'); }

  function choiceOf(cluster) {
    if (!S.choices[cluster.id]) {
      S.choices[cluster.id] = { intent: cluster.nearest ? cluster.nearest.intent : '', ticked: {} };
    }
    return S.choices[cluster.id];
  }

  function renderClusters() {
    var list = $('clusters');
    list.textContent = '';
    S.clusters.forEach(function (c) { list.appendChild(clusterCard(c)); });
    $('clusters-empty').hidden = S.clusters.length > 0;
    $('unanswered-count').textContent = String(S.clusters.length);
    $('inbox-summary').textContent = fmt(T.summary, { c: S.clusters.length, n: S.total });
  }

  function clusterCard(c) {
    var li = el('li', 'card cluster');
    li.dataset.cluster = c.id;
    var article = el('article');
    var titleId = domId('cluster-title-', c.id);
    article.setAttribute('aria-labelledby', titleId);
    var title = el('h2', 'card-title', '“' + (c.messages[0] || '') + '”');
    title.id = titleId;
    title.lang = c.language;
    var meta = el('p', 'meta');
    meta.append(badge(count('size', c.size), 'size'), badge(T['lang_' + c.language] || c.language));
    (c.flags || []).forEach(function (f) { meta.appendChild(badge(T['flag_' + f] || f, 'flag')); });
    meta.append(nearestBadge(c.nearest), el('span', 'when', fmt(T.last, { when: when(c.last_at) })));
    article.append(title, meta, messageChoices(c), clusterControls(c));
    var error = el('p', 'error', S.errors[c.id] || '');
    error.id = domId('cluster-error-', c.id);
    error.setAttribute('role', 'alert');
    article.appendChild(error);
    li.appendChild(article);
    return li;
  }

  function messageChoices(c) {
    var choice = choiceOf(c);
    var set = el('fieldset', 'messages');
    set.appendChild(el('legend', null, T.messages));
    var list = el('ul', 'message-list');
    c.messages.forEach(function (text, i) {
      var box = el('input');
      box.type = 'checkbox';
      box.id = domId('msg-' + i + '-', c.id);
      box.checked = !!choice.ticked[text];
      box.addEventListener('change', function () {
        if (box.checked) choice.ticked[text] = true; else delete choice.ticked[text];
      });
      var label = el('label', null, text);
      label.htmlFor = box.id;
      label.lang = c.language;
      var item = el('li');
      item.append(box, label);
      list.appendChild(item);
    });
    set.appendChild(list);
    if (c.size > c.messages.length) set.appendChild(el('p', 'more', fmt(T.moreMessages, { n: c.size })));
    return set;
  }

  function clusterControls(c) {
    var choice = choiceOf(c);
    var box = el('div', 'controls');
    var inputId = domId('intent-', c.id);
    var hintId = domId('intent-hint-', c.id);
    var label = el('label', null, T.intentLabel);
    label.htmlFor = inputId;
    var input = el('input', 'intent-choice');
    input.id = inputId;
    input.type = 'text';
    input.setAttribute('list', 'intent-names');
    input.autocomplete = 'off';
    input.spellcheck = false;
    input.value = choice.intent;
    input.setAttribute('aria-describedby', hintId + ' ' + domId('cluster-error-', c.id));
    input.addEventListener('input', function () { choice.intent = input.value.trim(); });
    var hint = el('span', 'hint', T.intentHint);
    hint.id = hintId;
    var field = el('div', 'field');
    field.append(label, input, hint);
    var busy = !!S.busy[c.id];
    var all = button(count('addAll', c.size), 'primary add-all', busy, function () { add(c, null); });
    var some = button(T.addTicked, 'add-ticked', busy, function () {
      var texts = c.messages.filter(function (t) { return choice.ticked[t]; });
      if (!texts.length) { fail(c, T.noneTicked); return; }
      add(c, texts);
    });
    var drop = button(T.dismiss, 'dismiss', busy, function () { dismiss(c); });
    var actions = el('div', 'actions');
    actions.append(all);
    if (c.messages.length > 1) actions.appendChild(some); // one wording: "all" is the same
    actions.appendChild(drop);
    box.append(field, actions);
    return box;
  }

  function button(text, cls, disabled, onClick) {
    var b = el('button', cls, text);
    b.type = 'button';
    b.disabled = disabled;
    b.addEventListener('click', onClick);
    return b;
  }

  // ---------------------------------------------------------------- actions on clusters
  function card(c) {
    return document.querySelector('#clusters li[data-cluster="' + CSS.escape(c.id) + '"]');
  }

  // A refusal shown in the cluster's card, everything the author chose left as it was.
  function fail(c, text) {
    S.errors[c.id] = text;
    var node = $(domId('cluster-error-', c.id));
    if (node) node.textContent = text;
  }

  function setBusy(c, busy, text) {
    if (busy) S.busy[c.id] = true; else delete S.busy[c.id];
    var node = card(c);
    if (!node) return;
    node.setAttribute('aria-busy', String(busy));
    node.querySelectorAll('.actions button').forEach(function (b) { b.disabled = busy; });
    // progress goes to the polite status line, not the card's alert; done() fills it after
    $('inbox-result').textContent = busy ? text : '';
    if (busy) fail(c, '');
  }

  function add(c, texts) {
    var choice = choiceOf(c);
    var known = S.intents.some(function (i) { return i.name === choice.intent; });
    if (!known) { fail(c, fmt(T.unknownIntent, { name: choice.intent })); focusIntent(c); return; }
    setBusy(c, true, T.adding);
    var body = { intent: choice.intent };
    if (texts) body.messages = texts;
    api('POST', '/api/inbox/' + encodeURIComponent(c.id) + '/add', body).then(function (reply) {
      setBusy(c, false);
      if (reply.status !== 200) { fail(c, fmt(T.failed, { m: refusal(reply) })); return; }
      var a = reply.data;
      var text = a.examples.length ? T.added : T.addedNone;
      done(c, fmt(text, {
        k: a.examples.length, intent: a.intent, file: a.file ? a.file.split('/').pop() : '',
        answered: a.answered, messages: a.messages
      }));
    });
  }

  function dismiss(c) {
    setBusy(c, true, T.dismissing);
    api('POST', '/api/inbox/' + encodeURIComponent(c.id) + '/dismiss').then(function (reply) {
      setBusy(c, false);
      if (reply.status !== 200) { fail(c, fmt(T.failed, { m: refusal(reply) })); return; }
      done(c, count('dismissed', reply.data.dismissed));
    });
  }

  // After a write: say what it did where focus can go (the card is about to go), reload.
  function done(c, text) {
    delete S.choices[c.id];
    delete S.errors[c.id];
    var result = $('inbox-result');
    result.textContent = text;
    result.focus();
    loadClusters();
  }

  function focusIntent(c) {
    var input = $(domId('intent-', c.id));
    if (input) input.focus();
  }

  // ---------------------------------------------------------------- learn from agents
  // What the author has made of a draft so far; kept through reloads and failed writes.
  function pickOf(d) {
    if (S.picks[d.id]) return S.picks[d.id];
    var questions = [];
    d.pairs.forEach(function (p) { if (questions.indexOf(p.question) < 0) questions.push(p.question); });
    var pick = { name: '', category: defaultCategory(), file: defaultFile(d), pair: 0, examples: {}, answers: {} };
    draftLanguages(d).forEach(function (l) { pick.examples[l] = ''; pick.answers[l] = ''; });
    pick.examples[d.language] = questions.join('\n');
    pick.answers[d.language] = (d.pairs[0] || { answer: '' }).answer;
    S.picks[d.id] = pick;
    return pick;
  }

  // the draft's language first, then the others the rules need an answer in
  function draftLanguages(d) {
    var others = (S.languages.length ? S.languages : ['ko', 'en']).filter(function (l) { return l !== d.language; });
    return [d.language].concat(others);
  }

  function distinct(key) {
    var seen = [];
    S.intents.forEach(function (i) { if (i[key] && seen.indexOf(i[key]) < 0) seen.push(i[key]); });
    return seen;
  }

  function defaultCategory() {
    var categories = distinct('category');
    return categories.indexOf('general') >= 0 ? 'general' : (categories[0] || 'general');
  }

  // the file of the intent the question is nearest to: the same subject, most likely
  function defaultFile(d) {
    var near = d.nearest && S.intents.filter(function (i) { return i.name === d.nearest.intent; })[0];
    return (near && near.file) || distinct('file')[0] || '';
  }

  function renderDrafts() {
    var list = $('drafts');
    list.textContent = '';
    S.drafts.forEach(function (d) { list.appendChild(draftCard(d)); });
    $('drafts-empty').hidden = S.drafts.length > 0;
    $('answers-count').textContent = String(S.drafts.length);
  }

  function draftCard(d) {
    var pick = pickOf(d);
    var li = el('li', 'card draft');
    li.dataset.draft = d.id;
    var article = el('article');
    var titleId = domId('draft-title-', d.id);
    article.setAttribute('aria-labelledby', titleId);
    var first = d.pairs[0] || { question: '', answer: '' };
    var title = el('h2', 'card-title', '“' + first.question + '”');
    title.id = titleId;
    title.lang = d.language;
    var meta = el('p', 'meta');
    meta.append(badge(count('asked', d.size)), badge(T['lang_' + d.language] || d.language), nearestBadge(d.nearest));
    var pairs = el('ol', 'pairs');
    d.pairs.forEach(function (p, i) { pairs.appendChild(pairItem(d, p, i, pick)); });
    article.append(title, meta, pairs, draftForm(d, pick));
    li.appendChild(article);
    return li;
  }

  function pairItem(d, p, i, pick) {
    var item = el('li', 'pair');
    var q = el('div', 'q');
    q.append(el('span', 'who', T.customer + ': '), el('span', null, p.question));
    q.lang = d.language;
    var a = el('div', 'a');
    a.appendChild(el('span', 'who', T.agent + ': '));
    a.appendChild(markdown(p.answer, lang));
    a.lang = d.language;
    var radio = el('input');
    radio.type = 'radio';
    radio.name = domId('pick-', d.id);
    radio.id = domId('pick-' + i + '-', d.id);
    radio.checked = pick.pair === i;
    radio.addEventListener('change', function () {
      pick.pair = i;
      pick.answers[d.language] = p.answer;
      var box = $(domId('answer-' + d.language + '-', d.id));
      if (box) box.value = p.answer;
      showSnippet(d);
    });
    var label = el('label', 'inline', T.useAnswer);
    label.prepend(radio);
    item.append(q, a, label);
    return item;
  }

  function field(labelText, control, hint) {
    var box = el('div', 'field');
    var label = el('label', null, labelText);
    label.htmlFor = control.id;
    box.append(label, control);
    if (hint) box.appendChild(hint);
    return box;
  }

  function select(id, values, value, onChange) {
    var node = el('select');
    node.id = id;
    values.forEach(function (v) { var o = el('option', null, v); o.value = v; node.appendChild(o); });
    node.value = value;
    node.addEventListener('change', function () { onChange(node.value); });
    return node;
  }

  function draftForm(d, pick) {
    var form = el('form', 'controls draft-form');
    form.noValidate = true;
    var name = el('input', 'draft-name');
    name.id = domId('draft-name-', d.id);
    name.autocomplete = 'off';
    name.spellcheck = false;
    name.value = pick.name;
    name.placeholder = 'new_intent';
    name.addEventListener('input', function () { pick.name = name.value.trim(); showSnippet(d); });
    var category = select(domId('draft-category-', d.id), distinct('category'), pick.category, function (v) { pick.category = v; showSnippet(d); });
    var file = select(domId('draft-file-', d.id), distinct('file'), pick.file, function (v) { pick.file = v; });
    form.append(field(T.draftName, name), field(T.category, category), field(T.file, file));
    draftLanguages(d).forEach(function (l) { form.appendChild(languageFields(d, pick, l)); });
    var snippetLabel = el('h3', 'snippet-label', T.snippet);
    snippetLabel.id = domId('snippet-label-', d.id);
    var pre = el('pre', 'snippet');
    pre.id = domId('snippet-', d.id);
    pre.tabIndex = 0;
    pre.setAttribute('aria-labelledby', snippetLabel.id);
    pre.textContent = snippetText(d);
    var error = el('p', 'error', pick.error || '');
    error.id = domId('draft-error-', d.id);
    error.setAttribute('role', 'alert');
    var actions = el('div', 'actions');
    var write = button(T.addIntent, 'primary add-intent', !!S.busy['draft:' + d.id], function () {});
    write.type = 'submit';
    actions.append(
      write,
      button(T.copyYaml, 'copy-yaml', false, function () { copy(snippetText(d), pre); }),
      button(T.download, 'download-yaml', false, function () { download(d); }),
      button(T.copyAnswer, 'copy-answer', false, function () { copy(pick.answers[d.language] || '', pre); })
    );
    form.addEventListener('submit', function (ev) { ev.preventDefault(); addIntent(d, form); });
    form.append(actions, error, snippetLabel, pre);
    return form;
  }

  function languageFields(d, pick, l) {
    var set = el('fieldset', 'language');
    set.lang = l;
    set.appendChild(el('legend', null, T['lang_' + l] || l));
    var examples = el('textarea');
    examples.id = domId('examples-' + l + '-', d.id);
    examples.rows = 3;
    examples.value = pick.examples[l];
    examples.addEventListener('input', function () { pick.examples[l] = examples.value; showSnippet(d); });
    var answer = el('textarea');
    answer.id = domId('answer-' + l + '-', d.id);
    answer.rows = 3;
    answer.value = pick.answers[l];
    answer.addEventListener('input', function () { pick.answers[l] = answer.value; showSnippet(d); });
    set.append(field(T.examplesLabel, examples), field(T.answerLabel, answer));
    return set;
  }

  function lines(text) {
    return String(text || '').split('\n').map(function (t) { return t.trim(); }).filter(Boolean);
  }

  function draftName(d) {
    var name = pickOf(d).name;
    return INTENT_NAME.test(name) ? name : 'new_intent';
  }

  // An intents-file entry: YAML's double-quoted scalars read JSON's strings as they are.
  function snippetText(d) {
    var q = JSON.stringify;
    var pick = pickOf(d);
    var out = ['  - name: ' + draftName(d), '    category: ' + pick.category, '    examples:'];
    draftLanguages(d).forEach(function (l) {
      out.push('      ' + l + ': [' + lines(pick.examples[l]).map(function (t) { return q(t); }).join(', ') + ']');
    });
    out.push('    answer:');
    draftLanguages(d).forEach(function (l) {
      var text = (pick.answers[l] || '').trim();
      out.push('      ' + l + ': ' + q(text) + (text ? '' : '  # ' + fmt(T.yamlTodo, { lang: T['lang_' + l] || l })));
    });
    return out.join('\n') + '\n';
  }

  function showSnippet(d) {
    var pre = $(domId('snippet-', d.id));
    if (pre) pre.textContent = snippetText(d);
  }

  function draftStatus(text) { $('answers-result').textContent = text; }

  function draftError(d, text) {
    pickOf(d).error = text;
    var node = $(domId('draft-error-', d.id));
    if (node) node.textContent = text;
  }

  // The intent written through the rules loader, as the cluster's examples are.
  function addIntent(d, form) {
    var pick = pickOf(d);
    if (!INTENT_NAME.test(pick.name)) { draftError(d, T.badName); $(domId('draft-name-', d.id)).focus(); return; }
    var body = { file: pick.file, name: pick.name, category: pick.category, examples: {}, answer: {} };
    draftLanguages(d).forEach(function (l) {
      if (lines(pick.examples[l]).length) body.examples[l] = lines(pick.examples[l]);
      if ((pick.answers[l] || '').trim()) body.answer[l] = pick.answers[l].trim();
    });
    var key = 'draft:' + d.id;
    S.busy[key] = true;
    form.setAttribute('aria-busy', 'true');
    form.querySelector('.add-intent').disabled = true;
    draftError(d, '');
    draftStatus(T.adding);
    api('POST', '/api/inbox/answers', body).then(function (reply) {
      delete S.busy[key];
      form.removeAttribute('aria-busy');
      form.querySelector('.add-intent').disabled = false;
      draftStatus('');
      if (reply.status !== 200) { draftError(d, fmt(T.failed, { m: refusal(reply) })); return; }
      draftError(d, '');
      delete S.picks[d.id];
      var a = reply.data;
      var result = $('answers-result');
      result.textContent = fmt(T.intentAdded, { intent: a.intent, file: a.file, answered: a.answered, examples: a.examples });
      result.focus();
      loadAll();
    });
  }

  function copy(text, pre) {
    var copied = navigator.clipboard && navigator.clipboard.writeText
      ? navigator.clipboard.writeText(text) : Promise.reject(new Error('no clipboard'));
    copied.then(function () { draftStatus(T.copied); }, function () {
      var range = document.createRange();
      range.selectNodeContents(pre);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      pre.focus();
      draftStatus(T.copyManual);
    });
  }

  function download(d) {
    if (pickOf(d).name && !INTENT_NAME.test(pickOf(d).name)) { draftStatus(T.badName); return; }
    var file = draftName(d) + '.yaml';
    var blob = new Blob(['intents:\n' + snippetText(d)], { type: 'application/yaml' });
    var url = URL.createObjectURL(blob);
    var a = el('a');
    a.href = url;
    a.download = file;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
    draftStatus(fmt(T.downloaded, { file: file }));
  }

  // ---------------------------------------------------------------- tabs
  var TABS = ['unanswered', 'answers'];

  function selectTab(name, focus) {
    S.tab = name;
    TABS.forEach(function (t) {
      var tab = $('tab-' + t);
      var on = t === name;
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
      $('panel-' + t).hidden = !on;
      if (on && focus) tab.focus();
    });
  }

  // Left/Right, Home/End move between the tabs (the ARIA tabs pattern).
  function onTabKey(ev) {
    var at = TABS.indexOf(S.tab);
    var to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: TABS.length - 1 }[ev.key];
    if (to == null) return;
    ev.preventDefault();
    selectTab(TABS[(to + TABS.length) % TABS.length], true);
  }

  // ---------------------------------------------------------------- start
  function wire() {
    page.onLanguage(STRINGS, function (code) { lang = code; T = STRINGS[code]; applyLang(); });
    $('login').addEventListener('submit', onLogin);
    $('logout').addEventListener('click', onLogout);
    $('refresh').addEventListener('click', function () { $('inbox-result').textContent = ''; loadAll(); });
    TABS.forEach(function (t) {
      $('tab-' + t).addEventListener('click', function () { selectTab(t, false); });
      $('tab-' + t).addEventListener('keydown', onTabKey);
    });
  }

  function boot() {
    wire();
    applyLang();
    page.json('GET', '/api/agent/me').then(start, showLogin);
  }

  boot();
})();
