/*
 * Bürger-Assistent – the web chat widget of the Märkischer Kreis.
 *
 * Embed it with one tag (the widget loads its own CSS from the same place):
 *   <script src="https://chat.example.de/webchat/widget.js" defer></script>
 * Optional attributes on that tag: data-privacy-url, data-accessibility-url.
 *
 * Plain JavaScript, no build step. No inline script or style (works under a
 * Content-Security-Policy without 'unsafe-inline'), no iframe, no shadow root:
 * the chat is part of the page's own DOM, so the page's assistive technology,
 * zoom and translation tools reach it.
 *
 * Why it is built the way it is:
 * - Bot text is never HTML: every text goes in with textContent; links are
 *   made here, only for http(s) URLs, with rel="noopener noreferrer".
 * - The signed session token lives in localStorage, so a reload keeps the
 *   conversation; the history comes from the gateway (after the last sequence
 *   number this page has), the browser stores only the token and the messages
 *   not yet acknowledged.
 * - Every message gets a client message id (cmid) before its first send. A
 *   message is re-sent after a reconnect until the gateway acknowledges it; the
 *   gateway drops repeats by cmid, so nothing arrives twice.
 */
(function () {
  'use strict';

  if (window.mkWebchatLoaded) { return; }
  window.mkWebchatLoaded = true;

  var script = document.currentScript;
  var scriptUrl = new URL(script && script.src ? script.src : '/webchat/widget.js', window.location.href);
  var base = scriptUrl.href.replace(/\/webchat\/widget\.js(?:[?#].*)?$/, '');
  var socketUrl = base.replace(/^http/, 'ws') + '/webchat/ws';
  var privacyUrl = (script && script.getAttribute('data-privacy-url')) || base + '/datenschutz.html';
  var accessibilityUrl = (script && script.getAttribute('data-accessibility-url')) ||
    base + '/barrierefreiheit.html';
  var STORE_KEY = 'mk-webchat:v1';
  var TYPING_TIMEOUT_MS = 90000;
  var OFFLINE_NOTICE_AFTER_MS = 1500;

  // --- texts: German, English, Leichte Sprache --------------------------------------------

  var TEXTS = {
    de: {
      launcher: 'Chat', launcherName: 'Chat öffnen',
      title: 'Bürger-Assistent', subtitle: 'Fragen an den Märkischen Kreis',
      close: 'Chat schließen', newChat: 'Neues Gespräch', newChatName: 'Neues Gespräch beginnen',
      uiLanguage: 'Sprache der Bedienung', log: 'Chatverlauf',
      inputLabel: 'Ihre Nachricht', placeholder: 'Ihre Frage …', send: 'Senden',
      you: 'Sie:', bot: 'Assistent:', typing: 'Assistent schreibt …',
      sending: 'wird gesendet …', failed: 'konnte nicht gesendet werden',
      offline: 'Keine Verbindung. Ihre Nachrichten werden gesendet, sobald die Verbindung wieder besteht.',
      privacy: 'Bitte geben Sie keine Gesundheits- oder Kontodaten ein. Der Verlauf wird {hours} Stunden nach der letzten Nachricht gelöscht.',
      privacyLink: 'Datenschutzhinweise', accessibility: 'Barrierefreiheit',
      welcome: 'Guten Tag! Ich bin der digitale Assistent des Märkischen Kreises und beantworte Fragen zu unseren Leistungen, zum Beispiel: „Wie melde ich mein Auto an?“ Im Notfall wählen Sie bitte 112 (Feuerwehr, Rettungsdienst) oder 110 (Polizei).',
      newWindow: '(öffnet neues Fenster)', choices: 'Antwortmöglichkeiten', image: 'Bild'
    },
    en: {
      launcher: 'Chat', launcherName: 'Chat with the assistant',
      title: 'Citizen assistant', subtitle: 'Questions for the Märkischer Kreis',
      close: 'Close chat', newChat: 'New conversation', newChatName: 'Start a new conversation',
      uiLanguage: 'Language of the controls', log: 'Chat history',
      inputLabel: 'Your message', placeholder: 'Your question …', send: 'Send',
      you: 'You:', bot: 'Assistant:', typing: 'Assistant is typing …',
      sending: 'sending …', failed: 'could not be sent',
      offline: 'No connection. Your messages will be sent as soon as the connection is back.',
      privacy: 'Please do not enter health or bank details. The history is deleted {hours} hours after the last message.',
      privacyLink: 'Privacy notice', accessibility: 'Accessibility',
      welcome: 'Hello! I am the digital assistant of the Märkischer Kreis and answer questions about our services, for example: “How do I register my car?” In an emergency, please call 112 (fire brigade, ambulance) or 110 (police).',
      newWindow: '(opens a new window)', choices: 'Possible answers', image: 'Image'
    },
    ls: {
      launcher: 'Chat', launcherName: 'Chat öffnen',
      title: 'Bürger-Assistent', subtitle: 'Fragen an den Märkischen Kreis',
      close: 'Chat zu-machen', newChat: 'Neues Gespräch', newChatName: 'Neues Gespräch an-fangen',
      uiLanguage: 'Sprache', log: 'Nachrichten',
      inputLabel: 'Ihre Nachricht', placeholder: 'Schreiben Sie hier.', send: 'Senden',
      you: 'Sie:', bot: 'Assistent:', typing: 'Der Assistent schreibt …',
      sending: 'wird gesendet …', failed: 'Das hat nicht geklappt.',
      offline: 'Im Moment gibt es keine Verbindung. Wir senden Ihre Nachricht später.',
      privacy: 'Schreiben Sie bitte keine geheimen Daten. Zum Beispiel: Ihre Konto-Nummer. Nach {hours} Stunden löschen wir den Chat.',
      privacyLink: 'Mehr zum Daten-Schutz', accessibility: 'Barriere-Freiheit',
      welcome: 'Hallo! Ich bin der Computer-Helfer vom Märkischen Kreis. Sie können mir Fragen schreiben. Zum Beispiel: Wie melde ich mein Auto an? Im Notfall rufen Sie an: 112.',
      newWindow: '(neues Fenster)', choices: 'Antworten zum Aus-wählen', image: 'Bild'
    }
  };
  var UI_LANGUAGES = [['de', 'Deutsch', 'de'], ['en', 'English', 'en'], ['ls', 'Leichte Sprache', 'de']];

  // --- state kept in the browser ------------------------------------------------------------

  function loadState() {
    var fallback = { token: null, pending: [], open: false, ui: null };
    try {
      var raw = window.localStorage.getItem(STORE_KEY);
      var data = raw ? JSON.parse(raw) : {};
      return {
        token: typeof data.token === 'string' ? data.token : null,
        pending: Array.isArray(data.pending) ? data.pending.filter(validPending) : [],
        open: data.open === true,
        ui: TEXTS[data.ui] ? data.ui : null
      };
    } catch (e) {
      return fallback;  // storage blocked: the chat still works for this page view
    }
  }

  function validPending(item) {
    return item && typeof item.cmid === 'string' &&
      (typeof item.text === 'string' || typeof item.payload === 'string');
  }

  var state = loadState();

  function saveState() {
    try {
      window.localStorage.setItem(STORE_KEY, JSON.stringify(state));
    } catch (e) { /* storage blocked or full: keep going in memory */ }
  }

  function browserUiLanguage() {
    return /^en\b/i.test(navigator.language || '') ? 'en' : 'de';
  }

  var ui = state.ui || browserUiLanguage();
  var retentionHours = 24;

  function t(key) { return TEXTS[ui][key]; }

  // --- DOM helpers ----------------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === 'text') { node.textContent = attrs[name]; } else { node.setAttribute(name, attrs[name]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function safeUrl(value) {
    try {
      var url = new URL(value, window.location.href);
      return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function newId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join('');
  }

  function externalLink(href, label) {
    var a = el('a', { href: href, target: '_blank', rel: 'noopener noreferrer', text: label });
    a.appendChild(el('span', { 'class': 'mkc-sr mkc-t-newWindow', text: ' ' + t('newWindow') }));
    return a;
  }

  var LINK_PATTERN = /\b(?:https?:\/\/|www\.)[^\s<>"'„“”«»]+/gi;
  var TRAILING = /[.,;:!?)\]}'"]+$/;

  // Text with its URLs as links; everything else stays text (textContent, never HTML).
  function linkified(text) {
    var fragment = document.createDocumentFragment();
    var last = 0;
    var match;
    LINK_PATTERN.lastIndex = 0;
    while ((match = LINK_PATTERN.exec(text)) !== null) {
      var label = match[0].replace(TRAILING, '');
      var href = safeUrl(/^www\./i.test(label) ? 'https://' + label : label);
      if (!href) { continue; }
      fragment.appendChild(document.createTextNode(text.slice(last, match.index)));
      fragment.appendChild(externalLink(href, label));
      last = match.index + label.length;
      LINK_PATTERN.lastIndex = last;
    }
    fragment.appendChild(document.createTextNode(text.slice(last)));
    return fragment;
  }

  // --- the widget's DOM ---------------------------------------------------------------------

  var css = el('link', { rel: 'stylesheet', href: base + '/webchat/widget.css' });
  document.head.appendChild(css);

  var launcherText = el('span', { 'class': 'mkc-launcher-text', 'aria-hidden': 'true' });
  var launcher = el('button', { type: 'button', 'class': 'mkc-launcher', 'aria-controls': 'mkc-panel',
    'aria-expanded': 'false' }, [
    el('span', { 'class': 'mkc-launcher-icon', 'aria-hidden': 'true' }), launcherText
  ]);

  var title = el('h2', { 'class': 'mkc-title', id: 'mkc-title' });
  var subtitle = el('p', { 'class': 'mkc-subtitle' });
  var newButton = el('button', { type: 'button', 'class': 'mkc-new' });
  var closeButton = el('button', { type: 'button', 'class': 'mkc-close' }, [
    el('span', { 'class': 'mkc-close-icon', 'aria-hidden': 'true', text: '×' })
  ]);
  var header = el('div', { 'class': 'mkc-head' }, [el('div', { 'class': 'mkc-heading' }, [title, subtitle]), closeButton]);

  var languageButtons = UI_LANGUAGES.map(function (entry) {
    var button = el('button', { type: 'button', 'class': 'mkc-lang', lang: entry[2], 'data-ui': entry[0],
      text: entry[1] });
    button.addEventListener('click', function () { setUi(entry[0]); });
    return button;
  });
  var languages = el('div', { 'class': 'mkc-langs', role: 'group' }, languageButtons);

  var welcome = el('p', { 'class': 'mkc-welcome' });
  var log = el('div', { 'class': 'mkc-log', id: 'mkc-log', role: 'log', 'aria-live': 'polite',
    'aria-relevant': 'additions', tabindex: '0' }, [welcome]);
  var typing = el('p', { 'class': 'mkc-typing', role: 'status' });
  var connection = el('p', { 'class': 'mkc-connection', role: 'status' });

  var privacyText = el('span', { 'class': 'mkc-privacy-text' });
  var privacyLink = el('a', { href: privacyUrl });
  var privacy = el('p', { 'class': 'mkc-privacy' }, [privacyText, document.createTextNode(' '), privacyLink]);

  var inputLabel = el('label', { 'for': 'mkc-input', 'class': 'mkc-sr' });
  var input = el('input', { id: 'mkc-input', 'class': 'mkc-input', type: 'text', autocomplete: 'off',
    maxlength: '2000', dir: 'auto', enterkeyhint: 'send' });
  var sendButton = el('button', { type: 'submit', 'class': 'mkc-send' });
  var form = el('form', { 'class': 'mkc-form', novalidate: '' }, [inputLabel, input, sendButton]);

  var accessibilityLink = el('a', { href: accessibilityUrl });
  var footer = el('div', { 'class': 'mkc-foot' }, [accessibilityLink, newButton]);

  var panel = el('section', { 'class': 'mkc-panel', id: 'mkc-panel', 'aria-labelledby': 'mkc-title' },
    [header, languages, log, typing, connection, privacy, form, footer]);
  panel.hidden = true;

  var root = el('div', { 'class': 'mkc', id: 'mkc-root' }, [launcher, panel]);

  function applyTexts() {
    var code = ui === 'en' ? 'en' : 'de';
    root.setAttribute('lang', code);
    launcherText.textContent = t('launcher');
    launcher.setAttribute('aria-label', t('launcherName'));
    title.textContent = t('title');
    subtitle.textContent = t('subtitle');
    newButton.textContent = t('newChat');
    newButton.setAttribute('aria-label', t('newChatName'));
    closeButton.setAttribute('aria-label', t('close'));
    languages.setAttribute('aria-label', t('uiLanguage'));
    languageButtons.forEach(function (button) {
      button.setAttribute('aria-pressed', String(button.getAttribute('data-ui') === ui));
    });
    log.setAttribute('aria-label', t('log'));
    welcome.textContent = t('welcome');
    inputLabel.textContent = t('inputLabel');
    input.setAttribute('placeholder', t('placeholder'));
    sendButton.textContent = t('send');
    privacyText.textContent = t('privacy').replace('{hours}', String(retentionHours));
    privacyLink.textContent = t('privacyLink');
    accessibilityLink.textContent = t('accessibility');
    Array.prototype.forEach.call(log.querySelectorAll('[data-who]'), function (node) {
      node.textContent = t(node.getAttribute('data-who')) + ' ';
    });
    Array.prototype.forEach.call(log.querySelectorAll('.mkc-t-newWindow'), function (node) {
      node.textContent = ' ' + t('newWindow');
    });
    Array.prototype.forEach.call(log.querySelectorAll('.mkc-choices'), function (node) {
      node.setAttribute('aria-label', t('choices'));
    });
    Array.prototype.forEach.call(log.querySelectorAll('[data-state]'), function (node) {
      node.textContent = t(node.getAttribute('data-state'));
    });
    if (typingShown) { typing.textContent = t('typing'); }
    if (offlineShown) { connection.textContent = t('offline'); }
  }

  function setUi(code) {
    ui = code;
    state.ui = code;
    saveState();
    applyTexts();
  }

  // --- messages in the log ------------------------------------------------------------------

  var lastSeq = 0;
  var lastBotSeq = 0;
  var byCmid = {};

  function who(kind) {
    return el('span', { 'class': 'mkc-sr', 'data-who': kind, text: t(kind) + ' ' });
  }

  function applyDirection(node, body) {
    if (body.dir === 'rtl' || body.dir === 'ltr') { node.setAttribute('dir', body.dir); }
    if (typeof body.lang === 'string' && /^[a-z]{2,3}$/.test(body.lang)) { node.setAttribute('lang', body.lang); }
  }

  function botNode(body) {
    var node = el('div', { 'class': 'mkc-msg mkc-msg-bot' }, [who('bot')]);
    applyDirection(node, body);
    var kind = body.kind;
    if ((kind === 'text' || kind === 'buttons') && typeof body.text === 'string' && body.text) {
      node.appendChild(el('p', { 'class': 'mkc-text' }, [linkified(body.text)]));
    }
    if (kind === 'buttons' && Array.isArray(body.buttons)) {
      var group = el('div', { 'class': 'mkc-choices', role: 'group', 'aria-label': t('choices') });
      body.buttons.forEach(function (choice) {
        if (!choice || typeof choice.title !== 'string' || typeof choice.payload !== 'string') { return; }
        var button = el('button', { type: 'button', 'class': 'mkc-choice', text: choice.title });
        button.addEventListener('click', function () {
          submit({ payload: choice.payload, title: choice.title });
        });
        group.appendChild(button);
      });
      node.appendChild(group);
    } else if (kind === 'link') {
      var href = safeUrl(body.url);
      if (!href) { return null; }
      node.appendChild(el('p', { 'class': 'mkc-text' }, [externalLink(href, body.text || href)]));
    } else if (kind === 'image') {
      var src = safeUrl(body.url);
      if (!src) { return null; }
      node.appendChild(el('img', { 'class': 'mkc-image', src: src, alt: body.alt || t('image') }));
    } else if (kind !== 'text' && kind !== 'buttons') {
      return null;
    }
    return node;
  }

  function userNode(text, cmid) {
    var node = el('div', { 'class': 'mkc-msg mkc-msg-user', dir: 'auto' }, [
      who('you'), el('p', { 'class': 'mkc-text', text: text })
    ]);
    if (cmid) { node.setAttribute('data-cmid', cmid); }
    return node;
  }

  function setDelivery(node, stateKey) {
    var old = node.querySelector('[data-state]');
    if (old) { old.remove(); }
    if (stateKey) {
      node.appendChild(el('span', { 'class': 'mkc-state', 'data-state': stateKey, text: t(stateKey) }));
    }
  }

  // Sequenced entries go before the messages still waiting to be sent.
  function placeSequenced(node) {
    var firstPending = log.querySelector('.mkc-pending');
    if (firstPending && firstPending !== node) { log.insertBefore(node, firstPending); } else if (!node.parentNode) {
      log.appendChild(node);
    }
  }

  function scrollToEnd() { log.scrollTop = log.scrollHeight; }

  // After an answer: show its beginning if the whole answer does not fit, else the end of the log.
  function revealAnswer() {
    var bubbles = log.querySelectorAll('.mkc-msg');
    var first = null;
    for (var i = bubbles.length - 1; i >= 0 && bubbles[i].classList.contains('mkc-msg-bot'); i -= 1) {
      first = bubbles[i];
    }
    if (!first) { scrollToEnd(); return; }
    var top = first.getBoundingClientRect().top - log.getBoundingClientRect().top + log.scrollTop - 8;
    log.scrollTop = log.scrollHeight - top > log.clientHeight ? top : log.scrollHeight;
  }

  function addEntry(frame) {
    if (typeof frame.seq !== 'number' || frame.seq <= lastSeq || !frame.body) { return; }
    lastSeq = frame.seq;
    var node;
    if (frame.from === 'user') {
      node = frame.cmid ? byCmid[frame.cmid] : null;
      if (node) {
        node.classList.remove('mkc-pending');
        setDelivery(node, null);
        node.remove();
      } else {
        node = userNode(String(frame.body.text || ''), frame.cmid);
      }
    } else {
      node = botNode(frame.body);
      lastBotSeq = frame.seq;
      hideTyping();
    }
    if (node) {
      node.setAttribute('data-seq', String(frame.seq));
      placeSequenced(node);
    }
    if (frame.from === 'user') { scrollToEnd(); } else { revealAnswer(); }
  }

  function clearConversation() {
    Array.prototype.forEach.call(log.querySelectorAll('.mkc-msg:not(.mkc-pending)'), function (node) {
      node.remove();
    });
    lastSeq = 0;
    lastBotSeq = 0;
    hideTyping();
  }

  // --- typing and connection notices ----------------------------------------------------------

  var typingShown = false;
  var typingTimer = null;
  var offlineShown = false;
  var offlineTimer = null;

  function showTyping() {
    typingShown = true;
    typing.textContent = t('typing');
    typing.classList.add('mkc-typing-on');
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, TYPING_TIMEOUT_MS);
  }

  function hideTyping() {
    typingShown = false;
    typing.textContent = '';
    typing.classList.remove('mkc-typing-on');
    clearTimeout(typingTimer);
  }

  // The notice shows once the connection has been down for a moment (not on every failed attempt).
  function setOnline(online) {
    if (online) {
      clearTimeout(offlineTimer);
      offlineTimer = null;
      offlineShown = false;
      connection.textContent = '';
      return;
    }
    if (offlineShown || offlineTimer) { return; }
    offlineTimer = setTimeout(function () {
      offlineTimer = null;
      offlineShown = true;
      connection.textContent = t('offline');
    }, OFFLINE_NOTICE_AFTER_MS);
  }

  // --- the connection -------------------------------------------------------------------------

  var socket = null;
  var generation = 0;
  var ready = false;
  var attempts = 0;
  var reconnectTimer = null;
  var retryTimer = null;
  var sentOnThisSocket = {};

  function connect() {
    clearTimeout(reconnectTimer);
    if (socket && (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING)) {
      return;
    }
    var mine = ++generation;
    ready = false;
    sentOnThisSocket = {};
    log.setAttribute('aria-busy', 'true');
    var ws = new WebSocket(socketUrl);
    socket = ws;
    ws.addEventListener('open', function () {
      if (mine !== generation) { return; }
      ws.send(JSON.stringify({ type: 'hello', token: state.token, after: lastSeq,
        language: navigator.language || null }));
    });
    ws.addEventListener('message', function (event) {
      if (mine !== generation) { return; }
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame && typeof frame.type === 'string') { onFrame(frame); }
    });
    ws.addEventListener('close', function (event) {
      if (mine !== generation) { return; }
      socket = null;
      ready = false;
      log.removeAttribute('aria-busy');
      if (event.code === 4403) {  // the token was refused: start a new session
        state.token = null;
        saveState();
      }
      setOnline(false);
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    clearTimeout(reconnectTimer);
    var ceiling = Math.min(8000, 500 * Math.pow(2, attempts));
    attempts += 1;
    reconnectTimer = setTimeout(connect, ceiling / 2 + Math.random() * ceiling / 2);
  }

  function reconnectNow() {
    if (!socket && (state.token || state.open || state.pending.length)) {
      attempts = 0;
      connect();
    }
  }

  function onFrame(frame) {
    switch (frame.type) {
      case 'session':
        if (frame.new && state.token && state.token !== frame.token) { clearConversation(); }
        state.token = frame.token;
        if (typeof frame.retention_hours === 'number') { retentionHours = frame.retention_hours; }
        saveState();
        applyTexts();
        break;
      case 'reset':
        clearConversation();
        break;
      case 'message':
        addEntry(frame);
        break;
      case 'ready':
        ready = true;
        attempts = 0;
        log.removeAttribute('aria-busy');
        setOnline(true);
        if (frame.pending) { showTyping(); } else { hideTyping(); }
        flush();
        break;
      case 'typing':
        if (typeof frame.after === 'number' && frame.after >= lastBotSeq) { showTyping(); }
        break;
      case 'ack':
        acknowledged(frame.cmid);
        break;
      case 'error':
        onError(frame);
        break;
      default:
        break;
    }
  }

  function acknowledged(cmid) {
    state.pending = state.pending.filter(function (item) { return item.cmid !== cmid; });
    saveState();
    var node = byCmid[cmid];
    if (node) { setDelivery(node, null); }
  }

  function onError(frame) {
    var cmid = typeof frame.cmid === 'string' ? frame.cmid : null;
    if (!cmid) { return; }
    delete sentOnThisSocket[cmid];
    if (frame.code === 'bad_request') {  // sending it again cannot help
      state.pending = state.pending.filter(function (item) { return item.cmid !== cmid; });
      saveState();
      if (byCmid[cmid]) { setDelivery(byCmid[cmid], 'failed'); }
      return;
    }
    clearTimeout(retryTimer);  // too_fast, unavailable: keep it and try again shortly
    retryTimer = setTimeout(flush, 3000);
  }

  function flush() {
    if (!ready || !socket || socket.readyState !== WebSocket.OPEN) { return; }
    state.pending.forEach(function (item) {
      if (sentOnThisSocket[item.cmid]) { return; }
      sentOnThisSocket[item.cmid] = true;
      var frame = { type: 'message', token: state.token, cmid: item.cmid, language: navigator.language || null };
      if (typeof item.payload === 'string') {
        frame.payload = item.payload;
        frame.title = item.title;
      } else {
        frame.text = item.text;
      }
      socket.send(JSON.stringify(frame));
    });
  }

  function showPending(item) {
    var node = userNode(typeof item.payload === 'string' ? item.title || item.payload : item.text, item.cmid);
    node.classList.add('mkc-pending');
    setDelivery(node, 'sending');
    byCmid[item.cmid] = node;
    log.appendChild(node);
    scrollToEnd();
  }

  function submit(content) {
    var item = { cmid: newId() };
    if (content.payload) {
      item.payload = content.payload;
      item.title = content.title;
    } else {
      item.text = content.text;
    }
    state.pending.push(item);
    saveState();
    showPending(item);
    if (!socket) { reconnectNow(); } else { flush(); }
  }

  function newConversation() {
    generation += 1;  // the old socket's events are ignored from now on
    if (socket) { socket.close(1000); }
    socket = null;
    state.token = null;
    state.pending = [];
    saveState();
    Array.prototype.forEach.call(log.querySelectorAll('.mkc-msg'), function (node) { node.remove(); });
    byCmid = {};
    clearConversation();
    attempts = 0;
    connect();
    input.focus();
  }

  // --- opening and closing --------------------------------------------------------------------

  function setOpen(open, moveFocus) {
    panel.hidden = !open;
    launcher.hidden = open;
    launcher.setAttribute('aria-expanded', String(open));
    state.open = open;
    saveState();
    if (open) {
      if (!socket) { attempts = 0; connect(); }
      scrollToEnd();
      if (moveFocus) { input.focus(); }
    } else if (moveFocus) {
      launcher.focus();
    }
  }

  launcher.addEventListener('click', function () { setOpen(true, true); });
  closeButton.addEventListener('click', function () { setOpen(false, true); });
  newButton.addEventListener('click', newConversation);
  panel.addEventListener('keydown', function (event) {
    if (event.key === 'Escape') { setOpen(false, true); }
  });
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = '';
    submit({ text: text });
    input.focus();
  });
  window.addEventListener('online', reconnectNow);
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') { reconnectNow(); }
  });

  function start() {
    document.body.appendChild(root);
    applyTexts();
    state.pending.forEach(showPending);
    if (state.open) { setOpen(true, false); } else if (state.token || state.pending.length) { connect(); }
  }

  if (document.body) { start(); } else { document.addEventListener('DOMContentLoaded', start); }
}());
