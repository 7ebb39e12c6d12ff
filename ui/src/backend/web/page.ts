// What the page does in a phone's browser before the screens start: becomes an installable web
// app (manifest, icons, the service worker of the offline shell), or, on a plain http:// address
// of the class network, explains why nothing can work there (no WebCrypto, no camera).
import { messages } from "../../messages";
import { insecureContext as insecure } from "./fr";

export { createWebBackend } from "./index";

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string | null, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className !== null) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The explanation instead of the screens, with the SIMULATION banner every screen has. */
export function showInsecureContext(root: HTMLElement): void {
  const screen = element("div", "screen");
  const banner = element("header", "simulation-banner");
  banner.append(
    element("strong", "simulation-banner__label", messages.simulation.banner),
    element("span", "simulation-banner__detail", messages.simulation.bannerDetail),
  );
  const body = element("main", "screen__body");
  body.dataset.testid = "insecure-context";
  body.append(
    element("h1", null, insecure.title),
    element("p", "warning", insecure.lead),
    element("p", null, insecure.what),
    element("p", "note", insecure.trainer),
  );
  screen.append(banner, body);
  root.replaceChildren(screen);
}

function headLink(rel: string, href: string, extra: Record<string, string> = {}): void {
  const link = document.createElement("link");
  link.rel = rel;
  link.href = href;
  for (const [name, value] of Object.entries(extra)) link.setAttribute(name, value);
  document.head.append(link);
}

/** The manifest and icons (relative: the world serves the page at /application/), and the
 * service worker that keeps the shell for a phone that loses the class Wi-Fi for a moment. */
export function installWebApp(): void {
  headLink("manifest", "./manifest.webmanifest");
  headLink("apple-touch-icon", "./icons/icon-192.png");
  const theme = document.createElement("meta");
  theme.name = "theme-color";
  theme.content = "#003da5";
  document.head.append(theme);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("./sw.js").catch((error: unknown) => {
      // The page works without it (no offline shell): said in the console, not to the learner.
      console.warn("service worker not registered", error);
    });
  }
}
