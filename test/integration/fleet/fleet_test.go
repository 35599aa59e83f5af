package fleet

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/bundle"
	"github.com/naas-dev/naas/internal/cluster"
	"github.com/naas-dev/naas/internal/kubeaudit"
	"github.com/naas-dev/naas/internal/platform"
	"github.com/naas-dev/naas/internal/testenv"
)

// waitCluster waits until the Cluster's condition has the status, and returns the Cluster.
func waitCluster(t *testing.T, name, typ string, status metav1.ConditionStatus) *naasv1alpha1.Cluster {
	t.Helper()
	return env.WaitCluster(t, name, typ, status)
}

// onMember waits until obj (its kind and name set) exists on the member.
func onMember(t *testing.T, member *testenv.Environment, obj client.Object) {
	t.Helper()
	testenv.Eventually(t, testenv.WaitTimeout, fmt.Sprintf("%T %s on the member", obj, obj.GetName()), func() error {
		return member.Client.Get(context.Background(), client.ObjectKeyFromObject(obj), obj)
	})
}

// claimOn is a claim of the tenant placed on cluster.
func claimOn(name, tenant, clusterName string) *testenv.ClaimBuilder {
	return testenv.Claim(name, tenant).With(func(s *naasv1alpha1.NamespaceClaimSpec) { s.Cluster = clusterName })
}

func TestRegistration_MembersAndLocalReadyWithStatus(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{naasv1alpha1.LocalClusterName, memberOne, memberTwo} {
		c := waitCluster(t, name, naasv1alpha1.ClusterReady, metav1.ConditionTrue)
		for _, typ := range []string{naasv1alpha1.ClusterReachable, naasv1alpha1.ClusterInstalled} {
			if !meta.IsStatusConditionTrue(c.Status.Conditions, typ) {
				t.Errorf("cluster %s: %s is not True: %v", name, typ, c.Status.Conditions)
			}
		}
		if !strings.HasPrefix(c.Status.KubernetesVersion, "v") {
			t.Errorf("cluster %s: kubernetesVersion = %q, want the API server's version", name, c.Status.KubernetesVersion)
		}
		if c.Status.LastHeartbeatTime == nil {
			t.Errorf("cluster %s: no lastHeartbeatTime", name)
		}
	}
	// The member's nodes' capacity shows in allocatable.
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "worker-a"}}
	if err := member1.Client.Create(ctx, node); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = member1.Client.Delete(context.Background(), node) })
	node.Status.Allocatable = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourceMemory: resource.MustParse("32Gi")}
	node.Status.Capacity = node.Status.Allocatable.DeepCopy()
	if err := member1.Client.Status().Update(ctx, node); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, testenv.WaitTimeout+2*statusPeriod, "allocatable of member-1 from its node", func() error {
		c := &naasv1alpha1.Cluster{}
		if err := env.Client.Get(ctx, client.ObjectKey{Name: memberOne}, c); err != nil {
			return err
		}
		if cpu := c.Status.Allocatable[corev1.ResourceCPU]; cpu.Cmp(resource.MustParse("8")) != 0 {
			return fmt.Errorf("allocatable = %v", c.Status.Allocatable)
		}
		return nil
	})
}

