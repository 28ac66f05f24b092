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
      refused: 'Der Chat ist auf dieser Seite leider nicht freigeschaltet und kann hier keine Nachrichten senden. Bitte nutzen Sie den Chat auf der Website des Märkischen Kreises.',
      privacy: 'Bitte geben Sie keine Gesundheits- oder Kontodaten ein. Der Verlauf wird {hours} Stunden nach der letzten Nachricht gelöscht.',
      privacyLink: 'Datenschutzhinweise', accessibility: 'Barrierefreiheit',
      welcome: 'Guten Tag! Ich bin der digitale Assistent des Märkischen Kreises und beantworte Fragen zu unseren Leistungen, zum Beispiel: „Wie melde ich mein Auto an?“ Im Notfall wählen Sie bitte 112 (Feuerwehr, Rettungsdienst) oder 110 (Polizei).',
      newWindow: '(öffnet neues Fenster)', choices: 'Antwortmöglichkeiten', image: 'Bild',
      useLocation: 'Meinen Standort verwenden', attachPhoto: 'Foto hinzufügen',
      locating: 'Ihr Standort wird ermittelt …', locationSent: 'Standort gesendet',
      photoSent: 'Foto',
      locationDenied: 'Sie haben die Standortfreigabe nicht erlaubt. Schreiben Sie uns bitte die Adresse oder eine Ortsbeschreibung.',
      locationFailed: 'Ihr Standort konnte nicht ermittelt werden. Schreiben Sie uns bitte die Adresse oder eine Ortsbeschreibung.',
      locationUnsupported: 'Ihr Browser kann den Standort hier nicht senden. Schreiben Sie uns bitte die Adresse oder eine Ortsbeschreibung.',
      photoTooLarge: 'Das Foto ist zu groß. Erlaubt sind höchstens {mb} MB.',
      photoType: 'Bitte wählen Sie ein Foto im Format JPEG, PNG oder WebP.',
      photoTooMany: 'Sie haben schon viele Fotos gesendet. Bitte versuchen Sie es später noch einmal.',
      photoUnavailable: 'Fotos können gerade nicht hochgeladen werden. Bitte versuchen Sie es später noch einmal.'
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
      refused: 'Sorry, the chat is not enabled on this page and cannot send messages here. Please use the chat on the website of the Märkischer Kreis.',
      privacy: 'Please do not enter health or bank details. The history is deleted {hours} hours after the last message.',
      privacyLink: 'Privacy notice', accessibility: 'Accessibility',
      welcome: 'Hello! I am the digital assistant of the Märkischer Kreis and answer questions about our services, for example: “How do I register my car?” In an emergency, please call 112 (fire brigade, ambulance) or 110 (police).',
      newWindow: '(opens a new window)', choices: 'Possible answers', image: 'Image',
      useLocation: 'Use my location', attachPhoto: 'Add a photo',
      locating: 'Finding your location …', locationSent: 'Location sent',
      photoSent: 'Photo',
      locationDenied: 'You did not allow sharing your location. Please write the address or describe the place.',
      locationFailed: 'Your location could not be found. Please write the address or describe the place.',
      locationUnsupported: 'Your browser cannot send the location here. Please write the address or describe the place.',
      photoTooLarge: 'The photo is too large. At most {mb} MB are allowed.',
      photoType: 'Please choose a photo in JPEG, PNG or WebP format.',
      photoTooMany: 'You have sent many photos already. Please try again later.',
      photoUnavailable: 'Photos cannot be uploaded right now. Please try again later.'
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
      refused: 'Der Chat geht auf dieser Seite leider nicht. Bitte benutzen Sie den Chat auf der Internet-Seite vom Märkischen Kreis.',
      privacy: 'Schreiben Sie bitte keine geheimen Daten. Zum Beispiel: Ihre Konto-Nummer. Nach {hours} Stunden löschen wir den Chat.',
      privacyLink: 'Mehr zum Daten-Schutz', accessibility: 'Barriere-Freiheit',
      welcome: 'Hallo! Ich bin der Computer-Helfer vom Märkischen Kreis. Sie können mir Fragen schreiben. Zum Beispiel: Wie melde ich mein Auto an? Im Notfall rufen Sie an: 112.',
      newWindow: '(neues Fenster)', choices: 'Antworten zum Aus-wählen', image: 'Bild',
      useLocation: 'Meinen Stand-Ort schicken', attachPhoto: 'Foto schicken',
      locating: 'Wir suchen Ihren Stand-Ort. Bitte warten Sie.', locationSent: 'Stand-Ort geschickt',
      photoSent: 'Foto',
      locationDenied: 'Sie wollen den Stand-Ort nicht schicken. Das ist in Ordnung. Schreiben Sie bitte: Wo ist es? Zum Beispiel die Straße.',
      locationFailed: 'Wir finden Ihren Stand-Ort nicht. Schreiben Sie bitte: Wo ist es? Zum Beispiel die Straße.',
      locationUnsupported: 'Das geht hier leider nicht. Schreiben Sie bitte: Wo ist es? Zum Beispiel die Straße.',
      photoTooLarge: 'Das Foto ist zu groß. Es darf höchstens {mb} MB groß sein.',
      photoType: 'Das geht nicht. Bitte schicken Sie ein Foto. Das Foto muss JPEG, PNG oder WebP sein.',
      photoTooMany: 'Sie haben schon viele Fotos geschickt. Bitte versuchen Sie es später noch einmal.',
      photoUnavailable: 'Fotos gehen gerade nicht. Bitte versuchen Sie es später noch einmal.'
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
      (typeof item.text === 'string' || typeof item.payload === 'string' || validLocation(item.location));
  }

  function validLocation(location) {
    return !!location && isFinite(location.lat) && isFinite(location.lon) &&
      Math.abs(location.lat) <= 90 && Math.abs(location.lon) <= 180;
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
  var upload = null;  // {max_bytes} when the gateway takes photos (from the session frame)
  var PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp'];

  function t(key) {
    var mb = upload ? Math.floor(upload.max_bytes / (1024 * 1024)) : 5;
    return TEXTS[ui][key].replace('{mb}', String(mb));
  }

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
    Array.prototype.forEach.call(log.querySelectorAll('[data-t]'), function (node) {
      node.textContent = t(node.getAttribute('data-t')) + (node.getAttribute('data-extra') || '');
    });
    if (typingShown) { typing.textContent = t('typing'); }
    if (refused) { connection.textContent = t('refused'); } else if (offlineShown) { connection.textContent = t('offline'); }
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
      // "War das hilfreich?" (a feedback offer): the same buttons, smaller
      if (body.feedback === true) { node.classList.add('mkc-feedback'); }
    } else if (kind === 'link') {
      var href = safeUrl(body.url);
      if (!href) { return null; }
      node.appendChild(el('p', { 'class': 'mkc-text' }, [externalLink(href, body.text || href)]));
    } else if (kind === 'image') {
      var src = safeUrl(body.url);
      if (!src) { return null; }
      node.appendChild(el('img', { 'class': 'mkc-image', src: src, alt: body.alt || t('image') }));
    } else if (kind === 'request') {
      if (!requestContent(node, body.request)) { return null; }
      node.classList.add('mkc-request');
    } else if (kind !== 'text' && kind !== 'buttons') {
      return null;
    }
    return node;
  }

  function userNode(text, cmid, key) {
    var p = el('p', { 'class': 'mkc-text', text: text });
    if (key) {  // a widget label (photo, location): translated again when the language changes
      p.setAttribute('data-t', key);
      p.setAttribute('data-extra', text);
      p.textContent = t(key) + text;
    }
    var node = el('div', { 'class': 'mkc-msg mkc-msg-user', dir: 'auto' }, [who('you'), p]);
    if (cmid) { node.setAttribute('data-cmid', cmid); }
    return node;
  }

  function coordinates(location) {
    return ' (' + Number(location.lat).toFixed(5) + ', ' + Number(location.lon).toFixed(5) + ')';
  }

  // The citizen's history entry as a bubble: text, a chosen button, a location or a photo.
  function userNodeOf(body, cmid) {
    if (body.kind === 'location' && validLocation(body)) { return userNode(coordinates(body), cmid, 'locationSent'); }
    if (body.kind === 'photo') { return userNode('', cmid, 'photoSent'); }
    return userNode(String(body.text || ''), cmid);
  }

  // --- what the bot asks for: the location or a photo --------------------------------------------
  //
  // The buttons appear only where the bot asks (custom {"request": ...}) and go away with the
  // citizen's next message: the dialogue core can use a location or photo only inside the form
  // that asked for it, so data sent at other times would be collected for nothing; and a browser
  // should ask for the location permission only when the reason is plain to see.

  function requestContent(node, request) {
    if (request === 'location') {
      if (!navigator.geolocation || window.isSecureContext === false) {
        node.appendChild(el('p', { 'class': 'mkc-text', 'data-t': 'locationUnsupported', text: t('locationUnsupported') }));
        return true;
      }
      node.appendChild(requestButton('useLocation', 'mkc-icon-location', function (button, status) {
        shareLocation(button, status);
      }));
      return true;
    }
    if (request === 'photo') {
      if (!upload) {
        node.appendChild(el('p', { 'class': 'mkc-text', 'data-t': 'photoUnavailable', text: t('photoUnavailable') }));
        return true;
      }
      // Hidden: the button is the control (labelled, focusable); it opens the file dialog.
      var fileInput = el('input', { type: 'file', accept: PHOTO_TYPES.join(','), 'class': 'mkc-file',
        tabindex: '-1', 'aria-hidden': 'true' });
      fileInput.hidden = true;
      var group = requestButton('attachPhoto', 'mkc-icon-photo', function () {
        fileInput.value = '';
        fileInput.click();
      });
      fileInput.addEventListener('change', function () {
        var file = fileInput.files && fileInput.files[0];
        if (file) { choosePhoto(file, group.querySelector('.mkc-request-status')); }
      });
      group.appendChild(fileInput);
      node.appendChild(group);
      return true;
    }
    return false;
  }

  function requestButton(key, icon, onClick) {
    var status = el('p', { 'class': 'mkc-request-status', role: 'status' });
    var button = el('button', { type: 'button', 'class': 'mkc-choice mkc-request-button' }, [
      el('span', { 'class': 'mkc-request-icon ' + icon, 'aria-hidden': 'true' }),
      el('span', { 'data-t': key, text: t(key) })
    ]);
    button.addEventListener('click', function () { onClick(button, status); });
    return el('div', { 'class': 'mkc-choices' }, [button, status]);
  }

  // A request is answered (or passed over) by the citizen's next message: its buttons go.
  function closeRequests() {
    Array.prototype.forEach.call(log.querySelectorAll('.mkc-request'), function (node) {
      var hadFocus = node.contains(document.activeElement);
      node.remove();
      if (hadFocus) { input.focus(); }
    });
  }

  function showStatus(status, key) {
    status.setAttribute('data-t', key);
    status.textContent = t(key);
  }

  function shareLocation(button, status) {
    if (button.getAttribute('aria-disabled') === 'true') { return; }
    button.setAttribute('aria-disabled', 'true');
    showStatus(status, 'locating');
    navigator.geolocation.getCurrentPosition(function (position) {
      submit({ location: { lat: Math.round(position.coords.latitude * 1e6) / 1e6,
        lon: Math.round(position.coords.longitude * 1e6) / 1e6 } });
    }, function (error) {
      button.removeAttribute('aria-disabled');
      showStatus(status, error && error.code === 1 ? 'locationDenied' : 'locationFailed');
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  }

  // The gateway checks type (by the bytes) and size again; these checks only spare a useless upload.
  function choosePhoto(file, status) {
    // Some phones give no type for a camera picture: then the gateway's check decides alone.
    if (file.type && PHOTO_TYPES.indexOf(file.type) < 0) { showStatus(status, 'photoType'); return; }
    if (file.size > upload.max_bytes) { showStatus(status, 'photoTooLarge'); return; }
    var cmid = newId();
    var node = userNode('', cmid, 'photoSent');
    node.classList.add('mkc-pending');
    setDelivery(node, 'sending');
    byCmid[cmid] = node;
    log.appendChild(node);  // the request stays until the photo arrived: a refused one can be replaced
    scrollToEnd();
    sendPhoto(file, cmid, node, 0);
  }

  var PHOTO_ERRORS = { 413: 'photoTooLarge', 415: 'photoType', 429: 'photoTooMany' };

  // Photos travel over HTTP, not the socket; the same cmid on a retry keeps them from counting twice.
  function sendPhoto(file, cmid, node, attempt) {
    function failed(key) {
      node.classList.remove('mkc-pending');  // answers that follow go after it, not before
      setDelivery(node, key);
    }
    function retryOr(key) {
      if (attempt < 3) {
        setTimeout(function () { sendPhoto(file, cmid, node, attempt + 1); }, 1000 * Math.pow(2, attempt));
      } else {
        failed(key);
      }
    }
    fetch(base + '/webchat/upload', { method: 'POST', body: file, mode: 'cors', credentials: 'omit',
      headers: { 'Authorization': 'Bearer ' + (state.token || ''), 'X-Webchat-Cmid': cmid,
        'Content-Type': file.type || 'application/octet-stream' } })
      .then(function (response) {
        if (response.status === 202) {
          acknowledged(cmid);
          closeRequests();
        } else if (response.status >= 500) {
          retryOr('photoUnavailable');
        } else {
          failed(PHOTO_ERRORS[response.status] || 'failed');
        }
      }, function () { retryOr('photoUnavailable'); });
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
        node = userNodeOf(frame.body, frame.cmid);
      }
      closeRequests();
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
    if (refused) { return; }
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
  var refused = false;  // the gateway does not allow this page's origin: no socket, a notice instead
  var originAsked = false;
  var generation = 0;
  var ready = false;
  var attempts = 0;
  var reconnectTimer = null;
  var retryTimer = null;
  var sentOnThisSocket = {};

  function connect() {
    clearTimeout(reconnectTimer);
    if (refused) { return; }
    if (socket && (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING)) {
      return;
    }
    var mine = ++generation;
    ready = false;
    sentOnThisSocket = {};
    log.setAttribute('aria-busy', 'true');
    var ws = new WebSocket(socketUrl);
    var opened = false;
    socket = ws;
    ws.addEventListener('open', function () {
      if (mine !== generation) { return; }
      opened = true;
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
      if (!opened) { askOrigin(); }
    });
  }

  // A socket refused for its Origin (403) fails like a network error; the gateway says which it was.
  function askOrigin() {
    if (originAsked) { return; }
    originAsked = true;
    fetch(base + '/webchat/origin', { mode: 'cors', credentials: 'omit', cache: 'no-store' })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (answer && answer.allowed === false) { refuse(); }
      }, function () { originAsked = false; });  // unreachable: ask again after the next failure
  }

  function refuse() {
    refused = true;
    generation += 1;
    clearTimeout(reconnectTimer);
    clearTimeout(offlineTimer);
    offlineTimer = null;
    socket = null;
    log.removeAttribute('aria-busy');
    hideTyping();
    connection.textContent = t('refused');
    input.disabled = true;
    sendButton.disabled = true;
    Object.keys(byCmid).forEach(function (cmid) {
      if (byCmid[cmid].classList.contains('mkc-pending')) { setDelivery(byCmid[cmid], 'failed'); }
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
        upload = frame.upload && typeof frame.upload.max_bytes === 'number' ? frame.upload : null;
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
      } else if (item.location) {
        frame.type = 'location';
        frame.lat = item.location.lat;
        frame.lon = item.location.lon;
      } else {
        frame.text = item.text;
      }
      socket.send(JSON.stringify(frame));
    });
  }

  function showPending(item) {
    var node = item.location ? userNode(coordinates(item.location), item.cmid, 'locationSent') :
      userNode(typeof item.payload === 'string' ? item.title || item.payload : item.text, item.cmid);
    node.classList.add('mkc-pending');
    setDelivery(node, 'sending');
    byCmid[item.cmid] = node;
    log.appendChild(node);
    scrollToEnd();
  }

  function submit(content) {
    if (refused) { return; }
    var item = { cmid: newId() };
    if (content.payload) {
      item.payload = content.payload;
      item.title = content.title;
    } else if (content.location) {
      item.location = content.location;
    } else {
      item.text = content.text;
    }
    state.pending.push(item);
    saveState();
    closeRequests();
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
