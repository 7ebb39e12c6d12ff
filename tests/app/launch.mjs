// The launch benchmark: time from the app process's start to its first interactive screen,
// against a baseline measured in the same run by the same harness: the same binary started with
// `--launch-baseline`, which shows a static page with nothing of ours (no world, no keyring, no
// Svelte). Launches alternate (baseline, app, baseline, app…) so that the machine's load weighs
// on both alike; the medians and their ratio go to report.json.
import { loadavg } from "node:os";
import { App, check } from "./harness.mjs";

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : Math.round((sorted[middle - 1] + sorted[middle]) / 2);
};

/** One launch: start, wait for the first interactive screen, measure, close. */
async function launchOnce(name, { application, port, args }) {
  const app = await App.launch(name, { application, port, args });
  try {
    await app.waitFor(
      () => app.browser.execute(() => performance.getEntriesByName("idn-interactive").length > 0),
      "the idn-interactive mark",
    );
    const ms = await app.launchMs();
    check(ms !== null && ms > 0, `a launch time for ${name} (got ${ms})`);
    const text = await app.bodyText();
    return { ms, text };
  } finally {
    await app.close().catch(() => {});
  }
}

export async function measureLaunches({ application, port, rounds = 5 }) {
  const loadBefore = loadavg()[0];
  const baseline = [];
  const app = [];
  for (let round = 0; round < rounds; round += 1) {
    const reference = await launchOnce("lancement-reference", { application, port, args: ["--launch-baseline"] });
    check(reference.text.includes("Page de référence"), "the baseline shows its static page");
    baseline.push(reference.ms);
    const ours = await launchOnce("lancement", { application, port, args: [] });
    check(ours.text.includes("Bienvenue dans L'Identité Numérique"), "the app's first screen is the welcome screen");
    check(ours.text.includes("SIMULATION"), "the first screen says SIMULATION");
    app.push(ours.ms);
  }
  const medianApp = median(app);
  const medianBaseline = median(baseline);
  return {
    rounds,
    appMs: app,
    baselineMs: baseline,
    medianAppMs: medianApp,
    medianBaselineMs: medianBaseline,
    oursMs: medianApp - medianBaseline,
    ratio: Math.round((medianApp / medianBaseline) * 100) / 100,
    loadAverage: { before: loadBefore, after: loadavg()[0] },
  };
}
