package bundle

import "fmt"

// TemplateError is an error in one of the template's manifests: it does not render, does not parse as YAML
// objects, or creates an object naas does not allow. The controller reports it with reason
// naasv1alpha1.ReasonTemplateError; it does not go away by retrying, only by fixing the template (or the
// claim's parameters).
type TemplateError struct {
	// Manifest is the name of the template manifest at fault.
	Manifest string
	// Err says what is wrong.
	Err error
}

// Error implements error.
func (e *TemplateError) Error() string {
	return fmt.Sprintf("manifest %q: %v", e.Manifest, e.Err)
}

// Unwrap returns the underlying error.
func (e *TemplateError) Unwrap() error {
	return e.Err
}
