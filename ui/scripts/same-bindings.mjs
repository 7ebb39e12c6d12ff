// Fails when the committed TypeScript bindings differ from those generated from wire-schema.json
// (itself checked against the Rust types by `cargo test -p idn-sandbox`).
import { readFileSync } from "node:fs";

const [fresh, committed] = process.argv.slice(2);
if (readFileSync(fresh, "utf8") !== readFileSync(committed, "utf8")) {
  console.error(`${committed} is out of date: run \`npm --prefix ui run bindings\` and commit it.`);
  process.exit(1);
}
