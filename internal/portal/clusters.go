package portal

import (
	"net/http"
	"sort"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
)

// clustersView lists the clusters the user may use; platform admins see every cluster, with its conditions'
// messages.
type clustersView struct {
	PlatformAdmin bool
	Clusters      []clusterRow
}

type clusterRow struct {
	restv1.Cluster
	// LabelList and TaintList are the labels and taints as k=v and k=v:Effect, sorted.
	LabelList, TaintList []string
	// Problem is the message of the first condition that is not True, for platform admins.
	Problem string
}

func (p *Portal) handleClusters(w http.ResponseWriter, r *http.Request, sess *Session) {
	me, err := p.me(r, sess)
	if err != nil {
		p.fail(w, r, sess, err)
		return
	}
	var list restv1.ClusterList
	if err := p.api.get(r.Context(), r, sess, "/clusters", &list); err != nil {
		p.fail(w, r, sess, err)
		return
	}
	v := clustersView{PlatformAdmin: me.PlatformAdmin}
	for _, c := range list.Items {
		row := clusterRow{Cluster: c}
		for k, val := range c.Labels {
			row.LabelList = append(row.LabelList, k+"="+val)
		}
		sort.Strings(row.LabelList)
		for _, t := range c.Taints {
			s := t.Key
			if t.Value != "" {
				s += "=" + t.Value
			}
			row.TaintList = append(row.TaintList, s+":"+t.Effect)
		}
		for _, cond := range c.Conditions {
			if cond.Status != "True" && cond.Message != "" {
				row.Problem = cond.Message
				break
			}
		}
		v.Clusters = append(v.Clusters, row)
	}
	title := "Clusters you may use"
	if me.PlatformAdmin {
		title = "All clusters"
	}
	p.show(w, r, sess, me, http.StatusOK, "clusters", title, "clusters", v)
}
