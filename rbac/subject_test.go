package rbac

import (
	"reflect"
	"testing"
)

func TestImpersonate(t *testing.T) {
	tests := []struct {
		user   string
		groups []string
		want   []string
	}{
		{"alice", nil, []string{AllAuthenticated}},
		{"alice", []string{"dev"}, []string{"dev", AllAuthenticated}},
		{"alice", []string{AllUnauthenticated}, []string{AllUnauthenticated}},
		{Anonymous, nil, []string{AllUnauthenticated}},
		{"system:serviceaccount:ns:sa", nil, []string{AllServiceAccounts, "system:serviceaccounts:ns", AllAuthenticated}},
		{"system:serviceaccount:ns:sa", []string{"dev"}, []string{"dev", AllAuthenticated}},
	}
	for _, tt := range tests {
		if _, got := Impersonate(tt.user, tt.groups); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Impersonate(%q, %q) groups = %q, want %q", tt.user, tt.groups, got, tt.want)
		}
	}
}

func TestParseSubject(t *testing.T) {
	tests := []struct {
		in   string
		want Subject
		err  bool
	}{
		{"alice", Subject{Kind: UserKind, Name: "alice"}, false},
		{"User:alice", Subject{Kind: UserKind, Name: "alice"}, false},
		{"group:dev", Subject{Kind: GroupKind, Name: "dev"}, false},
		{"Group:system:masters", Subject{Kind: GroupKind, Name: "system:masters"}, false},
		{"sa:ns:app", Subject{Kind: ServiceAccountKind, Namespace: "ns", Name: "app"}, false},
		{"ServiceAccount:ns/app", Subject{Kind: ServiceAccountKind, Namespace: "ns", Name: "app"}, false},
		{"system:serviceaccount:ns:app", Subject{Kind: ServiceAccountKind, Namespace: "ns", Name: "app"}, false},
		{"system:kube-scheduler", Subject{Kind: UserKind, Name: "system:kube-scheduler"}, false},
		{"sa:ns", Subject{}, true},
		{"group:", Subject{}, true},
		{"", Subject{}, true},
	}
	for _, tt := range tests {
		got, err := ParseSubject(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseSubject(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestSubjectClasses(t *testing.T) {
	for _, tt := range []struct {
		s              Subject
		system, anyone bool
	}{
		{Subject{Kind: UserKind, Name: "system:kube-scheduler"}, true, false},
		{Subject{Kind: GroupKind, Name: "system:nodes"}, true, false},
		{Subject{Kind: GroupKind, Name: "system:authenticated"}, false, true},
		{Subject{Kind: GroupKind, Name: "system:serviceaccounts:dev"}, false, true},
		{Subject{Kind: UserKind, Name: "system:anonymous"}, false, true},
		{Subject{Kind: UserKind, Name: "system:serviceaccount:a:b"}, false, false},
		{Subject{Kind: ServiceAccountKind, Namespace: "kube-system", Name: "x"}, false, false},
		{Subject{Kind: UserKind, Name: "alice"}, false, false},
	} {
		if tt.s.IsSystem() != tt.system || tt.s.Everyone() != tt.anyone {
			t.Errorf("%s: IsSystem %v Everyone %v, want %v %v", tt.s, tt.s.IsSystem(), tt.s.Everyone(), tt.system, tt.anyone)
		}
	}
}
