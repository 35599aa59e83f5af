package tenancy

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// Origins name the rule behind each validation error (field.Error.Origin), so that tests and callers can tell
// rules apart without parsing messages.
const (
	originTenantMismatch      = "tenantMismatch"
	originDNSLabel            = "format=k8s-short-name"
	originPrefix              = "namingPrefix"
	originForbiddenPattern    = "forbiddenPattern"
	originBadForbiddenPattern = "invalidForbiddenPattern"
	originAllowedTemplates    = "allowedTemplates"
	originAllowedTiers        = "allowedTiers"
	originTierRequired        = "tierRequired"
	originCordoned            = "cordoned"
	originMaxNamespaces       = "maxNamespaces"
	originBudgetExceeded      = "budgetExceeded"
	originUnknownParameter    = "unknownParameter"
	originRequiredParameter   = "requiredParameter"
	originInteger             = "integer"
	originBoolean             = "boolean"
	originParameterType       = "parameterType"
	originEnum                = "enum"
	originPattern             = "pattern"
	originBadPattern          = "invalidPattern"
)

// Field paths of the claim that validation errors point at.
func pathName() *field.Path       { return field.NewPath("metadata", "name") }
func pathTenant() *field.Path     { return field.NewPath("spec", "tenant") }
func pathTemplate() *field.Path   { return field.NewPath("spec", "template") }
func pathTier() *field.Path       { return field.NewPath("spec", "tier") }
func pathParameters() *field.Path { return field.NewPath("spec", "parameters") }

// EffectiveTier is the tier a claim gets: spec.tier, or the template's defaultTier when the claim names none.
// It is empty when neither is set.
func EffectiveTier(claim *naasv1alpha1.NamespaceClaim, tpl *naasv1alpha1.NamespaceTemplate) string {
	if claim != nil && claim.Spec.Tier != "" {
		return claim.Spec.Tier
	}
	if tpl != nil {
		return tpl.Spec.DefaultTier
	}
	return ""
}

// ValidateClaim checks a claim against its tenant, template and tier: the rules that hold for the whole life of
// the claim, on create, on update and at every reconcile. tenant, tpl and tier are the objects the claim names
// (tier is the effective tier, see EffectiveTier); a nil one is reported as not found. Create-only rules are
// in ValidateCreate.
func ValidateClaim(claim *naasv1alpha1.NamespaceClaim, tenant *naasv1alpha1.Tenant,
	tpl *naasv1alpha1.NamespaceTemplate, tier *naasv1alpha1.Tier) field.ErrorList {
	if claim == nil {
		return field.ErrorList{field.Required(field.NewPath("spec"), "a namespace claim is required")}
	}
	var errs field.ErrorList
	if tenant == nil {
		errs = append(errs, field.NotFound(pathTenant(), claim.Spec.Tenant))
	} else {
		if tenant.Name != claim.Spec.Tenant {
			errs = append(errs, field.Invalid(pathTenant(), claim.Spec.Tenant,
				fmt.Sprintf("validated against tenant %q; the claim must name the tenant it is checked against", tenant.Name)).
				WithOrigin(originTenantMismatch))
		}
		errs = append(errs, validateName(claim.Name, tenant)...)
		errs = append(errs, validateTemplateAllowed(claim.Spec.Template, tenant)...)
	}

	if tpl == nil {
		errs = append(errs, field.NotFound(pathTemplate(), claim.Spec.Template))
		return errs
	}
	errs = append(errs, validateTier(claim, tenant, tpl, tier)...)
	_, paramErrs := ResolveParameters(tpl, claim)
	return append(errs, paramErrs...)
}

