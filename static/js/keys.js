// Keyboard use for reps who live in the queue: no mouse needed.
// Queue: j/k move, Enter opens. Lead: L/R/B/H/M open an action, C goes to the suggested nurturing step,
// N opens the next lead, Ctrl+Enter submits.
(function () {
  "use strict";

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]") !== null;
  }

  function openAction(id) {
    var details = document.getElementById(id);
    if (!details) return;
    if (details.tagName === "DETAILS") details.open = true;
    var field = details.querySelector("input:not([type=hidden]), select, textarea, button");
    if (field) field.focus();
    details.scrollIntoView({ block: "nearest" });
  }

  function moveRow(step) {
    var rows = Array.prototype.slice.call(document.querySelectorAll("[data-keynav] tbody tr"));
    if (!rows.length) return;
    var current = rows.findIndex(function (row) { return row.classList.contains("selected"); });
    var next = Math.max(0, Math.min(rows.length - 1, current + step));
    if (current >= 0) rows[current].classList.remove("selected");
    rows[next].classList.add("selected");
    rows[next].scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      var form = event.target.closest && event.target.closest("form");
      if (form) { event.preventDefault(); form.requestSubmit(); }
      return;
    }
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    var actions = { l: "act-log", r: "act-recycle", b: "act-bant", h: "act-handoff", m: "act-mql", c: "act-checkpoint" };
    var key = event.key.toLowerCase();
    if (actions[key] && document.getElementById(actions[key])) {
      event.preventDefault();
      openAction(actions[key]);
    } else if (key === "n") {
      var next = document.querySelector("[data-next-lead]");
      if (next) window.location.href = next.href;
    } else if (key === "j" || key === "k") {
      event.preventDefault();
      moveRow(key === "j" ? 1 : -1);
    } else if (event.key === "Enter") {
      var selected = document.querySelector("[data-keynav] tbody tr.selected a");
      if (selected) window.location.href = selected.href;
    }
  });
})();
