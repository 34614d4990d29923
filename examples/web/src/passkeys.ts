// The browser's half of the passkey ceremonies: the server's options go through
// PublicKeyCredential's JSON parsers to navigator.credentials, and the credential comes
// back as JSON. Browser only (Node has no navigator.credentials).
import type { AuthClient } from "./client";

/** Registers a passkey on this device for the signed-in user. */
export async function addPasskey(client: AuthClient, password?: string) {
  const { challengeId, options } = await client.startPasskeyRegistration(password);
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(JSON.parse(options).publicKey);
  const credential = await navigator.credentials.create({ publicKey });
  if (!credential) throw new Error("No passkey was created.");
  return client.finishPasskeyRegistration(challengeId, JSON.stringify(credential));
}

/** Signs in with a passkey: the account's, or (no username) any this device holds. */
export async function signInWithPasskey(client: AuthClient, username?: string, rememberMe = false) {
  const { challengeId, options } = await client.startPasskeyLogin(username);
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(JSON.parse(options).publicKey);
  const credential = await navigator.credentials.get({ publicKey });
  if (!credential) throw new Error("No passkey was chosen.");
  await client.finishPasskeyLogin(challengeId, JSON.stringify(credential), rememberMe);
}
