package audit_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/naas-dev/naas/internal/audit"
)

// t0 is the time of the first event the tests record.
var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func open(t *testing.T, path string) *audit.SQLiteStore {
	t.Helper()
	s, err := audit.OpenSQLite(path)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func record(t *testing.T, s audit.Store, events ...audit.Event) {
	t.Helper()
	for _, e := range events {
		if err := s.Record(context.Background(), e); err != nil {
			t.Fatalf("Record(%+v): %v", e, err)
		}
	}
}

// event builds an event of user u in tenant/namespace ns at t0 plus minutes.
func event(u, tenant, ns string, minutes int) audit.Event {
	return audit.Event{
		Time: t0.Add(time.Duration(minutes) * time.Minute), User: u, Action: audit.ActionNamespaceRequest,
		Tenant: tenant, Namespace: ns, Result: audit.ResultAllowed,
	}
}

// ids returns the users and minutes of events, compactly, to compare query results.
func summary(events []audit.Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, fmt.Sprintf("%s@%d", e.User, int(e.Time.Sub(t0).Minutes())))
	}
	return out
}

func TestSQLiteStore_RecordThenQueryReturnsEveryField(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "audit.db"))
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

func TestSQLiteStore_RecordStampsEventsWithoutTime(t *testing.T) {
	now := time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)
	s, err := audit.OpenSQLite(filepath.Join(t.TempDir(), "audit.db"), audit.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	record(t, s, audit.Event{User: "ctrl", Action: audit.ActionProvisionReady, Namespace: "a", Result: audit.ResultSuccess})
	page, err := s.Query(context.Background(), audit.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if got := page.Events[0].Time; !got.Equal(now) {
		t.Errorf("Time = %s, want the clock's %s", got, now)
	}
}

func TestSQLiteStore_RecordRejectsInvalidEvents(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "audit.db"))
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

func TestSQLiteStore_QueryFilters(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "audit.db"))
	record(t, s,
		event("alice", "pay", "pay-dev", 0),
		event("bob", "pay", "pay-prod", 10),
		event("alice", "shop", "shop-dev", 20),
		event("carol", "shop", "shop-dev", 30),
		event("alice", "pay", "pay-prod", 40),
		audit.Event{Time: t0.Add(50 * time.Minute), User: "admin", Action: audit.ActionTenantCreate, Target: "tenant/web", Result: audit.ResultSuccess},
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
		{"since is inclusive", audit.Query{Since: t0.Add(30 * time.Minute)}, []string{"admin@50", "alice@40", "carol@30"}},
		{"until is exclusive", audit.Query{Until: t0.Add(20 * time.Minute)}, []string{"bob@10", "alice@0"}},
		{"time window", audit.Query{Since: t0.Add(10 * time.Minute), Until: t0.Add(40 * time.Minute)}, []string{"carol@30", "alice@20", "bob@10"}},
		{"time window in another zone", audit.Query{Since: t0.Add(10 * time.Minute).In(time.FixedZone("X", -5*3600)), Until: t0.Add(11 * time.Minute)}, []string{"bob@10"}},
		{"window and tenant", audit.Query{Tenant: "shop", Since: t0.Add(25 * time.Minute)}, []string{"carol@30"}},
		{"empty window", audit.Query{Since: t0.Add(time.Hour), Until: t0}, nil},
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

func TestSQLiteStore_PaginatesNewestFirstWithoutGapsOrRepeats(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "audit.db"))
	var want []string
	for i := range 23 {
		user := "alice"
		if i%3 == 0 {
			user = "bob" // Filtered out below, so pages must skip them without losing their place.
		}
		record(t, s, event(user, "pay", "pay-dev", i))
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
		record(t, s, event("alice", "pay", "pay-dev", 100+len(sizes)))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events across pages mismatch (-want +got):\n%s", diff)
	}
	// 15 events of alice: 4+4+4+3, and no empty trailing page.
	if diff := cmp.Diff([]int{4, 4, 4, 3}, sizes); diff != "" {
		t.Errorf("page sizes mismatch (-want +got):\n%s", diff)
	}
}

func TestSQLiteStore_ExactlyFullLastPageHasNoNextToken(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "audit.db"))
	for i := range 4 {
		record(t, s, event("alice", "pay", "pay-dev", i))
	}
	page, err := s.Query(context.Background(), audit.Query{Limit: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 4 || page.NextPageToken != "" {
		t.Errorf("got %d events and token %q, want 4 and no token", len(page.Events), page.NextPageToken)
	}
}

func TestSQLiteStore_LimitDefaultsAndIsCapped(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "audit.db"))
	for i := range audit.MaxLimit + 1 {
		record(t, s, event("alice", "pay", "pay-dev", i))
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

func TestSQLiteStore_RejectsForeignPageTokens(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "audit.db"))
	for _, token := range []string{"not base64!", "MTIz" /* "123" without the version */, "djE6LTE" /* "v1:-1" */, "djE6eA" /* "v1:x" */} {
		if _, err := s.Query(context.Background(), audit.Query{PageToken: token}); !errors.Is(err, audit.ErrInvalidPageToken) {
			t.Errorf("Query with page token %q = %v, want ErrInvalidPageToken", token, err)
		}
	}
}

func TestSQLiteStore_EventsSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "audit.db") // The directory does not exist yet.
	s, err := audit.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	record(t, s, event("alice", "pay", "pay-dev", 0), event("bob", "pay", "pay-dev", 1))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, path)
	record(t, s, event("carol", "pay", "pay-dev", 2))
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

