// Wire types of the app shell's commands (src-tauri/src/commands). Written by hand until the typed
// IPC generation lands; keep in step with the Rust DTOs.

/** How the simulated clock runs (idn_world::api::ClockMode, tagged by `mode`). */
export type ClockMode =
  | { mode: "real" }
  | { mode: "accelerated"; factor: number }
  | { mode: "manual" };

/** What `world_status` returns: idn_world::api::WorldStatus, as serde serialises it. */
export interface WorldStatus {
  service: string;
  version: string;
  /** Always true: the world is a simulation. */
  simulation: boolean;
  /** RFC 3339 instant of the simulated world's clock. */
  now: string;
  clock: ClockMode & { now: string };
  learners: number;
}

/** Where the world the app talks to lives (`world_connection`). */
export interface WorldConnection {
  base_url: string;
  origin: "embedded" | "external";
}

/** Every command error crosses IPC as `{ code, message }`: the UI decides on `code`. */
export interface CommandErrorBody {
  code: string;
  message: string;
}