func TestRegistration_PlatformObjectsInstalledOnMembersAndHealed(t *testing.T) {
	ctx := context.Background()
	waitCluster(t, memberOne, naasv1alpha1.ClusterInstalled, metav1.ConditionTrue)
	testenv.Tenant("fair").Admin("alice").Create(t, env)
	objs := []client.Object{
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: platform.ClusterRoleTenantAdmin}},
		&admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: platform.PolicyProtectManagedObjects}},
		&admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: platform.TenantBindingName("fair")}},
		&admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: platform.TierBindingName("prod")}},
		&flowcontrolv1.PriorityLevelConfiguration{ObjectMeta: metav1.ObjectMeta{Name: platform.TierLevelName("dev")}},
		&flowcontrolv1.PriorityLevelConfiguration{ObjectMeta: metav1.ObjectMeta{Name: platform.LevelSystem}},
		&flowcontrolv1.FlowSchema{ObjectMeta: metav1.ObjectMeta{Name: platform.TenantSchemaName("fair", "")}},
		&naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "fair"}},
		&naasv1alpha1.Tier{ObjectMeta: metav1.ObjectMeta{Name: "prod"}},
	}
	for _, member := range []*testenv.Environment{member1, member2} {
		for _, o := range objs {
			onMember(t, member, o.DeepCopyObject().(client.Object))
		}
	}
	// The removal policy is the management cluster's alone.
	if err := member1.Client.Get(ctx, client.ObjectKey{Name: platform.PolicyClusterRemoval}, &admissionregistrationv1.ValidatingAdmissionPolicy{}); !apierrors.IsNotFound(err) {
		t.Errorf("the cluster removal policy on a member: %v, want NotFound", err)
	}
	// Deleted on the member, they are put back; an owner reference to the management cluster's objects would
	// have let the member's garbage collector delete them.
	for _, o := range objs[:5] {
		live := o.DeepCopyObject().(client.Object)
		if err := member1.Client.Get(ctx, client.ObjectKeyFromObject(live), live); err != nil {
			t.Fatal(err)
		}
		if len(live.GetOwnerReferences()) > 0 {
			t.Errorf("%T %s on the member has owner references %v", live, live.GetName(), live.GetOwnerReferences())
		}
		if err := member1.Client.Delete(ctx, live); err != nil {
			t.Fatal(err)
		}
		uid := live.GetUID()
		testenv.Eventually(t, testenv.WaitTimeout, fmt.Sprintf("%T %s put back", o, o.GetName()), func() error {
			again := o.DeepCopyObject().(client.Object)
			if err := member1.Client.Get(ctx, client.ObjectKeyFromObject(again), again); err != nil {
				return err
			}
			if again.GetUID() == uid {
				return errors.New("still the deleted one")
			}
			return nil
		})
	}
	// A deleted tenant's objects go from the members.
	if err := env.Client.Delete(ctx, &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "fair"}}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, testenv.WaitTimeout, "the tenant's binding pruned from member-2", func() error {
		err := member2.Client.Get(ctx, client.ObjectKey{Name: platform.TenantBindingName("fair")}, &admissionregistrationv1.ValidatingAdmissionPolicyBinding{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("still there: %w", err)
	})
}

func TestProvision_OnMemberBundleDriftAndDeletion(t *testing.T) {
	ctx := context.Background()
	waitCluster(t, memberOne, naasv1alpha1.ClusterReady, metav1.ConditionTrue)
	testenv.Tenant("acme").Admin("alice").Create(t, env)
	claimOn("acme-web", "acme", memberOne).Create(t, env)
	env.WaitReady(t, "acme-web")

	ns := &corev1.Namespace{}
	if err := member1.Client.Get(ctx, client.ObjectKey{Name: "acme-web"}, ns); err != nil {
		t.Fatalf("the namespace on member-1: %v", err)
	}
	if ns.Labels[naasv1alpha1.LabelTenant] != "acme" || ns.Labels[naasv1alpha1.LabelManagedBy] != naasv1alpha1.ManagedByValue {
		t.Errorf("namespace labels on member-1: %v", ns.Labels)
	}
	for _, other := range []*testenv.Environment{env, member2} {
		if found, err := other.NamespaceExists("acme-web"); err != nil || found {
			t.Errorf("namespace acme-web on another cluster: found=%v err=%v", found, err)
		}
	}
	quota := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Namespace: "acme-web", Name: bundle.QuotaName}}
	onMember(t, member1, quota)
	onMember(t, member1, &flowcontrolv1.FlowSchema{ObjectMeta: metav1.ObjectMeta{Name: platform.TenantSchemaName("acme", "dev")}})

	// Drift on the member heals.
	uid := quota.UID
	if err := member1.Client.Delete(ctx, quota); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, testenv.WaitTimeout, "the quota put back on member-1", func() error {
		q := &corev1.ResourceQuota{}
		if err := member1.Client.Get(ctx, client.ObjectKeyFromObject(quota), q); err != nil {
			return err
		}
		if q.UID == uid {
			return errors.New("still the deleted one")
		}
		return nil
	})
	waitCount(t, memberOne, 1)

	// Deletion deletes on the member.
	env.DeleteClaim("acme-web")
	testenv.Eventually(t, 2*testenv.WaitTimeout, "namespace acme-web gone from member-1", func() error {
		found, err := member1.NamespaceExists("acme-web")
		if err != nil || found {
			return fmt.Errorf("found=%v err=%w", found, err)
		}
		return nil
	})
	testenv.Eventually(t, testenv.WaitTimeout, "claim acme-web gone", func() error {
		if env.ClaimExists(t, "acme-web") {
			return errors.New("still there")
		}
		return nil
	})
}

