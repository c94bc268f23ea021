package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nalw/linkpass/internal/browsertest"
	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/registrants"
	"github.com/nalw/linkpass/oid4vci"
	"github.com/nalw/linkpass/qrimage"
	"github.com/nalw/linkpass/qrtext"
	"github.com/nalw/linkpass/statuslist"
	"github.com/nalw/linkpass/verifier"
)

// evalAsync evaluates an expression that may return a promise, and waits
// for it.
func evalAsync[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	require.NoError(tb.t, err, expr)
	return v
}

// emulateNetworkConditions is DevTools' network emulation. cdproto now
// offers only Network.emulateNetworkConditionsByRule, which this Chromium
// refuses; the older command still works and sets navigator.onLine too.
var emulateNetworkConditions = cdp.Command[map[string]any, cdp.Empty]{Method: "Network.emulateNetworkConditions"}

// setOffline switches the tab's network off or on through DevTools
// network emulation. While off, the server also drops every connection
// unanswered (DevTools emulation may not reach the service worker's own
// requests), so that nothing the wallet shows can have come from the
// network.
func (s *system) setOffline(tb *tab, off bool) {
	tb.t.Helper()
	// The server goes down after the phone's network and comes back
	// before it, so the page never meets a network that is up and a
	// server that is not (its "online" event checks at once).
	if !off {
		s.offline.Store(false)
	}
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	conditions := map[string]any{"offline": off, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
	_, err := chromedp.Call(ctx, emulateNetworkConditions, conditions)
	require.NoError(tb.t, err)
	// navigator.onLine follows the emulation only with this, across reloads.
	_, err = chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: off, DownloadThroughput: -1, UploadThroughput: -1})
	require.NoError(tb.t, err)
	if off {
		s.offline.Store(true)
	}
}

// servedStatus is the status entry of the compact credential jws in the
// status list the site serves now, as the wallet reads it (the bundle a
// checker syncs is published by the same step, but apart).
func (s *system) servedStatus(jws string) uint8 {
	s.t.Helper()
	var c struct {
		Status struct {
			StatusList struct {
				Idx int    `json:"idx"`
				URI string `json:"uri"`
			} `json:"status_list"`
		} `json:"status"`
	}
	require.NoError(s.t, json.Unmarshal(mustPart(s.t, jws, 1), &c))
	res, err := s.ts.Client().Get(c.Status.StatusList.URI)
	require.NoError(s.t, err)
	defer res.Body.Close()
	require.Equal(s.t, http.StatusOK, res.StatusCode)
	token, err := io.ReadAll(res.Body)
	require.NoError(s.t, err)
	var p struct {
		StatusList statuslist.Claim `json:"status_list"`
	}
	require.NoError(s.t, json.Unmarshal(mustPart(s.t, string(token), 1), &p))
	l, err := p.StatusList.Decode()
	require.NoError(s.t, err)
	v, err := l.Get(c.Status.StatusList.Idx)
	require.NoError(s.t, err)
	return v
}

// offer makes a credential offer to regno as a registrar does.
func (s *system) offer(regno string) *oid4vci.CreatedOffer {
	s.t.Helper()
	o, err := s.issuance.CreateOffer(context.Background(), register.System, regno, oid4vci.OfferRequest{})
	require.NoError(s.t, err)
	return o
}

// typeCode enters a transaction code in the wallet's form and sends it.
func (tb *tab) typeCode(code string) {
	tb.t.Helper()
	tb.waitFor(15*time.Second, `!document.getElementById("code-form").hidden && !document.getElementById("code-submit").disabled`)
	eval[bool](tb, `(document.getElementById("tx-code").value = "") === ""`)
	tb.do(10*time.Second,
		chromedp.SendKeys(chromedp.ID("tx-code"), code),
		chromedp.Click(chromedp.ID("code-submit")))
}

