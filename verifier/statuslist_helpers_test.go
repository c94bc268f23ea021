package verifier

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/credential"
	"github.com/nalw/linkpass/statuslist"
)

// testListURI is the status list the sample credential points at.
const testListURI = testIssuer + "/status/1"

// listHeader is the header a register writes on a Status List Token.
func listHeader(k credential.Signer) string {
	return `{"alg":"` + k.Algorithm() + `","kid":"` + k.KeyID() + `","typ":"statuslist+jwt"}`
}

// listClaim builds a 2-bit list of size entries with the given values set
// and returns its status_list claim.
func listClaim(t testing.TB, size int, set map[int]uint8) *statuslist.Claim {
	l, err := statuslist.New(2, size)
	require.NoError(t, err)
	for idx, v := range set {
		require.NoError(t, l.Set(idx, v))
	}
	c, err := l.Claim()
	require.NoError(t, err)
	return &c
}

// listClaims returns the claims of a Status List Token for uri issued at
// iat: ttl one hour, exp 36 hours, a small list with entry 1 revoked,
// entry 2 suspended and entry 3 set to the undefined value 3.
func listClaims(t testing.TB, uri string, iat time.Time) statuslist.TokenClaims {
	return statuslist.TokenClaims{
		Subject:    uri,
		Issuer:     testIssuer,
		IssuedAt:   iat,
		Expiry:     iat.Add(36 * time.Hour),
		TTL:        time.Hour,
		StatusList: listClaim(t, 1024, map[int]uint8{1: statuslist.Invalid, 2: statuslist.Suspended, 3: 3}),
	}
}

// signList signs claims as a Status List Token with k, the way the
// register does.
func signList(t testing.TB, k credential.Signer, claims statuslist.TokenClaims) string {
	payload, err := json.Marshal(claims)
	require.NoError(t, err)
	return signRaw(t, k, listHeader(k), string(payload))
}

// listPayload returns the JSON of claims after change edits it as a
// generic map, for payloads TokenClaims cannot express.
func listPayload(t testing.TB, claims statuslist.TokenClaims, change func(m map[string]any)) string {
	raw, err := json.Marshal(claims)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	if change != nil {
		change(m)
	}
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return string(out)
}

// bombLst returns an lst that is a valid ZLIB stream of n zero bytes: a
// few kilobytes that inflate to n.
func bombLst(t testing.TB, n int) string {
	var buf bytes.Buffer
	zw, err := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	require.NoError(t, err)
	zeros := make([]byte, 1<<20)
	for written := 0; written < n; written += len(zeros) {
		_, err := zw.Write(zeros[:min(len(zeros), n-written)])
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return base64.RawURLEncoding.EncodeToString(buf.Bytes())
}
