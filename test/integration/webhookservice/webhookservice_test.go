// Package webhookservice tests the webhook path of a real install: kube-apiserver calls naas's admission webhooks
// through the Service that naas serve --webhook-service names (as the Helm chart sets it), checking the serving
// certificate against the Service's DNS name, and naas rotates that certificate without a restart. The Service is
// of type ExternalName naming localhost, which kube-apiserver's service resolver follows; naas runs as its
// ServiceAccount.
package webhookservice

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/platform"
	"github.com/naas-dev/naas/internal/setup"
	"github.com/naas-dev/naas/internal/testenv"
)

var env *testenv.Environment

func TestMain(m *testing.M) {
	testenv.Main(m, &env, testenv.Options{AsServiceAccount: true, NoControllerManager: true})
}

// TestWebhooks_ReachedThroughTheServiceAndRotatedWithoutRestart: with the webhooks registered by Service reference,
// kube-apiserver's calls reach naas (a non-member's claim is refused by naas's webhook, a member's is stamped with
// its requester by the mutating one); after the certificate Secret is removed, the running naas makes a new CA and
// serving certificate, publishes the CA bundle and serves the new certificate, and admission goes on working.
func TestWebhooks_ReachedThroughTheServiceAndRotatedWithoutRestart(t *testing.T) {
	ctx := context.Background()
	throughService, err := env.ThroughWebhookService()
	if err != nil {
		t.Fatal(err)
	}
	var webhookAddr string
	_, stop, err := env.StartPlatform(throughService, func(o *setup.Options) {
		o.Webhook.CertCheckInterval = 500 * time.Millisecond
		webhookAddr = o.Webhook.Addr
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)

	cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: platform.WebhookConfigurationName}, cfg); err != nil {
		t.Fatal(err)
	}
	for _, w := range cfg.Webhooks {
		if s := w.ClientConfig.Service; s == nil || s.Namespace != testenv.SystemNamespace || s.Name != testenv.WebhookServiceName || w.ClientConfig.URL != nil {
			t.Fatalf("webhook %s is not registered through the Service: %+v", w.Name, w.ClientConfig)
		}
	}
	oldCA := cfg.Webhooks[0].ClientConfig.CABundle
	oldCert := servedCertificate(t, webhookAddr)

	tenant := &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "acme"}, Spec: naasv1alpha1.TenantSpec{
		Owners: []naasv1alpha1.Owner{{Kind: naasv1alpha1.SubjectUser, Name: "alice", Role: naasv1alpha1.RoleAdmin}},
	}}
	if err := env.Client.Create(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	admits(t, "acme-one")

	// Rotate: the Secret goes; the next check makes a new CA and certificate, in the running naas.
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: testenv.SystemNamespace, Name: platform.WebhookCertSecretName}}
	if err := env.Client.Delete(ctx, secret); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "a new CA bundle published and a new certificate served", func() error {
		if err := env.Client.Get(ctx, client.ObjectKey{Name: platform.WebhookConfigurationName}, cfg); err != nil {
			return err
		}
		for _, w := range cfg.Webhooks {
			if bytes.Equal(w.ClientConfig.CABundle, oldCA) {
				return testenv.Errorf("webhook %s still has the old CA bundle", w.Name)
			}
		}
		if cert := servedCertificate(t, webhookAddr); bytes.Equal(cert, oldCert) {
			return testenv.Errorf("the old certificate is still served")
		}
		return nil
	})
	admits(t, "acme-two")
}

// admits checks that admission runs through naas's webhooks: a non-member's claim is refused by naas, a member's
// is admitted with its requester stamped.
func admits(t *testing.T, name string) {
	t.Helper()
	ctx := context.Background()
	claim := func() *naasv1alpha1.NamespaceClaim {
		return &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: naasv1alpha1.NamespaceClaimSpec{Tenant: "acme", Template: "standard"}}
	}
	testenv.Eventually(t, 30*time.Second, "naas's webhooks answer through the Service", func() error {
		err := env.UserClient("mallory").Create(ctx, claim())
		if err == nil {
			return fmt.Errorf("mallory's claim %s in tenant acme was admitted", name)
		}
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "is not a member") {
			return testenv.Errorf("mallory's claim: %v, want naas's refusal", err)
		}
		return nil
	})
	c := claim()
	testenv.Eventually(t, 30*time.Second, "a member's claim admitted", func() error {
		err := env.UserClient("alice").Create(ctx, c)
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	})
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), c) })
	got := &naasv1alpha1.NamespaceClaim{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: name}, got); err != nil {
		t.Fatal(err)
	}
	if got.Spec.Requester == nil || got.Spec.Requester.Username != "alice" {
		t.Errorf("claim %s: requester %+v, want alice stamped by naas's mutating webhook", name, got.Spec.Requester)
	}
}

// servedCertificate is the DER of the certificate naas serves for the Service's name.
func servedCertificate(t *testing.T, addr string) []byte {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	if _, err := strconv.Atoi(port); err != nil {
		t.Fatal(err)
	}
	conn, err := tls.Dial("tcp", net.JoinHostPort(host, port), &tls.Config{
		ServerName:         testenv.WebhookServiceName + "." + testenv.SystemNamespace + ".svc",
		InsecureSkipVerify: true, //nolint:gosec // only reads which certificate is served; kube-apiserver verifies it
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].Raw
}
