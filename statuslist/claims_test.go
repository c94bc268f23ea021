package statuslist

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// specTokenPayload is the claims set of the specification's example Status
// List Token (section "Status List Token in JWT Format").
const specTokenPayload = `{
  "exp": 2291720170,
  "iat": 1686920170,
  "status_list": {
    "bits": 1,
    "lst": "eNrbuRgAAhcBXQ"
  },
  "sub": "https://example.com/statuslists/1",
  "ttl": 43200
}`

const specURI = "https://example.com/statuslists/1"

func parseClaims(t *testing.T, payload string) (*TokenClaims, error) {
	t.Helper()
	var c TokenClaims
	err := json.Unmarshal([]byte(payload), &c)
	return &c, err
}

func TestTokenClaimsParseTheSpecExample(t *testing.T) {
	c, err := parseClaims(t, specTokenPayload)
	require.NoError(t, err)
	assert.Equal(t, specURI, c.Subject)
	assert.Equal(t, time.Unix(1686920170, 0).UTC(), c.IssuedAt)
	assert.Equal(t, time.Unix(2291720170, 0).UTC(), c.Expiry)
	assert.Equal(t, 12*time.Hour, c.TTL)
	require.NotNil(t, c.StatusList)
	assert.Equal(t, Claim{Bits: 1, Lst: "eNrbuRgAAhcBXQ"}, *c.StatusList)

	require.NoError(t, c.Validate(specURI, time.Unix(1686920170, 0)))
	l, err := c.StatusList.Decode()
	require.NoError(t, err)
	assert.Equal(t, Invalid, mustGet(t, l, 0))
	assert.Equal(t, Valid, mustGet(t, l, 1))
}

func TestTokenClaimsMarshalAsIntegerSecondsAndRoundTrip(t *testing.T) {
	in := TokenClaims{
		Subject:    specURI,
		Issuer:     "https://register.example",
		IssuedAt:   time.Unix(1686920170, 0).UTC(),
		Expiry:     time.Unix(2291720170, 0).UTC(),
		TTL:        12 * time.Hour,
		StatusList: &Claim{Bits: 2, Lst: "eNo76fITAAPfAgc"},
	}
	b, err := json.Marshal(in)
	require.NoError(t, err)
	assert.JSONEq(t, `{"sub":"https://example.com/statuslists/1","iss":"https://register.example",
		"iat":1686920170,"exp":2291720170,"ttl":43200,
		"status_list":{"bits":2,"lst":"eNo76fITAAPfAgc"}}`, string(b))
	// JSONEq compares numbers as floats; the text must hold integers.
	assert.Contains(t, string(b), `"iat":1686920170,"exp":2291720170,"ttl":43200,`)

	var out TokenClaims
	require.NoError(t, json.Unmarshal(b, &out))
	assert.Equal(t, in, out)
}

func TestTokenClaimsMarshalLeavesOutAbsentOptionalMembers(t *testing.T) {
	b, err := json.Marshal(TokenClaims{
		Subject:    specURI,
		IssuedAt:   time.Unix(1, 0),
		StatusList: &Claim{Bits: 1, Lst: "x"},
	})
	require.NoError(t, err)
	assert.JSONEq(t, `{"sub":"https://example.com/statuslists/1","iat":1,"status_list":{"bits":1,"lst":"x"}}`, string(b))
}

func TestTokenClaimsMarshalRoundsSubSecondTTLUp(t *testing.T) {
	b, err := json.Marshal(TokenClaims{TTL: 1500 * time.Millisecond})
	require.NoError(t, err)
	assert.JSONEq(t, `{"ttl":2}`, string(b))
}

func TestTokenClaimsAcceptFractionalNumericDates(t *testing.T) {
	c, err := parseClaims(t, `{"iat": 1686920170.5}`)
	require.NoError(t, err)
	assert.Equal(t, time.Unix(1686920170, 500_000_000).UTC(), c.IssuedAt)
}

func TestTokenClaimsRejectMalformedMembers(t *testing.T) {
	for name, payload := range map[string]string{
		"iat as string":   `{"iat": "1686920170"}`,
		"negative iat":    `{"iat": -1}`,
		"huge exp":        `{"exp": 1e300}`,
		"zero ttl":        `{"ttl": 0}`,
		"negative ttl":    `{"ttl": -5}`,
		"ttl overflow":    `{"ttl": 1e19}`,
		"bits as string":  `{"status_list": {"bits": "2", "lst": "x"}}`,
		"not an object":   `[1, 2]`,
		"sub as a number": `{"sub": 1}`,
	} {
		_, err := parseClaims(t, payload)
		assert.ErrorIs(t, err, ErrInvalidClaim, name)
	}
}

