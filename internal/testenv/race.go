package testenv

import (
	"strings"
	"sync"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// RaceForHostnames runs n creates at the same instant and returns the names of those that were admitted. Every
// create that is refused must be refused as Invalid, naming the namespace that holds the hostname: anything else
// fails the test. create(i) makes the i-th claim and returns its name and the API server's answer.
func RaceForHostnames(t *testing.T, n int, create func(i int) (string, error)) (winners []string) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			name, err := create(i)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				winners = append(winners, name)
			case !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "held by namespace"):
				t.Errorf("claim %s: %v, want Invalid naming the namespace that holds the hostname", name, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	return winners
}
