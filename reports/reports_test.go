package reports

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
)

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func ev(when, action, regno, target string, details map[string]string) *register.AuditEvent {
	return &register.AuditEvent{At: at(when), Action: action, Registrant: regno, Target: target, Details: details}
}

// trail is a year of a small register, with events before and after the
// range that must be counted only where they should.
var trail = []*register.AuditEvent{
	ev("2025-12-20 10:00", "registrant.suspend", "LW1", "", nil), // suspended before the range, reinstated in it
	ev("2025-12-28 10:00", "application.submit", "", "APP-1", nil),
	ev("2026-01-05 10:00", "application.approve", "LW9", "APP-1", nil), // 8 days after submission
	ev("2026-01-10 10:00", "application.submit", "", "APP-2", nil),
	ev("2026-01-11 10:00", "application.request-information", "", "APP-2", nil),
	ev("2026-01-14 10:00", "application.refuse", "", "APP-2", nil), // 4 days
	ev("2026-01-15 10:00", "application.appeal", "", "APP-2", nil),
	ev("2026-01-31 10:00", "registrant.reinstate", "LW1", "", nil),
	ev("2026-02-01 10:00", "registrant.add", "LW2", "", nil),
	ev("2026-02-02 10:00", "registrant.suspend", "LW2", "", map[string]string{"decided": "2026-01-30"}), // 3 days to publication
	ev("2026-02-03 10:00", "registrant.restrict", "LW3", "", nil),
	ev("2026-02-10 10:00", "registrant.remove", "LW4", "", map[string]string{"decided": "2026-02-09"}),
	ev("2026-02-11 10:00", "registrant.renew", "LW5", "", nil),
	ev("2026-02-12 10:00", "registrant.lapse", "LW6", "", nil),
	ev("2026-02-13 10:00", "cpd-audit.select", "LW5", "2026/LW5", nil),
	ev("2026-02-20 10:00", "cpd-audit.fail", "LW5", "2026/LW5", nil),
	ev("2026-03-05 10:00", "registrant.renew", "LW7", "", nil), // after the range
}

func TestReportFromTheAuditTrailAlone(t *testing.T) {
	r, err := Build(trail, "2026-01-01", "2026-02-28", 10, at("2026-12-02 09:00"))
	require.NoError(t, err)
	assert.Equal(t, Applications{Received: 1, InformationRequested: 1, Approved: 1, Refused: 1, Appealed: 1,
		DaysToDecision: Durations{Count: 2, MedianDays: 6, MaxDays: 8}}, r.Applications, "APP-1 was received before the range")
	assert.Equal(t, Registrations{Added: 1, Renewed: 1, Lapsed: 1, Suspended: 1, Reinstated: 1, Restricted: 1, Removed: 1}, r.Registrations)
	assert.Equal(t, CPDAudits{Drawn: 1, Failed: 1}, r.CPDAudits)

	require.Len(t, r.Decisions, 3)
	assert.Equal(t, Decision{Registrant: "LW2", Action: "registrant.suspend", Decided: "2026-01-30", Published: at("2026-02-02 10:00"), Days: 3.4}, r.Decisions[0])
	assert.Equal(t, 0.0, r.Decisions[1].Days, "no decision date: published as decided")
	assert.Equal(t, Durations{Count: 3, MedianDays: 1.4, MaxDays: 3.4}, r.DecisionToPublication)

	// LW1's suspension counts from the start of the range to its end; LW2's
	// is still shown at the end of the range.
	require.Len(t, r.Suspensions, 2)
	assert.Equal(t, "LW1", r.Suspensions[0].Registrant)
	assert.Equal(t, 30.4, r.Suspensions[0].Days)
	assert.Equal(t, "LW2", r.Suspensions[1].Registrant)
	assert.True(t, r.Suspensions[1].Until.IsZero())
	assert.Equal(t, 26.6, r.Suspensions[1].Days)
	// LW4's removal is shown for the 10-day policy, which ends in the range.
	require.Len(t, r.Removals, 1)
	assert.Equal(t, at("2026-02-20 10:00"), r.Removals[0].Until)
	assert.Equal(t, 10.0, r.Removals[0].Days)
	// With a longer policy it is still shown at the end of the range.
	long, err := Build(trail, "2026-01-01", "2026-02-28", 1825, at("2026-12-02 09:00"))
	require.NoError(t, err)
	assert.True(t, long.Removals[0].Until.IsZero())
	assert.Equal(t, 18.6, long.Removals[0].Days)

	var buf bytes.Buffer
	require.NoError(t, r.WriteCSV(&buf))
	rows, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, []string{"section", "measure", "registration_number", "from", "until", "days", "value"}, rows[0])
	assert.Contains(t, rows, []string{"applications", "refused", "", "", "", "", "1"})
	assert.Contains(t, rows, []string{"decision", "registrant.suspend", "LW2", "2026-01-30", "2026-02-02T10:00:00Z", "3.4", ""})
	assert.Contains(t, rows, []string{"removal", "displayed", "LW4", "2026-02-10T10:00:00Z", "2026-02-20T10:00:00Z", "10", ""})
}

func TestReportRangeIsChecked(t *testing.T) {
	_, err := Build(trail, "2026-03-01", "2026-02-01", 30, time.Now())
	assert.ErrorIs(t, err, register.ErrInvalid)
	r, err := Build(nil, "2026-01-01", "2026-01-31", 30, time.Now())
	require.NoError(t, err)
	assert.Empty(t, r.Decisions)
	assert.Zero(t, r.Applications.Received)
}

// TestReadFromTheStoreIsTheReportOfTheWholeTrail: reading only the actions
// a report counts gives the same report as reading every event.
func TestReadFromTheStoreIsTheReportOfTheWholeTrail(t *testing.T) {
	st, err := state.New()
	require.NoError(t, err)
	for i, e := range trail {
		require.NoError(t, st.Write(uint64(i+1), func(tx *state.Txn) error {
			// Noise a report ignores, in the same change.
			if err := tx.Audit(register.AuditEvent{At: e.At, Action: "mail.sent", Registrant: e.Registrant}); err != nil {
				return err
			}
			return tx.Audit(*e)
		}))
	}
	all, err := st.Audit(state.AuditFilter{})
	require.NoError(t, err)
	require.Len(t, all, 2*len(trail))
	now := at("2026-12-02 09:00")
	want, err := Build(all, "2026-01-01", "2026-02-28", st.Settings().RemovedVisibleDays, now)
	require.NoError(t, err)
	got, err := Read(st, "2026-01-01", "2026-02-28", now)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Equal(t, 1, got.Registrations.Suspended, "the report is not empty")
	_, err = Read(st, "2026-03-01", "2026-02-01", now)
	assert.ErrorIs(t, err, register.ErrInvalid)
}
