package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/testenv"
)

// ReadyWatcher watches every NamespaceClaim and records when each was first seen Ready, the way
// `kubectl wait` would see it: by watch, not by polling, so that the time is not rounded to a
// poll interval.
type ReadyWatcher struct {
	mu      sync.Mutex
	readyAt map[string]time.Time
	waiters map[string]chan struct{}
	last    map[string]string // the Ready message, to say why a claim is not ready
}

// WatchReady starts the watcher and waits for its cache to sync.
func WatchReady(ctx context.Context, cfg *rest.Config) (*ReadyWatcher, error) {
	c, err := cache.New(cfg, cache.Options{Scheme: testenv.NewScheme(), DefaultTransform: cache.TransformStripManagedFields()})
	if err != nil {
		return nil, err
	}
	inf, err := c.GetInformer(ctx, &naasv1alpha1.NamespaceClaim{})
	if err != nil {
		return nil, err
	}
	w := &ReadyWatcher{readyAt: map[string]time.Time{}, waiters: map[string]chan struct{}{}, last: map[string]string{}}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    w.observe,
		UpdateFunc: func(_, obj any) { w.observe(obj) },
	}); err != nil {
		return nil, err
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		return nil, fmt.Errorf("the claim watch did not sync")
	}
	return w, nil
}

func (w *ReadyWatcher) observe(obj any) {
	now := time.Now()
	claim, ok := obj.(*naasv1alpha1.NamespaceClaim)
	if !ok {
		return
	}
	cond := meta.FindStatusCondition(claim.Status.Conditions, naasv1alpha1.ConditionReady)
	w.mu.Lock()
	defer w.mu.Unlock()
	if cond != nil {
		w.last[claim.Name] = fmt.Sprintf("%s/%s: %s", cond.Status, cond.Reason, cond.Message)
	}
	if cond == nil || cond.Status != "True" {
		return
	}
	if _, seen := w.readyAt[claim.Name]; seen {
		return
	}
	w.readyAt[claim.Name] = now
	if ch, ok := w.waiters[claim.Name]; ok {
		close(ch)
		delete(w.waiters, claim.Name)
	}
}

// ready returns a channel closed once the claim has been seen Ready.
func (w *ReadyWatcher) ready(name string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch := make(chan struct{})
	if _, ok := w.readyAt[name]; ok {
		close(ch)
		return ch
	}
	if existing, ok := w.waiters[name]; ok {
		return existing
	}
	w.waiters[name] = ch
	return ch
}

// ReadyAt returns when the claim was first seen Ready.
func (w *ReadyWatcher) ReadyAt(name string) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	t, ok := w.readyAt[name]
	return t, ok
}

// Wait waits until every claim of names has been seen Ready, or fails after timeout naming one
// that is not and why.
func (w *ReadyWatcher) Wait(ctx context.Context, timeout time.Duration, names ...string) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for _, name := range names {
		select {
		case <-w.ready(name):
		case <-deadline.C:
			w.mu.Lock()
			why := w.last[name]
			w.mu.Unlock()
			if why == "" {
				why = "no Ready condition yet"
			}
			return fmt.Errorf("claim %s not Ready within %s (%s)", name, timeout, why)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
