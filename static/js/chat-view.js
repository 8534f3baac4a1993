// The browser chat's rendering (www/chat.html): small functions from data to DOM elements, used by chat.js.
// New, not in WeApRous. Names, messages and channel names come from other peers, that is from anyone, so every
// one of them is written with textContent, never innerHTML: a message <img src=x onerror=alert(1)> shows as
// those 28 characters. Nothing here fetches or keeps state.
'use strict';

window.ChatView = (function chatView() {
  let described = 0;

  /** An element holding `value` as plain text. */
  function text(tag, value, className) {
    const element = document.createElement(tag);
    element.textContent = value;
    if (className) element.className = className;
    return element;
  }

  /** `#general`, or `@Bob` for a direct conversation. */
  function label(conversation, name) {
    return conversation.charAt(0) === '@' ? '@' + (name || conversation.slice(1)) : '#' + conversation;
  }

  /** The order every peer shows a conversation in: Lamport clock, then sender id, then message id. */
  function compare(a, b) {
    if (a.clock !== b.clock) return a.clock - b.clock;
    if (a.from !== b.from) return a.from < b.from ? -1 : 1;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  }

  function pad(n) {
    return String(n).padStart(2, '0');
  }

  /** `14:05` today, `3 Nov 14:05` another day, in the browser's time zone. */
  function timeLabel(ms) {
    const date = new Date(ms);
    const hhmm = pad(date.getHours()) + ':' + pad(date.getMinutes());
    if (date.toDateString() === new Date().toDateString()) return hhmm;
    return date.getDate() + ' ' + date.toLocaleString('en', { month: 'short' }) + ' ' + hhmm;
  }

  /** One message: sender, address, time, verified mark, 'in clear' for a direct message not sealed, pending mark, then its text. */
  function message(view) {
    const article = document.createElement('article');
    article.className = 'message' + (view.mine ? ' mine' : '') + (view.mention ? ' mention' : '');
    article.dataset.id = view.id;
    const head = document.createElement('header');
    const time = text('time', timeLabel(view.time));
    time.dateTime = new Date(view.time).toISOString();
    time.title = new Date(view.time).toLocaleString();
    const mark = text('span', view.authorship, 'mark ' + view.authorship);
    mark.title =
      view.authorship === 'verified'
        ? 'Signed with the key this peer knows for ' + view.from
        : 'No key is known for ' + view.from + ': anyone could have sent this in that name';
    head.append(text('strong', view.name, 'sender'), ' ', text('span', view.from, 'address'), ' ', time, ' ', mark);
    if (view.conversation.charAt(0) === '@' && !view.sealed) {
      const clear = text('span', 'in clear', 'mark clear');
      clear.title = 'Not encrypted: ' + (view.mine ? 'this peer' : view.name) + ' has no key, so anyone on the network can read it';
      head.append(' ', clear);
    }
    if (view.mention) head.append(' ', text('span', 'mentions you', 'mention-mark'));
    head.append(text('span', 'pending', 'pending-mark'));
    article.append(head, text('p', view.text, 'text'));
    setPending(article, view.pending);
    return article;
  }

  /** Shows or clears the pending mark: a message waits for at least one peer to acknowledge it. */
  function setPending(article, pending) {
    article.classList.toggle('pending', pending);
    const mark = article.querySelector('.pending-mark');
    mark.hidden = !pending;
    mark.title = 'Not yet acknowledged by every peer it was sent to; sent again until it is';
  }

  /**
   * A link to one conversation, named by it alone (`#general`): the unread badge is hidden from screen readers,
   * which hear the count, and whether the channel is private, as the link's description instead.
   */
  function navItem(conversation, name, unread, isPrivate) {
    const item = document.createElement('li');
    const link = document.createElement('a');
    link.href = '#' + conversation;
    link.dataset.conversation = conversation;
    const badge = text('span', String(unread), 'badge');
    badge.hidden = unread === 0;
    badge.setAttribute('aria-hidden', 'true');
    link.append(text('span', label(conversation, name), 'name'));
    if (isPrivate) link.append(text('span', ' (private)', 'private-mark'));
    link.append(badge);
    const notes = [isPrivate ? 'private' : '', unread > 0 ? unread + ' unread' : ''].filter(Boolean).join(', ');
    const description = text('span', notes, 'visually-hidden');
    description.id = 'nav-note-' + ++described;
    link.setAttribute('aria-describedby', description.id);
    item.append(link, description);
    return item;
  }

  /** One peer: name and address, reachable or not, verified or not, messages waiting, and a button to write to it. */
  function peer(view, onMessage) {
    const item = document.createElement('li');
    item.className = 'peer' + (view.reachable ? ' reachable' : ' unreachable');
    const notes = [view.reachable ? 'reachable' : 'not reachable', view.verified ? 'verified' : 'unverified'];
    if (view.waiting > 0) notes.push(view.waiting + ' waiting');
    item.append(text('strong', view.name));
    if (view.name !== view.peer_id) item.append(' ', text('span', view.peer_id, 'address'));
    item.append(text('span', notes.join(' · '), 'notes'));
    if (view.reachable || view.waiting === 0) {
      const button = text('button', 'Message ' + view.name);
      button.type = 'button';
      button.addEventListener('click', () => onMessage(view));
      item.append(button);
    }
    return item;
  }

  /** An empty list's one line. */
  function empty(value) {
    return text('li', value, 'empty');
  }

  return { text, label, compare, message, setPending, navItem, peer, empty };
})();
