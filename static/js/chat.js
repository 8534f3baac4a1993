// The browser chat (www/chat.html): loads the state and each conversation's latest page from the peer's API,
// then follows its event stream (GET /events/), which the browser reconnects by itself, sending Last-Event-ID,
// after a network blip or a restart of the peer. Messages are kept per conversation by id, in the order every
// peer shows them, so an event that arrives twice, or a page loaded again, shows nothing twice. New, not in
// WeApRous. Each conversation's window is chat-log.js's; rendering (all of it as text) is chat-view.js's.
/* global EventSource, Notification */
'use strict';

(function chat() {
  const View = window.ChatView;
  const $ = (id) => document.getElementById(id);
  const logs = new Map(); // conversation → its log (chat-log.js)
  const unread = new Map(); // conversation → count
  const names = new Map(); // direct conversation → the peer's name
  let self = { peer_id: '', name: '' };
  let channels = [];
  let open = 'general';
  let lastEvent = '';
  let source = null;
  let readTimer = null;
  // Set when this page's own Log out is sent: its answer lands on "You have logged out.", nothing else may move the page.
  let leaving = false;

  async function api(path, body) {
    const init = body === undefined ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
    const res = await fetch(path, Object.assign({ cache: 'no-store', headers: { Accept: 'application/json' } }, init));
    if (res.status === 401) {
      if (!leaving) location.assign('/login/'); // the session ended (logout in another tab, or it expired)
      throw new Error('Logged out');
    }
    const data = await res.json();
    if (!res.ok) throw new Error(data.error || 'HTTP ' + res.status);
    return data;
  }

  function alertText(message) {
    $('alert').textContent = message;
    $('alert').hidden = message === '';
  }

  // ---- the state: channels, direct conversations, peers, unread counts, the title ----

  async function loadState() {
    const state = await api('/api/state/');
    self = state.self;
    channels = state.channels;
    lastEvent = lastEvent || state.last_event;
    unread.clear();
    for (const c of state.channels) unread.set(c.name, c.unread);
    for (const c of state.conversations) {
      unread.set(c.conversation, c.unread);
      names.set(c.conversation, c.name);
    }
    $('self-name').textContent = self.name;
    $('self-id').textContent = self.peer_id;
    renderPeers(state.peers);
    renderNav();
    if (!isHere(open)) show('general');
  }

  function isHere(conversation) {
    return conversation.charAt(0) === '@' || channels.some((c) => c.name === conversation);
  }

  function renderNav() {
    $('channel-list').replaceChildren(...channels.map((c) => View.navItem(c.name, '', unread.get(c.name) || 0, c.private)));
    const directs = [...names.keys()].map((c) => View.navItem(c, names.get(c), unread.get(c) || 0, false));
    $('direct-list').replaceChildren(...(directs.length > 0 ? directs : [View.empty('No direct messages yet')]));
    for (const link of document.querySelectorAll('nav a[data-conversation]')) {
      if (link.dataset.conversation === open) link.setAttribute('aria-current', 'page');
    }
    const total = [...unread.values()].reduce((a, b) => a + b, 0);
    const where = View.label(open, names.get(open));
    document.title = (total > 0 ? '(' + total + ') ' : '') + where + ' - ' + self.name + ' - WeApRous chat';
  }

  function renderPeers(peers) {
    const items = peers.map((p) => View.peer(p, (peer) => openDirect(peer.peer_id, peer.name)));
    $('peer-list').replaceChildren(...(items.length > 0 ? items : [View.empty('No peers connected')]));
  }

  function openDirect(peerId, name) {
    const conversation = '@' + peerId;
    if (!names.has(conversation)) names.set(conversation, name);
    location.hash = conversation;
    show(conversation);
    $('message').focus();
  }

  // ---- one log per conversation (chat-log.js): each keeps its own scroll position ----

  function logOf(conversation) {
    if (!logs.has(conversation)) {
      const label = View.label(conversation, names.get(conversation));
      const onBottom = (log) => log.conversation === open && ($('jump').hidden = true);
      logs.set(conversation, window.ChatLog.create(conversation, label, $('logs'), api, onBottom, alertText));
    }
    return logs.get(conversation);
  }

  /** Shows one conversation (the others stay as they were, scrolled where they were), loading it the first time. */
  function show(conversation) {
    open = conversation;
    const log = logOf(conversation);
    for (const other of logs.values()) other.element.hidden = other !== log;
    $('conversation-title').textContent = View.label(conversation, names.get(conversation));
    $('leave').hidden = conversation === 'general' || conversation.charAt(0) === '@';
    $('leave').textContent = 'Leave ' + View.label(conversation);
    $('jump').hidden = true;
    alertText('');
    if (!log.loaded) log.loadLatest().catch((error) => alertText('Could not load the messages: ' + error.message));
    markRead();
    renderNav();
  }

  /** The open conversation has been seen: its count goes, here and on the peer (the console's prompt too). */
  function markRead() {
    if (document.hidden || !(unread.get(open) > 0)) return;
    unread.set(open, 0);
    renderNav();
    window.clearTimeout(readTimer);
    const conversation = open;
    readTimer = window.setTimeout(() => api('/api/read/', { conversation }).catch(() => {}), 200);
  }

  // ---- live: the event stream ----

  function connect() {
    source = new EventSource('/events/' + (lastEvent ? '?last=' + encodeURIComponent(lastEvent) : ''));
    const track = (handler) => (event) => {
      if (event.lastEventId) lastEvent = event.lastEventId;
      handler(event.data ? JSON.parse(event.data) : {});
    };
    source.onopen = () => ($('connection').textContent = 'Live');
    source.onerror = () => {
      $('connection').textContent = 'Reconnecting to the peer...';
      if (source.readyState !== EventSource.CLOSED) return; // the browser tries again by itself
      // Refused (a 401 or 503): ask why, then open a new stream that starts after the last event seen.
      window.setTimeout(() => api('/api/state/').then(connect, () => window.setTimeout(connect, 3000)), 1000);
    };
    source.addEventListener('message', track(onMessage));
    source.addEventListener('delivered', track(onDelivered));
    source.addEventListener(
      'peers',
      track((data) => renderPeers(data.peers)),
    );
    source.addEventListener('channel', track(onChannel));
    source.addEventListener(
      'history',
      track((data) => logs.has(data.conversation) && logs.get(data.conversation).loadLatest()),
    );
    source.addEventListener('reload', track(reload));
    source.addEventListener('logout', () => leaving || location.assign('/login/?out')); // says "You have logged out."
  }

  function onMessage({ message }) {
    const conversation = message.conversation;
    if (conversation.charAt(0) === '@' && !names.has(conversation))
      names.set(conversation, message.mine ? conversation.slice(1) : message.name);
    const log = logs.get(conversation);
    if (log && log.loaded && !log.add(message) && conversation === open && !message.mine) $('jump').hidden = false;
    if (!message.mine) {
      unread.set(conversation, (unread.get(conversation) || 0) + 1);
      if (conversation === open) markRead();
      notify(message);
    }
    renderNav();
  }

  function onDelivered({ id }) {
    for (const log of logs.values()) log.setPending(id, false);
  }

  function onChannel(data) {
    if (data.change === 'read') {
      unread.set(data.conversation, 0);
      return renderNav();
    }
    if (data.change === 'left' && logs.has(data.conversation)) {
      logs.get(data.conversation).element.remove();
      logs.delete(data.conversation);
    }
    loadState().catch((error) => alertText(error.message));
  }

  /** The peer restarted, or this page fell too far behind: everything again, each message still shown once. */
  async function reload() {
    await loadState();
    for (const log of logs.values()) {
      if (log.conversation === open) await log.loadLatest();
      else log.loaded = false; // loaded again when opened
    }
  }

  /** At most one notification every few seconds: anyone may send direct messages, under ever new addresses. */
  const NOTIFY_EVERY_MS = 3000;
  let notifiedAt = 0;

  function notify(message) {
    if (!('Notification' in window) || Notification.permission !== 'granted') return;
    if (!document.hidden && message.conversation === open) return;
    if (Date.now() - notifiedAt < NOTIFY_EVERY_MS) return;
    notifiedAt = Date.now();
    const where = View.label(message.conversation, message.name);
    new Notification(message.name + (where.charAt(0) === '#' ? ' in ' + where : ''), { body: message.text, tag: message.conversation });
  }

  // ---- what the user does ----

  $('send-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = $('message');
    if (input.value.trim() === '') return;
    try {
      const { message } = await api('/api/send/', { conversation: open, text: input.value });
      input.value = '';
      alertText('');
      const log = logOf(message.conversation);
      if (log.loaded) log.place([message]);
      log.toBottom(); // one's own message: always follow
    } catch (error) {
      alertText(error.message);
    }
  });

  $('join-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const channel = $('join-channel').value.trim().replace(/^#/, '');
    try {
      const joined = await api('/api/join/', { channel, key: $('join-key').value });
      $('join-form').reset();
      await loadState();
      location.hash = joined.channel;
      show(joined.channel);
      $('message').focus(); // joined to talk there: the next keys are a message, not another channel's name
      alertText('');
    } catch (error) {
      alertText(error.message);
    }
  });

  $('leave').addEventListener('click', async () => {
    try {
      await api('/api/leave/', { channel: open });
      location.hash = 'general';
      show('general');
    } catch (error) {
      alertText(error.message);
    }
  });

  $('jump').addEventListener('click', () => {
    logs.get(open).toBottom();
    $('jump').hidden = true;
    $('message').focus();
  });

  document.querySelector('form[action="/logout/"]').addEventListener('submit', () => {
    leaving = true;
    if (source) source.close(); // its `logout` event would race the form's own answer
  });

  $('notify').hidden = !('Notification' in window) || Notification.permission !== 'default';
  $('notify').addEventListener('click', () => Notification.requestPermission().then(() => ($('notify').hidden = true)));

  window.addEventListener('hashchange', () => {
    const conversation = decodeURIComponent(location.hash.slice(1)) || 'general';
    if (conversation !== open && isHere(conversation)) show(conversation);
  });
  document.addEventListener('visibilitychange', markRead);

  loadState()
    .then(() => {
      const wanted = decodeURIComponent(location.hash.slice(1));
      show(wanted && isHere(wanted) ? wanted : 'general');
      connect();
    })
    .catch((error) => alertText('Could not load the chat: ' + error.message));
})();
