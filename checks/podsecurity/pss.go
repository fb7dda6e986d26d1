package podsecurity

import (
	"strings"

	"k8s.io/pod-security-admission/api"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/psa"
)

// meta documents one upstream check.
type meta struct {
	title, doc, fix string
	refs            []string
}

// docs documents every upstream check by its upstream ID. A test fails when an upstream
// check is missing here.
var docs = map[string]meta{
	"privileged": {
		"Privileged container",
		"A privileged container has every capability and every host device, with no seccomp, " +
			"AppArmor or SELinux confinement: root in it is root on the node. PSS baseline forbids " +
			"securityContext.privileged: true on every container, init and ephemeral ones included.",
		"Remove `privileged: true`; grant only the capabilities the process needs.",
		[]string{refBaseline, "CIS Kubernetes Benchmark 5.2.2", refNSA, refEscape},
	},
	"hostNamespaces": {
		"Pod shares the host's network, PID or IPC namespace",
		"hostNetwork lets a pod sniff and bind the node's interfaces and reach services listening " +
			"on localhost; hostPID lets it see and signal every process of the node; hostIPC lets it " +
			"read the shared memory of other workloads. PSS baseline forbids all three.",
		"Remove hostNetwork, hostPID and hostIPC (or set them to false).",
		[]string{refBaseline, "CIS Kubernetes Benchmark 5.2.3", "CIS Kubernetes Benchmark 5.2.4", "CIS Kubernetes Benchmark 5.2.5", refNSA, refEscape},
	},
	"hostPathVolumes": {
		"Pod mounts a hostPath volume",
		"A hostPath volume mounts a directory of the node into the pod: the container runtime " +
			"socket, kubelet credentials or /etc are one path away from a container escape. PSS " +
			"baseline forbids hostPath volumes. The finding names the sensitive node paths a pod " +
			"mounts (container runtime sockets such as docker.sock and containerd.sock, " +
			"/var/lib/kubelet, /etc, /proc, /sys, /dev, /root, or a parent of one of them such as /) " +
			"and is then reported one severity higher.",
		"Replace the hostPath volume with an emptyDir, a configMap/secret, or a PersistentVolumeClaim.",
		[]string{refBaseline, "CIS Kubernetes Benchmark 5.2.12", refNSA, refEscape},
	},
	"hostPorts": {
		"Container binds a port of the node",
		"A hostPort exposes the container on the node's own address, bypassing Services and " +
			"NetworkPolicies that select pod IPs, and ties the pod to nodes where the port is free. " +
			"PSS baseline forbids host ports (on a host-network pod every container port is one).",
		"Remove hostPort and expose the port through a Service.",
		[]string{refBaseline, "CIS Kubernetes Benchmark 5.2.13", refNSA},
	},
	"hostProbesAndHostLifecycle": {
		"Probe or lifecycle hook targets another host",
		"The kubelet runs httpGet and tcpSocket probes and lifecycle hooks from the node; a host " +
			"field makes it connect wherever the pod author says, which turns the kubelet into a " +
			"proxy to node-local or cloud metadata endpoints. PSS baseline forbids the host field " +
			"(from policy v1.34).",
		"Remove the host field from httpGet/tcpSocket probes and lifecycle hooks: they then target the pod.",
		[]string{refBaseline, refNSA},
	},
	"capabilities_baseline": {
		"Container adds capabilities beyond the default set",
		"Capabilities such as SYS_ADMIN, NET_ADMIN, SYS_PTRACE or NET_RAW hand a container parts " +
			"of root's power over the node. PSS baseline allows adding only the container runtime's " +
			"default set (AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, " +
			"NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT).",
		"Remove the added capabilities; run the privileged part as a separate, narrowly scoped component if it is needed at all.",
		[]string{refBaseline, "CIS Kubernetes Benchmark 5.2.8", "CIS Kubernetes Benchmark 5.2.9", refNSA, refEscape},
	},
	"capabilities_restricted": {
		"Container does not drop ALL capabilities",
		"Even the runtime's default capabilities (NET_RAW for spoofing, CHOWN, SETUID...) are more " +
			"than most processes need. PSS restricted requires every container to drop ALL and to " +
			"add back nothing but NET_BIND_SERVICE (Windows pods are exempt from v1.25).",
		"Set `securityContext.capabilities.drop: [\"ALL\"]` on each container; add back only NET_BIND_SERVICE if it binds a port below 1024.",
		[]string{refRestricted, "CIS Kubernetes Benchmark 5.2.9", "CIS Kubernetes Benchmark 5.2.10", refNSA},
	},
	"appArmorProfile": {
		"AppArmor profile disabled or overridden",
		"On nodes with AppArmor the runtime confines every container with its default profile. " +
			"PSS baseline forbids turning that off: an appArmorProfile type other than RuntimeDefault " +
			"or Localhost (on the pod or a container), or a deprecated AppArmor annotation other than " +
			"runtime/default or localhost/*.",
		"Remove the Unconfined AppArmor profile (field or annotation), or use RuntimeDefault or a Localhost profile.",
		[]string{refBaseline, refNSA},
	},
	"seLinuxOptions": {
		"Custom SELinux user, role or type",
		"SELinux labels confine containers on nodes that enforce SELinux; a custom user or role, or " +
			"a type other than container_t, container_init_t, container_kvm_t (and container_engine_t " +
			"from v1.31) can lift that confinement, e.g. spc_t runs unconfined. PSS baseline forbids them.",
		"Remove seLinuxOptions user and role and use an allowed type, or drop seLinuxOptions altogether.",
		[]string{refBaseline, refNSA},
	},
	"procMount": {
		"Container unmasks /proc",
		"The default procMount masks and makes read-only the parts of /proc that leak or change " +
			"host kernel state; Unmasked removes that. PSS baseline forbids it, except for pods in a " +
			"user namespace (hostUsers: false) from v1.35.",
		"Remove `procMount: Unmasked` (or set it to Default).",
		[]string{refBaseline, refNSA, refEscape},
	},
	"procMount_restricted": {
		"Container unmasks /proc (even in a user namespace)",
		"PSS restricted forbids an unmasked /proc for every pod, user-namespace pods included " +
			"(from v1.35, where baseline starts to allow it for them).",
		"Remove `procMount: Unmasked` (or set it to Default).",
		[]string{refRestricted, refNSA},
	},
	"seccompProfile_baseline": {
		"Seccomp disabled",
		"Seccomp filters the system calls a container may make and blocks many kernel exploits. " +
			"PSS baseline forbids explicitly setting an Unconfined profile (or, before v1.19, an " +
			"annotation other than runtime/default, docker/default or localhost/*).",
		"Remove the Unconfined seccomp profile; use `seccompProfile: {type: RuntimeDefault}`.",
		[]string{refBaseline, "CIS Kubernetes Benchmark 5.7.2", refNSA},
	},
	"seccompProfile_restricted": {
		"Seccomp profile not set to RuntimeDefault or Localhost",
		"Without a seccomp profile a container may call every system call the kernel offers. PSS " +
			"restricted requires the pod, or every container, to set seccompProfile.type to " +
			"RuntimeDefault or Localhost (Windows pods are exempt from v1.25).",
		"Set `securityContext.seccompProfile: {type: RuntimeDefault}` on the pod.",
		[]string{refRestricted, "CIS Kubernetes Benchmark 5.7.2", refNSA},
	},
	"sysctls": {
		"Pod sets unsafe sysctls",
		"Sysctls outside the namespaced safe set change kernel settings for the whole node or " +
			"for other pods. PSS baseline allows only the safe set of the policy version (e.g. " +
			"net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies, kernel.shm_rmid_forced and, in " +
			"newer versions, more net.ipv4.tcp_* keys).",
		"Remove the unsafe sysctls, or move the workload to dedicated, tainted nodes configured for them.",
		[]string{refBaseline, refNSA},
	},
	"windowsHostProcess": {
		"Windows HostProcess container",
		"A Windows HostProcess container runs directly on the node with the node's privileges, " +
			"outside any container isolation. PSS baseline forbids windowsOptions.hostProcess on " +
			"the pod and every container.",
		"Remove `windowsOptions.hostProcess: true`.",
		[]string{refBaseline, "CIS Kubernetes Benchmark 5.2.11", refNSA, refEscape},
	},
	"restrictedVolumes": {
		"Pod uses a volume type outside the restricted set",
		"Volume types such as hostPath, nfs, iscsi, rbd or gitRepo reach outside the pod's own " +
			"storage or run host-side code. PSS restricted allows only configMap, csi, downwardAPI, " +
			"emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret volumes.",
		"Use a PersistentVolumeClaim (backed by a PersistentVolume of the needed type) or one of the allowed volume types.",
		[]string{refRestricted, refNSA},
	},
	"runAsNonRoot": {
		"Containers may run as root",
		"A process running as UID 0 in the container is root on the node's kernel: one escape away " +
			"from the host. PSS restricted requires runAsNonRoot: true on the pod or on every " +
			"container, and forbids false anywhere (pods in a user namespace are exempt from v1.35).",
		"Set `securityContext.runAsNonRoot: true` on the pod (and build the image with a non-root USER).",
		[]string{refRestricted, "CIS Kubernetes Benchmark 5.2.7", refNSA},
	},
	"runAsUser": {
		"Container runs as UID 0",
		"runAsUser: 0 runs the process as root whatever the image says. PSS restricted forbids it " +
			"on the pod and on every container (pods in a user namespace are exempt from v1.35).",
		"Set runAsUser to a non-zero UID, or remove it and use the image's non-root USER.",
		[]string{refRestricted, "CIS Kubernetes Benchmark 5.2.7", refNSA},
	},
	"allowPrivilegeEscalation": {
		"Container may gain more privileges than its parent process",
		"Unless allowPrivilegeEscalation is false, the kernel lets a process gain privileges " +
			"through set-user-ID binaries or file capabilities (no_new_privs is not set). PSS " +
			"restricted requires every container to set it to false (Windows pods are exempt from v1.25).",
		"Set `securityContext.allowPrivilegeEscalation: false` on each container.",
		[]string{refRestricted, "CIS Kubernetes Benchmark 5.2.6", refNSA},
	},
}

