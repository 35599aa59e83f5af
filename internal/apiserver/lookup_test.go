package apiserver

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cacheindex"
	"github.com/naas-dev/naas/internal/tenancy"
)

// claimLists is the cache reader of the listing tests. It records the claim lists made through it and, as
// controller-runtime's cache does, answers a list without deep copies with items that share their maps and
// slices with the cached claims.
type claimLists struct {
	client.Client
	cached map[string]*naasv1alpha1.NamespaceClaim
	mu     sync.Mutex
	lists  []client.ListOptions
}

func (r *claimLists) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	claims, ok := list.(*naasv1alpha1.NamespaceClaimList)
	if !ok {
		return r.Client.List(ctx, list, opts...)
	}
	o := client.ListOptions{}
	o.ApplyOptions(opts)
	r.mu.Lock()
	r.lists = append(r.lists, o)
	r.mu.Unlock()
	if err := r.Client.List(ctx, list, opts...); err != nil {
		return err
	}
	if o.UnsafeDisableDeepCopy != nil && *o.UnsafeDisableDeepCopy {
		for i := range claims.Items {
			claims.Items[i] = *r.cached[claims.Items[i].Name]
		}
	}
	return nil
}

func (r *claimLists) take() []client.ListOptions {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.lists
	r.lists = nil
	return out
}

func owner(kind naasv1alpha1.SubjectKind, name string, role naasv1alpha1.Role) naasv1alpha1.Owner {
	return naasv1alpha1.Owner{Kind: kind, Name: name, Role: role}
}

func testTenant(name string, owners ...naasv1alpha1.Owner) *naasv1alpha1.Tenant {
	return &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: naasv1alpha1.TenantSpec{Owners: owners}}
}

func testClaim(name, tenant string, collaborators ...string) *naasv1alpha1.NamespaceClaim {
	c := &naasv1alpha1.NamespaceClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       naasv1alpha1.NamespaceClaimSpec{Tenant: tenant, Template: "standard", Parameters: map[string]string{"owner": "x"}},
	}
	for _, col := range collaborators {
		c.Spec.Collaborators = append(c.Spec.Collaborators, naasv1alpha1.Collaborator{Tenant: col})
	}
	return c
}

// listingServer is a Server whose cache holds tenants pay (alice admin, group team-web viewer), web (group
// team-web developer) and ops (bob admin), and claims in them, one naming pay as a collaborator, and one of a
// tenant that is gone.
func listingServer(t *testing.T) (*Server, *claimLists, []*naasv1alpha1.NamespaceClaim, map[string]*naasv1alpha1.Tenant) {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := naasv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	tenants := []*naasv1alpha1.Tenant{
		testTenant("pay", owner(naasv1alpha1.SubjectUser, "alice", naasv1alpha1.RoleAdmin), owner(naasv1alpha1.SubjectGroup, "team-web", naasv1alpha1.RoleViewer)),
		testTenant("web", owner(naasv1alpha1.SubjectGroup, "team-web", naasv1alpha1.RoleDeveloper)),
		testTenant("ops", owner(naasv1alpha1.SubjectUser, "bob", naasv1alpha1.RoleAdmin)),
	}
	claims := []*naasv1alpha1.NamespaceClaim{
		testClaim("pay-2", "pay"), testClaim("pay-1", "pay"), testClaim("web-1", "web"),
		testClaim("ops-1", "ops", "pay"), testClaim("ops-2", "ops"), testClaim("gone-1", "gone"),
	}
	b := fake.NewClientBuilder().WithScheme(scheme).
		WithIndex(&naasv1alpha1.NamespaceClaim{}, cacheindex.ClaimTenant, func(o client.Object) []string {
			return []string{o.(*naasv1alpha1.NamespaceClaim).Spec.Tenant}
		}).
		WithIndex(&naasv1alpha1.NamespaceClaim{}, cacheindex.ClaimCollaborator, func(o client.Object) []string {
			var out []string
			for _, c := range o.(*naasv1alpha1.NamespaceClaim).Spec.Collaborators {
				out = append(out, c.Tenant)
			}
			return out
		})
	byName := map[string]*naasv1alpha1.Tenant{}
	for _, tn := range tenants {
		b = b.WithObjects(tn)
		byName[tn.Name] = tn
	}
	for _, c := range claims {
		b = b.WithObjects(c)
	}
	cache := &claimLists{Client: b.Build(), cached: map[string]*naasv1alpha1.NamespaceClaim{}}
	for _, c := range claims {
		cache.cached[c.Name] = c.DeepCopy()
	}
	s, err := New(Config{Cache: cache, Reader: unusedClient{}, AsCaller: unusedClient{}, AsNaas: unusedClient{}})
	if err != nil {
		t.Fatal(err)
	}
	return s, cache, claims, byName
}

