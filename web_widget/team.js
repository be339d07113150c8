/* Helpline console, Team page (supervisors): the agents with their presence and load, an
   add form, and per agent teams, capacity, role and lock (GET/POST /api/agents, PATCH
   /api/agents/{id}, GET /api/teams). No dependencies but common.js and page.js. */
(function () {
  'use strict';

  var STRINGS = {
    ko: {
      title: '팀 관리', skip: '상담원 목록으로 건너뛰기', pages: '콘솔 화면', deskLink: '실시간 상담',
      teamLink: '팀 관리', language: '언어', signedOut: '먼저 상담 콘솔에서 관리자로 로그인하세요.',
      forbidden: '팀 관리는 관리자만 할 수 있어요.', signInLink: '콘솔로 가기', agents: '상담원',
      name: '이름', email: '이메일', role: '역할', teams: '팀', capacity: '동시 상담 수', state: '상태',
      load: '상담 중', actions: '작업', add: '상담원 추가', teamsHint: '팀 (쉼표로 구분)',
      addButton: '추가', save: '저장', lock: '잠그기', unlock: '잠금 해제', locked: '잠김',
      online: '접속 중', away: '자리 비움', offline: '오프라인', role_agent: '상담원',
      role_supervisor: '관리자', role_author: '작성자', teamsTitle: '팀',
      members: '{team}: {n}명, 접속 {online}명', nobody: '구성원 없음',
      saved: '{name} 님의 정보를 저장했어요.', added: '{name} 님을 추가했어요.',
      password: '{name} 님의 첫 비밀번호: {p} (지금 한 번만 보여요. 안전하게 전해 주세요.)',
      lockedDone: '{name} 님의 계정을 잠갔어요. 진행 중인 상담은 대기열로 돌아갔어요.',
      unlockedDone: '{name} 님의 계정 잠금을 풀었어요.', failed: '처리하지 못했어요: {m}',
      editTeams: '{name} 님의 팀', editCapacity: '{name} 님의 동시 상담 수', editRole: '{name} 님의 역할'
    },
    en: {
      title: 'Team', skip: 'Skip to the agents', pages: 'Console pages', deskLink: 'Live desk',
      teamLink: 'Team', language: 'Language', signedOut: 'Sign in on the console as a supervisor first.',
      forbidden: 'Only supervisors manage the team.', signInLink: 'Go to the console', agents: 'Agents',
      name: 'Name', email: 'Email', role: 'Role', teams: 'Teams', capacity: 'Capacity', state: 'State',
      load: 'Load', actions: 'Actions', add: 'Add an agent', teamsHint: 'Teams (comma-separated)',
      addButton: 'Add', save: 'Save', lock: 'Lock', unlock: 'Unlock', locked: 'Locked',
      online: 'Online', away: 'Away', offline: 'Offline', role_agent: 'Agent',
      role_supervisor: 'Supervisor', role_author: 'Author', teamsTitle: 'Teams',
      members: '{team}: {n} members, {online} online', nobody: 'no members',
      saved: "Saved {name}'s account.", added: 'Added {name}.',
      password: "{name}'s first password: {p} (shown this once; pass it on safely).",
      lockedDone: "Locked {name}'s account; their conversations went back to the queue.",
      unlockedDone: "Unlocked {name}'s account.", failed: 'Could not do it: {m}',
      editTeams: "{name}'s teams", editCapacity: "{name}'s capacity", editRole: "{name}'s role"
    }
  };
  var ROLES = ['agent', 'supervisor', 'author'];
  var page = helplinePage;
  var fmt = helplineCommon.fmt;
  var el = helplineCommon.elementMaker('');
  var $ = function (id) { return document.getElementById(id); };
  var lang = page.pickLang(STRINGS);
  var T = STRINGS[lang];
  var S = { me: null, agents: [], teams: [] };

  function applyLang() {
    page.showTexts(T, lang, ' · Helpline');
    render();
  }

  function failed(err) {
    if (err.status === 401) return;  // the signed-out view is shown
    $('error').textContent = fmt(T.failed, { m: err && err.message ? err.message : String(err) });
  }

  function reload() {
    return Promise.all([page.json('GET', '/api/agents'), page.json('GET', '/api/teams')]).then(function (found) {
      S.agents = found[0].agents;
      S.teams = found[1].teams;
      render();
    });
  }

  // ------------------------------------------------------------ the list
  function render() {
    if (!S.me) return;
    page.fill($('agent-rows'), S.agents, agentRow);
    page.fill($('team-list'), S.teams, function (t) {
      var names = t.members.map(function (m) { return m.name; }).join(', ') || T.nobody;
      return el('li', null, fmt(T.members, { team: t.name, n: t.members.length, online: t.online }) + ' — ' + names);
    });
  }

  function agentRow(a) {
    var tr = el('tr');
    tr.dataset.agent = a.id;
    var th = el('th', null, a.name);
    th.scope = 'row';
    tr.appendChild(th);
    tr.appendChild(el('td', null, a.email));
    var role = el('select');
    ROLES.forEach(function (r) {
      var option = el('option', null, T['role_' + r]);
      option.value = r;
      role.appendChild(option);
    });
    role.value = a.role;
    role.setAttribute('aria-label', fmt(T.editRole, { name: a.name }));
    var teams = el('input');
    teams.value = a.teams.join(', ');
    teams.setAttribute('aria-label', fmt(T.editTeams, { name: a.name }));
    var capacity = el('input');
    capacity.type = 'number';
    capacity.min = '1';
    capacity.max = '50';
    capacity.value = String(a.capacity);
    capacity.setAttribute('aria-label', fmt(T.editCapacity, { name: a.name }));
    [role, teams, capacity].forEach(function (input) {
      var td = el('td');
      td.appendChild(input);
      tr.appendChild(td);
    });
    tr.appendChild(el('td', null, a.locked ? T.locked : (T[a.presence] || a.presence)));
    tr.appendChild(el('td', null, a.load + ' / ' + a.capacity));
    var actions = el('td');
    var save = el('button', null, T.save);
    save.type = 'button';
    save.setAttribute('aria-label', T.save + ' · ' + a.name);
    save.addEventListener('click', function () {
      change(a, { teams: splitTeams(teams.value), capacity: Number(capacity.value), role: role.value },
        fmt(T.saved, { name: a.name }));
    });
    var lock = el('button', null, a.locked ? T.unlock : T.lock);
    lock.type = 'button';
    lock.setAttribute('aria-label', (a.locked ? T.unlock : T.lock) + ' · ' + a.name);
    lock.hidden = S.me && a.id === S.me.id;  // the API refuses locking oneself
    lock.addEventListener('click', function () {
      change(a, { locked: !a.locked }, fmt(a.locked ? T.unlockedDone : T.lockedDone, { name: a.name }));
    });
    actions.appendChild(save);
    actions.appendChild(lock);
    tr.appendChild(actions);
    return tr;
  }

  function splitTeams(text) {
    return text.split(',').map(function (t) { return t.trim(); }).filter(Boolean);
  }

  function change(agent, body, done) {
    $('error').textContent = '';
    page.json('PATCH', '/api/agents/' + encodeURIComponent(agent.id), body).then(function () {
      page.announce(done);
      return reload();
    }).then(function () {
      var row = document.querySelector('tr[data-agent="' + agent.id + '"] button');
      if (row) row.focus();  // keep the keyboard where it was after the list is rebuilt
    }).catch(failed);
  }

  // ------------------------------------------------------------ adding
  function add(event) {
    event.preventDefault();
    $('error').textContent = '';
    var body = {
      name: $('new-name').value.trim(), email: $('new-email').value.trim(), role: $('new-role').value,
      teams: splitTeams($('new-teams').value), capacity: Number($('new-capacity').value)
    };
    page.json('POST', '/api/agents', body).then(function (data) {
      var shown = $('initial-password');
      shown.textContent = fmt(T.password, { name: data.agent.name, p: data.initial_password });
      shown.hidden = false;
      page.announce(fmt(T.added, { name: data.agent.name }));
      $('add-form').reset();
      return reload();
    }).catch(failed);
  }

  function start() {
    applyLang();
    page.onLanguage(STRINGS, function (code) { lang = code; T = STRINGS[code]; applyLang(); });
    $('add-form').addEventListener('submit', add);
    page.signIn({
      main: 'manage', signedOut: 'signed-out',
      allow: function (me) { return me.role === 'supervisor'; },
      refused: function () { $('signed-out-text').dataset.t = 'forbidden'; applyLang(); }
    }).then(function (me) {
      if (!me) return null;
      S.me = me;
      return reload().catch(failed);
    });
  }

  start();
})();
