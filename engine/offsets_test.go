package engine

import (
	"maps"
	"testing"
)

func TestOffsetTracker(t *testing.T) {
	type step struct {
		add, done []int64
		want      map[int]int64 // Pending() for partition 0 after the step
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"nothing finished commits nothing", []step{
			{add: []int64{0, 1, 2}, want: map[int]int64{}},
		}},
		{"a finished prefix is committable", []step{
			{add: []int64{0, 1, 2}, done: []int64{0, 1}, want: map[int]int64{0: 1}},
		}},
		{"a later offset finished first waits for the earlier one", []step{
			{add: []int64{5, 6, 7}, done: []int64{7, 6}, want: map[int]int64{}},
			{done: []int64{5}, want: map[int]int64{0: 7}},
		}},
		{"a gap in the middle holds back what follows it", []step{
			{add: []int64{0, 1, 2, 3}, done: []int64{0, 2, 3}, want: map[int]int64{0: 0}},
		}},
		{"refetching from an older offset restarts the partition", []step{
			{add: []int64{10, 11}, done: []int64{10}, want: map[int]int64{0: 10}},
			{add: []int64{8}, done: []int64{8}, want: map[int]int64{0: 8}},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := newOffsetTracker()
			for i, s := range c.steps {
				for _, o := range s.add {
					tr.Add(0, o)
				}
				for _, o := range s.done {
					tr.Done(0, o)
				}
				if got := tr.Pending(); !maps.Equal(got, s.want) {
					t.Fatalf("step %d: Pending() = %v, want %v", i, got, s.want)
				}
			}
		})
	}
}

func TestOffsetTrackerNeverCommitsBackwards(t *testing.T) {
	tr := newOffsetTracker()
	for o := int64(0); o < 4; o++ {
		tr.Add(1, o)
		tr.Done(1, o)
	}
	tr.Committed(1, 3)
	tr.Committed(1, 1) // a late, older commit must not move it back
	if got := tr.Pending(); len(got) != 0 {
		t.Fatalf("Pending() after committing 3 = %v, want nothing", got)
	}
	tr.Add(1, 4)
	tr.Done(1, 4)
	if got := tr.Pending(); got[1] != 4 {
		t.Fatalf("Pending()[1] = %d, want 4", got[1])
	}
	if !tr.Idle() {
		t.Fatal("Idle() = false with nothing in flight")
	}
}