func listingUsers() map[string]tenancy.User {
	return map[string]tenancy.User{
		"alice":          {Name: "alice"},
		"bob":            {Name: "bob"},
		"web developer":  {Name: "dana", Groups: []string{"team-web"}},
		"mallory":        {Name: "mallory", Groups: []string{"team-mallory"}},
		"platform admin": {Name: "root", Groups: []string{tenancy.PlatformAdminGroup}},
	}
}

func names(claims []naasv1alpha1.NamespaceClaim) []string {
	out := []string{}
	for _, c := range claims {
		out = append(out, c.Name)
	}
	return out
}

func TestVisibleClaims_AreTheClaimsAuthorizeLetsTheCallerViewSortedByName(t *testing.T) {
	s, _, claims, tenants := listingServer(t)
	for who, u := range listingUsers() {
		for _, only := range []string{"", "pay", "web", "ops", "gone", "none"} {
			// The reference: every claim of the cluster, decided one by one.
			want := []string{}
			for _, c := range claims {
				if (only == "" || c.Spec.Tenant == only) && tenancy.Authorize(u, tenants[c.Spec.Tenant], tenancy.ActionView, c).Allowed {
					want = append(want, c.Name)
				}
			}
			slices.Sort(want)
			got, _, err := s.visibleClaims(context.Background(), u, only)
			if err != nil {
				t.Fatalf("%s, tenant %q: %v", who, only, err)
			}
			if diff := cmp.Diff(want, names(got)); diff != "" {
				t.Errorf("%s, tenant %q: claims (-want +got):\n%s", who, only, diff)
			}
		}
	}
	// Spot checks that the reference is what the role matrix says.
	got, _, _ := s.visibleClaims(context.Background(), listingUsers()["web developer"], "")
	if diff := cmp.Diff([]string{"pay-1", "pay-2", "web-1"}, names(got)); diff != "" {
		t.Errorf("web developer (viewer of pay, developer of web): (-want +got):\n%s", diff)
	}
	got, _, _ = s.visibleClaims(context.Background(), listingUsers()["platform admin"], "")
	if len(got) != len(claims) {
		t.Errorf("platform admin sees %v, want all %d claims", names(got), len(claims))
	}
}

func TestVisibleClaims_OnlyPlatformAdminsListEveryClaimAndNoListCopiesTheCache(t *testing.T) {
	s, cache, _, _ := listingServer(t)
	for who, u := range listingUsers() {
		for _, only := range []string{"", "ops"} {
			if _, _, err := s.visibleClaims(context.Background(), u, only); err != nil {
				t.Fatal(err)
			}
			lists := cache.take()
			for _, l := range lists {
				if l.UnsafeDisableDeepCopy == nil || !*l.UnsafeDisableDeepCopy {
					t.Errorf("%s, tenant %q: a claim list deep-copies the cache: %+v", who, only, l)
				}
				everything := l.FieldSelector == nil || l.FieldSelector.Empty()
				if everything && (only != "" || who != "platform admin") {
					t.Errorf("%s, tenant %q: lists every claim of the cluster", who, only)
				}
			}
			if who == "mallory" && only == "" && len(lists) > 0 {
				t.Errorf("mallory holds no role, yet %d claim lists were made", len(lists))
			}
		}
	}
}

func TestVisibleClaims_ReturnsCopiesTheCallerMayChange(t *testing.T) {
	s, _, _, _ := listingServer(t)
	u := listingUsers()["alice"]
	got, _, err := s.visibleClaims(context.Background(), u, "pay")
	if err != nil || len(got) == 0 {
		t.Fatalf("visibleClaims = %v, %v", names(got), err)
	}
	got[0].Spec.Parameters["changed"] = "by the caller"
	again, _, _ := s.visibleClaims(context.Background(), u, "pay")
	if len(again) == 0 || again[0].Spec.Parameters["changed"] != "" {
		t.Errorf("changing a returned claim changed the cache: the next listing returns %v", again[0].Spec.Parameters)
	}
}

func TestCountClaims_CountsTheTenantsOtherClaimsThroughTheIndex(t *testing.T) {
	s, cache, _, _ := listingServer(t)
	for _, c := range []struct {
		tenant, except string
		want           int
	}{{"pay", "", 2}, {"pay", "pay-1", 1}, {"pay", "ops-1", 2}, {"none", "", 0}} {
		n, err := s.countClaims(context.Background(), c.tenant, c.except)
		if err != nil {
			t.Fatal(err)
		}
		if n != c.want {
			t.Errorf("countClaims(%s, except %q) = %d, want %d", c.tenant, c.except, n, c.want)
		}
	}
	for _, l := range cache.take() {
		if l.FieldSelector == nil || l.FieldSelector.Empty() || l.UnsafeDisableDeepCopy == nil || !*l.UnsafeDisableDeepCopy {
			t.Errorf("countClaims lists claims with %+v, want the tenant index without copies", l)
		}
	}
}
