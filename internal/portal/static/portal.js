// naas portal: the little JavaScript the pages need. Everything works without it, except live progress.
"use strict";
(function () {
  // Live provisioning progress: server-sent events update the steps in place until Ready or failure.
  var list = document.querySelector("[data-progress-stream]");
  if (list && window.EventSource) {
    var source = new EventSource(list.getAttribute("data-progress-stream"));
    source.addEventListener("progress", function (e) {
      var p = JSON.parse(e.data);
      var phase = document.getElementById("progress-phase");
      phase.textContent = p.phase;
      phase.className = "badge " + ({Ready: "ok", Failed: "bad", Terminating: "muted"}[p.phase] || "busy");
      document.getElementById("progress-message").textContent = p.message;
      document.getElementById("progress-summary").setAttribute("data-phase", p.phase);
      list.replaceChildren.apply(list, p.steps.map(function (s) {
        var li = document.createElement("li");
        li.className = "step step-" + s.status;
        li.setAttribute("data-step", s.type);
        li.setAttribute("data-status", s.status);
        [["step-icon", ""], ["step-label", s.label], ["step-status", s.statusText], ["step-message", s.message || ""]].forEach(function (part) {
          if (part[0] === "step-message" && !part[1]) return;
          var span = document.createElement("span");
          span.className = part[0];
          span.textContent = part[1];
          if (part[0] === "step-icon") span.setAttribute("aria-hidden", "true");
          li.appendChild(span);
        });
        return li;
      }));
    });
    var leave = function (url, text) {
      source.close();
      document.getElementById("progress-next").textContent = text;
      setTimeout(function () { window.location.assign(url); }, 1500);
    };
    source.addEventListener("done", function (e) { leave(JSON.parse(e.data).url, "Opening the namespace page…"); });
    source.addEventListener("gone", function (e) { leave(JSON.parse(e.data).url, "The namespace no longer exists."); });
  }

  // Keep the #fragment of the page asked for (a runbook anchor) across sign-in.
  var next = document.querySelector("input[data-keep-hash]");
  if (next && window.location.hash && next.value.indexOf("#") < 0) next.value += window.location.hash;

  // Move focus to an error summary, so screen readers announce it and keyboards start there.
  var summary = document.querySelector("[data-focus]");
  if (summary) summary.focus();
})();