// rawDB opens the database file directly, to look at what the store does not expose.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestOpenSQLite_MigrationsApplyOnceAndSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	for range 3 {
		s, err := audit.OpenSQLite(path)
		if err != nil {
			t.Fatalf("OpenSQLite: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	var versions []int
	rows, err := rawDB(t, path).Query(`SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{1, 2}, versions); diff != "" {
		t.Errorf("schema_migrations mismatch (-want +got):\n%s", diff)
	}
}

func TestOpenSQLite_RefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	s := open(t, path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := rawDB(t, path).Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, '0099_future.sql', 'x')`); err != nil {
		t.Fatal(err)
	}
	if _, err := audit.OpenSQLite(path); err == nil {
		t.Fatal("OpenSQLite of a database from a newer naas succeeded, want an error saying to upgrade")
	}
}

func TestOpenSQLite_UsesWALAndFullSync(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	open(t, path)
	var mode string
	if err := rawDB(t, path).QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal (it persists in the file)", mode)
	}
	// synchronous is per connection, so ask through the store's own settings: a connection opened the way the
	// store opens them.
	var sync int
	if err := audit.QueryPragmaForTest(t, path, "synchronous", &sync); err != nil {
		t.Fatal(err)
	}
	if sync != 2 {
		t.Errorf("synchronous = %d, want 2 (FULL)", sync)
	}
}

func TestSQLiteStore_ConcurrentWritersLoseNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	s := open(t, path)
	// A second store on the same file, as a second naas process would have.
	other := open(t, path)
	const writers, perWriter = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers*perWriter)
	for w := range writers {
		store := audit.Store(s)
		if w%2 == 1 {
			store = other
		}
		wg.Go(func() {
			for i := range perWriter {
				e := event(fmt.Sprintf("user-%d", w), "pay", "pay-dev", i)
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

func TestSQLiteStore_IntentReadsPendingUntilFinishRecordsTheOutcome(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "audit.db"))
	intent := event("alice", "pay", "pay-dev", 0)
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
	outcome.Time = t0.Add(time.Hour) // Not kept: the event is timed by its intent.
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

func TestSQLiteStore_IntentLeftWithoutOutcomeReadsUnknownAfterReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "audit.db")
	crashed, err := audit.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	lost, err := crashed.Intend(ctx, event("alice", "pay", "pay-dev", 0))
	if err != nil {
		t.Fatal(err)
	}
	finished, err := crashed.Intend(ctx, event("bob", "pay", "pay-web", 1))
	if err != nil {
		t.Fatal(err)
	}
	done := event("bob", "pay", "pay-web", 1)
	if err := crashed.Finish(ctx, finished, done); err != nil {
		t.Fatal(err)
	}
	// The process stops here without an outcome for alice's request; the file is all that is left.

	s := open(t, path)
	page, err := s.Query(ctx, audit.Query{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]audit.Event{}
	for _, e := range page.Events {
		got[e.ID] = e
	}
	if e := got[lost]; e.Result != audit.ResultUnknown || e.Reason != audit.ReasonOutcomeUnknown || e.User != "alice" {
		t.Errorf("intent without an outcome after reopen: %+v, want alice's request with result unknown and reason %q", e, audit.ReasonOutcomeUnknown)
	}
	if e := got[finished]; e.Result != audit.ResultAllowed {
		t.Errorf("finished intent after reopen: result %q, want allowed", e.Result)
	}

	// The process that intended it may yet be alive (several processes share a file): its outcome still lands.
	if err := crashed.Finish(ctx, lost, event("alice", "pay", "pay-dev", 0)); err != nil {
		t.Fatalf("Finish of an intent marked unknown by another store: %v", err)
	}
	page, err = s.Query(ctx, audit.Query{User: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 1 || page.Events[0].Result != audit.ResultAllowed {
		t.Errorf("after the late outcome: %+v, want alice's request allowed", page.Events)
	}
	if err := crashed.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSQLiteStore_ConcurrentIntentsAndOutcomesShareCommitsButNotFailures(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "audit.db"))
	const requests = 100
	var wg sync.WaitGroup
	errs := make(chan error, 2*requests)
	for i := range requests {
		wg.Go(func() {
			e := event(fmt.Sprintf("user-%d", i), "pay", "pay-dev", i)
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

func TestSQLiteStore_WritesAfterCloseFail(t *testing.T) {
	s, err := audit.OpenSQLite(filepath.Join(t.TempDir(), "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(context.Background(), event("alice", "pay", "pay-dev", 0)); !errors.Is(err, audit.ErrClosed) {
		t.Errorf("Record after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Intend(context.Background(), event("alice", "pay", "pay-dev", 0)); !errors.Is(err, audit.ErrClosed) {
		t.Errorf("Intend after Close: %v, want ErrClosed", err)
	}
}

// BenchmarkSQLiteStore_RequestUnderBurst measures what a request that changes something costs the audit log
// (Intend, then Finish) with 60 requests at once, as in a burst: the commits of concurrent requests are shared.
func BenchmarkSQLiteStore_RequestUnderBurst(b *testing.B) {
	s, err := audit.OpenSQLite(filepath.Join(b.TempDir(), "audit.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	b.SetParallelism(30) // 60 goroutines on two cores.
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			e := event("alice", "pay", "pay-dev", 0)
			id, err := s.Intend(ctx, e)
			if err != nil {
				b.Error(err)
				return
			}
			if err := s.Finish(ctx, id, e); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
