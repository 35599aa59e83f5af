package clientcmd

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/apiclient"
)

// stepOrder is the order provisioning steps are shown in; steps naas adds later follow in the server's order.
var stepOrder = []string{
	naasv1alpha1.ConditionValid,
	naasv1alpha1.ConditionApproved,
	naasv1alpha1.ConditionPlaced,
	naasv1alpha1.ConditionNamespace,
	naasv1alpha1.ConditionQuota,
	naasv1alpha1.ConditionLimitRange,
	naasv1alpha1.ConditionRBAC,
	naasv1alpha1.ConditionNetworkPolicies,
	naasv1alpha1.ConditionManifests,
	naasv1alpha1.ConditionMonitoring,
	naasv1alpha1.ConditionGateway,
	naasv1alpha1.ConditionTLS,
	naasv1alpha1.ConditionMesh,
}

// stepLabels name the steps for people.
var stepLabels = map[string]string{
	naasv1alpha1.ConditionValid:           "Request validated",
	naasv1alpha1.ConditionApproved:        "Approval",
	naasv1alpha1.ConditionPlaced:          "Placed on a cluster",
	naasv1alpha1.ConditionNamespace:       "Namespace",
	naasv1alpha1.ConditionQuota:           "Resource quota",
	naasv1alpha1.ConditionLimitRange:      "Limit range",
	naasv1alpha1.ConditionRBAC:            "Access (RBAC)",
	naasv1alpha1.ConditionNetworkPolicies: "Network policies",
	naasv1alpha1.ConditionManifests:       "Template objects",
	naasv1alpha1.ConditionMonitoring:      "Monitoring",
	naasv1alpha1.ConditionGateway:         "Gateway",
	naasv1alpha1.ConditionTLS:             "TLS certificates",
	naasv1alpha1.ConditionMesh:            "Service mesh",
}

func stepLabel(typ string) string {
	if l, ok := stepLabels[typ]; ok {
		return l
	}
	return typ
}

// stepState is how far one step got.
type stepState string

const (
	stepDone    stepState = "done"
	stepRunning stepState = "in progress"
	stepWaiting stepState = "waiting for approval"
	stepSkipped stepState = "skipped"
	stepFailed  stepState = "failed"
)

// failureReasons are the reasons of a step that will not succeed without a change (the controller's terminal
// reasons).
var failureReasons = map[string]bool{
	naasv1alpha1.ReasonUnknownTenant: true, naasv1alpha1.ReasonUnknownTemplate: true, naasv1alpha1.ReasonUnknownTier: true,
	naasv1alpha1.ReasonInvalidParameters: true, naasv1alpha1.ReasonNamingRules: true, naasv1alpha1.ReasonNotAllowed: true,
	naasv1alpha1.ReasonForbidden: true, naasv1alpha1.ReasonNamespaceConflict: true, naasv1alpha1.ReasonRejected: true,
	naasv1alpha1.ReasonTemplateError: true, naasv1alpha1.ReasonFailed: true, naasv1alpha1.ReasonNoClusterFits: true,
}

// step is one provisioning step as shown.
type step struct {
	Type    string
	Label   string
	State   stepState
	Message string
}

// stepsOf lists the provisioning steps of ns, in stepOrder, without the Ready summary.
func stepsOf(ns *apiclient.Namespace) []step {
	conds := slices.Clone(ns.Conditions)
	rank := func(typ string) int {
		if i := slices.Index(stepOrder, typ); i >= 0 {
			return i
		}
		return len(stepOrder)
	}
	slices.SortStableFunc(conds, func(a, b apiclient.Condition) int { return rank(a.Type) - rank(b.Type) })
	var out []step
	for _, c := range conds {
		if c.Type == naasv1alpha1.ConditionReady {
			continue
		}
		st := step{Type: c.Type, Label: stepLabel(c.Type), Message: c.Message}
		switch {
		case c.Reason == naasv1alpha1.ReasonNotApplicable:
			st.State = stepSkipped
		case c.Status == "True":
			st.State = stepDone
		case c.Reason == naasv1alpha1.ReasonPendingApproval:
			st.State = stepWaiting
		case failureReasons[c.Reason]:
			st.State = stepFailed
		default:
			st.State = stepRunning
		}
		out = append(out, st)
	}
	return out
}

// stepMarks are the marks of the steps on a terminal.
var stepMarks = map[stepState]string{
	stepDone: "✓", stepRunning: "•", stepWaiting: "…", stepSkipped: "-", stepFailed: "✗",
}

var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// stepLines are the lines of the step list on a terminal; tick animates the steps in progress.
func stepLines(ns *apiclient.Namespace, tick int, elapsed time.Duration) []string {
	lines := []string{fmt.Sprintf("%s: %s (%s)", ns.Name, ns.Phase, elapsed.Round(time.Second))}
	steps := stepsOf(ns)
	width := 0
	for _, st := range steps {
		width = max(width, len(st.Label))
	}
	for _, st := range steps {
		mark := stepMarks[st.State]
		if st.State == stepRunning {
			mark = spinner[tick%len(spinner)]
		}
		line := fmt.Sprintf("  %s %-*s  %s", mark, width, st.Label, st.State)
		if st.Message != "" && st.State != stepDone {
			line += ": " + oneLine(st.Message)
		}
		lines = append(lines, line)
	}
	return lines
}

// progressChanges are the plain lines that say what changed from prev to ns: the phase, and each step whose
// state or message changed. prev is nil for the first status.
func progressChanges(prev, ns *apiclient.Namespace) []string {
	var out []string
	before := map[string]step{}
	if prev != nil {
		for _, st := range stepsOf(prev) {
			before[st.Type] = st
		}
	}
	for _, st := range stepsOf(ns) {
		if b, ok := before[st.Type]; ok && b.State == st.State && b.Message == st.Message {
			continue
		}
		line := fmt.Sprintf("%s: %s: %s", ns.Name, st.Label, st.State)
		if st.Message != "" {
			line += " (" + oneLine(st.Message) + ")"
		}
		out = append(out, line)
	}
	if prev == nil || prev.Phase != ns.Phase {
		out = append(out, fmt.Sprintf("%s: phase %s", ns.Name, ns.Phase))
	}
	return out
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// waitProgress shows a namespace's provisioning as it goes: a step list redrawn in place on a terminal, and one
// line per change otherwise (logs, CI).
type waitProgress struct {
	w     io.Writer
	tty   bool
	start time.Time
	// drawn is how many lines the terminal's step list holds.
	drawn int
	tick  int
	prev  *apiclient.Namespace
}

// update shows ns.
func (p *waitProgress) update(ns *apiclient.Namespace, now time.Time) {
	if !p.tty {
		for _, l := range progressChanges(p.prev, ns) {
			fmt.Fprintf(p.w, "[%5s] %s\n", now.Sub(p.start).Round(time.Second), l)
		}
		p.prev = ns
		return
	}
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.drawn) // Back to the first line of the list.
	}
	lines := stepLines(ns, p.tick, now.Sub(p.start))
	for _, l := range lines {
		b.WriteString("\r\x1b[2K") // Clear the line.
		b.WriteString(l)
		b.WriteByte('\n')
	}
	for i := len(lines); i < p.drawn; i++ { // The list got shorter: clear what is left.
		b.WriteString("\r\x1b[2K\n")
	}
	if extra := p.drawn - len(lines); extra > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", extra)
	}
	p.drawn = len(lines)
	p.tick++
	p.prev = ns
	_, _ = io.WriteString(p.w, b.String())
}
