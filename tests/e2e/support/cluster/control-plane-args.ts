/**
 * Command lines of the control plane's processes, as plain functions of the cluster's directory layout and ports.
 * Everything binds to 127.0.0.1 and writes only under the cluster's directory (each component's `--cert-dir` would
 * otherwise default to /var/run/kubernetes).
 */
import { join } from 'node:path';
import type { ClusterPki } from './pki';

export interface ClusterPorts {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
  kwok: number;
}

export interface ClusterLayout {
  dir: string;
  ports: ClusterPorts;
  pki: ClusterPki;
  /** `token,user,uid,"groups"` lines the API server authenticates bearer tokens against. */
  tokenFile: string;
  /** Kubeconfigs of each component's identity. */
  kubeconfigs: { controllerManager: string; scheduler: string; kwok: string };
  /** kwok's configuration: its stages (tests/e2e/kwok/). */
  kwokConfig: string;
}

/** The range Services take their cluster IPs from; `10.96.0.1` (the `kubernetes` Service) is in the serving cert. */
export const SERVICE_CIDR = '10.96.0.0/16';
/** The range kwok gives pod IPs from, so endpoints and EndpointSlices fill as on a cluster with a pod network. */
export const POD_CIDR = '10.244.0.0/16';

const etcdName = 'local';

export function etcdArgs(c: ClusterLayout): string[] {
  const client = `http://127.0.0.1:${c.ports.etcdClient}`;
  const peer = `http://127.0.0.1:${c.ports.etcdPeer}`;
  return [
    `--name=${etcdName}`,
    `--data-dir=${join(c.dir, 'etcd')}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=${etcdName}=${peer}`,
    // A throwaway cluster: an fsync per write would make every apply wait on a disk the other engineers' builds share.
    '--unsafe-no-fsync',
    '--log-level=warn',
  ];
}

export function apiserverArgs(c: ClusterLayout): string[] {
  const { pki } = c;
  return [
    `--etcd-servers=http://127.0.0.1:${c.ports.etcdClient}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${c.ports.apiserver}`,
    `--cert-dir=${join(c.dir, 'certs', 'apiserver')}`,
    `--tls-cert-file=${pki.apiserverCert}`,
    `--tls-private-key-file=${pki.apiserverKey}`,
    `--client-ca-file=${pki.caCert}`,
    `--token-auth-file=${c.tokenFile}`,
    '--authorization-mode=RBAC',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    // No kubelet or pod network answers on 127.0.0.1:443, so the `kubernetes` Service gets no endpoints reconciled.
    '--endpoint-reconciler-type=none',
    // The Mesos agent is the platform's one privileged pod; without this the API server refuses its DaemonSet.
    '--allow-privileged=true',
    `--requestheader-client-ca-file=${pki.frontProxyCaCert}`,
    '--requestheader-allowed-names=front-proxy-client',
    '--requestheader-username-headers=X-Remote-User',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    `--proxy-client-cert-file=${pki.frontProxyClientCert}`,
    `--proxy-client-key-file=${pki.frontProxyClientKey}`,
    '--profiling=false',
  ];
}

/** Flags both kube-controller-manager and kube-scheduler take for serving /healthz and finding the API server. */
function componentArgs(kubeconfig: string, port: number, certDir: string): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${certDir}`,
    // One instance of each: electing a leader would only add the lease round-trips to start-up.
    '--leader-elect=false',
    '--profiling=false',
  ];
}

export function controllerManagerArgs(c: ClusterLayout): string[] {
  return [
    ...componentArgs(c.kubeconfigs.controllerManager, c.ports.controllerManager, join(c.dir, 'certs', 'controller-manager')),
    // Each controller acts under its own service account, with the RBAC roles Kubernetes bootstraps for it, as
    // kubeadm sets it up: an RBAC gap in a controller shows here as it would on a real cluster.
    '--use-service-account-credentials=true',
    `--service-account-private-key-file=${c.pki.serviceAccountKey}`,
    `--root-ca-file=${c.pki.caCert}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
  ];
}

export function schedulerArgs(c: ClusterLayout): string[] {
  return componentArgs(c.kubeconfigs.scheduler, c.ports.scheduler, join(c.dir, 'certs', 'scheduler'));
}

export function kwokArgs(c: ClusterLayout): string[] {
  return [
    `--kubeconfig=${c.kubeconfigs.kwok}`,
    `--config=${c.kwokConfig}`,
    '--manage-all-nodes=false',
    '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
    `--server-address=127.0.0.1:${c.ports.kwok}`,
    `--cidr=${POD_CIDR}`,
    // Renew a Lease per node as a kubelet does. Without one (the default when no KwokConfiguration is given) the
    // node lifecycle controller finds no heartbeat after its 50 s grace period, marks every node NotReady and every
    // pod on them unready, and kwok's stages never make a Running pod Ready again.
    '--node-lease-duration-seconds=40',
  ];
}
