// The services whose simulated site the world serves, by the name a login request carries: the
// services screen opens them, and an expired request's screen starts the login again there.
import type { ServiceSite } from "../../backend";
import { messages } from "../../messages";

const t = messages.services;

/** The services the Identité Numérique opens, in the order the services screen lists them;
 * `site` is null for a service whose training site does not exist yet. */
export const SERVICES: readonly { name: string; detail: string; site: ServiceSite | null }[] = [
  { name: t.mcf, detail: t.mcfDetail, site: "mon_compte_formation" },
  { name: t.elu, detail: t.eluDetail, site: "mon_compte_elu" },
  { name: t.impots, detail: t.impotsDetail, site: null },
];

/** The simulated site of the service named `name` (as the world names it in a login request). */
export function siteOf(name: string): ServiceSite | null {
  return SERVICES.find((service) => service.name === name)?.site ?? null;
}