// walletStatus waits until the wallet shows one credential card whose
// status is want, and returns the card's credential id.
func (tb *tab) walletShows(limit time.Duration, want string) string {
	tb.t.Helper()
	tb.waitFor(limit, fmt.Sprintf(`document.querySelectorAll("article.wallet-card").length === 1 && document.querySelector("article.wallet-card [data-status]").dataset.status === %q`, want))
	return eval[string](tb, `document.querySelector("article.wallet-card").dataset.id`)
}

// stored is what the wallet keeps of a credential in IndexedDB.
type stored struct {
	ID    string `json:"id"`
	SDJWT string `json:"sdJWT"`
	VCJWT string `json:"vcJWT"`
	Link  string `json:"link"`
	QR    string `json:"qr"`
	// KeyExtractable is the holder key's extractable flag.
	KeyExtractable bool   `json:"keyExtractable"`
	KeyX           string `json:"keyX"`
}

const readStore = `new Promise((resolve, reject) => {
  const open = indexedDB.open("linkpass-wallet", 1);
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const t = open.result.transaction(["credentials", "keys"], "readonly");
    const creds = t.objectStore("credentials").getAll();
    const key = t.objectStore("keys").get("holder");
    t.oncomplete = () => resolve(creds.result.map(c => ({id: c.id, sdJWT: c.sdJWT, vcJWT: c.vcJWT, link: c.link, qr: c.qr,
      keyExtractable: key.result.privateKey.extractable, keyX: key.result.jwk.x})));
  };
})`

// axeClean asserts that axe-core finds no serious or critical violation
// on the tab's page.
func axeClean(t *testing.T, tb *tab, src, what string) {
	t.Helper()
	assert.Empty(t, browsertest.AxeViolations(tb.Tab, src), what)
}

// shootScreen saves what the screen shows (not the whole page: the QR
// view is fixed to the screen) as name.png.
func shootScreen(t *testing.T, tb *tab, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	path := filepath.Join(screenshotDir(t), name+".png")
	require.NoError(t, os.WriteFile(path, b, 0o644))
	t.Logf("screenshot %s", path)
}

// zbarRead reads the QR code in a PNG with zbarimg, or skips.
func zbarRead(t *testing.T, pngBytes []byte) string {
	t.Helper()
	bin, err := exec.LookPath("zbarimg")
	if err != nil {
		if strings.Contains(os.Getenv("LINKPASS_REQUIRE_TOOLS"), "zbar") {
			t.Fatal("zbarimg not on PATH but LINKPASS_REQUIRE_TOOLS requires zbar (Debian: apt-get install zbar-tools)")
		}
		t.Skip("zbarimg not on PATH (Debian: apt-get install zbar-tools)")
	}
	path := filepath.Join(t.TempDir(), "wallet-qr.png")
	require.NoError(t, os.WriteFile(path, pngBytes, 0o600))
	out, err := exec.Command(bin, "--raw", "-q", path).Output()
	require.NoError(t, err, "zbarimg could not read the wallet's QR code")
	return strings.TrimSuffix(string(out), "\n")
}

// frameOf draws an image centred on a white w x h camera frame, scaled up
// by a whole factor, for the fake camera.
func frameOf(t *testing.T, img image.Image, w, h int) *image.Gray {
	t.Helper()
	b := img.Bounds()
	scale := max(1, min(w, h)*9/10/b.Dx())
	frame := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(frame, frame.Rect, image.White, image.Point{}, draw.Src)
	x0, y0 := (w-b.Dx()*scale)/2, (h-b.Dy()*scale)/2
	for y := range b.Dy() * scale {
		for x := range b.Dx() * scale {
			frame.Set(x0+x, y0+y, img.At(b.Min.X+x/scale, b.Min.Y+y/scale))
		}
	}
	return frame
}

