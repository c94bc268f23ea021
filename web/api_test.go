package web

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/internal/verdict"
	"github.com/nalw/linkpass/issuer/publicregister"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/verifier"
)

func TestNewRefusesIncompleteConfig(t *testing.T) {
	ok := func(context.Context, string) verdict.Verdict { return verdict.Verdict{} }
	for name, cfg := range map[string]Config{
		"no mode":                        {Verify: ok},
		"no verify":                      {Mode: RegisterMode},
		"verifier mode without bundle":   {Mode: VerifierMode, Verify: ok},
		"register mode without register": {Mode: RegisterMode, Verify: ok},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(cfg)
			require.Error(t, err)
		})
	}
	_, err := New(Config{Mode: RegisterMode, Verify: ok, Register: publicregister.New(nil, nil)})
	require.NoError(t, err)
}

func TestEveryPageAssetAndEndpointCarriesTheSecurityHeaders(t *testing.T) {
	sys := newSystem(t, RegisterMode)
	regno := sys.registered()[0]
	check := func(t *testing.T, res *http.Response) {
		h := res.Header
		assert.Equal(t, "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'", h.Get("Content-Security-Policy"))
		assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
		assert.Equal(t, "no-referrer", h.Get("Referrer-Policy"))
		assert.Contains(t, h.Get("Permissions-Policy"), "camera=(self)")
	}
	for _, p := range []string{"/", "/register", "/register/" + regno, "/verify", "/static/site.css", "/static/common.js",
		"/static/register.js", "/static/verify.js", "/static/vendor/jsQR.js", "/static/icons/favicon.svg",
		"/wallet", "/wallet/sw.js", "/static/wallet.js", "/static/wallet.webmanifest"} {
		t.Run(p, func(t *testing.T) {
			res := sys.get(p)
			require.Equal(t, http.StatusOK, res.StatusCode)
			check(t, res)
		})
	}
	t.Run("POST /v1/verify", func(t *testing.T) {
		res := sys.post("/v1/verify", "application/json", strings.NewReader(`{"credential":"x"}`))
		require.Equal(t, http.StatusOK, res.StatusCode)
		check(t, res)
	})
	t.Run("POST /v1/verify error", func(t *testing.T) {
		res := sys.post("/v1/verify", "text/plain", strings.NewReader(`x`))
		require.Equal(t, http.StatusUnsupportedMediaType, res.StatusCode)
		check(t, res)
	})
}

// Patterns for what the CSP forbids in markup, and for links off the site.
var (
	scriptTag      = regexp.MustCompile(`(?i)<script\b[^>]*>`)
	externalScript = regexp.MustCompile(`(?i)<script src="/static/[^"]+" defer></script>`)
	inlineCode     = regexp.MustCompile(`(?i)<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:`)
	offHost        = regexp.MustCompile(`(?i)(?:src|href|action)\s*=\s*"(?:[a-z]+:)?//`)
)

func TestPagesHaveNoInlineCodeAndLinkOnlyToTheSite(t *testing.T) {
	for _, mode := range []Mode{RegisterMode, VerifierMode} {
		t.Run(mode.String(), func(t *testing.T) {
			sys := newSystem(t, mode, withBundle(BundleInfo{SyncedAt: time.Now().Add(-time.Hour), Issuer: "https://register.example"}))
			pages := []string{"/", "/verify"}
			if mode == RegisterMode {
				pages = append(pages, "/register", "/register/"+sys.registered()[0], "/register/NOT-A-NUMBER")
			}
			for _, p := range pages {
				res := sys.get(p)
				assert.Equal(t, "text/html; charset=utf-8", res.Header.Get("Content-Type"), p)
				body, err := io.ReadAll(res.Body)
				require.NoError(t, err)
				assert.Equal(t, len(scriptTag.FindAllString(string(body), -1)), len(externalScript.FindAllString(string(body), -1)), "%s has a script that is not an empty element with a src", p)
				assert.Empty(t, inlineCode.FindAllString(string(body), -1), "%s has inline code", p)
				assert.Empty(t, offHost.FindAllString(string(body), -1), "%s links off the site", p)
				assert.Contains(t, string(body), `<html lang="en-GB">`, p)
			}
		})
	}
}

func withBundle(info BundleInfo) sysOption {
	return func(c *Config) { c.BundleInfo = func() BundleInfo { return info } }
}