// podChecks are the registered pod checks, one per upstream check.
var podChecks = func() []*check.Check {
	var out []*check.Check
	for _, c := range psa.Checks() {
		m, ok := docs[c.ID]
		if !ok {
			// An upstream check this version does not document yet still runs.
			m = meta{"Fails Pod Security check " + c.ID,
				"Pod Security Standards " + string(c.Level) + " check " + c.ID + ", as the API server's PodSecurity admission applies it.",
				"See the Pod Security Standards for " + c.ID + ".", []string{"PSS " + string(c.Level)}}
		}
		sev := check.High
		if c.Level == api.LevelRestricted {
			sev = check.Medium
		}
		out = append(out, &check.Check{
			ID:    "podsecurity/" + c.ID,
			Title: m.title,
			Doc: m.doc + " The check judges every pod template (all workload kinds) exactly as the " +
				"API server's PodSecurity admission would judge its pods, at the level its namespace " +
				"enforces (severity " + sev.String() + ") and at restricted (one severity lower when " +
				"only restricted fails). Fix: " + m.fix,
			Severity:    sev,
			Fixable:     fixable[c.ID],
			References:  m.refs,
			Remediation: m.fix,
			CEL:         celForms[c.ID],
			Kinds:       []string{check.Workloads},
			Reads:       []string{"Namespace"},
			Scope:       check.ScopeNamespace,
			PerObject:   true,
			Requires:    []check.Requirement{engines.PodSecurity},
			Run:         runPod(c.ID),
		})
	}
	return out
}()

