package rbac

import (
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// TestFixedReasons checks the indexes the escalation search reads fixedReasons by.
func TestFixedReasons(t *testing.T) {
	want := map[int]Attributes{
		fxAll:             {Verb: "*", APIGroup: "*", Resource: "*"},
		fxStandard:        {Verb: StandardVerbs[0], APIGroup: "*", Resource: "*"},
		fxStandard + 7:    {Verb: StandardVerbs[7], APIGroup: "*", Resource: "*"},
		fxSecrets:         {Verb: "list", Resource: "secrets"},
		fxSecrets + 2:     {Verb: "get", Resource: "secrets"},
		fxCRB:             {Verb: "create", APIGroup: rbacv1.GroupName, Resource: "clusterrolebindings"},
		fxCRB + 2:         {Verb: "patch", APIGroup: rbacv1.GroupName, Resource: "clusterrolebindings", Name: "any"},
		fxCSRCreate:       {Verb: "create", APIGroup: "certificates.k8s.io", Resource: "certificatesigningrequests"},
		fxCSRApprove:      {Verb: "update", APIGroup: "certificates.k8s.io", Resource: "certificatesigningrequests", Subresource: "approval", Name: "csr"},
		fxSigners:         {Verb: "approve", APIGroup: "certificates.k8s.io", Resource: "signers", Name: "kubernetes.io/kube-apiserver-client"},
		fxSigners + 1:     {Verb: "approve", APIGroup: "certificates.k8s.io", Resource: "signers", Name: "kubernetes.io/*"},
		len(fixedReasons): {}, // fxBind
	}
	if fxBind != len(fixedReasons) {
		t.Fatalf("fxBind = %d, want %d (the bind requests follow fixedReasons)", fxBind, len(fixedReasons))
	}
	for i, a := range want {
		if i < len(fixedReasons) && fixedReasons[i] != a {
			t.Errorf("fixedReasons[%d] = %+v, want %+v", i, fixedReasons[i], a)
		}
	}
}