// A link worker opens the offer link, types the code and has the
// credential; it stays on the phone and shows its QR code with no
// network; a practice's camera reads that code as VALID; a suspension
// reaches the wallet when it is back online, and a correction's re-issue
// replaces the credential by itself.
func TestWalletTakesAnOfferWorksOfflineAndFollowsTheRegister(t *testing.T) {
	axe := browsertest.AxeSource(t, axeDir)
	sys := newSystem(t, RegisterMode)
	reg := sys.registrant(register.Registered, "Okonkwo")
	o := sys.offer(reg.Number)
	require.True(t, strings.HasPrefix(o.OfferURL, sys.url+"/wallet#credential_offer_uri="), o.OfferURL)

	tb := startBrowser(t).newTab(t)
	tb.do(20*time.Second, chromedp.Navigate(o.OfferURL))
	tb.waitFor(15*time.Second, `!document.getElementById("code-form").hidden`)
	assert.Contains(t, tb.text("#add"), "Your 6-digit code")
	assert.Equal(t, "tx-code", eval[string](tb, `document.activeElement.id`), "the code field has focus")
	for _, size := range []struct{ w, h int64 }{{1280, 800}, {360, 740}} {
		tb.do(5*time.Second, chromedp.EmulateViewport(size.w, size.h))
		axeClean(t, tb, axe, fmt.Sprintf("the code form at %d px", size.w))
		assert.Empty(t, eval[[]string](tb, contrastFailures), "the code form")
		shoot(t, tb, fmt.Sprintf("wallet-code-%d", size.w), size.w, size.h)
	}

	// Chromium finds nothing that stops the wallet being installed.
	inst, err := chromedp.Call(tb.ctx, page.GetInstallabilityErrors, cdp.Empty{})
	require.NoError(t, err)
	for _, e := range inst.InstallabilityErrors {
		t.Errorf("not installable: %s", e.ErrorID)
	}

	// Not six digits: said in the form, nothing sent.
	tb.typeCode("12a")
	tb.waitFor(5*time.Second, `!document.getElementById("tx-code-error").hidden`)
	assert.Contains(t, tb.text("#tx-code-error"), "Enter the 6 numbers")

	start := time.Now()
	tb.typeCode(o.TxCode)
	firstID := tb.walletShows(30*time.Second, "valid")
	t.Logf("from the code to a stored, checked credential: %s (token, 2 nonces, 2 proofs, 2 credentials, QR, status list)", time.Since(start).Round(time.Millisecond))
	assert.Empty(t, eval[string](tb, `location.hash`), "the used offer link is taken out of the address bar")
	assert.True(t, eval[bool](tb, `document.getElementById("add").hidden`))
	card := tb.text("article.wallet-card")
	assert.Contains(t, card, "Siobhan Okonkwo-Fairweather")
	assert.Contains(t, card, reg.Number)
	assert.Contains(t, card, "VALID")
	assert.Regexp(t, `Status checked\s+\d{1,2} [A-Z][a-z]+ \d{4}, \d\d:\d\d UTC`, card)

	recs := evalAsync[[]stored](tb, readStore)
	require.Len(t, recs, 1)
	rec := recs[0]
	assert.Equal(t, firstID, rec.ID)
	assert.False(t, rec.KeyExtractable, "the holder key is not extractable")
	assert.Contains(t, rec.SDJWT, "~", "the SD-JWT VC is stored with its disclosures")
	assert.Equal(t, verifier.OutcomeValid, sys.verify(context.Background(), rec.VCJWT).Outcome, "the stored vc+jwt is genuine and current")
	sdClaims := jwtClaims(t, strings.SplitN(rec.SDJWT, "~", 2)[0])
	assert.Equal(t, "dc+sd-jwt", jwtHeader(t, strings.SplitN(rec.SDJWT, "~", 2)[0])["typ"])
	cnf, _ := sdClaims["cnf"].(map[string]any)
	jwkClaim, _ := cnf["jwk"].(map[string]any)
	assert.Equal(t, rec.KeyX, jwkClaim["x"], "the SD-JWT VC is bound to the wallet's key")
	want, err := qrtext.Link(rec.VCJWT, sys.url)
	require.NoError(t, err)
	assert.Equal(t, want, rec.Link, "the QR code carries the /verify link of the compact credential")

	// The QR code as drawn, read by zbarimg.
	pngBytes, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(rec.QR, "data:image/png;base64,"))
	require.NoError(t, err)
	assert.Equal(t, rec.Link, zbarRead(t, pngBytes))

	// Offline: the service worker has the shell, IndexedDB the credential.
	tb.waitFor(15*time.Second, `navigator.serviceWorker.controller !== null`)
	// A phone may think it is online when it is not: the wallet's status
	// check then fails, as the browser logs, and the wallet says so.
	tb.expect("net::ERR_INTERNET_DISCONNECTED")
	tb.expect("net::ERR_EMPTY_RESPONSE")
	sys.setOffline(tb, true)
	start = time.Now()
	tb.do(20*time.Second, chromedp.Reload())
	tb.walletShows(15*time.Second, "valid")
	t.Logf("offline reload to the credential on screen: %s", time.Since(start).Round(time.Millisecond))
	tb.waitFor(10*time.Second, `document.getElementById("wallet-status").textContent.includes("still works")`)
	tb.do(10*time.Second, chromedp.Click(chromedp.CSS(`article.wallet-card button[data-action=show]`)))
	tb.waitFor(10*time.Second, `!document.getElementById("qr-view").hidden && document.getElementById("qr-view-img").complete && document.getElementById("qr-view-img").naturalWidth > 0`)
	assert.Contains(t, tb.text("#qr-view"), "brightness up")
	assert.Equal(t, "qr-view-title", eval[string](tb, `document.activeElement.id`))
	assert.Equal(t, rec.QR, eval[string](tb, `document.getElementById("qr-view-img").src`))
	for _, size := range []struct{ w, h int64 }{{1280, 800}, {360, 740}} {
		tb.do(5*time.Second, chromedp.EmulateViewport(size.w, size.h))
		axeClean(t, tb, axe, fmt.Sprintf("the QR view at %d px", size.w))
		shootScreen(t, tb, fmt.Sprintf("wallet-qr-%d", size.w))
		assert.LessOrEqual(t, eval[int](tb, `document.getElementById("qr-view-img").getBoundingClientRect().right | 0`), int(size.w), "the code fits the screen")
	}
	tb.do(10*time.Second, chromedp.Click(chromedp.ID("qr-view-close")))
	sys.setOffline(tb, false)

	// A practice's phone camera reads the wallet's own image.
	img, err := png.Decode(bytes.NewReader(pngBytes))
	require.NoError(t, err)
	video := filepath.Join(t.TempDir(), "wallet.y4m")
	require.NoError(t, writeY4M(video, frameOf(t, img, 960, 720), 3))
	camera := startBrowser(t,
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", video),
	).newTab(t)
	camera.do(20*time.Second, chromedp.Navigate(sys.url+"/verify"), chromedp.Click(chromedp.ID("camera-start")))
	require.Equal(t, "valid", camera.verdictShown(30*time.Second))

	// Suspended while the phone is offline: the wallet says so once it is
	// back online, without being reloaded; so does the camera.
	sys.setOffline(tb, true)
	sys.suspend(reg.Number, rec.VCJWT)
	sys.offline.Store(false) // the test's own reads only; the phone stays offline
	require.Eventually(t, func() bool { return sys.servedStatus(rec.VCJWT) == 2 }, 15*time.Second, 50*time.Millisecond, "the served status list never said suspended")
	sys.offline.Store(true)
	tb.walletShows(5*time.Second, "valid")
	sys.setOffline(tb, false)
	tb.walletShows(30*time.Second, "suspended")
	assert.Contains(t, tb.text("article.wallet-card"), "Your registration is suspended")
	for _, size := range []struct{ w, h int64 }{{1280, 800}, {360, 740}} {
		tb.do(5*time.Second, chromedp.EmulateViewport(size.w, size.h))
		axeClean(t, tb, axe, fmt.Sprintf("a suspended credential at %d px", size.w))
		assert.Empty(t, eval[[]string](tb, contrastFailures), "a suspended credential")
		shoot(t, tb, fmt.Sprintf("wallet-suspended-%d", size.w), size.w, size.h)
		assert.LessOrEqual(t, eval[int](tb, `document.documentElement.scrollWidth`), int(size.w), "the wallet scrolls sideways at %d px", size.w)
	}
	camera.resetVerdict()
	camera.do(10*time.Second, chromedp.Click(chromedp.ID("camera-start")))
	require.Equal(t, "suspended", camera.verdictShown(30*time.Second))

	// Reinstated, then corrected: the correction re-issues, superseding the
	// wallet's credential, and the wallet fetches its replacement through
	// its refresh token when it is next opened.
	_, err = sys.srv.Apply(context.Background(), register.System, fsm.ChangeRegistrant{Number: reg.Number, Op: fsm.OpReinstate, Reason: "Hearing found no case to answer"})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return sys.verify(context.Background(), rec.VCJWT).Outcome == verifier.OutcomeValid
	}, 15*time.Second, 50*time.Millisecond)
	family := "Okonkwo-Fairweather Smith"
	_, err = registrants.New(sys.srv).Change(context.Background(), register.System, reg.Number,
		&registrants.Correct{Correction: register.Correction{Family: &family}, Reason: "Family name misspelt at registration"})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return sys.verify(context.Background(), rec.VCJWT).Outcome == verifier.OutcomeRevoked
	}, 15*time.Second, 50*time.Millisecond, "the correction never revoked the wallet's credential")
	require.Eventually(t, func() bool { return sys.servedStatus(rec.VCJWT) == 1 }, 15*time.Second, 50*time.Millisecond, "the served status list never said revoked")
	tb.do(10*time.Second, chromedp.Click(chromedp.ID("check-now")))
	tb.waitFor(30*time.Second, fmt.Sprintf(`document.querySelectorAll("article.wallet-card").length === 1 && document.querySelector("article.wallet-card").dataset.id !== %q`, firstID))
	tb.walletShows(10*time.Second, "valid")
	assert.Contains(t, tb.text("article.wallet-card"), "Siobhan Okonkwo-Fairweather Smith")
	assert.Contains(t, tb.text("#wallet-status"), "The register updated your credential")
	recs = evalAsync[[]stored](tb, readStore)
	require.Len(t, recs, 1, "the replacement took the old credential's place")
	assert.NotEqual(t, rec.VCJWT, recs[0].VCJWT)
	assert.Equal(t, verifier.OutcomeValid, sys.verify(context.Background(), recs[0].VCJWT).Outcome)
	assert.Equal(t, rec.KeyX, recs[0].KeyX, "the same holder key")

	// Lost phone: the registrar stops the wallet refreshing and revokes its
	// credential. The wallet shows REVOKED, having been refused a
	// replacement, and never VALID.
	wallets, err := sys.issuance.WalletsOf(reg.Number)
	require.NoError(t, err)
	require.Len(t, wallets.Grants, 1)
	_, err = sys.issuance.RevokeGrant(context.Background(), register.System, wallets.Grants[0].ID, "Phone reported lost")
	require.NoError(t, err)
	_, err = sys.srv.RevokeCredential(context.Background(), register.System, recs[0].ID, "Phone reported lost")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return sys.verify(context.Background(), recs[0].VCJWT).Outcome == verifier.OutcomeRevoked && sys.servedStatus(recs[0].VCJWT) == 1
	}, 15*time.Second, 50*time.Millisecond)
	tb.do(20*time.Second, chromedp.Reload())
	tb.waitFor(30*time.Second, `document.querySelector("article.wallet-card [data-status]") && document.querySelector("article.wallet-card [data-status]").dataset.status === "revoked" && document.querySelector("article.wallet-card").innerText.includes("did not send a replacement")`)
	assert.Contains(t, tb.text("article.wallet-card"), "Contact your registrar")
	assert.NotContains(t, tb.text("article.wallet-card"), "VALID")
	axeClean(t, tb, axe, "a revoked credential")

	// Remove, with a confirmation. The register refused the refresh (400)
	// and refuses the revoked wallet's notification (401).
	tb.expect("400 (Bad Request)")
	tb.expect("401 (Unauthorized)")
	tb.do(10*time.Second, chromedp.Click(chromedp.CSS(`article.wallet-card button[data-action=remove]`)))
	tb.waitFor(5*time.Second, `document.querySelector("article.wallet-card .confirm") && !document.querySelector("article.wallet-card .confirm").hidden`)
	axeClean(t, tb, axe, "the removal confirmation")
	tb.do(10*time.Second, chromedp.Click(chromedp.CSS(`article.wallet-card button[data-action=keep]`)))
	assert.Len(t, evalAsync[[]stored](tb, readStore), 1, "No, keep it keeps it")
	tb.do(10*time.Second, chromedp.Click(chromedp.CSS(`article.wallet-card button[data-action=remove]`)),
		chromedp.Click(chromedp.CSS(`article.wallet-card button[data-action=confirm-remove]`)))
	tb.waitFor(10*time.Second, `document.querySelectorAll("article.wallet-card").length === 0 && !document.getElementById("empty").hidden`)
	assert.Empty(t, evalAsync[[]stored](tb, readStore))
}

