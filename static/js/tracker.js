// The tracker's status page script (www/tracker.html). New, not in WeApRous. Every 3 seconds it fetches
// GET /status/ and redraws the peers and channels tables. Peer names come from strangers, so every one is
// written with textContent, never innerHTML: a name like <img src=x onerror=alert(1)> shows as those characters.
'use strict';

(function trackerStatus() {
  const REFRESH_MS = 3000;
  // #general holds every peer; past this many, a members cell says how many more instead of naming them all.
  const MAX_NAMED = 20;
  const peersBody = document.querySelector('#peers tbody');
  const channelsBody = document.querySelector('#channels tbody');
  const summary = document.getElementById('summary');
  const updated = document.getElementById('updated');

  /** A cell (`td`, or `th` for the row's header) holding `text` as plain text. */
  function cell(text, tag = 'td') {
    const element = document.createElement(tag);
    element.textContent = text;
    if (tag === 'th') element.scope = 'row';
    return element;
  }

  function row(cells) {
    const tr = document.createElement('tr');
    tr.append(...cells);
    return tr;
  }

  function emptyRow(columns, text) {
    const td = cell(text);
    td.colSpan = columns;
    td.className = 'empty';
    return row([td]);
  }

  /** 75000 → "1 min 15 s ago". */
  function ago(ms) {
    const seconds = Math.max(0, Math.round(ms / 1000));
    if (seconds < 60) return seconds + ' s ago';
    return Math.floor(seconds / 60) + ' min ' + (seconds % 60) + ' s ago';
  }

  function count(n, noun) {
    return n + ' ' + noun + (n === 1 ? '' : 's');
  }

  function label(peer) {
    return peer.name === undefined ? '(no name)' : peer.name;
  }

  function peerRow(peer, now) {
    const time = document.createElement('time');
    time.dateTime = new Date(peer.last_seen).toISOString();
    time.textContent = ago(now - peer.last_seen);
    const seen = document.createElement('td');
    seen.append(time);
    const channels = peer.channels.map((name) => '#' + name).join(', ');
    return row([cell(label(peer), 'th'), cell(peer.peer_id), seen, cell(channels)]);
  }

  function channelRow(channel, peersById) {
    const named = channel.members.slice(0, MAX_NAMED).map((id) => {
      const peer = peersById.get(id);
      return peer ? label(peer) + ' (' + id + ')' : id;
    });
    const more = channel.members.length - named.length;
    if (more > 0) named.push('and ' + count(more, 'other'));
    const members = named.length === 0 ? 'nobody' : named.join(', ');
    const access = channel.private ? 'private (key needed)' : 'public';
    return row([cell('#' + channel.name, 'th'), cell(access), cell(members)]);
  }

  /** Changes a live region only when its words change, so a screen reader is not told the same thing every 3 s. */
  function say(text) {
    if (summary.textContent !== text) summary.textContent = text;
  }

  function render(state) {
    const peersById = new Map(state.peers.map((peer) => [peer.peer_id, peer]));
    const peerRows = state.peers.map((peer) => peerRow(peer, state.now));
    peersBody.replaceChildren(...(peerRows.length > 0 ? peerRows : [emptyRow(4, 'No peer is registered.')]));
    channelsBody.replaceChildren(...state.channels.map((channel) => channelRow(channel, peersById)));
    say(count(state.peers.length, 'peer') + ' and ' + count(state.channels.length, 'channel') + '.');
    updated.textContent =
      '; last updated at ' + new Date().toLocaleTimeString() + ' (a peer is dropped ' + state.ttl + ' s after its last heartbeat)';
  }

  async function refresh() {
    try {
      const res = await fetch('/status/', { cache: 'no-store', headers: { Accept: 'application/json' } });
      if (!res.ok) throw new Error('HTTP ' + res.status);
      render(await res.json());
      document.body.classList.remove('stale');
    } catch (error) {
      // Keep the last tables, greyed out: the tracker may be restarting.
      document.body.classList.add('stale');
      say('The tracker is not answering (' + error.message + '); trying again every 3 seconds.');
    }
    document.querySelector('main').removeAttribute('aria-busy'); // filled, or stale: shown either way
    window.setTimeout(refresh, REFRESH_MS);
  }

  refresh();
})();
