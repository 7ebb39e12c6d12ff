// The login with an existing account outlives its screen: opening « Messages » to read the code
// replaces the screen, and coming back must find the code form, not the welcome screen. The
// world may also ask for it: when it no longer accepts this device's access to the account
// (`sign_in_needed` of the session), the sign-in screen shows with the world's reason.
import type { AccountLoginChallenge, SessionView, SignInNeeded } from "../../backend";

/** Why the world asks this device to sign in again, if it does. */
export function signInNeeded(view: SessionView | null): SignInNeeded | null {
  return view?.sign_in_needed ?? null;
}

class SignInFlow {
  /** The person chose « Se connecter avec un compte La Poste existant ». */
  active = $state(false);
  /** The person left the sign-in the world asked for (« Retour »), to create an account instead. */
  dismissed = $state(false);
  email = $state("");
  /** Kept only until the code is confirmed, for « Recevoir un nouveau code ». */
  password = $state("");
  challenge = $state<AccountLoginChallenge | null>(null);

  /** Whether the sign-in screen shows instead of the welcome screen. */
  shown(view: SessionView | null): boolean {
    return this.active || (signInNeeded(view) !== null && !this.dismissed);
  }

  /** « Retour »: back to the welcome screen, even when the world asked for the sign-in. */
  leave(): void {
    this.reset();
    this.dismissed = true;
  }

  reset(): void {
    this.active = false;
    this.dismissed = false;
    this.email = "";
    this.password = "";
    this.challenge = null;
  }
}

export const signIn = new SignInFlow();
