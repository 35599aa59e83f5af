package servercmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"sync"
	"text/tabwriter"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/naas-dev/naas/internal/cluster"
	"github.com/naas-dev/naas/internal/localcp"
	"github.com/naas-dev/naas/internal/setup"
)

// maxLocalClusters bounds --clusters: each member is an etcd, a kube-apiserver and a kube-controller-manager,
// and a kube-scheduler and kwok with --nodes.
const maxLocalClusters = 5

// member is a member control plane of the local fleet.
type member struct {
	name   string
	labels map[string]string
	cp     *localcp.ControlPlane
}

// memberName is the name of the i-th member (from 1), its Cluster's and its data directory's.
func memberName(i int) string { return "member-" + strconv.Itoa(i) }

// memberLabels are the labels of the i-th member: a region of its own, and environments alternating dev and
// prod, so that tenants' placement has something to select by.
func memberLabels(i int) map[string]string {
	env := "dev"
	if i%2 == 0 {
		env = "prod"
	}
	return map[string]string{"naas.dev/region": "local-" + strconv.Itoa(i), "environment": env}
}

// memberDir is where the i-th member keeps its state: under the management plane's data directory, so that
// naas up on the same directory finds it again.
func memberDir(dataDir string, i int) string { return filepath.Join(dataDir, "members", memberName(i)) }

// startMembers starts n member control planes side by side, each with its own ports and data directory, and
// the same token users as the management cluster (a tenant's token then works on whichever cluster its
// namespace is placed). On error those started are stopped.
func startMembers(ctx context.Context, n int, opts localcp.Options, progress func(string, ...any)) ([]*member, error) {
	members := make([]*member, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		m := &member{name: memberName(i + 1), labels: memberLabels(i + 1)}
		members[i] = m
		o := opts
		o.DataDir = memberDir(opts.DataDir, i+1)
		o.APIServerPort = 0
		o.Progress = func(format string, args ...any) { progress(m.name+": "+format, args...) }
		wg.Go(func() {
			cp, err := localcp.Start(ctx, o)
			if err != nil {
				errs[i] = fmt.Errorf("start cluster %s: %w", m.name, err)
				return
			}
			m.cp = cp
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		stopMembers(members)
		return nil, err
	}
	return members, nil
}

func stopMembers(members []*member) {
	for _, m := range members {
		if m != nil && m.cp != nil {
			m.cp.Stop()
		}
	}
}

// registerMembers registers each member with naas as a Cluster, with a kubeconfig that is cluster-admin on it.
// Registering again (naas up on the same data directory) leaves the Clusters as they are, but for the labels
// naas up gives them and a kubeconfig with the member's current address.
func registerMembers(ctx context.Context, c client.Client, namespace string, members []*member) error {
	for _, m := range members {
		kubeconfig, err := cluster.Kubeconfig(m.cp.Config)
		if err != nil {
			return fmt.Errorf("kubeconfig of cluster %s: %w", m.name, err)
		}
		if _, err := cluster.Register(ctx, c, cluster.Registration{
			Name: m.name, Namespace: namespace, Kubeconfig: kubeconfig, Labels: m.labels,
			DisplayName: "local member " + m.name[len("member-"):],
		}); err != nil {
			return err
		}
	}
	return nil
}

// printMembers lists the fleet: each cluster, its API server and its kubeconfig.
func printMembers(w io.Writer, mgmt *localcp.ControlPlane, members []*member, rel func(string) string) {
	if len(members) == 0 {
		return
	}
	fmt.Fprintln(w, "\nClusters (naas cluster list shows when each is Ready):")
	t := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(t, "  NAME\tAPI SERVER\tKUBECONFIG\tLABELS")
	fmt.Fprintf(t, "  local\t%s\t%s\t(the management cluster)\n", mgmt.Host, rel(mgmt.KubeconfigPath))
	for _, m := range members {
		fmt.Fprintf(t, "  %s\t%s\t%s\tenvironment=%s,naas.dev/region=%s\n", m.name, m.cp.Host, rel(m.cp.KubeconfigPath),
			m.labels["environment"], m.labels["naas.dev/region"])
	}
	_ = t.Flush()
}

// directClient is a client of the management cluster as its admin, for naas up's own writes.
func directClient(p *setup.Platform, mgmt *localcp.ControlPlane) (client.Client, error) {
	return client.New(mgmt.Config, client.Options{Scheme: p.Manager.GetScheme()})
}

// registerTimeout bounds the registration of the members once naas is up.
const registerTimeout = time.Minute
