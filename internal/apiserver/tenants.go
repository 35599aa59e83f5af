package apiserver

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/tenancy"
)

func tenantURL(name string) string { return restv1.Prefix + "/tenants/" + name }

func (s *Server) listTenants(w http.ResponseWriter, r *http.Request) {
	tenants, err := s.tenants(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u := callerOf(r)
	out := restv1.TenantList{Items: []restv1.Tenant{}}
	for _, name := range sortedKeys(tenants) {
		t := tenants[name]
		role, member := tenancy.RoleOf(u, t)
		if member || tenancy.IsPlatformAdmin(u) {
			out.Items = append(out.Items, tenantOf(t, role))
		}
	}
	s.writeJSON(w, http.StatusOK, out)
}

// visibleTenant finds the tenant named by the request's {name}; one the caller is neither a member of nor a
// platform admin for is not found.
func (s *Server) visibleTenant(w http.ResponseWriter, r *http.Request) (*naasv1alpha1.Tenant, bool) {
	name := r.PathValue("name")
	st := stateOf(r)
	st.tenant = name
	t, err := s.tenant(r.Context(), name)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	if t == nil || !tenancy.Authorize(callerOf(r), t, tenancy.ActionView, nil).Allowed {
		if t != nil {
			st.reason = fmt.Sprintf("user %q is not a member of tenant %q", callerOf(r).Name, name)
		}
		s.writeProblem(w, r, notFound("tenant %q not found", name))
		return nil, false
	}
	return t, s.allowTenant(w, r, name)
}

func (s *Server) getTenant(w http.ResponseWriter, r *http.Request) {
	t, ok := s.visibleTenant(w, r)
	if !ok {
		return
	}
	role, _ := tenancy.RoleOf(callerOf(r), t)
	s.writeJSON(w, http.StatusOK, tenantOf(t, role))
}

// authorizeManageTenant answers 403 unless the caller is a platform admin.
func (s *Server) authorizeManageTenant(w http.ResponseWriter, r *http.Request) bool {
	if d := tenancy.Authorize(callerOf(r), nil, tenancy.ActionManageTenant, nil); !d.Allowed {
		s.fail(w, r, forbidden("%s", d.Reason))
		return false
	}
	return true
}

func (s *Server) createTenant(w http.ResponseWriter, r *http.Request) {
	var in restv1.TenantInput
	if err := decodeJSON(r, s.cfg.MaxBodyBytes, &in, false); err != nil {
		s.fail(w, r, err)
		return
	}
	stateOf(r).tenant = in.Name
	if !s.authorizeManageTenant(w, r) {
		return
	}
	spec, errs := tenantSpecFrom(in)
	if len(errs) > 0 {
		s.fail(w, r, invalid(errs))
		return
	}
	if !s.allowTenant(w, r, in.Name) {
		return
	}
	t := &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: in.Name}, Spec: spec}
	caller := stateOf(r).user
	if err := s.cfg.AsCaller.Create(withCaller(r.Context(), caller), t); err != nil {
		if apierrors.IsAlreadyExists(err) {
			s.fail(w, r, conflict("tenant %q already exists; PUT %s to change it", in.Name, tenantURL(in.Name)))
			return
		}
		s.fail(w, r, fmt.Errorf("create tenant %s as %s: %w", in.Name, caller.Name, err))
		return
	}
	w.Header().Set("Location", tenantURL(t.Name))
	s.writeJSON(w, http.StatusCreated, tenantOf(t, ""))
}

