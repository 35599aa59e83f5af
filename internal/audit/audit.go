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

// Results of an intent (see Store.Intend) whose outcome is not recorded: readers see these, writers never pass
// them.
const (
	// ResultPending is an intent whose action is being carried out: its outcome follows.
	ResultPending = "pending"
	// ResultUnknown is an intent whose outcome never came: naas stopped (or lost its audit store) while carrying
	// it out. The action may or may not have taken effect; the cluster says which.
	ResultUnknown = "unknown"
)

// ReasonOutcomeUnknown is the Reason of an intent whose outcome never came.
const ReasonOutcomeUnknown = "outcome unknown: naas stopped while carrying out the request; check the cluster for its effect"

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
	// Result is one of ResultAllowed, ResultDenied, ResultSuccess or ResultFailure; required when recorded. An
	// intent reads back as ResultPending until its outcome is recorded, ResultUnknown if it never will be.
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
//
// An action that changes something is recorded in two steps, so that no change is ever made that the audit log
// does not hold: Intend before it is carried out, Finish with its outcome after. An event that is complete when
// it is first known (a refused request, a provisioning outcome) is recorded in one step with Record.
type Store interface {
	// Record stores e durably: once it returns nil, the event survives a crash. An invalid event gives an error
	// matching ErrInvalidEvent.
	Record(ctx context.Context, e Event) error
	// Intend stores e, an action about to be carried out, durably, and returns the event's id for Finish: once
	// it returns nil, the event survives a crash. e.Result is ignored: readers see ResultPending until Finish
	// records the outcome, and ResultUnknown with ReasonOutcomeUnknown once a store opened later finds it still
	// pending (the process that intended it stopped before it finished). Carry out the action only after Intend
	// succeeded. An invalid event gives an error matching ErrInvalidEvent.
	Intend(ctx context.Context, e Event) (int64, error)
	// Finish records the outcome of the intent id durably: e replaces the intent's fields, except its ID and
	// Time (the time the action was intended). e.Result is required as for Record. An id that is not an
	// intent without an outcome gives an error matching ErrNoIntent.
	Finish(ctx context.Context, id int64, e Event) error
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
	// ErrNoIntent is the error Finish returns, wrapped, for an id that is not an intent awaiting its outcome.
	ErrNoIntent = errors.New("no intent awaiting an outcome")
	// ErrClosed is the error a closed store returns, wrapped.
	ErrClosed = errors.New("audit store closed")
)