// Five wrong codes close the offer: the wallet says how many tries are
// left each time, then what to do.
func TestWalletWrongCodeFiveTimesKillsTheOffer(t *testing.T) {
	sys := newSystem(t, RegisterMode)
	reg := sys.registrant(register.Registered, "Okonkwo")
	o := sys.offer(reg.Number)
	wrong := "000000"
	if o.TxCode == wrong {
		wrong = "111111"
	}
	tb := startBrowser(t).newTab(t)
	tb.expect("400 (Bad Request)")
	tb.expect("404 (Not Found)")
	tb.do(20*time.Second, chromedp.Navigate(o.OfferURL))
	for left := register.MaxTxCodeFailures - 1; left >= 1; left-- {
		tb.typeCode(wrong)
		tries := "tries"
		if left == 1 {
			tries = "try"
		}
		tb.waitFor(15*time.Second, fmt.Sprintf(`document.getElementById("tx-code-error").textContent.includes("You have %d %s left")`, left, tries))
		assert.Equal(t, "true", eval[string](tb, `document.getElementById("tx-code").getAttribute("aria-invalid")`))
	}
	tb.typeCode(wrong)
	tb.waitFor(15*time.Second, `!document.getElementById("add-error").hidden`)
	msg := tb.text("#add-error")
	assert.Contains(t, msg, "that was the last try")
	assert.Contains(t, msg, "Ask your registrar to send you a new link")
	assert.True(t, eval[bool](tb, `document.getElementById("code-form").hidden`))
	off, err := sys.srv.State().Offer(o.ID)
	require.NoError(t, err)
	assert.Equal(t, register.OfferLocked, off.State)

	// The link again, even with the right code: dead.
	tb.do(20*time.Second, chromedp.Navigate(sys.url+"/"), chromedp.Navigate(o.OfferURL))
	tb.waitFor(15*time.Second, `!document.getElementById("add-error").hidden`)
	assert.Contains(t, tb.text("#add-error"), "cannot add a credential")
	assert.Empty(t, evalAsync[[]stored](tb, readStore))
	res := sys.get("/wallet")
	assert.Equal(t, http.StatusOK, res.StatusCode)
}