func (s *Server) replaceTenant(w http.ResponseWriter, r *http.Request) {
	var in restv1.TenantInput
	if err := decodeJSON(r, s.cfg.MaxBodyBytes, &in, false); err != nil {
		s.fail(w, r, err)
		return
	}
	name := r.PathValue("name")
	stateOf(r).tenant = name
	if !s.authorizeManageTenant(w, r) {
		return
	}
	if in.Name == "" {
		in.Name = name
	}
	spec, errs := tenantSpecFrom(in)
	if in.Name != name {
		errs = append(errs, field.Invalid(field.NewPath("name"), in.Name,
			fmt.Sprintf("must be %q, the tenant in the path; tenants cannot be renamed", name)))
	}
	if len(errs) > 0 {
		s.fail(w, r, invalid(errs))
		return
	}
	if !s.allowTenant(w, r, name) {
		return
	}
	caller := stateOf(r).user
	ctx := withCaller(r.Context(), caller)
	var t *naasv1alpha1.Tenant
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		t = &naasv1alpha1.Tenant{}
		if err := s.cfg.Reader.Get(ctx, client.ObjectKey{Name: name}, t); err != nil {
			return err
		}
		// The collaborations the tenant accepts are its admins' decision, not part of the tenant's definition:
		// replacing the definition keeps them.
		accepted := t.Spec.AcceptedCollaborations
		t.Spec = spec
		t.Spec.AcceptedCollaborations = accepted
		return s.cfg.AsCaller.Update(ctx, t)
	})
	switch {
	case apierrors.IsNotFound(err):
		s.fail(w, r, notFound("tenant %q not found; POST %s/tenants creates it", name, restv1.Prefix))
		return
	case err != nil:
		s.fail(w, r, fmt.Errorf("replace tenant %s as %s: %w", name, caller.Name, err))
		return
	}
	s.writeJSON(w, http.StatusOK, tenantOf(t, ""))
}

