package bundle

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func TestBuild_StepsFormTheDependencyGraph(t *testing.T) {
	steps := mustBuild(t, testInput(withManifests("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n")))

	type summary struct {
		Name      string
		DependsOn []string
		Objects   []string
	}
	var got []summary
	for _, s := range steps {
		sum := summary{Name: s.Name, DependsOn: s.DependsOn}
		for _, o := range s.Objects {
			sum.Objects = append(sum.Objects, o.GetAPIVersion()+" "+o.GetKind()+"/"+o.GetName())
		}
		got = append(got, sum)
	}
	ns := []string{naasv1alpha1.ConditionNamespace}
	want := []summary{
		{Name: naasv1alpha1.ConditionNamespace, Objects: []string{"v1 Namespace/payments-api"}},
		{Name: naasv1alpha1.ConditionQuota, DependsOn: ns, Objects: []string{"v1 ResourceQuota/naas-quota"}},
		{Name: naasv1alpha1.ConditionLimitRange, DependsOn: ns, Objects: []string{"v1 LimitRange/naas-limits"}},
		{Name: naasv1alpha1.ConditionRBAC, DependsOn: ns, Objects: []string{
			"rbac.authorization.k8s.io/v1 RoleBinding/naas-admin",
			"rbac.authorization.k8s.io/v1 RoleBinding/naas-developer",
		}},
		{Name: naasv1alpha1.ConditionNetworkPolicies, DependsOn: ns, Objects: []string{
			"networking.k8s.io/v1 NetworkPolicy/naas-default-deny",
			"networking.k8s.io/v1 NetworkPolicy/naas-allow-same-tenant",
			"networking.k8s.io/v1 NetworkPolicy/naas-allow-shared-services",
			"networking.k8s.io/v1 NetworkPolicy/naas-allow-dns",
		}},
		{
			Name: naasv1alpha1.ConditionManifests,
			DependsOn: []string{
				naasv1alpha1.ConditionNamespace, naasv1alpha1.ConditionQuota, naasv1alpha1.ConditionLimitRange,
				naasv1alpha1.ConditionRBAC, naasv1alpha1.ConditionNetworkPolicies,
			},
			Objects: []string{"v1 ConfigMap/settings"},
		},
		// The template does not turn monitoring on: the step is there, off, to remove what it made before.
		{Name: naasv1alpha1.ConditionMonitoring, DependsOn: ns},
		// So are the gateway, its certificates and the mesh.
		{Name: naasv1alpha1.ConditionGateway, DependsOn: ns},
		{Name: naasv1alpha1.ConditionTLS, DependsOn: ns},
		{Name: naasv1alpha1.ConditionMesh, DependsOn: ns},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("steps mismatch (-want +got):\n%s", diff)
	}

	// Every dependency names an earlier step, so applying in order never waits on a later one.
	seen := map[string]bool{}
	for _, s := range steps {
		for _, d := range s.DependsOn {
			if !seen[d] {
				t.Errorf("step %s depends on %s, which does not come before it", s.Name, d)
			}
		}
		seen[s.Name] = true
	}
}

func TestBuild_EveryObjectIsLabelledAndNamespaced(t *testing.T) {
	in := testInput(
		withManifests("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n    app: web\n"),
		func(in *Input) { in.Template.Spec.Features.AllowHTTPSEgress = true },
	)
	in.Tenant.Spec.Owners = append(in.Tenant.Spec.Owners,
		naasv1alpha1.Owner{Kind: naasv1alpha1.SubjectUser, Name: "vic", Role: naasv1alpha1.RoleViewer})
	for _, s := range mustBuild(t, in) {
		for _, o := range s.Objects {
			id := s.Name + " " + o.GetKind() + "/" + o.GetName()
			labels := o.GetLabels()
			for k, v := range commonLabels() {
				if labels[k] != v {
					t.Errorf("%s: label %s = %q, want %q", id, k, labels[k], v)
				}
			}
			wantNS := testNamespace
			if o.GetKind() == "Namespace" {
				wantNS = ""
			}
			if o.GetNamespace() != wantNS {
				t.Errorf("%s: namespace %q, want %q", id, o.GetNamespace(), wantNS)
			}
			if o.GetAPIVersion() == "" || o.GetKind() == "" {
				t.Errorf("%s: apiVersion or kind not set", id)
			}
			if _, ok := o.Object["status"]; ok && s.Name != naasv1alpha1.ConditionManifests {
				t.Errorf("%s: has a status; applying it would claim fields naas does not own", id)
			}
			if spec, ok := o.Object["spec"].(map[string]any); ok && len(spec) == 0 && s.Name != naasv1alpha1.ConditionManifests {
				t.Errorf("%s: has an empty spec", id)
			}
			if _, ok := o.Object["metadata"].(map[string]any)["creationTimestamp"]; ok {
				t.Errorf("%s: has metadata.creationTimestamp", id)
			}
		}
	}
}