// mustPart returns part i of a compact JWS, base64url-decoded.
func mustPart(t testing.TB, jws string, i int) []byte {
	t.Helper()
	parts := strings.Split(jws, ".")
	require.Len(t, parts, 3)
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	require.NoError(t, err)
	return b
}

// jwtPart decodes part i of a compact JWS as a JSON object.
func jwtPart(t *testing.T, jws string, i int) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(mustPart(t, jws, i), &m))
	return m
}

func jwtHeader(t *testing.T, jws string) map[string]any { return jwtPart(t, jws, 0) }
func jwtClaims(t *testing.T, jws string) map[string]any { return jwtPart(t, jws, 1) }

// The QR endpoint draws this register's genuine credentials, the link
// form the card carries, and nothing else.
func TestWalletQRDrawsOnlyThisRegistersCredentials(t *testing.T) {
	sys := newSystem(t, RegisterMode)
	jws := sys.issue(sys.registered()[0])
	body, err := jsonBody(QRRequest{Credential: jws})
	require.NoError(t, err)
	res := sys.post(PathWalletQR, "application/json", body)
	require.Equal(t, http.StatusOK, res.StatusCode)
	qr := decode[QRResponse](t, res)
	want, err := qrtext.Link(jws, sys.url)
	require.NoError(t, err)
	assert.Equal(t, want, qr.Link)
	img, err := png.Decode(bytes.NewReader(qr.PNG))
	require.NoError(t, err)
	// 8 pixels a module with the 4-module quiet zone, and the smallest
	// version at ECC M that the card's encoder picks for this link.
	sym, err := qrimage.Encode(want, qrimage.LevelM)
	require.NoError(t, err)
	modules := img.Bounds().Dx() / 8 // the quiet zone included, as Size counts
	t.Logf("the wallet's QR code: %d px, version %d", img.Bounds().Dx(), (modules-8-17)/4)
	assert.Equal(t, sym.Size(), modules)
	got, err := qrimage.Read(img)
	require.NoError(t, err)
	assert.Equal(t, want, got)

	// A tampered signature, and text that is no credential: refused.
	tampered := jws[:len(jws)-4] + map[bool]string{true: "AAAA", false: "BBBB"}[!strings.HasSuffix(jws, "AAAA")]
	for _, bad := range []string{tampered, "LP1:NOT A CREDENTIAL"} {
		body, err := jsonBody(QRRequest{Credential: bad})
		require.NoError(t, err)
		res := sys.post(PathWalletQR, "application/json", body)
		assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		assert.Equal(t, "not_a_credential", decode[ErrorBody](t, res).Error.Code)
	}

	// The service worker may control exactly /wallet.
	sw := sys.get(PathWalletWorker)
	assert.Equal(t, http.StatusOK, sw.StatusCode)
	assert.Equal(t, PathWallet, sw.Header.Get("Service-Worker-Allowed"))
	assert.Equal(t, "application/manifest+json", sys.get("/static/wallet.webmanifest").Header.Get("Content-Type"))
}

