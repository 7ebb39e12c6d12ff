import { createRawSnippet } from "svelte";
import { render } from "svelte/server";
import { describe, expect, it } from "vitest";
import TrainerOptions from "./TrainerOptions.svelte";

describe("« Options du formateur »", () => {
  it("is a section closed by default, its controls hidden until the trainer opens it", () => {
    const children = createRawSnippet(() => ({ render: () => `<label for="x">Erreur à simuler sur les photos</label>` }));
    const { body } = render(TrainerOptions, { props: { children } });
    const details = /<details[^>]*>/.exec(body)?.[0] ?? "";
    expect(details, "a native <details> hides its content while closed").toContain('data-testid="trainer-options"');
    expect(details, "nothing opens it for the learner").not.toMatch(/\sopen/);
    expect(body).toMatch(/<summary>Options du formateur \(bac à sable\)<\/summary>/);
    expect(body.indexOf("Erreur à simuler"), "the controls are inside the section").toBeGreaterThan(body.indexOf("</summary>"));
  });
});
