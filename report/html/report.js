// Filters for the kubeharden HTML report. Without this script every finding is listed; with it
// findings filter by severity, practice and text, and suppressed ones stay hidden until asked
// for. It only uses addEventListener (no inline handlers), so the page runs under a strict
// Content-Security-Policy that allows this one script by its hash.
(() => {
  "use strict";
  const form = document.getElementById("filters");
  if (!form) return; // no findings, no filters
  const rows = Array.from(document.querySelectorAll("tr.finding"), (el) => ({
    el,
    severity: el.dataset.severity,
    practice: el.dataset.practice,
    suppressed: el.hasAttribute("data-suppressed"),
    text: el.textContent.toLowerCase(),
  }));
  const bands = Array.from(document.querySelectorAll("tbody.band"));
  const sections = Array.from(document.querySelectorAll("section.practice"));
  const shown = document.getElementById("shown");
  const nomatch = document.getElementById("nomatch");
  const f = form.elements;

  function apply() {
    const severity = f.severity.value;
    const practice = f.practice.value;
    const withSuppressed = f.suppressed.checked;
    const terms = f.q.value.toLowerCase().split(/\s+/).filter(Boolean);
    let n = 0, of = 0;
    for (const r of rows) {
      if (r.suppressed && !withSuppressed) {
        r.el.hidden = true;
        continue;
      }
      of++;
      const show = (!severity || r.severity === severity) &&
        (!practice || r.practice === practice) &&
        terms.every((t) => r.text.includes(t));
      r.el.hidden = !show;
      if (show) n++;
    }
    for (const b of bands) b.hidden = !b.querySelector("tr.finding:not([hidden])");
    for (const s of sections) s.hidden = !s.querySelector("tbody.band:not([hidden])");
    shown.textContent = "Showing " + n + " of " + of + (of === 1 ? " finding" : " findings") +
      (withSuppressed ? " (suppressed included)" : "");
    nomatch.hidden = n > 0;
  }

  // Large reports filter once typing pauses; small ones on every key.
  let timer = 0;
  const delay = rows.length > 3000 ? 150 : 0;
  function schedule() {
    if (!delay) return apply();
    clearTimeout(timer);
    timer = setTimeout(apply, delay);
  }
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  form.addEventListener("submit", (e) => e.preventDefault());
  // "/" jumps to the search box, as on many code hosts.
  document.addEventListener("keydown", (e) => {
    const t = e.target;
    if (e.key === "/" && !e.ctrlKey && !e.metaKey && !e.altKey &&
        !(t instanceof HTMLInputElement || t instanceof HTMLSelectElement || t instanceof HTMLTextAreaElement)) {
      e.preventDefault();
      f.q.focus();
    }
  });
  form.hidden = false;
  apply();
})();
