package apply

import "testing"

func TestContains(t *testing.T) {
	tests := []struct {
		name          string
		live, desired any
		want          bool
	}{
		{"equal scalars", "a", "a", true},
		{"different scalars", "a", "b", false},
		{"int vs float", float64(3), int64(3), true},
		{"extra live keys are fine", map[string]any{"a": "1", "b": "2"}, map[string]any{"a": "1"}, true},
		{"missing key", map[string]any{"b": "2"}, map[string]any{"a": "1"}, false},
		{"server default inside list item", []any{map[string]any{"port": int64(443), "protocol": "TCP"}}, []any{map[string]any{"port": int64(443)}}, true},
		{"list item removed", []any{"a"}, []any{"a", "b"}, false},
		{"list item added by someone else", []any{"a", "b", "c"}, []any{"a", "b"}, false},
		{"empty desired map vs absent", map[string]any{}, map[string]any{"labels": map[string]any{}}, true},
		{"desired empty list but live has items", map[string]any{"rules": []any{"x"}}, map[string]any{"rules": []any{}}, false},
		{"nested edit", map[string]any{"spec": map[string]any{"hard": map[string]any{"pods": "20"}}}, map[string]any{"spec": map[string]any{"hard": map[string]any{"pods": "10"}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Contains(tt.live, tt.desired); got != tt.want {
				t.Errorf("Contains(%v, %v) = %v, want %v", tt.live, tt.desired, got, tt.want)
			}
		})
	}
}
