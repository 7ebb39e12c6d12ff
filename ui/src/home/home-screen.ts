// The welcome screen: what this sandbox is, and the live state of its simulated world.
import type { Backend } from "../backend";
import { messages } from "../messages";
import { el } from "../shell/dom";
import { screen } from "../shell/screen";
import { startWorldStatusRefresh } from "./world-status-panel";

export function homeScreen(backend: Backend): HTMLElement {
  const statusHost = el("div", { class: "home__status" });
  const view = screen(
    el(
      "div",
      { class: "home__intro" },
      el("p", { class: "app-subtitle" }, messages.app.subtitle),
      el("h1", { class: "app-title" }, messages.app.title),
      el("p", {}, messages.home.intro),
      el("p", {}, messages.home.next),
    ),
    statusHost,
  );
  startWorldStatusRefresh(backend, statusHost);
  return view;
}
