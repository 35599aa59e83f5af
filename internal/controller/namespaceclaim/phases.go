package namespaceclaim

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/apply"
	"github.com/naas-dev/naas/internal/bundle"
	"github.com/naas-dev/naas/internal/cluster"
	"github.com/naas-dev/naas/internal/tenancy"
)

// resolve finds the claim's tenant, template and tier and validates the claim against them.
func (r *Reconciler) resolve(ctx context.Context, s *scope) ([]result, error) {
	c := s.claim
	var err error
	if s.tenant, err = getOrNil(ctx, r.Client, c.Spec.Tenant, &naasv1alpha1.Tenant{}); err != nil {
		return nil, err
	}
	if s.template, err = getOrNil(ctx, r.Client, c.Spec.Template, &naasv1alpha1.NamespaceTemplate{}); err != nil {
		return nil, err
	}
	tierName := c.Spec.Tier
	if s.template != nil {
		tierName = tenancy.EffectiveTier(c, s.template)
	}
	c.Status.Tier = tierName
	if tierName != "" {
		if s.tier, err = getOrNil(ctx, r.Client, tierName, &naasv1alpha1.Tier{}); err != nil {
			return nil, err
		}
	}
	if errs := tenancy.ValidateClaim(c, s.tenant, s.template, s.tier); len(errs) > 0 {
		msg := errs.ToAggregate().Error()
		if hint := r.choices(ctx, tenancy.Reason(errs)); hint != "" {
			msg += "; " + hint
		}
		return []result{resultStalled(naasv1alpha1.ConditionValid, tenancy.Reason(errs), msg)}, nil
	}
	s.params, _ = tenancy.ResolveParameters(s.template, c)
	return []result{resultDone(naasv1alpha1.ConditionValid, "the tenant, template, tier and parameters are valid")}, nil
}

