package certs

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

// Two replicas check the shared Secret on their own schedules. When one renews the CA while the other is between
// reading the Secret and publishing, the other must not leave its stale CA bundle as the last one published: the
// webhook configurations would then not trust the certificate the renewing replica serves.
func TestCheck_PublishesTheLatestBundleWhenAnotherReplicaRenewsMeanwhile(t *testing.T) {
	ctx := context.Background()
	c := fake.NewClientBuilder().WithScheme(clientgoscheme.Scheme).Build()
	key := types.NamespacedName{Namespace: "naas-system", Name: "naas-webhook-certs"}
	policy := Policy{Hosts: Hosts{IPs: []net.IP{net.ParseIP("127.0.0.1")}}}
	start := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)

	var published [][]byte
	record := func(_ context.Context, ca []byte) error {
		published = append(published, append([]byte(nil), ca...))
		return nil
	}
	first := &Manager{Client: c, Secret: key, Policy: policy, Publish: record, Now: func() time.Time { return start }}
	if err := first.Check(ctx); err != nil {
		t.Fatal(err)
	}

	// Years later the CA is due; the renewing replica checks while the other is about to publish what it read.
	later := start.Add(4 * 365 * 24 * time.Hour)
	renewing := &Manager{Client: c, Secret: key, Policy: policy, Publish: record, Now: func() time.Time { return later }}
	renewed := false
	stale := &Manager{Client: c, Secret: key, Policy: policy, Now: func() time.Time { return start.Add(time.Hour) }}
	stale.Publish = func(ctx context.Context, ca []byte) error {
		if !renewed {
			renewed = true
			if err := renewing.Check(ctx); err != nil {
				return err
			}
		}
		return record(ctx, ca)
	}
	if err := stale.Check(ctx); err != nil {
		t.Fatal(err)
	}
	secret := &corev1.Secret{}
	if err := c.Get(ctx, key, secret); err != nil {
		t.Fatal(err)
	}
	stored := append(append([]byte(nil), secret.Data[KeyCACert]...), secret.Data[KeyPreviousCACerts]...)
	if bytes.Equal(published[0], stored) {
		t.Fatal("the CA was not renewed: the test proves nothing")
	}
	if last := published[len(published)-1]; !bytes.Equal(last, stored) {
		t.Errorf("the last CA bundle published is not the stored one: the webhook configurations distrust the renewed certificate")
	}
	if !bytes.Equal(stale.CABundle(), stored) {
		t.Error("the replica serves with a stale CA bundle")
	}
}
