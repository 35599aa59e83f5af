package bench

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/naas-dev/naas/bench/report"
	"github.com/naas-dev/naas/internal/platform"
	"github.com/naas-dev/naas/internal/testenv"
)

// Figure 7's load: one tenant lists its namespace's ConfigMaps from fairnessWorkers workers while another
// tenant's requests are timed.
const (
	fairnessWorkers    = 32
	fairnessConfigMaps = 90 // the dev tier allows 100
	fairnessFloodFor   = time.Minute
)

// figureFairness measures another tenant's p99 under one tenant's list flood, against the same requests without
// the flood, with naas's priority levels and FlowSchemas in place (API Priority and Fairness).
func (s *Suite) figureFairness(ctx context.Context) error {
	const flooder, calm = "fair-flood", "fair-calm"
	for _, tn := range []struct{ name, admin string }{{flooder, "alice"}, {calm, "bob"}} {
		if _, err := s.tenant(ctx, tn.name, tn.admin); err != nil {
			return err
		}
		if err := s.c.CreateClaim(ctx, tn.name+"-web", tn.name); err != nil {
			return err
		}
		s.claims.Insert(tn.name + "-web")
	}
	if err := s.watch.Wait(ctx, 2*time.Minute, flooder+"-web", calm+"-web"); err != nil {
		return err
	}
	data := strings.Repeat("x", 4096)
	for i := range fairnessConfigMaps {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: flooder + "-web", Name: fmt.Sprintf("flood-%02d", i)},
			Data: map[string]string{"data": data}}
		if err := s.c.Admin.Create(ctx, cm); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create ConfigMap %s: %w", cm.Name, err)
		}
	}
	if err := s.settle(ctx); err != nil {
		return err
	}
	alice, err := testenv.NewCaller(s.c.Env.UserConfig("alice"))
	if err != nil {
		return err
	}
	bob, err := testenv.NewCaller(s.c.Env.UserConfig("bob"))
	if err != nil {
		return err
	}
	calmPath, floodPath := "/api/v1/namespaces/"+calm+"-web/configmaps", "/api/v1/namespaces/"+flooder+"-web/configmaps"
	quiet, err := bob.Latencies(ctx, calmPath, s.Sizes.FairnessRequests)
	if err != nil {
		return err
	}
	before, err := testenv.APIServerMetrics(ctx, s.c.Env.Config)
	if err != nil {
		return err
	}
	flood := testenv.Flood{Workers: fairnessWorkers, For: fairnessFloodFor, Max: 1 << 40}
	flooded, res, err := flood.LatenciesUnder(ctx, bob, calmPath, s.Sizes.FairnessRequests, alice, floodPath)
	if err != nil {
		return err
	}
	after, err := testenv.APIServerMetrics(ctx, s.c.Env.Config)
	if err != nil {
		return err
	}
	apf := testenv.APFWaits(before, after, platform.TierLevelName(benchTier),
		platform.TenantSchemaName(flooder, benchTier), platform.TenantSchemaName(calm, benchTier))
	v := report.Summarize(seconds(flooded))
	s.add(report.Figure{
		ID: "7", Title: "API Priority and Fairness: a tenant's requests while another tenant floods the API server with lists", Unit: "s",
		Method: fmt.Sprintf("%d GETs of a ConfigMap list, one after the other, by an admin of tenant %s in its namespace, timed while "+
			"%d workers of tenant %s list the %d ConfigMaps (4 KiB each) of theirs as fast as kube-apiserver answers; the baseline is "+
			"the same requests without the flood, just before. Both namespaces are in the dev tier: the flows differ by namespace.",
			s.Sizes.FairnessRequests, calm, fairnessWorkers, flooder, fairnessConfigMaps),
		Value:    &v,
		Baseline: &report.Baseline{Name: "the same requests without the flood", Value: report.Summarize(seconds(quiet))},
		Target:   &report.Target{Text: "p99 within 3x of the same requests without the flood", Stat: report.StatRatioP99, Max: 3},
		Notes: []string{
			fmt.Sprintf("the flood had %d lists answered, %d of them with 429", res.Answered, res.Throttled),
			fmt.Sprintf("kube-apiserver's priority and fairness (apiserver_flowcontrol_*): %s", apf),
		},
	})
	return nil
}

func seconds(d []time.Duration) []float64 {
	out := make([]float64, len(d))
	for i, x := range d {
		out[i] = x.Seconds()
	}
	return out
}
