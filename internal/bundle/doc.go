// Package bundle computes everything a namespace made by naas needs: the Namespace itself with its tenant,
// tier and Pod Security labels, the tier's ResourceQuota and LimitRange, RoleBindings for the tenant's owners,
// the network policies of the template's profile, and the template's extra manifests. It is pure: Build takes
// the claim and the objects it names and returns unstructured objects, grouped in steps that form a dependency
// graph, which the provisioning controller server-side-applies in order and reports one condition per step.
// Identical input always gives byte-identical output, so an idle resync finds nothing to change.
package bundle
