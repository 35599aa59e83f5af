// Package placement decides which member cluster a new namespace goes to. It is a pure function
// (Decide) over its own input types, with no client: the caller (the claim controller, once clusters are
// registered) gathers the candidate clusters, the tenant's, template's and tier's constraints, the tier's
// quota and the tenant's current spread, and records the Decision in the claim's status. A decision is made
// once: a placed namespace never moves, so nothing here looks at where a namespace already is, except to
// spread a tenant's next one.
//
// The decision runs in two stages, as Kubernetes' scheduler does. Predicates leave out clusters that cannot
// take the namespace (not the one the claim names, unreachable, cordoned, outside a selector, a taint not
// tolerated, not enough room for the tier's quota), each with a reason the claim's status shows. Scores then
// rank the rest (least allocated, the tenant spread across clusters, no untolerated PreferNoSchedule taint),
// weighted; ties go to the cluster whose name sorts first, so the same inputs always give the same answer.
package placement
