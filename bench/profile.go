package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"k8s.io/client-go/rest"
)

// profiler saves pprof profiles of naas and kube-apiserver to a directory while a figure's load runs, for
// looking into a run with go tool pprof; a nil profiler saves nothing.
type profiler struct {
	dir string
	log func(format string, args ...any)
}

// during fetches, concurrently, a CPU profile and an allocation profile (what was allocated in the window) of
// naas and a CPU profile of kube-apiserver, each over window, named after figure. It returns a function that
// waits for them; failures are logged, not returned: a profile is an aid, never a figure.
func (p *profiler) during(ctx context.Context, figure string, naas *Naas, cfg *rest.Config, window time.Duration) (wait func()) {
	if p == nil || p.dir == "" {
		return func() {}
	}
	secs := max(1, int(window.Seconds()))
	var wg sync.WaitGroup
	fetch := func(name string, hc *http.Client, url string) {
		wg.Go(func() {
			path := filepath.Join(p.dir, figure+"-"+name)
			if err := saveURL(ctx, hc, url, path); err != nil {
				p.log("profile %s: %v", name, err)
				return
			}
			p.log("profile saved: %s", path)
		})
	}
	timeout := window + 30*time.Second
	naasHC := &http.Client{Timeout: timeout}
	fetch("naas.cpu.pb.gz", naasHC, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", naas.Addr, secs))
	fetch("naas.allocs.pb.gz", naasHC, fmt.Sprintf("http://%s/debug/pprof/allocs?seconds=%d", naas.Addr, secs))
	if hc, err := rest.HTTPClientFor(cfg); err == nil {
		hc.Timeout = timeout
		fetch("kube-apiserver.cpu.pb.gz", hc, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", cfg.Host, secs))
	} else {
		p.log("profile kube-apiserver: %v", err)
	}
	return wg.Wait
}

// heap saves naas's live heap (after a collection), named after figure.
func (p *profiler) heap(ctx context.Context, figure string, naas *Naas) {
	if p == nil || p.dir == "" {
		return
	}
	path := filepath.Join(p.dir, figure+"-naas.heap.pb.gz")
	if err := saveURL(ctx, &http.Client{Timeout: time.Minute}, fmt.Sprintf("http://%s/debug/pprof/heap?gc=1", naas.Addr), path); err != nil {
		p.log("profile heap: %v", err)
		return
	}
	p.log("profile saved: %s", path)
}

func saveURL(ctx context.Context, hc *http.Client, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
