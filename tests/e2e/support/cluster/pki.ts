/**
 * The certificates and keys a loopback control plane needs, made with the host's openssl: a cluster CA and the API
 * server's serving certificate under it, a service-account signing key pair, and a front-proxy CA with its client
 * certificate (without them every controller logs that it cannot read the request-header authentication config).
 * EC P-256 throughout: key generation takes milliseconds where RSA takes a large part of a second.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ClusterPki {
  caCert: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
  frontProxyCaCert: string;
  frontProxyClientCert: string;
  frontProxyClientKey: string;
}

/** The API server answers on 127.0.0.1 and, for in-cluster clients, on the first service IP and its DNS names. */
const APISERVER_SANS = ['IP:127.0.0.1', 'IP:10.96.0.1', 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local'];
// A throwaway cluster; long enough that a local cluster left running over a weekend still works.
const DAYS = '30';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function selfSignedCa(dir: string, name: string, cn: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', DAYS, '-subj', `/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature'], dir);
  return { cert, key };
}

function signedLeaf(dir: string, name: string, subject: string, ca: { cert: string; key: string }, extensions: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, extensions);
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', subject], dir);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert, '-days', DAYS, '-extfile', ext], dir);
  return { cert, key };
}

/** Writes the cluster's PKI under `dir` (created) and returns the file paths. */
export function writeClusterPki(dir: string): ClusterPki {
  mkdirSync(dir, { recursive: true });
  const ca = selfSignedCa(dir, 'ca', 'orchestrator-local-ca');
  const apiserver = signedLeaf(dir, 'apiserver', '/CN=kube-apiserver', ca, `keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${APISERVER_SANS.join(',')}\n`);
  const frontProxyCa = selfSignedCa(dir, 'front-proxy-ca', 'orchestrator-local-front-proxy-ca');
  const frontProxyClient = signedLeaf(dir, 'front-proxy-client', '/CN=front-proxy-client', frontProxyCa, 'keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
  const serviceAccountKey = join(dir, 'sa.key');
  const serviceAccountPub = join(dir, 'sa.pub');
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', serviceAccountKey], dir);
  openssl(['ec', '-in', serviceAccountKey, '-pubout', '-out', serviceAccountPub], dir);
  return {
    caCert: ca.cert,
    caKey: ca.key,
    apiserverCert: apiserver.cert,
    apiserverKey: apiserver.key,
    serviceAccountKey,
    serviceAccountPub,
    frontProxyCaCert: frontProxyCa.cert,
    frontProxyClientCert: frontProxyClient.cert,
    frontProxyClientKey: frontProxyClient.key,
  };
}
