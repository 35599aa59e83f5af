// Package layers checks the import graph: the client side of naas (the REST API's wire types, its client, the
// CLI's client commands and kubectl-naas) links none of the server side, and the webhooks none of the controllers.
// A client package that imports a server package, even for one constant, drags the controllers, the inventory
// and SQLite into every client binary; these tests name the import chain that did it.
package layers

import (
	"errors"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/naas-dev/naas/"

// serverSide are the packages, each with everything under it, that the client side must not depend on, and why.
var serverSide = map[string]string{
	module + "internal/apiserver":     "the REST API server; its wire types are api/rest/v1",
	module + "internal/portal":        "the portal, which serves HTML over the API in process",
	module + "internal/controller":    "the controllers",
	module + "internal/webhook":       "the admission webhooks",
	module + "internal/inventory":     "the inventory of naas's objects in each target cluster",
	module + "internal/audit":         "the audit store (SQLite or PostgreSQL)",
	module + "internal/setup":         "the wiring of the whole platform",
	module + "internal/localcp":       "the local control plane of naas up",
	module + "internal/cli/servercmd": "the server commands",
	"modernc.org/sqlite":              "the database of the audit store",
	"github.com/jackc/pgx/v5":         "the PostgreSQL driver of the audit store",
	"sigs.k8s.io/controller-runtime":  "managers, caches and webhook servers: no client runs one",
}

// graph is the import graph below some packages, as go list reports it.
type graph map[string][]string

// deps loads the packages pkgs depend on (test files left out: a test may use the server to check a client).
func deps(t *testing.T, pkgs ...string) graph {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the import graph: %v", err)
	}
	args := append([]string{"list", "-deps", "-f", "{{.ImportPath}} {{join .Imports \" \"}}"}, pkgs...)
	out, err := exec.Command(goCmd, args...).Output()
	if err != nil {
		var stderr string
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	g := graph{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		g[fields[0]] = fields[1:]
	}
	return g
}

// chain is the shortest import chain from root to a package that matches, or nil.
func (g graph) chain(root string, matches func(string) bool) []string {
	parent := map[string]string{root: ""}
	queue := []string{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p != root && matches(p) {
			var path []string
			for ; p != ""; p = parent[p] {
				path = append([]string{p}, path...)
			}
			return path
		}
		for _, imp := range g[p] {
			if _, seen := parent[imp]; !seen {
				parent[imp] = p
				queue = append(queue, imp)
			}
		}
	}
	return nil
}

// under says whether p is pkg or a package under it.
func under(p, pkg string) bool { return p == pkg || strings.HasPrefix(p, pkg+"/") }

// TestClientSide_DependsOnNoServerPackage lists what the client side links and fails on any server package,
// naming the chain of imports that brought it in.
func TestClientSide_DependsOnNoServerPackage(t *testing.T) {
	roots := []string{
		module + "api/rest/v1",
		module + "internal/apiclient",
		module + "internal/cli/clientcmd",
		module + "cmd/kubectl-naas",
	}
	denied := slices.Sorted(maps.Keys(serverSide))
	g := deps(t, roots...)
	for _, root := range roots {
		if _, ok := g[root]; !ok {
			t.Fatalf("go list did not list %s", root)
		}
		for _, pkg := range denied {
			if path := g.chain(root, func(p string) bool { return under(p, pkg) }); path != nil {
				t.Errorf("%s depends on %s (%s): %s", root, pkg, serverSide[pkg], strings.Join(path, " -> "))
			}
		}
	}
}

// TestWireTypes_DependOnTheStandardLibraryOnly keeps api/rest/v1 importable by any client, in any program.
func TestWireTypes_DependOnTheStandardLibraryOnly(t *testing.T) {
	root := module + "api/rest/v1"
	g := deps(t, root)
	if path := g.chain(root, func(p string) bool { return strings.Contains(strings.Split(p, "/")[0], ".") }); path != nil {
		t.Errorf("%s depends on more than the standard library: %s", root, strings.Join(path, " -> "))
	}
}

// TestWebhooks_DependOnNoController: the webhooks share what they need with the controllers (index names,
// pure decisions) through packages both import, never through a controller.
func TestWebhooks_DependOnNoController(t *testing.T) {
	g := deps(t, module+"internal/webhook/...")
	for root := range g {
		if !strings.HasPrefix(root, module+"internal/webhook/") {
			continue
		}
		if path := g.chain(root, func(p string) bool { return under(p, module+"internal/controller") }); path != nil {
			t.Errorf("%s depends on a controller: %s", root, strings.Join(path, " -> "))
		}
	}
}
