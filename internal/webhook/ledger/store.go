// Package ledger keeps each tenant's admission ledger (see quota.Ledger) in a ConfigMap in naas's namespace
// and changes it with compare-and-swap: every write is guarded by the resourceVersion that was read, so two
// admissions racing for a tenant's last namespace or last unit of quota cannot both win, however many
// replicas of naas serve them. Within one process a per-tenant lock keeps admissions from conflicting with
// each other in the first place.
package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/quota"
)

const (
	// NamePrefix starts the name of every ledger ConfigMap: naas-ledger-<tenant>.
	NamePrefix = "naas-ledger-"
	// DataKey holds the ledger, as JSON, in the ConfigMap.
	DataKey = "ledger.json"
	// maxAttempts bounds the compare-and-swap retries of one change.
	maxAttempts = 20
)

// Store reads and changes tenants' ledgers.
type Store struct {
	// Client reads and writes the ledger ConfigMaps; it must not read from a cache, or every write conflicts.
	Client client.Client
	// Namespace holds the ledgers.
	Namespace string

	mu     sync.Mutex
	locks  map[string]*sync.Mutex
	queues map[string]*queue // the map guarded by mu, each queue by its tenant's lock
	// last is the ConfigMap of each tenant as this process last wrote or read it: with the tenant's lock held
	// it is current unless another replica wrote since, which the resourceVersion then tells.
	last map[string]*corev1.ConfigMap
}

// NewStore returns a store for the ledgers in namespace.
func NewStore(c client.Client, namespace string) *Store {
	return &Store{
		Client: c, Namespace: namespace,
		locks: map[string]*sync.Mutex{}, queues: map[string]*queue{}, last: map[string]*corev1.ConfigMap{},
	}
}

// Name is the name of the ConfigMap of a tenant's ledger.
func Name(tenant string) string { return NamePrefix + tenant }

