// Package bundle computes everything a namespace made by naas needs: the Namespace itself with its tenant,
// tier and Pod Security labels, the tier's ResourceQuota and LimitRange, RoleBindings for the tenant's owners,
// the network policies of the template's profile, the template's extra manifests and, for templates that turn
// them on, the alert rules, alert routing and dashboard of internal/monitoring, a Gateway for the namespace's
// hostnames (see internal/domains) and the Istio mesh's mutual TLS and authorization policies; collaborating
// tenants get RoleBindings and, when let in, network policies. It is pure: Build takes
// the claim and the objects it names and returns unstructured objects, grouped in steps that form a dependency
// graph, which the provisioning controller server-side-applies in order and reports one condition per step. A
// step may require API kinds a cluster does not always serve (an add-on's CRDs); the controller decides whether
// the target cluster serves them. Identical input always gives byte-identical output, so an idle resync finds
// nothing to change.
package bundle
