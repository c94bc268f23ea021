// Package api is the register's HTTP interface: the admin API under /v1
// (bearer tokens), the public register, and health endpoints.
//
// Every handler has one shape: decode the request strictly, validate it,
// act through the server, render JSON. One adapter authenticates and
// authorizes before the handler runs, and turns errors into responses
// through one table, so the API reads in one screen (routes.go).
package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/nalw/linkpass/cpdaudit"
	"github.com/nalw/linkpass/internal/route"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"github.com/nalw/linkpass/applications/intake"
	"github.com/nalw/linkpass/confirmations/claims"
	"github.com/nalw/linkpass/internal/strictjson"
	"github.com/nalw/linkpass/issuer"
	"github.com/nalw/linkpass/issuer/publicregister"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/registrants"
	"github.com/nalw/linkpass/issuer/renewals"
	"github.com/nalw/linkpass/oid4vci"
	"github.com/nalw/linkpass/regno"
	"github.com/nalw/linkpass/staff"
)

// MaxBodyBytes caps request bodies: no legitimate request comes near it.
const MaxBodyBytes = 64 << 10

// API serves the register over HTTP.
type API struct {
	srv *issuer.Server
	// registrants is the one set of registrant operations, shared with
	// the console.
	registrants *registrants.Service
	staff       *staff.Service
	public      *publicregister.Register
	logger      *slog.Logger
	router      *mux.Router
	issuance    *oid4vci.Service
	cpdAudit    *cpdaudit.Service
	// intake is applications to join (package applications/intake).
	intake   *intake.Service
	renewals *renewals.Service
	// claims is training providers' confirmations.
	claims *claims.Service

	gzMu sync.Mutex
	gz   map[string]gzEntry // status list id -> its token gzipped
}

// WithIssuance serves OpenID4VCI issuance through svc (with its mailer);
// without it the API serves issuance that sends no mail.
func WithIssuance(svc *oid4vci.Service) Option { return func(a *API) { a.issuance = svc } }

// WithRegistrants runs registrant operations through svc, the service the
// console shares.
func WithRegistrants(svc *registrants.Service) Option { return func(a *API) { a.registrants = svc } }

// New returns the HTTP handler for srv.
func New(srv *issuer.Server, logger *slog.Logger, opts ...Option) *API {
	a := &API{srv: srv, logger: logger, router: mux.NewRouter()}
	a.router.Use(route.Record)
	for _, o := range opts {
		o(a)
	}
	if a.staff == nil && srv != nil {
		svc, err := NewStaff(srv)
		if err != nil {
			// The issuer URL is validated before it is recorded, so this
			// cannot happen with a register that opened.
			panic("api: staff service: " + err.Error())
		}
		a.staff = svc
	}
	if a.intake == nil && srv != nil {
		a.intake = intake.New(srv, intake.Config{Logger: logger})
	}
	if a.issuance == nil {
		a.issuance = oid4vci.New(srv, oid4vci.Config{Logger: logger})
	}
	if srv != nil {
		a.public = publicregister.New(srv.State, srv.Now)
	}
	if a.registrants == nil {
		a.registrants = registrants.New(srv)
	}
	if a.cpdAudit == nil && srv != nil {
		a.cpdAudit = cpdaudit.New(srv, nil, logger)
	}
	if a.renewals == nil {
		a.renewals = renewals.New(srv)
	}
	if a.claims == nil && srv != nil {
		a.claims = claims.New(srv)
	}
	a.router.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.writeError(w, r, fmt.Errorf("%w: no such endpoint %s %s; see docs/openapi.yaml", register.ErrNotFound, r.Method, r.URL.Path))
	})
	a.router.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.writeError(w, r, errMethod)
	})
	a.routes()
	return a
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	a.router.ServeHTTP(w, r)
}

// access says who may call an endpoint.
type access int

const (
	public    access = iota // no token
	reader                  // any role
	registrar               // admin or registrar
	admin                   // admin only
	// wallet: an OpenID4VCI access token, which package oid4vci checks
	// itself; no API token is one.
	wallet
	// provider: a training provider's staff, whose token reaches only the
	// claims to its own courses (package confirmations/claims); no other
	// role answers for a provider.
	provider
)

