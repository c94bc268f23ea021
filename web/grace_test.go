package web

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/nalw/linkpass/issuer/publicregister"
)

// An entry in its grace period says plainly that the person is still
// registered, until when, and that their credential has expired; one past
// registered-until without grace says they may not practise.
func TestAnEntryInItsGracePeriodSaysWhatItIs(t *testing.T) {
	qm := publicregister.QualityMark{Held: true}
	e := publicregister.Entry{RegistrationNumber: "LW1000015", Name: "Ada Evans", Status: "registered", RegisteredUntil: "2026-06-30",
		MayPractise: true, LapsesOn: "2026-07-15"}
	v := newEntryView(e, qm, false)
	assert.Empty(t, v.NotPractising)
	assert.Contains(t, v.Grace, "still registered")
	assert.Contains(t, v.Grace, "lapses on 15 July 2026")
	assert.Contains(t, v.Grace, "Credentials expired on 30 June 2026")
	assert.True(t, v.MarkTick, "registered, under the register's mark")

	e.MayPractise, e.LapsesOn = false, ""
	v = newEntryView(e, qm, false)
	assert.Empty(t, v.Grace)
	assert.Contains(t, v.NotPractising, "registration ended on 30 June 2026")
	assert.False(t, v.MarkTick)
}
