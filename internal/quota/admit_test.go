package quota

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// counter is a Count that returns usage (seeing no object) and records how often it was called.
type counter struct {
	usage corev1.ResourceList
	err   error
	calls int
}

func (c *counter) count() (corev1.ResourceList, Seen, error) {
	c.calls++
	return c.usage, func(string, types.UID) (corev1.ResourceList, bool) { return nil, false }, c.err
}

func TestLedger_Admit(t *testing.T) {
	hard := list("pods", "2", "requests.cpu", "1")
	pod := list("pods", "1", "count/pods", "1", "requests.cpu", "400m")
	countedAt := func(at time.Time) *metav1.Time { t := metav1.NewTime(at); return &t }
	arrived := now.Add(-time.Second)
	tests := []struct {
		name        string
		ledger      Ledger
		req         Request
		count       counter
		wantRefused string
		wantChanged bool
		wantCounts  int
		wantUsed    map[string]string
	}{
		{
			name:        "a charge that fits is reserved without a count",
			ledger:      Ledger{Counted: list("pods", "0", "requests.cpu", "0"), CountedAt: countedAt(now.Add(-time.Hour))},
			req:         Request{Hard: hard, Key: "pods/a/p", Usage: pod, Arrived: arrived},
			wantChanged: true, wantUsed: map[string]string{"pods": "1", "requests.cpu": "400m"},
		},
		{
			name:        "a ledger that never counted a capped resource counts first",
			ledger:      Ledger{Counted: list("pods", "0")},
			req:         Request{Hard: hard, Key: "pods/a/p", Usage: pod, Arrived: arrived},
			count:       counter{usage: list("pods", "1", "requests.cpu", "500m")},
			wantChanged: true, wantCounts: 1, wantUsed: map[string]string{"pods": "2", "requests.cpu": "900m"},
		},
		{
			name:        "a refusal after an old count counts again, and admits when objects have gone",
			ledger:      Ledger{Counted: list("pods", "2", "requests.cpu", "800m"), CountedAt: countedAt(now.Add(-time.Hour))},
			req:         Request{Hard: hard, Key: "pods/a/p", Usage: pod, Arrived: arrived},
			count:       counter{usage: list("pods", "0", "requests.cpu", "0")},
			wantChanged: true, wantCounts: 1, wantUsed: map[string]string{"pods": "1", "requests.cpu": "400m"},
		},
		{
			name:        "a refusal after an old count counts again, and refuses when nothing has gone",
			ledger:      Ledger{Counted: list("pods", "2", "requests.cpu", "800m"), CountedAt: countedAt(now.Add(-time.Hour))},
			req:         Request{Hard: hard, Key: "pods/a/p", Usage: pod, Arrived: arrived},
			count:       counter{usage: list("pods", "2", "requests.cpu", "800m")},
			wantRefused: "requested pods=1, requests.cpu=400m; already used pods=2, requests.cpu=800m; limited to pods=2, requests.cpu=1",
			wantChanged: true, wantCounts: 1, wantUsed: map[string]string{"pods": "2", "requests.cpu": "800m"},
		},
		{
			name:        "a refusal resting on a count taken after the request arrived does not count again",
			ledger:      Ledger{Counted: list("pods", "2", "requests.cpu", "800m"), CountedAt: countedAt(arrived.Add(time.Millisecond))},
			req:         Request{Hard: hard, Key: "pods/a/p", Usage: pod, Arrived: arrived},
			wantRefused: "requested pods=1, requests.cpu=400m; already used pods=2, requests.cpu=800m; limited to pods=2, requests.cpu=1",
			wantUsed:    map[string]string{"pods": "2", "requests.cpu": "800m"},
		},
		{
			name:   "an update is charged its growth only",
			ledger: Ledger{Counted: list("pods", "2", "requests.cpu", "800m"), CountedAt: countedAt(now)},
			req: Request{Hard: hard, Key: "pods/a/p", Usage: list("pods", "1", "requests.cpu", "600m"),
				OldUsage: list("pods", "1", "requests.cpu", "400m"), Arrived: arrived},
			wantChanged: true, wantUsed: map[string]string{"pods": "2", "requests.cpu": "1"},
		},
		{
			name:     "a charge of resources the quota does not cap needs no ledger",
			ledger:   Ledger{},
			req:      Request{Hard: hard, Key: "pods/a/p", Usage: list("limits.memory", "1Gi"), Arrived: arrived},
			wantUsed: map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := tt.ledger.DeepCopy()
			ex, changed, err := l.Admit(tt.req, now, tt.count.count)
			if err != nil {
				t.Fatal(err)
			}
			refused := ""
			if ex != nil {
				refused = ex.Error()
			}
			if refused != tt.wantRefused {
				t.Errorf("refused = %q, want %q", refused, tt.wantRefused)
			}
			if changed != tt.wantChanged || tt.count.calls != tt.wantCounts {
				t.Errorf("changed = %v after %d counts, want %v after %d", changed, tt.count.calls, tt.wantChanged, tt.wantCounts)
			}
			if diff := cmp.Diff(tt.wantUsed, strs(Mask(l.Used(now), hard))); diff != "" {
				t.Errorf("usage after (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLedger_AdmitUnderABurstCountsOnce(t *testing.T) {
	// Ten requests over the cap arrive together, their changes committed in one batch: the first refusal counts,
	// the others rest on that count.
	hard := list("pods", "1")
	l := &Ledger{Counted: list("pods", "1"), CountedAt: func() *metav1.Time { t := metav1.NewTime(now.Add(-time.Minute)); return &t }()}
	c := &counter{usage: list("pods", "1")}
	for i := range 10 {
		ex, _, err := l.Admit(Request{Hard: hard, Key: "pods/a/" + string(rune('a'+i)), Usage: list("pods", "1"), Arrived: now.Add(-time.Second)}, now, c.count)
		if err != nil || ex == nil {
			t.Fatalf("request %d: exceeded=%v err=%v, want refused", i, ex, err)
		}
	}
	if c.calls != 1 {
		t.Errorf("%d counts for a burst of ten refusals, want 1", c.calls)
	}
}

func TestLedger_AdmitReturnsTheCountsError(t *testing.T) {
	l := &Ledger{}
	boom := errors.New("list pods: connection refused")
	c := &counter{err: boom}
	if _, _, err := l.Admit(Request{Hard: list("pods", "1"), Key: "pods/a/p", Usage: list("pods", "1")}, now, c.count); !errors.Is(err, boom) {
		t.Errorf("err = %v, want the count's", err)
	}
}