func (acc access) allows(role register.Role) bool {
	switch acc {
	case public:
		return true
	case reader:
		return role == register.RoleAdmin || role == register.RoleRegistrar || role == register.RoleAuditor
	case registrar:
		return role == register.RoleAdmin || role == register.RoleRegistrar
	case admin:
		return role == register.RoleAdmin
	case provider:
		return role == register.RoleProvider
	}
	return false
}

// handler is the one shape every endpoint has. It returns the status and
// body to render, or an error.
type handler func(r *http.Request, actor register.Actor) (int, any, error)

// methods are the methods a route of method answers: a GET route answers
// HEAD too (RFC 9110 9.1), with the same headers and, since net/http
// discards a HEAD response's body, none.
func methods(method string) []string {
	if method == http.MethodGet {
		return []string{http.MethodGet, http.MethodHead}
	}
	return []string{method}
}

// raw registers a GET handler that writes its own response
// (headers such as Cache-Control, or a body that is not one JSON value).
func (a *API) raw(path string, h http.HandlerFunc) {
	a.router.Methods(methods(http.MethodGet)...).Path(path).HandlerFunc(h)
}

// handle registers h with its access rule.
func (a *API) handle(method, path string, acc access, h handler) {
	a.router.Methods(methods(method)...).Path(path).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var actor register.Actor
		if acc != public {
			var err error
			if actor, err = a.authorize(r, acc); err != nil {
				a.writeError(w, r, err)
				return
			}
		}
		status, body, err := 0, any(nil), checkQuery(r)
		if err == nil {
			status, body, err = h(r, actor)
		}
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		writeJSON(w, status, body)
		if b, ok := body.(interface{ Release() }); ok {
			b.Release() // written: its memory may serve the next answer
		}
	})
}

func (a *API) authorize(r *http.Request, acc access) (register.Actor, error) {
	h := r.Header.Get("Authorization")
	bearer, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || bearer == "" {
		return register.Actor{}, fmt.Errorf("%w: send an API token as 'Authorization: Bearer <token>'", register.ErrUnauthenticated)
	}
	actor, err := a.srv.Authenticate(bearer)
	if err != nil {
		return register.Actor{}, err
	}
	if !acc.allows(actor.Role) {
		return register.Actor{}, fmt.Errorf("%w: this %s token may not do this; ask an admin for a token with the right role", register.ErrForbidden, actor.Role)
	}
	return actor, nil
}

// Errors of the HTTP layer itself.
var (
	errMethod         = errors.New("method not allowed")
	errTooLarge       = errors.New("request body too large")
	errContentType    = errors.New("unsupported content type")
	errNotImplemented = errors.New("not implemented")
)

