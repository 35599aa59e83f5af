package portal

import (
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
)

// pageNames are the page templates; each is parsed with layout.html and defines "content".
var pageNames = []string{
	"signin", "home", "catalog", "template", "request", "progress", "namespace", "tenants", "tenant", "approvals", "clusters", "error",
	"costs", "costs-index", "recommendations",
}

func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"pathEscape":  url.PathEscape,
		"queryEscape": url.QueryEscape,
		"join":        strings.Join,
		"markdown":    renderMarkdown,
		"when":        formatTime,
		"ago":         ago,
		"phaseClass":  phaseClass,
		"deref": func(s *string) string {
			if s == nil {
				return ""
			}
			return *s
		},
		"fieldID": fieldID,
		"amount":  amount,
		"list":    func(s ...string) []string { return s },
		"title":   titleCase,
	}
	pages := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/cost-parts.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse portal page %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// formatTime shows a time in UTC, to the minute.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// ago says how long ago t was, coarsely.
func ago(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d.Minutes()), "minute") + " ago"
	case d < 48*time.Hour:
		return plural(int(d.Hours()), "hour") + " ago"
	default:
		return plural(int(d.Hours()/24), "day") + " ago"
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// phaseClass is the CSS class of a phase badge.
func phaseClass(phase string) string {
	switch phase {
	case "Ready":
		return "badge ok"
	case "Failed":
		return "badge bad"
	case "Terminating":
		return "badge muted"
	default:
		return "badge busy"
	}
}

// fieldID is the id of a form input named by an API field: "parameters.owner_email" is
// "f-parameters-owner_email".
func fieldID(name string) string {
	return "f-" + strings.NewReplacer(".", "-", "/", "-", " ", "-").Replace(name)
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// amount shows a money amount, which the API gives as a Kubernetes quantity ("1k"), in plain digits ("1000").
func amount(s string) string {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return s
	}
	return q.AsDec().String()
}
