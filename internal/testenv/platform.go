package testenv

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/naas-dev/naas/internal/setup"
)

// StartPlatform starts naas (controllers, webhooks, HTTP server on a free port)
// against the environment, the way `naas serve` does, with the default catalog
// and tiers seeded. It returns the platform and a function that stops it.
func (e *Environment) StartPlatform(mutate ...func(*setup.Options)) (*setup.Platform, func(), error) {
	logs := io.Discard
	if os.Getenv("NAAS_TEST_LOGS") != "" {
		logs = os.Stderr
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(logs), zap.UseDevMode(true)))
	ctx, cancel := context.WithCancel(context.Background())
	cfg := e.NaasConfig
	if cfg == nil {
		cfg = e.Config
	}
	opts := setup.Options{
		Config:       cfg,
		Addr:         "127.0.0.1:0",
		SeedDefaults: true,
		Workers:      4,
	}
	if e.webhooksThroughService {
		throughService, err := e.ThroughWebhookService()
		if err != nil {
			cancel()
			return nil, nil, err
		}
		mutate = append([]func(*setup.Options){throughService}, mutate...)
	}
	for _, m := range mutate {
		m(&opts)
	}
	p, err := setup.New(ctx, opts)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	done := make(chan error, 1)
	go func() { done <- p.Start(ctx) }()
	deadline := time.Now().Add(60 * time.Second)
	for p.Ready() != nil {
		select {
		case err := <-done:
			cancel()
			return nil, nil, fmt.Errorf("platform stopped before it was ready: %w", err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			return nil, nil, fmt.Errorf("platform not ready: %w", p.Ready())
		}
	}
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			fmt.Fprintf(os.Stderr, "platform stopped with error: %v\n", err)
		}
		recordResidual()
	}
	return p, stop, nil
}

// Platform is naas running against an environment for a whole test package (MainWithPlatform).
type Platform struct {
	*setup.Platform
	stop func()
	once sync.Once
}

// NewPlatform wraps a platform StartPlatform started, with the function that stops it.
func NewPlatform(p *setup.Platform, stop func()) *Platform { return &Platform{Platform: p, stop: stop} }

// Stop stops naas; a second call does nothing. Tests that take naas down (an outage) call it themselves.
func (p *Platform) Stop() { p.once.Do(p.stop) }

// MainWithPlatform runs a test package's tests in one environment with naas running against it: call it from
// TestMain. naas is started with StartPlatform(mutate...) once *env is set, so mutate may use it, and
// opts.Seed runs once naas is up. It stores the environment in *env and, unless platform is nil, naas in
// *platform; it stops both after the tests and exits the process.
func MainWithPlatform(m *testing.M, env **Environment, platform **Platform, opts Options, mutate ...func(*setup.Options)) {
	e, err := Start(opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
		os.Exit(1)
	}
	*env = e
	p, stop, err := e.StartPlatform(mutate...)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testenv: start naas: %v\n", err)
		e.Stop()
		os.Exit(1)
	}
	running := &Platform{Platform: p, stop: stop}
	if platform != nil {
		*platform = running
	}
	if opts.Seed != nil {
		if err := opts.Seed(); err != nil {
			fmt.Fprintf(os.Stderr, "testenv: seed the tests' objects: %v\n", err)
			running.Stop()
			e.Stop()
			os.Exit(1)
		}
	}
	code := m.Run()
	running.Stop()
	StopPostgres()
	e.Stop()
	os.Exit(code)
}

// APITokenFile writes, once, the token file of naas's REST API (--api-token-file) in the environment's directory
// and returns its path: the environment's users call the API with the tokens the API server knows them by. It
// panics if the file cannot be written: the environment's own directory is not writable.
func (e *Environment) APITokenFile() string {
	path := filepath.Join(e.dir, "api-tokens.csv")
	e.tokenFile.Do(func() {
		var lines []string
		for _, u := range DefaultUsers {
			lines = append(lines, fmt.Sprintf("%s,%s,%s,%q", e.Token(u.Name), u.Name, u.Name, strings.Join(u.Groups, ",")))
		}
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			panic(fmt.Sprintf("testenv: write the API token file: %v", err))
		}
	})
	return path
}

// Path is a path in the environment's directory, which Stop removes.
func (e *Environment) Path(name string) string { return filepath.Join(e.dir, name) }
