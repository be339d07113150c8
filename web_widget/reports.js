/* Helpline console, Reports page (supervisors): the desk's figures for a period, a series
   chart (uPlot, vendored), tables per team, agent, intent and language, and the drill-down
   from any of them to the conversations behind it and their transcripts. Reads
   /api/reports and /api/reports/conversations with the console's session cookie. */
(function () {
  'use strict';

  // ---------------------------------------------------------------- strings
  var STRINGS = {
    ko: {
      title: 'Helpline 리포트', skip: '리포트로 건너뛰기', toConsole: '상담 콘솔로 돌아가기', language: '언어',
      signIn: '상담 콘솔에서 로그인하기', needLogin: '리포트를 보려면 먼저 로그인하세요.',
      needSupervisor: '리포트는 관리자만 볼 수 있어요.', failed: '리포트를 불러오지 못했어요: {m}',
      period: '기간', last7: '최근 7일', last30: '최근 30일', custom: '직접 지정', from: '시작일', to: '종료일',
      seriesBy: '차트', byDay: '일별', byHour: '시간별', show: '보기',
      badDates: '시작일과 종료일을 고르세요. 종료일은 시작일과 같거나 뒤여야 해요.',
      periodText: '{since} – {until} ({zone})', loading: '불러오는 중…', loaded: '리포트를 불러왔어요: {since} – {until}',
      figures: '주요 지표', figuresHint: '지표를 누르면 그 뒤의 대화 목록이 열려요.', csv: 'CSV 내려받기',
      csvOf: 'CSV 내려받기: {what}',
      conversations: '대화', containment_rate: '챗봇 해결률', handoff_rate: '상담원 연결률',
      fallback_rate: '답변 실패율', clarify_rate: '되묻기 비율',
      first_response_p50: '첫 응답 시간 (중앙값)', first_response_p90: '첫 응답 시간 (90%)',
      resolution_p50: '해결 시간 (중앙값)', resolution_p90: '해결 시간 (90%)',
      csat_average: '고객 만족도 평균', csat_count: '만족도 응답 수', handoffs: '상담원 연결',
      reasons: '상담원 연결 사유', reasonOf: '연결 사유: {reason}', reasonShare: '대화의 {rate}',
      change: '이전 기간 대비 {d}', noChange: '비교할 이전 기간 값 없음', noData: '데이터 없음',
      ofConversations: '대화 {n}건 중', series: '시간에 따른 대화',
      seriesTable: '차트를 표로 보기', chartAlt: '{by} 대화와 상담원 연결 차트, {n}개 구간, 가장 많은 날 {max}건. 아래 표에 같은 값이 있어요.',
      chartDay: '일별', chartHour: '시간별', when: '구간',
      by_team: '팀별', by_agent: '상담원별', by_intent: '의도별', by_language: '언어별',
      key_team: '팀', key_agent: '상담원', key_intent: '첫 의도', key_language: '언어',
      none: '(없음)', csat: '만족도', handoffRate: '연결률', containment: '해결률', fallbackRate: '실패율',
      firstResponse: '첫 응답 (중앙값)', resolution: '해결 (중앙값)',
      drillOf: '{what}: 대화 목록', drillTotal: '대화 {n}건', drillMore: '대화 {n}건 중 처음 {shown}건',
      drillNone: '이 지표에 해당하는 대화가 없어요.',
      started: '시작', lang: '언어', handoff: '연결 사유', team: '팀', agent: '상담원', rating: '만족도',
      transcript: '대화 내용', open: '대화 보기', openOf: '대화 보기: {when}', back: '목록으로 돌아가기', close: '닫기',
      transcriptOf: '대화 내용: {name}', status: '상태', ticket: '티켓', customer: '고객',
      customerName: '고객', bot: '챗봇', system: '안내', noteLabel: '메모',
      reason_asked: '고객 요청', reason_fallbacks: '답변 실패 후', reason_frustration: '불만 감지', reason_intent_escalates: '의도에 따른 연결',
      status_bot: '챗봇', status_queued: '대기 중', status_assigned: '상담 중', status_closed: '종료됨', status_offline: '부재 중',
      status_open: '열림', status_pending: '보류', status_solved: '해결됨',
      secs: '{s}초', mins: '{m}분 {s}초', hours: '{h}시간 {m}분', pt: '{v}%p', outOf5: '{v} / 5'
    },
    en: {
      title: 'Helpline reports', skip: 'Skip to the report', toConsole: 'Back to the console', language: 'Language',
      signIn: 'Sign in on the console', needLogin: 'Sign in first to see the reports.',
      needSupervisor: 'Reports are for supervisors.', failed: 'The report could not be loaded: {m}',
      period: 'Period', last7: 'Last 7 days', last30: 'Last 30 days', custom: 'Custom', from: 'From', to: 'To',
      seriesBy: 'Chart', byDay: 'By day', byHour: 'By hour', show: 'Show',
      badDates: 'Pick a start and an end date; the end cannot be before the start.',
      periodText: '{since} – {until} ({zone})', loading: 'Loading…', loaded: 'Report loaded: {since} – {until}',
      figures: 'Headline figures', figuresHint: 'Each figure opens the conversations behind it.', csv: 'Download CSV',
      csvOf: 'Download CSV: {what}',
      conversations: 'Conversations', containment_rate: 'Containment', handoff_rate: 'Handoff rate',
      fallback_rate: 'Fallback rate', clarify_rate: 'Clarify rate',
      first_response_p50: 'First response (median)', first_response_p90: 'First response (90th percentile)',
      resolution_p50: 'Resolution (median)', resolution_p90: 'Resolution (90th percentile)',
      csat_average: 'CSAT average', csat_count: 'CSAT responses', handoffs: 'Handoffs',
      reasons: 'Handoffs by reason', reasonOf: 'Handoffs: {reason}', reasonShare: '{rate} of the conversations',
      change: '{d} vs the previous period', noChange: 'no previous figure to compare', noData: 'no data',
      ofConversations: 'of {n} conversations', series: 'Conversations over time',
      seriesTable: 'The chart as a table', chartAlt: 'Chart of conversations and handoffs {by}, {n} points, at most {max} in one. The table below has the same figures.',
      chartDay: 'by day', chartHour: 'by hour', when: 'When',
      by_team: 'Per team', by_agent: 'Per agent', by_intent: 'Per intent', by_language: 'Per language',
      key_team: 'Team', key_agent: 'Agent', key_intent: 'First intent', key_language: 'Language',
      none: '(none)', csat: 'CSAT', handoffRate: 'Handoff rate', containment: 'Containment', fallbackRate: 'Fallback rate',
      firstResponse: 'First response (median)', resolution: 'Resolution (median)',
      drillOf: '{what}: the conversations', drillTotal: '{n} conversations', drillMore: 'The first {shown} of {n} conversations',
      drillNone: 'No conversation is behind this figure.',
      started: 'Started', lang: 'Language', handoff: 'Handoff reason', team: 'Team', agent: 'Agent', rating: 'CSAT',
      transcript: 'Transcript', open: 'Transcript', openOf: 'Transcript: {when}', back: 'Back to the list', close: 'Close',
      transcriptOf: 'Transcript: {name}', status: 'Status', ticket: 'Ticket', customer: 'Customer',
      customerName: 'Customer', bot: 'Bot', system: 'Notice', noteLabel: 'Note',
      reason_asked: 'Asked for a person', reason_fallbacks: 'After fallbacks', reason_frustration: 'Frustration', reason_intent_escalates: 'Intent escalates',
      status_bot: 'bot', status_queued: 'queued', status_assigned: 'assigned', status_closed: 'closed', status_offline: 'offline',
      status_open: 'open', status_pending: 'pending', status_solved: 'solved',
      secs: '{s} s', mins: '{m} min {s} s', hours: '{h} h {m} min', pt: '{v} pt', outOf5: '{v} / 5'
    }
  };
  var page = helplinePage;
  var lang = page.pickLang(STRINGS);
  var T = STRINGS[lang];

  var fmt = helplineCommon.fmt;
  var el = helplineCommon.elementMaker('');
  var markdown = helplineCommon.markdown(el);
  var showFile = helplineCommon.showFile(el); // a message's image or file, read with the session
  var $ = function (id) { return document.getElementById(id); };

  // ---------------------------------------------------------------- figures
  // The headline figures: where each value is in the report, how it reads, and the
  // drill-down figure (/api/reports/conversations?figure=) of the conversations behind it.
  var HEADLINE = [
    { name: 'conversations', value: 'conversations', kind: 'count', figure: 'conversations' },
    { name: 'containment_rate', value: 'containment_rate', kind: 'rate', figure: 'contained' },
    { name: 'handoff_rate', value: 'handoff_rate', kind: 'rate', figure: 'handoffs' },
    { name: 'fallback_rate', value: 'fallback_rate', kind: 'rate', figure: 'fallbacks' },
    { name: 'clarify_rate', value: 'clarify_rate', kind: 'rate', figure: 'clarifications' },
    { name: 'first_response_p50', value: 'first_response_s.p50', kind: 'time', figure: 'first_response' },
    { name: 'first_response_p90', value: 'first_response_s.p90', kind: 'time', figure: 'first_response' },
    { name: 'resolution_p50', value: 'resolution_s.p50', kind: 'time', figure: 'resolution' },
    { name: 'resolution_p90', value: 'resolution_s.p90', kind: 'time', figure: 'resolution' },
    { name: 'csat_average', value: 'csat.average', kind: 'score', figure: 'csat' },
    { name: 'csat_count', value: 'csat.count', kind: 'count', figure: 'csat' }
  ];
  var GROUPINGS = ['team', 'agent', 'intent', 'language'];
  // a group table's columns after its key: [label, dotted value, kind]
  var COLUMNS = [
    ['conversations', 'conversations', 'count'], ['containment', 'containment_rate', 'rate'],
    ['handoffs', 'handoffs', 'count'], ['handoffRate', 'handoff_rate', 'rate'],
    ['fallbackRate', 'fallback_rate', 'rate'], ['firstResponse', 'first_response_s.p50', 'time'],
    ['resolution', 'resolution_s.p50', 'time'], ['csat', 'csat.average', 'score']
  ];

  function pick(obj, dotted) {
    return dotted.split('.').reduce(function (v, k) { return v && typeof v === 'object' ? v[k] : null; }, obj);
  }

  function duration(seconds) {
    var s = Math.round(Math.abs(seconds));
    if (s < 60) return fmt(T.secs, { s: s });
    if (s < 3600) return fmt(T.mins, { m: Math.floor(s / 60), s: s % 60 });
    return fmt(T.hours, { h: Math.floor(s / 3600), m: Math.floor(s % 3600 / 60) });
  }

  // null is "no data", never a made-up zero
  function shown(value, kind) {
    if (value == null) return T.noData;
    if (kind === 'rate') return (value * 100).toFixed(1) + '%';
    if (kind === 'time') return duration(value);
    if (kind === 'score') return fmt(T.outOf5, { v: value.toFixed(2) });
    return Number(value).toLocaleString(lang);
  }

  function changeText(delta, kind) {
    if (delta == null) return T.noChange;
    var sign = delta > 0 ? '+' : delta < 0 ? '−' : '±';
    var size = Math.abs(delta);
    var text;
    if (kind === 'rate') text = fmt(T.pt, { v: (size * 100).toFixed(1) });
    else if (kind === 'time') text = duration(size);
    else if (kind === 'score') text = size.toFixed(2);
    else text = size.toLocaleString(lang);
    return fmt(T.change, { d: sign + text });
  }

  // ---------------------------------------------------------------- state
  var S = {
    agent: null,
    query: { since: '7d' }, // the period asked for: since (and until) as the API takes them
    by: 'day',
    report: null,           // the last /api/reports?by=day|hour
    groups: {},             // grouping -> its report
    drill: null,            // {figure, by, key, title, rows}
    opener: null,           // what had focus when the dialog opened
    chart: null
  };

  function query(extra) {
    var params = new URLSearchParams(S.query);
    Object.keys(extra || {}).forEach(function (k) { if (extra[k] != null) params.set(k, extra[k]); });
    return params.toString();
  }

  // ---------------------------------------------------------------- language
  function applyLang() {
    page.showTexts(T, lang);
    if (!$('gate').hidden) $('gate-text').textContent = T[$('gate').dataset.reason];
    if (S.report) render();
    if ($('drill').open) renderDrill();
  }

  // ---------------------------------------------------------------- loading
  function gate(reason) {
    $('content').hidden = true;
    $('gate').hidden = false;
    $('gate').dataset.reason = reason;
    $('gate-text').textContent = T[reason];
    $('gate-link').hidden = reason !== 'needLogin';
  }

  function failed(error) {
    if (error.status === 401) { gate('needLogin'); return; }
    if (error.status === 403) { gate('needSupervisor'); return; }
    $('banner').textContent = fmt(T.failed, { m: error.message });
    $('banner').hidden = false;
    showPeriod(); // the figures still shown are those of the period before
  }

  function showPeriod() {
    var r = S.report;
    $('period-text').textContent = r
      ? fmt(T.periodText, { since: localTime(r.since), until: localTime(r.until), zone: r.timezone }) : '';
  }

  var loads = 0; // only the last period asked for is shown, however the answers arrive

  function load() {
    var mine = ++loads;
    $('banner').hidden = true;
    $('period-text').textContent = T.loading;
    var series = page.json('GET', '/api/reports?' + query({ by: S.by }));
    var groups = GROUPINGS.map(function (by) { return page.json('GET', '/api/reports?' + query({ by: by })); });
    return Promise.all([series].concat(groups)).then(function (found) {
      if (mine !== loads) return;
      S.report = found[0];
      GROUPINGS.forEach(function (by, i) { S.groups[by] = found[i + 1]; });
      render();
      page.announce(fmt(T.loaded, { since: localTime(S.report.since), until: localTime(S.report.until) }));
    }).catch(failed);
  }

  function localTime(iso) {
    // the desk's own wall-clock time as the API wrote it (its time zone), not the browser's
    return String(iso).slice(0, 16).replace('T', ' ');
  }

  // ---------------------------------------------------------------- rendering
  function render() {
    var r = S.report;
    showPeriod();
    csvLink($('csv-period'), null, T.figures);
    csvLink($('csv-series'), S.by, T.series);
    renderFigures(r);
    renderReasons(r);
    renderSeries(r);
    renderGroups();
  }

  function csvLink(a, by, what) {
    a.href = '/api/reports?' + query({ by: by, format: 'csv' });
    a.setAttribute('aria-label', fmt(T.csvOf, { what: what }));
  }

  function renderFigures(r) {
    var list = $('figures');
    list.textContent = '';
    HEADLINE.forEach(function (h) {
      var btn = el('button', 'figure');
      btn.type = 'button';
      btn.dataset.figure = h.name;
      btn.append(
        el('span', 'f-label', T[h.name]),
        el('span', 'f-value', shown(pick(r, h.value), h.kind)),
        el('span', 'f-change', changeText(r.change[h.value], h.kind))
      );
      btn.addEventListener('click', function () { openDrill({ figure: h.figure, title: T[h.name] }, btn); });
      var li = el('li');
      li.appendChild(btn);
      list.appendChild(li);
    });
  }

  // Each handoff reason (a conversation counts by its first handoff's) opens its conversations.
  function renderReasons(r) {
    var list = $('reasons');
    list.textContent = '';
    Object.keys(r.handoff_reasons || {}).forEach(function (reason) {
      var counted = r.handoff_reasons[reason];
      var label = T['reason_' + reason] || reason;
      var btn = el('button', 'figure');
      btn.type = 'button';
      btn.dataset.figure = 'handoffs:' + reason;
      btn.append(
        el('span', 'f-label', label),
        el('span', 'f-value', shown(counted.count, 'count')),
        el('span', 'f-change', counted.rate == null ? T.noData : fmt(T.reasonShare, { rate: shown(counted.rate, 'rate') }))
      );
      btn.addEventListener('click', function () {
        openDrill({ figure: 'handoffs:' + reason, title: fmt(T.reasonOf, { reason: label }) }, btn);
      });
      list.appendChild(el('li')).appendChild(btn);
    });
  }

  function renderSeries(r) {
    var groups = r.groups || [];
    var labels = groups.map(function (g) { return g.key; });
    var conv = groups.map(function (g) { return g.conversations; });
    var hand = groups.map(function (g) { return g.handoffs; });
    var max = conv.reduce(function (a, b) { return Math.max(a, b); }, 0);
    $('chart').setAttribute('aria-label', fmt(T.chartAlt, {
      by: S.by === 'hour' ? T.chartHour : T.chartDay, n: groups.length, max: max
    }));
    drawChart(labels, conv, hand);
    $('series-table').replaceChildren(groupTable(r, S.by, T.when, T.series));
  }

  function drawChart(labels, conv, hand) {
    var box = $('chart');
    if (S.chart) { S.chart.destroy(); S.chart = null; }
    box.textContent = '';
    if (!window.uPlot || !labels.length) return;
    var xs = labels.map(function (_, i) { return i; });
    var every = Math.max(1, Math.ceil(labels.length / 8)); // at most about 8 axis labels
    var opts = {
      width: Math.max(280, box.clientWidth || 600),
      height: 240,
      legend: { show: false }, // the legend above and the table below say what is drawn
      cursor: { drag: { x: false, y: false }, points: { size: 8 } },
      scales: { x: { time: false, range: [-0.5, labels.length - 0.5] }, y: { range: [0, Math.max(1, Math.ceil(Math.max.apply(null, conv) * 1.1))] } },
      axes: [
        {
          splits: function () { return xs.filter(function (i) { return i % every === 0; }); },
          values: function (u, splits) { return splits.map(function (i) { return axisLabel(labels[i]); }); }
        },
        { splits: countSplits }
      ],
      series: [
        {},
        { label: T.conversations, stroke: '#1a5fd0', fill: 'rgba(26,95,208,0.35)', paths: uPlot.paths.bars({ size: [0.7, 48] }), points: { show: false } },
        { label: T.handoffs, stroke: '#b0142c', width: 2, points: { show: true, size: 6, fill: '#b0142c' } }
      ]
    };
    S.chart = new uPlot(opts, [xs, conv, hand], box);
    S.chart.over.addEventListener('click', function () {
      var i = S.chart.cursor.idx;
      if (i == null || labels[i] == null) return;
      openDrill({ figure: 'conversations', by: S.by, key: labels[i], title: labels[i] }, box);
    });
  }

  function countSplits(u, axis, min, max) {
    var step = Math.max(1, Math.ceil(max / 5));
    var found = [];
    for (var v = 0; v <= max; v += step) found.push(v);
    return found;
  }

  function axisLabel(key) {
    if (key == null) return '';
    return S.by === 'hour' ? key.slice(5).replace('T', ' ') : key.slice(5);
  }

  function renderGroups() {
    var box = $('groups');
    box.textContent = '';
    GROUPINGS.forEach(function (by) {
      var r = S.groups[by];
      if (!r) return;
      var section = el('section', 'panel');
      var head = el('div', 'panel-head');
      var h2 = el('h2', null, T['by_' + by]);
      h2.id = 'group-' + by;
      section.setAttribute('aria-labelledby', h2.id);
      var a = el('a', 'csv', T.csv);
      a.setAttribute('download', '');
      csvLink(a, by, T['by_' + by]);
      head.append(h2, a);
      var wrap = el('div', 'table-wrap');
      wrap.appendChild(groupTable(r, by, T['key_' + by], T['by_' + by]));
      section.append(head, wrap);
      box.appendChild(section);
    });
  }

  // One row per group: its key (a button: the group's conversations) and its figures.
  function groupTable(r, by, keyLabel, caption) {
    var table = el('table', 'figures-table');
    table.dataset.by = by;
    table.appendChild(el('caption', 'sr', caption));
    var head = el('tr');
    var keyHead = el('th', null, keyLabel);
    keyHead.scope = 'col';
    head.appendChild(keyHead);
    COLUMNS.forEach(function (c) {
      var th = el('th', c[2] === 'count' ? 'num' : null, T[c[0]]);
      th.scope = 'col';
      head.appendChild(th);
    });
    table.appendChild(el('thead')).appendChild(head);
    var body = table.appendChild(el('tbody'));
    (r.groups || []).forEach(function (g) {
      var tr = el('tr');
      var th = el('th');
      th.scope = 'row';
      // an agent by name (the id is the key, and stays the drill-down's)
      var name = g.key == null ? T.none : String(by === 'agent' && g.name ? g.name : g.key);
      var btn = el('button', 'link-button', name);
      btn.type = 'button';
      btn.addEventListener('click', function () {
        var series = by === 'day' || by === 'hour';
        openDrill({ figure: 'conversations', by: by, key: g.key, title: series ? name : T['key_' + by] + ' ' + name }, btn);
      });
      th.appendChild(btn);
      tr.appendChild(th);
      COLUMNS.forEach(function (c) { tr.appendChild(el('td', c[2] === 'count' ? 'num' : null, shown(pick(g, c[1]), c[2]))); });
      body.appendChild(tr);
    });
    return table;
  }

  // ---------------------------------------------------------------- drill-down
  function openDrill(drill, opener) {
    S.drill = Object.assign({ rows: null, total: 0, transcript: null }, drill);
    S.opener = opener || document.activeElement;
    var dialog = $('drill');
    if (!dialog.open) dialog.showModal();
    renderDrill();
    var params = { figure: drill.figure, by: drill.by || null };
    if (drill.by) params.key = drill.key == null ? '' : drill.key;
    var asked = S.drill;
    page.json('GET', '/api/reports/conversations?' + query(params)).then(function (found) {
      if (S.drill !== asked) return;
      asked.rows = found.conversations;
      asked.total = found.total;
      renderDrill();
      $('drill-title').focus();
    }).catch(function (error) { closeDrill(); failed(error); });
  }

  function drillTitle(d) {
    return fmt(T.drillOf, { what: d.title });
  }

  function renderDrill() {
    var d = S.drill;
    if (!d) return;
    var reading = !!d.transcript;
    $('drill-list').hidden = reading;
    $('drill-transcript').hidden = !reading;
    $('drill-back').hidden = !reading;
    if (reading) { renderTranscript(d.transcript); return; }
    $('drill-title').textContent = drillTitle(d);
    var total = $('drill-total');
    var box = $('drill-table');
    box.textContent = '';
    if (d.rows == null) { total.textContent = T.loading; return; }
    if (!d.rows.length) { total.textContent = T.drillNone; return; }
    total.textContent = d.rows.length < d.total
      ? fmt(T.drillMore, { shown: d.rows.length, n: d.total }) : fmt(T.drillTotal, { n: d.total });
    box.appendChild(drillTable(d.rows));
  }

  function drillTable(rows) {
    var table = el('table', 'figures-table drill-rows');
    table.appendChild(el('caption', 'sr', drillTitle(S.drill)));
    var head = el('tr');
    ['started', 'lang', 'handoff', 'team', 'agent', 'rating', 'transcript'].forEach(function (k) {
      var th = el('th', null, T[k]);
      th.scope = 'col';
      head.appendChild(th);
    });
    table.appendChild(el('thead')).appendChild(head);
    var body = table.appendChild(el('tbody'));
    rows.forEach(function (row) {
      var tr = el('tr');
      tr.dataset.conversation = row.conversation;
      var when = localTime(row.started_at);
      var th = el('th', null, when);
      th.scope = 'row';
      tr.appendChild(th);
      [
        row.language ? String(row.language).toUpperCase() : '',
        row.handoff ? (T['reason_' + row.handoff] || row.handoff) : '',
        row.team || '', row.agent_name || row.agent || '', row.rating != null ? fmt(T.outOf5, { v: row.rating }) : ''
      ].forEach(function (text) { tr.appendChild(el('td', null, text)); });
      var btn = el('button', 'link-button', T.open);
      btn.type = 'button';
      btn.setAttribute('aria-label', fmt(T.openOf, { when: when }));
      btn.addEventListener('click', function () { openTranscript(row.conversation); });
      tr.appendChild(el('td')).appendChild(btn);
      body.appendChild(tr);
    });
    return table;
  }

  function openTranscript(conversation) {
    var asked = S.drill;
    page.json('GET', '/api/reports/conversations/' + encodeURIComponent(conversation)).then(function (found) {
      if (S.drill !== asked) return;
      asked.transcript = found;
      renderDrill();
      $('drill-title').focus();
    }).catch(function (error) { closeDrill(); failed(error); });
  }

  function backToList() {
    S.drill.transcript = null;
    renderDrill();
    $('drill-title').focus();
  }

  function closeDrill() {
    var dialog = $('drill');
    if (dialog.open) dialog.close();
  }

  function renderTranscript(found) {
    var c = found.customer || {};
    var name = c.name || c.email || T.customerName;
    $('drill-title').textContent = fmt(T.transcriptOf, { name: name });
    var meta = $('transcript-meta');
    meta.textContent = '';
    var rows = [[T.customer, [c.name, c.email].filter(Boolean).join(' · ')], [T.lang, c.language],
      [T.status, T['status_' + found.status] || found.status]];
    (found.tickets || []).forEach(function (t) {
      var parts = [t.team, t.assignee_name || t.assignee, T['status_' + t.status] || t.status];
      if (t.csat != null) parts.push(T.rating + ' ' + fmt(T.outOf5, { v: t.csat }));
      rows.push([T.ticket, parts.filter(Boolean).join(' · ')]);
    });
    rows.forEach(function (row) {
      if (row[1]) meta.append(el('dt', null, row[0]), el('dd', null, String(row[1])));
    });
    var log = $('transcript');
    log.textContent = '';
    (found.transcript || []).forEach(function (m) { log.appendChild(messageNode(m, name)); });
  }

  // Read-only, in the console's message style (console.css): who, then the text; a
  // customer's text stays text, the bot's and agents' short markdown is built as nodes.
  function messageNode(m, customerName) {
    var sender = m.sender || 'system';
    var node = el('div', 'msg ' + sender);
    var from = sender === 'customer' ? customerName : sender === 'bot' ? T.bot
      : sender === 'agent' || sender === 'note' ? (m.name || T.agent) : T.system;
    var head = el('div', 'from', from);
    if (sender === 'note') head.prepend(el('span', 'note-label', T.noteLabel + ' · '));
    var bubble = el('div', 'bubble');
    bubble.appendChild(sender === 'customer' ? document.createTextNode(m.text || '') : markdown(m.text || '', lang));
    if (m.attachment) bubble.appendChild(showFile(m.attachment, '/api/attachments/' + encodeURIComponent(m.attachment.id), lang));
    node.append(head, bubble);
    var d = m.decision && typeof m.decision === 'object' ? m.decision : null;
    if (sender === 'bot' && d && d.decision) {
      var badges = el('div', 'decision');
      badges.appendChild(el('span', 'badge', d.decision + (d.intent ? ' · ' + d.intent : '')));
      node.appendChild(badges);
    }
    return node;
  }

  // ---------------------------------------------------------------- the period
  function onPeriod(ev) {
    ev.preventDefault();
    var span = document.querySelector('input[name="span"]:checked').value;
    $('period-error').textContent = '';
    if (span === 'custom') {
      var from = $('from').value;
      var to = $('to').value;
      if (!from || !to || to < from) { $('period-error').textContent = T.badDates; $('from').focus(); return; }
      S.query = { since: from, until: nextDay(to) }; // the end date is a whole day
    } else {
      S.query = { since: span };
    }
    S.by = $('series-by').value;
    load();
  }

  function nextDay(date) {
    var d = new Date(date + 'T00:00:00Z');
    d.setUTCDate(d.getUTCDate() + 1);
    return d.toISOString().slice(0, 10);
  }

  function onSpan() {
    var custom = document.querySelector('input[name="span"]:checked').value === 'custom';
    $('custom-dates').hidden = !custom;
    if (custom) {
      if (!$('to').value) $('to').value = new Date().toISOString().slice(0, 10);
      $('from').focus();
    } else {
      $('period').requestSubmit();
    }
  }

  function wire() {
    page.onLanguage(STRINGS, function (code) { lang = code; T = STRINGS[code]; applyLang(); });
    $('period').addEventListener('submit', onPeriod);
    document.querySelectorAll('input[name="span"]').forEach(function (r) { r.addEventListener('change', onSpan); });
    $('series-by').addEventListener('change', function () { $('period').requestSubmit(); });
    $('drill-close').addEventListener('click', closeDrill);
    $('drill-back').addEventListener('click', backToList);
    $('drill').addEventListener('close', function () {
      S.drill = null;
      if (S.opener && document.contains(S.opener)) S.opener.focus();
    });
    var resizing = null;
    window.addEventListener('resize', function () {
      clearTimeout(resizing);
      resizing = setTimeout(function () {
        if (S.chart) S.chart.setSize({ width: Math.max(280, $('chart').clientWidth), height: 240 });
      }, 150);
    });
  }

  function boot() {
    wire();
    applyLang();
    page.json('GET', '/api/agent/me').then(function (me) {
      S.agent = me.agent || me;
      $('agent-name').textContent = S.agent.name || S.agent.email || '';
      if (S.agent.role !== 'supervisor') { gate('needSupervisor'); return; }
      $('content').hidden = false;
      load();
    }).catch(failed);
  }

  boot();
})();
