// Blameless wording, as the author writes: words that point at a person rather than at the system are
// named under the field they are in (a hint, never a refusal; the server lists the same words on save).
(function () {
  "use strict";
  const form = document.querySelector("form[data-blameless]");
  if (!form) return;
  const words = form.dataset.blameless.split("|").filter(Boolean);
  const pattern = new RegExp("\\b(" + words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|") + ")\\b", "gi");

  function check(field) {
    const hint = form.querySelector(`[data-hint-of="${field.dataset.hintsFor}"]`);
    if (!hint) return;
    const found = [...new Set((field.value.match(pattern) || []).map((w) => w.toLowerCase()))];
    hint.textContent = found.length
      ? `Blameless wording: “${found.join("”, “")}” point${found.length === 1 ? "s" : ""} at a person. ` +
        "Describe what the system allowed instead."
      : "";
  }

  let timer = null;
  form.addEventListener("input", (event) => {
    const field = event.target.closest("[data-hints-for]");
    if (!field) return;
    clearTimeout(timer);
    timer = setTimeout(() => check(field), 250);
  });
  form.querySelectorAll("[data-hints-for]").forEach(check);
})();
