// The printable pages' buttons (no inline script: the content security policy forbids it).
document.querySelectorAll("[data-print]").forEach((button) => button.addEventListener("click", () => window.print()));

// A regulator pack's answers as plain "question: answer" lines, to paste into the regulator's own form.
document.querySelectorAll("[data-copy]").forEach((button) => {
  button.addEventListener("click", async () => {
    const rows = document.getElementById(button.dataset.copy).querySelectorAll("h3, tr");
    const text = Array.from(rows, (row) => row.tagName === "H3" ? `\n${row.textContent.trim()}`
      : `${row.querySelector("th").textContent.trim()}: ${row.querySelector("td").textContent.trim()}`).join("\n");
    const status = button.nextElementSibling;
    try {
      await navigator.clipboard.writeText(text.trim());
      status.textContent = "Copied.";
    } catch {
      status.textContent = "Could not copy here: select the table and copy it instead.";
    }
  });
});
