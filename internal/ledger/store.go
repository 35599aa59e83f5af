// Package ledger keeps small JSON documents in ConfigMaps of naas's system namespace and changes them with
// compare-and-swap: every write is guarded by the resourceVersion that was read, so two admissions racing for
// the last unit of something cannot both win, whichever replica (or process) of naas serves them. It is the one
// store behind naas's admission ledgers: the tenant ledgers (internal/quota/tenantledger: namespace count and
// tenant-wide quota) and the hostname ledgers (internal/webhook/hostnames).
//
// Within one process, changes of one key never conflict with each other: they queue, and the changes that arrive
// while a write is in flight are committed together in the next write (group commit), so a burst of admissions
// waits for one or two writes each, not for every request before it. Changes of different keys never wait on each
// other.
package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const (
	// maxAttempts bounds the compare-and-swap retries of one batch of changes.
	maxAttempts = 20
	// commitTimeout bounds one batch's reads and writes.
	commitTimeout = 5 * time.Second
)

// ErrConflict says a ledger kept changing under a change for maxAttempts tries.
var ErrConflict = errors.New("the ledger kept changing; try again")

// Options describe the documents of one store.
type Options[T any] struct {
	// What names the documents in errors: "tenant ledger", "hostname ledger".
	What string
	// DataKey is the key of the ConfigMap's data that holds the document, as JSON.
	DataKey string
	// Labels are set on every ConfigMap the store creates (at least naas's managed-by label, so they can be
	// listed and told apart from other ConfigMaps).
	Labels map[string]string
	// Copy returns a copy of a document that shares nothing with it; a JSON round trip when nil.
	Copy func(*T) *T
	// Empty reports whether a document holds nothing: its ConfigMap is then deleted (or not created). When nil,
	// ConfigMaps are kept.
	Empty func(*T) bool
	// ResetCorrupt chooses what a document that cannot be decoded means. True: an empty document (for a ledger
	// that a count rebuilds). False: an error that names the ConfigMap, until a platform admin repairs or
	// deletes it (for a ledger whose loss would free what it reserves).
	ResetCorrupt bool
	// Remember keeps the ConfigMap of each key as this process last wrote it, so that the next change of the
	// key skips the read when no other writer came in between (the write's resourceVersion tells). Worth it
	// for few, often-changed keys (one per tenant), not for many keys each changed once.
	Remember bool
}

// Key names one document and what its ConfigMap carries when the store creates it.
type Key struct {
	// Name of the ConfigMap.
	Name string
	// Labels and Annotations added to Options.Labels on create.
	Labels, Annotations map[string]string
	// Owner, when set, owns the ConfigMap, so that it goes with it (a tenant's ledger with the tenant).
	Owner *metav1.OwnerReference
}

// Store reads and changes the documents of one kind, one ConfigMap each, in one namespace.
type Store[T any] struct {
	// client reads and writes the ConfigMaps; it must not read from a cache, or every write conflicts.
	client    client.Client
	namespace string
	opts      Options[T]

	mu     sync.Mutex
	queues map[string]*queue[T] // by key name; a queue exists while its key has changes in flight
	last   map[string]*corev1.ConfigMap
}

// New returns a store of documents in namespace, read and written through c, which must not be a cache.
func New[T any](c client.Client, namespace string, opts Options[T]) *Store[T] {
	return &Store[T]{client: c, namespace: namespace, opts: opts, queues: map[string]*queue[T]{}, last: map[string]*corev1.ConfigMap{}}
}

// Namespace is where the store keeps its ConfigMaps.
func (s *Store[T]) Namespace() string { return s.namespace }

// change is one caller's change of a document, waiting to be committed.
type change[T any] struct {
	f      func(*T) (bool, error)
	dryRun bool
	err    error
	done   chan struct{}
}

// queue holds the changes of one key that wait for the write in flight.
type queue[T any] struct {
	pending []*change[T]
}

// Change runs f on the key's current document and stores the result if f says it changed it, retrying f on a
// fresh document when another writer got there first (so f must be a function of the document it is given,
// and may run more than once). An error from f is returned as is and stores nothing; with dryRun nothing is
// stored either. f runs on a copy: when it fails or is a dry run, the document stays as it was for the changes
// committed with it.
func (s *Store[T]) Change(ctx context.Context, key Key, dryRun bool, f func(*T) (changed bool, err error)) error {
	c := &change[T]{f: f, dryRun: dryRun, done: make(chan struct{})}
	s.mu.Lock()
	q, busy := s.queues[key.Name]
	if !busy {
		q = &queue[T]{}
		s.queues[key.Name] = q
	}
	q.pending = append(q.pending, c)
	s.mu.Unlock()
	if busy {
		select {
		case <-c.done:
			return c.err
		case <-ctx.Done():
			// The change may still be committed: callers' reservations expire when nothing uses them.
			return ctx.Err()
		}
	}
	// This caller commits batches until nothing is pending, its own change in the first.
	for {
		s.mu.Lock()
		batch := q.pending
		q.pending = nil
		if len(batch) == 0 {
			delete(s.queues, key.Name)
			s.mu.Unlock()
			return c.err
		}
		s.mu.Unlock()
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
		s.commit(cctx, key, batch)
		cancel()
	}
}

