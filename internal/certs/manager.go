package certs

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// Keys of the Secret that holds the bundle.
const (
	KeyCACert          = "ca.crt"
	KeyCAKey           = "ca.key"
	KeyPreviousCACerts = "ca-previous.crt"
	KeyCert            = corev1.TLSCertKey
	KeyKey             = corev1.TLSPrivateKeyKey
)

// DefaultCheckInterval is how often a Manager checks the bundle for renewal.
const DefaultCheckInterval = 10 * time.Minute

// Manager keeps the webhook server's bundle in a Secret, renews it before expiry, publishes its CA bundle
// (the caller patches it into the webhook configurations) and serves the current certificate. Replicas share
// the Secret: writes are guarded by its resourceVersion, and each replica picks up the others' renewals at its
// next check.
type Manager struct {
	// Client reads and writes the Secret; use a client without a cache, so that no Secret of the cluster is
	// cached.
	Client client.Client
	// Secret is where the bundle is kept.
	Secret types.NamespacedName
	// Policy is what the serving certificate names and how long certificates live.
	Policy Policy
	// Publish is called with the CA bundle after every check, before a new serving certificate is served. It
	// must be idempotent; it is also how webhook configurations that were edited or deleted get healed.
	Publish func(ctx context.Context, caBundle []byte) error
	// Interval between checks; DefaultCheckInterval when zero.
	Interval time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	cert     atomic.Pointer[tls.Certificate]
	caBundle atomic.Pointer[[]byte]
}

var (
	_ manager.Runnable               = (*Manager)(nil)
	_ manager.LeaderElectionRunnable = (*Manager)(nil)
)

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Check loads the bundle, renews what is due, stores it, publishes the CA bundle and starts serving the
// current serving certificate.
//
// Replicas check on their own schedules. A replica that read the Secret just before another renewed it would
// publish the CA bundle of before the renewal after the other published the new one, and the webhook
// configurations would then not trust the certificate the other serves. So after publishing, Check reads the
// Secret again, and publishes again while it changed meanwhile: the last publish is always of the latest
// Secret (whose bundle keeps the previous CA, so each publish trusts every certificate still served).
func (m *Manager) Check(ctx context.Context) error {
	const maxRounds = 5
	for round := 0; ; round++ {
		b, version, err := m.ensureStoredRetrying(ctx)
		if err != nil {
			return err
		}
		if m.Publish != nil {
			if err := m.Publish(ctx, b.CABundle()); err != nil {
				return fmt.Errorf("publish the webhook CA bundle: %w", err)
			}
			current := &corev1.Secret{}
			if err := m.Client.Get(ctx, m.Secret, current); err != nil {
				return fmt.Errorf("read the webhook certificates from secret %s: %w", m.Secret, err)
			}
			if current.ResourceVersion != version && round < maxRounds {
				continue // Another replica stored a bundle meanwhile: publish that one.
			}
		}
		pair, err := tls.X509KeyPair(b.Cert, b.Key)
		if err != nil {
			return fmt.Errorf("load the webhook serving certificate from secret %s: %w", m.Secret, err)
		}
		m.cert.Store(&pair)
		ca := b.CABundle()
		m.caBundle.Store(&ca)
		return nil
	}
}

// ensureStoredRetrying is ensureStored, again while another replica's write gets in the way.
func (m *Manager) ensureStoredRetrying(ctx context.Context) (*Bundle, string, error) {
	for attempt := 0; ; attempt++ {
		b, version, err := m.ensureStored(ctx)
		if err == nil {
			return b, version, nil
		}
		if retryable := apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err); attempt >= 5 || !retryable {
			return nil, "", err
		}
	}
}

// ensureStored returns the bundle as stored after renewing what is due, and the Secret's resourceVersion.
func (m *Manager) ensureStored(ctx context.Context) (*Bundle, string, error) {
	secret := &corev1.Secret{}
	err := m.Client.Get(ctx, m.Secret, secret)
	found := err == nil
	if err != nil && !apierrors.IsNotFound(err) {
		return nil, "", fmt.Errorf("read the webhook certificates from secret %s: %w", m.Secret, err)
	}
	var current *Bundle
	if found {
		current = &Bundle{
			CACert: secret.Data[KeyCACert], CAKey: secret.Data[KeyCAKey], PreviousCACerts: secret.Data[KeyPreviousCACerts],
			Cert: secret.Data[KeyCert], Key: secret.Data[KeyKey],
		}
	}
	b, changed, err := Ensure(current, m.Policy, m.now())
	if err != nil {
		return nil, "", err
	}
	if !changed {
		return b, secret.ResourceVersion, nil
	}
	data := map[string][]byte{KeyCACert: b.CACert, KeyCAKey: b.CAKey, KeyCert: b.Cert, KeyKey: b.Key}
	if len(b.PreviousCACerts) > 0 {
		data[KeyPreviousCACerts] = b.PreviousCACerts
	}
	if !found {
		secret = &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: m.Secret.Namespace, Name: m.Secret.Name, Labels: map[string]string{
				naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue, "app.kubernetes.io/component": "webhook",
			}},
			Type: corev1.SecretTypeOpaque,
			Data: data,
		}
		if err := m.Client.Create(ctx, secret); err != nil {
			return nil, "", fmt.Errorf("store the webhook certificates in secret %s: %w", m.Secret, err)
		}
	} else {
		secret.Data = data
		if err := m.Client.Update(ctx, secret); err != nil { // guarded by the resourceVersion read above
			return nil, "", fmt.Errorf("store the renewed webhook certificates in secret %s: %w", m.Secret, err)
		}
	}
	ctrl.LoggerFrom(ctx).Info("Stored webhook certificates", "secret", m.Secret.String())
	return b, secret.ResourceVersion, nil
}

// GetCertificate serves the current certificate; use it as tls.Config.GetCertificate.
func (m *Manager) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c := m.cert.Load()
	if c == nil {
		return nil, errors.New("the webhook serving certificate is not loaded yet")
	}
	return c, nil
}

// CABundle returns the CA bundle of the last check.
func (m *Manager) CABundle() []byte {
	if b := m.caBundle.Load(); b != nil {
		return *b
	}
	return nil
}

// Start checks the bundle every interval until ctx ends. Call Check once before, so that the server has a
// certificate from the start.
func (m *Manager) Start(ctx context.Context) error {
	interval := m.Interval
	if interval <= 0 {
		interval = DefaultCheckInterval
	}
	log := ctrl.LoggerFrom(ctx).WithName("webhook-certificates")
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := m.Check(ctx); err != nil {
				log.Error(err, "Check webhook certificates")
			}
		}
	}
}

// NeedLeaderElection is false: every replica serves webhooks and so needs the certificate.
func (m *Manager) NeedLeaderElection() bool { return false }
