package apiclient

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	"github.com/naas-dev/naas/internal/httpx"
)

// Fixer is an error that knows what the user can do about it.
type Fixer interface {
	error
	// Fix says, in one line, what to do; "" when the error's own line says it.
	Fix() string
}

// FixOf returns the fix of the first Fixer in err's chain, or "".
func FixOf(err error) string {
	var f Fixer
	if errors.As(err, &f) {
		return f.Fix()
	}
	return ""
}

// Error is an error answer of the API: its problem document, and what the client knows about the request.
type Error struct {
	// Status is the HTTP status.
	Status int
	// Type, Title and Detail are the problem document's; Detail says what went wrong and usually what to change.
	Type, Title, Detail string
	// Fields are the fields of the request at fault.
	Fields []httpx.FieldError
	// RequestID identifies the request in naas's logs and audit log.
	RequestID string
	// RetryAfter is how long the server asked to wait before retrying; 0 when it did not say.
	RetryAfter time.Duration
	// Method, Path and Server say which request failed.
	Method, Path, Server string

	hadToken bool
	notNaas  bool
	command  string
}

var _ Fixer = (*Error)(nil)

// Error is one line: the problem's detail.
func (e *Error) Error() string {
	msg := e.Detail
	if msg == "" {
		msg = e.Title
	}
	if e.notNaas {
		msg = fmt.Sprintf("%s %s answered %d %s", e.Method, e.Server+e.Path, e.Status, http.StatusText(e.Status))
		if e.Detail != "" {
			msg += ": " + e.Detail
		}
	}
	return strings.Join(strings.Fields(msg), " ")
}

// IsStatus reports whether err is an API answer with status.
func IsStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}

// Fix says what to do about the error.
func (e *Error) Fix() string {
	cmd := e.command
	ref := ""
	if e.RequestID != "" {
		ref = " (request id " + e.RequestID + ")"
	}
	if e.notNaas {
		return fmt.Sprintf("something other than naas answered: check the server URL (%s login --server URL, or NAAS_SERVER)", cmd)
	}
	switch e.Status {
	case http.StatusUnauthorized:
		if !e.hadToken {
			return fmt.Sprintf("sign in: %s login --server %s --token TOKEN (or set NAAS_TOKEN)", cmd, e.Server)
		}
		return fmt.Sprintf("your token was refused: sign in again with %s login --server %s, or check NAAS_TOKEN", cmd, e.Server)
	case http.StatusForbidden:
		return fmt.Sprintf("ask an admin of the tenant, or the platform team, for the role named above; %s whoami shows your roles", cmd)
	case http.StatusNotFound:
		if e.Type == restv1.ProblemNoRoute {
			return fmt.Sprintf("%s does not serve this route: check the server URL, or use a CLI of the same version as naas", e.Server)
		}
		return e.listHint()
	case http.StatusMethodNotAllowed:
		return "use a CLI of the same version as the naas server"
	case http.StatusConflict:
		if e.RetryAfter > 0 {
			return fmt.Sprintf("naas is still catching up: retry in %s", e.RetryAfter)
		}
		if e.Type == restv1.ProblemUsageUnavailable {
			return "the platform team runs naas with --prometheus-url pointing at the Prometheus that scrapes the kubelets"
		}
		p := strings.TrimPrefix(e.Path, restv1.Prefix)
		switch {
		case strings.HasPrefix(p, "/namespaces"), strings.HasPrefix(p, "/approvals"):
			return fmt.Sprintf("%s describe NAME shows the namespace's state", cmd)
		case strings.HasPrefix(p, "/tenants/"):
			tenant, _, _ := strings.Cut(strings.TrimPrefix(p, "/tenants/"), "/")
			if e.Method == http.MethodDelete && !strings.Contains(strings.TrimPrefix(p, "/tenants/"), "/") {
				return fmt.Sprintf("%s list --tenant %s shows the tenant's namespaces", cmd, tenant)
			}
			return fmt.Sprintf("%s tenant describe %s shows its members", cmd, tenant)
		case strings.HasPrefix(p, "/clusters/"):
			return fmt.Sprintf("%s cluster describe %s shows the cluster", cmd, strings.TrimPrefix(p, "/clusters/"))
		}
		return ""
	case http.StatusUnprocessableEntity:
		return e.fieldsHint()
	case http.StatusTooManyRequests:
		wait := "a few seconds"
		if e.RetryAfter > 0 {
			wait = e.RetryAfter.String()
		}
		return fmt.Sprintf("you, or your tenant, are over the request rate: retry in %s", wait)
	case http.StatusBadRequest:
		if len(e.Fields) > 0 {
			return e.fieldsHint()
		}
		return "the server did not accept the request: use a CLI of the same version as naas" + ref
	case http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		return "the server did not accept the request: use a CLI of the same version as naas" + ref
	case http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout:
		return "retry in a moment; if it persists, tell the platform team" + ref
	default:
		if e.Status >= 500 {
			return "tell the platform team" + ref
		}
		return ""
	}
}