func TestVerifyAnswersEveryVerdictWith200(t *testing.T) {
	sys := newSystem(t, RegisterMode)
	jws := sys.issue(sys.registered()[0])

	for name, tc := range map[string]struct {
		credential string
		outcome    verifier.Outcome
	}{
		"the signed token":         {jws, verifier.OutcomeValid},
		"the QR text":              {qrText(t, jws), verifier.OutcomeValid},
		"the QR text with spaces":  {"  " + qrText(t, jws) + "\n", verifier.OutcomeValid},
		"garbage":                  {"hello, this is not a credential", verifier.OutcomeMalformed},
		"a token with a bad tail":  {jws[:len(jws)-4] + "AAAA", verifier.OutcomeBadSignature},
		"a QR text cut off midway": {qrText(t, jws)[:200], verifier.OutcomeMalformed},
	} {
		t.Run(name, func(t *testing.T) {
			body, err := jsonBody(VerifyRequest{Credential: tc.credential})
			require.NoError(t, err)
			res := sys.post("/v1/verify", "application/json", body)
			require.Equal(t, http.StatusOK, res.StatusCode)
			assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
			v := decode[verdict.Verdict](t, res)
			assert.Equal(t, tc.outcome, v.Outcome, v.Reason)
			assert.Equal(t, tc.outcome == verifier.OutcomeValid, v.Valid)
			assert.Equal(t, verdict.PhotoIDReminder, v.Reminder)
		})
	}
}

func TestVerifyRefusesBadRequestsWithAnErrorBody(t *testing.T) {
	sys := newSystem(t, RegisterMode)
	for name, tc := range map[string]struct {
		ctype, body string
		status      int
		code        string
	}{
		"unknown member":      {"application/json", `{"credential":"x","name":"y"}`, 400, "invalid"},
		"empty credential":    {"application/json", `{"credential":"  "}`, 400, "invalid"},
		"no credential":       {"application/json", `{}`, 400, "invalid"},
		"not json":            {"application/json", `credential=x`, 400, "invalid"},
		"two objects":         {"application/json", `{"credential":"x"}{"credential":"y"}`, 400, "invalid"},
		"wrong type":          {"application/json", `{"credential":42}`, 400, "invalid"},
		"form content type":   {"application/x-www-form-urlencoded", `credential=x`, 415, "unsupported_media_type"},
		"over 64 KiB":         {"application/json", `{"credential":"` + strings.Repeat("A", MaxVerifyBody) + `"}`, 413, "too_large"},
		"image to the text":   {"image/png", "\x89PNG", 415, "unsupported_media_type"},
		"charset is accepted": {"application/json; charset=utf-8", `{"credential":""}`, 400, "invalid"},
		"duplicate member":    {"application/json", `{"credential":"x","credential":"y"}`, 400, "invalid"},
		"invalid UTF-8":       {"application/json", "{\"credential\":\"LP1:\xff\"}", 400, "invalid"},
		"lone surrogate":      {"application/json", `{"credential":"\udc00"}`, 400, "invalid"},
	} {
		t.Run(name, func(t *testing.T) {
			res := sys.post("/v1/verify", tc.ctype, strings.NewReader(tc.body))
			require.Equal(t, tc.status, res.StatusCode)
			e := decode[ErrorBody](t, res)
			assert.Equal(t, tc.code, e.Error.Code)
			assert.NotEmpty(t, e.Error.Message)
		})
	}
	t.Run("GET is not allowed", func(t *testing.T) {
		res := sys.get("/v1/verify")
		assert.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)
	})
}