func TestBuild_Namespace(t *testing.T) {
	tests := []struct {
		name            string
		podSecurity     naasv1alpha1.PodSecurityLevel
		tenantLabels    map[string]string
		tenantAnnots    map[string]string
		wantPodSecurity string
		wantExtraLabels map[string]string
	}{
		{name: "tier without a level enforces restricted", wantPodSecurity: "restricted"},
		{name: "restricted tier", podSecurity: naasv1alpha1.PodSecurityRestricted, wantPodSecurity: "restricted"},
		{name: "baseline tier", podSecurity: naasv1alpha1.PodSecurityBaseline, wantPodSecurity: "baseline"},
		{name: "privileged tier", podSecurity: naasv1alpha1.PodSecurityPrivileged, wantPodSecurity: "privileged"},
		{
			name:            "tenant labels and annotations are added",
			podSecurity:     naasv1alpha1.PodSecurityBaseline,
			tenantLabels:    map[string]string{"cost-center": "cc-42", "team": "payments"},
			tenantAnnots:    map[string]string{"owner.example.com/slack": "#payments"},
			wantPodSecurity: "baseline",
			wantExtraLabels: map[string]string{"cost-center": "cc-42", "team": "payments"},
		},
		{
			name:        "tenant labels never override naas labels",
			podSecurity: naasv1alpha1.PodSecurityRestricted,
			tenantLabels: map[string]string{
				"app.kubernetes.io/managed-by":               "someone-else",
				"naas.dev/tenant":                            "billing",
				"naas.dev/tier":                              "prod",
				"naas.dev/template":                          "other",
				"naas.dev/claim":                             "other",
				"pod-security.kubernetes.io/enforce":         "privileged",
				"pod-security.kubernetes.io/enforce-version": "v1.20",
				"pod-security.kubernetes.io/warn":            "privileged",
				"pod-security.kubernetes.io/audit":           "privileged",
				"team":                                       "payments",
			},
			wantPodSecurity: "restricted",
			wantExtraLabels: map[string]string{"team": "payments"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := testInput(func(in *Input) {
				in.Tier.Spec.PodSecurity = tt.podSecurity
				in.Tenant.Spec.NamespaceLabels = tt.tenantLabels
				in.Tenant.Spec.NamespaceAnnotations = tt.tenantAnnots
			})
			objs := step(t, mustBuild(t, in), naasv1alpha1.ConditionNamespace).Objects
			if len(objs) != 1 {
				t.Fatalf("namespace step has %d objects, want 1", len(objs))
			}
			labels := map[string]string{
				"app.kubernetes.io/managed-by":               "naas",
				"naas.dev/tenant":                            testTenant,
				"naas.dev/tier":                              testTier,
				"naas.dev/template":                          testTemplate,
				"naas.dev/claim":                             testNamespace,
				"pod-security.kubernetes.io/enforce":         tt.wantPodSecurity,
				"pod-security.kubernetes.io/enforce-version": "latest",
				"pod-security.kubernetes.io/warn":            tt.wantPodSecurity,
				"pod-security.kubernetes.io/audit":           tt.wantPodSecurity,
			}
			for k, v := range tt.wantExtraLabels {
				labels[k] = v
			}
			want := &corev1.Namespace{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
				ObjectMeta: metav1.ObjectMeta{Name: testNamespace, Labels: labels, Annotations: tt.tenantAnnots},
			}
			if diff := cmp.Diff(want, typed[corev1.Namespace](t, objs[0])); diff != "" {
				t.Errorf("namespace mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuild_NamespaceUsesTheEffectiveTier(t *testing.T) {
	in := testInput(func(in *Input) {
		in.Claim.Spec.Tier = "prod"
		in.Tier.Name = "prod"
	})
	ns := step(t, mustBuild(t, in), naasv1alpha1.ConditionNamespace).Objects[0]
	if got := ns.GetLabels()[naasv1alpha1.LabelTier]; got != "prod" {
		t.Errorf("tier label = %q, want prod (the claim's tier over the template default)", got)
	}
}

func TestBuild_Quota(t *testing.T) {
	tests := []struct {
		name  string
		quota corev1.ResourceList
		want  []corev1.ResourceQuota
	}{
		{
			name: "hard limits are the tier's quota",
			quota: corev1.ResourceList{
				"limits.cpu":                 resource.MustParse("4"),
				"limits.memory":              resource.MustParse("8Gi"),
				"requests.storage":           resource.MustParse("100Gi"),
				"requests.nvidia.com/gpu":    resource.MustParse("1"),
				"pods":                       resource.MustParse("20"),
				"services.loadbalancers":     resource.MustParse("0"),
				"count/deployments.apps":     resource.MustParse("10"),
				"requests.ephemeral-storage": resource.MustParse("10Gi"),
				"persistentvolumeclaims":     resource.MustParse("5"),
				"services.nodeports":         resource.MustParse("0"),
				"secrets":                    resource.MustParse("50"),
				"configmaps":                 resource.MustParse("50"),
				"replicationcontrollers":     resource.MustParse("0"),
				"resourcequotas":             resource.MustParse("1"),
				"limits.ephemeral-storage":   resource.MustParse("20Gi"),
				"requests.cpu":               resource.MustParse("2"),
				"requests.memory":            resource.MustParse("4Gi"),
				"services":                   resource.MustParse("10"),
				"count/cronjobs.batch":       resource.MustParse("3"),
				"gold.storageclass.storage.k8s.io/requests.storage": resource.MustParse("0"),
			},
		},
		{
			name:  "small quota",
			quota: corev1.ResourceList{"pods": resource.MustParse("1")},
		},
		{name: "tier without quota makes no ResourceQuota"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := testInput(func(in *Input) { in.Tier.Spec.Quota = tt.quota })
			objs := step(t, mustBuild(t, in), naasv1alpha1.ConditionQuota).Objects
			var want []corev1.ResourceQuota
			if len(tt.quota) > 0 {
				want = []corev1.ResourceQuota{{
					TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ResourceQuota"},
					ObjectMeta: meta(QuotaName),
					Spec:       corev1.ResourceQuotaSpec{Hard: tt.quota},
				}}
			}
			if diff := cmp.Diff(want, typedAll[corev1.ResourceQuota](t, objs), quantities()); diff != "" {
				t.Errorf("quota mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuild_LimitRange(t *testing.T) {
	cpu := func(q string) corev1.ResourceList {
		return corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(q)}
	}
	tests := []struct {
		name     string
		limits   naasv1alpha1.LimitRangeDefaults
		want     *corev1.LimitRangeItem
		wantKeys []string // the keys of spec.limits[0], so empty fields are not sent
	}{
		{
			name: "default, default request and max",
			limits: naasv1alpha1.LimitRangeDefaults{
				Default: cpu("500m"), DefaultRequest: cpu("100m"), Max: cpu("2"),
			},
			want: &corev1.LimitRangeItem{
				Type: corev1.LimitTypeContainer, Default: cpu("500m"), DefaultRequest: cpu("100m"), Max: cpu("2"),
			},
			wantKeys: []string{"default", "defaultRequest", "max", "type"},
		},
		{
			name:     "only max",
			limits:   naasv1alpha1.LimitRangeDefaults{Max: cpu("2")},
			want:     &corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Max: cpu("2")},
			wantKeys: []string{"max", "type"},
		},
		{
			name:     "only defaults",
			limits:   naasv1alpha1.LimitRangeDefaults{Default: cpu("1"), DefaultRequest: corev1.ResourceList{}},
			want:     &corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Default: cpu("1")},
			wantKeys: []string{"default", "type"},
		},
		{name: "tier without limit range makes no LimitRange"},
		{
			name:   "empty lists count as unset",
			limits: naasv1alpha1.LimitRangeDefaults{Default: corev1.ResourceList{}, Max: corev1.ResourceList{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := testInput(func(in *Input) { in.Tier.Spec.LimitRange = tt.limits })
			s := step(t, mustBuild(t, in), naasv1alpha1.ConditionLimitRange)
			if tt.want == nil {
				if len(s.Objects) != 0 {
					t.Fatalf("got %d objects, want none", len(s.Objects))
				}
				return
			}
			if len(s.Objects) != 1 {
				t.Fatalf("got %d objects, want 1", len(s.Objects))
			}
			want := &corev1.LimitRange{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "LimitRange"},
				ObjectMeta: meta(LimitRangeName),
				Spec:       corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{*tt.want}},
			}
			if diff := cmp.Diff(want, typed[corev1.LimitRange](t, s.Objects[0]), quantities()); diff != "" {
				t.Errorf("limit range mismatch (-want +got):\n%s", diff)
			}
			items, _, _ := unstructured.NestedSlice(s.Objects[0].Object, "spec", "limits")
			var keys []string
			for k := range items[0].(map[string]any) {
				keys = append(keys, k)
			}
			if diff := cmp.Diff(tt.wantKeys, keys, sortStrings()); diff != "" {
				t.Errorf("spec.limits[0] keys mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuild_RoleBindings(t *testing.T) {
	user := func(name string, role naasv1alpha1.Role) naasv1alpha1.Owner {
		return naasv1alpha1.Owner{Kind: naasv1alpha1.SubjectUser, Name: name, Role: role}
	}
	group := func(name string, role naasv1alpha1.Role) naasv1alpha1.Owner {
		return naasv1alpha1.Owner{Kind: naasv1alpha1.SubjectGroup, Name: name, Role: role}
	}
	sa := func(ns, name string, role naasv1alpha1.Role) naasv1alpha1.Owner {
		return naasv1alpha1.Owner{Kind: naasv1alpha1.SubjectServiceAccount, Namespace: ns, Name: name, Role: role}
	}
	userSubject := func(name string) rbacv1.Subject {
		return rbacv1.Subject{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: name}
	}
	groupSubject := func(name string) rbacv1.Subject {
		return rbacv1.Subject{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: name}
	}
	binding := func(name, clusterRole string, subjects ...rbacv1.Subject) rbacv1.RoleBinding {
		return rbacv1.RoleBinding{
			TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
			ObjectMeta: meta(name),
			Subjects:   subjects,
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: clusterRole},
		}
	}
	const (
		admin     = naasv1alpha1.RoleAdmin
		developer = naasv1alpha1.RoleDeveloper
		viewer    = naasv1alpha1.RoleViewer
	)
	tests := []struct {
		name   string
		owners []naasv1alpha1.Owner
		want   []rbacv1.RoleBinding
	}{
		{
			name: "one binding per role, subjects in owner order",
			owners: []naasv1alpha1.Owner{
				user("alice", admin), group("payments-devs", developer), sa("ci", "deployer", developer),
				group("auditors", viewer), user("bob", admin),
			},
			want: []rbacv1.RoleBinding{
				binding("naas-admin", "naas:tenant-admin", userSubject("alice"), userSubject("bob")),
				binding("naas-developer", "naas:tenant-developer",
					groupSubject("payments-devs"),
					rbacv1.Subject{Kind: "ServiceAccount", Name: "deployer", Namespace: "ci"}),
				binding("naas-viewer", "naas:tenant-viewer", groupSubject("auditors")),
			},
		},
		{
			name:   "no binding for roles without owners",
			owners: []naasv1alpha1.Owner{group("auditors", viewer)},
			want:   []rbacv1.RoleBinding{binding("naas-viewer", "naas:tenant-viewer", groupSubject("auditors"))},
		},
		{
			name:   "repeated owners appear once",
			owners: []naasv1alpha1.Owner{user("alice", admin), group("alice", admin), user("alice", admin)},
			want:   []rbacv1.RoleBinding{binding("naas-admin", "naas:tenant-admin", userSubject("alice"), groupSubject("alice"))},
		},
		{
			name:   "an owner listed under two roles is bound in both",
			owners: []naasv1alpha1.Owner{user("alice", viewer), user("alice", admin)},
			want: []rbacv1.RoleBinding{
				binding("naas-admin", "naas:tenant-admin", userSubject("alice")),
				binding("naas-viewer", "naas:tenant-viewer", userSubject("alice")),
			},
		},
		{
			name:   "owners of unknown kind or role are skipped",
			owners: []naasv1alpha1.Owner{{Kind: "Robot", Name: "r2", Role: admin}, user("mallory", "owner")},
		},
		{name: "tenant without owners gets no bindings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := step(t, mustBuild(t, testInput(withOwners(tt.owners...))), naasv1alpha1.ConditionRBAC).Objects
			if diff := cmp.Diff(tt.want, typedAll[rbacv1.RoleBinding](t, objs)); diff != "" {
				t.Errorf("role bindings mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuild_NetworkPolicies(t *testing.T) {
	tcp, udp := corev1.ProtocolTCP, corev1.ProtocolUDP
	portOf := func(p corev1.Protocol, n int) networkingv1.NetworkPolicyPort {
		port := intstr.FromInt(n)
		return networkingv1.NetworkPolicyPort{Protocol: &p, Port: &port}
	}
	nsSelector := func(k, v string) networkingv1.NetworkPolicyPeer {
		return networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{k: v}}}
	}
	policy := func(name string, spec networkingv1.NetworkPolicySpec) networkingv1.NetworkPolicy {
		return networkingv1.NetworkPolicy{
			TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
			ObjectMeta: meta(name),
			Spec:       spec,
		}
	}
	both := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	ingress := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	egress := []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}

	// base are the policies of every namespace; restricted is whether its profile is restricted, which keeps it
	// from reaching the shared services.
	base := func(sharedLabel, dnsNamespace string, restricted bool) []networkingv1.NetworkPolicy {
		shared := networkingv1.NetworkPolicySpec{
			PolicyTypes: ingress,
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{nsSelector(sharedLabel, "true")},
				Ports: []networkingv1.NetworkPolicyPort{portOf(tcp, 443)},
			}},
		}
		if !restricted {
			shared.PolicyTypes = both
			shared.Egress = []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{nsSelector(sharedLabel, "true")}}}
		}
		return []networkingv1.NetworkPolicy{
			policy("naas-default-deny", networkingv1.NetworkPolicySpec{PolicyTypes: both}),
			policy("naas-allow-same-tenant", networkingv1.NetworkPolicySpec{
				PolicyTypes: both,
				Ingress:     []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{nsSelector("naas.dev/tenant", testTenant)}}},
				Egress:      []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{nsSelector("naas.dev/tenant", testTenant)}}},
			}),
			policy("naas-allow-shared-services", shared),
			policy("naas-allow-dns", networkingv1.NetworkPolicySpec{
				PolicyTypes: egress,
				Egress: []networkingv1.NetworkPolicyEgressRule{{
					To:    []networkingv1.NetworkPolicyPeer{nsSelector("kubernetes.io/metadata.name", dnsNamespace)},
					Ports: []networkingv1.NetworkPolicyPort{portOf(udp, 53), portOf(tcp, 53)},
				}},
			}),
		}
	}
	httpsEgress := policy("naas-allow-https-egress", networkingv1.NetworkPolicySpec{
		PolicyTypes: egress,
		Egress: []networkingv1.NetworkPolicyEgressRule{{
			To: []networkingv1.NetworkPolicyPeer{
				{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0"}},
				{IPBlock: &networkingv1.IPBlock{CIDR: "::/0"}},
			},
			Ports: []networkingv1.NetworkPolicyPort{portOf(tcp, 443)},
		}},
	})
	// collaborationEgress reaches, of each tenant named, the namespaces that let this tenant in.
	collaborationEgress := func(tenants ...string) networkingv1.NetworkPolicy {
		var to []networkingv1.NetworkPolicyPeer
		for _, other := range tenants {
			to = append(to, networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{
				"naas.dev/tenant": other, "ingress.naas.dev/" + testTenant: "allowed",
			}}})
		}
		return policy("naas-allow-egress-to-collaborations", networkingv1.NetworkPolicySpec{
			PolicyTypes: egress,
			Egress:      []networkingv1.NetworkPolicyEgressRule{{To: to}},
		})
	}
	restricted := naasv1alpha1.Features{AllowHTTPSEgress: true, NetworkProfile: naasv1alpha1.NetworkRestricted}

	tests := []struct {
		name     string
		features naasv1alpha1.Features
		config   Config
		// tenantAccepts and claimAccepts are the tenant's and the claim's spec.acceptedCollaborations.
		tenantAccepts, claimAccepts []string
		want                        []networkingv1.NetworkPolicy
	}{
		{
			// Other tenants' grants (labels on their namespaces) open nothing here until the tenant accepts.
			name: "default profile without HTTPS egress, accepting no collaboration",
			want: base("naas.dev/shared-services", "kube-system", false),
		},
		{
			name:     "HTTPS egress with the default profile",
			features: naasv1alpha1.Features{AllowHTTPSEgress: true},
			want:     append(base("naas.dev/shared-services", "kube-system", false), httpsEgress),
		},
		{
			name:     "HTTPS egress with the standard profile",
			features: naasv1alpha1.Features{AllowHTTPSEgress: true, NetworkProfile: naasv1alpha1.NetworkStandard},
			want:     append(base("naas.dev/shared-services", "kube-system", false), httpsEgress),
		},
		{
			name:     "restricted profile ignores allowHTTPSEgress and reaches no shared service",
			features: restricted,
			want:     base("naas.dev/shared-services", "kube-system", true),
		},
		{
			name:     "standard profile without allowHTTPSEgress",
			features: naasv1alpha1.Features{NetworkProfile: naasv1alpha1.NetworkStandard},
			want:     base("naas.dev/shared-services", "kube-system", false),
		},
		{
			name:   "configured shared-services label and DNS namespace",
			config: Config{SharedServicesLabel: "platform.example.com/shared", DNSNamespace: "dns"},
			want:   base("platform.example.com/shared", "dns", false),
		},
		{
			name:          "accepted for every namespace of the tenant",
			tenantAccepts: []string{"billing"},
			want:          append(base("naas.dev/shared-services", "kube-system", false), collaborationEgress("billing")),
		},
		{
			name:         "accepted for this namespace",
			claimAccepts: []string{"billing"},
			want:         append(base("naas.dev/shared-services", "kube-system", false), collaborationEgress("billing")),
		},
		{
			name:          "accepted by both, sorted once, the tenant itself ignored",
			tenantAccepts: []string{"billing", testTenant},
			claimAccepts:  []string{"audit", "billing"},
			want:          append(base("naas.dev/shared-services", "kube-system", false), collaborationEgress("audit", "billing")),
		},
		{
			name:          "restricted profile accepts nothing, whatever the tenant and claim say",
			features:      restricted,
			tenantAccepts: []string{"billing"},
			claimAccepts:  []string{"audit"},
			want:          base("naas.dev/shared-services", "kube-system", true),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := testInput(func(in *Input) {
				in.Template.Spec.Features = tt.features
				in.Config = tt.config
				in.Tenant.Spec.AcceptedCollaborations = tt.tenantAccepts
				in.Claim.Spec.AcceptedCollaborations = tt.claimAccepts
			})
			objs := step(t, mustBuild(t, in), naasv1alpha1.ConditionNetworkPolicies).Objects
			if diff := cmp.Diff(tt.want, typedAll[networkingv1.NetworkPolicy](t, objs)); diff != "" {
				t.Errorf("network policies mismatch (-want +got):\n%s", diff)
			}
			// podSelector {} selects every pod; an absent one would be rejected by the API server.
			for _, o := range objs {
				sel, found, err := unstructured.NestedMap(o.Object, "spec", "podSelector")
				if err != nil || !found || len(sel) != 0 {
					t.Errorf("%s: spec.podSelector = %v (found %v), want {}", o.GetName(), sel, found)
				}
			}
		})
	}
}