// waitCount waits until the Cluster counts n naas namespaces.
func waitCount(t *testing.T, name string, n int32) {
	t.Helper()
	testenv.Eventually(t, testenv.WaitTimeout, fmt.Sprintf("cluster %s counts %d namespaces", name, n), func() error {
		c := &naasv1alpha1.Cluster{}
		if err := env.Client.Get(context.Background(), client.ObjectKey{Name: name}, c); err != nil {
			return err
		}
		if c.Status.NamespaceCount != n {
			return fmt.Errorf("namespaceCount = %d", c.Status.NamespaceCount)
		}
		return nil
	})
}

func TestGuardrails_HoldOnMemberWithNaasStopped(t *testing.T) {
	ctx := context.Background()
	waitCluster(t, memberOne, naasv1alpha1.ClusterReady, metav1.ConditionTrue)
	testenv.Tenant("guard").Admin("alice").Create(t, env)
	claimOn("guard-app", "guard", memberOne).Create(t, env)
	env.WaitReady(t, "guard-app")
	onMember(t, member1, &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Namespace: "guard-app", Name: bundle.QuotaName}})

	stopIdle(t)
	t.Cleanup(func() {
		if err := startNaas(); err != nil {
			t.Fatalf("restart naas: %v", err)
		}
	})
	alice := member1.UserClient("alice")
	// The tenant's roles are bound on the member: alice may work in her namespace...
	testenv.Eventually(t, testenv.WaitTimeout, "alice creates a config map on member-1", func() error {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "guard-app", Name: "settings"}}
		err := alice.Create(ctx, cm)
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	})
	// ...but not change what naas manages there (her role lets her delete RoleBindings; naas's policy keeps
	// naas's),
	bindings := &rbacv1.RoleBindingList{}
	if err := member1.Client.List(ctx, bindings, client.InNamespace("guard-app"), client.MatchingLabels{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue}); err != nil || len(bindings.Items) == 0 {
		t.Fatalf("naas's RoleBindings in guard-app on member-1: %v, %d", err, len(bindings.Items))
	}
	err := alice.Delete(ctx, &bindings.Items[0])
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "managed by naas") {
		t.Errorf("alice deleting naas's RoleBinding on member-1 with naas down: %v, want refused by naas's policy", err)
	}
	// ...nor break the tenant's workload policy (a Tenant parameter, mirrored on the member).
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "guard-app", Name: "open"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{{Port: 80}}}}
	err = alice.Create(ctx, svc)
	if !apierrors.IsForbidden(err) && !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "NodePort") {
		t.Errorf("alice creating a NodePort service on member-1 with naas down: %v, want refused by the workload policy", err)
	}
	// Nor label a namespace of her own as naas's.
	err = alice.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "fake-naas", Labels: map[string]string{naasv1alpha1.LabelManagedBy: "naas"}}})
	if err == nil {
		t.Error("alice created a namespace labelled as naas's on member-1")
	}
}

