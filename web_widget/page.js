/* Helpline console pages' shared part (Conversations, Customers, Canned answers, Team,
   Inbox, Reports): the page's language, the live region, JSON requests with the session
   cookie, the sign-in check and a list read page by page. Loaded after common.js by the
   console's pages only: common.js is also inlined into the widget that customers' sites
   load, which has no use for any of this. No dependencies but common.js. */
var helplinePage = (function () {
  'use strict';

  var LANG_KEY = 'helpline-console:lang';  // one choice for the console and all its pages
  var fmt = helplineCommon.fmt;
  var el = helplineCommon.elementMaker('');
  var unauthorized = null;  // what the page does when a request finds the session gone

  function $(id) { return document.getElementById(id); }

  // ------------------------------------------------------------ language
  // The language chosen on any console page, else the browser's first one the page has.
  function pickLang(strings) {
    var saved = null;
    try { saved = localStorage.getItem(LANG_KEY); } catch (e) { /* storage off */ }
    var wanted = [saved].concat(navigator.languages || [navigator.language]);
    for (var i = 0; i < wanted.length; i++) {
      var code = String(wanted[i] || '').slice(0, 2).toLowerCase();
      if (strings[code]) return code;
    }
    return 'en';
  }

  // The page's fixed texts in T: [data-t] elements' text, [data-tl] ones' aria-label.
  function showTexts(T, code, titleSuffix) {
    document.documentElement.lang = code;
    document.title = T.title + (titleSuffix || '');
    $('lang').value = code;
    document.querySelectorAll('[data-t]').forEach(function (n) { n.textContent = T[n.dataset.t]; });
    document.querySelectorAll('[data-tl]').forEach(function (n) { n.setAttribute('aria-label', T[n.dataset.tl]); });
  }

  // The #lang picker: changed(code) with the chosen language, kept for every page.
  function onLanguage(strings, changed) {
    $('lang').addEventListener('change', function () {
      var code = strings[$('lang').value] ? $('lang').value : 'en';
      try { localStorage.setItem(LANG_KEY, code); } catch (e) { /* storage off */ }
      changed(code);
    });
  }

  // Said by screen readers: emptied first, so the same words said twice are heard twice.
  function announce(text) {
    var region = $('announce');
    region.textContent = '';
    setTimeout(function () { region.textContent = text; }, 50);
  }

  // ------------------------------------------------------------ HTTP
  // The answer's JSON body, or an Error with the HTTP `status` (0: the server could not be
  // reached), the API's `code` ("forbidden", "bad_request", ...) and its `message`.
  function json(method, path, body) {
    var options = { method: method, credentials: 'same-origin', headers: {} };
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (res.ok) return data;
        if (res.status === 401 && unauthorized) unauthorized();
        throw refused(res.status, data);
      });
    }, function () { throw refused(0, {}); });
  }

  function refused(status, data) {
    var error = new Error(data.message || (status ? 'HTTP ' + status : 'offline'));
    error.status = status;
    error.code = data.error;
    error.data = data;
    return error;
  }

  // ------------------------------------------------------------ sign-in
  // The signed-in agent, the page's `main` view shown and their name in #agent-name; or
  // null, `signedOut` shown instead (also when the session ends later, on any request's
  // 401, or when allow(agent) says this page is not theirs: then refused(agent)).
  function signIn(views) {
    function out() {
      if (views.main) $(views.main).hidden = true;
      $(views.signedOut).hidden = false;
    }
    unauthorized = out;
    return json('GET', '/api/agent/me').then(function (agent) {
      if (views.allow && !views.allow(agent)) {
        out();
        if (views.refused) views.refused(agent);
        return null;
      }
      $('agent-name').textContent = agent.name;
      if (views.main) $(views.main).hidden = false;
      return agent;
    }, function () { out(); return null; });
  }

  // ------------------------------------------------------------ lists
  // A list read page by page (`?cursor=` from the last `next_cursor`). Only the latest
  // request's answer is shown: an earlier one arriving after it (the page's first list,
  // then a search typed at once) would show the wrong list.
  function pagedList(path, key, shown, failed) {
    var list = { items: [], next: null, page: null };
    var latest = 0;
    list.load = function (params, more) {
      if (more && list.next) params.set('cursor', list.next);
      var asked = ++latest;
      return json('GET', path + '?' + params.toString()).then(function (page) {
        if (asked !== latest) return;
        list.items = more ? list.items.concat(page[key]) : page[key];
        list.next = page.next_cursor;
        list.page = page;
        shown();
      }, function (err) { if (asked === latest) failed(err); });
    };
    return list;
  }

  // "No ... matches." / "1 ..." / "{n} ..." / "{n} ... (more below)" in T's words
  function countLine(T, n, more) {
    if (!n) return T.none;
    if (more) return fmt(T.countMore, { n: n });
    return n === 1 ? T.countOne : fmt(T.count, { n: n });
  }

  // `parent` emptied, then make(item) of each item appended
  function fill(parent, items, make) {
    parent.textContent = '';
    items.forEach(function (item) { parent.appendChild(make(item)); });
  }

  // A list entry's button: its colour dot and name first, the same colour for the same
  // id on every screen and every visit. The caller adds the rest and the click.
  function entryButton(id, name, current) {
    var button = el('button', 'entry');
    button.type = 'button';
    button.dataset.id = id;
    button.setAttribute('aria-current', String(current));
    var head = el('span', 'name');
    var dot = head.appendChild(el('span', 'avatar'));
    dot.style.background = 'hsl(' + hue(id) + ', 65%, 42%)';
    dot.setAttribute('aria-hidden', 'true');
    head.appendChild(document.createTextNode(name));
    button.appendChild(head);
    return button;
  }

  // which of the list's entries is open (aria-current)
  function markCurrent(listId, id) {
    document.querySelectorAll('#' + listId + ' .entry').forEach(function (b) {
      b.setAttribute('aria-current', String(b.dataset.id === id));
    });
  }

  // the customer's colour, the same on every screen (common.js)
  function hue(id) { return helplineCommon.customerMark(id).hue; }

  // a time in seconds since the epoch, as a date and time in the page's language
  function when(seconds, code) {
    var options = { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' };
    return new Intl.DateTimeFormat(code, options).format(new Date(seconds * 1000));
  }

  return {
    pickLang: pickLang, showTexts: showTexts, onLanguage: onLanguage, announce: announce,
    json: json, signIn: signIn, pagedList: pagedList, countLine: countLine, fill: fill,
    entryButton: entryButton, markCurrent: markCurrent, hue: hue, when: when
  };
})();
