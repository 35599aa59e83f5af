package namespaceclaim

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"gomodules.xyz/jsonpatch/v2"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func TestDefaults_FinalizerAndRequesterOnCreate(t *testing.T) {
	addFinalizer := jsonpatch.Operation{Operation: "add", Path: "/metadata/finalizers", Value: []string{naasv1alpha1.FinalizerNamespace}}
	appendFinalizer := jsonpatch.Operation{Operation: "add", Path: "/metadata/finalizers/-", Value: naasv1alpha1.FinalizerNamespace}
	requester := func(name string) jsonpatch.Operation {
		return jsonpatch.Operation{Operation: "add", Path: "/spec/requester", Value: naasv1alpha1.Requester{Username: name}}
	}
	withFinalizers := func(b *claimBuilder, fs ...string) *naasv1alpha1.NamespaceClaim {
		c := b.obj()
		c.Finalizers = fs
		return c
	}
	for _, c := range []struct {
		name       string
		claim      *naasv1alpha1.NamespaceClaim
		privileged bool
		want       []jsonpatch.Operation
	}{
		{"a claim without finalizers gets naas's and its creator as requester",
			claim("pay-a", "payments").noFinalizer().obj(), false, []jsonpatch.Operation{addFinalizer, requester("bob")}},
		{"another finalizer is kept: naas's is appended",
			withFinalizers(claim("pay-a", "payments"), "example.com/backup"), false, []jsonpatch.Operation{appendFinalizer, requester("bob")}},
		{"an empty list of finalizers is replaced",
			withFinalizers(claim("pay-a", "payments")), false, []jsonpatch.Operation{addFinalizer, requester("bob")}},
		{"a claim that carries naas's finalizer keeps it as it is",
			claim("pay-a", "payments").obj(), false, []jsonpatch.Operation{requester("bob")}},
		{"a forged requester is replaced by the creator",
			claim("pay-a", "payments").requester("alice").obj(), false, []jsonpatch.Operation{requester("bob")}},
		{"a privileged user's requester stays; the finalizer is still added",
			claim("pay-a", "payments").noFinalizer().requester("alice").obj(), true, []jsonpatch.Operation{addFinalizer}},
		{"a privileged user's complete claim needs nothing",
			claim("pay-a", "payments").requester("alice").obj(), true, nil},
		{"a privileged user without a requester is recorded as it",
			claim("pay-a", "payments").obj(), true, []jsonpatch.Operation{requester("bob")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, Defaults(c.claim, bob, c.privileged)); diff != "" {
				t.Errorf("patch (-want +got):\n%s", diff)
			}
		})
	}
}
