// pdpipeline console: the pages are complete as the server renders them; this file only adds
// local times, live updates of the deliveries list and the two actions. No inline script is
// allowed (Content-Security-Policy), and no text from PagerDuty or agents is ever parsed as markup
// here: updates are nodes the server rendered (and escaped), actions show text with textContent.
(function () {
  'use strict';

  function localiseTimes(root) {
    root.querySelectorAll('time[datetime]').forEach(function (el) {
      var iso = el.getAttribute('datetime');
      var d = new Date(iso);
      if (!isNaN(d.getTime())) {
        el.textContent = d.toLocaleString();
        el.title = 'UTC: ' + iso;
      }
    });
  }

  function token() {
    var input = document.getElementById('admin-token');
    return input ? input.value.trim() : '';
  }

  function say(text, ok) {
    var status = document.getElementById('action-status');
    if (status) {
      status.textContent = text;
      status.className = ok ? 'ok' : 'error';
    }
  }

  function post(url, body) {
    return fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Authorization': 'Bearer ' + token() },
      body: JSON.stringify(body),
      credentials: 'omit'
    }).then(function (response) {
      return response.json().then(function (json) { return { status: response.status, json: json }; });
    });
  }

  function liveUpdates() {
    var live = document.querySelector('[data-live]');
    if (!live) {
      return;
    }
    setInterval(function () {
      if (document.hidden) {
        return;
      }
      fetch(window.location.href, { headers: { 'Accept': 'text/html' }, credentials: 'omit' })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) {
            return;
          }
          var doc = new DOMParser().parseFromString(html, 'text/html');
          var fresh = doc.querySelector('[data-live]');
          if (fresh) {
            var imported = document.importNode(fresh, true);
            localiseTimes(imported);
            live.replaceWith(imported);
            live = imported;
          }
        })
        .catch(function () { /* the next poll tries again */ });
    }, 3000);
  }

  function replayForm() {
    var form = document.getElementById('replay-form');
    if (!form) {
      return;
    }
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var trigger = document.getElementById('replay-trigger').value;
      say('Replaying…', true);
      post('/api/incidents/' + encodeURIComponent(form.dataset.incident) + '/replay', { trigger: trigger })
        .then(function (r) {
          if (r.status === 200) {
            say('Replay ' + r.json.replay_id + ': ' + r.json.sent + ' request(s) sent to trigger ' + trigger + '.', true);
          } else {
            say('Refused (' + r.status + '): ' + r.json.error, false);
          }
        })
        .catch(function (e) { say('Failed: ' + e, false); });
    });
  }

  function redriveButtons() {
    document.querySelectorAll('button.redrive').forEach(function (button) {
      button.addEventListener('click', function () {
        say('Re-driving…', true);
        post('/api/dead-letters/redrive', {
          topic: button.dataset.topic,
          partition: Number(button.dataset.partition),
          offset: Number(button.dataset.offset)
        }).then(function (r) {
          if (r.status === 200 && r.json.already_redriven) {
            say('Already re-driven before (to ' + r.json.topic + '-' + r.json.partition + '@' + r.json.offset
              + '); nothing sent again.', true);
          } else if (r.status === 200) {
            say('Re-driven to ' + r.json.topic + '-' + r.json.partition + '@' + r.json.offset + '.', true);
          } else {
            say('Refused (' + r.status + '): ' + r.json.error, false);
          }
        }).catch(function (e) { say('Failed: ' + e, false); });
      });
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    localiseTimes(document);
    liveUpdates();
    replayForm();
    redriveButtons();
  });
})();
