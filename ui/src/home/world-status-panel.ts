// The live state of the simulated world the app is linked to: a pure view plus its refresh loop.
import { BackendError, type Backend, type ClockMode, type WorldConnection, type WorldStatus } from "../backend";
import { format, lookup, messages } from "../messages";
import { el } from "../shell/dom";

const t = messages.world;

export const REFRESH_SECONDS = 3;

/** What the panel shows; every state the refresh loop can be in. */
export type WorldStatusView =
  | { kind: "connecting" }
  | { kind: "live"; connection: WorldConnection; status: WorldStatus; refreshedAt: Date }
  | {
      kind: "failed";
      error: BackendError;
      /** Where the app looked, when known (an external world may be down from the start). */
      connection: WorldConnection | null;
      lastKnown: { connection: WorldConnection; status: WorldStatus; refreshedAt: Date } | null;
    };

// Times read as in France, whatever the computer's zone: the simulated services are French.
const worldTime = new Intl.DateTimeFormat("fr-FR", {
  dateStyle: "full",
  timeStyle: "medium",
  timeZone: "Europe/Paris",
});
const refreshTime = new Intl.DateTimeFormat("fr-FR", { timeStyle: "medium", timeZone: "Europe/Paris" });
const count = new Intl.NumberFormat("fr-FR");

export function renderWorldStatus(view: WorldStatusView): HTMLElement {
  const panel = el("section", { class: "world-status", "aria-live": "polite" });
  panel.append(el("h2", { class: "world-status__heading" }, t.heading));
  switch (view.kind) {
    case "connecting":
      panel.append(el("p", { class: "world-status__note" }, t.connecting));
      break;
    case "live":
      panel.append(facts(view.connection, view.status));
      panel.append(
        el(
          "p",
          { class: "world-status__note" },
          format(t.refreshedAt, { time: refreshTime.format(view.refreshedAt), seconds: REFRESH_SECONDS }),
        ),
      );
      break;
    case "failed":
      panel.append(failure(view.error));
      if (view.lastKnown === null && view.connection !== null) {
        panel.append(factList(whereRows(view.connection)));
      }
      if (view.lastKnown !== null) {
        panel.append(facts(view.lastKnown.connection, view.lastKnown.status));
        panel.append(
          el(
            "p",
            { class: "world-status__note" },
            format(t.lastKnown, { time: refreshTime.format(view.lastKnown.refreshedAt) }),
          ),
        );
      }
      break;
  }
  return panel;
}

function whereRows(connection: WorldConnection): [string, string][] {
  return [
    [t.address, connection.base_url],
    [t.origin, t.origins[connection.origin]],
  ];
}

function facts(connection: WorldConnection, status: WorldStatus): HTMLElement {
  return factList([
    ...whereRows(connection),
    [t.now, formatWorldTime(status.now)],
    [t.clockMode, clockMode(status.clock)],
    [t.learners, count.format(status.learners)],
    [t.version, status.version],
  ]);
}

function factList(rows: [string, string][]): HTMLElement {
  const list = el("dl", { class: "world-status__facts" });
  for (const [label, value] of rows) {
    list.append(el("div", { class: "world-status__fact" }, el("dt", {}, label), el("dd", {}, value)));
  }
  return list;
}

function clockMode(clock: ClockMode): string {
  switch (clock.mode) {
    case "real":
      return t.clockModes.real;
    case "accelerated":
      return format(t.clockModes.accelerated, { factor: count.format(clock.factor) });
    case "manual":
      return t.clockModes.manual;
  }
}

function formatWorldTime(instant: string): string {
  const date = new Date(instant);
  return Number.isNaN(date.getTime()) ? t.unknown : worldTime.format(date);
}

function failure(error: BackendError): HTMLElement {
  const e = messages.errors;
  // The screen decides on the code; Rust's French message covers codes this screen does not know yet.
  const text = lookup(e.codes, error.code) ?? (error.message || e.codes.unknown);
  return el(
    "div",
    { class: "world-status__error", role: "alert" },
    el("strong", {}, e.heading),
    el("p", {}, text),
    el("p", { class: "world-status__note" }, e.retrying),
  );
}

/** Polls the backend every REFRESH_SECONDS and re-renders into `host`; returns a stop function. */
export function startWorldStatusRefresh(backend: Backend, host: HTMLElement): () => void {
  let connection: WorldConnection | null = null;
  let lastKnown: Extract<WorldStatusView, { kind: "live" }> | null = null;
  let stopped = false;

  const show = (view: WorldStatusView) => host.replaceChildren(renderWorldStatus(view));

  const refresh = async () => {
    try {
      connection ??= await backend.worldConnection();
      const status = await backend.worldStatus();
      if (stopped) return;
      lastKnown = { kind: "live", connection, status, refreshedAt: new Date() };
      show(lastKnown);
    } catch (raw) {
      if (stopped) return;
      show({ kind: "failed", error: BackendError.from(raw), connection, lastKnown });
    }
  };

  show({ kind: "connecting" });
  void refresh();
  const timer = window.setInterval(() => void refresh(), REFRESH_SECONDS * 1000);
  return () => {
    stopped = true;
    window.clearInterval(timer);
  };
}
