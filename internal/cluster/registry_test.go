package cluster

import (
	"errors"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func claim(status, spec string) *naasv1alpha1.NamespaceClaim {
	c := &naasv1alpha1.NamespaceClaim{}
	c.Name = "c"
	c.Status.Cluster, c.Spec.Cluster = status, spec
	return c
}

func TestRegistry_ResolvesByStatusThenSpecThenLocal(t *testing.T) {
	local := &Target{Name: Local}
	r := NewRegistry(local)
	r.Register("member-1", "k", &rest.Config{})
	m1 := &Target{Name: "member-1"}
	r.mu.Lock()
	r.members["member-1"].target = m1
	r.mu.Unlock()
	r.SetInstalled("member-1", true)

	for _, tc := range []struct {
		name        string
		claim       *naasv1alpha1.NamespaceClaim
		want        *Target
		unknown     bool
		unavailable bool
		unreachable bool
	}{
		{name: "before fleets", claim: claim("", ""), want: local},
		{name: "placed", claim: claim("member-1", ""), want: m1},
		{name: "named, not placed yet", claim: claim("", "member-1"), want: m1},
		{name: "status wins", claim: claim("local", "member-1"), want: local},
		{name: "unknown", claim: claim("nowhere", ""), unknown: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.Resolve(t.Context(), tc.claim)
			var unknown *UnknownError
			if tc.unknown != errors.As(err, &unknown) {
				t.Fatalf("err = %v, unknown %v", err, tc.unknown)
			}
			if got != tc.want {
				t.Errorf("target = %v, want %v", got, tc.want)
			}
		})
	}
	if got := r.Targets(); len(got) != 2 || got[0] != local || got[1] != m1 {
		t.Errorf("Targets = %v", got)
	}

	// Two failed heartbeats in a row make it unreachable; one success reachable again.
	now := time.Now()
	if r.Observe("member-1", errors.New("timeout"), now, 2) {
		t.Error("one failure changed reachability")
	}
	if !r.Observe("member-1", errors.New("timeout"), now, 2) {
		t.Error("the second failure did not")
	}
	_, err := r.Target("member-1")
	var unavailable *UnavailableError
	if !errors.As(err, &unavailable) || !unavailable.Unreachable {
		t.Fatalf("unreachable member resolves to %v", err)
	}
	if got := r.Targets(); len(got) != 1 {
		t.Errorf("Targets with member-1 unreachable = %v", got)
	}
	if !r.Observe("member-1", nil, now, 2) {
		t.Error("a success did not make it reachable")
	}
	if _, err := r.Target("member-1"); err != nil {
		t.Errorf("reachable again: %v", err)
	}

	// New credentials drop the target until it is rebuilt; the same credentials change nothing.
	if r.Register("member-1", "k", &rest.Config{}) {
		t.Error("the same credentials changed the member")
	}
	if !r.Register("member-1", "k2", &rest.Config{}) {
		t.Error("new credentials did not")
	}
	if _, err := r.Target("member-1"); !errors.As(err, &unavailable) || unavailable.Unreachable {
		t.Errorf("re-registered member resolves to %v, want not ready", err)
	}
	r.SetRemoving("member-1")
	if _, err := r.Target("member-1"); !errors.As(err, &unavailable) || !unavailable.Removing {
		t.Errorf("removing member resolves to %v", err)
	}
	r.Remove("member-1")
	if _, err := r.Target("member-1"); !errors.As(err, new(*UnknownError)) {
		t.Errorf("removed member resolves to %v", err)
	}
	r.Remove(Local)
	if _, err := r.Target(Local); err != nil {
		t.Errorf("the management cluster cannot be removed: %v", err)
	}
}
