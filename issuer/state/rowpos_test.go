package state

import (
	"strings"
	"testing"
)

// TestRowPositions finds every row's position, across batches and probes
// that wrap, and no position for a row it was not given.
func TestRowPositions(t *testing.T) {
	for _, n := range []int{0, 1, 7, rowBatch, 3*rowBatch + 5, 10_000} {
		rows := make([]string, n)
		for i := range rows {
			rows[i] = strings.Repeat("r", 1+i%3) + string(rune('a'+i%26))
		}
		pos := newRowPositions(n)
		for first := 0; first < n; first += rowBatch {
			var ids []uintptr
			for _, row := range rows[first:min(n, first+rowBatch)] {
				ids = append(ids, rowID(row))
			}
			pos.set(ids, uint32(first))
		}
		var ids []uintptr
		for i := n - 1; i >= 0; i-- {
			ids = append(ids, rowID(rows[i]))
		}
		got := make([]uint32, len(ids))
		if !pos.get(ids, got) {
			t.Fatalf("%d rows: a row has no position", n)
		}
		for k, p := range got {
			if want := uint32(n - 1 - k); p != want {
				t.Fatalf("%d rows: row %d at %d", n, want, p)
			}
		}
		other := strings.Clone("other")
		if pos.get([]uintptr{rowID(other)}, make([]uint32, 1)) {
			t.Fatalf("%d rows: a row not given has a position", n)
		}
		if pos.get([]uintptr{0}, make([]uint32, 1)) {
			t.Fatalf("%d rows: address 0 has a position", n)
		}
	}
}

// TestRowPositionsReused forgets the rows of its first use.
func TestRowPositionsReused(t *testing.T) {
	a, b := strings.Clone("first"), strings.Clone("second")
	pos := newRowPositions(4)
	pos.set([]uintptr{rowID(a)}, 7)
	again := pos.reuse(2)
	if again != pos {
		t.Fatal("a table with the slots was not reused")
	}
	got := make([]uint32, 1)
	if again.get([]uintptr{rowID(a)}, got) {
		t.Fatal("a reused table still holds a row of its first use")
	}
	again.set([]uintptr{rowID(b)}, 3)
	if !again.get([]uintptr{rowID(b)}, got) || got[0] != 3 {
		t.Fatalf("second use: %v", got)
	}
	if bigger := pos.reuse(1000); bigger == pos || len(bigger.slots) < 2000 {
		t.Fatal("a table too small was reused")
	}
}
