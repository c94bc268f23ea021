package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/nalw/linkpass/internal/strictjson"
	"github.com/nalw/linkpass/qrimage"
)

// Limits of the JSON endpoints.
const (
	// MaxVerifyBody caps POST /v1/verify: a credential is a few kilobytes.
	MaxVerifyBody = 64 << 10
	// MaxImageBody caps the image POST /v1/verify/image reads.
	MaxImageBody = 10 << 20
	// ImageBudget caps the memory one image may take to decode and read
	// (qrimage.DecodeCost, from its header, before any pixel is decoded):
	// a 12-megapixel phone photo or a 4K screenshot fits; a small file
	// declaring an enormous or 16-bit canvas does not.
	ImageBudget = qrimage.ServerBudget
	// maxImageRequests bounds the image requests in progress (each holds
	// its body, at most MaxImageBody); one more is refused at once with
	// 503 and Retry-After rather than queued, so a flood costs nothing.
	maxImageRequests = 4
	// maxConcurrentImages bounds how many images are decoded at once, so
	// that uploads cannot take all the memory; imageDecoders also leaves
	// half the cores to the register. With the limits above, images cost
	// at most 4 x 10 MiB of bodies and 2 x 48 MiB of decoding: 136 MiB.
	maxConcurrentImages = 2
	// imageWait is how long a request that holds a slot waits for a
	// decoder before it is told to come back.
	imageWait = 10 * time.Second
	// retryAfter is the Retry-After, in seconds, of a busy answer.
	retryAfter = "2"
	// multipartSlack is what a multipart envelope may add to the image.
	multipartSlack = 64 << 10
)

// Errors of the JSON endpoints, each with its status and stable code in
// apiErrors. The message a client sees is the error's text; a cause that
// is not the client's business goes to the log instead.
var (
	errBadRequest   = errors.New("bad request")
	errTooLarge     = errors.New("request body too large")
	errContentType  = errors.New("unsupported content type")
	errNoQRCode     = errors.New("no QR code found")
	errBusy         = errors.New("busy")
	errCancelled    = errors.New("request cancelled")
	errInternal     = errors.New("internal error")
	errImageTooLong = errors.New("image too large")
	errNotOurs      = errors.New("not a credential of this register")
)

var apiErrors = []struct {
	err    error
	status int
	code   string
}{
	{errBadRequest, http.StatusBadRequest, "invalid"},
	{errTooLarge, http.StatusRequestEntityTooLarge, "too_large"},
	{errImageTooLong, http.StatusRequestEntityTooLarge, "too_large"},
	{errContentType, http.StatusUnsupportedMediaType, "unsupported_media_type"},
	{errNoQRCode, http.StatusUnprocessableEntity, "no_qr_code"},
	{errNotOurs, http.StatusUnprocessableEntity, "not_a_credential"},
	{errBusy, http.StatusServiceUnavailable, "busy"},
	{errCancelled, http.StatusServiceUnavailable, "cancelled"},
}

// apiError is an error a client sees: its message, and the kind that
// picks the status and code.
type apiError struct {
	kind error
	msg  string
}

func (e *apiError) Error() string { return e.msg }
func (e *apiError) Unwrap() error { return e.kind }

// fail returns an error of kind with a message for the client.
func fail(kind error, format string, args ...any) error {
	return &apiError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// ErrorBody is the JSON of every error response of the site's endpoints,
// the same shape as the register API's.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is a stable code a program can switch on and a message for
// a person.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// apiHandler is the one shape of the site's endpoints: it returns the body
// to render with 200, or an error.
type apiHandler func(r *http.Request) (any, error)

// api adapts h: errors become {"error":{...}} through apiErrors.
func (s *Site) api(h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		body, err := h(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, body)
	})
}

func (s *Site) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errBusy) {
		w.Header().Set("Retry-After", retryAfter)
	}
	status, code, msg := http.StatusInternalServerError, "internal", "something went wrong on the server; try again"
	for _, k := range apiErrors {
		if errors.Is(err, k.err) {
			status, code, msg = k.status, k.code, err.Error()
			break
		}
	}
	if status == http.StatusInternalServerError {
		s.cfg.Logger.Error("web: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: msg}})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"could not encode the response"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// VerifyRequest is the body of POST /v1/verify.
type VerifyRequest struct {
	// Credential is the scanned QR text ("LP1:...") or a compact JWS.
	Credential string `json:"credential"`
}

// Validate returns the first problem with the request.
func (v VerifyRequest) Validate() error {
	if strings.TrimSpace(v.Credential) == "" {
		return fail(errBadRequest, "credential is empty: send the text of the QR code or the signed token")
	}
	return nil
}

// verifyText is POST /v1/verify: decode strictly, validate, verify, and
// answer 200 with the verdict whatever it is.
func (s *Site) verifyText(r *http.Request) (any, error) {
	var req VerifyRequest
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	return s.cfg.Verify(r.Context(), req.Credential), nil
}

// decodeJSON reads exactly one strict JSON object (strictjson.Unmarshal:
// no duplicate or unknown members, valid UTF-8) from a body of at most
// MaxVerifyBody bytes.
func decodeJSON(r *http.Request, dst any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return fail(errContentType, "send Content-Type: application/json")
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxVerifyBody+1))
	if err != nil {
		return fail(errBadRequest, "reading the body: %v", err)
	}
	if len(b) > MaxVerifyBody {
		return fail(errTooLarge, "the body is over %d bytes; a credential is a few kilobytes", MaxVerifyBody)
	}
	if err := strictjson.Unmarshal(b, dst); err != nil {
		return fail(errBadRequest, "the body is not the JSON expected, {\"credential\": \"...\"}: %v", err)
	}
	return nil
}

