/**
 * The Kubernetes Pod Security Standard "restricted" profile (which includes "baseline"), as code,
 * over rendered manifests: every pod template of a Pod, Deployment, StatefulSet, DaemonSet,
 * ReplicaSet, Job or CronJob. Rules and allowed values follow
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/ (policy version "latest").
 * A violation names the object, the container and the rule, so a CI failure says what to fix.
 */

export interface K8sObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly spec?: unknown;
}

export interface Violation {
  /** Kind/name of the object holding the pod template. */
  readonly object: string;
  /** Container name, or undefined for a pod-level rule. */
  readonly container?: string | undefined;
  readonly rule: string;
  readonly detail: string;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const get = (v: unknown, ...path: string[]): unknown => path.reduce<unknown>((cur, key) => (isObject(cur) ? cur[key] : undefined), v);
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);
/** A value for a message: strings as they are, anything else as JSON. */
const show = (v: unknown): string => (typeof v === 'string' ? v : v === undefined ? 'undefined' : JSON.stringify(v));

/** Restricted: only these volume types. */
export const ALLOWED_VOLUME_TYPES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'] as const;
/** Baseline: sysctls outside this set are forbidden. */
export const SAFE_SYSCTLS = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
] as const;
const SELINUX_TYPES = ['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'];
const SECCOMP_OK = ['RuntimeDefault', 'Localhost'];
const APPARMOR_OK = ['RuntimeDefault', 'Localhost'];

/** The pod spec inside a workload object, or undefined if the kind holds none. */
export function podSpecOf(object: K8sObject): Json | undefined {
  switch (object.kind) {
    case 'Pod':
      return isObject(object.spec) ? object.spec : undefined;
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
    case 'ReplicationController': {
      const spec = get(object.spec, 'template', 'spec');
      return isObject(spec) ? spec : undefined;
    }
    case 'CronJob': {
      const spec = get(object.spec, 'jobTemplate', 'spec', 'template', 'spec');
      return isObject(spec) ? spec : undefined;
    }
    default:
      return undefined;
  }
}

/** The pod template's annotations (the object's own for a Pod). */
function podAnnotationsOf(object: K8sObject): Json {
  const path = object.kind === 'Pod' ? ['metadata'] : object.kind === 'CronJob' ? ['spec', 'jobTemplate', 'spec', 'template', 'metadata'] : ['spec', 'template', 'metadata'];
  const annotations = get(object, ...path, 'annotations');
  return isObject(annotations) ? annotations : {};
}

const APPARMOR_ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/';

export function checkRestricted(objects: readonly K8sObject[]): Violation[] {
  const violations: Violation[] = [];
  for (const object of objects) {
    const pod = podSpecOf(object);
    if (!pod) continue;
    const name = `${object.kind ?? '?'}/${object.metadata?.name ?? '?'}`;
    const report = (rule: string, detail: string, container?: string) => violations.push({ object: name, container, rule, detail });
    checkPod(pod, report);
    // Baseline: AppArmor through the (deprecated) annotations must stay runtime/default or localhost/*.
    for (const [key, value] of Object.entries(podAnnotationsOf(object))) {
      if (key.startsWith(APPARMOR_ANNOTATION) && value !== 'runtime/default' && !String(value).startsWith('localhost/')) {
        report('AppArmor', `annotation ${key} is ${show(value)}`, key.slice(APPARMOR_ANNOTATION.length));
      }
    }
  }
  return violations;
}

