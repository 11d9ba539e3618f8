// The test authorization server (a real oidc-provider on loopback). One copy
// lives in scripts/auth-server.mjs (the demo uses it too); tests import it from here.
export { startAuthServer } from '../../scripts/auth-server.mjs';