func (s *Server) deleteTenant(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	stateOf(r).tenant = name
	if !s.authorizeManageTenant(w, r) || !s.allowTenant(w, r, name) {
		return
	}
	ctx := r.Context()
	t, err := s.tenant(ctx, name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if t == nil {
		s.fail(w, r, notFound("tenant %q not found", name))
		return
	}
	claims, err := s.claimsOf(ctx, name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(claims) > 0 {
		s.fail(w, r, conflict("tenant %q still has %d namespaces (%s); delete them first", name, len(claims),
			strings.Join(claims, ", ")))
		return
	}
	caller := stateOf(r).user
	err = s.cfg.AsCaller.Delete(withCaller(ctx, caller), t, client.Preconditions{UID: &t.UID})
	if err != nil && !apierrors.IsNotFound(err) {
		s.fail(w, r, fmt.Errorf("delete tenant %s as %s: %w", name, caller.Name, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// claimsOf lists the names of tenant's claims, read from the API server: a tenant must not be deleted because
// the cache has not seen a claim made a moment ago.
func (s *Server) claimsOf(ctx context.Context, tenant string) ([]string, error) {
	return s.claimNamesWhere(ctx, func(c *naasv1alpha1.NamespaceClaim) bool { return c.Spec.Tenant == tenant })
}

// claimNamesWhere lists, sorted, the names of the claims keep keeps, read from the API server rather than the
// cache, for decisions a claim made a moment ago must count in.
func (s *Server) claimNamesWhere(ctx context.Context, keep func(*naasv1alpha1.NamespaceClaim) bool) ([]string, error) {
	list := &naasv1alpha1.NamespaceClaimList{}
	if err := s.cfg.Reader.List(ctx, list); err != nil {
		return nil, fmt.Errorf("list namespace claims: %w", err)
	}
	var names []string
	for i := range list.Items {
		if keep(&list.Items[i]) {
			names = append(names, list.Items[i].Name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// putMember adds a member or changes a member's role. Tenant admins lack RBAC on Tenant objects, so the change
// is written as naas, after tenancy.Authorize allowed it.
func (s *Server) putMember(w http.ResponseWriter, r *http.Request) {
	var m restv1.Member
	if err := decodeJSON(r, s.cfg.MaxBodyBytes, &m, false); err != nil {
		s.fail(w, r, err)
		return
	}
	st := stateOf(r)
	st.target = memberTarget(m)
	st.detail("role", m.Role)
	t, ok := s.visibleTenant(w, r)
	if !ok {
		return
	}
	u := callerOf(r)
	if d := tenancy.Authorize(u, t, tenancy.ActionManageMembers, nil); !d.Allowed {
		s.fail(w, r, forbidden("%s", d.Reason))
		return
	}
	if errs := validateMember(nil, m, tenancy.IsPlatformAdmin(u)); len(errs) > 0 {
		s.fail(w, r, invalid(errs))
		return
	}
	status := http.StatusOK
	updated, err := s.changeMembers(r.Context(), t.Name, func(t *naasv1alpha1.Tenant) (bool, error) {
		owner := ownerOf(m)
		i := slices.IndexFunc(t.Spec.Owners, func(o naasv1alpha1.Owner) bool { return sameSubject(o, owner) })
		if i < 0 {
			t.Spec.Owners = append(t.Spec.Owners, owner)
			status = http.StatusCreated
			return true, nil
		}
		status = http.StatusOK
		if t.Spec.Owners[i].Role == owner.Role {
			return false, nil
		}
		if err := keepsAnAdmin(t, i, u); err != nil {
			return false, err
		}
		st.detail("previousRole", string(t.Spec.Owners[i].Role))
		t.Spec.Owners[i].Role = owner.Role
		return true, nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	role, _ := tenancy.RoleOf(u, updated)
	s.writeJSON(w, status, tenantOf(updated, role))
}

func (s *Server) deleteMember(w http.ResponseWriter, r *http.Request) {
	owner, err := subjectFromPath(r.PathValue("kind"), r.PathValue("subject"))
	st := stateOf(r)
	st.target = memberTarget(memberOf(owner))
	if err != nil {
		st.tenant = r.PathValue("name")
		s.fail(w, r, err)
		return
	}
	t, ok := s.visibleTenant(w, r)
	if !ok {
		return
	}
	u := callerOf(r)
	if d := tenancy.Authorize(u, t, tenancy.ActionManageMembers, nil); !d.Allowed {
		s.fail(w, r, forbidden("%s", d.Reason))
		return
	}
	updated, err := s.changeMembers(r.Context(), t.Name, func(t *naasv1alpha1.Tenant) (bool, error) {
		i := slices.IndexFunc(t.Spec.Owners, func(o naasv1alpha1.Owner) bool { return sameSubject(o, owner) })
		if i < 0 {
			return false, notFound("tenant %q has no member %s", t.Name, describeSubject(owner))
		}
		if err := keepsAnAdmin(t, i, u); err != nil {
			return false, err
		}
		st.detail("role", string(t.Spec.Owners[i].Role))
		t.Spec.Owners = slices.Delete(t.Spec.Owners, i, i+1)
		return true, nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	role, _ := tenancy.RoleOf(u, updated)
	s.writeJSON(w, http.StatusOK, tenantOf(updated, role))
}

// changeMembers applies change to a fresh copy of the tenant and writes it as naas when change says it changed
// something, retrying on a concurrent update.
func (s *Server) changeMembers(ctx context.Context, name string, change func(*naasv1alpha1.Tenant) (bool, error)) (*naasv1alpha1.Tenant, error) {
	var t *naasv1alpha1.Tenant
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		t = &naasv1alpha1.Tenant{}
		if err := s.cfg.Reader.Get(ctx, client.ObjectKey{Name: name}, t); err != nil {
			return err
		}
		changed, err := change(t)
		if err != nil || !changed {
			return err
		}
		return s.cfg.AsNaas.Update(ctx, t)
	})
	if apierrors.IsNotFound(err) {
		return nil, notFound("tenant %q not found", name)
	}
	if err != nil {
		return nil, fmt.Errorf("change the members of tenant %s: %w", name, err)
	}
	return t, nil
}

// keepsAnAdmin refuses, to anyone but a platform admin, to demote or remove owner i when it is the tenant's
// last admin: a tenant without admins can only be managed by platform admins.
func keepsAnAdmin(t *naasv1alpha1.Tenant, i int, u tenancy.User) error {
	if t.Spec.Owners[i].Role != naasv1alpha1.RoleAdmin || tenancy.IsPlatformAdmin(u) {
		return nil
	}
	admins := 0
	for _, o := range t.Spec.Owners {
		if o.Role == naasv1alpha1.RoleAdmin {
			admins++
		}
	}
	if admins > 1 {
		return nil
	}
	return conflict("%s is the last admin of tenant %q; make another member admin first, or ask a platform admin",
		describeSubject(t.Spec.Owners[i]), t.Name)
}

func sameSubject(a, b naasv1alpha1.Owner) bool {
	return a.Kind == b.Kind && a.Name == b.Name && a.Namespace == b.Namespace
}

func describeSubject(o naasv1alpha1.Owner) string {
	if o.Kind == naasv1alpha1.SubjectServiceAccount {
		return fmt.Sprintf("ServiceAccount %s:%s", o.Namespace, o.Name)
	}
	return fmt.Sprintf("%s %s", o.Kind, o.Name)
}

func memberTarget(m restv1.Member) string {
	if m.Namespace != "" {
		return fmt.Sprintf("member/%s/%s:%s", m.Kind, m.Namespace, m.Name)
	}
	return fmt.Sprintf("member/%s/%s", m.Kind, m.Name)
}

// subjectFromPath parses the {kind}/{subject} of a member's URL; a ServiceAccount's subject is
// <namespace>:<name>.
func subjectFromPath(kind, subject string) (naasv1alpha1.Owner, error) {
	var k naasv1alpha1.SubjectKind
	for _, known := range []naasv1alpha1.SubjectKind{naasv1alpha1.SubjectUser, naasv1alpha1.SubjectGroup, naasv1alpha1.SubjectServiceAccount} {
		if strings.EqualFold(kind, string(known)) {
			k = known
		}
	}
	o := naasv1alpha1.Owner{Kind: k, Name: subject}
	if k == "" {
		return o, notFound("no member kind %q; use User, Group or ServiceAccount", kind)
	}
	if k == naasv1alpha1.SubjectServiceAccount {
		ns, name, ok := strings.Cut(subject, ":")
		if !ok || ns == "" || name == "" {
			return o, notFound("a ServiceAccount member is named <namespace>:<name>, got %q", subject)
		}
		o.Namespace, o.Name = ns, name
	}
	return o, nil
}

// validateMember checks one member, at path p (nil for a member that is the whole body). Groups named system:... stand for every user (system:authenticated) or for
// Kubernetes components, so only platform admins may make them members.
func validateMember(p *field.Path, m restv1.Member, platformAdmin bool) field.ErrorList {
	var errs field.ErrorList
	kinds := []string{string(naasv1alpha1.SubjectUser), string(naasv1alpha1.SubjectGroup), string(naasv1alpha1.SubjectServiceAccount)}
	roles := []string{string(naasv1alpha1.RoleAdmin), string(naasv1alpha1.RoleDeveloper), string(naasv1alpha1.RoleViewer)}
	if !slices.Contains(kinds, m.Kind) {
		if m.Kind == "" {
			errs = append(errs, field.Required(p.Child("kind"), "one of User, Group, ServiceAccount"))
		} else {
			errs = append(errs, field.NotSupported(p.Child("kind"), m.Kind, kinds))
		}
	}
	switch {
	case m.Name == "":
		errs = append(errs, field.Required(p.Child("name"), "the user, group or service account name"))
	case len(m.Name) > 253:
		errs = append(errs, field.TooLong(p.Child("name"), "", 253))
	case m.Kind == string(naasv1alpha1.SubjectGroup) && strings.HasPrefix(m.Name, "system:") && !platformAdmin:
		errs = append(errs, field.Forbidden(p.Child("name"),
			fmt.Sprintf("group %q is a Kubernetes system group; only platform admins may make it a member", m.Name)))
	}
	switch {
	case m.Kind == string(naasv1alpha1.SubjectServiceAccount) && m.Namespace == "":
		errs = append(errs, field.Required(p.Child("namespace"), "the namespace of the service account"))
	case m.Kind != string(naasv1alpha1.SubjectServiceAccount) && m.Namespace != "":
		errs = append(errs, field.Forbidden(p.Child("namespace"), "only a ServiceAccount member has a namespace"))
	case m.Namespace != "":
		for _, msg := range validation.IsDNS1123Label(m.Namespace) {
			errs = append(errs, field.Invalid(p.Child("namespace"), m.Namespace, msg))
		}
	}
	if !slices.Contains(roles, m.Role) {
		if m.Role == "" {
			errs = append(errs, field.Required(p.Child("role"), "one of admin, developer, viewer"))
		} else {
			errs = append(errs, field.NotSupported(p.Child("role"), m.Role, roles))
		}
	}
	return errs
}

// tenantSpecFrom converts and validates a tenant body. The API server validates again against the CRD schema;
// checking here reports every problem at once, with the API's field names.
func tenantSpecFrom(in restv1.TenantInput) (naasv1alpha1.TenantSpec, field.ErrorList) {
	var errs field.ErrorList
	name := field.NewPath("name")
	if in.Name == "" {
		errs = append(errs, field.Required(name, "name the tenant, e.g. \"payments\""))
	}
	for _, msg := range validation.IsDNS1123Label(in.Name) {
		if in.Name != "" {
			errs = append(errs, field.Invalid(name, in.Name, "must be a DNS-1123 label (it is stamped on namespaces as a label): "+msg))
		}
	}
	spec := naasv1alpha1.TenantSpec{
		DisplayName:          in.DisplayName,
		MaxNamespaces:        in.MaxNamespaces,
		AllowedTemplates:     in.AllowedTemplates,
		AllowedTiers:         in.AllowedTiers,
		NamespaceLabels:      in.NamespaceLabels,
		NamespaceAnnotations: in.NamespaceAnnotations,
		CostCenter:           in.CostCenter,
		Cordoned:             in.Cordoned,
		AllowedRegistries:    in.AllowedRegistries,
	}
	if len(in.DisplayName) > 128 {
		errs = append(errs, field.TooLong(field.NewPath("displayName"), "", 128))
	}
	if len(in.CostCenter) > 64 {
		errs = append(errs, field.TooLong(field.NewPath("costCenter"), "", 64))
	}
	if in.MaxNamespaces != nil && *in.MaxNamespaces < 0 {
		errs = append(errs, field.Invalid(field.NewPath("maxNamespaces"), *in.MaxNamespaces, "must be 0 or more"))
	}
	members := field.NewPath("members")
	if len(in.Members) > 256 {
		errs = append(errs, field.TooMany(members, len(in.Members), 256))
	}
	for i, m := range in.Members {
		errs = append(errs, validateMember(members.Index(i), m, true)...)
		o := ownerOf(m)
		for j := range i {
			if sameSubject(ownerOf(in.Members[j]), o) {
				errs = append(errs, field.Duplicate(members.Index(i), describeSubject(o)))
			}
		}
		spec.Owners = append(spec.Owners, o)
	}
	if n := in.Naming; n != nil {
		spec.Naming = naasv1alpha1.NamingRules{Prefix: n.Prefix, ForbiddenPatterns: n.ForbiddenPatterns}
		if n.Prefix != "" && !regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*)?$`).MatchString(n.Prefix) {
			errs = append(errs, field.Invalid(field.NewPath("naming", "prefix"), n.Prefix,
				"must be lowercase letters, digits and '-', starting with a letter or digit"))
		}
		for i, p := range n.ForbiddenPatterns {
			if _, err := regexp.Compile(p); err != nil {
				errs = append(errs, field.Invalid(field.NewPath("naming", "forbiddenPatterns").Index(i), p,
					fmt.Sprintf("not a valid RE2 regular expression: %v", err)))
			}
		}
	}
	for _, k := range sortedKeys(in.NamespaceLabels) {
		p := field.NewPath("namespaceLabels").Key(k)
		for _, msg := range validation.IsQualifiedName(k) {
			errs = append(errs, field.Invalid(p, k, "invalid label key: "+msg))
		}
		for _, msg := range validation.IsValidLabelValue(in.NamespaceLabels[k]) {
			errs = append(errs, field.Invalid(p, in.NamespaceLabels[k], "invalid label value: "+msg))
		}
	}
	for _, k := range sortedKeys(in.NamespaceAnnotations) {
		for _, msg := range validation.IsQualifiedName(strings.ToLower(k)) {
			errs = append(errs, field.Invalid(field.NewPath("namespaceAnnotations").Key(k), k, "invalid annotation key: "+msg))
		}
	}
	if len(in.Quota) > 0 {
		spec.Quota = corev1.ResourceList{}
		for _, k := range sortedKeys(in.Quota) {
			q, err := resource.ParseQuantity(in.Quota[k])
			if err != nil {
				errs = append(errs, field.Invalid(field.NewPath("quota").Key(k), in.Quota[k],
					"must be a Kubernetes quantity, e.g. \"10\", \"500m\" or \"64Gi\""))
				continue
			}
			spec.Quota[corev1.ResourceName(k)] = q
		}
	}
	return spec, toAPIFields(errs)
}
