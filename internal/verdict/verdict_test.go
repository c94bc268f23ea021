package verdict

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/trustbundle"
	"github.com/nalw/linkpass/verifier"
)

func withMark() Verdict {
	return Verdict{Valid: true, Outcome: verifier.OutcomeValid, Credential: &Credential{
		Name: "Amara Nwosu", QualityMark: &credential.QualityMark{Scheme: credential.QualityMarkScheme, Register: "NALW", ValidUntil: "2027-06-30"},
	}}
}

// TestCompareQualityMarkFollowsTheRegistersStandingNow checks that a
// credential's Quality Mark is reported withdrawn once the register no
// longer holds it, without touching the registration verdict.
func TestCompareQualityMarkFollowsTheRegistersStandingNow(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	asOf := now.Add(-time.Hour)
	cases := map[string]struct {
		standing *trustbundle.QualityMarkStanding
		want     string
	}{
		"held":                   {&trustbundle.QualityMarkStanding{Held: true, Until: "2027-06-30", AsOf: asOf}, "held"},
		"held, last day":         {&trustbundle.QualityMarkStanding{Held: true, Until: "2026-11-24", AsOf: asOf}, "held"},
		"withdrawn":              {&trustbundle.QualityMarkStanding{Held: false, AsOf: asOf}, "withdrawn"},
		"ran out since the sync": {&trustbundle.QualityMarkStanding{Held: true, Until: "2026-11-23", AsOf: asOf}, "withdrawn"},
		"not stated":             {nil, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			v := withMark()
			v.CompareQualityMark(tc.standing, now)
			assert.Equal(t, tc.want, v.QualityMarkNow)
			assert.True(t, v.Valid, "registration is unaffected")
			var out bytes.Buffer
			v.WriteText(&out)
			if tc.want == "withdrawn" {
				assert.Contains(t, out.String(), "NO LONGER HELD")
			} else {
				assert.Contains(t, out.String(), "PSA Quality Mark:      yes")
			}
		})
	}
	v := withMark()
	v.Credential.QualityMark = nil
	v.CompareQualityMark(&trustbundle.QualityMarkStanding{Held: false}, now)
	assert.Empty(t, v.QualityMarkNow, "nothing to compare when the credential shows no mark")
}

func TestStatusNotCheckedIsNeverReadAsValid(t *testing.T) {
	res := &verifier.Result{Outcome: verifier.OutcomeStatusNotChecked, Reason: "its status was not checked",
		Claims: &credential.Claims{CredentialSubject: credential.Subject{Name: "Amara Nwosu"}}}
	v := From(res, time.Now())
	assert.False(t, v.Valid)
	assert.Equal(t, NotChecked, v.Status)
	assert.Equal(t, "STATUS NOT CHECKED", v.Headline())
	var out bytes.Buffer
	v.WriteText(&out)
	assert.NotContains(t, out.String(), "VALID\n")
	assert.Contains(t, out.String(), "Do not rely on this credential until its status is checked")
	assert.Contains(t, out.String(), "Status:                NOT CHECKED")
}
