// The account: who is signed in, every session (this device marked) with a revoke
// button, sign out here or everywhere, and the latest security events.
import { useMutation, useQuery, type CombinedError } from "urql";

import { useSession } from "../auth/AuthProvider";
import { ErrorMessage } from "../ErrorMessage";
import { ErrorCode, errorCode } from "../errors";
import {
  LogoutAllDocument,
  LogoutDocument,
  MeDocument,
  RecentActivityDocument,
  ResendVerificationEmailDocument,
  RevokeSessionDocument,
  SessionsDocument,
  type SessionItemFragment,
} from "../generated/graphql";

const when = (at: string) => new Date(at).toLocaleString();

export function SessionsPage() {
  const session = useSession();
  const [me, refetchMe] = useQuery({ query: MeDocument });
  const [sessions, refetchSessions] = useQuery({ query: SessionsDocument });
  const [activity, refetchActivity] = useQuery({ query: RecentActivityDocument });
  const [logout, sendLogout] = useMutation(LogoutDocument);
  const [logoutAll, sendLogoutAll] = useMutation(LogoutAllDocument);

  // Three queries at once: with an expired access token they wait for one refresh.
  function reload() {
    refetchMe({ requestPolicy: "network-only" });
    refetchSessions({ requestPolicy: "network-only" });
    refetchActivity({ requestPolicy: "network-only" });
  }

  // The tab signs out only once the server has ended the session (or it was over
  // already); a failed request leaves the cookie, so it says so instead.
  async function signOut(send: () => Promise<{ error?: CombinedError }>) {
    const { error } = await send();
    if (!error || errorCode(error) === ErrorCode.Unauthenticated) session.signOut();
  }

  const user = me.data?.me;
  return (
    <>
      <h1>Your sessions</h1>
      {user && (
        <p>
          Signed in as <strong data-testid="username">{user.username}</strong> ({user.email}
          {user.emailVerified ? ", verified" : ", not verified yet"})
        </p>
      )}
      {user && !user.emailVerified && <ResendVerification />}
      <ErrorMessage error={me.error ?? sessions.error} />

      <ul className="sessions" aria-label="Sessions">
        {sessions.data?.sessions.map((item) => (
          <SessionRow key={item.id} item={item} />
        ))}
      </ul>

      <div className="actions">
        <button type="button" onClick={reload}>
          Refresh
        </button>
        <button type="button" onClick={() => signOut(() => sendLogout({}))}>
          Sign out
        </button>
        <button type="button" onClick={() => signOut(() => sendLogoutAll({}))}>
          Log out everywhere
        </button>
      </div>
      <ErrorMessage error={logout.error ?? logoutAll.error} />

      <h2>Recent activity</h2>
      <ol className="activity" aria-label="Recent activity">
        {activity.data?.securityEvents.nodes.map((event) => (
          <li key={event.id}>
            {event.kind}
            <small>
              {when(event.createdAt)} · {event.ipAddress ?? "no IP"}
            </small>
          </li>
        ))}
      </ol>
    </>
  );
}

function SessionRow({ item }: { item: SessionItemFragment }) {
  // The cache refetches the list when the mutation answers a Session.
  const [revoked, revoke] = useMutation(RevokeSessionDocument);
  const place = [item.location?.city, item.location?.country].filter(Boolean).join(", ");
  return (
    <li data-session-id={item.id}>
      <div>
        {item.deviceName ?? item.userAgent ?? "Unknown device"}
        {item.current && <span className="this-device">this device</span>}
        <small>
          {item.ipAddress ?? "no IP"}
          {place && ` · ${place}`} · last used {when(item.lastUsedAt)}
        </small>
        <ErrorMessage error={revoked.error} />
      </div>
      {!item.current && (
        <button type="button" disabled={revoked.fetching} onClick={() => revoke({ id: item.id })}>
          Revoke
        </button>
      )}
    </li>
  );
}

function ResendVerification() {
  const [result, resend] = useMutation(ResendVerificationEmailDocument);
  if (result.data) return <p className="notice">A new link is on its way.</p>;
  return (
    <div className="actions">
      <button type="button" disabled={result.fetching} onClick={() => resend({})}>
        Send the verification email again
      </button>
      <ErrorMessage error={result.error} />
    </div>
  );
}
