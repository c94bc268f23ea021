package sdjwt_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/keys"
	"github.com/nalw/linkpass/sdjwt"
)

func issue(t *testing.T, alg string) (*sdjwt.Issued, *keys.Key) {
	t.Helper()
	k, err := keys.Generate(alg)
	require.NoError(t, err)
	iss, err := sdjwt.New().
		Claim("iss", "https://register.example").
		Claim("name", "Siân Ó Súilleabháin").
		Selective("nation", "wales").
		SelectiveElements("qualifications", []any{map[string]any{"title": "Level 4"}, map[string]any{"title": "MSc"}}).
		Sign("dc+sd-jwt", k)
	require.NoError(t, err)
	return iss, k
}

func pub(t *testing.T, k *keys.Key) jwk.Key {
	t.Helper()
	j, err := k.PublicJWK()
	require.NoError(t, err)
	pk, err := jwk.ParseKey(j)
	require.NoError(t, err)
	return pk
}

func TestAllDisclosedRevealsEveryClaimAndHidesDigests(t *testing.T) {
	for _, alg := range []string{keys.AlgEdDSA, keys.AlgES256} {
		iss, k := issue(t, alg)
		tok, err := sdjwt.Parse(iss.Compact)
		require.NoError(t, err)
		assert.Equal(t, "dc+sd-jwt", tok.Header["typ"])
		assert.NotContains(t, tok.Payload, "nation", "a selective claim must not be in the clear")
		claims, err := tok.Verify(alg, pub(t, k))
		require.NoError(t, err)
		assert.Equal(t, "wales", claims["nation"])
		assert.Equal(t, "Siân Ó Súilleabháin", claims["name"])
		assert.Len(t, claims["qualifications"], 2)
		assert.NotContains(t, claims, "_sd")
		assert.NotContains(t, claims, "_sd_alg")
	}
}

func TestHolderWithholdsNationAndOneQualification(t *testing.T) {
	iss, k := issue(t, keys.AlgEdDSA)
	p, err := sdjwt.Present(iss, func(d sdjwt.Disclosure) bool {
		if d.Name == "nation" {
			return false
		}
		m, _ := d.Value.(map[string]any)
		return m == nil || m["title"] != "MSc"
	}, nil, "", "", time.Now())
	require.NoError(t, err)
	tok, err := sdjwt.Parse(p)
	require.NoError(t, err)
	claims, err := tok.Verify(keys.AlgEdDSA, pub(t, k))
	require.NoError(t, err)
	assert.NotContains(t, claims, "nation")
	assert.Equal(t, []any{map[string]any{"title": "Level 4"}}, claims["qualifications"])
}

func TestForgedDisclosureIsRefused(t *testing.T) {
	iss, k := issue(t, keys.AlgEdDSA)
	forged := strings.Replace(iss.Compact, iss.Disclosures[0].Encoded, "WyJzYWx0IiwibmF0aW9uIiwic2NvdGxhbmQiXQ", 1)
	tok, err := sdjwt.Parse(forged)
	require.NoError(t, err)
	_, err = tok.Verify(keys.AlgEdDSA, pub(t, k))
	assert.ErrorIs(t, err, sdjwt.ErrDisclosure)
}

func TestWrongIssuerKeyIsRefused(t *testing.T) {
	iss, _ := issue(t, keys.AlgEdDSA)
	other, err := keys.Generate(keys.AlgEdDSA)
	require.NoError(t, err)
	tok, err := sdjwt.Parse(iss.Compact)
	require.NoError(t, err)
	_, err = tok.Verify(keys.AlgEdDSA, pub(t, other))
	assert.ErrorIs(t, err, sdjwt.ErrSignature)
	_, err = tok.Verify("none", nil)
	assert.ErrorIs(t, err, sdjwt.ErrSignature)
}

func TestKeyBinding(t *testing.T) {
	iss, _ := issue(t, keys.AlgES256)
	holder, err := keys.Generate(keys.AlgES256)
	require.NoError(t, err)
	now := time.Now()
	p, err := sdjwt.Present(iss, func(sdjwt.Disclosure) bool { return true }, holder, "https://practice.example", "n-123", now)
	require.NoError(t, err)
	tok, err := sdjwt.Parse(p)
	require.NoError(t, err)
	check := sdjwt.KeyBindingCheck{Audience: "https://practice.example", Nonce: "n-123", Now: now}
	require.NoError(t, tok.VerifyKeyBinding(pub(t, holder), check))

	t.Run("wrong audience", func(t *testing.T) {
		c := check
		c.Audience = "https://elsewhere.example"
		assert.ErrorIs(t, tok.VerifyKeyBinding(pub(t, holder), c), sdjwt.ErrKeyBinding)
	})
	t.Run("wrong nonce", func(t *testing.T) {
		c := check
		c.Nonce = "other"
		assert.ErrorIs(t, tok.VerifyKeyBinding(pub(t, holder), c), sdjwt.ErrKeyBinding)
	})
	t.Run("old", func(t *testing.T) {
		c := check
		c.Now = now.Add(time.Hour)
		assert.ErrorIs(t, tok.VerifyKeyBinding(pub(t, holder), c), sdjwt.ErrKeyBinding)
	})
	t.Run("another key", func(t *testing.T) {
		other, err := keys.Generate(keys.AlgES256)
		require.NoError(t, err)
		assert.ErrorIs(t, tok.VerifyKeyBinding(pub(t, other), check), sdjwt.ErrKeyBinding)
	})
	t.Run("disclosure dropped after binding", func(t *testing.T) {
		cut := strings.Replace(p, iss.Disclosures[0].Encoded+"~", "", 1)
		tok2, err := sdjwt.Parse(cut)
		require.NoError(t, err)
		assert.ErrorIs(t, tok2.VerifyKeyBinding(pub(t, holder), check), sdjwt.ErrKeyBinding)
	})
}
