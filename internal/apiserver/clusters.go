package apiserver

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cluster"
	"github.com/naas-dev/naas/internal/clusterconfig"
	"github.com/naas-dev/naas/internal/fleet"
	"github.com/naas-dev/naas/internal/placement"
	"github.com/naas-dev/naas/internal/tenancy"
)

// maxClusterTaints and maxClusterLabels bound a cluster's taints (the CRD's MaxItems) and labels.
const (
	maxClusterTaints = 32
	maxClusterLabels = 64
)

func clusterURL(name string) string { return restv1.Prefix + "/clusters/" + name }

var paramCluster = map[string]string{"name": "Name of the cluster."}

// clusterRoutes are the operations on registered clusters: platform admins write, tenant members read the
// clusters their tenants' placement lets them use.
func clusterRoutes() []*route {
	base := restv1.Prefix + "/clusters"
	one := base + "/{name}"
	return []*route{
		{
			method: http.MethodGet, pattern: base, operationID: "listClusters", tag: tagClusters,
			summary: "The clusters the caller may use (every cluster, for platform admins)",
			description: "A tenant member sees the clusters a tenant of theirs may place namespaces on: those its " +
				"placement's cluster selector matches and whose NoSchedule taints it tolerates. Credentials are never " +
				"shown.",
			responses: []response{{status: 200, description: "The clusters, by name.", body: typeOf[restv1.ClusterList]()}},
			handle:    (*Server).listClusters,
		},
		{
			method: http.MethodPost, pattern: base, operationID: "registerCluster", tag: tagClusters,
			action: ActionClusterRegister, summary: "Register a cluster (platform admins)",
			description: "Writes the Cluster as the caller and its kubeconfig into a Secret in naas's namespace (key " +
				"value), owned by the Cluster so that it goes with it. If the Secret cannot be written, the Cluster is " +
				"removed again: nothing is left half made. naas then installs its cluster-wide objects on the member " +
				"and reports Reachable, Installed and Ready.",
			body: typeOf[restv1.ClusterInput](),
			responses: []response{
				{status: 201, description: "Registered.", body: typeOf[restv1.Cluster](), location: true},
			},
			errors: []int{403, 409},
			handle: (*Server).registerCluster,
		},
		{
			method: http.MethodGet, pattern: one, operationID: "getCluster", tag: tagClusters,
			summary: "One cluster", params: paramCluster,
			responses: []response{{status: 200, description: "The cluster.", body: typeOf[restv1.Cluster]()}},
			errors:    []int{404},
			handle:    (*Server).getCluster,
		},
		{
			method: http.MethodPut, pattern: one, operationID: "replaceCluster", tag: tagClusters,
			action: ActionClusterUpdate, summary: "Replace a cluster's labels, taints, cordon and display name (platform admins)",
			description: "Fields left out are cleared. The kubeconfig is not changed here.",
			params:      paramCluster, body: typeOf[restv1.ClusterInput](),
			responses: []response{{status: 200, description: "Replaced.", body: typeOf[restv1.Cluster]()}},
			errors:    []int{403, 404, 409},
			handle:    (*Server).replaceCluster,
		},
		{
			method: http.MethodPatch, pattern: one, operationID: "patchCluster", tag: tagClusters,
			action: ActionClusterUpdate, summary: "Change some of a cluster's labels, taints, cordon and display name (platform admins)",
			description: "A JSON merge patch: fields left out are kept, a label set to null is removed. " +
				`{"cordoned": true} cordons the cluster: it takes no new namespaces, and those there stay.`,
			params: paramCluster, body: typeOf[restv1.ClusterPatch](),
			responses: []response{{status: 200, description: "Changed.", body: typeOf[restv1.Cluster]()}},
			errors:    []int{403, 404, 409},
			handle:    (*Server).patchCluster,
		},
		{
			method: http.MethodDelete, pattern: one, operationID: "removeCluster", tag: tagClusters,
			action: ActionClusterRemove, summary: "Remove a cluster (platform admins)",
			description: "Refused while naas namespaces are placed on the cluster, unless orphan=true: then they stay on " +
				"the member, no longer managed by naas. The management cluster (local) cannot be removed; cordon it " +
				"instead.",
			params: paramCluster,
			query: []queryParam{{name: "orphan", description: "true leaves the cluster's naas namespaces in place, " +
				"unmanaged, instead of refusing."}},
			responses: []response{{status: 202, description: "Accepted; naas is letting go of the cluster.", body: typeOf[restv1.Cluster]()}},
			errors:    []int{400, 403, 404, 409},
			handle:    (*Server).removeCluster,
		},
	}
}