func init() { check.Register(podChecks...) }

// runPod reports the pod templates that fail upstream check id.
func runPod(id string) func(*check.Pass) {
	return func(pass *check.Pass) {
		s := newScope(pass)
		v := s.verdicts()
		bit := s.ev.Index(id)
		// The end of a message says what the template's namespace enforces: the same for
		// every template of the namespace, so it is written once.
		judged, restricted := map[*psa.Namespace]string{}, map[*psa.Namespace]string{}
		for i, t := range pass.Inv.PodTemplates() {
			p := &v.pods[i]
			switch {
			case p.ns == nil:
			case p.judge.Has(bit):
				ns := p.ns
				f, _ := s.ev.EvaluateCheck(id, ns.Judge, t.Meta, t.Spec)
				end, ok := judged[ns]
				if !ok {
					end = ": fails Pod Security " + string(f.Level) + "; " + ns.Describe()
					if ns.Source != psa.Assumed {
						end += ", so the API server refuses to create these pods"
					}
					judged[ns] = end
				}
				d := check.Diagnostic{Object: t.Owner, Path: rebase(t, f.Path), Message: message(f, end), Fixes: s.fixes(id, i, t, ns.Judge)}
				if id == "hostPathVolumes" {
					hostPathSensitive(t, &d, pass.Check.Severity)
				}
				pass.Report(d)
			case p.restricted.Has(bit):
				ns := p.ns
				f, _ := s.ev.EvaluateCheck(id, ns.Restricted(), t.Meta, t.Spec)
				end, ok := restricted[ns]
				if !ok {
					end = ": fails Pod Security " + string(f.Level) + "; " + ns.Describe() +
						", so this only blocks moving it to " + string(f.Level)
					restricted[ns] = end
				}
				d := check.Diagnostic{
					Object: t.Owner, Path: rebase(t, f.Path),
					Message:  message(f, end),
					Severity: pass.Check.Severity - 1,
					Fixes:    s.fixes(id, i, t, ns.Restricted()),
				}
				if id == "hostPathVolumes" {
					hostPathSensitive(t, &d, d.Severity)
				}
				pass.Report(d)
			}
		}
	}
}