func TestBuild_InvalidInput(t *testing.T) {
	tests := []struct {
		name    string
		in      Input
		wantErr string
	}{
		{name: "nothing", in: Input{}, wantErr: "build namespace bundle: no namespace claim\nno tenant\nno namespace template\nno tier"},
		{name: "claim without a name", in: testInput(func(in *Input) { in.Claim.Name = "" }), wantErr: "the namespace claim has no name"},
		{name: "tenant of another claim", in: testInput(func(in *Input) { in.Tenant.Name = "billing" }),
			wantErr: `build namespace bundle for "payments-api": got tenant "billing" but the claim names tenant "payments"`},
		{name: "template of another claim", in: testInput(func(in *Input) { in.Template.Name = "data" }),
			wantErr: `got template "data" but the claim names template "web"`},
		{name: "tier other than the effective tier", in: testInput(func(in *Input) { in.Claim.Spec.Tier = "prod" }),
			wantErr: `got tier "dev" but the claim's effective tier is "prod"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Build() error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestBuild_IsDeterministic(t *testing.T) {
	in := testInput(
		withManifests(`
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  labels: {b: "2", a: "1", c: "3"}
data:
{{- range $k, $v := .Parameters }}
  {{ $k }}: {{ quote $v }}
{{- end }}
`),
		func(in *Input) {
			in.Template.Spec.Features.AllowHTTPSEgress = true
			in.Tenant.Spec.NamespaceLabels = map[string]string{"z": "1", "y": "2", "x": "3", "w": "4"}
			in.Tenant.Spec.NamespaceAnnotations = map[string]string{"z": "1", "y": "2", "x": "3"}
			in.Parameters = map[string]string{"zeta": "1", "alpha": "2", "mu": "3", "beta": "4"}
		},
	)
	first := encode(t, mustBuild(t, in))
	for range 20 {
		if again := encode(t, mustBuild(t, in)); !bytes.Equal(first, again) {
			t.Fatalf("Build output differs between runs:\n%s\n---\n%s", first, again)
		}
	}
}

func TestBuild_DoesNotModifyOrShareItsInput(t *testing.T) {
	in := testInput(
		withManifests("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"),
		func(in *Input) {
			in.Tenant.Spec.NamespaceLabels = map[string]string{"team": "payments"}
			in.Tenant.Spec.NamespaceAnnotations = map[string]string{"note": "x"}
		},
	)
	before := Input{
		Claim: in.Claim.DeepCopy(), Tenant: in.Tenant.DeepCopy(), Template: in.Template.DeepCopy(), Tier: in.Tier.DeepCopy(),
		Parameters: map[string]string{},
	}
	steps := mustBuild(t, in)
	// Scribble over the output: the input must not change.
	for _, s := range steps {
		for _, o := range s.Objects {
			o.SetLabels(map[string]string{"scribbled": "yes"})
			o.SetAnnotations(map[string]string{"scribbled": "yes"})
			_ = unstructured.SetNestedField(o.Object, "scribbled", "spec", "hard", "pods")
		}
	}
	if diff := cmp.Diff(before, in, quantities()); diff != "" {
		t.Errorf("input changed (-before +after):\n%s", diff)
	}
}

func encode(t testing.TB, steps []Step) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, s := range steps {
		for _, o := range s.Objects {
			js, err := json.Marshal(o.Object)
			if err != nil {
				t.Fatalf("marshal %s/%s: %v", o.GetKind(), o.GetName(), err)
			}
			buf.WriteString(s.Name + " ")
			buf.Write(js)
			buf.WriteByte('\n')
		}
	}
	return buf.Bytes()
}

func BenchmarkBuild(b *testing.B) {
	in := testInput(
		withManifests(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Namespace }}-web
spec:
  replicas: {{ .Parameters.replicas }}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: {{ quote .Parameters.image }}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 443}]
`),
		func(in *Input) {
			in.Template.Spec.Features.AllowHTTPSEgress = true
			in.Parameters = map[string]string{"replicas": "3", "image": "ghcr.io/acme/web:1.2.3"}
			in.Tenant.Spec.NamespaceLabels = map[string]string{"team": "payments", "cost-center": "cc-42"}
		},
	)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(in); err != nil {
			b.Fatal(err)
		}
	}
}