// choices tells which names exist, for an unknown tenant, template or tier.
func (r *Reconciler) choices(ctx context.Context, reason string) string {
	var list client.ObjectList
	var kind string
	switch reason {
	case naasv1alpha1.ReasonUnknownTenant:
		list, kind = &naasv1alpha1.TenantList{}, "tenants"
	case naasv1alpha1.ReasonUnknownTemplate:
		list, kind = &naasv1alpha1.NamespaceTemplateList{}, "templates"
	case naasv1alpha1.ReasonUnknownTier:
		list, kind = &naasv1alpha1.TierList{}, "tiers"
	default:
		return ""
	}
	if err := r.Client.List(ctx, list); err != nil {
		return ""
	}
	items, _ := meta.ExtractList(list)
	names := make([]string, 0, len(items))
	for _, it := range items {
		if o, ok := it.(client.Object); ok {
			names = append(names, o.GetName())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "there are no " + kind + " yet: ask a platform admin to create one"
	}
	return "existing " + kind + ": " + strings.Join(names, ", ")
}

func getOrNil[T client.Object](ctx context.Context, c client.Reader, name string, obj T) (T, error) {
	var zero T
	if name == "" {
		return zero, nil
	}
	if err := c.Get(ctx, client.ObjectKey{Name: name}, obj); err != nil {
		if apierrors.IsNotFound(err) {
			return zero, nil
		}
		return zero, fmt.Errorf("get %T %q: %w", obj, name, err)
	}
	return obj, nil
}

// authorize checks, before the namespace is first made, that the requester may create
// namespaces in the tenant. Admission checks this too; checking here as well keeps a
// namespace from being made when the webhook was bypassed or down.
func (r *Reconciler) authorize(_ context.Context, s *scope) ([]result, error) {
	req := s.claim.Spec.Requester
	if req == nil || meta.IsStatusConditionTrue(s.claim.Status.Conditions, naasv1alpha1.ConditionNamespace) {
		return nil, nil
	}
	d := tenancy.Authorize(tenancy.User{Name: req.Username, Groups: req.Groups}, s.tenant, tenancy.ActionCreateNamespace, s.claim)
	if !d.Allowed {
		return []result{resultStalled(naasv1alpha1.ConditionValid, naasv1alpha1.ReasonForbidden, d.Reason)}, nil
	}
	return nil, nil
}

// approve holds claims of templates that require approval until one is given.
func (r *Reconciler) approve(_ context.Context, s *scope) ([]result, error) {
	c := s.claim
	if !s.template.Spec.RequiresApproval || meta.IsStatusConditionTrue(c.Status.Conditions, naasv1alpha1.ConditionNamespace) {
		return []result{{condition: naasv1alpha1.ConditionApproved, outcome: off}}, nil
	}
	if c.Status.Approval == nil {
		c.Status.Approval = &naasv1alpha1.Approval{State: naasv1alpha1.ApprovalPending}
	}
	a := c.Status.Approval
	switch a.State {
	case naasv1alpha1.ApprovalApproved:
		return []result{resultDone(naasv1alpha1.ConditionApproved, fmt.Sprintf("approved by %s: %s", a.By, a.Reason))}, nil
	case naasv1alpha1.ApprovalRejected:
		return []result{resultStalled(naasv1alpha1.ConditionApproved, naasv1alpha1.ReasonRejected,
			fmt.Sprintf("rejected by %s: %s", a.By, a.Reason))}, nil
	default:
		return []result{{condition: naasv1alpha1.ConditionApproved, outcome: held, reason: naasv1alpha1.ReasonPendingApproval,
			message: fmt.Sprintf("template %q requires approval: waiting for an admin of tenant %q or a platform admin to approve or reject it",
				c.Spec.Template, c.Spec.Tenant)}}, nil
	}
}

// ownNamespace refuses to touch a namespace that exists and is not this claim's.
func (r *Reconciler) ownNamespace(ctx context.Context, s *scope) ([]result, error) {
	ns, err := r.getNamespace(ctx, s)
	if err != nil || ns == nil {
		return nil, err
	}
	return ownership(s.claim, ns), nil
}

// ownership is what an existing namespace means for the claim: nothing when it is the claim's, a stalled result
// when naas did not make it for this claim, a waiting one while it is being deleted.
func ownership(c *naasv1alpha1.NamespaceClaim, ns *metav1.PartialObjectMetadata) []result {
	if !owns(c, ns) {
		return []result{resultStalled(naasv1alpha1.ConditionNamespace, naasv1alpha1.ReasonNamespaceConflict,
			fmt.Sprintf("namespace %q already exists and is not managed by naas for tenant %q; naas never adopts or changes "+
				"a namespace it did not create: choose another name, or have a cluster admin remove the existing namespace", ns.Name, c.Spec.Tenant))}
	}
	if !ns.DeletionTimestamp.IsZero() {
		// The inventory tells of the namespace's removal; the requeue is a backstop.
		r := resultWaiting(naasv1alpha1.ConditionNamespace, naasv1alpha1.ReasonWaiting,
			fmt.Sprintf("namespace %q is being deleted; it is made again once the deletion finishes", ns.Name))
		r.requeueAfter = 2 * time.Second
		return []result{r}
	}
	return nil
}

// getNamespace returns the metadata of the claim's namespace on its target cluster, nil if there is none. A miss
// in the cache is confirmed with a direct read: the namespace may be new, made by someone else a moment ago, and
// naas must never apply its objects over a namespace it did not make.
func (r *Reconciler) getNamespace(ctx context.Context, s *scope) (*metav1.PartialObjectMetadata, error) {
	if s.target == nil {
		return nil, nil // never placed: nothing was made
	}
	ns := &metav1.PartialObjectMetadata{}
	ns.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
	key := client.ObjectKey{Name: s.claim.Name}
	err := s.target.Client.Get(ctx, key, ns)
	if apierrors.IsNotFound(err) {
		err = s.target.Reader.Get(ctx, key, ns)
	}
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get namespace %s on cluster %s: %w", key.Name, s.target.Name, err)
	}
	return ns, nil
}

func owns(c *naasv1alpha1.NamespaceClaim, ns *metav1.PartialObjectMetadata) bool {
	l := ns.Labels
	return l[naasv1alpha1.LabelManagedBy] == naasv1alpha1.ManagedByValue &&
		l[naasv1alpha1.LabelClaim] == c.Name && l[naasv1alpha1.LabelTenant] == c.Spec.Tenant
}