// A connection lost after the code was accepted is not the end of the
// offer: the wallet goes on with the tokens it has.
func TestWalletTriesAgainAfterTheCodeWasAccepted(t *testing.T) {
	sys := newSystem(t, RegisterMode)
	o := sys.offer(sys.registrant(register.Registered, "Okonkwo").Number)
	tb := startBrowser(t).newTab(t)
	tb.expect("net::ERR_EMPTY_RESPONSE")
	tb.do(20*time.Second, chromedp.Navigate(o.OfferURL))
	sys.dropPath.Store(PathWalletQR)
	sys.drop.Store(1000) // until the wallet gives up, whatever the browser retries
	tb.typeCode(o.TxCode)
	tb.waitFor(30*time.Second, `!document.getElementById("add-error").hidden && document.getElementById("code-submit").textContent === "Try again"`)
	assert.Contains(t, tb.text("#add-error"), "not connected to the internet")
	assert.Empty(t, evalAsync[[]stored](tb, readStore))
	sys.drop.Store(0)
	tb.do(10*time.Second, chromedp.Click(chromedp.ID("code-submit")))
	tb.walletShows(30*time.Second, "valid")
	off, err := sys.srv.State().Offer(o.ID)
	require.NoError(t, err)
	assert.Equal(t, register.OfferRedeemed, off.State)
}
