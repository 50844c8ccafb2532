/**
 * The few fields of Kubernetes objects the processor reads, as the API returns them in JSON.
 * Everything else in an object is ignored and not kept.
 */

/** metadata.ownerReferences[] */
export interface OwnerReference {
  apiVersion?: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}

/** metadata (ObjectMeta) */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

/** A container status (status.containerStatuses[]). */
export interface ContainerStatus {
  name: string;
  image?: string;
  imageID?: string;
  containerID?: string;
  restartCount?: number;
  lastState?: { terminated?: { containerID?: string } };
}

/** A Pod. */
export interface Pod {
  metadata: ObjectMeta;
  spec?: {
    nodeName?: string;
    hostname?: string;
    hostNetwork?: boolean;
    containers?: { name: string; image?: string }[];
    initContainers?: { name: string; image?: string }[];
  };
  status?: {
    podIP?: string;
    startTime?: string;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

/** Any other object (ReplicaSet, Job, Namespace, Node): only its metadata matters here. */
export interface KubeObject {
  metadata: ObjectMeta;
}

/** A list answer. */
export interface KubeList<T> {
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

/** The `Status` kind the API answers errors with (also the object of an ERROR watch event). */
export interface KubeStatus {
  kind: 'Status';
  code?: number;
  reason?: string;
  message?: string;
}

/** One line of a watch stream. */
export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T | KubeStatus;
}
