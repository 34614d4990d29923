// Puts the session and a urql client in React's context, restores the session from
// the cookie on start, and follows the other tabs.
import { createContext, useContext, useEffect, useMemo, useState, useSyncExternalStore } from "react";
import type { ReactNode } from "react";
import { Provider } from "urql";

import { createAuthClient, restoreSession } from "./client";
import { Session, type AuthStatus } from "./session";

const SessionContext = createContext<Session | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [session] = useState(() => new Session());
  const status = useSyncExternalStore(session.subscribe, () => session.status);
  // A new client, with an empty cache, whenever the tab becomes signed out: nothing
  // fetched for one user is ever shown to the next.
  const signedOut = status === "signed-out";
  const client = useMemo(() => createAuthClient(session), [session, signedOut]);

  useEffect(() => session.connectTabs(), [session]);
  useEffect(() => {
    session.onSignedInElsewhere = () => void restoreSession(client, session);
  }, [client, session]);
  // On start (the status is "restoring" only then): a reload or a new tab finds its
  // session in the cookie.
  useEffect(() => {
    if (session.status === "restoring") void restoreSession(client, session);
  }, [client, session]);

  return (
    <SessionContext value={session}>
      <Provider value={client}>{children}</Provider>
    </SessionContext>
  );
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside <AuthProvider>");
  return session;
}

export function useAuthStatus(): AuthStatus {
  const session = useSession();
  return useSyncExternalStore(session.subscribe, () => session.status);
}
