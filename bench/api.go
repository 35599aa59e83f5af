package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/bench/report"
)

// apiCall makes one call of naas's REST API as user and returns its latency and body.
func (s *Suite) apiCall(ctx context.Context, hc *http.Client, method, path, user string, body any) (time.Duration, []byte, int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+s.naas.Addr+path, rd)
	if err != nil {
		return 0, nil, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+s.c.Env.Token(user))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	out, err := io.ReadAll(resp.Body)
	took := time.Since(start)
	resp.Body.Close()
	return took, out, resp.StatusCode, err
}

// figureREST times naas's REST API, when this build has one: listing a user's namespaces in a
// cluster of ScaleNamespaces namespaces, and requesting one.
func (s *Suite) figureREST(ctx context.Context) error {
	listTitle := fmt.Sprintf("REST API: GET /api/v1/namespaces for a tenant, %d namespaces in the cluster", s.claims.Len())
	listTarget := &report.Target{Text: "p99 at most 20 ms", Stat: report.StatP99, Max: 0.020}
	postTitle := "REST API: POST /api/v1/namespaces/request"
	hc := &http.Client{Timeout: 30 * time.Second}
	_, _, code, err := s.apiCall(ctx, hc, http.MethodGet, "/api/v1/me", scaleAdmin, nil)
	if err != nil {
		return err
	}
	if code == http.StatusNotFound {
		reason := "naas serves no REST API in this build (GET /api/v1/me answered 404)"
		s.add(report.Figure{ID: "6-list", Title: listTitle, Unit: "s", NotAvailable: reason, Target: listTarget})
		s.add(report.Figure{ID: "6-post", Title: postTitle, Unit: "s", NotAvailable: reason})
		return nil
	}
	if code != http.StatusOK {
		return fmt.Errorf("GET /api/v1/me as %s answered %d: the API does not accept the benchmark's token file", scaleAdmin, code)
	}
	tenant := "scale-0000"
	want := 0
	for _, name := range s.claims.UnsortedList() {
		if strings.HasPrefix(name, tenant+"-") {
			want++
		}
	}
	if err := s.settle(ctx); err != nil {
		return err
	}
	var api, kube []float64
	for range s.Sizes.ListRequests {
		took, body, code, err := s.apiCall(ctx, hc, http.MethodGet, "/api/v1/namespaces", scaleAdmin, nil)
		if err != nil {
			return err
		}
		if code != http.StatusOK {
			return fmt.Errorf("GET /api/v1/namespaces as %s: %d: %s", scaleAdmin, code, truncate(string(body), 300))
		}
		var list struct {
			Items []struct {
				Name string `json:"name"`
			} `json:"items"`
		}
		if err := json.Unmarshal(body, &list); err != nil {
			return fmt.Errorf("GET /api/v1/namespaces: %w", err)
		}
		if len(list.Items) != want {
			return fmt.Errorf("GET /api/v1/namespaces as %s listed %d namespaces, want the %d of tenant %s", scaleAdmin, len(list.Items), want, tenant)
		}
		api = append(api, took.Seconds())

		start := time.Now()
		nss := &corev1.NamespaceList{}
		if err := s.c.Admin.List(ctx, nss, client.MatchingLabels{naasv1alpha1.LabelTenant: tenant, naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue}); err != nil {
			return err
		}
		kube = append(kube, time.Since(start).Seconds())
	}
	v := report.Summarize(api)
	s.add(report.Figure{
		ID: "6-list", Title: listTitle, Unit: "s",
		Method: fmt.Sprintf("%d requests one after the other by %s, an admin of tenant %s with %d namespaces, each timed by the "+
			"client from request to the end of the body; the API's rate limits are turned off.", len(api), scaleAdmin, tenant, want),
		Value: &v,
		Baseline: &report.Baseline{
			Name:  fmt.Sprintf("kube-apiserver: LIST namespaces labelled naas.dev/tenant=%s, interleaved", tenant),
			Value: report.Summarize(kube),
		},
		Target: listTarget,
	})

	var posts, creates []float64
	for i := range s.Sizes.PostRequests {
		if err := s.waitNaasIdle(ctx); err != nil {
			return err
		}
		name := fmt.Sprintf("%s-api-%03d", tenant, i)
		took, body, code, err := s.apiCall(ctx, hc, http.MethodPost, "/api/v1/namespaces/request", scaleAdmin,
			map[string]any{"name": name, "tenant": tenant, "template": benchTemplate, "tier": benchTier})
		if err != nil {
			return err
		}
		if code != http.StatusCreated && code != http.StatusAccepted && code != http.StatusOK {
			return fmt.Errorf("POST /api/v1/namespaces/request as %s: %d: %s", scaleAdmin, code, truncate(string(body), 300))
		}
		s.claims.Insert(name)
		posts = append(posts, took.Seconds())

		if err := s.waitNaasIdle(ctx); err != nil {
			return err
		}
		kname := fmt.Sprintf("%s-kube-%03d", tenant, i)
		claim := claimObject(kname, tenant)
		start := time.Now()
		if err := s.userClient(scaleAdmin).Create(ctx, claim); err != nil {
			return fmt.Errorf("create claim %s as %s: %w", kname, scaleAdmin, err)
		}
		creates = append(creates, time.Since(start).Seconds())
		s.claims.Insert(kname)
	}
	p := report.Summarize(posts)
	s.add(report.Figure{
		ID: "6-post", Title: postTitle, Unit: "s",
		Method: fmt.Sprintf("%d requests one after the other by %s for a namespace in tenant %s, each after naas is idle.", len(posts), scaleAdmin, tenant),
		Value:  &p,
		Baseline: &report.Baseline{
			Name:  fmt.Sprintf("kube-apiserver: CREATE of the same NamespaceClaim by %s, with naas's admission, interleaved", scaleAdmin),
			Value: report.Summarize(creates),
		},
	})
	return nil
}

// userClient is a client that authenticates as one of the environment's users.
func (s *Suite) userClient(user string) client.Client {
	if c, ok := s.users[user]; ok {
		return c
	}
	cfg := s.c.Env.UserConfig(user)
	cfg.QPS, cfg.Burst = -1, 0
	c, err := client.New(cfg, client.Options{Scheme: s.c.Env.Scheme})
	if err != nil {
		panic(err) // only an invalid configuration fails here, and the environment's is valid
	}
	s.users[user] = c
	return c
}