// errorKinds maps sentinel errors to status codes and stable error codes.
var errorKinds = []struct {
	err    error
	status int
	code   string
}{
	{register.ErrInvalid, http.StatusBadRequest, "invalid"},
	{regno.ErrFormat, http.StatusBadRequest, "invalid"},
	{regno.ErrCheckDigit, http.StatusBadRequest, "invalid"},
	{register.ErrUnauthenticated, http.StatusUnauthorized, "unauthenticated"},
	{staff.ErrThrottled, http.StatusTooManyRequests, "throttled"},
	{intake.ErrThrottled, http.StatusTooManyRequests, "throttled"},
	{register.ErrForbidden, http.StatusForbidden, "forbidden"},
	{register.ErrNotFound, http.StatusNotFound, "not_found"},
	{errMethod, http.StatusMethodNotAllowed, "method_not_allowed"},
	{register.ErrConflict, http.StatusConflict, "conflict"},
	{errTooLarge, http.StatusRequestEntityTooLarge, "too_large"},
	{errContentType, http.StatusUnsupportedMediaType, "unsupported_media_type"},
	{register.ErrDiskFull, http.StatusInsufficientStorage, "disk_full"},
	{register.ErrUnavailable, http.StatusServiceUnavailable, "unavailable"},
	{errNotImplemented, http.StatusNotImplemented, "not_implemented"},
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeError renders err. Known kinds show their message; anything else is
// logged with its cause and shown only as an internal error.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var body errorBody
	status := http.StatusInternalServerError
	body.Error.Code = "internal"
	body.Error.Message = "internal error; the server log has the details"
	for _, k := range errorKinds {
		if errors.Is(err, k.err) {
			status, body.Error.Code, body.Error.Message = k.status, k.code, err.Error()
			break
		}
	}
	if status == http.StatusInternalServerError {
		a.logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="linkpass"`)
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	writeJSONAs(w, status, "application/json", body)
}

// writeJSONAs writes body indented by two spaces, from a pooled buffer
// and with its length.
func writeJSONAs(w http.ResponseWriter, status int, contentType string, body any) {
	w.Header().Set("Content-Type", contentType)
	buf := jsonBufs.Get().(*[]byte)
	var b []byte
	if a, ok := body.(jsonAppender); ok {
		b = a.AppendJSON((*buf)[:0])
	} else if src, err := json.Marshal(body); err == nil {
		b = appendIndented((*buf)[:0], src)
	} else {
		// Only a type that cannot be encoded gets here: a fault, not the
		// client's.
		status, b = http.StatusInternalServerError, append((*buf)[:0], `{"error":{"code":"internal","message":"internal error: the response could not be encoded"}}`...)
	}
	b = append(b, '\n')
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
	if cap(b) <= maxPooledJSON {
		*buf = b
		jsonBufs.Put(buf)
	}
}

// jsonAppender is a body that writes its own JSON, the same bytes as
// json.Marshal and appendIndented, without its reflection and second pass: the
// public register's answers (publicregister), the busiest JSON served.
type jsonAppender interface{ AppendJSON(b []byte) []byte }

// jsonBufs are buffers for answers, so that a busy public search or a
// run of writes does not allocate one a request; one larger than maxPooledJSON
// (a rare answer) is left to the collector.
var jsonBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

const maxPooledJSON = 256 << 10

// checkQuery refuses a query string whose decoded values are not valid
// UTF-8: they would otherwise be searched for, or echoed as U+FFFD.
func checkQuery(r *http.Request) error {
	for k, vs := range r.URL.Query() {
		for _, v := range append(vs, k) {
			if !utf8.ValidString(v) {
				return fmt.Errorf("%w: the query parameter %q is not valid UTF-8; percent-encode the text as UTF-8", register.ErrInvalid, strings.ToValidUTF8(k, "?"))
			}
		}
	}
	return nil
}

// validator is implemented by request types that check themselves.
type validator interface{ Validate() error }

// optional marks a request body that may be left out entirely, because
// every member is optional.
type optional struct{ validator }

// decode reads a JSON body strictly into v (strictjson.Unmarshal): a size
// limit, no duplicate or unknown members, valid UTF-8, nothing after the
// value. Then it validates v.
func decode(r *http.Request, v any) error { return decodeLimit(r, v, MaxBodyBytes) }

// decodeLimit is decode with a body limit of its own, for the few admin
// endpoints that carry many records.
func decodeLimit(r *http.Request, v any, limit int64) error {
	if o, ok := v.(optional); ok {
		if r.ContentLength == 0 {
			return o.Validate()
		}
		v = o.validator
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return fmt.Errorf("%w: send the body as application/json", errContentType)
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fmt.Errorf("%w: the limit is %d bytes", errTooLarge, limit)
		}
		return fmt.Errorf("%w: reading the request body: %v", register.ErrInvalid, err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return fmt.Errorf("%w: the request body is empty; send a JSON object", register.ErrInvalid)
	}
	if err := strictjson.Unmarshal(body, v); err != nil {
		if errors.Is(err, strictjson.ErrTrailing) {
			return fmt.Errorf("%w: unexpected data after the JSON object", register.ErrInvalid)
		}
		return fmt.Errorf("%w: the body is not valid JSON for this request: %v", register.ErrInvalid, err)
	}
	if v, ok := v.(validator); ok {
		return v.Validate()
	}
	return nil
}

// regnoVar returns the canonical registration number in the path.
func regnoVar(r *http.Request) (string, error) {
	return regno.Parse(mux.Vars(r)["regno"])
}
