// A throwaway certificate authority and a server certificate for the loopback
// names, made with the openssl CLI (EC P-256 keys: a few milliseconds, where
// RSA would take noticeably longer). Used by the test auth server's HTTPS mode,
// so that clients can be made to trust it properly (NODE_EXTRA_CA_CERTS)
// instead of switching certificate checks off.
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

// Dirs not yet removed, deleted at exit too, so that a test run that never
// calls close() leaves no keys behind in the temp dir.
const live = new Set();
process.once('exit', () => { for (const dir of live) rmSync(dir, { recursive: true, force: true }); });

/** Arguments shared by both certificates: fresh unencrypted P-256 key, 2 days. */
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2'];

/**
 * @typedef {object} Certificates
 * @property {string} dir     the fresh temp dir holding all files
 * @property {string} caFile  path of the CA certificate (PEM), for NODE_EXTRA_CA_CERTS
 * @property {string} ca      the CA certificate (PEM text)
 * @property {string} cert    the server certificate (PEM text), for 127.0.0.1, ::1 and localhost
 * @property {string} key     the server's private key (PEM text)
 * @property {() => Promise<void>} remove  deletes the temp dir
 */

/**
 * Makes a CA and a leaf certificate signed by it in a fresh temp dir.
 * @returns {Promise<Certificates>}
 */
export async function makeCertificates() {
  const dir = await mkdtemp(join(tmpdir(), 'loopauth-ca-'));
  live.add(dir);
  const remove = async () => { live.delete(dir); await rm(dir, { recursive: true, force: true }); };
  const file = (name) => join(dir, name);
  try {
    await run('openssl', [
      'req', '-x509', ...NEW_KEY, '-keyout', file('ca.key'), '-out', file('ca.pem'),
      '-subj', '/CN=loopauth throwaway test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    // `req -x509 -CA` (OpenSSL 3) signs the new certificate with the CA directly.
    await run('openssl', [
      'req', '-x509', ...NEW_KEY, '-keyout', file('server.key'), '-out', file('server.pem'),
      '-subj', '/CN=127.0.0.1', '-CA', file('ca.pem'), '-CAkey', file('ca.key'),
      '-addext', 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
      '-addext', 'basicConstraints=critical,CA:FALSE',
      '-addext', 'keyUsage=critical,digitalSignature',
      '-addext', 'extendedKeyUsage=serverAuth',
    ]);
    // The CA key is not needed any more: nothing else may be signed with it.
    await rm(file('ca.key'));
    const [ca, cert, key] = await Promise.all(
      ['ca.pem', 'server.pem', 'server.key'].map((name) => readFile(file(name), 'utf8')),
    );
    return {
      dir, caFile: file('ca.pem'), ca, cert, key, remove,
    };
  } catch (error) {
    await remove();
    throw new Error(`could not make test certificates with openssl: ${error.stderr || error.message}`, { cause: error });
  }
}
