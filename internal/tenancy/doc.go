// Package tenancy decides who may do what in a tenant and whether a namespace claim is acceptable to its
// tenant, template and tier. It is pure: it takes the objects as arguments and never talks to the API server,
// so the admission webhooks, the REST API and the provisioning controller share one set of rules and give the
// same answer, with messages that tell the user what would pass.
package tenancy
