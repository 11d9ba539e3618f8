/**
 * What the window is shown of the session (a {@link ViewState}): loopauth's
 * status of the profile, and the user's name once per session. Never a token.
 */
import { getStatus, LoopauthError } from 'loopauth';
import type { ProfileOptions, Status } from 'loopauth';
import { bridgeError } from './bridge-error.js';
import type { BridgeError, ViewState } from './bridge.js';
import type { UserName } from './user-name.js';

/** The parts of every view that do not come from the session. */
export type ViewBase = Pick<ViewState, 'pending' | 'persistent' | 'warning'>;

/** Options of {@link createViews}. */
export interface ViewsOptions {
  readonly profile: ProfileOptions;
  readonly userName: UserName;
  readonly base: () => ViewBase;
}

/** Builds the views of the controller's session. */
export function createViews({ profile, userName, base }: ViewsOptions) {
  const signedOutView = (): ViewState => ({ ...base(), signedIn: false });
  /** The view of a session known to exist (just signed in, or the API just answered for it). */
  const signedInView = (user: string | undefined, expiresAt?: Date): ViewState => ({
    ...base(),
    signedIn: true,
    ...(user ? { user } : {}),
    ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}),
  });

  /** The profile's status, undefined when signed out (then the name is forgotten). */
  async function signedInStatus(): Promise<Status | undefined> {
    try {
      const status = await getStatus(profile);
      if (status.state !== 'login_required') return status;
    } catch (e) {
      if (!(e instanceof LoopauthError && e.code === 'login_required')) throw e;
    }
    userName.forget();
    return undefined;
  }

  /** The session as it is now; waits for the session's first name lookup at most its grace. */
  async function view(): Promise<ViewState> {
    let status = await signedInStatus();
    if (!status) return signedOutView();
    let known = userName.known();
    if (!known) {
      await userName.wait();
      // The lookup may have refreshed the access token: show the new expiry, not the spent one.
      status = await signedInStatus();
      if (!status) return signedOutView();
      known = userName.known();
    }
    return signedInView(known?.name ?? status.subject, status.expiresAt);
  }

  /**
   * The view once an action has succeeded: when reading it fails, the action
   * still stands, shown by `known`, and the failure is a warning.
   */
  async function viewAfterSuccess(known: () => ViewState): Promise<{ state: ViewState; warning?: BridgeError }> {
    try {
      return { state: await view() };
    } catch (e) {
      return { state: known(), warning: bridgeError(e) };
    }
  }

  return { view, signedOutView, signedInView, viewAfterSuccess };
}
