package bundle

import (
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// Status is what a claim's status shows of its namespace's bundle.
type Status struct {
	// Hostnames are the claim's hostnames its tenant owns, which the namespace holds (status.hostnames).
	Hostnames []string
	// DashboardURL links the namespace's dashboard (status.dashboardURL): set once the monitoring step is done
	// and there is a Grafana to load it, empty otherwise.
	DashboardURL string
}

// StatusOf returns what the status of in's claim shows of its bundle, once the steps for which done returns
// true are in place. Only in.Claim, in.Tenant and in.Config are read: the claim's hostnames are known even when
// the rest of the bundle cannot be built.
func StatusOf(in Input, done func(step string) bool) Status {
	var st Status
	if in.Claim == nil {
		return st
	}
	if in.Tenant != nil {
		st.Hostnames, _ = in.Config.Hostnames(in.Claim, in.Tenant)
	}
	if done(naasv1alpha1.ConditionMonitoring) {
		st.DashboardURL = in.Config.DashboardURL(in.Claim.Name)
	}
	return st
}
