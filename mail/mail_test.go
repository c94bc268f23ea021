package mail

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// relay is a real SMTP server in the test process.
type relay struct {
	mu   sync.Mutex
	got  []received
	addr string
}

type received struct {
	from string
	to   []string
	data string
}

func (r *relay) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{r: r}, nil }

type session struct {
	r   *relay
	cur received
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error { s.cur.from = from; return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = string(b)
	s.r.mu.Lock()
	s.r.got = append(s.r.got, s.cur)
	s.r.mu.Unlock()
	return nil
}
func (s *session) Reset()        { s.cur = received{} }
func (s *session) Logout() error { return nil }

func startRelay(t *testing.T) *relay {
	t.Helper()
	r := &relay{}
	srv := smtp.NewServer(r)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	r.addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return r
}

func TestSendsThroughARealSMTPRelay(t *testing.T) {
	r := startRelay(t)
	m, err := New(Config{URL: "smtp://" + r.addr + "?tls=none", From: "register@nalw.example"})
	require.NoError(t, err)
	done := make(chan Outcome, 4)
	m.Deliver(Message{ID: "msg-1", To: "sian@example.org", Subject: "Your credential", Text: "Open https://register.example/wallet#x"}, func(o Outcome) { done <- o })
	o := <-done
	require.NoError(t, o.Err)
	assert.True(t, o.Final)
	assert.Equal(t, 1, o.Attempts)
	m.Close()
	r.mu.Lock()
	defer r.mu.Unlock()
	require.Len(t, r.got, 1)
	assert.Equal(t, "register@nalw.example", r.got[0].from)
	assert.Equal(t, []string{"sian@example.org"}, r.got[0].to)
	assert.Contains(t, r.got[0].data, "Subject: Your credential")
	assert.Contains(t, r.got[0].data, "https://register.example/wallet#x")
}

func TestRetriesWithBackoffThenReportsFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close() // nothing listens: every attempt fails
	m, err := New(Config{URL: "smtp://" + addr + "?tls=none", From: "register@nalw.example", Attempts: 3, Backoff: time.Millisecond, Timeout: 2 * time.Second})
	require.NoError(t, err)
	var outs []Outcome
	final := make(chan struct{})
	m.Deliver(Message{ID: "msg-2", To: "a@example.org", Subject: "s", Text: "t"}, func(o Outcome) {
		outs = append(outs, o)
		if o.Final {
			close(final)
		}
	})
	<-final
	m.Close()
	require.Len(t, outs, 3)
	for i, o := range outs {
		assert.Error(t, o.Err)
		assert.Equal(t, i+1, o.Attempts)
		assert.Equal(t, i == 2, o.Final)
	}
}

func TestOutboxWhenNoRelay(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	m, err := New(Config{OutboxDir: dir, From: "register@nalw.example"})
	require.NoError(t, err)
	assert.Equal(t, "outbox", m.Transport())
	require.NoError(t, m.Send(t.Context(), Message{ID: "msg-3", To: "b@example.org", Subject: "Hello", Text: "Body"}))
	files, err := filepath.Glob(filepath.Join(dir, "*-msg-3.eml"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	b, err := os.ReadFile(files[0])
	require.NoError(t, err)
	assert.Contains(t, string(b), "To: <b@example.org>")
	st, err := os.Stat(files[0])
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "mail holds personal data")
}

func TestBadConfigurationIsRefusedClearly(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{URL: "http://x", From: "a@b.example"}, "must look like"},
		{Config{URL: "smtp://u:secret@x", From: "a@b.example"}, "not in --smtp-url"},
		{Config{URL: "smtp://x", From: ""}, "From"},
		{Config{URL: "smtp://x?tls=maybe", From: "a@b.example"}, "tls=none"},
		{Config{From: "a@b.example"}, "outbox"},
	} {
		_, err := New(tc.cfg)
		require.Error(t, err)
		assert.Contains(t, err.Error(), tc.want)
		assert.NotContains(t, err.Error(), "secret")
	}
	m, err := New(Config{URL: "smtps://user@relay.example", From: "a@b.example", Password: "pw"})
	require.NoError(t, err)
	assert.Equal(t, "smtps://relay.example", m.Transport(), "the transport names no user and no password")
}