// ValidateCreate checks a claim that is being created: everything ValidateClaim checks, plus the rules that
// only stop new namespaces (a cordoned tenant, the tenant's namespace cap) so that existing namespaces keep
// working when a tenant is cordoned or its cap lowered. current is the number of the tenant's namespaces other
// than this one.
func ValidateCreate(claim *naasv1alpha1.NamespaceClaim, tenant *naasv1alpha1.Tenant,
	tpl *naasv1alpha1.NamespaceTemplate, tier *naasv1alpha1.Tier, current int) field.ErrorList {
	errs := ValidateClaim(claim, tenant, tpl, tier)
	if tenant == nil {
		return errs
	}
	if tenant.Spec.Cordoned {
		errs = append(errs, field.Forbidden(pathTenant(), fmt.Sprintf(
			"tenant %q is cordoned and accepts no new namespaces; ask a platform admin to uncordon it", tenant.Name)).
			WithOrigin(originCordoned))
	}
	if err := CheckNamespaceCount(tenant, current); err != nil {
		errs = append(errs, err)
	}
	if b := tenant.Status.Budget; b != nil && b.Blocked {
		errs = append(errs, field.Forbidden(pathTenant(), blockedMessage(b, "tenant "+tenant.Name)).WithOrigin(originBudgetExceeded))
	}
	return errs
}

// CheckTierGrowth returns an error when a claim's change of tier from oldTier to newTier grows its quota while a
// hard budget stops growth: its tenant's (or its tenant's cost center's, both in the tenant's status) or its own
// namespace's (the tier's budget, in the claim's status). A change to a tier no bigger is always allowed, so that
// a tenant over budget can shrink. nil when the change may go ahead.
func CheckTierGrowth(claim *naasv1alpha1.NamespaceClaim, tenant *naasv1alpha1.Tenant, oldTier, newTier *naasv1alpha1.Tier) *field.Error {
	if claim == nil || oldTier == nil || newTier == nil || oldTier.Name == newTier.Name || !QuotaGrows(oldTier.Spec.Quota, newTier.Spec.Quota) {
		return nil
	}
	var b *naasv1alpha1.BudgetStatus
	var who string
	switch {
	case tenant != nil && tenant.Status.Budget != nil && tenant.Status.Budget.Blocked:
		b, who = tenant.Status.Budget, "tenant "+tenant.Name
	case claim.Status.Budget != nil && claim.Status.Budget.Blocked:
		b, who = claim.Status.Budget, "namespace "+claim.Name
	default:
		return nil
	}
	return field.Forbidden(pathTier(), fmt.Sprintf("tier %s has a bigger quota than %s: %s", newTier.Name, oldTier.Name,
		blockedMessage(b, who))).WithOrigin(originBudgetExceeded)
}

// QuotaGrows reports whether quota to allows more than from of some resource: a larger hard limit, or none where
// from had one.
func QuotaGrows(from, to corev1.ResourceList) bool {
	for name, old := range from {
		q, ok := to[name]
		if !ok || q.Cmp(old) > 0 {
			return true
		}
	}
	return false
}

// blockedMessage is the message of a blocked budget status, or a generic one for a status naas wrote without.
func blockedMessage(b *naasv1alpha1.BudgetStatus, who string) string {
	if b.Message != "" {
		return b.Message
	}
	return who + " has spent its hard budget for " + b.Period + ": no new namespaces or quota growth until the next month or a platform admin lifts it"
}

// HoldsNamespace reports whether claim c counts as one of its tenant's namespaces, toward spec.maxNamespaces, while
// the claim named except is being created: every claim of the tenant other than except, deleting ones included. A
// claim being deleted keeps its namespace (Terminating, for as long as finalizers of what runs in it hold it), and
// naas's finalizer keeps the claim until the namespace is gone: only then is its slot free. The claim webhook and
// the REST API both count with it, so that kubectl and the API give one answer.
func HoldsNamespace(c *naasv1alpha1.NamespaceClaim, except string) bool {
	return c.Name != except
}

// CheckNamespaceCount returns an error when tenant t, which holds current namespaces, may not have another one
// under its spec.maxNamespaces; nil when it may or when the tenant has no cap.
func CheckNamespaceCount(t *naasv1alpha1.Tenant, current int) *field.Error {
	if t == nil || t.Spec.MaxNamespaces == nil {
		return nil
	}
	maxNamespaces := int(*t.Spec.MaxNamespaces)
	if current < maxNamespaces {
		return nil
	}
	return field.Forbidden(pathTenant(), fmt.Sprintf(
		"tenant %q already has %d namespaces and allows at most %d (spec.maxNamespaces); delete a namespace or ask a platform admin to raise the limit",
		t.Name, current, maxNamespaces)).WithOrigin(originMaxNamespaces)
}

