/* Helpline console, Canned answers page: the answers agents insert with "/shortcut"
   (GET /api/canned); supervisors add, edit and delete them (POST, PATCH, DELETE).
   No dependencies but common.js and page.js. */
(function () {
  'use strict';

  var STRINGS = {
    ko: {
      title: '자주 쓰는 답변', skip: '답변 목록으로 건너뛰기', pages: '콘솔 화면', deskLink: '실시간 상담',
      conversationsLink: '대화 목록', cannedLink: '자주 쓰는 답변', language: '언어',
      signedOut: '먼저 상담 콘솔에서 로그인하세요.', signInLink: '콘솔로 가기',
      readOnly: '자주 쓰는 답변은 관리자만 추가, 수정, 삭제할 수 있어요.',
      addTitle: '자주 쓰는 답변 추가', editTitle: '/{shortcut} 수정', shortcut: '단축어 (/ 다음)',
      shortcutHint: '글자, 숫자, _ 또는 - (예: refund, 환불)', titleField: '제목', team: '팀 (비우면 모두)',
      bodyKo: '한국어 답변', bodyEn: '영어 답변',
      placeholderHint: '{customer_name}, {agent_name}은 상담원이 답변을 넣을 때 채워져요.',
      add: '추가', save: '저장', cancel: '수정 취소', listTitle: '답변 목록', edit: '수정', remove: '삭제',
      editLabel: '/{shortcut} 수정', removeLabel: '/{shortcut} 삭제', confirmRemove: '/{shortcut} 답변을 삭제할까요?',
      everyone: '모든 팀', teamOf: '팀: {team}', count: '답변 {n}개', countOne: '답변 1개', none: '아직 자주 쓰는 답변이 없어요.',
      added: '/{shortcut} 답변을 추가했어요.', saved: '/{shortcut} 답변을 저장했어요.', removed: '/{shortcut} 답변을 삭제했어요.',
      needBody: '한국어나 영어 답변을 하나 이상 쓰세요.', taken: '이미 쓰는 단축어예요: {m}',
      forbidden: '관리자만 할 수 있어요.', notFound: '없는 답변이에요. 목록을 새로 불러왔어요.',
      bad: '입력을 확인하세요: {m}', failed: '처리하지 못했어요: {m}', offline: '서버에 연결할 수 없어요.',
      ko: '한국어', en: '영어'
    },
    en: {
      title: 'Canned answers', skip: 'Skip to the answers', pages: 'Console pages', deskLink: 'Live desk',
      conversationsLink: 'Conversations', cannedLink: 'Canned answers', language: 'Language',
      signedOut: 'Sign in on the console first.', signInLink: 'Go to the console',
      readOnly: 'Only supervisors add, change and delete canned answers.',
      addTitle: 'Add a canned answer', editTitle: 'Edit /{shortcut}', shortcut: 'Shortcut (after /)',
      shortcutHint: 'Letters, digits, _ or -, as in refund', titleField: 'Title', team: 'Team (empty: everyone)',
      bodyKo: 'Answer in Korean', bodyEn: 'Answer in English',
      placeholderHint: '{customer_name} and {agent_name} are filled in when an agent inserts the answer.',
      add: 'Add', save: 'Save', cancel: 'Cancel editing', listTitle: 'Answers', edit: 'Edit', remove: 'Delete',
      editLabel: 'Edit /{shortcut}', removeLabel: 'Delete /{shortcut}', confirmRemove: 'Delete the answer /{shortcut}?',
      everyone: 'Every team', teamOf: 'Team: {team}', count: '{n} answers', countOne: '1 answer', none: 'No canned answers yet.',
      added: 'Added /{shortcut}.', saved: 'Saved /{shortcut}.', removed: 'Deleted /{shortcut}.',
      needBody: 'Write the answer in Korean or English, or both.', taken: 'That shortcut is taken: {m}',
      forbidden: 'Only supervisors can do that.', notFound: 'No such answer; the list is read again.',
      bad: 'Check the form: {m}', failed: 'Could not do it: {m}', offline: 'The server cannot be reached.',
      ko: 'Korean', en: 'English'
    }
  };
  var LANGS = ['ko', 'en'];
  var page = helplinePage;
  var fmt = helplineCommon.fmt;
  var el = helplineCommon.elementMaker('');
  var $ = function (id) { return document.getElementById(id); };
  var lang = page.pickLang(STRINGS);
  var T = STRINGS[lang];
  var S = { answers: [], editing: null, supervisor: false };

  function applyLang() {
    page.showTexts(T, lang, ' · Helpline');
    renderEditorTitle();
    renderList();
  }

  // ------------------------------------------------------------ HTTP
  // the server's own words name a bad field; the rest is said in the page's language
  function refusal(err) {
    if (!err.status) return T.offline;
    if (err.status === 409) return fmt(T.taken, { m: err.message });
    if (err.status === 403) return T.forbidden;
    if (err.status === 404) return T.notFound;
    if (err.status === 400) return fmt(T.bad, { m: err.message });
    return fmt(T.failed, { m: err.message });
  }

  function failed(err) {
    if (err.status !== 401) $('error').textContent = refusal(err);  // 401: signed out
  }

  function load() {
    return page.json('GET', '/api/canned').then(function (data) {
      S.answers = data.canned || [];
      renderList();
    }, failed);
  }

  // ------------------------------------------------------------ the list
  function renderList() {
    page.fill($('answers'), S.answers, answerItem);
    $('status-line').textContent = page.countLine(T, S.answers.length, false);
  }

  function answerItem(a) {
    var item = el('li', 'entry');
    var head = el('h3');
    head.append(el('span', 'badge', '/' + a.shortcut), ' ', a.title);
    item.appendChild(head);
    item.appendChild(el('p', 'from', a.team ? fmt(T.teamOf, { team: a.team }) : T.everyone));
    var bodies = el('dl', 'identity');
    LANGS.forEach(function (code) {
      if (!a.bodies[code]) return;
      var dd = el('dd', '', a.bodies[code]);
      dd.lang = code;
      bodies.append(el('dt', '', T[code]), dd);
    });
    item.appendChild(bodies);
    if (S.supervisor) {
      var tools = el('div', 'conv-actions');
      var edit = el('button', '', T.edit);
      edit.type = 'button';
      edit.setAttribute('aria-label', fmt(T.editLabel, { shortcut: a.shortcut }));
      edit.addEventListener('click', function () { startEdit(a); });
      var remove = el('button', '', T.remove);
      remove.type = 'button';
      remove.setAttribute('aria-label', fmt(T.removeLabel, { shortcut: a.shortcut }));
      remove.addEventListener('click', function () { removeAnswer(a); });
      tools.append(edit, remove);
      item.appendChild(tools);
    }
    return item;
  }

  // ------------------------------------------------------------ the form
  function renderEditorTitle() {
    var a = S.editing;
    $('editor-title').textContent = a ? fmt(T.editTitle, { shortcut: a.shortcut }) : T.addTitle;
    $('save').textContent = a ? T.save : T.add;
    $('cancel').hidden = !a;
  }

  function startEdit(a) {
    S.editing = a;
    $('e-shortcut').value = a.shortcut;
    $('e-title').value = a.title;
    $('e-team').value = a.team || '';
    LANGS.forEach(function (code) { $('e-' + code).value = a.bodies[code] || ''; });
    $('error').textContent = '';
    renderEditorTitle();
    $('e-shortcut').focus();
  }

  function stopEdit() {
    S.editing = null;
    $('editor').reset();
    renderEditorTitle();
  }

  function formBody() {
    var bodies = {};
    LANGS.forEach(function (code) {
      var text = $('e-' + code).value.trim();
      if (text) bodies[code] = text;
    });
    return {
      shortcut: $('e-shortcut').value.trim().replace(/^\//, ''),
      title: $('e-title').value.trim(),
      team: $('e-team').value.trim() || null,
      bodies: bodies
    };
  }

  function onSave(ev) {
    ev.preventDefault();
    var body = formBody();
    if (!Object.keys(body.bodies).length) { $('error').textContent = T.needBody; $('e-ko').focus(); return; }
    var editing = S.editing;
    var request = editing ? page.json('PATCH', '/api/canned/' + encodeURIComponent(editing.id), body)
      : page.json('POST', '/api/canned', body);
    request.then(function (data) {
      $('error').textContent = '';
      page.announce(fmt(editing ? T.saved : T.added, { shortcut: data.canned.shortcut }));
      stopEdit();
      load().then(function () { $('e-shortcut').focus(); });
    }, function (err) {
      failed(err);
      if (err.status === 404) { stopEdit(); load(); }
    });
  }

  function removeAnswer(a) {
    if (!window.confirm(fmt(T.confirmRemove, { shortcut: a.shortcut }))) return;
    page.json('DELETE', '/api/canned/' + encodeURIComponent(a.id)).then(function () {
      $('error').textContent = '';
      if (S.editing && S.editing.id === a.id) stopEdit();
      page.announce(fmt(T.removed, { shortcut: a.shortcut }));
      load().then(function () { $('list-title').focus(); });
    }, function (err) { failed(err); load(); });
  }

  // ------------------------------------------------------------ plumbing
  function wire() {
    page.onLanguage(STRINGS, function (code) { lang = code; T = STRINGS[code]; applyLang(); });
    $('editor').addEventListener('submit', onSave);
    $('cancel').addEventListener('click', function () { stopEdit(); $('e-shortcut').focus(); });
    $('editor').addEventListener('keydown', function (ev) {
      if (ev.key === 'Escape' && S.editing) { stopEdit(); $('e-shortcut').focus(); }
    });
  }

  function boot() {
    wire();
    applyLang();
    page.signIn({ main: 'library', signedOut: 'signed-out' }).then(function (agent) {
      if (!agent) return null;
      S.supervisor = agent.role === 'supervisor';
      $('editor').hidden = !S.supervisor;
      $('read-only').hidden = S.supervisor;
      return load();
    });
  }

  boot();
})();
