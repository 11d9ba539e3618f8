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
  /** The session's name: starts the lookup if this session has none yet, waits at most the grace. */
  get(): Promise<string | undefined>;
  /** The session ended (sign-out, a new sign-in): the next {@link UserName.get} looks up again. */
  forget(): void;
}

interface Lookup {
  name?: string;
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
    const entry: Lookup = { ready: grace };
    const done = options
      .lookup()
      .then(
        (name) => {
          if (name !== undefined) entry.name = name;
        },
        () => undefined, // the subject stays shown; not retried until the next session
      )
      .finally(() => {
        clearTimeout(timer);
        if (graceOver && current === entry) options.onLate();
      });
    entry.ready = Promise.race([done, grace]);
    return entry;
  }

  return {
    async get() {
      const lookup = (current ??= start());
      await lookup.ready;
      return lookup.name;
    },
    forget() {
      current = undefined;
    },
  };
}
