// The console's one script: live updates from the world's change feed (server-sent events),
// without polling. Served from the world itself so that the CSP allows 'self' scripts only.
// The class at a glance is fetched again after each change; since it shows how long each
// learner has been idle (real time), it is also fetched again every minute.
(function () {
  'use strict';
  var live = document.querySelector('[data-live-rows]');
  var notices = document.querySelectorAll('[data-live-notice]');
  if (!live && notices.length === 0) return;
  var source = new EventSource('/console/apprenants/flux');
  var waiting = false;
  function refreshRows() {
    if (waiting) return;
    waiting = true;
    setTimeout(function () {
      waiting = false;
      fetch(live.getAttribute('data-live-rows'), { credentials: 'same-origin' })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html === null) return;
          live.innerHTML = html;
          // The server's time in the class's zone, never the browser's own zone.
          var stamp = document.getElementById('mis-a-jour');
          var updated = live.querySelector('[data-updated]');
          if (stamp && updated) {
            stamp.textContent = 'Liste mise à jour à ' + updated.getAttribute('data-updated') + '.';
          }
        });
    }, 150);
  }
  if (live) setInterval(refreshRows, 60000);
  source.addEventListener('change', function (event) {
    if (live) refreshRows();
    notices.forEach(function (notice) {
      var only = notice.getAttribute('data-learner');
      if (!only || only === event.data) notice.hidden = false;
    });
  });
})();

// « Appliquer un fichier de scénario »: a chosen file fills the text area that the form sends
// (the form works without script too: the file's text can be pasted).
(function () {
  'use strict';
  document.querySelectorAll('input[type=file][data-fills]').forEach(function (input) {
    input.addEventListener('change', function () {
      var file = input.files && input.files[0];
      var target = document.getElementById(input.getAttribute('data-fills'));
      if (!file || !target) return;
      file.text().then(function (text) { target.value = text; });
    });
  });
})();
