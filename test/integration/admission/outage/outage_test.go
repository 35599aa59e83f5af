// Package outage tests what naas's admission does around naas itself: the webhook serving certificate and
// the CA bundle naas keeps in its webhook configurations, and that while naas is down the namespaces and
// objects it does not manage are untouched, while what it guards fails closed.
package outage

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/certs"
	"github.com/naas-dev/naas/internal/setup"
	"github.com/naas-dev/naas/internal/testenv"
)

var (
	env *testenv.Environment
	// naas is the platform under test; TestOutage_UnmanagedNamespacesAndObjectsStillWork stops it.
	naas *testenv.Platform
)

func TestMain(m *testing.M) {
	testenv.MainWithPlatform(m, &env, &naas, testenv.Options{},
		func(o *setup.Options) { o.Webhook.CertCheckInterval = 500 * time.Millisecond })
}

func webhookConfigs(t *testing.T) (*admissionregistrationv1.MutatingWebhookConfiguration, *admissionregistrationv1.ValidatingWebhookConfiguration) {
	t.Helper()
	ctx := context.Background()
	m := &admissionregistrationv1.MutatingWebhookConfiguration{}
	v := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: setup.WebhookConfigurationName}, m); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: setup.WebhookConfigurationName}, v); err != nil {
		t.Fatal(err)
	}
	return m, v
}

// caBundles returns the CA bundle of every webhook of naas.
func caBundles(t *testing.T) map[string][]byte {
	m, v := webhookConfigs(t)
	out := map[string][]byte{}
	for _, w := range m.Webhooks {
		out[w.Name] = w.ClientConfig.CABundle
	}
	for _, w := range v.Webhooks {
		out[w.Name] = w.ClientConfig.CABundle
	}
	return out
}

func certSecret(ctx context.Context) (*corev1.Secret, error) {
	s := &corev1.Secret{}
	err := env.Client.Get(ctx, client.ObjectKey{Namespace: setup.DefaultSystemNamespace, Name: setup.WebhookCertSecretName}, s)
	return s, err
}

func TestWebhooks_ScopedFailClosedAndQuick(t *testing.T) {
	m, v := webhookConfigs(t)
	for _, w := range m.Webhooks {
		if *w.FailurePolicy != admissionregistrationv1.Fail || *w.TimeoutSeconds > 3 {
			t.Errorf("%s: failure policy %s, timeout %ds; want Fail within 3s", w.Name, *w.FailurePolicy, *w.TimeoutSeconds)
		}
		for _, r := range w.Rules {
			if ownKinds := len(r.APIGroups) == 1 && r.APIGroups[0] == naasv1alpha1.GroupVersion.Group; !ownKinds {
				t.Errorf("%s: mutates %v outside naas's own kinds", w.Name, r.APIGroups)
			}
		}
	}
	for _, w := range v.Webhooks {
		if *w.TimeoutSeconds > 3 {
			t.Errorf("%s: timeout %ds, want at most 3s", w.Name, *w.TimeoutSeconds)
		}
		naasKinds := true
		for _, r := range w.Rules {
			naasKinds = naasKinds && len(r.APIGroups) == 1 && r.APIGroups[0] == naasv1alpha1.GroupVersion.Group
		}
		if naasKinds {
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(w.NamespaceSelector)
		if err != nil {
			t.Fatal(err)
		}
		if sel.Empty() || !strings.Contains(sel.String(), naasv1alpha1.LabelManagedBy+"="+naasv1alpha1.ManagedByValue) {
			t.Errorf("%s: sees objects outside naas namespaces (namespace selector %q)", w.Name, sel)
		}
	}
	if u := v.Webhooks[0].ClientConfig.URL; u == nil || !strings.HasPrefix(*u, "https://127.0.0.1:") {
		t.Errorf("naas up reaches the webhooks at %v, want https://127.0.0.1:<port>", u)
	}
}

func TestCertificates_CABundleIsPatchedAndRenewedWhenTheCAIsReplaced(t *testing.T) {
	ctx := context.Background()
	secret, err := certSecret(ctx)
	if err != nil {
		t.Fatalf("webhook certificate secret: %v", err)
	}
	for name, ca := range caBundles(t) {
		if !bytes.Equal(ca, secret.Data[certs.KeyCACert]) {
			t.Errorf("webhook %s trusts another CA than the one in secret %s", name, secret.Name)
		}
	}

	// The CA is lost (or an admin deletes the secret to rotate it): naas makes a new one, patches every webhook
	// configuration and serves a certificate of it.
	oldCA := secret.Data[certs.KeyCACert]
	if err := env.Client.Delete(ctx, secret); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 20*time.Second, "new CA in every webhook configuration", func() error {
		s, err := certSecret(ctx)
		if err != nil {
			return err
		}
		if bytes.Equal(s.Data[certs.KeyCACert], oldCA) {
			return testenv.Errorf("the CA was not replaced")
		}
		for name, ca := range caBundles(t) {
			if !bytes.Equal(ca, s.Data[certs.KeyCACert]) {
				return testenv.Errorf("webhook %s does not trust the new CA yet", name)
			}
		}
		return nil
	})
	tenant := testenv.Tenant("renewed").Admin("alice").Obj()
	testenv.Eventually(t, 20*time.Second, "webhooks answer with the new certificate", func() error {
		err := env.Client.Create(ctx, tenant)
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	})

	// A webhook configuration someone deleted comes back.
	_, v := webhookConfigs(t)
	if err := env.Client.Delete(ctx, v); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 20*time.Second, "deleted webhook configuration restored", func() error {
		restored := &admissionregistrationv1.ValidatingWebhookConfiguration{}
		return env.Client.Get(ctx, client.ObjectKey{Name: setup.WebhookConfigurationName}, restored)
	})
}

