// The one door from the screens to Rust; screens take a Backend so they run without Tauri too.
import { invoke, isTauri } from "@tauri-apps/api/core";
import type { CommandErrorBody, WorldConnection, WorldStatus } from "./types";

export type { ClockMode, CommandErrorBody, WorldConnection, WorldStatus } from "./types";

export interface Backend {
  worldConnection(): Promise<WorldConnection>;
  worldStatus(): Promise<WorldStatus>;
}

/** A failed command, with the stable code the screens decide on and Rust's French message. */
export class BackendError extends Error {
  readonly code: string;

  constructor(body: CommandErrorBody) {
    super(body.message);
    this.name = "BackendError";
    this.code = body.code;
  }

  static from(raw: unknown): BackendError {
    if (raw instanceof BackendError) return raw;
    if (typeof raw === "object" && raw !== null && "code" in raw && "message" in raw) {
      const { code, message } = raw as Record<string, unknown>;
      if (typeof code === "string" && typeof message === "string") {
        return new BackendError({ code, message });
      }
    }
    return new BackendError({ code: "unknown", message: String(raw) });
  }
}

class TauriBackend implements Backend {
  worldConnection(): Promise<WorldConnection> {
    return call<WorldConnection>("world_connection");
  }

  worldStatus(): Promise<WorldStatus> {
    return call<WorldStatus>("world_status");
  }
}

async function call<T>(command: string): Promise<T> {
  try {
    return await invoke<T>(command);
  } catch (raw) {
    throw BackendError.from(raw);
  }
}

/** A world that only exists in memory, for screen tests and for previewing in a browser (`?backend=fake`). */
export class FakeBackend implements Backend {
  private readonly startedAt = Date.now();

  constructor(private readonly learners = 3) {}

  async worldConnection(): Promise<WorldConnection> {
    return { base_url: "http://127.0.0.1:0", origin: "embedded" };
  }

  async worldStatus(): Promise<WorldStatus> {
    const elapsed = Date.now() - this.startedAt;
    const now = new Date(Date.UTC(2026, 0, 15, 9, 0, 0) + elapsed).toISOString();
    return {
      service: "IDN Sandbox (fake)",
      version: "fake",
      simulation: true,
      now,
      clock: { mode: "real", now },
      learners: this.learners,
    };
  }
}

/** Outside the app and without `?backend=fake`: say so instead of pretending. */
class UnreachableBackend implements Backend {
  worldConnection(): Promise<WorldConnection> {
    return Promise.reject(unreachable());
  }

  worldStatus(): Promise<WorldStatus> {
    return Promise.reject(unreachable());
  }
}

function unreachable(): BackendError {
  return new BackendError({ code: "ipc_unavailable", message: "no Tauri IPC in this page" });
}

export function chooseBackend(location: Location): Backend {
  if (isTauri()) return new TauriBackend();
  if (new URLSearchParams(location.search).get("backend") === "fake") return new FakeBackend();
  return new UnreachableBackend();
}
