// The staff app's little script: the box map refreshes itself, and nothing else needs script.
"use strict";
for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}
(function () {
  const area = document.getElementById("map-area");
  if (!area) return;
  const every = Number(area.dataset.refresh || "5") * 1000;
  async function refresh() {
    try {
      const answer = await fetch(window.location.pathname, {
        credentials: "same-origin", cache: "no-store", headers: { "x-abholbox-refresh": "1" },
      });
      if (!answer.ok) return;
      const page = new DOMParser().parseFromString(await answer.text(), "text/html");
      const fresh = page.getElementById("map-area");
      const here = document.getElementById("map-area");
      if (!fresh || !here) return;
      const kept = [...here.querySelectorAll(".cell.highlight")].map((c) => c.dataset.compartment);
      here.replaceChildren(...fresh.childNodes);
      for (const n of kept) here.querySelector(`.cell[data-compartment="${n}"]`)?.classList.add("highlight");
    } catch (e) {
      // The next round tries again.
    }
  }
  window.setInterval(refresh, every);
})();
