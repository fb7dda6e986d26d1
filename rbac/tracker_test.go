package rbac_test

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/rbac"
	"github.com/kubeharden/kubeharden/rbac/rbactest"
)

// TestTrackerEqualsFresh applies random sequences of changes to bindings, roles and service
// accounts to an inventory and checks, after each, that the engine and escalation graphs a
// Tracker derives answer every question as engines built afresh do.
func TestTrackerEqualsFresh(t *testing.T) {
	seeds := 12
	if testing.Short() {
		seeds = 4
	}
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) { trackerSteps(t, seed, 30) })
	}
}

func trackerSteps(t *testing.T, seed uint64, steps int) {
	g := rbactest.New(seed)
	r := rand.New(rand.NewPCG(seed, 7))
	line := 0
	wrap := func(o runtime.Object, gvk string) *inventory.Object {
		line++
		kind := gvk[strings.LastIndex(gvk, "/")+1:]
		o.GetObjectKind().SetGroupVersionKind(gvkOf(gvk[:strings.LastIndex(gvk, "/")], kind))
		return inventory.New(o, inventory.Source{File: "t.yaml", Line: line}, nil)
	}
	objs := g.Objects(40)
	var base []*inventory.Object
	for _, o := range objs.ClusterRoles {
		base = append(base, wrap(o, "rbac.authorization.k8s.io/v1/ClusterRole"))
	}
	for _, o := range objs.Roles {
		base = append(base, wrap(o, "rbac.authorization.k8s.io/v1/Role"))
	}
	for _, o := range objs.ClusterRoleBindings {
		base = append(base, wrap(o, "rbac.authorization.k8s.io/v1/ClusterRoleBinding"))
	}
	for _, o := range objs.RoleBindings {
		base = append(base, wrap(o, "rbac.authorization.k8s.io/v1/RoleBinding"))
	}
	for i, ns := range g.Namespaces {
		base = append(base, wrap(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: ns},
			Spec: corev1.PodSpec{ServiceAccountName: rbactest.ServiceAccounts[i%len(rbactest.ServiceAccounts)],
				Containers: []corev1.Container{{Name: "c", Image: "x"}}}}, "v1/Pod"))
	}
	inv := inventory.Build(base)
	opts := rbac.Options{Defaults: true, NoEnvironment: true}
	tr := rbac.NewTracker()
	x := rbac.EnvironmentOf(inv)
	e := tr.Engine(inv, opts)
	tr.WithEnvironmentOf(e, x)

	bindings := func() []*inventory.Object {
		return append(append([]*inventory.Object(nil), inv.ByKind("RoleBinding")...), inv.ByKind("ClusterRoleBinding")...)
	}
	for step := range steps {
		var what string
		onlyBindings := false
		switch k := r.IntN(10); {
		case k < 4: // change a binding's subjects or role
			bs := bindings()
			if len(bs) == 0 {
				continue
			}
			old := bs[r.IntN(len(bs))]
			o := old.Obj.DeepCopyObject()
			var ss *[]rbacv1.Subject
			var ref *rbacv1.RoleRef
			switch b := o.(type) {
			case *rbacv1.RoleBinding:
				ss, ref = &b.Subjects, &b.RoleRef
			case *rbacv1.ClusterRoleBinding:
				ss, ref = &b.Subjects, &b.RoleRef
			}
			if r.IntN(3) == 0 && len(objs.ClusterRoles) > 0 {
				ref.Kind, ref.Name = "ClusterRole", objs.ClusterRoles[r.IntN(len(objs.ClusterRoles))].Name
			} else {
				*ss = append((*ss)[:r.IntN(len(*ss)+1)], g.Subject(old.Kind == "RoleBinding"))
			}
			inv.Upsert(wrap(o, old.APIVersion+"/"+old.Kind))
			what, onlyBindings = "change "+old.Ref.String(), !strings.HasPrefix(old.Name, "system:")
		case k < 6: // a new binding
			more := rbactest.New(seed*100 + uint64(step))
			more.Prefix = fmt.Sprintf("s%d-", step)
			o := more.Objects(5)
			if r.IntN(2) == 0 && len(o.RoleBindings) > 0 {
				b := o.RoleBindings[0]
				if r.IntN(3) == 0 {
					b.RoleRef = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: objs.ClusterRoles[r.IntN(len(objs.ClusterRoles))].Name}
				}
				inv.Upsert(wrap(b, "rbac.authorization.k8s.io/v1/RoleBinding"))
			} else {
				b := o.ClusterRoleBindings[0]
				b.RoleRef.Name = objs.ClusterRoles[r.IntN(len(objs.ClusterRoles))].Name
				if r.IntN(4) == 0 {
					b.RoleRef.Name = "cluster-admin"
				}
				inv.Upsert(wrap(b, "rbac.authorization.k8s.io/v1/ClusterRoleBinding"))
			}
			what, onlyBindings = "add a binding", true
		case k < 7: // remove a binding
			bs := bindings()
			if len(bs) == 0 {
				continue
			}
			old := bs[r.IntN(len(bs))]
			inv.Delete(old.Ref)
			what, onlyBindings = "delete "+old.Ref.String(), !strings.HasPrefix(old.Name, "system:")
		case k < 8: // change a role's rules
			rs := append(append([]*inventory.Object(nil), inv.ByKind("Role")...), inv.ByKind("ClusterRole")...)
			old := rs[r.IntN(len(rs))]
			o := old.Obj.DeepCopyObject()
			switch x := o.(type) {
			case *rbacv1.Role:
				x.Rules = append(x.Rules, g.Rule(false))
			case *rbacv1.ClusterRole:
				x.Rules = append(x.Rules, g.Rule(false))
			}
			inv.Upsert(wrap(o, old.APIVersion+"/"+old.Kind))
			what = "change " + old.Ref.String()
		case k < 9: // a service account, which the escalation environment reads
			ns := g.Namespaces[r.IntN(len(g.Namespaces))]
			inv.Upsert(wrap(&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprint("sa-new-", step), Namespace: ns}}, "v1/ServiceAccount"))
			x = rbac.EnvironmentOf(inv)
			what = "add a service account"
		default: // a binding of the default policy, which the engine reconciles
			inv.Upsert(wrap(&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "system:basic-user"},
				RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
				Subjects: []rbacv1.Subject{g.Subject(false)}}, "rbac.authorization.k8s.io/v1/ClusterRoleBinding"))
			what = "redefine ClusterRoleBinding/system:basic-user"
		}
		prev := e
		e = tr.Engine(inv, opts)
		esc := tr.WithEnvironmentOf(e, x)
		fresh := rbac.FromInventory(inv, opts)
		freshEsc := fresh.WithEnvironmentOf(rbac.EnvironmentOf(inv))
		if onlyBindings && &e.Roles()[0] != &prev.Roles()[0] {
			t.Errorf("step %d (%s): only bindings changed, yet the engine was built again", step, what)
		}
		if got, want := describe(esc, g), describe(freshEsc, g); got != want {
			t.Fatalf("step %d (%s): the tracker's engine differs from a fresh one:\n%s", step, what, firstDiff(got, want))
		}
	}
}

