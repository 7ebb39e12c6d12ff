// Drives the real app window through tauri-driver (WebKitWebDriver under Xvfb): start the app
// with a fresh data directory, find elements by what a person sees, keep a screenshot of every
// screen, run axe-core on it, and reach the app's embedded world over HTTP to play the people
// around the learner (the clerk, FranceConnect+, the clock) as a trainer: a staff account made in
// the world's data directory before the app starts, its token sent as `Authorization: Bearer`.
// The learner's own credential stays in the app; a learner the harness opens itself (an account
// made « on the website ») is acted for with the credential the world answered with.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { remote } from "webdriverio";
import { addTrainer, apiToken, trainerToken } from "../browser/trainer.mjs";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export const ARTIFACTS = new URL("./artifacts/", import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });

export function check(condition, why) {
  if (!condition) throw new Error(`ÉCHEC : ${why}`);
}

/** What must never reach a learner's screen: a command, an address, a frame rate. */
export const DEVELOPER_TEXT = /idn |images\/s|http:\/\//;

export class App {
  constructor(browser, scenario) {
    this.browser = browser;
    this.scenario = scenario;
    this.shots = 0;
    this.worldUrl = null;
    this.axeFindings = [];
    /** Screens whose learner-visible text matched DEVELOPER_TEXT (kept for the report). */
    this.textFindings = [];
    /** The trainer's Bearer token in the world in use, once `discoverWorld` has run. */
    this.trainer = null;
    /** Screens with tap targets under 44 px (kept for the report). */
    this.tapFindings = [];
  }

  /** `trainer`: the scenario plays the staff over the API (not the launch benchmark's launches). */
  static async launch(scenario, { application, port, args = [], trainer = false }) {
    const dataDir = mkdtempSync(join(tmpdir(), `idn-app-${scenario}-`));
    // The embedded world lives in DATA/world: its trainer is made there before it opens, as
    // `idn staff add` is run on a class's server before `idn world serve`.
    let madeToken = null;
    if (trainer) {
      const idn = join(dirname(application), "idn");
      addTrainer(idn, join(dataDir, "world"));
      madeToken = apiToken(idn, join(dataDir, "world"));
    }
    const browser = await remote({
      hostname: "127.0.0.1",
      port,
      logLevel: "warn",
      connectionRetryTimeout: 60_000,
      // A fresh data directory per scenario: its own embedded world and device profile.
      capabilities: {
        "tauri:options": { application, args: ["--data-dir", dataDir, ...args] },
      },
    });
    const app = new App(browser, scenario);
    app.dataDir = dataDir;
    app.trainerWanted = trainer;
    app.madeToken = madeToken;
    await app.waitFor(() => app.bodyText().then((text) => !text.includes("Ouverture de L'Identité Numérique (simulation)")), "the first screen");
    return app;
  }

