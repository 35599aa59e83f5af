// Package storetest is the contract of audit.Store: one suite of tests that every implementation passes, run by
// each implementation's own tests against a real database (an SQLite file, a PostgreSQL server).
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/naas-dev/naas/internal/audit"
)

// Opener opens a store on one database; every call opens another store on the same database, as another naas
// process or replica would. The store is closed when the test ends.
type Opener func(t *testing.T, opts ...audit.Option) audit.Store

// Backend is a kind of store under test.
type Backend struct {
	// NewDatabase makes a new, empty database and returns the function that opens stores on it.
	NewDatabase func(t *testing.T) Opener
	// Crash stops s the way a killed process stops: without any clean-up it would do at Close.
	Crash func(s audit.Store)
}

// Run runs the contract of audit.Store against b.
func Run(t *testing.T, b Backend) {
	tests := []struct {
		name string
		test func(*testing.T, Backend)
	}{
		{"RecordThenQueryReturnsEveryField", testRecordThenQueryReturnsEveryField},
		{"RecordStampsEventsWithoutTime", testRecordStampsEventsWithoutTime},
		{"RecordRejectsInvalidEvents", testRecordRejectsInvalidEvents},
		{"QueryFilters", testQueryFilters},
		{"PaginatesNewestFirstWithoutGapsOrRepeats", testPaginatesNewestFirstWithoutGapsOrRepeats},
		{"ExactlyFullLastPageHasNoNextToken", testExactlyFullLastPageHasNoNextToken},
		{"LimitDefaultsAndIsCapped", testLimitDefaultsAndIsCapped},
		{"RejectsForeignPageTokens", testRejectsForeignPageTokens},
		{"EventsSurviveReopen", testEventsSurviveReopen},
		{"ConcurrentWritersOfTwoStoresLoseNothing", testConcurrentWritersLoseNothing},
		{"IntentReadsPendingUntilFinishRecordsTheOutcome", testIntentReadsPendingUntilFinishRecordsTheOutcome},
		{"IntentLeftWithoutOutcomeReadsUnknownAfterCrash", testIntentLeftWithoutOutcomeReadsUnknownAfterReopen},
		{"ConcurrentIntentsAndOutcomesShareCommitsButNotFailures", testConcurrentIntentsAndOutcomesShareCommitsButNotFailures},
		{"WritesAfterCloseFail", testWritesAfterCloseFail},
		{"BudgetThresholdFiresOnceAcrossRacingStores", testBudgetThresholdFiresOnce},
		{"BudgetNotificationUndeliveredUntilMarkedAndAfterReopen", testBudgetNotificationDelivery},
	}
	tests = append(tests, costTests...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, b) })
	}
}

// T0 is the time of the first event the tests record.
var T0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func record(t *testing.T, s audit.Store, events ...audit.Event) {
	t.Helper()
	for _, e := range events {
		if err := s.Record(context.Background(), e); err != nil {
			t.Fatalf("Record(%+v): %v", e, err)
		}
	}
}

// Event builds an event of user u in tenant/namespace ns at T0 plus minutes.
func Event(u, tenant, ns string, minutes int) audit.Event {
	return audit.Event{
		Time: T0.Add(time.Duration(minutes) * time.Minute), User: u, Action: audit.ActionNamespaceRequest,
		Tenant: tenant, Namespace: ns, Result: audit.ResultAllowed,
	}
}

// summary returns the users and minutes of events, compactly, to compare query results.
func summary(events []audit.Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, fmt.Sprintf("%s@%d", e.User, int(e.Time.Sub(T0).Minutes())))
	}
	return out
}