func gvkOf(gv, kind string) (out schema.GroupVersionKind) {
	out.Kind = kind
	if i := strings.Index(gv, "/"); i >= 0 {
		out.Group, out.Version = gv[:i], gv[i+1:]
	} else {
		out.Version = gv
	}
	return out
}

// describe renders what the engine answers: its bindings, every subject's permissions and
// shortest escalation paths to both targets, and who may make a set of requests.
func describe(e *rbac.Engine, g *rbactest.Gen) string {
	var b strings.Builder
	for _, x := range e.Bindings() {
		fmt.Fprintf(&b, "binding %s → %s %v\n", x, x.RoleRefString(), x.Subjects)
	}
	subjects := e.Subjects()
	for _, ns := range append(g.Namespaces, "default", "kube-system") {
		for _, sa := range append(rbactest.ServiceAccounts, "sa-new-1", "sa-new-5") {
			subjects = append(subjects, rbac.Subject{Kind: rbac.ServiceAccountKind, Namespace: ns, Name: sa})
		}
	}
	for _, u := range rbactest.Users {
		subjects = append(subjects, rbac.Subject{Kind: rbac.UserKind, Name: u})
	}
	searchers := []*rbac.Searcher{e.Searcher(rbac.ToClusterAdmin), e.Searcher(rbac.ToSecrets)}
	for _, s := range subjects {
		perms := e.Permissions(s)
		nss := make([]string, 0, len(perms))
		for ns := range perms {
			nss = append(nss, ns)
		}
		sort.Strings(nss)
		for _, ns := range nss {
			for _, gr := range perms[ns] {
				fmt.Fprintf(&b, "%s in %q: %s\n", s, ns, grantString(gr))
			}
		}
		for _, sr := range searchers {
			if p := sr.Find(s); p != nil {
				fmt.Fprintf(&b, "path %s\n", p)
				for _, h := range p.Hops {
					for i, gr := range h.Grants {
						fmt.Fprintf(&b, "  %s %v\n", grantString(gr), h.Requests[min(i, len(h.Requests)-1):])
					}
				}
			}
		}
	}
	for _, verb := range []string{"get", "list", "create", "impersonate", "bind", "escalate", "*"} {
		for _, res := range []string{"secrets", "pods", "pods/exec", "clusterrolebindings", "users", "*"} {
			a := rbac.Attributes{Verb: verb, Resource: res}
			for _, gr := range e.Holders(a) {
				fmt.Fprintf(&b, "holder %s %s: %s\n", verb, res, grantString(gr))
			}
			a.Namespace = g.Namespaces[0]
			for _, gr := range e.WhoCan(a) {
				fmt.Fprintf(&b, "who-can %s %s: %s\n", verb, res, grantString(gr))
			}
		}
	}
	return b.String()
}

func grantString(g rbac.Grant) string {
	return fmt.Sprintf("%s via %s[%d] %s %s", g.Subject, g.Binding, g.SubjectIndex, g.Role, g.RuleString())
}

func firstDiff(got, want string) string {
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(gl), len(wl)) {
		var a, b string
		if i < len(gl) {
			a = gl[i]
		}
		if i < len(wl) {
			b = wl[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n got %s\nwant %s", i+1, a, b)
		}
	}
	return "(equal)"
}
