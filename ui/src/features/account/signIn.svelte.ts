// The login with an existing account outlives its screen: opening « Messages » to read the code
// replaces the screen, and coming back must find the code form, not the welcome screen.
import type { AccountLoginChallenge } from "../../backend";

class SignInFlow {
  /** The person chose « Se connecter avec un compte La Poste existant ». */
  active = $state(false);
  email = $state("");
  /** Kept only until the code is confirmed, for « Recevoir un nouveau code ». */
  password = $state("");
  challenge = $state<AccountLoginChallenge | null>(null);

  reset(): void {
    this.active = false;
    this.email = "";
    this.password = "";
    this.challenge = null;
  }
}

export const signIn = new SignInFlow();
