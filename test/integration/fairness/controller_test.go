package fairness

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/platform"
	"github.com/naas-dev/naas/internal/testenv"
)

// schemaNames returns the names of the FlowSchemas naas keeps for tenant.
func schemaNames(ctx context.Context, tenant string) ([]string, error) {
	list := &flowcontrolv1.FlowSchemaList{}
	if err := env.Client.List(ctx, list, client.MatchingLabels{platform.LabelFairnessFor: "tenant." + tenant}); err != nil {
		return nil, err
	}
	var names []string
	for _, fs := range list.Items {
		if fs.DeletionTimestamp.IsZero() {
			names = append(names, fs.Name)
		}
	}
	slices.Sort(names)
	return names, nil
}

func waitSchemas(t *testing.T, tenant string, want ...string) {
	t.Helper()
	slices.Sort(want)
	testenv.Eventually(t, 60*time.Second, fmt.Sprintf("tenant %s's FlowSchemas %v", tenant, want), func() error {
		got, err := schemaNames(context.Background(), tenant)
		if err != nil {
			return err
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("have %v", got)
		}
		return nil
	})
}

func TestFairness_FlowSchemasFollowTheTenantsNamespacesAndAreKeptInPlace(t *testing.T) {
	ctx := testenv.Context(t)
	_, stop, err := env.StartPlatform()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	// The tiers' levels exist, one per tier.
	for _, tier := range []string{"dev", "staging", "prod"} {
		testenv.Eventually(t, 30*time.Second, "level of tier "+tier, func() error {
			return env.Client.Get(ctx, client.ObjectKey{Name: platform.TierLevelName(tier)}, &flowcontrolv1.PriorityLevelConfiguration{})
		})
	}

	tenant := &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "follow"}, Spec: naasv1alpha1.TenantSpec{
		Owners: []naasv1alpha1.Owner{{Kind: naasv1alpha1.SubjectUser, Name: "carol", Role: naasv1alpha1.RoleAdmin}},
	}}
	if err := env.Client.Create(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	waitSchemas(t, "follow", platform.TenantSchemaName("follow", ""))

	claim := func(name, tier string) *naasv1alpha1.NamespaceClaim {
		return &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: naasv1alpha1.NamespaceClaimSpec{Tenant: "follow", Template: "standard", Tier: tier}}
	}
	if err := env.Client.Create(ctx, claim("follow-dev", "dev")); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Create(ctx, claim("follow-prod", "prod")); err != nil {
		t.Fatal(err)
	}
	waitSchemas(t, "follow", platform.TenantSchemaName("follow", ""), platform.TenantSchemaName("follow", "dev"),
		platform.TenantSchemaName("follow", "prod"))

	// An edit by someone else is put back.
	devName := platform.TenantSchemaName("follow", "dev")
	fs := &flowcontrolv1.FlowSchema{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: devName}, fs); err != nil {
		t.Fatal(err)
	}
	fs.Spec.MatchingPrecedence = 9999
	if err := env.Client.Update(ctx, fs); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "the edited FlowSchema put back", func() error {
		got := &flowcontrolv1.FlowSchema{}
		if err := env.Client.Get(ctx, client.ObjectKey{Name: devName}, got); err != nil {
			return err
		}
		if got.Spec.MatchingPrecedence != platform.PrecedenceTenantNamespaces {
			return fmt.Errorf("precedence %d", got.Spec.MatchingPrecedence)
		}
		return nil
	})

	// The last dev namespace gone, the dev schema goes too.
	if err := env.Client.Delete(ctx, claim("follow-dev", "dev")); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 90*time.Second, "claim follow-dev gone", func() error {
		err := env.Client.Get(ctx, client.ObjectKey{Name: "follow-dev"}, &naasv1alpha1.NamespaceClaim{})
		switch {
		case apierrors.IsNotFound(err):
			return nil
		case err != nil:
			return err
		}
		return errors.New("still there")
	})
	waitSchemas(t, "follow", platform.TenantSchemaName("follow", ""), platform.TenantSchemaName("follow", "prod"))
}

// A tenant admin who makes system:authenticated an owner of her tenant must not pull everyone's requests into
// her tenant's queues (where she could then starve them, or they her).
func TestFairness_ASystemGroupAsOwnerCapturesNobody(t *testing.T) {
	ctx := testenv.Context(t)
	_, stop, err := env.StartPlatform()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	tenant := &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "grabby"}, Spec: naasv1alpha1.TenantSpec{
		Owners: []naasv1alpha1.Owner{
			{Kind: naasv1alpha1.SubjectUser, Name: "dave", Role: naasv1alpha1.RoleAdmin},
			{Kind: naasv1alpha1.SubjectGroup, Name: "system:authenticated", Role: naasv1alpha1.RoleViewer},
		},
	}}
	if err := env.Client.Create(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Create(ctx, &naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: "grabby-web"},
		Spec: naasv1alpha1.NamespaceClaimSpec{Tenant: "grabby", Template: "standard", Tier: "dev"}}); err != nil {
		t.Fatal(err)
	}
	waitReady(t, "grabby-web")
	waitSchemas(t, "grabby", platform.TenantSchemaName("grabby", ""), platform.TenantSchemaName("grabby", "dev"))

	erin := newCaller(t, env.UserConfig("erin"))
	dave := newCaller(t, env.UserConfig("dave"))
	globalDefault := schemaUID(t, "global-default")
	grabbyDev := schemaUID(t, platform.TenantSchemaName("grabby", "dev"))
	classifiedAs(t, ctx, dave, configMaps("grabby-web"), grabbyDev, "dave, grabby's admin, in grabby's namespace: grabby's dev schema")
	classifiedAs(t, ctx, erin, configMaps("grabby-web"), globalDefault, "erin (in no tenant) in grabby's namespace: still global-default")
	classifiedAs(t, ctx, erin, "/apis/naas.dev/v1alpha1/tiers", globalDefault, "erin's cluster-wide reads: still global-default")
}
