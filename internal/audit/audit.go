package audit

import (
	"context"
	"errors"
	"time"
)

// Actions recorded by naas. Action is an open set: these are the names naas itself uses.
const (
	ActionNamespaceRequest = "namespace.request"
	ActionNamespaceDelete  = "namespace.delete"
	ActionQuotaUpdate      = "quota.update"
	ActionTenantCreate     = "tenant.create"
	ActionTenantUpdate     = "tenant.update"
	ActionTenantDelete     = "tenant.delete"
	ActionApprovalApprove  = "approval.approve"
	ActionApprovalReject   = "approval.reject"
	ActionProvisionReady   = "provision.ready"
	ActionProvisionFailed  = "provision.failed"
)

// Results of an event: a request is allowed or denied, a provisioning step ends in success or failure.
const (
	ResultAllowed = "allowed"
	ResultDenied  = "denied"
	ResultSuccess = "success"
	ResultFailure = "failure"
)

// Event is one audit record.
type Event struct {
	// ID is assigned by the store when the event is recorded; it grows with every record.
	ID int64
	// Time is when it happened; Record sets it to the current time if it is zero. Stored with nanosecond
	// precision, returned in UTC.
	Time time.Time
	// RequestID ties the event to the API request that caused it, if any.
	RequestID string
	// User is who did it: the authenticated user name, or the controller's identity for provisioning outcomes.
	User string
	// Groups are the user's groups at the time, which decided what they were allowed to do.
	Groups []string
	// Action is what was done, e.g. ActionNamespaceRequest. Required.
	Action string
	// Tenant, Namespace and Target say what it was done to; Target names an object when tenant and namespace
	// do not, e.g. "tier/gold".
	Tenant, Namespace, Target string
	// Result is one of ResultAllowed, ResultDenied, ResultSuccess or ResultFailure. Required.
	Result string
	// Reason explains the result, e.g. why a request was denied or provisioning failed.
	Reason string
	// Details holds anything else worth keeping, e.g. the requested quota.
	Details map[string]string
}

// Query selects events. Empty fields select everything; set fields must all match.
type Query struct {
	// Tenant, Namespace and User select events with exactly these values.
	Tenant, Namespace, User string
	// Since selects events at or after this time; Until events before it.
	Since, Until time.Time
	// Limit is the page size: at most MaxLimit, DefaultLimit if zero or less.
	Limit int
	// PageToken continues a previous query: pass the NextPageToken of the page before, with the same filters.
	PageToken string
}

// Page is one page of a query's events, newest first.
type Page struct {
	Events []Event
	// NextPageToken fetches the next (older) page; empty on the last page. It is opaque.
	NextPageToken string
}

// Page sizes of a query.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// Store keeps audit events durably. Implementations are safe for concurrent use.
type Store interface {
	// Record stores e durably: once it returns nil, the event survives a crash. An invalid event gives an error
	// matching ErrInvalidEvent.
	Record(ctx context.Context, e Event) error
	// Query returns the newest events that q selects, a page at a time. A page token that is not one Query
	// returned gives an error matching ErrInvalidPageToken.
	Query(ctx context.Context, q Query) (Page, error)
	// Close releases the store.
	Close() error
}

var (
	// ErrInvalidEvent is the error Record returns, wrapped, for an event that lacks a required field.
	ErrInvalidEvent = errors.New("invalid audit event")
	// ErrInvalidPageToken is the error Query returns, wrapped, for a page token it did not issue.
	ErrInvalidPageToken = errors.New("invalid page token")
)