func validateName(name string, tenant *naasv1alpha1.Tenant) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(name) {
		errs = append(errs, field.Invalid(pathName(), name, "must be a valid namespace name: "+msg).WithOrigin(originDNSLabel))
	}
	if p := tenant.Spec.Naming.Prefix; p != "" && !strings.HasPrefix(name, p) {
		errs = append(errs, field.Invalid(pathName(), name, fmt.Sprintf(
			"tenant %q requires namespace names to start with %q", tenant.Name, p)).WithOrigin(originPrefix))
	}
	for _, pattern := range tenant.Spec.Naming.ForbiddenPatterns {
		re, err := regexp.Compile(pattern)
		if err != nil {
			errs = append(errs, field.Invalid(pathName(), name, fmt.Sprintf(
				"cannot check the naming rules of tenant %q: forbidden pattern %q is not a valid regular expression (%v); a platform admin must fix spec.naming.forbiddenPatterns of the tenant",
				tenant.Name, pattern, err)).WithOrigin(originBadForbiddenPattern))
			continue
		}
		if re.MatchString(name) {
			errs = append(errs, field.Invalid(pathName(), name, fmt.Sprintf(
				"matches pattern %q, which tenant %q forbids in namespace names; choose a name that does not match it",
				pattern, tenant.Name)).WithOrigin(originForbiddenPattern))
		}
	}
	return errs
}

func validateTemplateAllowed(template string, tenant *naasv1alpha1.Tenant) field.ErrorList {
	allowed := tenant.Spec.AllowedTemplates
	if len(allowed) == 0 || slices.Contains(allowed, template) {
		return nil
	}
	return field.ErrorList{field.Forbidden(pathTemplate(), fmt.Sprintf(
		"tenant %q allows templates %s; got %s", tenant.Name, strings.Join(allowed, ", "), template)).
		WithOrigin(originAllowedTemplates)}
}

func validateTier(claim *naasv1alpha1.NamespaceClaim, tenant *naasv1alpha1.Tenant,
	tpl *naasv1alpha1.NamespaceTemplate, tier *naasv1alpha1.Tier) field.ErrorList {
	name := EffectiveTier(claim, tpl)
	if name == "" {
		hint := "set spec.tier"
		if tenant != nil && len(tenant.Spec.AllowedTiers) > 0 {
			hint = fmt.Sprintf("set spec.tier to one of %s", strings.Join(tenant.Spec.AllowedTiers, ", "))
		}
		return field.ErrorList{field.Required(pathTier(), fmt.Sprintf(
			"template %q has no default tier; %s", tpl.Name, hint)).WithOrigin(originTierRequired)}
	}
	var errs field.ErrorList
	// A tier that does not exist is reported first: it is the more basic mistake.
	if tier == nil {
		errs = append(errs, field.NotFound(pathTier(), name))
	}
	if tenant != nil && len(tenant.Spec.AllowedTiers) > 0 && !slices.Contains(tenant.Spec.AllowedTiers, name) {
		errs = append(errs, field.Forbidden(pathTier(), fmt.Sprintf("tenant %q allows tiers %s; got %s%s",
			tenant.Name, strings.Join(tenant.Spec.AllowedTiers, ", "), name, defaultTierNote(claim, tpl))).
			WithOrigin(originAllowedTiers))
	}
	return errs
}

// defaultTierNote explains that a tier came from the template, since the user did not type it.
func defaultTierNote(claim *naasv1alpha1.NamespaceClaim, tpl *naasv1alpha1.NamespaceTemplate) string {
	if claim.Spec.Tier != "" {
		return ""
	}
	return fmt.Sprintf(" (the default tier of template %q; set spec.tier to choose another)", tpl.Name)
}