// applyBundle applies the namespace's objects step by step, in dependency order, and publishes what the
// claim's status shows of them.
func (r *Reconciler) applyBundle(ctx context.Context, s *scope) ([]result, error) {
	c := s.claim
	collaborators, peers, err := r.neighbours(ctx, s)
	if err != nil {
		return nil, err
	}
	in := bundle.Input{
		Claim: c, Tenant: s.tenant, Template: s.template, Tier: s.tier, Parameters: s.params, Config: r.Bundle,
		Collaborators: collaborators, PeerNamespaces: peers,
	}
	steps, err := bundle.Build(in)
	if err != nil {
		c.Status.Hostnames = bundle.StatusOf(in, func(string) bool { return false }).Hostnames
		return []result{buildFailed(c, err)}, nil
	}
	outcomes := r.doSteps(ctx, s, steps)
	results := make([]result, len(steps))
	var errs []error
	for i, o := range outcomes {
		results[i] = o.result
		if o.err != nil {
			errs = append(errs, o.err)
		}
	}
	st := bundle.StatusOf(in, func(step string) bool {
		i := slices.IndexFunc(results, func(r result) bool { return r.condition == step })
		return i >= 0 && results[i].outcome == done
	})
	c.Status.Hostnames, c.Status.DashboardURL = st.Hostnames, st.DashboardURL
	if err := r.prune(ctx, s, steps); err != nil {
		errs = append(errs, err)
	}
	return results, errors.Join(errs...)
}

// buildFailed is the result of a bundle that could not be built: a template's error is for its author to fix;
// any other means the input was incomplete, which no retry changes either.
func buildFailed(c *naasv1alpha1.NamespaceClaim, err error) result {
	reason := naasv1alpha1.ReasonFailed
	msg := fmt.Sprintf("the namespace's objects could not be built, nothing was changed: %v", err)
	if te := (*bundle.TemplateError)(nil); errors.As(err, &te) {
		reason = naasv1alpha1.ReasonTemplateError
		msg += fmt.Sprintf("; fix template %q", c.Spec.Template)
	}
	return resultStalled(naasv1alpha1.ConditionManifests, reason, msg)
}

// stepOutcome is what one step did: its result, and the error to return, if any.
type stepOutcome struct {
	result result
	err    error
}

// doSteps does the steps concurrently, each once the steps it depends on are done and ready: everything after
// the Namespace is independent, and one namespace's objects are written in the time of the slowest step rather
// than of all of them in a row. It returns the outcomes in the order of steps; the conditions are set from them
// in that order, so that a claim's status does not depend on which step finished first.
func (r *Reconciler) doSteps(ctx context.Context, s *scope, steps []bundle.Step) []stepOutcome {
	outcomes := make([]stepOutcome, len(steps))
	finished := make(map[string]chan struct{}, len(steps))
	index := make(map[string]int, len(steps))
	for i, step := range steps {
		finished[step.Name] = make(chan struct{})
		index[step.Name] = i
	}
	var wg sync.WaitGroup
	for i, step := range steps {
		wg.Go(func() {
			defer close(finished[step.Name])
			var waiting []string
			for _, d := range step.DependsOn {
				if ch, ok := finished[d]; ok {
					<-ch
					if outcomes[index[d]].result.outcome == done {
						continue
					}
				}
				waiting = append(waiting, d)
			}
			outcomes[i] = r.doStep(ctx, s, step, waiting)
		})
	}
	wg.Wait()
	return outcomes
}