function checkPod(pod: Json, report: (rule: string, detail: string, container?: string) => void): void {
  // Baseline: host namespaces.
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (pod[field] === true) report('host namespaces', `${field} must not be true`);
  }
  const podSc = isObject(pod['securityContext']) ? pod['securityContext'] : {};

  // Baseline: volumes (hostPath) and restricted: allowed volume types.
  for (const volume of list(pod['volumes'])) {
    const types = Object.keys(volume).filter((k) => k !== 'name');
    for (const type of types) {
      if (type === 'hostPath') report('hostPath volumes', `volume "${show(volume['name'])}" is a hostPath`);
      else if (!(ALLOWED_VOLUME_TYPES as readonly string[]).includes(type)) report('volume types', `volume "${show(volume['name'])}" has type ${type}, not one of ${ALLOWED_VOLUME_TYPES.join(', ')}`);
    }
  }
  // Baseline: sysctls.
  for (const sysctl of list(podSc['sysctls'])) {
    if (!(SAFE_SYSCTLS as readonly string[]).includes(show(sysctl['name']))) report('sysctls', `sysctl ${show(sysctl['name'])} is not in the safe set`);
  }
  checkCommon(podSc, report, undefined);

  const containers = [...list(pod['initContainers']), ...list(pod['containers']), ...list(pod['ephemeralContainers'])];
  if (containers.length === 0) report('containers', 'the pod has no containers');
  const podNonRoot = podSc['runAsNonRoot'] === true;
  const podSeccomp = get(podSc, 'seccompProfile', 'type');

  for (const c of containers) {
    const cname = show(c['name'] ?? '?');
    const sc = isObject(c['securityContext']) ? c['securityContext'] : {};
    // Baseline: privileged, host ports, procMount.
    if (sc['privileged'] === true) report('privileged', 'privileged must not be true', cname);
    for (const port of list(c['ports'])) {
      if (port['hostPort'] !== undefined && port['hostPort'] !== 0) report('host ports', `hostPort ${show(port['hostPort'])} is not allowed`, cname);
    }
    if (sc['procMount'] !== undefined && sc['procMount'] !== 'Default') report('/proc mount type', `procMount must be Default, is ${show(sc['procMount'])}`, cname);
    checkCommon(sc, report, cname);

    // Restricted: privilege escalation.
    if (sc['allowPrivilegeEscalation'] !== false) report('privilege escalation', 'securityContext.allowPrivilegeEscalation must be false', cname);
    // Restricted: running as non-root (container setting wins over the pod's).
    const nonRoot = sc['runAsNonRoot'] === undefined ? podNonRoot : sc['runAsNonRoot'] === true;
    if (!nonRoot) report('running as non-root', 'runAsNonRoot must be true (on the pod or the container)', cname);
    // Restricted: seccomp must be set explicitly.
    const seccomp = get(sc, 'seccompProfile', 'type') ?? podSeccomp;
    if (!SECCOMP_OK.includes(show(seccomp))) report('seccomp', `seccompProfile.type must be RuntimeDefault or Localhost (pod or container), is ${show(seccomp)}`, cname);
    // Restricted: capabilities drop ALL, add at most NET_BIND_SERVICE.
    const drop = get(sc, 'capabilities', 'drop');
    if (!Array.isArray(drop) || !drop.includes('ALL')) report('capabilities', 'capabilities.drop must include ALL', cname);
    const add = get(sc, 'capabilities', 'add');
    for (const cap of Array.isArray(add) ? add : []) {
      if (cap !== 'NET_BIND_SERVICE') report('capabilities', `capability ${show(cap)} may not be added (only NET_BIND_SERVICE)`, cname);
    }
  }
}

/** Rules that apply alike to the pod's and each container's securityContext. */
function checkCommon(sc: Json, report: (rule: string, detail: string, container?: string) => void, container: string | undefined): void {
  if (get(sc, 'windowsOptions', 'hostProcess') === true) report('HostProcess', 'windowsOptions.hostProcess must not be true', container);
  if (sc['runAsUser'] === 0) report('running as non-root user', 'runAsUser must not be 0', container);
  const seccomp = get(sc, 'seccompProfile', 'type');
  if (seccomp === 'Unconfined') report('seccomp', 'seccompProfile.type must not be Unconfined', container);
  const appArmor = get(sc, 'appArmorProfile', 'type');
  if (appArmor !== undefined && !APPARMOR_OK.includes(show(appArmor))) report('AppArmor', `appArmorProfile.type ${show(appArmor)} is not allowed`, container);
  const se = isObject(sc['seLinuxOptions']) ? sc['seLinuxOptions'] : undefined;
  if (se) {
    if (!SELINUX_TYPES.includes(show(se['type'] ?? ''))) report('SELinux', `seLinuxOptions.type ${show(se['type'])} is not allowed`, container);
    if (se['user'] !== undefined || se['role'] !== undefined) report('SELinux', 'seLinuxOptions.user and .role must not be set', container);
  }
}