func TestVerifyImageReadsAPhotoOfACardOnTheServer(t *testing.T) {
	sys := newSystem(t, RegisterMode)
	reg := sys.registrant(register.Registered, "Okonkwo")
	jws := sys.issue(reg.Number)
	photoPNG := cardPhoto(t, qrText(t, jws), reg.FullName(), reg.Number, photo{degrees: 21, blur: 2, noise: 6, seed: 1})

	t.Run("raw body", func(t *testing.T) {
		res := sys.post("/v1/verify/image", "image/png", bytes.NewReader(photoPNG))
		require.Equal(t, http.StatusOK, res.StatusCode)
		v := decode[verdict.Verdict](t, res)
		assert.Equal(t, verifier.OutcomeValid, v.Outcome, v.Reason)
		require.NotNil(t, v.Credential)
		assert.Equal(t, reg.Number, v.Credential.RegistrationNumber)
	})
	t.Run("multipart form", func(t *testing.T) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		require.NoError(t, mw.WriteField("note", "ignored"))
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="image"; filename="card.png"`)
		h.Set("Content-Type", "image/png")
		w, err := mw.CreatePart(h)
		require.NoError(t, err)
		w.Write(photoPNG)
		require.NoError(t, mw.Close())
		res := sys.post("/v1/verify/image", mw.FormDataContentType(), &buf)
		require.Equal(t, http.StatusOK, res.StatusCode)
		v := decode[verdict.Verdict](t, res)
		assert.Equal(t, verifier.OutcomeValid, v.Outcome, v.Reason)
	})
	t.Run("no QR code is 422, not a verdict", func(t *testing.T) {
		var buf bytes.Buffer
		require.NoError(t, png.Encode(&buf, image.NewGray(image.Rect(0, 0, 300, 200))))
		res := sys.post("/v1/verify/image", "image/png", &buf)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		assert.Equal(t, "no_qr_code", decode[ErrorBody](t, res).Error.Code)
	})
	t.Run("not an image", func(t *testing.T) {
		res := sys.post("/v1/verify/image", "image/jpeg", strings.NewReader("this is text"))
		require.Equal(t, http.StatusUnsupportedMediaType, res.StatusCode)
		assert.Equal(t, "unsupported_media_type", decode[ErrorBody](t, res).Error.Code)
	})
	t.Run("a type it does not read", func(t *testing.T) {
		res := sys.post("/v1/verify/image", "image/gif", strings.NewReader("GIF89a"))
		require.Equal(t, http.StatusUnsupportedMediaType, res.StatusCode)
	})
	t.Run("an enormous declared size is refused before decoding", func(t *testing.T) {
		res := sys.post("/v1/verify/image", "image/png", bytes.NewReader(pngHeader(20000, 20000)))
		require.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode)
		assert.Equal(t, "too_large", decode[ErrorBody](t, res).Error.Code)
	})
	t.Run("over 10 MiB", func(t *testing.T) {
		res := sys.post("/v1/verify/image", "image/png", bytes.NewReader(make([]byte, MaxImageBody+1)))
		require.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode)
	})
}

// pngHeader returns the start of a PNG declaring w x h pixels: enough for
// image.DecodeConfig, nothing to decode.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 0 // 8-bit greyscale
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func TestVerifierModeServesNoRegisterAndReportsTheBundle(t *testing.T) {
	synced := time.Now().Add(-72 * time.Hour).UTC().Truncate(time.Second)
	info := BundleInfo{SyncedAt: synced, Issuer: "https://register.example", Stale: true, StaleReason: "The bundle is 3 days old."}
	sys := newSystem(t, VerifierMode, withBundle(info))

	res := sys.get("/v1/verifier/status")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, info, decode[BundleInfo](t, res))

	// /register falls through to the register API's router, which has no
	// such page.
	assert.Equal(t, http.StatusNotFound, sys.get("/register").StatusCode)

	body, err := io.ReadAll(sys.get("/verify").Body)
	require.NoError(t, err)
	assert.Contains(t, string(body), "Warning: status information is out of date")
	assert.Contains(t, string(body), "3 days ago")
	assert.NotContains(t, string(body), `href="/register"`)
}

func TestRegisterModeHasNoVerifierStatus(t *testing.T) {
	sys := newSystem(t, RegisterMode)
	assert.Equal(t, http.StatusNotFound, sys.get("/v1/verifier/status").StatusCode)
}

func TestEntryPageIs404ForSomethingThatIsNoRegistrationNumber(t *testing.T) {
	sys := newSystem(t, RegisterMode)
	res := sys.get("/register/%3Cscript%3E")
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	body, _ := io.ReadAll(res.Body)
	assert.NotContains(t, string(body), "<script>")
	assert.Equal(t, http.StatusOK, sys.get("/register/"+sys.registered()[0]).StatusCode)
}

func TestStaticFilesRevalidateByETag(t *testing.T) {
	sys := newSystem(t, RegisterMode)
	res := sys.get("/static/verify.js")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "text/javascript; charset=utf-8", res.Header.Get("Content-Type"))
	assert.Equal(t, "no-cache", res.Header.Get("Cache-Control"))
	etag := res.Header.Get("ETag")
	require.NotEmpty(t, etag)

	req, err := http.NewRequest(http.MethodGet, sys.url+"/static/verify.js", nil)
	require.NoError(t, err)
	req.Header.Set("If-None-Match", etag)
	res2, err := sys.ts.Client().Do(req)
	require.NoError(t, err)
	res2.Body.Close()
	assert.Equal(t, http.StatusNotModified, res2.StatusCode)

	assert.Equal(t, http.StatusNotFound, sys.get("/static/nope.js").StatusCode)
}

func TestAgoSaysDurationsAsPeopleDo(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Minute:         "in the future: check this computer's clock",
		10 * time.Second:     "just now",
		time.Minute:          "1 minute ago",
		45 * time.Minute:     "45 minutes ago",
		5 * time.Hour:        "5 hours ago",
		47 * time.Hour:       "47 hours ago",
		72 * time.Hour:       "3 days ago",
		24 * 400 * time.Hour: "400 days ago",
	} {
		assert.Equal(t, want, ago(d), d.String())
	}
}
