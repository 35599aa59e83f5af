// Package chargeback turns allocated hours into what is charged: the CostPolicy's rules (discounts and markups,
// applied in order and shown per line), aggregated per namespace, tenant, cost center, label or other
// dimension over a window, and written as CSV for finance. It is pure.
package chargeback

import (
	"errors"
	"fmt"
	"path"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cost/money"
)

// Rule kinds.
const (
	KindDiscount = "discount"
	KindMarkup   = "markup"
)

// Rule is a compiled ChargebackRule.
type Rule struct {
	Name string
	// Kind is KindDiscount or KindMarkup; Value is the rule's number as written ("0.5" off, "1.2" times).
	Kind  string
	Value money.Factor
	// Multiplier is what the amount is multiplied by: 1 - Value for a discount, Value for a markup.
	Multiplier money.Factor

	tiers, templates []string
	pattern          string
	selector         labels.Selector
}

// Subject is what rules match a namespace by.
type Subject struct {
	Namespace, Tier, Template string
	Labels                    map[string]string
}

// CompileRules checks and compiles rules, keeping their order. A discount above 1 or a bad pattern or label
// selector is an error that names the rule.
func CompileRules(rules []naasv1alpha1.ChargebackRule) ([]Rule, error) {
	out := make([]Rule, 0, len(rules))
	var errs []error
	for i, r := range rules {
		c, err := compile(r)
		if err != nil {
			errs = append(errs, fmt.Errorf("rules[%d] %s: %w", i, r.Name, err))
			continue
		}
		out = append(out, c)
	}
	return out, errors.Join(errs...)
}

func compile(r naasv1alpha1.ChargebackRule) (Rule, error) {
	c := Rule{Name: r.Name, tiers: r.Match.Tiers, templates: r.Match.Templates, pattern: r.Match.NamespacePattern}
	switch {
	case r.Discount != "" && r.Markup != "":
		return Rule{}, errors.New("a rule has either a discount or a markup, not both")
	case r.Discount != "":
		v, err := money.ParseFactor(r.Discount)
		if err != nil {
			return Rule{}, err
		}
		if v > money.One {
			return Rule{}, fmt.Errorf("discount %s is more than 1 (the whole amount)", r.Discount)
		}
		c.Kind, c.Value, c.Multiplier = KindDiscount, v, money.One-v
	case r.Markup != "":
		v, err := money.ParseFactor(r.Markup)
		if err != nil {
			return Rule{}, err
		}
		c.Kind, c.Value, c.Multiplier = KindMarkup, v, v
	default:
		return Rule{}, errors.New("a rule needs a discount or a markup")
	}
	if c.pattern != "" {
		if _, err := path.Match(c.pattern, ""); err != nil {
			return Rule{}, fmt.Errorf("namespacePattern %q: %w", c.pattern, err)
		}
	}
	if r.Match.LabelSelector != nil {
		s, err := metav1.LabelSelectorAsSelector(r.Match.LabelSelector)
		if err != nil {
			return Rule{}, fmt.Errorf("labelSelector: %w", err)
		}
		c.selector = s
	}
	return c, nil
}

// Matches reports whether every field the rule's match sets matches s.
func (r Rule) Matches(s Subject) bool {
	if len(r.tiers) > 0 && !slices.Contains(r.tiers, s.Tier) {
		return false
	}
	if len(r.templates) > 0 && !slices.Contains(r.templates, s.Template) {
		return false
	}
	if r.pattern != "" {
		if ok, _ := path.Match(r.pattern, s.Namespace); !ok {
			return false
		}
	}
	if r.selector != nil && !r.selector.Matches(labels.Set(s.Labels)) {
		return false
	}
	return true
}

// Adjustment is what one rule changed: Delta is added to the amount (negative for a discount).
type Adjustment struct {
	Rule  string
	Kind  string
	Value money.Factor
	Delta money.Amount
}

// Describe is the adjustment for people: "dev-discount (discount 0.5): -£10.00".
func (a Adjustment) Describe(currency string) string {
	return fmt.Sprintf("%s (%s %s): %s", a.Rule, a.Kind, money.Amount(a.Value).Exact(), signed(a.Delta, currency))
}

func signed(a money.Amount, currency string) string {
	if a >= 0 {
		return "+" + money.Format(a, currency)
	}
	return money.Format(a, currency)
}

// Apply applies the rules that match s to amount, in order, each to what the rules before it left, and returns
// the charged amount and the adjustments of the rules that matched. Each step is rounded half away from zero
// to nano-units.
func Apply(rules []Rule, s Subject, amount money.Amount) (money.Amount, []Adjustment) {
	return ApplyMatched(Matching(rules, s), amount)
}

// Matching returns the rules that match s, in order: what ApplyMatched applies to each of a namespace's amounts.
func Matching(rules []Rule, s Subject) []Rule {
	var out []Rule
	for _, r := range rules {
		if r.Matches(s) {
			out = append(out, r)
		}
	}
	return out
}

// ApplyMatched applies matched (rules that all match, in order) to amount, as Apply does.
func ApplyMatched(matched []Rule, amount money.Amount) (money.Amount, []Adjustment) {
	var adj []Adjustment
	for _, r := range matched {
		next := amount.Mul(r.Multiplier)
		adj = append(adj, Adjustment{Rule: r.Name, Kind: r.Kind, Value: r.Value, Delta: next - amount})
		amount = next
	}
	return amount, adj
}