func TestOutage_UnmanagedNamespacesAndObjectsStillWork(t *testing.T) {
	ctx := context.Background()
	testenv.Tenant("outage").Developer("bob").Create(t, env)
	testenv.Claim("outage-app", "outage").Tier("dev").Create(t, env)
	env.WaitReady(t, "outage-app")
	env.WaitUsable(t, "outage-app")
	before := testenv.RestrictedPod("outage-app", "before")
	testenv.Eventually(t, 30*time.Second, "pod in the managed namespace while naas is up", func() error {
		return env.Client.Create(ctx, before)
	})

	naas.Stop()

	// Everything naas does not manage goes on as if naas did not exist.
	plain := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "plain", Labels: map[string]string{"team": "ops"}}}
	if err := env.Client.Create(ctx, plain); err != nil {
		t.Fatalf("creating an unmanaged namespace while naas is down: %v", err)
	}
	testenv.Eventually(t, 30*time.Second, "default service account", func() error {
		return env.Client.Get(ctx, client.ObjectKey{Namespace: "plain", Name: "default"}, &corev1.ServiceAccount{})
	})
	nodePort := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "plain", Name: "np"}, Spec: corev1.ServiceSpec{
		Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{{Port: 80}},
	}}
	pvc := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "plain", Name: "data"}, Spec: corev1.PersistentVolumeClaimSpec{
		AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
		Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: *resourceQuantity("1Gi")}},
	}}
	for _, o := range []client.Object{
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "plain", Name: "settings"}},
		testenv.RestrictedPod("plain", "web"), nodePort, pvc,
	} {
		if err := env.Client.Create(ctx, o); err != nil {
			t.Errorf("creating %T %s in an unmanaged namespace while naas is down: %v", o, o.GetName(), err)
		}
	}
	if err := env.Client.Delete(ctx, testenv.RestrictedPod("plain", "web")); err != nil {
		t.Errorf("deleting a pod in an unmanaged namespace while naas is down: %v", err)
	}

	// What naas guards fails closed, and says why.
	err := env.UserClient("bob").Create(ctx, &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: "outage-new"},
		Spec: naasv1alpha1.NamespaceClaimSpec{Tenant: "outage", Template: "standard", Tier: "dev"}})
	if err == nil || !strings.Contains(err.Error(), "failed calling webhook") {
		t.Errorf("claim while naas is down: want a refusal naming the webhook, got %v", err)
	}
	if err := env.Client.Create(ctx, testenv.RestrictedPod("outage-app", "during")); err == nil || !strings.Contains(err.Error(), "failed calling webhook") {
		t.Errorf("pod in a managed namespace while naas is down: want a refusal naming the webhook, got %v", err)
	}
	// Deleting is never held up: deletions only inform naas's quota ledger.
	if err := env.Client.Delete(ctx, before, client.GracePeriodSeconds(0)); err != nil {
		t.Errorf("deleting a pod in a managed namespace while naas is down: %v", err)
	}
}

func resourceQuantity(s string) *resource.Quantity {
	q := resource.MustParse(s)
	return &q
}
