/**
 * Which IPC senders the main process answers: only the top frame of our own
 * window, showing our own page. An iframe, another window, or the window
 * after it navigated elsewhere (a link, an injected redirect) is refused,
 * so no other content can start a sign-in or read the session's view.
 * @see https://www.electronjs.org/docs/latest/tutorial/security#17-validate-the-sender-of-all-ipc-messages
 */

/** The part of Electron's `WebFrameMain` the check reads. */
export interface FrameLike {
  readonly url: string;
  /** `null` for a top frame. */
  readonly parent: unknown;
}

/** The part of Electron's `IpcMainInvokeEvent` the check reads. */
export interface InvokeEventLike {
  readonly sender: unknown;
  /** `null` when the frame is gone. */
  readonly senderFrame: FrameLike | null;
}

/** Thrown to the renderer when a sender is refused. */
export class ForeignSenderError extends Error {
  readonly code = 'foreign_sender';
  constructor() {
    super('IPC refused: not the top frame of the app window showing the app page');
    this.name = 'ForeignSenderError';
  }
}

/**
 * Throws {@link ForeignSenderError} unless `event` comes from the top frame of
 * `webContents` while it shows `pageUrl` (query and fragment ignored).
 */
export function checkSender(event: InvokeEventLike, webContents: unknown, pageUrl: string): void {
  const frame = event.senderFrame;
  if (event.sender !== webContents || !frame || frame.parent !== null || withoutQuery(frame.url) !== withoutQuery(pageUrl)) {
    throw new ForeignSenderError();
  }
}

function withoutQuery(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '\0invalid';
  }
}