// ResolveParameters returns the effective parameters of a claim: every parameter the template declares, set to
// the claim's value, else the template's default, else the empty string (so that manifests can test an
// optional parameter without failing on a missing key). The errors report parameters the template does not
// declare, required parameters the claim leaves unset or empty, and values (given or default) that do not
// satisfy the parameter's type, enum or pattern.
func ResolveParameters(tpl *naasv1alpha1.NamespaceTemplate, claim *naasv1alpha1.NamespaceClaim) (map[string]string, field.ErrorList) {
	var given map[string]string
	if claim != nil {
		given = claim.Spec.Parameters
	}
	var declared []naasv1alpha1.Parameter
	tplName := ""
	if tpl != nil {
		declared = tpl.Spec.Parameters
		tplName = tpl.Name
	}

	var errs field.ErrorList
	params := make(map[string]string, len(declared))
	names := make([]string, 0, len(declared))
	for _, p := range declared {
		names = append(names, p.Name)
		path := pathParameters().Key(p.Name)
		value, set := given[p.Name]
		switch {
		case set && value != "":
			errs = append(errs, validateValue(path, p, value, "")...)
		case p.Required:
			errs = append(errs, field.Required(path, fmt.Sprintf(
				"template %q requires parameter %q (%s)%s", tplName, p.Name, typeOf(p), describeParam(p))).
				WithOrigin(originRequiredParameter))
		case p.Default != nil:
			value = *p.Default
			if value != "" {
				errs = append(errs, validateValue(path, p, value, fmt.Sprintf(
					"default of template %q: ", tplName))...)
			}
		}
		params[p.Name] = value
	}

	unknown := make([]string, 0)
	for name := range given {
		if !slices.Contains(names, name) {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range unknown {
		msg := fmt.Sprintf("template %q has no parameter %q", tplName, name)
		if len(names) == 0 {
			msg += "; it takes no parameters"
		} else {
			msg += "; it takes " + strings.Join(names, ", ")
		}
		errs = append(errs, field.Invalid(pathParameters().Key(name), given[name], msg).WithOrigin(originUnknownParameter))
	}
	return params, errs
}

// validateValue checks a non-empty value against the parameter's type, enum and pattern. prefix tells where
// the value came from when the claim did not give it.
func validateValue(path *field.Path, p naasv1alpha1.Parameter, value, prefix string) field.ErrorList {
	var errs field.ErrorList
	switch typeOf(p) {
	case naasv1alpha1.ParameterInteger:
		if _, err := strconv.ParseInt(value, 10, 64); err != nil {
			errs = append(errs, field.Invalid(path, value, prefix+"must be an integer, e.g. 3").WithOrigin(originInteger))
		}
	case naasv1alpha1.ParameterBoolean:
		if value != "true" && value != "false" {
			errs = append(errs, field.Invalid(path, value, prefix+`must be a boolean: "true" or "false"`).WithOrigin(originBoolean))
		}
	case naasv1alpha1.ParameterString:
	default:
		errs = append(errs, field.Invalid(path, value, fmt.Sprintf(
			"%sparameter has unknown type %q; the template must use string, integer or boolean", prefix, p.Type)).
			WithOrigin(originParameterType))
	}
	if len(p.Enum) > 0 && !slices.Contains(p.Enum, value) {
		errs = append(errs, field.Invalid(path, value, fmt.Sprintf(
			"%smust be one of %s", prefix, strings.Join(p.Enum, ", "))).WithOrigin(originEnum))
	}
	if p.Pattern != "" {
		re, err := regexp.Compile(p.Pattern)
		switch {
		case err != nil:
			errs = append(errs, field.Invalid(path, value, fmt.Sprintf(
				"%scannot be checked: the template's pattern %q is not a valid regular expression (%v); a platform admin must fix the template",
				prefix, p.Pattern, err)).WithOrigin(originBadPattern))
		case !re.MatchString(value):
			errs = append(errs, field.Invalid(path, value, fmt.Sprintf(
				"%smust match the regular expression %q", prefix, p.Pattern)).WithOrigin(originPattern))
		}
	}
	return errs
}

func typeOf(p naasv1alpha1.Parameter) naasv1alpha1.ParameterType {
	if p.Type == "" {
		return naasv1alpha1.ParameterString
	}
	return p.Type
}

// describeParam summarises what values pass, for the message of a missing required parameter.
func describeParam(p naasv1alpha1.Parameter) string {
	switch {
	case len(p.Enum) > 0:
		return "; one of " + strings.Join(p.Enum, ", ")
	case p.Pattern != "":
		return fmt.Sprintf("; matching %q", p.Pattern)
	default:
		return ""
	}
}
