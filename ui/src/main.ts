// Entry point of the device's screens: starts the session (snapshot, then live events) and
// mounts the app.
import { mount } from "svelte";
import App from "./App.svelte";
import { chooseBackend } from "./backend";
import { messages } from "./messages";
import { session } from "./state/session.svelte";
import "./styles.css";

document.title = messages.app.windowTitle;

const root = document.getElementById("app");
if (root !== null) {
  mount(App, { target: root });
  void session.start(chooseBackend());
}