// clusters returns every registered cluster, from the cache, sorted by name.
func (s *Server) clusters(ctx context.Context) ([]naasv1alpha1.Cluster, error) {
	list := &naasv1alpha1.ClusterList{}
	if err := s.cfg.Cache.List(ctx, list); err != nil {
		return nil, fmt.Errorf("list clusters: %w", err)
	}
	slices.SortFunc(list.Items, func(a, b naasv1alpha1.Cluster) int { return strings.Compare(a.Name, b.Name) })
	return list.Items, nil
}

// usableClusters keeps the clusters u may see: all for a platform admin, else those a tenant u belongs to may
// place namespaces on. tenants are every tenant.
func usableClusters(u tenancy.User, tenants map[string]*naasv1alpha1.Tenant, clusters []naasv1alpha1.Cluster) []naasv1alpha1.Cluster {
	if tenancy.IsPlatformAdmin(u) {
		return clusters
	}
	var mine []*naasv1alpha1.Tenant
	for _, name := range sortedKeys(tenants) {
		if _, member := tenancy.RoleOf(u, tenants[name]); member {
			mine = append(mine, tenants[name])
		}
	}
	var out []naasv1alpha1.Cluster
	for i := range clusters {
		c := placementCluster(&clusters[i])
		for _, t := range mine {
			if ok, err := placement.Admits(c, tenantConstraints(t), tenantTolerations(t)); ok && err == nil {
				out = append(out, clusters[i])
				break
			}
		}
	}
	return out
}

// placementCluster is what placement.Admits reads of a Cluster: its labels and taints.
func placementCluster(c *naasv1alpha1.Cluster) placement.Cluster {
	return fleet.Candidate(c, placement.Resources{})
}

func tenantConstraints(t *naasv1alpha1.Tenant) []placement.Constraint {
	return fleet.Constraints(t, nil, nil)
}

func tenantTolerations(t *naasv1alpha1.Tenant) []placement.Toleration {
	if t.Spec.Placement == nil {
		return nil
	}
	return fleet.Tolerations(t.Spec.Placement.Tolerations)
}

