// The baseline page is interactive once parsed: the same mark as the app's first screen
// (ui/src/state/session.svelte.ts), read by tests/app/harness.mjs.
performance.mark("idn-interactive");