// message is f.Message() followed by end, written at once.
func message(f psa.Failure, end string) string {
	if f.Detail == "" {
		return f.Reason + end
	}
	return f.Reason + " (" + f.Detail + ")" + end
}

// fixes returns the fix of check id for template t (the i-th of the inventory's) when
// applying it makes t pass the check at lv (its namespace's level or restricted), else nil:
// a person has to decide (a privileged container, a root image).
func (s *scope) fixes(id string, i int, t inventory.PodTemplate, lv api.LevelVersion) []check.SuggestedFix {
	if !fixable[id] || s.pass.NoFixes {
		return nil
	}
	v := s.verdicts()
	h := s.hardening(v, i, t)
	fx := fixesOf(t, id, h.edits)
	if fx == nil {
		return nil
	}
	fails, ok := s.at(v.pods[i].ns, lv, h.judge, h.restricted)
	if !ok {
		_, spec := hardening(t.Spec, s.pass.Inv.ImageData())
		fails = s.ev.FailingSet(lv, t.Meta, spec)
	}
	if fails.Has(s.ev.Index(id)) {
		return nil
	}
	return fx
}

// rebase turns a path relative to a pod ("spec.containers[0]", "metadata.annotations.x")
// into one inside the template's owner.
func rebase(t inventory.PodTemplate, p string) string {
	if rest, ok := strings.CutPrefix(p, "spec"); ok {
		return t.Path + rest
	}
	if rest, ok := strings.CutPrefix(p, "metadata"); ok {
		return t.MetaPath + rest
	}
	return t.Path
}

// scope is what the checks of one pass share: the evaluator and resolved namespaces.
type scope struct {
	pass   *check.Pass
	ev     *psa.Evaluator
	skip   []string
	spaces map[string]resolved
}

// resolved is a namespace with whether its pods are judged (it is not exempt).
type resolved struct {
	ns     *psa.Namespace
	judged bool
}

func newScope(pass *check.Pass) *scope {
	return &scope{pass: pass, ev: engines.PodSecurity.Of(pass), skip: pass.Config.PodSecurity.Exempt(), spaces: map[string]resolved{}}
}

// namespace resolves ns; ok is false when it is exempt (by the cluster or by kubeharden).
func (s *scope) namespace(name string) (*psa.Namespace, bool) {
	r, seen := s.spaces[name]
	if !seen {
		var labels map[string]string
		obj := s.pass.Inv.Namespace(name)
		if obj != nil {
			labels = obj.Labels()
		}
		n := s.ev.Namespace(name, labels, obj != nil)
		r = resolved{&n, !n.Exempt && !psa.Matches(s.skip, name)}
		s.spaces[name] = r
	}
	return r.ns, r.judged
}
