// The channels drawer of the browser chat (www/chat.html) on a narrow screen: the "Channels" button opens the
// channel list over the page (static/css/chat-phone.css); choosing a conversation, joining a channel, Escape or a
// tap beside it closes it. On a wide screen the button is not shown and the list stays beside the conversation.
// New, not in WeApRous. The disclosure pattern of the WAI-ARIA Authoring Practices: aria-expanded on the button.
'use strict';

(function drawer() {
  const button = document.getElementById('channels-button');
  const nav = document.getElementById('channels');

  function setOpen(open) {
    nav.classList.toggle('open', open);
    document.body.classList.toggle('drawer-open', open);
    button.setAttribute('aria-expanded', String(open));
  }

  function isOpen() {
    return nav.classList.contains('open');
  }

  button.addEventListener('click', () => {
    setOpen(!isOpen());
    if (isOpen()) (nav.querySelector('a[aria-current="page"]') || nav.querySelector('a, input')).focus();
  });
  // A conversation chosen: the drawer has done its job (chat.js shows it, from the link's #hash).
  nav.addEventListener('click', (event) => event.target.closest('a') && setOpen(false));
  // A channel joined: chat.js opens it and puts the focus in the message box.
  document.getElementById('join-form').addEventListener('submit', () => setOpen(false));
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || !isOpen()) return;
    setOpen(false);
    button.focus();
  });
  // A tap on the dimmed page beside the drawer.
  document.addEventListener('click', (event) => {
    if (isOpen() && !nav.contains(event.target) && !button.contains(event.target)) setOpen(false);
  });
})();
