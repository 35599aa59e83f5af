package tenancy

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// Reason maps the first error of a ValidateClaim or ValidateCreate result to the reason of the claim's Valid
// condition: UnknownTenant, UnknownTemplate or UnknownTier for objects that do not exist, NamingRulesViolated
// for the name, InvalidParameters for parameters and NotAllowedByTenant for the rest. It returns "" for no
// errors.
func Reason(errs field.ErrorList) string {
	if len(errs) == 0 {
		return ""
	}
	e := errs[0]
	switch path := e.Field; {
	case path == pathName().String():
		return naasv1alpha1.ReasonNamingRules
	case strings.HasPrefix(path, pathParameters().String()):
		return naasv1alpha1.ReasonInvalidParameters
	case e.Type == field.ErrorTypeNotFound && path == pathTenant().String():
		return naasv1alpha1.ReasonUnknownTenant
	case e.Type == field.ErrorTypeNotFound && path == pathTemplate().String():
		return naasv1alpha1.ReasonUnknownTemplate
	case (e.Type == field.ErrorTypeNotFound || e.Type == field.ErrorTypeRequired) && path == pathTier().String():
		return naasv1alpha1.ReasonUnknownTier
	default:
		return naasv1alpha1.ReasonNotAllowed
	}
}
