/* Helpline's page helpers, one copy for the widget and the console: the markdown renderer
   (the pages' XSS boundary), element and id makers, string formatting. No dependencies.
   The console loads this file with its own script tag; /widget.js has it inlined by the
   server (src/helpline/web/widget.py), so the host page still needs one tag and gets no
   global of it. */
var helplineCommon = (function () {
  'use strict';

  // a link's screen-reader hint, in each page language
  var NEW_TAB = { ko: '(새 탭에서 열림)', en: '(opens in a new tab)' };

  // "{name}" placeholders filled from values; a missing value shows as nothing
  function fmt(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, k) { return values[k] == null ? '' : String(values[k]); });
  }

  // A client-made message id: the prefix, the time, 8 random bytes.
  function newId(prefix) {
    var bytes = new Uint8Array(8);
    crypto.getRandomValues(bytes);
    return prefix + Date.now().toString(36) + Array.prototype.map.call(bytes, function (b) {
      return (b + 256).toString(16).slice(1);
    }).join('');
  }

  // el(tag, 'a b', text): an element whose classes each get the prefix (the widget's
  // 'hl-', which keeps them apart from the host page's; the console's ''); text as text.
  function elementMaker(prefix) {
    return function el(tag, cls, text) {
      var node = document.createElement(tag);
      if (cls) node.className = cls.split(' ').map(function (c) { return prefix + c; }).join(' ');
      if (text != null) node.textContent = text;
      return node;
    };
  }

  // Only http(s) URLs become links: javascript:, data: and the like stay text.
  function safeUrl(href) {
    try {
      var url = new URL(href);
      return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
    } catch (e) { return null; }
  }

  // Short markdown (**bold**, [text](url), "- " lists) built as nodes with `el`: message
  // text never reaches innerHTML, so a message can only ever show as text.
  // markdown(el)(text, lang) is a DocumentFragment.
  function markdown(el) {
    function render(text, lang) {
      var frag = document.createDocumentFragment();
      var list = null;
      var para = null;
      String(text).split('\n').forEach(function (line) {
        var item = /^\s*[-*]\s+(.*)$/.exec(line);
        if (item) {
          if (!list) list = frag.appendChild(el('ul', 'md-list'));
          para = null;
          list.appendChild(inline(el('li'), item[1], lang));
        } else if (!line.trim()) {
          list = null; para = null;
        } else {
          list = null;
          if (para) para.appendChild(document.createElement('br'));
          else para = frag.appendChild(el('p', 'md-p'));
          inline(para, line, lang);
        }
      });
      return frag;
    }

    function inline(parent, text, lang) {
      var re = /\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)\s]+)\)/g;
      var at = 0;
      var m;
      while ((m = re.exec(text))) {
        parent.appendChild(document.createTextNode(text.slice(at, m.index)));
        if (m[1] != null) parent.appendChild(el('strong', null, m[1]));
        else parent.appendChild(link(m[2], m[3], lang) || document.createTextNode(m[0]));
        at = re.lastIndex;
      }
      parent.appendChild(document.createTextNode(text.slice(at)));
      return parent;
    }

    function link(label, href, lang) {
      var url = safeUrl(href);
      if (!url) return null;
      var a = el('a', 'link', label);
      a.href = url;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      a.appendChild(el('span', 'sr', ' ' + (NEW_TAB[lang] || NEW_TAB.en)));
      return a;
    }

    return render;
  }

  // "12 KB", "3.4 MB": a file's size beside its name
  function fileSize(bytes) {
    if (bytes >= 1048576) return (bytes / 1048576).toFixed(1) + ' MB';
    return Math.max(1, Math.round(bytes / 1024)) + ' KB';
  }

  // A message's file ({id, name, type, size}): an image as a thumbnail that opens it
  // whole in a new tab, any other file as a download link with its name and size.
  // showFile(el)(file, url, lang); without a url yet (the widget fetches its files with the
  // conversation's token) the caller sets it later with setFileUrl(node, url).
  function showFile(el) {
    return function (file, url, lang) {
      var image = /^image\/(png|jpeg|gif|webp)$/.test(file.type);
      var a = el('a', image ? 'file image' : 'file');
      a.dataset.file = file.id;
      if (image) {
        var img = a.appendChild(el('img', 'file-thumb'));
        img.alt = file.name;
        a.target = '_blank';
        a.rel = 'noopener noreferrer';
        a.appendChild(el('span', 'sr', ' ' + (NEW_TAB[lang] || NEW_TAB.en)));
      } else {
        a.download = file.name;
        a.append(el('span', 'file-name', file.name), el('span', 'file-size', fileSize(file.size)));
      }
      if (url) setFileUrl(a, url);
      return a;
    };
  }

  function setFileUrl(node, url) {
    node.href = url;
    var img = node.querySelector('img');
    if (img) img.src = url;
  }

  // An anonymous customer told apart on every screen and visit by their conversation id:
  // a short id to say ("#3f9a2c") and a hue for the dot beside it.
  function customerMark(conversationId) {
    var id = String(conversationId);
    var h = 0;
    for (var i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) % 360;
    return { shortId: id.replace(/^c_/, '').slice(0, 6), hue: h };
  }

  // A message's stored time (seconds since the epoch) as a <time> made with `el`: hours
  // and minutes today, the date before them on another day, in the page's language.
  function timeElement(el, at, lang) {
    var when = new Date(at * 1000);
    var today = when.toDateString() === new Date().toDateString();
    var opts = today ? { hour: '2-digit', minute: '2-digit' }
      : { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' };
    var node = el('time', 'time', new Intl.DateTimeFormat(lang, opts).format(when));
    node.dateTime = when.toISOString();
    return node;
  }

  return {
    fmt: fmt, newId: newId, elementMaker: elementMaker, safeUrl: safeUrl, markdown: markdown,
    showFile: showFile, setFileUrl: setFileUrl, fileSize: fileSize,
    customerMark: customerMark, timeElement: timeElement
  };
})();
