// Trusting the test auth server's throwaway CA inside the test process itself
// (child processes get NODE_EXTRA_CA_CERTS=<caFile> instead, which Node reads
// only at startup). Node 20 has no API to add a CA at runtime
// (tls.setDefaultCACertificates came in 22.19), so this swaps the global
// fetch dispatcher — an undici Agent, whose class we borrow from the current
// one since the undici package itself is not installed — for one that also
// trusts the test CA. loopauth's own requests go over node:https (src/node-http.ts),
// whose global agent takes the CA as a default option for every new connection.
import https from 'node:https';
import { rootCertificates } from 'node:tls';

const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

/**
 * Makes global fetch and node:https (and so loopauth in this process) trust
 * `ca` as well as the usual roots. Returns a function that undoes it.
 * @param {string} ca  PEM text (startAuthServer(...).ca)
 * @returns {Promise<() => void>}
 */
export async function trustCaInProcess(ca) {
  if (!globalThis[GLOBAL_DISPATCHER]) {
    // Node creates the dispatcher on first use; a refused loopback
    // connection is the cheapest use.
    await fetch('http://127.0.0.1:9/', { signal: AbortSignal.timeout(1000) }).catch(() => {});
  }
  const previous = globalThis[GLOBAL_DISPATCHER];
  if (!previous) throw new Error('no global fetch dispatcher to replace');
  const Agent = previous.constructor;
  globalThis[GLOBAL_DISPATCHER] = new Agent({ connect: { ca: [...rootCertificates, ca] } });
  const agentCa = https.globalAgent.options.ca;
  https.globalAgent.options.ca = [...rootCertificates, ca];
  return () => {
    globalThis[GLOBAL_DISPATCHER] = previous;
    https.globalAgent.options.ca = agentCa;
    https.globalAgent.destroy(); // its kept-alive sockets trusted the test CA
  };
}

export { makeCertificates } from '../../scripts/tls-certs.mjs';