func (s *Server) listClusters(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	all, err := s.clusters(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	tenants, err := s.tenants(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := restv1.ClusterList{Items: []restv1.Cluster{}}
	admin := tenancy.IsPlatformAdmin(callerOf(r))
	for _, c := range usableClusters(callerOf(r), tenants, all) {
		out.Items = append(out.Items, clusterOf(&c, admin))
	}
	s.writeJSON(w, http.StatusOK, out)
}

// visibleCluster finds the cluster named by the request's {name}; one the caller may not use is not found.
func (s *Server) visibleCluster(w http.ResponseWriter, r *http.Request) (*naasv1alpha1.Cluster, bool) {
	name := r.PathValue("name")
	st := stateOf(r)
	st.target = "cluster/" + name
	ctx := r.Context()
	c := &naasv1alpha1.Cluster{}
	found, err := s.get(ctx, name, c)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	if found && !tenancy.IsPlatformAdmin(callerOf(r)) {
		tenants, err := s.tenants(ctx)
		if err != nil {
			s.fail(w, r, err)
			return nil, false
		}
		if len(usableClusters(callerOf(r), tenants, []naasv1alpha1.Cluster{*c})) == 0 {
			st.reason = fmt.Sprintf("no tenant of user %q may use cluster %q", callerOf(r).Name, name)
			found = false
		}
	}
	if !found {
		s.writeProblem(w, r, notFound("cluster %q not found", name))
		return nil, false
	}
	return c, true
}

func (s *Server) getCluster(w http.ResponseWriter, r *http.Request) {
	c, ok := s.visibleCluster(w, r)
	if !ok {
		return
	}
	s.writeJSON(w, http.StatusOK, clusterOf(c, tenancy.IsPlatformAdmin(callerOf(r))))
}

// authorizeManageClusters answers 403 unless the caller is a platform admin.
func (s *Server) authorizeManageClusters(w http.ResponseWriter, r *http.Request) bool {
	if d := tenancy.Authorize(callerOf(r), nil, tenancy.ActionManageClusters, nil); !d.Allowed {
		stateOf(r).reason = d.Reason
		s.fail(w, r, forbidden("%s", d.Reason))
		return false
	}
	return true
}

func (s *Server) registerCluster(w http.ResponseWriter, r *http.Request) {
	var in restv1.ClusterInput
	if err := decodeJSON(r, s.cfg.MaxBodyBytes, &in, false); err != nil {
		s.fail(w, r, err)
		return
	}
	stateOf(r).target = "cluster/" + in.Name
	if !s.authorizeManageClusters(w, r) {
		return
	}
	spec, errs := clusterSpecFrom(in)
	if in.Kubeconfig == "" {
		errs = append(errs, field.Required(field.NewPath("kubeconfig"), "the kubeconfig naas reaches the cluster with"))
	} else if _, err := clusterconfig.ParseKubeconfig([]byte(in.Kubeconfig)); err != nil {
		errs = append(errs, field.Invalid(field.NewPath("kubeconfig"), "(not shown)", err.Error()))
	}
	if in.Name == naasv1alpha1.LocalClusterName {
		errs = append(errs, field.Forbidden(field.NewPath("name"), "local is the management cluster, which naas registers itself"))
	}
	if len(errs) > 0 {
		s.fail(w, r, invalid(errs))
		return
	}
	secretName := cluster.KubeconfigSecretName(in.Name)
	spec.KubeconfigSecretRef = &naasv1alpha1.SecretReference{Name: secretName}
	c := &naasv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: in.Name, Labels: in.Labels}, Spec: spec}
	caller := stateOf(r).user
	ctx := r.Context()
	if err := s.cfg.AsCaller.Create(withCaller(ctx, caller), c); err != nil {
		if apierrors.IsAlreadyExists(err) {
			s.fail(w, r, conflict("cluster %q is already registered; PATCH %s to change it", in.Name, clusterURL(in.Name)))
			return
		}
		s.fail(w, r, fmt.Errorf("create cluster %s as %s: %w", in.Name, caller.Name, err))
		return
	}
	// The Secret is naas's own state, written as naas in its namespace (platform admins need no rights on
	// Secrets there). It is owned by the Cluster, so that it is garbage collected with it.
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: s.cfg.SystemNamespace, Name: secretName,
			Labels: map[string]string{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue, cluster.LabelCluster: in.Name},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: naasv1alpha1.GroupVersion.String(), Kind: "Cluster", Name: c.Name, UID: c.UID,
			}},
		},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{naasv1alpha1.KubeconfigSecretKey: []byte(in.Kubeconfig)},
	}
	if err := s.cfg.AsNaas.Create(ctx, secret); err != nil {
		undo := s.cfg.AsCaller.Delete(withCaller(context.WithoutCancel(ctx), caller), c, client.Preconditions{UID: &c.UID})
		if apierrors.IsNotFound(undo) {
			undo = nil
		}
		if apierrors.IsAlreadyExists(err) && undo == nil {
			s.fail(w, r, conflict("Secret %s/%s, where naas keeps the kubeconfig of cluster %q, already exists; "+
				"remove it (kubectl -n %[1]s delete secret %[2]s) and register again", s.cfg.SystemNamespace, secretName, in.Name))
			return
		}
		s.fail(w, r, errors.Join(fmt.Errorf("write the kubeconfig Secret of cluster %s: %w", in.Name, err), undo))
		return
	}
	w.Header().Set("Location", clusterURL(c.Name))
	s.writeJSON(w, http.StatusCreated, clusterOf(c, true))
}

