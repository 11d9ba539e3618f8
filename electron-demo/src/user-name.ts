/**
 * The signed-in person's name for the window: looked up from userinfo once
 * per session (after sign-in, or on the first status of a saved session),
 * and forgotten when the session ends. Replies never wait on it for more
 * than a short grace: a slow server's name arrives later (`onLate`), a
 * failing one leaves the subject shown, and neither turns a reply into a
 * failure. A failed lookup is not retried within the session.
 */

/** Options of {@link createUserName}. */
export interface UserNameOptions {
  /** Fetches the name (undefined: the server has none for this person). */
  readonly lookup: () => Promise<string | undefined>;
  /** Called when a lookup settles after its grace, so the window can be updated. */
  readonly onLate: () => void;
  /** How long a reply may wait for the first lookup of a session, in ms. @default 1000 */
  readonly graceMs?: number;
}

/** What {@link createUserName} returns. */
export interface UserName {
  /** The session's lookup once it has settled (`name` undefined: none came), else undefined. */
  known(): { readonly name?: string } | undefined;
  /** Starts the session's lookup if it has none yet; resolves when it settles, or the grace is over. */
  wait(): Promise<void>;
  /** The session ended (sign-out, a new sign-in): the next {@link UserName.wait} looks up again. */
  forget(): void;
}

interface Lookup {
  name?: string;
  settled: boolean;
  /** Resolves when the lookup settles or the grace ends, whichever is first. */
  ready: Promise<void>;
}

/** Caches one name per session; see the module comment. */
export function createUserName(options: UserNameOptions): UserName {
  const graceMs = options.graceMs ?? 1000;
  let current: Lookup | undefined;

  function start(): Lookup {
    let graceOver = false;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        graceOver = true;
        resolve();
      }, graceMs);
      timer.unref();
    });
    const entry: Lookup = { settled: false, ready: grace };
    const done = options
      .lookup()
      .then(
        (name) => {
          if (name !== undefined) entry.name = name;
        },
        () => undefined, // the subject stays shown; not retried until the next session
      )
      .finally(() => {
        entry.settled = true;
        clearTimeout(timer);
        if (graceOver && current === entry) options.onLate();
      });
    entry.ready = Promise.race([done, grace]);
    return entry;
  }

  return {
    known() {
      return current?.settled ? { ...(current.name !== undefined ? { name: current.name } : {}) } : undefined;
    },
    wait() {
      return (current ??= start()).ready;
    },
    forget() {
      current = undefined;
    },
  };
}
