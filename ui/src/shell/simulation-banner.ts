// Every screen says it is a simulation: nobody may take this sandbox for La Poste's real app.
import { messages } from "../messages";
import { el } from "./dom";

export function simulationBanner(): HTMLElement {
  return el(
    "header",
    { class: "simulation-banner", role: "banner" },
    el("strong", { class: "simulation-banner__label" }, messages.simulation.banner),
    el("span", { class: "simulation-banner__detail" }, messages.simulation.bannerDetail),
  );
}