func (s *Server) replaceCluster(w http.ResponseWriter, r *http.Request) {
	var in restv1.ClusterInput
	if err := decodeJSON(r, s.cfg.MaxBodyBytes, &in, false); err != nil {
		s.fail(w, r, err)
		return
	}
	name := r.PathValue("name")
	stateOf(r).target = "cluster/" + name
	if !s.authorizeManageClusters(w, r) {
		return
	}
	if in.Name == "" {
		in.Name = name
	}
	spec, errs := clusterSpecFrom(in)
	if in.Name != name {
		errs = append(errs, field.Invalid(field.NewPath("name"), in.Name,
			fmt.Sprintf("must be %q, the cluster in the path; clusters cannot be renamed", name)))
	}
	if in.Kubeconfig != "" {
		errs = append(errs, field.Forbidden(field.NewPath("kubeconfig"),
			"the kubeconfig is given when the cluster is registered; to change it, remove and register the cluster again"))
	}
	if len(errs) > 0 {
		s.fail(w, r, invalid(errs))
		return
	}
	s.changeCluster(w, r, name, func(c *naasv1alpha1.Cluster) field.ErrorList {
		c.Labels = in.Labels
		c.Spec.DisplayName, c.Spec.Taints, c.Spec.Cordoned = spec.DisplayName, spec.Taints, spec.Cordoned
		return nil
	})
}

func (s *Server) patchCluster(w http.ResponseWriter, r *http.Request) {
	var patch restv1.ClusterPatch
	if err := decodeJSON(r, s.cfg.MaxBodyBytes, &patch, false); err != nil {
		s.fail(w, r, err)
		return
	}
	name := r.PathValue("name")
	st := stateOf(r)
	st.target = "cluster/" + name
	if patch.Cordoned != nil {
		st.detail("cordoned", fmt.Sprint(*patch.Cordoned))
	}
	if !s.authorizeManageClusters(w, r) {
		return
	}
	s.changeCluster(w, r, name, func(c *naasv1alpha1.Cluster) field.ErrorList {
		in := restv1.ClusterInput{Name: name, DisplayName: c.Spec.DisplayName, Labels: maps.Clone(c.Labels),
			Taints: taintsOf(c.Spec.Taints), Cordoned: c.Spec.Cordoned}
		mergeClusterPatch(&in, patch)
		spec, errs := clusterSpecFrom(in)
		if len(errs) > 0 {
			return errs
		}
		c.Labels = in.Labels
		c.Spec.DisplayName, c.Spec.Taints, c.Spec.Cordoned = spec.DisplayName, spec.Taints, spec.Cordoned
		return nil
	})
}

// mergeClusterPatch applies a JSON merge patch (RFC 7396) to in: what the patch leaves out is kept, a label set to
// null is removed, taints given replace every taint.
func mergeClusterPatch(in *restv1.ClusterInput, p restv1.ClusterPatch) {
	if p.DisplayName != nil {
		in.DisplayName = *p.DisplayName
	}
	if p.Cordoned != nil {
		in.Cordoned = *p.Cordoned
	}
	if p.Taints != nil {
		in.Taints = *p.Taints
	}
	for k, v := range p.Labels {
		if v == nil {
			delete(in.Labels, k)
			continue
		}
		if in.Labels == nil {
			in.Labels = map[string]string{}
		}
		in.Labels[k] = *v
	}
}

// changeCluster applies change to a fresh copy of the cluster and writes it as the caller, retrying on a
// concurrent update, and answers with the cluster. A change that changes nothing writes nothing.
func (s *Server) changeCluster(w http.ResponseWriter, r *http.Request, name string, change func(*naasv1alpha1.Cluster) field.ErrorList) {
	caller := stateOf(r).user
	ctx := withCaller(r.Context(), caller)
	var c *naasv1alpha1.Cluster
	var invalidErrs field.ErrorList
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		c = &naasv1alpha1.Cluster{}
		if err := s.cfg.Reader.Get(ctx, client.ObjectKey{Name: name}, c); err != nil {
			return err
		}
		before := c.DeepCopy()
		if invalidErrs = change(c); len(invalidErrs) > 0 {
			return nil
		}
		if equalClusterSpec(before, c) {
			return nil
		}
		return s.cfg.AsCaller.Update(ctx, c)
	})
	switch {
	case apierrors.IsNotFound(err):
		s.fail(w, r, notFound("cluster %q not found; POST %s/clusters registers it", name, restv1.Prefix))
	case err != nil:
		s.fail(w, r, fmt.Errorf("change cluster %s as %s: %w", name, caller.Name, err))
	case len(invalidErrs) > 0:
		s.fail(w, r, invalid(invalidErrs))
	default:
		s.writeJSON(w, http.StatusOK, clusterOf(c, true))
	}
}

