// One message window of the browser chat (www/chat.html): a role="log" element per conversation, which keeps its
// own scroll position, follows new messages only while the reader is at its bottom, and loads the page before
// when scrolled to its top, keeping the message being read where it was. Messages are kept by id in the order
// every peer shows them (View.compare), so one that arrives twice is shown once. New, not in WeApRous.
/* global CSS */
'use strict';

window.ChatLog = (function chatLog() {
  const View = window.ChatView;

  /** Within this many pixels of the bottom counts as at the bottom. */
  const BOTTOM_PX = 24;

  function atBottom(element) {
    return element.scrollHeight - element.scrollTop - element.clientHeight < BOTTOM_PX;
  }

  /**
   * A log for `conversation`, added to `container`. `api(path)` fetches JSON; `onBottom` hears the reader reach
   * the bottom; `onError` a page that could not load.
   */
  function create(conversation, label, container, api, onBottom, onError) {
    const element = document.createElement('div');
    element.className = 'log';
    element.setAttribute('role', 'log');
    element.setAttribute('aria-label', label + ' conversation');
    element.tabIndex = 0; // the arrow keys scroll it
    const older = View.text('button', 'Load older messages', 'older');
    older.type = 'button';
    older.hidden = true;
    element.append(older);
    container.append(element);
    const log = { conversation, element, messages: new Map(), cursor: null, loaded: false, loading: false };

    const query = (extra) => '/api/messages/?conversation=' + encodeURIComponent(conversation) + extra;
    const setOlder = (cursor) => {
      log.cursor = cursor;
      older.hidden = !cursor;
    };

    /**
     * Puts messages in, in order, each once. A copy of one already there can only clear its pending mark: the
     * answer to a send may come after the event saying the message was delivered.
     */
    log.place = (views) => {
      for (const view of views) {
        const known = log.messages.get(view.id);
        if (known) {
          known.pending = known.pending && view.pending;
          View.setPending(element.querySelector('[data-id="' + CSS.escape(view.id) + '"]'), known.pending);
          continue;
        }
        log.messages.set(view.id, view);
        let after = element.lastElementChild;
        while (after && after.dataset.id && View.compare(log.messages.get(after.dataset.id), view) > 0)
          after = after.previousElementSibling;
        after.after(View.message(view));
      }
    };

    /** A new message: placed, and followed if the reader was at the bottom. True when it was followed. */
    log.add = (view) => {
      const follow = atBottom(element);
      log.place([view]);
      if (follow) log.toBottom();
      return follow;
    };

    log.toBottom = () => {
      element.scrollTop = element.scrollHeight;
    };

    log.setPending = (id, pending) => {
      const view = log.messages.get(id);
      if (!view) return;
      view.pending = pending;
      View.setPending(element.querySelector('[data-id="' + CSS.escape(id) + '"]'), pending);
    };

    /** The newest page (again): what is new is placed, nothing twice. */
    log.loadLatest = async () => {
      const page = await api(query(''));
      const follow = !log.loaded || atBottom(element);
      log.place(page.messages);
      if (!log.loaded) setOlder(page.older);
      log.loaded = true;
      if (follow) log.toBottom();
    };

    /** The page before the oldest one shown; the message being read stays where it was on the screen. */
    log.loadOlder = async () => {
      if (log.loading || !log.cursor) return;
      log.loading = true;
      try {
        const page = await api(query('&before=' + encodeURIComponent(log.cursor)));
        // Every change above the reader first (the messages, the button that may go), then one correction.
        const fromBottom = element.scrollHeight - element.scrollTop;
        log.place(page.messages);
        setOlder(page.older);
        element.scrollTop = element.scrollHeight - fromBottom;
      } catch (error) {
        onError('Could not load older messages: ' + error.message);
      } finally {
        log.loading = false;
      }
    };

    older.addEventListener('click', () => log.loadOlder());
    element.addEventListener('scroll', () => {
      if (element.scrollTop < 40) log.loadOlder();
      if (atBottom(element)) onBottom(log);
    });
    return log;
  }

  return { create };
})();
