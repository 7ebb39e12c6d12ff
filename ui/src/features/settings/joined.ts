// What the app says once a class is joined: the class by the name its trainer gave the world
// (`idn world serve --class`), read from the world's status; a world without a name is still
// confirmed, without one.
import type { WorldStatus } from "../../backend/types";
import { format, messages } from "../../messages";

export function joinedMessage(status: Pick<WorldStatus, "class_name">): string {
  const name = status.class_name?.trim();
  return name ? format(messages.settings.joinedNamed, { name }) : messages.settings.joinedUnnamed;
}