// doStep does one step, whose dependencies not ready are waiting.
func (r *Reconciler) doStep(ctx context.Context, s *scope, step bundle.Step, waiting []string) stepOutcome {
	failed := func(err error) stepOutcome {
		return stepOutcome{result: resultWaiting(step.Name, naasv1alpha1.ReasonApplyFailed, err.Error()), err: err}
	}
	if step.Off {
		if err := r.remove(ctx, s, step.Remove); err != nil {
			return failed(err)
		}
		return stepOutcome{result: result{condition: step.Name, outcome: off}}
	}
	missing, err := r.missingKinds(ctx, s.target, step.Requires)
	if err != nil {
		o := failed(err)
		o.result.message = fmt.Sprintf("could not tell whether cluster %s serves %s: %v", s.target.Name, formatKinds(step.Requires), err)
		return o
	}
	if len(missing) > 0 {
		o := stepOutcome{result: notApplicable(step, s.target.Name, missing)}
		if s.target.Kinds != nil {
			// A member's CRDs are not watched: look again now and then, so that the step completes by itself.
			o.result.requeueAfter = memberKindsRecheck
		}
		return o
	}
	if step.Err != nil {
		o := stepOutcome{result: resultStalled(step.Name, naasv1alpha1.ReasonFailed, step.Err.Error())}
		if err := r.remove(ctx, s, step.Remove); err != nil {
			o.result.message += "; " + err.Error()
			o.err = err
		}
		return o
	}
	if len(waiting) > 0 {
		return stepOutcome{result: resultWaiting(step.Name, naasv1alpha1.ReasonWaiting, "waiting for "+strings.Join(waiting, ", "))}
	}
	if err := r.applyStep(ctx, s, step); err != nil {
		return failed(err)
	}
	if err := r.remove(ctx, s, step.Remove); err != nil {
		return failed(err)
	}
	return stepOutcome{result: resultDone(step.Name, stepMessage(step))}
}

// notApplicable is the result of a step whose kinds the cluster does not serve.
func notApplicable(step bundle.Step, cluster string, missing []schema.GroupVersionKind) result {
	install := step.Install
	if install == "" {
		install = "the CustomResourceDefinitions that define them"
	}
	return result{condition: step.Name, outcome: skipped, reason: naasv1alpha1.ReasonNotApplicable, message: fmt.Sprintf(
		"cluster %s does not serve %s: install %s; the step completes by itself once they are served, and does "+
			"not hold Ready back meanwhile", cluster, formatKinds(missing), install)}
}

// memberKindsRecheck is how often a claim on a member whose step lacks its kinds asks the member's discovery
// again: naas watches the CRDs of the management cluster only.
const memberKindsRecheck = time.Minute

// missingKinds returns the kinds that the target cluster does not serve: from the target's own discovery (a
// member), else the reconciler's (the management cluster). Every kind counts as served when neither is set.
func (r *Reconciler) missingKinds(ctx context.Context, target *cluster.Target, kinds []schema.GroupVersionKind) ([]schema.GroupVersionKind, error) {
	if len(kinds) == 0 {
		return nil, nil
	}
	if target != nil && target.Kinds != nil {
		return target.Kinds.Missing(ctx, kinds)
	}
	if r.Kinds == nil {
		return nil, nil
	}
	return r.Kinds.Missing(ctx, kinds)
}

// remove deletes the objects a step no longer wants, only those carrying this claim's labels, never what naas did
// not make. It reads their metadata through the target's client: from the cache for the kinds naas caches
// (label-selected to naas's own objects, which are all it may delete), directly for the others. Every claim without monitoring
// checks for its dashboard on every pass; a direct read each time was 10,000 reads at a restart with 10,000
// namespaces.
func (r *Reconciler) remove(ctx context.Context, s *scope, refs []bundle.ObjectRef) error {
	var errs []error
	for _, ref := range refs {
		missing, err := r.missingKinds(ctx, s.target, []schema.GroupVersionKind{ref.GVK})
		if err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", ref, err))
			continue
		}
		if len(missing) > 0 {
			continue // a kind the cluster does not serve has no objects
		}
		obj := &metav1.PartialObjectMetadata{}
		obj.SetGroupVersionKind(ref.GVK)
		key := client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}
		if err := s.target.Client.Get(ctx, key, obj); err != nil {
			if !apierrors.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("read %s in %s on cluster %s to remove it: %w", ref, ref.Namespace, s.target.Name, err))
			}
			continue
		}
		if l := obj.GetLabels(); l[naasv1alpha1.LabelManagedBy] != naasv1alpha1.ManagedByValue || l[naasv1alpha1.LabelClaim] != s.claim.Name {
			continue
		}
		uid := obj.GetUID()
		if err := s.target.Client.Delete(ctx, obj, client.Preconditions{UID: &uid}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove %s from %s on cluster %s: %w", ref, ref.Namespace, s.target.Name, err))
			continue
		}
		ctrl.LoggerFrom(ctx).Info("Removed object", "kind", ref.GVK.Kind, "name", ref.Name, "namespace", ref.Namespace)
	}
	return errors.Join(errs...)
}