// commit applies a batch of changes in order and stores the result once, retrying the whole batch on a fresh
// document when another writer got there first.
func (s *Store[T]) commit(ctx context.Context, key Key, batch []*change[T]) {
	defer func() {
		for _, c := range batch {
			close(c.done)
		}
	}()
	for attempt := range maxAttempts {
		cm, doc, err := s.load(ctx, key.Name, attempt > 0)
		if err != nil {
			for _, c := range batch {
				c.err = err
			}
			return
		}
		var written []*change[T]
		for _, c := range batch {
			trial := s.copy(doc)
			changed, err := c.f(trial)
			c.err = err
			if err != nil || !changed || c.dryRun {
				continue
			}
			doc = trial
			written = append(written, c)
		}
		if len(written) == 0 {
			return
		}
		err = s.store(ctx, key, cm, doc)
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
			c.err = fmt.Errorf("%s %s: %w", s.opts.What, key.Name, ErrConflict)
		}
	}
}

// Read returns the key's document as the API server holds it now (an empty one if there is none).
func (s *Store[T]) Read(ctx context.Context, name string) (*T, error) {
	_, doc, err := s.load(ctx, name, true)
	return doc, err
}

// Decode returns the document a ConfigMap of this store holds (one listed by the caller), applying the
// store's policy for documents that cannot be decoded.
func (s *Store[T]) Decode(cm *corev1.ConfigMap) (*T, error) {
	doc := new(T)
	data := cm.Data[s.opts.DataKey]
	if data == "" {
		return doc, nil
	}
	if err := json.Unmarshal([]byte(data), doc); err != nil {
		if s.opts.ResetCorrupt {
			return new(T), nil
		}
		return nil, fmt.Errorf("the %s %s/%s cannot be read (%w): a platform admin must repair or delete it",
			s.opts.What, cm.Namespace, cm.Name, err)
	}
	return doc, nil
}

// Forget drops what the store remembers of a key (after its document's owner is gone).
func (s *Store[T]) Forget(name string) { s.remember(name, nil) }

func (s *Store[T]) copy(doc *T) *T {
	if s.opts.Copy != nil {
		return s.opts.Copy(doc)
	}
	data, err := json.Marshal(doc)
	out := new(T)
	if err == nil {
		_ = json.Unmarshal(data, out) // a document that encodes decodes
	}
	return out
}

// load returns the key's ConfigMap (nil when there is none) and document. Unless fresh, it may answer from what
// this process last wrote: a write based on it fails with a conflict if another writer came in between.
func (s *Store[T]) load(ctx context.Context, name string, fresh bool) (*corev1.ConfigMap, *T, error) {
	s.mu.Lock()
	cm := s.last[name]
	s.mu.Unlock()
	if cm == nil || fresh || !s.opts.Remember {
		cm = &corev1.ConfigMap{}
		err := s.client.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: name}, cm)
		if apierrors.IsNotFound(err) {
			s.remember(name, nil)
			return nil, new(T), nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read the %s %s: %w", s.opts.What, name, err)
		}
		s.remember(name, cm)
	}
	doc, err := s.Decode(cm)
	if err != nil {
		return nil, nil, err
	}
	return cm.DeepCopy(), doc, nil
}

func (s *Store[T]) remember(name string, cm *corev1.ConfigMap) {
	if !s.opts.Remember {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cm == nil {
		delete(s.last, name)
		return
	}
	s.last[name] = cm.DeepCopy()
}

// store writes doc over cm (nil: none yet), guarded by cm's resourceVersion; an empty document deletes cm.
func (s *Store[T]) store(ctx context.Context, key Key, cm *corev1.ConfigMap, doc *T) error {
	err := s.write(ctx, key, cm, doc)
	if err != nil {
		s.remember(key.Name, nil)
		if retryable(err) {
			return err
		}
		return fmt.Errorf("write the %s %s: %w", s.opts.What, key.Name, err)
	}
	return nil
}

func (s *Store[T]) write(ctx context.Context, key Key, cm *corev1.ConfigMap, doc *T) error {
	if s.opts.Empty != nil && s.opts.Empty(doc) {
		if cm == nil {
			return nil
		}
		s.remember(key.Name, nil)
		rv := cm.ResourceVersion
		return s.client.Delete(ctx, cm, client.Preconditions{ResourceVersion: &rv})
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	if cm == nil {
		cm = &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{
				Namespace: s.namespace, Name: key.Name,
				Labels: merge(s.opts.Labels, key.Labels), Annotations: merge(nil, key.Annotations),
			},
			Data: map[string]string{s.opts.DataKey: string(data)},
		}
		if key.Owner != nil {
			cm.OwnerReferences = []metav1.OwnerReference{*key.Owner}
		}
		err = s.client.Create(ctx, cm)
	} else {
		cm.Data = map[string]string{s.opts.DataKey: string(data)}
		err = s.client.Update(ctx, cm) // guarded by cm's resourceVersion
	}
	if err == nil {
		s.remember(key.Name, cm)
	}
	return err
}

func merge(a, b map[string]string) map[string]string {
	if len(a)+len(b) == 0 {
		return nil
	}
	out := make(map[string]string, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// retryable tells a write that lost a race (someone else wrote, created or deleted the document first): the
// batch is tried again on a fresh read.
func retryable(err error) bool {
	return apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) || apierrors.IsNotFound(err)
}