// eventually polls f until it returns nil, for at most a minute.
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not after a minute: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func testRecordThenQueryReturnsEveryField(t *testing.T, b Backend) {
	s := b.NewDatabase(t)(t)
	in := audit.Event{
		Time:      time.Date(2026, 3, 1, 9, 30, 15, 123456789, time.FixedZone("CET", 3600)),
		RequestID: "req-42",
		User:      "alice@example.com",
		Groups:    []string{"dev", "ops"},
		Action:    audit.ActionQuotaUpdate,
		Tenant:    "payments",
		Namespace: "payments-dev",
		Target:    "resourcequota/default",
		Result:    audit.ResultDenied,
		Reason:    "cpu 16 exceeds the gold tier's 8",
		Details:   map[string]string{"cpu": "16", "tier": "gold"},
	}
	record(t, s, in)

	page, err := s.Query(context.Background(), audit.Query{})
	if err != nil {
		t.Fatal(err)
	}
	want := in
	want.Time = in.Time.UTC()
	if diff := cmp.Diff([]audit.Event{want}, page.Events, cmpopts.IgnoreFields(audit.Event{}, "ID")); diff != "" {
		t.Errorf("events mismatch (-want +got):\n%s", diff)
	}
	if page.Events[0].ID <= 0 {
		t.Errorf("ID = %d, want one assigned by the store", page.Events[0].ID)
	}
	if page.NextPageToken != "" {
		t.Errorf("NextPageToken = %q on the only page", page.NextPageToken)
	}
}

func testRecordStampsEventsWithoutTime(t *testing.T, b Backend) {
	now := time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)
	s := b.NewDatabase(t)(t, audit.WithClock(func() time.Time { return now }))
	record(t, s, audit.Event{User: "ctrl", Action: audit.ActionProvisionReady, Namespace: "a", Result: audit.ResultSuccess})
	page, err := s.Query(context.Background(), audit.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if got := page.Events[0].Time; !got.Equal(now) {
		t.Errorf("Time = %s, want the clock's %s", got, now)
	}
}