func TestValidateReportsEachMissingRequiredClaim(t *testing.T) {
	now := time.Unix(1686920170, 0)
	for name, tc := range map[string]struct {
		payload string
		want    string
	}{
		"status_list": {`{"sub": "u", "iat": 1}`, "status_list"},
		"sub":         {`{"iat": 1, "status_list": {"bits": 1, "lst": "x"}}`, "sub"},
		"iat":         {`{"sub": "u", "status_list": {"bits": 1, "lst": "x"}}`, "iat"},
		"lst":         {`{"sub": "u", "iat": 1, "status_list": {"bits": 1}}`, "status_list.lst"},
	} {
		c, err := parseClaims(t, tc.payload)
		require.NoError(t, err, name)
		err = c.Validate("u", now)
		assert.ErrorIs(t, err, ErrMissingClaim, name)
		assert.ErrorContains(t, err, tc.want, name)
	}
}

func TestValidateAcceptsIatOfZeroAsPresent(t *testing.T) {
	c, err := parseClaims(t, `{"sub": "u", "iat": 0, "status_list": {"bits": 1, "lst": "x"}}`)
	require.NoError(t, err)
	assert.NoError(t, c.Validate("u", time.Unix(10, 0)))
}

func TestValidateRejectsInvalidBits(t *testing.T) {
	for _, payload := range []string{
		`{"sub": "u", "iat": 1, "status_list": {"bits": 3, "lst": "x"}}`,
		`{"sub": "u", "iat": 1, "status_list": {"lst": "x"}}`,
	} {
		c, err := parseClaims(t, payload)
		require.NoError(t, err)
		err = c.Validate("u", time.Unix(10, 0))
		assert.ErrorIs(t, err, ErrInvalidClaim)
		assert.ErrorIs(t, err, ErrInvalidBits)
	}
}

func TestValidateRejectsSubjectOtherThanTheCredentialsURI(t *testing.T) {
	c, err := parseClaims(t, specTokenPayload)
	require.NoError(t, err)
	for _, uri := range []string{"https://example.com/statuslists/2", "https://example.com/statuslists/1/", ""} {
		assert.ErrorIs(t, c.Validate(uri, time.Unix(1686920170, 0)), ErrSubjectMismatch, uri)
	}
}

func TestValidateRejectsTokenAtOrAfterExp(t *testing.T) {
	c, err := parseClaims(t, specTokenPayload)
	require.NoError(t, err)
	exp := time.Unix(2291720170, 0)

	assert.NoError(t, c.Validate(specURI, exp.Add(-time.Second)))
	assert.ErrorIs(t, c.Validate(specURI, exp), ErrExpired, "RFC 7519: now must be before exp")
	assert.ErrorIs(t, c.Validate(specURI, exp.Add(time.Hour)), ErrExpired)

	assert.NoError(t, c.Validate(specURI, exp.Add(time.Minute), WithLeeway(2*time.Minute)))
	assert.ErrorIs(t, c.Validate(specURI, exp.Add(3*time.Minute), WithLeeway(2*time.Minute)), ErrExpired)
}

func TestValidateAcceptsTokenWithoutExp(t *testing.T) {
	c, err := parseClaims(t, `{"sub": "u", "iat": 1, "status_list": {"bits": 2, "lst": "x"}}`)
	require.NoError(t, err)
	assert.NoError(t, c.Validate("u", time.Unix(1<<40, 0)))
}

func TestValidateRejectsNegativeTTLSetInCode(t *testing.T) {
	c := TokenClaims{Subject: "u", IssuedAt: time.Unix(1, 0), TTL: -time.Second, StatusList: &Claim{Bits: 1, Lst: "x"}}
	assert.ErrorIs(t, c.Validate("u", time.Unix(2, 0)), ErrInvalidClaim)
}

func TestClaimDecodeValidatesBeforeDecoding(t *testing.T) {
	_, err := Claim{Bits: 5, Lst: "eNrbuRgAAhcBXQ"}.Decode()
	assert.ErrorIs(t, err, ErrInvalidBits)
	_, err = Claim{Bits: 1}.Decode()
	assert.ErrorIs(t, err, ErrMissingClaim)
}

func TestTokenClaimsRefuseDuplicateAndCaseVariantMembers(t *testing.T) {
	for _, body := range []string{
		`{"sub":"https://a/status/1","SUB":"https://b/status/1","iat":1,"status_list":{"bits":2,"lst":"eNo"}}`,
		`{"sub":"https://a/status/1","iat":1,"iat":2,"status_list":{"bits":2,"lst":"eNo"}}`,
		`{"Sub":"https://a/status/1","iat":1,"status_list":{"bits":2,"lst":"eNo"}}`,
	} {
		var c TokenClaims
		require.ErrorIs(t, json.Unmarshal([]byte(body), &c), ErrInvalidClaim, body)
	}
}
