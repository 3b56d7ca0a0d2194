// One document-level handler: a click on [n] in any answer opens that answer's source card (and the
// <details> around it), scrolls it into view and flashes it, instead of following the link.
document.addEventListener("click", function (event) {
  var link = event.target && event.target.closest ? event.target.closest("a.nd-cite") : null;
  if (!link) return;
  var id = (link.getAttribute("href") || "").replace(/^#/, "");
  var card = document.getElementById(id);
  event.preventDefault();
  event.stopPropagation();
  if (!card) return;
  for (var el = card.parentElement; el; el = el.parentElement) {
    if (el.tagName === "DETAILS") el.open = true;
  }
  card.scrollIntoView({ behavior: "smooth", block: "center" });
  card.classList.remove("nd-flash");
  void card.offsetWidth;
  card.classList.add("nd-flash");
}, true);