func stepMessage(step bundle.Step) string {
	if step.Message != "" {
		return step.Message
	}
	if len(step.Objects) == 0 {
		return "nothing to create"
	}
	names := make([]string, 0, len(step.Objects))
	for _, o := range step.Objects {
		names = append(names, o.GetKind()+"/"+o.GetName())
	}
	return strings.Join(names, ", ") + " in place"
}

// applyStep applies the objects of a step: concurrently, except for the namespace and a template's manifests,
// whose order the template author chose (a resource may need the one before it).
func (r *Reconciler) applyStep(ctx context.Context, s *scope, step bundle.Step) error {
	if step.Name == naasv1alpha1.ConditionNamespace || step.Name == naasv1alpha1.ConditionManifests || len(step.Objects) < 2 {
		for _, obj := range step.Objects {
			if err := r.applyObject(ctx, s, obj); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, len(step.Objects))
	var wg sync.WaitGroup
	for i, obj := range step.Objects {
		wg.Go(func() { errs[i] = r.applyObject(ctx, s, obj) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// applyObject applies one object of the bundle, unless it is in place.
func (r *Reconciler) applyObject(ctx context.Context, s *scope, obj *unstructured.Unstructured) error {
	// Stamped first, so that the checks below compare like with like (apply.Ensure stamps again, which
	// changes nothing).
	stamp, err := apply.Stamp(obj)
	if err != nil {
		return err
	}
	drops := false
	if obj.GetKind() == "Namespace" && obj.GroupVersionKind().Group == "" {
		// A namespace in place carries exactly the labels and annotations naas last applied: nothing to drop.
		// One not found is applied unconditionally (apply.Ensure), and server-side apply drops whatever
		// naas applied before and no longer wants.
		live := &metav1.PartialObjectMetadata{}
		live.SetGroupVersionKind(obj.GroupVersionKind())
		err := s.target.Client.Get(ctx, client.ObjectKeyFromObject(obj), live)
		switch {
		case err == nil && apply.InPlace(live, stamp):
			return nil
		case err == nil:
			if drops, err = r.dropsOwnedMetadata(ctx, s, obj); err != nil {
				return fmt.Errorf("on cluster %s: %w", s.target.Name, err)
			}
		case !apierrors.IsNotFound(err):
			return fmt.Errorf("on cluster %s: read namespace %s: %w", s.target.Name, obj.GetName(), err)
		}
	}
	if drops {
		// The live object contains everything wanted, plus labels or annotations naas set before: apply it
		// anyway, so that server-side apply removes them.
		if err := s.target.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj.DeepCopy()),
			client.FieldOwner(apply.FieldOwner), client.ForceOwnership); err != nil {
			return fmt.Errorf("on cluster %s: apply %s %s: %w", s.target.Name, obj.GetKind(), obj.GetName(), err)
		}
		ctrl.LoggerFrom(ctx).Info("Removed labels or annotations naas no longer sets", "kind", obj.GetKind(), "name", obj.GetName())
		return nil
	}
	res, err := apply.Ensure(ctx, s.target.Client, s.target.Client, obj)
	if err != nil {
		return fmt.Errorf("on cluster %s: %w", s.target.Name, err)
	}
	if res != apply.Unchanged {
		ctrl.LoggerFrom(ctx).V(1).Info("Applied object", "kind", obj.GetKind(), "name", obj.GetName(), "created", res == apply.Created)
	}
	return nil
}

// prune deletes naas objects of the kinds naas manages that the bundle no longer
// wants: a role binding for a role that lost its last member, a network policy
// the template turned off, a limit range the tier dropped.
func (r *Reconciler) prune(ctx context.Context, s *scope, steps []bundle.Step) error {
	want := sets.New[string]()
	for _, step := range steps {
		for _, o := range step.Objects {
			want.Insert(o.GetKind() + "/" + o.GetName())
		}
	}
	sel := client.MatchingLabels{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue, naasv1alpha1.LabelClaim: s.claim.Name}
	in := client.InNamespace(s.claim.Name)
	var stale []client.Object
	for _, gvk := range []schema.GroupVersionKind{
		rbacv1.SchemeGroupVersion.WithKind("RoleBinding"),
		networkingv1.SchemeGroupVersion.WithKind("NetworkPolicy"),
		corev1.SchemeGroupVersion.WithKind("LimitRange"),
	} {
		list := &metav1.PartialObjectMetadataList{}
		list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		if err := s.target.Client.List(ctx, list, in, sel); err != nil {
			return fmt.Errorf("list %s to prune: %w", gvk.Kind, err)
		}
		for i := range list.Items {
			if o := &list.Items[i]; !want.Has(gvk.Kind + "/" + o.GetName()) {
				o.SetGroupVersionKind(gvk)
				stale = append(stale, o)
			}
		}
	}
	var errs []error
	for _, o := range stale {
		if err := s.target.Client.Delete(ctx, o); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete stale %s: %w", o.GetName(), err))
		}
	}
	return errors.Join(errs...)
}

// reconcileDelete deletes the namespace, then releases the claim.
func (r *Reconciler) reconcileDelete(ctx context.Context, s *scope) (ctrl.Result, error) {
	c := s.claim
	if !controllerutil.ContainsFinalizer(c, naasv1alpha1.FinalizerNamespace) {
		return ctrl.Result{}, nil
	}
	if c.Spec.DeletionProtection {
		// The namespace stays: its condition stays True; Ready says what holds the deletion back.
		s.report(result{condition: naasv1alpha1.ConditionNamespace, outcome: done, reason: naasv1alpha1.ReasonWaiting,
			message: "deletion of the claim is blocked by deletion protection: set spec.deletionProtection to false to delete the namespace"})
		return ctrl.Result{}, nil
	}
	ns, err := r.getNamespace(ctx, s)
	if err != nil {
		return ctrl.Result{}, err
	}
	if ns != nil && owns(c, ns) {
		if ns.Labels[bundle.LabelDeletionProtection] == "true" {
			patch := client.MergeFrom(ns.DeepCopy())
			delete(ns.Labels, bundle.LabelDeletionProtection)
			if err := s.target.Client.Patch(ctx, ns, patch); err != nil {
				return ctrl.Result{}, fmt.Errorf("lift deletion protection of namespace %s: %w", ns.Name, err)
			}
		}
		if ns.DeletionTimestamp.IsZero() {
			if err := s.target.Client.Delete(ctx, ns); err != nil && !apierrors.IsNotFound(err) {
				return ctrl.Result{}, fmt.Errorf("delete namespace %s: %w", ns.Name, err)
			}
			ctrl.LoggerFrom(ctx).Info("Deleting namespace", "namespace", ns.Name)
		}
		// The inventory tells of the namespace's removal; the requeue is a backstop.
		res := resultWaiting(naasv1alpha1.ConditionNamespace, naasv1alpha1.ReasonWaiting, fmt.Sprintf("namespace %q is being deleted", ns.Name))
		res.requeueAfter = time.Second
		s.report(res)
		return ctrl.Result{RequeueAfter: res.requeueAfter}, nil
	}
	// The namespace is gone, or it was never ours: release the claim.
	patch := client.MergeFrom(c.DeepCopy())
	controllerutil.RemoveFinalizer(c, naasv1alpha1.FinalizerNamespace)
	if err := r.Client.Patch(ctx, c, patch); err != nil && !apierrors.IsNotFound(err) {
		return ctrl.Result{}, fmt.Errorf("remove finalizer: %w", err)
	}
	s.skipStatus = true // the claim may be gone now
	return ctrl.Result{}, nil
}
