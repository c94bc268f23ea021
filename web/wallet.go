package web

import (
	"bytes"
	"net/http"
	"time"

	"github.com/nalw/linkpass/qrimage"
	"github.com/nalw/linkpass/qrtext"
)

// The web wallet (/wallet) is a page of the register's site like the
// others, in the same layout, enhanced by wallet.js into an installable
// app: a link worker opens the offer link from their email, types the
// registrar's code, and the page runs OpenID4VCI itself, keeps the
// credential and its QR code in IndexedDB and shows them with no network.
// See docs/wallet.md (for link workers) and docs/web.md.

// Paths of the wallet.
const (
	// PathWallet is the wallet's page, the scope of its service worker.
	PathWallet = "/wallet"
	// PathWalletWorker is the service worker. It is served under the
	// wallet's path, with Service-Worker-Allowed, so that its scope is
	// exactly /wallet and it never controls the other pages.
	PathWalletWorker = "/wallet/sw.js"
	// PathWalletQR draws a credential's QR code.
	PathWalletQR = "/v1/wallet/qr"

	scriptWallet = "/static/wallet.js"
	walletWorker = "/static/wallet-sw.js"
)

func (s *Site) walletPage(_ *http.Request, d *pageData) (string, int) {
	d.Title, d.Nav = "Your credential wallet", "wallet"
	d.Scripts = []string{scriptCommon, scriptWallet}
	return "wallet", http.StatusOK
}

// serviceWorker serves the wallet's service worker. It is revalidated on
// every load (no-cache and its ETag), so an upgrade reaches phones the
// next time they are online.
func (s *Site) serviceWorker(w http.ResponseWriter, r *http.Request) {
	f := s.static.files[walletWorker]
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("ETag", f.etag)
	h.Set("Cache-Control", "no-cache")
	h.Set("Service-Worker-Allowed", PathWallet)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}

// QRRequest is the body of POST /v1/wallet/qr, shaped as POST
// /v1/verify's: {"credential": the compact vc+jwt the wallet received}.
type QRRequest = VerifyRequest

// QRResponse is a credential's QR code as the wallet keeps it.
type QRResponse struct {
	// Link is what the code carries: the register's /verify page with the
	// compact credential in the fragment (qrtext.Link).
	Link string `json:"link"`
	// PNG is the code drawn as a 1-bit PNG (base64 in JSON), ECC M, 8
	// pixels a module with the quiet zone.
	PNG []byte `json:"png"`
}

// walletQR is POST /v1/wallet/qr: it draws the QR code of a credential
// this register signed, once, when the wallet stores the credential. The
// wallet keeps the image, so it shows the code with no network. The
// compact text needs DEFLATE with a preset dictionary, which browsers'
// CompressionStream lacks, and drawing it here keeps one encoder (the
// card's, the CLI's) and one measured QR version for every code the
// register's credentials appear in. It draws only genuine credentials of
// this register, so it is no general-purpose QR service.
func (s *Site) walletQR(r *http.Request) (any, error) {
	var req QRRequest
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	v := s.cfg.Verify(r.Context(), req.Credential)
	if v.Credential == nil || v.Issuer == "" {
		return nil, fail(errNotOurs, "this is not a credential of this register (%s)", v.Reason)
	}
	link, err := qrtext.Link(req.Credential, v.Issuer)
	if err != nil {
		return nil, fail(errNotOurs, "%v", err)
	}
	png, err := qrimage.PNG(link)
	if err != nil {
		return nil, err
	}
	return QRResponse{Link: link, PNG: png}, nil
}
