// Entry point of the device's screens: starts the session (snapshot, then live events) and
// mounts the app. Inside the Tauri app the screens reach Rust over IPC; in a phone's browser
// (the class world serves them at /application) they reach the world's HTTP API themselves,
// through the browser device (backend/web), loaded only there.
import { mount } from "svelte";
import { isTauri } from "@tauri-apps/api/core";
import App from "./App.svelte";
import { chooseBackend, type Backend } from "./backend";
import { messages } from "./messages";
import { session } from "./state/session.svelte";
import "./styles.css";

document.title = messages.app.windowTitle;

async function browserBackend(root: HTMLElement): Promise<Backend | null> {
  const web = await import("./backend/web/page");
  // WebCrypto, and so the device key, exist only in a secure context (HTTPS, or this machine).
  if (!window.isSecureContext) {
    web.showInsecureContext(root);
    return null;
  }
  web.installWebApp();
  return web.createWebBackend();
}

async function start(root: HTMLElement): Promise<void> {
  const backend = isTauri() ? chooseBackend() : await browserBackend(root);
  if (backend === null) return;
  mount(App, { target: root });
  await session.start(backend);
}

const root = document.getElementById("app");
if (root !== null) void start(root);
