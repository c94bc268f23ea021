package publicregister

import (
	"reflect"
	"testing"
	"time"

	"github.com/nalw/linkpass/issuer/register"
)

// TestSlabViewsAsView holds the entries an answer's slab makes to those
// view makes on its own: the same lists, none sharing room with another,
// and the same status dates across days, zones and times before 1970.
func TestSlabViewsAsView(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	at := asOf(now, register.Settings{GraceDays: 30, RemovedVisibleDays: 365})
	var regs []register.Registrant
	times := []time.Time{
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 23, 59, 59, 999, time.UTC),
		time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 2, 0, 30, 0, 0, time.FixedZone("", 3600)),
		time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(1969, 12, 30, 23, 0, 0, 0, time.UTC), {},
	}
	for i, tm := range times {
		for n := range 4 {
			r := register.Registrant{Number: "LW1", Given: "A", Family: "B", Status: register.Registered, StatusChangedAt: tm,
				RegisteredUntil: "2027-03-31"}
			if i%3 == 0 {
				r.Status = register.Removed
				r.StatusChangedAt = now.AddDate(0, 0, -i)
			}
			for k := range n {
				r.Qualifications = append(r.Qualifications, register.Qualification{Title: string(rune('a' + k))})
				if n%2 == 1 {
					r.Restrictions = append(r.Restrictions, register.Restriction{Text: string(rune('p' + k))})
				}
			}
			regs = append(regs, r)
		}
	}
	var b slab
	var got []Entry
	for i := range regs {
		b.left = len(regs) - i
		e, ok := b.view(&regs[i], at)
		want, wantOK := view(&regs[i], at)
		if ok != wantOK || !reflect.DeepEqual(e, want) {
			t.Fatalf("registrant %d: slab gives %+v, %v; view %+v, %v", i, e, ok, want, wantOK)
		}
		got = append(got, e)
	}
	// Lists filled after the answer is made would show through another's
	// if they shared room.
	for i := range got {
		if l := got[i].Qualifications; len(l) < cap(l) {
			t.Fatalf("entry %d: a list with room past its length", i)
		}
		want, _ := view(&regs[i], at)
		if !reflect.DeepEqual(got[i], want) {
			t.Fatalf("entry %d changed after later entries: %+v, want %+v", i, got[i], want)
		}
	}
}
