import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Makes a self-signed P-256 pair for 127.0.0.1 with openssl: `dir/NAME.crt` and `dir/NAME.key`. */
export function makeSelfSignedPair(dir: string, name: string): { cert: string; key: string } {
  const pair = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  const subject = ['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'];
  const curve = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
  execFileSync('openssl', ['req', '-x509', ...curve, '-nodes', '-days', '2', ...subject, '-keyout', pair.key, '-out', pair.cert], {
    stdio: 'ignore',
  });
  return pair;
}