// imageDecoders is how many images are decoded at once: half the cores,
// at most maxConcurrentImages, at least one.
func imageDecoders() int { return max(1, min(maxConcurrentImages, runtime.GOMAXPROCS(0)/2)) }

// verifyImage is POST /v1/verify/image: the image of a QR code, as the raw
// body (Content-Type image/png or image/jpeg) or as the first file of a
// multipart/form-data body, read on the server with qrimage.Read, which
// copes with photos that the browser's decoder cannot read.
func (s *Site) verifyImage(r *http.Request) (any, error) {
	select {
	case s.uploads <- struct{}{}:
		defer func() { <-s.uploads }()
	default:
		return nil, fail(errBusy, "the server is reading as many images as it can; try again in a few seconds, or paste the QR text")
	}
	data, err := readImageBody(r)
	if err != nil {
		return nil, err
	}
	// An image too large to read is refused from its header at once, not
	// after waiting for a decoder.
	if err := checkImage(data); err != nil {
		return nil, err
	}
	wait := time.NewTimer(imageWait)
	defer wait.Stop()
	select {
	case s.images <- struct{}{}:
		defer func() { <-s.images }()
	case <-wait.C:
		return nil, fail(errBusy, "the server is reading as many images as it can; try again in a few seconds, or paste the QR text")
	case <-r.Context().Done():
		return nil, fail(errCancelled, "gave up waiting to read the image")
	}
	text, err := readQR(data)
	if err != nil {
		return nil, err
	}
	return s.cfg.Verify(r.Context(), text), nil
}

// readImageBody returns the image bytes of the request.
func readImageBody(r *http.Request) ([]byte, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, fail(errContentType, "send an image/png or image/jpeg body, or multipart/form-data")
	}
	switch mt {
	case "image/png", "image/jpeg":
		return readLimited(r.Body, MaxImageBody)
	case "multipart/form-data":
		mr := multipart.NewReader(io.LimitReader(r.Body, MaxImageBody+multipartSlack), params["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return nil, fail(errBadRequest, "the form has no image file")
			}
			if err != nil {
				return nil, fail(errBadRequest, "the form could not be read: %v", err)
			}
			if part.FileName() == "" {
				part.Close()
				continue
			}
			pt, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
			if pt != "image/png" && pt != "image/jpeg" {
				return nil, fail(errContentType, "the file is %q; send a PNG or JPEG image", pt)
			}
			defer part.Close()
			return readLimited(part, MaxImageBody)
		}
	}
	return nil, fail(errContentType, "the body is %q; send a PNG or JPEG image", mt)
}

func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fail(errBadRequest, "reading the image: %v", err)
	}
	if int64(len(b)) > limit {
		return nil, fail(errTooLarge, "the image is over %d MiB; send a smaller photo or a screenshot", limit>>20)
	}
	if len(b) == 0 {
		return nil, fail(errBadRequest, "the image is empty")
	}
	return b, nil
}

// readQR decodes a PNG or JPEG image within ImageBudget, checked from its
// header before any pixel is decoded, and reads the QR code in it.
func readQR(data []byte) (string, error) {
	img, err := qrimage.Decode(data, ImageBudget, "png", "jpeg")
	if err != nil {
		return "", imageError(err)
	}
	text, err := qrimage.Read(img)
	if errors.Is(err, qrimage.ErrNoQRCode) {
		return "", fail(errNoQRCode, "no QR code could be read in this image; try a sharper, closer photo with the whole code in view")
	}
	if err != nil {
		return "", fmt.Errorf("%w: reading the QR code: %w", errInternal, err)
	}
	return text, nil
}

// checkImage refuses, from its header alone, an image readQR would refuse
// for its format or size.
func checkImage(data []byte) error {
	if err := qrimage.Check(data, ImageBudget, "png", "jpeg"); err != nil {
		return imageError(err)
	}
	return nil
}

// imageError is the answer to an image qrimage.Decode refused.
func imageError(err error) error {
	var tooLarge *qrimage.TooLargeError
	switch {
	case errors.As(err, &tooLarge):
		return fail(errImageTooLong, "the image is %dx%d pixels, which would take %d MiB to read; the limit is %d MiB: send a smaller photo or a screenshot, or crop it to the QR code",
			tooLarge.Width, tooLarge.Height, (tooLarge.Cost+1<<20-1)>>20, tooLarge.Budget>>20)
	case errors.Is(err, qrimage.ErrUnsupportedImage):
		return fail(errContentType, "the file is not a PNG or JPEG image")
	}
	return fail(errBadRequest, "the image could not be decoded (%v); send the photo again, or paste the QR text", err)
}

// verifierStatus is GET /v1/verifier/status: how fresh the trust bundle is.
func (s *Site) verifierStatus(*http.Request) (any, error) {
	return s.cfg.BundleInfo(), nil
}
