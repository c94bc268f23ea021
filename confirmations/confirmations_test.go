package confirmations

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/courses"
	"github.com/nalw/linkpass/issuer/register"
)

var app = Subject{Application: "A1001"}

func TestAnAnswerSaysWhatIsWrongWithIt(t *testing.T) {
	for name, tc := range map[string]struct {
		a    Answer
		says string
	}{
		"no subject":               {Answer{Outcome: Confirmed}, "either the application"},
		"two subjects":             {Answer{Subject: Subject{Application: "A1", Registrant: "LW1000015"}, Outcome: Confirmed}, "not both"},
		"a negative index":         {Answer{Subject: app, Index: -1, Outcome: Confirmed}, "numbered from 0"},
		"an unknown outcome":       {Answer{Subject: app, Outcome: "maybe"}, "confirmed or disputed"},
		"a dispute without reason": {Answer{Subject: app, Outcome: Disputed, Reason: " \n "}, "say why"},
		"a confirmation with one":  {Answer{Subject: app, Outcome: Confirmed, Reason: "because"}, "takes no reason"},
		"a reason too long":        {Answer{Subject: app, Outcome: Disputed, Reason: strings.Repeat("x", MaxReasonLen+1)}, "reason"},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.a.Validate()
			require.ErrorIs(t, err, register.ErrInvalid)
			assert.Contains(t, err.Error(), tc.says)
		})
	}
	assert.NoError(t, Answer{Subject: app, Outcome: Disputed, Reason: "No record."}.Validate())
}

func TestDecideKeysByCourseAndDateAndKeepsHistory(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	qs := []register.Qualification{{Course: "C1", Awarded: "2025-06-30"}, {Title: "Other", Awarded: "2020-01-01"}}
	p := &courses.Provider{ID: "P1", Name: "University of Westminster"}
	ck := Check{Qualifications: qs, Course: &courses.Course{ID: "C1", Provider: "P1"}, Provider: p, Answerer: "P1"}
	c, changed, err := Decide(nil, Answer{Subject: app, Index: 0, Outcome: Confirmed}, ck, "st_1", at, 7)
	require.NoError(t, err)
	assert.True(t, changed)
	assert.Equal(t, "A1001/C1/2025-06-30", c.ID)
	assert.Equal(t, register.Date("2026-03-01"), c.Date())

	same, changed, err := Decide(c, Answer{Subject: app, Index: 0, Course: "C1", Outcome: Confirmed}, ck, "st_2", at.Add(time.Hour), 8)
	require.NoError(t, err)
	assert.False(t, changed)
	assert.Same(t, c, same)

	d, changed, err := Decide(c, Answer{Subject: app, Index: 0, Outcome: Disputed, Reason: "Wrong date."}, ck, "st_2", at.Add(time.Hour), 9)
	require.NoError(t, err)
	assert.True(t, changed)
	assert.Equal(t, []Step{{Outcome: Confirmed, By: "st_1", At: at}}, d.History)
	assert.Equal(t, uint64(7), d.CreateIndex)
	assert.Equal(t, uint64(9), d.ModifyIndex)
	assert.Empty(t, c.History, "the old record is left as it was")

	other := ck
	other.Answerer = "P2"
	for _, tc := range []struct {
		a  Answer
		ck Check
	}{{Answer{Subject: app, Index: 0, Outcome: Confirmed}, other}, {Answer{Subject: app, Index: 1, Outcome: Confirmed}, ck}, {Answer{Subject: app, Index: 5, Outcome: Confirmed}, ck}} {
		_, _, err := Decide(nil, tc.a, tc.ck, "st_1", at, 10)
		require.ErrorIs(t, err, register.ErrForbidden)
		assert.Contains(t, err.Error(), "not a claim to one of your provider's courses")
		assert.NotContains(t, err.Error(), "Westminster", "says nothing of the line")
	}
	_, _, err = Decide(nil, Answer{Subject: app, Index: 0, Outcome: Confirmed}, Check{Qualifications: qs, Course: ck.Course, Provider: p}, "x", at, 10)
	require.ErrorIs(t, err, register.ErrForbidden, "no answerer, no answer")
}

func TestCarriedAndMatchedByCourseAndDate(t *testing.T) {
	c := &Confirmation{ID: Key(app, "C1", "2025-06-30"), Subject: app, Course: "C1", Awarded: "2025-06-30", Outcome: Confirmed,
		History: []Step{{Outcome: Disputed}}, CreateIndex: 3, ModifyIndex: 4}
	n := c.Carry("LW1000015", 9)
	assert.Equal(t, "LW1000015/C1/2025-06-30", n.ID)
	assert.Equal(t, Subject{Registrant: "LW1000015"}, n.Subject)
	assert.Equal(t, "A1001", n.CarriedFrom)
	assert.Equal(t, uint64(9), n.CreateIndex)
	assert.Equal(t, app, c.Subject, "the application's record is left as it was")

	qs := []register.Qualification{{Title: "Other"}, {Course: "C1", Awarded: "2025-07-01"}, {Course: "C1", Awarded: "2025-06-30"}}
	lines := Lines(qs, []*Confirmation{n})
	assert.Nil(t, lines[0])
	assert.Nil(t, lines[1], "another award date is another claim")
	assert.Same(t, n, lines[2])
	z := Zip(qs, []*Confirmation{n})
	assert.Same(t, n, z[2].Confirmation)
	assert.Equal(t, "Other", z[0].Title)
}