func (s *Store) lock(tenant string) func() {
	s.mu.Lock()
	l, ok := s.locks[tenant]
	if !ok {
		l = &sync.Mutex{}
		s.locks[tenant] = l
	}
	s.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// ErrConflict says a ledger kept changing under a change for maxAttempts tries.
var ErrConflict = fmt.Errorf("the tenant ledger kept changing; try again")

// Change runs f on the tenant's current ledger and stores the result if f says it changed it, retrying f on a
// fresh ledger when another writer got there first. An error from f is returned as is and stores nothing.
// With dryRun nothing is stored either.
//
// Changes to one tenant's ledger that arrive while a write is in flight are committed together, in one
// write, in arrival order (group commit): under a burst of admissions, each waits for one or two writes, not
// for every request before it, so none runs into the webhook's timeout.
func (s *Store) Change(ctx context.Context, tenant *naasv1alpha1.Tenant, dryRun bool, f func(l *quota.Ledger) (changed bool, err error)) error {
	c := &change{f: f, dryRun: dryRun, done: make(chan struct{})}
	s.mu.Lock()
	q := s.queues[tenant.Name]
	if q == nil {
		q = &queue{}
		s.queues[tenant.Name] = q
	}
	s.mu.Unlock()
	unlock := s.lock(tenant.Name)
	q.pending = append(q.pending, c)
	if q.busy {
		unlock()
		select {
		case <-c.done:
			return c.err
		case <-ctx.Done():
			// The change may still be committed; a reservation nobody uses expires.
			return ctx.Err()
		}
	}
	q.busy = true
	unlock()
	// This caller commits batches until nothing is pending, its own change in the first.
	for {
		unlock := s.lock(tenant.Name)
		batch := q.pending
		q.pending = nil
		if len(batch) == 0 {
			q.busy = false
			unlock()
			break
		}
		unlock()
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
		s.commit(cctx, tenant, batch)
		cancel()
	}
	return c.err
}

// change is one caller's change of a ledger, waiting to be committed.
type change struct {
	f      func(l *quota.Ledger) (changed bool, err error)
	dryRun bool
	err    error
	done   chan struct{}
}

// queue holds the changes of one tenant's ledger that wait for the write in flight.
type queue struct {
	pending []*change
	busy    bool
}

// commitTimeout bounds one batch's reads and writes.
const commitTimeout = 5 * time.Second

// commit applies a batch of changes to the ledger in order and stores the result once, retrying the whole
// batch on a fresh ledger when another writer (another replica) got there first. Each change is tried on a
// copy, so one that fails or is a dry run leaves the ledger as it was.
func (s *Store) commit(ctx context.Context, tenant *naasv1alpha1.Tenant, batch []*change) {
	defer func() {
		for _, c := range batch {
			close(c.done)
		}
	}()
	for attempt := 0; attempt < maxAttempts; attempt++ {
		cm, l, err := s.load(ctx, tenant.Name, attempt > 0)
		if err != nil {
			for _, c := range batch {
				c.err = err
			}
			return
		}
		var written []*change
		for _, c := range batch {
			trial := l.DeepCopy()
			changed, err := c.f(trial)
			c.err = err
			if err != nil || !changed || c.dryRun {
				continue
			}
			l = trial
			written = append(written, c)
		}
		if len(written) == 0 {
			return
		}
		err = s.store(ctx, tenant, cm, l)
		if retryable(err) {
			continue
		}
		for _, c := range written {
			c.err = err
		}
		return
	}
	for _, c := range batch {
		if c.err == nil {
			c.err = ErrConflict
		}
	}
}

// Read returns the tenant's ledger (an empty one if there is none yet).
func (s *Store) Read(ctx context.Context, tenant string) (*quota.Ledger, error) {
	unlock := s.lock(tenant)
	defer unlock()
	_, l, err := s.load(ctx, tenant, true)
	return l, err
}

func (s *Store) load(ctx context.Context, tenant string, fresh bool) (*corev1.ConfigMap, *quota.Ledger, error) {
	s.mu.Lock()
	cm := s.last[tenant]
	s.mu.Unlock()
	if cm == nil || fresh {
		cm = &corev1.ConfigMap{}
		err := s.Client.Get(ctx, client.ObjectKey{Namespace: s.Namespace, Name: Name(tenant)}, cm)
		if apierrors.IsNotFound(err) {
			return nil, &quota.Ledger{}, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read the ledger of tenant %s: %w", tenant, err)
		}
		s.remember(tenant, cm)
	}
	l := &quota.Ledger{}
	if data := cm.Data[DataKey]; data != "" {
		if err := json.Unmarshal([]byte(data), l); err != nil {
			// A ledger that cannot be read is started afresh: the next count rebuilds usage, and claim
			// reservations only cover the last minute.
			l = &quota.Ledger{}
		}
	}
	return cm.DeepCopy(), l, nil
}

func (s *Store) remember(tenant string, cm *corev1.ConfigMap) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cm == nil {
		delete(s.last, tenant)
		return
	}
	s.last[tenant] = cm.DeepCopy()
}

func (s *Store) store(ctx context.Context, tenant *naasv1alpha1.Tenant, cm *corev1.ConfigMap, l *quota.Ledger) error {
	data, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("encode the ledger of tenant %s: %w", tenant.Name, err)
	}
	if cm == nil {
		cm = &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{
				Namespace: s.Namespace, Name: Name(tenant.Name),
				Labels: map[string]string{
					naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue,
					naasv1alpha1.LabelTenant:    tenant.Name,
				},
				// The ledger goes with its tenant.
				OwnerReferences: []metav1.OwnerReference{{
					APIVersion: naasv1alpha1.GroupVersion.String(), Kind: "Tenant", Name: tenant.Name, UID: tenant.UID,
				}},
			},
			Data: map[string]string{DataKey: string(data)},
		}
		err = s.Client.Create(ctx, cm)
	} else {
		cm.Data = map[string]string{DataKey: string(data)}
		err = s.Client.Update(ctx, cm) // guarded by cm's resourceVersion
	}
	if err != nil {
		s.remember(tenant.Name, nil)
		if retryable(err) {
			return err
		}
		return fmt.Errorf("write the ledger of tenant %s: %w", tenant.Name, err)
	}
	s.remember(tenant.Name, cm)
	return nil
}

// retryable tells a write that lost a race (someone else wrote, created or deleted the ledger first): it is
// tried again on a fresh read.
func retryable(err error) bool {
	return apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) || apierrors.IsNotFound(err)
}

// Forget drops what the store remembers of a tenant (after the tenant is deleted).
func (s *Store) Forget(tenant string) { s.remember(tenant, nil) }