func TestUnreachable_MemberMarkedThenReconciledWithoutWrites(t *testing.T) {
	waitCluster(t, memberTwo, naasv1alpha1.ClusterReady, metav1.ConditionTrue)
	testenv.Tenant("far").Admin("alice").Create(t, env)
	claimOn("far-app", "far", memberTwo).Create(t, env)
	env.WaitReady(t, "far-app")
	waitCount(t, memberTwo, 1)
	// Let naas settle before the window: its first passes over the new namespace may write.
	testenv.WaitControllersIdle(t, testenv.Reconciles(t), nil)

	start, err := member2.AuditLog.Mark()
	if err != nil {
		t.Fatal(err)
	}
	if err := member2.PauseAPIServer(); err != nil {
		t.Fatal(err)
	}
	paused := time.Now()
	resumed := false
	t.Cleanup(func() {
		if !resumed {
			_ = member2.ResumeAPIServer()
		}
	})
	waitCluster(t, memberTwo, naasv1alpha1.ClusterReachable, metav1.ConditionFalse)
	if took := time.Since(paused); took > 30*time.Second {
		t.Errorf("member-2 marked not Reachable %s after it stopped answering, want within 30s", took.Round(time.Second))
	} else {
		t.Logf("member-2 marked not Reachable %s after it stopped answering", took.Round(time.Second))
	}
	env.WaitCondition(t, "far-app", naasv1alpha1.ConditionReady, metav1.ConditionUnknown, naasv1alpha1.ReasonClusterUnreachable)
	// The claim keeps its finalizer and its namespace: nothing is deleted or moved.
	c := env.GetClaim(t, "far-app")
	if c.DeletionTimestamp != nil || len(c.Finalizers) == 0 {
		t.Errorf("claim far-app: deletion %v finalizers %v", c.DeletionTimestamp, c.Finalizers)
	}
	if found, _ := env.NamespaceExists("far-app"); found {
		t.Error("namespace far-app was made on the management cluster")
	}

	if err := member2.ResumeAPIServer(); err != nil {
		t.Fatal(err)
	}
	resumed = true
	waitCluster(t, memberTwo, naasv1alpha1.ClusterReady, metav1.ConditionTrue)
	env.WaitReady(t, "far-app")
	if found, err := member2.NamespaceExists("far-app"); err != nil || !found {
		t.Fatalf("namespace far-app on member-2 after it came back: found=%v err=%v", found, err)
	}
	testenv.WaitControllersIdle(t, testenv.Reconciles(t), nil)
	// Everything reconciled, with no write to the member: what was there is as naas left it.
	events, err := member2.AuditLog.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	writes := kubeaudit.Writes(events, testenv.MemberIdentity)
	if len(writes) > 0 {
		t.Errorf("naas wrote %d times to member-2 across its outage, want none: %v", len(writes), writes)
	}
	t.Logf("member-2 outage: %d requests by naas, %d writes", len(events), len(writes))
}

