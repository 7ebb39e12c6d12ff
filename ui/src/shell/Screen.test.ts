import { createRawSnippet } from "svelte";
import { render } from "svelte/server";
import { describe, expect, it } from "vitest";
import Screen from "./Screen.svelte";

const children = createRawSnippet(() => ({ render: () => "<p>contenu</p>" }));
const lit = (html: string) =>
  [...html.matchAll(/data-step="([a-z_]+)" data-state="([a-z]+)"/g)].map(([, step, state]) => `${step}:${state}`);

describe("the step indicator of a screen", () => {
  it("names the account's screen on the new account's email form, and no numbered step", () => {
    const { body } = render(Screen, { props: { title: "Votre adresse e-mail", step: "not_started", children } });
    expect(body).toContain('data-phase="account"');
    expect(lit(body)).toEqual(["email:current", "email_code:upcoming", "password:upcoming"]);
    expect(body).toContain("Compte La Poste");
    expect(body).not.toContain("Numéro de mobile");
  });

  it("shows the guides' numbered side bar once the account stands at a numbered step", () => {
    const { body } = render(Screen, { props: { title: "Vos informations personnelles", step: "identity_data", children } });
    expect(body).toContain('data-phase="numbered"');
    expect(lit(body)).toEqual(["mobile:done", "identity:current", "verification:upcoming"]);
    expect(body).toMatch(/aria-current="step"[^>]*>[^]*?02[^]*?Informations d'identité/);
  });

  it("shows none on the welcome screen", () => {
    expect(render(Screen, { props: { title: "Bienvenue", children } }).body).not.toContain('data-testid="steps"');
  });
});
