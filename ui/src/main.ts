// Entry point of the device's screens: picks the backend and shows the first screen.
import { chooseBackend } from "./backend";
import { homeScreen } from "./home/home-screen";
import { messages } from "./messages";
import "./styles.css";

document.title = messages.app.windowTitle;

const root = document.getElementById("app");
if (root !== null) {
  root.replaceChildren(homeScreen(chooseBackend(window.location)));
}
