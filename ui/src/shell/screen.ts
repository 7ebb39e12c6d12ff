// The frame every screen lives in: the simulation banner first, then the screen's own content.
import { simulationBanner } from "./simulation-banner";
import { el } from "./dom";

export function screen(...content: HTMLElement[]): HTMLElement {
  return el("div", { class: "screen" }, simulationBanner(), el("main", { class: "screen__body" }, ...content));
}
