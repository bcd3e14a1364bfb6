import { checkRestricted, type K8sObject } from './pod-security';

/** A Deployment whose pod follows every "restricted" rule; each test breaks one. */
function deployment(pod: Record<string, unknown> = {}, container: Record<string, unknown> = {}): K8sObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'svc' },
    spec: {
      template: {
        spec: {
          securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
          volumes: [{ name: 'tmp', emptyDir: {} }, { name: 'cfg', configMap: { name: 'x' } }, { name: 's', secret: { secretName: 'x' } }],
          ...pod,
          containers: [
            {
              name: 'app',
              image: 'img',
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true },
              ...container,
            },
          ],
        },
      },
    },
  };
}

const rules = (o: K8sObject) => checkRestricted([o]).map((v) => v.rule);

describe('Pod Security Standard "restricted" checker', () => {
  it('accepts a compliant pod', () => {
    expect(checkRestricted([deployment()])).toEqual([]);
  });

  it('ignores kinds without a pod template', () => {
    expect(checkRestricted([{ kind: 'ConfigMap', metadata: { name: 'c' } }, { kind: 'Service', spec: {} }])).toEqual([]);
  });

  it.each([
    ['hostNetwork', { hostNetwork: true }, 'host namespaces'],
    ['hostPID', { hostPID: true }, 'host namespaces'],
    ['hostIPC', { hostIPC: true }, 'host namespaces'],
    ['a hostPath volume', { volumes: [{ name: 'h', hostPath: { path: '/' } }] }, 'hostPath volumes'],
    ['a disallowed volume type', { volumes: [{ name: 'n', nfs: { server: 'x', path: '/' } }] }, 'volume types'],
    ['an unsafe sysctl', { securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' }, sysctls: [{ name: 'kernel.msgmax', value: '1' }] } }, 'sysctls'],
    ['no seccomp profile anywhere', { securityContext: { runAsNonRoot: true } }, 'seccomp'],
    ['runAsNonRoot missing', { securityContext: { seccompProfile: { type: 'RuntimeDefault' } } }, 'running as non-root'],
    ['runAsUser 0 on the pod', { securityContext: { runAsNonRoot: true, runAsUser: 0, seccompProfile: { type: 'RuntimeDefault' } } }, 'running as non-root user'],
  ])('rejects %s at pod level', (_label, pod, rule) => {
    expect(rules(deployment(pod))).toContain(rule);
  });

  it.each([
    ['privileged', { securityContext: { privileged: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }, 'privileged'],
    ['allowPrivilegeEscalation unset', { securityContext: { capabilities: { drop: ['ALL'] } } }, 'privilege escalation'],
    ['allowPrivilegeEscalation true', { securityContext: { allowPrivilegeEscalation: true, capabilities: { drop: ['ALL'] } } }, 'privilege escalation'],
    ['capabilities not dropped', { securityContext: { allowPrivilegeEscalation: false } }, 'capabilities'],
    ['an added capability', { securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] } } }, 'capabilities'],
    ['a host port', { ports: [{ containerPort: 80, hostPort: 80 }] }, 'host ports'],
    ['runAsNonRoot false overriding the pod', { securityContext: { runAsNonRoot: false, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }, 'running as non-root'],
    ['seccomp Unconfined overriding the pod', { securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'Unconfined' } } }, 'seccomp'],
    ['an unmasked /proc', { securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, procMount: 'Unmasked' } }, '/proc mount type'],
    ['a custom SELinux type', { securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seLinuxOptions: { type: 'spc_t' } } }, 'SELinux'],
    ['a windows host process', { securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, windowsOptions: { hostProcess: true } } }, 'HostProcess'],
    ['AppArmor unconfined', { securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, appArmorProfile: { type: 'Unconfined' } } }, 'AppArmor'],
  ])('rejects %s in a container', (_label, container, rule) => {
    const found = checkRestricted([deployment({}, container)]);
    expect(found.map((v) => v.rule)).toContain(rule);
    expect(found.find((v) => v.rule === rule)?.container).toBe('app');
  });

  it('rejects an unconfined AppArmor annotation on the pod template', () => {
    const d = deployment();
    const withAnnotation = { ...d, spec: { template: { ...(d.spec as { template: object }).template, metadata: { annotations: { 'container.apparmor.security.beta.kubernetes.io/app': 'unconfined' } } } } };
    expect(checkRestricted([withAnnotation])).toEqual([{ object: 'Deployment/svc', container: 'app', rule: 'AppArmor', detail: 'annotation container.apparmor.security.beta.kubernetes.io/app is unconfined' }]);
    const ok = { ...d, spec: { template: { ...(d.spec as { template: object }).template, metadata: { annotations: { 'container.apparmor.security.beta.kubernetes.io/app': 'runtime/default' } } } } };
    expect(checkRestricted([ok])).toEqual([]);
  });

  it('allows adding NET_BIND_SERVICE only', () => {
    const ok = deployment({}, { securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } } });
    expect(checkRestricted([ok])).toEqual([]);
  });

  it('checks init containers and CronJob pods too', () => {
    const cron: K8sObject = {
      kind: 'CronJob',
      metadata: { name: 'backup' },
      spec: { jobTemplate: { spec: { template: { spec: { securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }, initContainers: [{ name: 'init' }], containers: [{ name: 'main', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }] } } } } },
    };
    const found = checkRestricted([cron]);
    expect(found.every((v) => v.object === 'CronJob/backup' && v.container === 'init')).toBe(true);
    expect(found.map((v) => v.rule).sort()).toEqual(['capabilities', 'privilege escalation']);
  });
});