// listHint says which command lists what a 404 did not find.
func (e *Error) listHint() string {
	cmd := e.command
	switch p := strings.TrimPrefix(e.Path, restv1.Prefix); {
	case strings.HasPrefix(p, "/namespaces"), strings.HasPrefix(p, "/approvals"):
		return fmt.Sprintf("check the name: %s list shows the namespaces you can see", cmd)
	case strings.HasPrefix(p, "/catalog"):
		return fmt.Sprintf("check the name: %s catalog lists the templates", cmd)
	case strings.HasPrefix(p, "/tenants"):
		return fmt.Sprintf("check the name: %s tenant list shows the tenants you can see", cmd)
	case strings.HasPrefix(p, "/clusters"):
		return fmt.Sprintf("check the name: %s cluster list shows the clusters you can use", cmd)
	default:
		return ""
	}
}

// fieldsHint names the fields at fault and where to find valid values.
func (e *Error) fieldsHint() string {
	cmd := e.command
	var names []string
	var where []string
	add := func(s string) {
		if !slices.Contains(where, s) {
			where = append(where, s)
		}
	}
	for _, f := range e.Fields {
		if !slices.Contains(names, f.Field) {
			names = append(names, f.Field)
		}
		switch root, _, _ := strings.Cut(f.Field, "."); {
		case root == "parameters":
			add(cmd + " catalog describe TEMPLATE lists a template's parameters")
		case root == "tier":
			add(cmd + " tiers lists the tiers, " + cmd + " tenant describe TENANT those a tenant allows")
		case root == "template":
			add(cmd + " catalog lists the templates")
		case root == "tenant":
			add(cmd + " whoami lists your tenants")
		case root == "name" && f.Rule != "required":
			add(cmd + " tenant describe TENANT shows its naming rules")
		}
	}
	if len(names) == 0 {
		return ""
	}
	fix := "correct " + strings.Join(names, ", ")
	if len(where) > 0 {
		fix += "; " + strings.Join(where, "; ")
	}
	return fix
}

// UnreachableError is a request that got no answer from naas.
type UnreachableError struct {
	Server  string
	Err     error
	command string
}

var _ Fixer = (*UnreachableError)(nil)

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach naas at %s: %v", e.Server, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Fix says what to check.
func (e *UnreachableError) Fix() string {
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	switch {
	case errors.As(e.Err, &unknownCA):
		return fmt.Sprintf("the server's certificate is signed by an authority this host does not trust: %s login --server %s --ca-file CA.pem", e.command, e.Server)
	case errors.As(e.Err, &hostname):
		return "the server's certificate is not valid for this host name: use the URL the certificate names"
	default:
		return fmt.Sprintf("check the server URL (%s login --server URL, or NAAS_SERVER) and that naas is running there", e.command)
	}
}
