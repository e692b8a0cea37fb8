/* Live deadline countdowns on the ticket page (S1 handoff, S2 reply, …).
 *
 * The server renders each running deadline's countdown ("due in 1 h 58 min") and it stays as
 * the fallback without JavaScript. This script rewrites those texts every 30 seconds from the
 * due time in `data-countdown-due` (ISO, UTC). Every word comes translated from the page: the
 * list carries `data-words-*` templates with %(time)s / %(n)s placeholders, so nothing here
 * is in any language. The server's clock (`data-countdown-now`) is the reference, so a
 * wrong clock on the desk's PC does not shift the countdown.
 */
(function () {
  "use strict";

  var PERIOD_MS = 30 * 1000;

  function fill(template, placeholder, value) {
    return template.split(placeholder).join(String(value));
  }

  // The same rounding and parts as the server: days and hours, or hours and minutes.
  function duration(ms, words) {
    var minutes = Math.floor(ms / 60000);
    if (minutes < 1) {
      return words.underAMinute;
    }
    var days = Math.floor(minutes / 1440);
    var rest = minutes % 1440;
    var hours = Math.floor(rest / 60);
    minutes = rest % 60;
    var parts = [];
    if (days) {
      parts.push(fill(words.days, "%(n)s", days));
    }
    if (hours) {
      parts.push(fill(words.hours, "%(n)s", hours));
    }
    if (minutes && !days) {
      parts.push(fill(words.minutes, "%(n)s", minutes));
    }
    return parts.join(" ");
  }

  function start(list) {
    var data = list.dataset;
    var words = {
      dueIn: data.wordsDueIn,
      overdueBy: data.wordsOverdueBy,
      days: data.wordsDays,
      hours: data.wordsHours,
      minutes: data.wordsMinutes,
      underAMinute: data.wordsUnderAMinute,
    };
    if (!words.dueIn || !words.overdueBy || !words.days || !words.hours || !words.minutes || !words.underAMinute) {
      return; // words missing: keep the server's text
    }
    var serverNow = Date.parse(data.countdownNow || "");
    var offset = isNaN(serverNow) ? 0 : serverNow - Date.now();

    function tick() {
      var now = Date.now() + offset;
      var rows = list.querySelectorAll("[data-countdown-due]");
      for (var i = 0; i < rows.length; i++) {
        var row = rows[i];
        var due = Date.parse(row.getAttribute("data-countdown-due"));
        if (isNaN(due)) {
          continue;
        }
        var left = due - now;
        var overdue = left <= 0;
        row.textContent = overdue
          ? fill(words.overdueBy, "%(time)s", duration(-left, words))
          : fill(words.dueIn, "%(time)s", duration(left, words));
        row.classList.toggle("is-overdue", overdue);
      }
    }

    tick();
    window.setInterval(tick, PERIOD_MS);
  }

  function init() {
    var lists = document.querySelectorAll("[data-countdown]");
    for (var i = 0; i < lists.length; i++) {
      start(lists[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
