// SampleApp page script (Task 1, cookie login). It shows that an HttpOnly cookie is invisible to
// JavaScript: the browser sends auth=true with every request, yet document.cookie does not contain it.
'use strict';

(function showCookieCheck() {
  var note = document.getElementById('cookie-check');
  if (!note) return;
  var visible = document.cookie === '' ? '(empty)' : document.cookie;
  note.textContent =
    "The cookie is HttpOnly: this page's script reads document.cookie = " +
    visible +
    ', even though the browser sent auth=true to load this page.';
})();
