package namespaceclaim

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func TestProvisionDuration(t *testing.T) {
	// The API server stamps creation in whole seconds: a claim made at 10:00:00.2 says 10:00:00.
	created := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	at := created.Add
	approvedAt := func(d time.Duration) *naasv1alpha1.Approval {
		return &naasv1alpha1.Approval{At: &metav1.Time{Time: at(d)}}
	}
	tests := []struct {
		name     string
		approval *naasv1alpha1.Approval
		seen     time.Time
		seenOK   bool
		ready    time.Time
		want     time.Duration
	}{
		{name: "sub-second provision, measured from the first sighting",
			seen: at(200 * time.Millisecond), seenOK: true, ready: at(650 * time.Millisecond), want: 450 * time.Millisecond},
		{name: "within the same second as creation is not zero",
			seen: at(10 * time.Millisecond), seenOK: true, ready: at(30 * time.Millisecond), want: 20 * time.Millisecond},
		{name: "not seen by this process (restarted meanwhile): from creation",
			ready: at(3 * time.Second), want: 3 * time.Second},
		{name: "seen late (naas was down when it was made): from creation",
			seen: at(10 * time.Second), seenOK: true, ready: at(11 * time.Second), want: 11 * time.Second},
		{name: "waited for approval: from the approval",
			approval: approvedAt(5 * time.Minute), seen: at(100 * time.Millisecond), seenOK: true,
			ready: at(5*time.Minute + 700*time.Millisecond), want: 700 * time.Millisecond},
		{name: "approved before it was seen: from the sighting",
			approval: approvedAt(0), seen: at(300 * time.Millisecond), seenOK: true, ready: at(time.Second), want: 700 * time.Millisecond},
		{name: "a clock that went backwards gives zero, not a negative time",
			seen: at(time.Second), seenOK: true, ready: at(500 * time.Millisecond), want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.Time{Time: created}}}
			c.Status.Approval = tt.approval
			if got := provisionDuration(c, tt.seen, tt.seenOK, tt.ready); got != tt.want {
				t.Errorf("provisionDuration = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFirstSeen_KeepsTheFirstSightingPerClaimAndIsBounded(t *testing.T) {
	var f firstSeen
	t0 := time.Unix(1000, 0)
	f.note("a", "uid-a", t0)
	f.note("a", "uid-a", t0.Add(time.Second)) // A later pass over the same claim.
	if at, ok := f.take("a", "uid-a"); !ok || !at.Equal(t0) {
		t.Errorf("take(a) = %v, %v, want the first sighting %v", at, ok, t0)
	}
	if _, ok := f.take("a", "uid-a"); ok {
		t.Error("take(a) after take: found, want forgotten")
	}

	// A claim deleted and made again under the same name is a new claim.
	f.note("b", "uid-b1", t0)
	f.note("b", "uid-b2", t0.Add(time.Second))
	if at, ok := f.take("b", "uid-b2"); !ok || !at.Equal(t0.Add(time.Second)) {
		t.Errorf("take(b) of the new claim = %v, %v, want its own sighting", at, ok)
	}
	f.note("c", "uid-c", t0)
	f.forget("c")
	if _, ok := f.take("c", "uid-c"); ok {
		t.Error("take(c) after forget: found")
	}

	for i := range maxTrackedClaims + 10 {
		f.note(fmt.Sprintf("claim-%d", i), types.UID(fmt.Sprint(i)), t0)
	}
	if n := f.len(); n != maxTrackedClaims {
		t.Errorf("remembered %d claims, want the bound %d", n, maxTrackedClaims)
	}
}