func TestRemoval_RefusedWithNamespacesOrphanLeavesThem(t *testing.T) {
	ctx := context.Background()
	waitCluster(t, memberTwo, naasv1alpha1.ClusterReady, metav1.ConditionTrue)
	testenv.Tenant("leave").Admin("alice").Create(t, env)
	claimOn("leave-app", "leave", memberTwo).Create(t, env)
	claimOn("leave-db", "leave", memberTwo).Protected().Create(t, env)
	env.WaitReady(t, "leave-app")
	env.WaitReady(t, "leave-db")
	waitCount(t, memberTwo, 2+countOtherClaims(t, memberTwo, "leave-app", "leave-db"))

	// Attackers: the orphan annotation is naas's exemption from deletion protection, not the tenant's nor a
	// platform admin's. (A tenant admin deletes claims through naas's API, as herself: RBAC may refuse her the
	// direct deletion before the policy does; either way the claim stays.)
	for _, user := range []string{"alice", "platform-admin"} {
		c := env.UserClient(user)
		protected := env.GetClaim(t, "leave-db")
		patch := client.MergeFrom(protected.DeepCopy())
		metav1.SetMetaDataAnnotation(&protected.ObjectMeta, naasv1alpha1.AnnotationOrphan, "true")
		if err := c.Patch(ctx, protected, patch); err != nil && !apierrors.IsForbidden(err) {
			t.Fatalf("%s annotating her protected claim: %v", user, err)
		}
		err := c.Delete(ctx, protected)
		if !apierrors.IsForbidden(err) || (user == "platform-admin" && !strings.Contains(err.Error(), "deletion protection")) {
			t.Errorf("%s deleting a protected claim marked orphaned: %v, want refused by deletion protection", user, err)
		}
		if !env.ClaimExists(t, "leave-db") {
			t.Fatalf("%s deleted the protected claim leave-db", user)
		}
	}

	admin := env.UserClient("platform-admin")
	err := admin.Delete(ctx, &naasv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: memberTwo}})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "--orphan") {
		t.Fatalf("removing member-2 with namespaces: %v, want refused", err)
	}
	// With the orphan annotation it goes, and its namespaces stay on the member without naas.
	c := &naasv1alpha1.Cluster{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: memberTwo}, c); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(c.DeepCopy())
	metav1.SetMetaDataAnnotation(&c.ObjectMeta, naasv1alpha1.AnnotationOrphan, "true")
	if err := admin.Patch(ctx, c, patch); err != nil {
		t.Fatal(err)
	}
	if err := admin.Delete(ctx, c); err != nil {
		t.Fatalf("removing member-2 with --orphan: %v", err)
	}
	testenv.Eventually(t, 2*testenv.WaitTimeout, "cluster member-2 gone", func() error {
		err := env.Client.Get(ctx, client.ObjectKey{Name: memberTwo}, &naasv1alpha1.Cluster{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("still there: %w", err)
	})
	// The protected claim goes too (naas's orphan path is exempt from its protection), its namespace stays.
	for _, name := range []string{"leave-app", "leave-db"} {
		testenv.Eventually(t, testenv.WaitTimeout, "claim "+name+" gone", func() error {
			if env.ClaimExists(t, name) {
				return errors.New("still there")
			}
			return nil
		})
		ns := &corev1.Namespace{}
		if err := member2.Client.Get(ctx, client.ObjectKey{Name: name}, ns); err != nil {
			t.Fatalf("namespace %s on member-2 after the orphaning removal: %v", name, err)
		}
		if !ns.DeletionTimestamp.IsZero() {
			t.Errorf("namespace %s on member-2 is being deleted", name)
		}
		for k := range ns.Labels {
			if k == naasv1alpha1.LabelManagedBy || strings.HasPrefix(k, "naas.dev/") {
				t.Errorf("namespace %s on member-2 keeps naas's label %s", name, k)
			}
		}
	}
	if err := member2.Client.Get(ctx, client.ObjectKey{Name: platform.PolicyProtectManagedObjects}, &admissionregistrationv1.ValidatingAdmissionPolicy{}); !apierrors.IsNotFound(err) {
		t.Errorf("naas's policy on member-2 after its removal: %v, want NotFound", err)
	}
	// The tenant roles stay, for the orphaned namespaces' RoleBindings.
	if err := member2.Client.Get(ctx, client.ObjectKey{Name: platform.ClusterRoleTenantAdmin}, &rbacv1.ClusterRole{}); err != nil {
		t.Errorf("tenant role on member-2 after the orphaning removal: %v", err)
	}
}

// countOtherClaims counts the claims placed on the cluster other than except.
func countOtherClaims(t *testing.T, name string, except ...string) int32 {
	t.Helper()
	claims := &naasv1alpha1.NamespaceClaimList{}
	if err := env.Client.List(context.Background(), claims); err != nil {
		t.Fatal(err)
	}
	var n int32
	for _, c := range claims.Items {
		if !slices.Contains(except, c.Name) && (c.Status.Cluster == name || c.Spec.Cluster == name) {
			n++
		}
	}
	return n
}

func TestAttackers_CannotReadKubeconfigsOrWriteClusters(t *testing.T) {
	ctx := context.Background()
	testenv.Tenant("own").Admin("alice").Developer("bob").Create(t, env)
	secret := client.ObjectKey{Namespace: testenv.SystemNamespace, Name: cluster.KubeconfigSecretName(memberOne)}
	for _, user := range []string{"alice", "bob", "mallory"} {
		c := env.UserClient(user)
		if err := c.Get(ctx, secret, &corev1.Secret{}); !apierrors.IsForbidden(err) {
			t.Errorf("%s reading member-1's kubeconfig Secret: %v, want Forbidden", user, err)
		}
		if err := c.List(ctx, &corev1.SecretList{}, client.InNamespace(testenv.SystemNamespace)); !apierrors.IsForbidden(err) {
			t.Errorf("%s listing naas's Secrets: %v, want Forbidden", user, err)
		}
		evil := &naasv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "evil-" + user},
			Spec: naasv1alpha1.ClusterSpec{KubeconfigSecretRef: &naasv1alpha1.SecretReference{Name: secret.Name}}}
		if err := c.Create(ctx, evil); !apierrors.IsForbidden(err) {
			t.Errorf("%s registering a cluster: %v, want Forbidden", user, err)
		}
		live := &naasv1alpha1.Cluster{}
		if err := env.Client.Get(ctx, client.ObjectKey{Name: memberOne}, live); err != nil {
			t.Fatal(err)
		}
		patch := client.MergeFrom(live.DeepCopy())
		live.Spec.Cordoned = true
		if err := c.Patch(ctx, live, patch); !apierrors.IsForbidden(err) {
			t.Errorf("%s cordoning member-1: %v, want Forbidden", user, err)
		}
		if err := c.Delete(ctx, live); !apierrors.IsForbidden(err) {
			t.Errorf("%s removing member-1: %v, want Forbidden", user, err)
		}
	}
}
