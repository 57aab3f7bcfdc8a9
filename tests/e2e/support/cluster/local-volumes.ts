/**
 * Storage the way a bare-metal cluster without a dynamic provisioner has it: StorageClasses with
 * `kubernetes.io/no-provisioner` and `WaitForFirstConsumer`, and a pool of pre-created local PersistentVolumes pinned
 * to each platform node (what sig-storage's local static provisioner creates from a node's disks).
 *
 * Why this and not a fake provisioner (kwok's volume stages bind claims themselves): here a StatefulSet's claims are
 * bound by Kubernetes' own code paths. The scheduler's VolumeBinding plugin picks, for a pod, a node that has a
 * matching free volume, together with the pod's affinity and taints, and the PV controller in
 * kube-controller-manager completes the bind. A claim for a class nobody created stays Pending and its pod
 * unscheduled, as on a real cluster. Nothing is created on disk: with no kubelet, no volume is ever mounted.
 *
 * `standard` is the default class (dev's claims name none); `fast-ssd` is the class prod's claims name.
 */
import type { NodeLayout } from './fake-nodes';
import { nodeNames } from './fake-nodes';

export const DEFAULT_CLASS = 'standard';
export const STORAGE_CLASSES = [DEFAULT_CLASS, 'fast-ssd'];

// Larger than any claim the stacks make (prod's ZooKeeper asks 20Gi): the PV controller binds the smallest volume
// that fits, so one size serves every claim.
const VOLUME_SIZE = '50Gi';

export function storageClasses(): object[] {
  return STORAGE_CLASSES.map((name) => ({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name, annotations: name === DEFAULT_CLASS ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : {} },
    provisioner: 'kubernetes.io/no-provisioner',
    volumeBindingMode: 'WaitForFirstConsumer',
    reclaimPolicy: 'Retain',
  }));
}

/**
 * `perNode` local volumes of each class on every platform node. Retained, as local volumes are: once a claim is
 * deleted its volume is Released, not reused, so the pool is sized for every claim one cluster's life makes.
 */
export function localVolumes(layout: NodeLayout, perNode: number): object[] {
  return nodeNames(layout, 'platform').flatMap((node) =>
    STORAGE_CLASSES.flatMap((storageClassName) =>
      Array.from({ length: perNode }, (_, i) => ({
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: `${node}-${storageClassName}-${i}`, labels: { 'orchestrator.local/node': node } },
        spec: {
          capacity: { storage: VOLUME_SIZE },
          accessModes: ['ReadWriteOnce'],
          volumeMode: 'Filesystem',
          persistentVolumeReclaimPolicy: 'Retain',
          storageClassName,
          local: { path: `/mnt/disks/${storageClassName}-${i}` },
          nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
        },
      })),
    ),
  );
}