func equalClusterSpec(a, b *naasv1alpha1.Cluster) bool {
	return maps.Equal(a.Labels, b.Labels) && a.Spec.DisplayName == b.Spec.DisplayName &&
		a.Spec.Cordoned == b.Spec.Cordoned && slices.Equal(a.Spec.Taints, b.Spec.Taints)
}

func (s *Server) removeCluster(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	st := stateOf(r)
	st.target = "cluster/" + name
	orphan := false
	switch v := r.URL.Query().Get("orphan"); v {
	case "", "false":
	case "true":
		orphan = true
		st.detail("orphan", "true")
	default:
		s.fail(w, r, malformed("orphan", "enum", "orphan must be true or false, got %q", v))
		return
	}
	if !s.authorizeManageClusters(w, r) {
		return
	}
	if name == naasv1alpha1.LocalClusterName {
		s.fail(w, r, conflict("local is the management cluster and cannot be removed; cordon it instead (PATCH %s with {\"cordoned\": true})", clusterURL(name)))
		return
	}
	ctx := r.Context()
	c := &naasv1alpha1.Cluster{}
	if err := s.cfg.Reader.Get(ctx, client.ObjectKey{Name: name}, c); err != nil {
		if apierrors.IsNotFound(err) {
			s.fail(w, r, notFound("cluster %q not found", name))
			return
		}
		s.fail(w, r, fmt.Errorf("read cluster %s: %w", name, err))
		return
	}
	held, err := s.namespacesOn(ctx, name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(held) > 0 && !orphan {
		s.fail(w, r, conflict("cluster %s holds %d namespaces (%s): move or delete them, or remove it with orphan=true (naas cluster remove --orphan) to leave them in place",
			name, len(held), strings.Join(held, ", ")))
		return
	}
	caller := stateOf(r).user
	cctx := withCaller(ctx, caller)
	if orphan && c.Annotations[naasv1alpha1.AnnotationOrphan] != "true" {
		patch := client.MergeFrom(c.DeepCopy())
		metav1.SetMetaDataAnnotation(&c.ObjectMeta, naasv1alpha1.AnnotationOrphan, "true")
		if err := s.cfg.AsCaller.Patch(cctx, c, patch); err != nil {
			s.fail(w, r, fmt.Errorf("mark cluster %s to orphan its namespaces, as %s: %w", name, caller.Name, err))
			return
		}
	}
	if err := s.cfg.AsCaller.Delete(cctx, c, client.Preconditions{UID: &c.UID}); err != nil && !apierrors.IsNotFound(err) {
		s.fail(w, r, fmt.Errorf("remove cluster %s as %s: %w", name, caller.Name, err))
		return
	}
	if c.DeletionTimestamp == nil {
		c.DeletionTimestamp = ptr.To(metav1.NewTime(s.cfg.Now()))
	}
	s.writeJSON(w, http.StatusAccepted, clusterOf(c, true))
}

// namespacesOn lists the names of the claims placed on cluster name, read from the API server: a cluster must
// not be removed because the cache has not seen a claim placed a moment ago.
func (s *Server) namespacesOn(ctx context.Context, name string) ([]string, error) {
	return s.claimNamesWhere(ctx, func(c *naasv1alpha1.NamespaceClaim) bool { return c.Status.Cluster == name })
}

// clusterSpecFrom converts and validates a cluster body (its name, labels, taints and display name; the caller
// checks the kubeconfig). The API server validates again against the CRD schema; checking here reports every
// problem at once, with the API's field names.
func clusterSpecFrom(in restv1.ClusterInput) (naasv1alpha1.ClusterSpec, field.ErrorList) {
	var errs field.ErrorList
	name := field.NewPath("name")
	if in.Name == "" {
		errs = append(errs, field.Required(name, "name the cluster, e.g. \"member-1\""))
	} else {
		for _, msg := range validation.IsDNS1123Label(in.Name) {
			errs = append(errs, field.Invalid(name, in.Name, "must be a DNS-1123 label: "+msg))
		}
	}
	if len(in.DisplayName) > 128 {
		errs = append(errs, field.TooLong(field.NewPath("displayName"), "", 128))
	}
	if len(in.Labels) > maxClusterLabels {
		errs = append(errs, field.TooMany(field.NewPath("labels"), len(in.Labels), maxClusterLabels))
	}
	for _, k := range sortedKeys(in.Labels) {
		p := field.NewPath("labels").Key(k)
		for _, msg := range validation.IsQualifiedName(k) {
			errs = append(errs, field.Invalid(p, k, "invalid label key: "+msg))
		}
		for _, msg := range validation.IsValidLabelValue(in.Labels[k]) {
			errs = append(errs, field.Invalid(p, in.Labels[k], "invalid label value: "+msg))
		}
	}
	spec := naasv1alpha1.ClusterSpec{DisplayName: in.DisplayName, Cordoned: in.Cordoned}
	taints := field.NewPath("taints")
	if len(in.Taints) > maxClusterTaints {
		errs = append(errs, field.TooMany(taints, len(in.Taints), maxClusterTaints))
	}
	effects := []string{string(naasv1alpha1.ClusterTaintNoSchedule), string(naasv1alpha1.ClusterTaintPreferNoSchedule), string(naasv1alpha1.ClusterTaintNoExecute)}
	for i, t := range in.Taints {
		p := taints.Index(i)
		if t.Key == "" {
			errs = append(errs, field.Required(p.Child("key"), "the taint's key, e.g. \"gpu\""))
		}
		for _, msg := range validation.IsQualifiedName(t.Key) {
			if t.Key != "" {
				errs = append(errs, field.Invalid(p.Child("key"), t.Key, msg))
			}
		}
		for _, msg := range validation.IsValidLabelValue(t.Value) {
			errs = append(errs, field.Invalid(p.Child("value"), t.Value, msg))
		}
		if !slices.Contains(effects, t.Effect) {
			errs = append(errs, field.NotSupported(p.Child("effect"), t.Effect, effects))
		}
		for j := range i {
			if in.Taints[j].Key == t.Key && in.Taints[j].Effect == t.Effect {
				errs = append(errs, field.Duplicate(p, t.Key+":"+t.Effect))
			}
		}
		spec.Taints = append(spec.Taints, naasv1alpha1.ClusterTaint{Key: t.Key, Value: t.Value, Effect: naasv1alpha1.ClusterTaintEffect(t.Effect)})
	}
	return spec, toAPIFields(errs)
}

func taintsOf(taints []naasv1alpha1.ClusterTaint) []restv1.ClusterTaint {
	var out []restv1.ClusterTaint
	for _, t := range taints {
		out = append(out, restv1.ClusterTaint{Key: t.Key, Value: t.Value, Effect: string(t.Effect)})
	}
	return out
}

// clusterOf is the API's view of a Cluster. It has no field for the kubeconfig Secret: credentials, and where
// they are kept, are naas's alone. Conditions' messages, which may name the Secret or the member's address, are
// for platform admins (admin); tenants see each condition's status and reason.
func clusterOf(c *naasv1alpha1.Cluster, admin bool) restv1.Cluster {
	out := restv1.Cluster{
		Name:              c.Name,
		DisplayName:       c.Spec.DisplayName,
		Labels:            c.Labels,
		Taints:            taintsOf(c.Spec.Taints),
		Cordoned:          c.Spec.Cordoned,
		Ready:             meta.IsStatusConditionTrue(c.Status.Conditions, naasv1alpha1.ClusterReady),
		Reachable:         meta.IsStatusConditionTrue(c.Status.Conditions, naasv1alpha1.ClusterReachable),
		KubernetesVersion: c.Status.KubernetesVersion,
		Allocatable:       quantities(c.Status.Allocatable),
		Allocated:         quantities(c.Status.Allocated),
		NamespaceCount:    c.Status.NamespaceCount,
		LastHeartbeatTime: utcPtr(c.Status.LastHeartbeatTime),
	}
	for _, cond := range c.Status.Conditions {
		rc := restv1.Condition{Type: cond.Type, Status: string(cond.Status), Reason: cond.Reason, LastTransitionTime: cond.LastTransitionTime.UTC()}
		if admin {
			rc.Message = cond.Message
		}
		out.Conditions = append(out.Conditions, rc)
	}
	return out
}