  /** The app's process: the one started with this scenario's data directory. */
  appPid() {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
        if (args.includes(this.dataDir) && !args[0].includes("WebKit")) return Number(entry);
      } catch {
        // The process ended meanwhile.
      }
    }
    return null;
  }

  /**
   * Milliseconds from the app process's start (its exec, as the kernel records it) to the first
   * interactive screen (the page's `idn-interactive` mark). Both ends are on the wall clock: the
   * mark through `performance.timeOrigin`, the start through the process's age, read from
   * /proc/uptime (10 ms resolution) at the moment of `Date.now()`. The boot time of /proc/stat
   * is rounded down to the second and would add up to a second to the figure.
   */
  async launchMs() {
    const interactive = await this.browser.execute(() => {
      const mark = performance.getEntriesByName("idn-interactive")[0];
      return mark ? performance.timeOrigin + mark.startTime : null;
    });
    const pid = this.appPid();
    if (interactive === null || pid === null) return null;
    return Math.round(interactive - processStartMs(pid));
  }

  /** Resident memory of the app process (embedded world included) and of its WebKit helpers. */
  memory() {
    const pid = this.appPid();
    if (pid === null) return null;
    const kib = (file, field) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(file, "utf8"))?.[1] ?? 0);
    const children = readdirSync("/proc").filter((entry) => {
      if (!/^\d+$/.test(entry)) return false;
      try {
        return readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1].split(" ")[1] === String(pid);
      } catch {
        return false;
      }
    });
    return {
      appRssMiB: Math.round(kib(`/proc/${pid}/status`, "VmRSS") / 1024),
      appPssMiB: Math.round(kib(`/proc/${pid}/smaps_rollup`, "Pss") / 1024),
      helpers: children.map((child) => ({
        name: readFileSync(`/proc/${child}/comm`, "utf8").trim(),
        rssMiB: Math.round(kib(`/proc/${child}/status`, "VmRSS") / 1024),
        pssMiB: Math.round(kib(`/proc/${child}/smaps_rollup`, "Pss") / 1024),
      })),
    };
  }

  async close() {
    await this.browser.deleteSession();
  }

  async bodyText() {
    return this.browser.execute(() => document.body.innerText);
  }

  /** The text a learner reads: the page's visible text without the trainer's sections (the
   * « Options du formateur » and the sandbox menu) when a trainer has opened them. */
  async learnerText() {
    return this.browser.execute(() => {
      let text = document.body.innerText;
      for (const section of document.querySelectorAll("details.trainer-options[open], details.sandbox[open]")) {
        text = text.replace(section.innerText, "");
      }
      return text;
    });
  }

  /** Fails when developer text (DEVELOPER_TEXT) shows on a learner's screen. */
  async checkLearnerText(name) {
    const found = DEVELOPER_TEXT.exec(await this.learnerText());
    check(found === null, `« ${name} » shows a learner developer text: « ${found?.[0]} »`);
  }

  /** A screenshot of a learner's screen, which must show nothing meant for developers. */
  async learnerScreen(name) {
    await this.checkLearnerText(name);
    await this.screen(name);
  }

  /** Opens the screen's « Options du formateur » (the trainer's controls), if closed. */
  async openTrainerOptions() {
    const section = await this.browser.$('[data-testid="trainer-options"]');
    if (!(await section.getAttribute("open"))) await this.toggle(section);
  }

  async closeTrainerOptions() {
    const section = await this.browser.$('[data-testid="trainer-options"]');
    if (await section.getAttribute("open")) await this.toggle(section);
  }

  async toggle(section) {
    const summary = await section.$("summary");
    await inMiddle(this.browser, summary);
    await summary.click();
  }

  /** Whether the element is within the first screen height of the page (scrolled to its top). */
  async onFirstScreen(id) {
    return this.browser.execute((wanted) => {
      window.scrollTo(0, 0);
      const element = document.querySelector(`[data-testid="${wanted}"]`);
      return element !== null && element.getBoundingClientRect().bottom <= window.innerHeight;
    }, id);
  }

  /** Whether the elements are all in view at once, below the sticky SIMULATION banner, as the
   * screen stands (no scrolling). */
  async inViewTogether(ids) {
    return this.browser.execute((wanted) => {
      const top = document.querySelector(".simulation-banner")?.getBoundingClientRect().bottom ?? 0;
      // Sticky actions at the bottom cover what scrolls under them.
      const sticky = document.querySelector(".sticky-actions");
      return wanted.every((id) => {
        const element = document.querySelector(`[data-testid="${id}"]`);
        const box = element?.getBoundingClientRect();
        const bottom = sticky && !sticky.contains(element) ? sticky.getBoundingClientRect().top : window.innerHeight;
        return box !== undefined && box.height > 0 && box.top >= top - 1 && box.bottom <= bottom + 1;
      });
    }, ids);
  }

  /** Waits (up to `seconds`) for `predicate` to hold; screens update from live events. */
  async waitFor(predicate, what, seconds = 20) {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      try {
        if (await predicate()) return;
      } catch {
        // The page may be re-rendering: try again.
      }
      if (Date.now() > deadline) {
        await this.shot(`timeout-${what.replace(/\W+/g, "-")}`);
        throw new Error(`ÉCHEC : attendu en ${seconds} s : ${what}\n--- écran ---\n${await this.bodyText()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }

  async waitForText(text, seconds = 20) {
    await this.waitFor(async () => (await this.bodyText()).includes(text), `text « ${text} »`, seconds);
  }

  async heading() {
    return this.browser.execute(() => document.querySelector("h1")?.textContent ?? "");
  }

  async waitForHeading(text, seconds = 20) {
    await this.waitFor(async () => (await this.heading()) === text, `screen « ${text} »`, seconds);
  }

  /** A button by its visible name (what a person clicks). */
  async click(name) {
    const button = await this.browser.$(`//button[normalize-space(.)=${xpathString(name)}] | //*[@data-testid=${xpathString(name)}]`);
    await button.waitForClickable({ timeout: 10_000 });
    await inMiddle(this.browser, button);
    await button.click();
  }

  async clickTestId(id) {
    const element = await this.browser.$(`[data-testid="${id}"]`);
    await element.waitForClickable({ timeout: 10_000 });
    await inMiddle(this.browser, element);
    await element.click();
  }

  /** A field by its label's text. */
  async type(label, value) {
    const field = await this.field(label);
    await field.clearValue();
    await field.setValue(value);
  }

  async field(label) {
    const id = await this.browser.execute((wanted) => {
      const found = [...document.querySelectorAll("label")].find((node) => node.textContent?.trim() === wanted);
      return found?.getAttribute("for") ?? null;
    }, label);
    check(id !== null, `a field labelled « ${label} »`);
    return this.browser.$(`#${id}`);
  }

  async choose(label, optionText) {
    const field = await this.field(label);
    await field.selectByVisibleText(optionText);
  }

  async tick(label) {
    const box = await this.browser.$(`//label[contains(normalize-space(.), ${xpathString(label)})]/input`);
    await box.click();
  }

  async pin(code) {
    for (const digit of code) await this.clickTestId(`pin-${digit}`);
  }

  /** Saves a screenshot of the screen and checks it with axe-core (serious and critical fail). */
  async shot(name) {
    this.shots += 1;
    const file = join(ARTIFACTS, `${this.scenario}-${String(this.shots).padStart(2, "0")}-${name}.png`);
    await this.browser.saveScreenshot(file);
    return file;
  }

  async screen(name) {
    const found = DEVELOPER_TEXT.exec(await this.learnerText().catch(() => ""));
    if (found !== null) this.textFindings.push({ screen: name, text: found[0] });
    await this.shot(name);
    // IDN_AXE=0 (benchmark runs): axe-core's own memory would be counted as the app's.
    if (process.env.IDN_AXE !== "0") {
      await this.axe(name);
      await this.tapTargets(name);
    }
  }

  /** Fails when something a person taps on the screen is smaller than 44 × 44 px (WCAG 2.5.5):
   * buttons, menus, fields, and a checkbox or radio button with its label (tapped as one). */
  async tapTargets(name) {
    const small = await this.browser.execute(() => {
      const found = [];
      for (const element of document.querySelectorAll("button, a[href], summary, select, input:not([type=hidden])")) {
        const target = element.matches("input[type=checkbox], input[type=radio]") ? (element.closest("label") ?? element) : element;
        const box = target.getBoundingClientRect();
        // Hidden: in a closed section, or not laid out.
        if (box.width === 0 || box.height === 0 || target.closest("details:not([open])") && !target.matches("summary")) continue;
        if (box.width < 43.5 || box.height < 43.5) {
          const what = element.getAttribute("data-testid") ?? element.id ?? "";
          found.push(`${element.tagName.toLowerCase()}${what ? `#${what}` : ""} « ${(target.textContent ?? "").trim().slice(0, 40)} » ${Math.round(box.width)}×${Math.round(box.height)}`);
        }
      }
      return found;
    });
    if (small.length > 0) {
      this.tapFindings.push({ screen: name, small });
      throw new Error(`ÉCHEC : cibles de moins de 44 px sur « ${name} » : ${small.join(" ; ")}`);
    }
  }

  /** The step indicator as shown: `account:password`, `numbered:1`, or `none`. */
  async steps() {
    return this.browser.execute(() => {
      const bar = document.querySelector('[data-testid="steps"]');
      if (bar === null) return "none";
      const current = bar.querySelector('[aria-current="step"]');
      const phase = bar.getAttribute("data-phase");
      const number = current?.querySelector(".steps__number")?.textContent?.replace(/\D/g, "") ?? "";
      return `${phase}:${phase === "account" ? current?.getAttribute("data-step") : Number(number)}`;
    });
  }

  /** Checks that the step indicator lights `expected` (`account:email_code`, `numbered:1`…)
   * and that exactly one mark is lit (none when `none`). */
  async expectSteps(expected, where) {
    const shown = await this.steps();
    check(shown === expected, `${where} : l'indicateur d'étapes montre ${shown}, attendu ${expected}`);
    const lit = await this.browser.execute(() => document.querySelectorAll('[data-testid="steps"] [aria-current="step"]').length);
    check(lit === (expected === "none" ? 0 : 1), `${where} : ${lit} étape(s) en cours à la fois`);
  }

  /** The refusal shown: its title, the way forward's button and what they are about. */
  async errorNote() {
    return this.browser.execute(() => {
      const note = document.querySelector('[data-testid="error-note"]');
      if (note === null) return null;
      return {
        code: note.getAttribute("data-code"),
        action: note.getAttribute("data-action"),
        field: note.getAttribute("data-field"),
        title: note.querySelector('[data-testid="error-title"]')?.textContent?.trim() ?? "",
        button: note.querySelector('[data-testid="error-action"]')?.textContent?.trim() ?? "",
        lastAttempt: note.querySelector('[data-testid="last-attempt"]')?.textContent?.trim() ?? null,
      };
    });
  }

  /** Waits for a refusal titled `title`, then checks its way forward (`action`, `button`). */
  async expectError({ title, action, button }, seconds = 20) {
    await this.waitFor(async () => (await this.errorNote())?.title === title, `the refusal « ${title} »`, seconds);
    const note = await this.errorNote();
    check(note.action === action, `« ${title} » : way forward ${note.action}, expected ${action}`);
    check(note.button === button, `« ${title} » : button « ${note.button} », expected « ${button} »`);
    return note;
  }

  /** Whether the field (by id) is marked invalid for assistive technologies and by its style. */
  async fieldInvalid(id) {
    return this.browser.execute((wanted) => {
      const field = document.getElementById(wanted);
      return field?.getAttribute("aria-invalid") === "true";
    }, id);
  }

  async axe(name) {
    // axe-core goes in as the body of a WebDriver script: the page's CSP forbids eval, and the
    // driver's own scripts are not the page's.
    await this.browser.execute(`${AXE_SOURCE}\n;return typeof window.axe;`);
    const result = await this.browser.executeAsync((done) => {
      window.axe
        .run(document, { resultTypes: ["violations"] })
        .then((outcome) =>
          done(
            outcome.violations
              .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
              .map((violation) => ({
                id: violation.id,
                impact: violation.impact,
                nodes: violation.nodes.map((node) => node.target.join(" ")).slice(0, 3),
              })),
          ),
        )
        .catch((error) => done([{ id: "axe-error", impact: "critical", nodes: [String(error)] }]));
    });
    if (result.length > 0) {
      this.axeFindings.push({ screen: name, violations: result });
      throw new Error(`ÉCHEC : axe-core sur « ${name} » : ${JSON.stringify(result)}`);
    }
  }

  /** The embedded world's address, as the settings screen shows it. */
  async discoverWorld() {
    await this.clickTestId("open-settings");
    await this.waitForText("Monde simulé utilisé");
    const text = await this.bodyText();
    const match = /Adresse\s:\s(http:\/\/[\d.:]+)/.exec(text);
    check(match !== null, "the settings screen shows the world's address");
    this.worldUrl = match[1];
    if (this.trainerWanted) this.trainer = await trainerToken(this.worldUrl, this.madeToken);
    await this.screen("reglages");
    await this.clickTestId("close-settings");
    return this.worldUrl;
  }

  /** A call to the world's API as the trainer, or with `as`: a learner's credential, or `null`
   * for what anyone may do (opening an account). */
  async api(method, path, body, { as = this.trainer } = {}) {
    const headers = body === undefined ? {} : { "content-type": "application/json" };
    if (as) headers.authorization = `Bearer ${as}`;
    const response = await fetch(`${this.worldUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${text}`);
    return text === "" ? null : JSON.parse(text);
  }

  async learnerByEmail(email) {
    const learners = await this.api("GET", "/api/learners");
    const learner = learners.find((candidate) => candidate.email === email);
    check(learner !== undefined, `a learner with ${email} in the world`);
    return learner;
  }

  /** The newest code the learner received (the phone's message a person would read), read as
   * the trainer (who may read an inbox) or with the learner's own credential (`as`). */
  async latestCode(learnerId, predicate = () => true, { as = this.trainer } = {}) {
    const inbox = await this.api("GET", `/api/learners/${learnerId}/inbox`, undefined, { as });
    const withCode = inbox.filter((message) => message.code && predicate(message));
    check(withCode.length > 0, "a message carrying a code");
    return withCode[withCode.length - 1].code;
  }
}

/** Wall-clock time (ms) at which process `pid` started. */
function processStartMs(pid) {
  const ticks = Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")[19]);
  const now = Date.now();
  const uptimeSeconds = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
  // Clock ticks are 1/100 s on Linux (USER_HZ).
  return now - (uptimeSeconds - ticks / 100) * 1000;
}

/** Brings an element out of view into the middle of the window before a click: the driver
 * would scroll it to the top, under the sticky SIMULATION banner, where a click lands on the
 * banner. An element already in view stays where the person sees it; one hidden under the
 * sticky actions at the bottom (a login request's) is out of view too. */
async function inMiddle(browser, element) {
  await browser.execute((node) => {
    const box = node.getBoundingClientRect();
    const top = document.querySelector(".simulation-banner")?.getBoundingClientRect().bottom ?? 0;
    const sticky = document.querySelector(".sticky-actions");
    const bottom = sticky && !sticky.contains(node) ? sticky.getBoundingClientRect().top : window.innerHeight;
    if (box.top < top || box.bottom > bottom) node.scrollIntoView({ block: "center" });
  }, element);
}

function xpathString(text) {
  return text.includes('"') ? `concat("${text.split('"').join(`", '"', "`)}")` : `"${text}"`;
}

export function writeReport(name, data) {
  writeFileSync(join(ARTIFACTS, name), `${JSON.stringify(data, null, 2)}\n`);
}