func testRecordRejectsInvalidEvents(t *testing.T, b Backend) {
	s := b.NewDatabase(t)(t)
	for name, e := range map[string]audit.Event{
		"no action":      {User: "a", Result: audit.ResultAllowed},
		"no result":      {User: "a", Action: audit.ActionTenantCreate},
		"unknown result": {User: "a", Action: audit.ActionTenantCreate, Result: "ok"},
	} {
		if err := s.Record(context.Background(), e); !errors.Is(err, audit.ErrInvalidEvent) {
			t.Errorf("%s: Record = %v, want ErrInvalidEvent", name, err)
		}
	}
	page, err := s.Query(context.Background(), audit.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 0 {
		t.Errorf("invalid events were stored: %v", page.Events)
	}
}

func testQueryFilters(t *testing.T, b Backend) {
	s := b.NewDatabase(t)(t)
	record(t, s,
		Event("alice", "pay", "pay-dev", 0),
		Event("bob", "pay", "pay-prod", 10),
		Event("alice", "shop", "shop-dev", 20),
		Event("carol", "shop", "shop-dev", 30),
		Event("alice", "pay", "pay-prod", 40),
		audit.Event{Time: T0.Add(50 * time.Minute), User: "admin", Action: audit.ActionTenantCreate, Target: "tenant/web", Result: audit.ResultSuccess},
	)
	tests := []struct {
		name  string
		query audit.Query
		want  []string
	}{
		{"everything, newest first", audit.Query{}, []string{"admin@50", "alice@40", "carol@30", "alice@20", "bob@10", "alice@0"}},
		{"tenant", audit.Query{Tenant: "pay"}, []string{"alice@40", "bob@10", "alice@0"}},
		{"namespace", audit.Query{Namespace: "shop-dev"}, []string{"carol@30", "alice@20"}},
		{"user", audit.Query{User: "alice"}, []string{"alice@40", "alice@20", "alice@0"}},
		{"tenant and user", audit.Query{Tenant: "pay", User: "alice"}, []string{"alice@40", "alice@0"}},
		{"namespace and user", audit.Query{Namespace: "pay-prod", User: "bob"}, []string{"bob@10"}},
		{"since is inclusive", audit.Query{Since: T0.Add(30 * time.Minute)}, []string{"admin@50", "alice@40", "carol@30"}},
		{"until is exclusive", audit.Query{Until: T0.Add(20 * time.Minute)}, []string{"bob@10", "alice@0"}},
		{"time window", audit.Query{Since: T0.Add(10 * time.Minute), Until: T0.Add(40 * time.Minute)}, []string{"carol@30", "alice@20", "bob@10"}},
		{"time window in another zone", audit.Query{Since: T0.Add(10 * time.Minute).In(time.FixedZone("X", -5*3600)), Until: T0.Add(11 * time.Minute)}, []string{"bob@10"}},
		{"window and tenant", audit.Query{Tenant: "shop", Since: T0.Add(25 * time.Minute)}, []string{"carol@30"}},
		{"empty window", audit.Query{Since: T0.Add(time.Hour), Until: T0}, nil},
		{"unknown tenant", audit.Query{Tenant: "nope"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := s.Query(context.Background(), tt.query)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summary(page.Events)); diff != "" {
				t.Errorf("events mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func testPaginatesNewestFirstWithoutGapsOrRepeats(t *testing.T, b Backend) {
	s := b.NewDatabase(t)(t)
	var want []string
	for i := range 23 {
		user := "alice"
		if i%3 == 0 {
			user = "bob" // Filtered out below, so pages must skip them without losing their place.
		}
		record(t, s, Event(user, "pay", "pay-dev", i))
		if user == "alice" {
			want = append(want, fmt.Sprintf("alice@%d", i))
		}
	}
	slices.Reverse(want)

	var got []string
	var sizes []int
	q := audit.Query{User: "alice", Limit: 4}
	for {
		page, err := s.Query(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, summary(page.Events)...)
		sizes = append(sizes, len(page.Events))
		if page.NextPageToken == "" {
			break
		}
		q.PageToken = page.NextPageToken
		// A new event must not shift later pages.
		record(t, s, Event("alice", "pay", "pay-dev", 100+len(sizes)))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events across pages mismatch (-want +got):\n%s", diff)
	}
	// 15 events of alice: 4+4+4+3, and no empty trailing page.
	if diff := cmp.Diff([]int{4, 4, 4, 3}, sizes); diff != "" {
		t.Errorf("page sizes mismatch (-want +got):\n%s", diff)
	}
}

func testExactlyFullLastPageHasNoNextToken(t *testing.T, b Backend) {
	s := b.NewDatabase(t)(t)
	for i := range 4 {
		record(t, s, Event("alice", "pay", "pay-dev", i))
	}
	page, err := s.Query(context.Background(), audit.Query{Limit: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 4 || page.NextPageToken != "" {
		t.Errorf("got %d events and token %q, want 4 and no token", len(page.Events), page.NextPageToken)
	}
}

func testLimitDefaultsAndIsCapped(t *testing.T, b Backend) {
	s := b.NewDatabase(t)(t)
	for i := range audit.MaxLimit + 1 {
		record(t, s, Event("alice", "pay", "pay-dev", i))
	}
	for _, tt := range []struct{ limit, want int }{{0, audit.DefaultLimit}, {-1, audit.DefaultLimit}, {audit.MaxLimit + 100, audit.MaxLimit}} {
		page, err := s.Query(context.Background(), audit.Query{Limit: tt.limit})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Events) != tt.want || page.NextPageToken == "" {
			t.Errorf("Limit %d: got %d events (token %q), want %d and a next page", tt.limit, len(page.Events), page.NextPageToken, tt.want)
		}
	}
}

func testRejectsForeignPageTokens(t *testing.T, b Backend) {
	s := b.NewDatabase(t)(t)
	for _, token := range []string{"not base64!", "MTIz" /* "123" without the version */, "djE6LTE" /* "v1:-1" */, "djE6eA" /* "v1:x" */} {
		if _, err := s.Query(context.Background(), audit.Query{PageToken: token}); !errors.Is(err, audit.ErrInvalidPageToken) {
			t.Errorf("Query with page token %q = %v, want ErrInvalidPageToken", token, err)
		}
	}
}

func testEventsSurviveReopen(t *testing.T, b Backend) {
	open := b.NewDatabase(t)
	s := open(t)
	record(t, s, Event("alice", "pay", "pay-dev", 0), Event("bob", "pay", "pay-dev", 1))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t)
	record(t, s, Event("carol", "pay", "pay-dev", 2))
	page, err := s.Query(context.Background(), audit.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"carol@2", "bob@1", "alice@0"}, summary(page.Events)); diff != "" {
		t.Errorf("events after reopen mismatch (-want +got):\n%s", diff)
	}
	if page.Events[0].ID <= page.Events[1].ID {
		t.Errorf("ids after reopen do not keep growing: %d then %d", page.Events[1].ID, page.Events[0].ID)
	}
}

func testConcurrentWritersLoseNothing(t *testing.T, b Backend) {
	open := b.NewDatabase(t)
	s := open(t)
	// A second store on the same database, as a second naas process or replica would have.
	other := open(t)
	const writers, perWriter = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers*perWriter)
	for w := range writers {
		store := s
		if w%2 == 1 {
			store = other
		}
		wg.Go(func() {
			for i := range perWriter {
				e := Event(fmt.Sprintf("user-%d", w), "pay", "pay-dev", i)
				e.RequestID = fmt.Sprintf("%d-%d", w, i)
				if err := store.Record(context.Background(), e); err != nil {
					errs <- err
				}
			}
		})
	}
	// Read while writing: WAL lets queries run beside the writers.
	wg.Go(func() {
		for range 20 {
			if _, err := s.Query(context.Background(), audit.Query{Tenant: "pay", Limit: 10}); err != nil {
				errs <- err
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	seen := map[string]bool{}
	q := audit.Query{Limit: audit.MaxLimit}
	for {
		page, err := s.Query(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			if seen[e.RequestID] {
				t.Errorf("event %s returned twice", e.RequestID)
			}
			seen[e.RequestID] = true
		}
		if page.NextPageToken == "" {
			break
		}
		q.PageToken = page.NextPageToken
	}
	if len(seen) != writers*perWriter {
		t.Errorf("found %d events, want %d", len(seen), writers*perWriter)
	}
}

func testIntentReadsPendingUntilFinishRecordsTheOutcome(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.NewDatabase(t)(t)
	intent := Event("alice", "pay", "pay-dev", 0)
	intent.Result = "" // Ignored by Intend.
	intent.Details = map[string]string{"method": "POST"}
	id, err := s.Intend(ctx, intent)
	if err != nil {
		t.Fatalf("Intend: %v", err)
	}
	page, err := s.Query(ctx, audit.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 1 || page.Events[0].ID != id || page.Events[0].Result != audit.ResultPending {
		t.Fatalf("after Intend: events %+v, want one with id %d and result pending", page.Events, id)
	}

	outcome := intent
	outcome.Time = T0.Add(time.Hour) // Not kept: the event is timed by its intent.
	outcome.Result = audit.ResultAllowed
	outcome.Reason = "created"
	outcome.Details = map[string]string{"method": "POST", "status": "202"}
	if err := s.Finish(ctx, id, outcome); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	page, err = s.Query(ctx, audit.Query{})
	if err != nil {
		t.Fatal(err)
	}
	want := outcome
	want.ID, want.Time = id, intent.Time
	if diff := cmp.Diff([]audit.Event{want}, page.Events); diff != "" {
		t.Errorf("after Finish (-want +got):\n%s", diff)
	}
	if err := s.Finish(ctx, id, outcome); !errors.Is(err, audit.ErrNoIntent) {
		t.Errorf("second Finish of %d: %v, want ErrNoIntent", id, err)
	}
	if err := s.Finish(ctx, id+100, outcome); !errors.Is(err, audit.ErrNoIntent) {
		t.Errorf("Finish of an id that does not exist: %v, want ErrNoIntent", err)
	}
	unfinished := outcome
	unfinished.Result = audit.ResultPending
	if err := s.Finish(ctx, id, unfinished); !errors.Is(err, audit.ErrInvalidEvent) {
		t.Errorf("Finish with result pending: %v, want ErrInvalidEvent", err)
	}
	if err := s.Record(ctx, unfinished); !errors.Is(err, audit.ErrInvalidEvent) {
		t.Errorf("Record with result pending: %v, want ErrInvalidEvent: only Intend records an intent", err)
	}
}

func testIntentLeftWithoutOutcomeReadsUnknownAfterReopen(t *testing.T, b Backend) {
	ctx := context.Background()
	open := b.NewDatabase(t)
	crashed := open(t)
	lost, err := crashed.Intend(ctx, Event("alice", "pay", "pay-dev", 0))
	if err != nil {
		t.Fatal(err)
	}
	finished, err := crashed.Intend(ctx, Event("bob", "pay", "pay-web", 1))
	if err != nil {
		t.Fatal(err)
	}
	done := Event("bob", "pay", "pay-web", 1)
	if err := crashed.Finish(ctx, finished, done); err != nil {
		t.Fatal(err)
	}
	// The process stops here without an outcome for alice's request: the database is all that is left.
	b.Crash(crashed)

	s := open(t)
	var got map[int64]audit.Event
	eventually(t, "the intent without an outcome reads unknown", func() error {
		page, err := s.Query(ctx, audit.Query{})
		if err != nil {
			return err
		}
		got = map[int64]audit.Event{}
		for _, e := range page.Events {
			got[e.ID] = e
		}
		if e := got[lost]; e.Result != audit.ResultUnknown {
			return fmt.Errorf("result %q", e.Result)
		}
		return nil
	})
	if e := got[lost]; e.Reason != audit.ReasonOutcomeUnknown || e.User != "alice" {
		t.Errorf("intent without an outcome after reopen: %+v, want alice's request with reason %q", e, audit.ReasonOutcomeUnknown)
	}
	if e := got[finished]; e.Result != audit.ResultAllowed {
		t.Errorf("finished intent after reopen: result %q, want allowed", e.Result)
	}

	// The process that intended it may have been alive after all (cut off from the database, or another process
	// sharing an SQLite file): its outcome still lands.
	if err := s.Finish(ctx, lost, Event("alice", "pay", "pay-dev", 0)); err != nil {
		t.Fatalf("Finish of an intent marked unknown: %v", err)
	}
	page, err := s.Query(ctx, audit.Query{User: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 1 || page.Events[0].Result != audit.ResultAllowed {
		t.Errorf("after the late outcome: %+v, want alice's request allowed", page.Events)
	}
}

func testConcurrentIntentsAndOutcomesShareCommitsButNotFailures(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.NewDatabase(t)(t)
	const requests = 100
	var wg sync.WaitGroup
	errs := make(chan error, 2*requests)
	for i := range requests {
		wg.Go(func() {
			e := Event(fmt.Sprintf("user-%d", i), "pay", "pay-dev", i)
			e.RequestID = strconv.Itoa(i)
			id, err := s.Intend(ctx, e)
			if err != nil {
				errs <- err
				return
			}
			if err := s.Finish(ctx, id, e); err != nil {
				errs <- err
			}
			// A bad write in the same batch as others fails alone.
			if err := s.Finish(ctx, -int64(i)-1, e); !errors.Is(err, audit.ErrNoIntent) {
				errs <- fmt.Errorf("finish of a bad id: %w, want ErrNoIntent", err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	page, err := s.Query(ctx, audit.Query{Limit: audit.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range page.Events {
		if e.Result != audit.ResultAllowed {
			t.Errorf("event %s: result %q, want allowed", e.RequestID, e.Result)
		}
		seen[e.RequestID] = true
	}
	if len(seen) != requests || len(page.Events) != requests {
		t.Errorf("found %d events (%d distinct requests), want %d", len(page.Events), len(seen), requests)
	}
}

func testWritesAfterCloseFail(t *testing.T, b Backend) {
	s := b.NewDatabase(t)(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(context.Background(), Event("alice", "pay", "pay-dev", 0)); !errors.Is(err, audit.ErrClosed) {
		t.Errorf("Record after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Intend(context.Background(), Event("alice", "pay", "pay-dev", 0)); !errors.Is(err, audit.ErrClosed) {
		t.Errorf("Intend after Close: %v, want ErrClosed", err)
	}
}

func ledger(t *testing.T, s audit.Store) audit.BudgetLedger {
	t.Helper()
	l, ok := s.(audit.BudgetLedger)
	if !ok {
		t.Fatalf("%T does not implement audit.BudgetLedger", s)
	}
	return l
}

// testBudgetThresholdFiresOnce: two stores on one database (two naas replicas) race to fire the same thresholds;
// each key is recorded by exactly one of them, and both read back the one stored notification.
func testBudgetThresholdFiresOnce(t *testing.T, b Backend) {
	open := b.NewDatabase(t)
	stores := []audit.BudgetLedger{ledger(t, open(t)), ledger(t, open(t))}
	ctx := context.Background()
	const keys = 20
	var mu sync.Mutex
	won := map[audit.BudgetKey]int{}
	var wg sync.WaitGroup
	for i, s := range stores {
		for k := range keys {
			wg.Add(1)
			go func() {
				defer wg.Done()
				key := audit.BudgetKey{Scope: "tenant/pay", Period: "2026-12", Threshold: int32(10 * (k/2 + 1)), Kind: []string{"Actual", "Forecast"}[k%2]}
				n, inserted, err := s.FireBudgetThreshold(ctx, audit.BudgetNotification{BudgetKey: key, FiredAt: T0.Add(time.Duration(i) * time.Hour), Payload: strconv.Itoa(i)})
				if err != nil {
					t.Errorf("fire %s: %v", key, err)
					return
				}
				if n.BudgetKey != key || n.FiredAt.IsZero() {
					t.Errorf("fire %s returned %+v", key, n)
				}
				mu.Lock()
				defer mu.Unlock()
				if inserted {
					won[key]++
				}
			}()
		}
	}
	wg.Wait()
	if len(won) != keys {
		t.Fatalf("%d keys recorded, want %d: %v", len(won), keys, won)
	}
	for k, n := range won {
		if n != 1 {
			t.Errorf("key %s recorded by %d stores, want 1", k, n)
		}
	}
	again, inserted, err := stores[0].FireBudgetThreshold(ctx, audit.BudgetNotification{
		BudgetKey: audit.BudgetKey{Scope: "tenant/pay", Period: "2026-12", Threshold: 10, Kind: "Actual"}, Payload: "late"})
	if err != nil || inserted || again.Payload == "late" {
		t.Errorf("firing a recorded key again: inserted=%v payload=%q err=%v; want the first record back", inserted, again.Payload, err)
	}
	fired, err := stores[1].FiredBudgetThresholds(ctx, "tenant/pay", "2026-12")
	if err != nil || len(fired) != keys {
		t.Errorf("FiredBudgetThresholds: %d, %v; want %d", len(fired), err, keys)
	}
	if other, err := stores[1].FiredBudgetThresholds(ctx, "tenant/pay", "2027-01"); err != nil || len(other) != 0 {
		t.Errorf("next period: %v, %v; want none", other, err)
	}
	if _, _, err := stores[0].FireBudgetThreshold(ctx, audit.BudgetNotification{}); !errors.Is(err, audit.ErrInvalidBudgetKey) {
		t.Errorf("empty key: %v, want ErrInvalidBudgetKey", err)
	}
}

// testBudgetNotificationDelivery: a fired notification is undelivered until marked, and stays so across a crash
// and reopen (what makes delivery at-least-once).
func testBudgetNotificationDelivery(t *testing.T, b Backend) {
	open := b.NewDatabase(t)
	first := open(t)
	ctx := context.Background()
	key := audit.BudgetKey{Scope: "namespace/pay-api", Period: "2026-12", Threshold: 80, Kind: "Forecast"}
	if _, _, err := ledger(t, first).FireBudgetThreshold(ctx, audit.BudgetNotification{BudgetKey: key, FiredAt: T0, Payload: `{"a":1}`}); err != nil {
		t.Fatal(err)
	}
	b.Crash(first)
	second := ledger(t, open(t))
	pending, err := second.UndeliveredBudgetNotifications(ctx, 10)
	if err != nil || len(pending) != 1 || pending[0].BudgetKey != key || pending[0].Payload != `{"a":1}` || !pending[0].FiredAt.Equal(T0) {
		t.Fatalf("undelivered after a crash: %+v, %v; want the one notification", pending, err)
	}
	if err := second.MarkBudgetNotificationDelivered(ctx, key, T0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if pending, err := second.UndeliveredBudgetNotifications(ctx, 10); err != nil || len(pending) != 0 {
		t.Fatalf("undelivered after marking: %+v, %v; want none", pending, err)
	}
	fired, err := second.FiredBudgetThresholds(ctx, key.Scope, key.Period)
	if err != nil || len(fired) != 1 || !fired[0].DeliveredAt.Equal(T0.Add(time.Minute)) {
		t.Fatalf("fired: %+v, %v; want delivered at T0+1m", fired, err)
	}
}
