// The page's script: buttons call window.loopauth (the preload bridge) and
// show what comes back. A classic script (no imports), as the sandboxed page
// loads it from file://. Text goes in with textContent only, never as HTML.
type Reply = import('../src/bridge.js').Reply<unknown>;
type ViewState = import('../src/bridge.js').ViewState;
type Progress = import('../src/bridge.js').Progress;
type BridgeError = import('../src/bridge.js').BridgeError;

const byId = (id: string): HTMLElement => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page element #${id} is missing`);
  return el;
};

const progressText: Record<Progress['step'], string> = {
  starting: 'Starting sign-in…',
  'browser-opened': 'Continue in your browser. This window updates when you are done.',
  'already-pending': 'A sign-in is already under way: the browser tab was opened again.',
  warning: '',
  'signed-in': 'Signed in.',
  failed: 'Sign-in did not complete.',
  'signed-out': 'Signed out.',
  updated: '',
};

function showState(state: ViewState): void {
  const warning = byId('warning');
  warning.hidden = !state.warning;
  warning.textContent = state.warning ?? '';
  byId('pending').hidden = !state.pending;
  byId('signed-out').hidden = state.signedIn || state.pending;
  byId('signed-in').hidden = !state.signedIn || state.pending;
  byId('user').textContent = state.user ?? '';
  byId('expires').textContent = state.expiresAt ? new Date(state.expiresAt).toLocaleString() : 'unknown';
}

function showError(error: BridgeError | undefined): void {
  byId('error').hidden = !error;
  byId('error-code').textContent = error?.code ?? '';
  byId('error-message').textContent = error?.message ?? '';
}

/** Something that went wrong after a call succeeded: shown, but not as a failure. */
function showNotice(notice: BridgeError | undefined): void {
  byId('notice').hidden = !notice;
  byId('notice-code').textContent = notice?.code ?? '';
  byId('notice-message').textContent = notice?.message ?? '';
}

function show(reply: Reply): void {
  showState(reply.state);
  showError(reply.ok ? undefined : reply.error);
  showNotice(reply.ok ? reply.warning : undefined);
}

async function run(call: () => Promise<Reply>): Promise<Reply> {
  const reply = await call();
  show(reply);
  return reply;
}

window.loopauth.onProgress((progress) => {
  // The name (or a refreshed expiry) arrived after the reply: the view only, the progress line stays.
  if (progress.step === 'updated') return showState(progress.state);
  byId('progress').textContent = progress.step === 'warning' ? progress.message : progressText[progress.step];
  if (progress.step === 'starting') {
    showError(undefined);
    showNotice(undefined);
    byId('api-result').hidden = true;
    byId('pending').hidden = false;
    byId('signed-out').hidden = true;
    byId('signed-in').hidden = true;
  }
  if (progress.step === 'failed') showError(progress.error);
  if (progress.step === 'signed-in' || progress.step === 'signed-out') showState(progress.state);
});

const signIn = (): void => void run(() => window.loopauth.login());
byId('login').addEventListener('click', signIn);
// A second login() joins the pending sign-in and re-opens its browser tab.
byId('reopen').addEventListener('click', signIn);
// logout() during a pending sign-in cancels it (an earlier session stays).
// Its reply comes after the sign-in's own (code cancelled), which stays shown.
byId('cancel').addEventListener('click', () => {
  void window.loopauth.logout().then((reply) => {
    showState(reply.state);
    if (!reply.ok) showError(reply.error);
  });
});
byId('logout').addEventListener('click', () => {
  byId('api-result').hidden = true;
  void run(() => window.loopauth.logout());
});
byId('call-api').addEventListener('click', () => {
  void run(() => window.loopauth.callApi()).then((reply) => {
    const out = byId('api-result');
    out.hidden = !reply.ok;
    out.textContent = reply.ok ? JSON.stringify(reply.value, null, 2) : '';
  });
});

void run(() => window.loopauth.status());
