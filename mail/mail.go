// Package mail is the register's one mail sender: credential offers now,
// renewal reminders and sign-in links later. It sends through an SMTP
// relay (github.com/wneessen/go-mail) or, with none configured, writes each
// message as an .eml file to an outbox folder for the operator to pick up.
// Delivery runs in the background with retries and backoff; the caller
// learns each outcome through a callback and records it, so a mail failure
// never holds up the change that caused the mail.
package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Config configures the mailer.
type Config struct {
	// URL is the relay: smtp://[user@]host[:port] (STARTTLS required,
	// port 587 by default), smtps://[user@]host[:port] (TLS, 465), or
	// smtp://host:port?tls=none for a relay on the same machine. Empty
	// writes to OutboxDir instead.
	URL string
	// Password authenticates the user named in URL.
	Password string
	// From is the sender address.
	From string
	// OutboxDir receives .eml files when URL is empty.
	OutboxDir string
	// Attempts is how many times a message is tried (default 5).
	Attempts int
	// Backoff is the wait after the first failure, doubled after each
	// further one (default 5 seconds).
	Backoff time.Duration
	// Timeout bounds one attempt (default 30 seconds).
	Timeout time.Duration
	Logger  *slog.Logger
}

// Message is one mail.
type Message struct {
	// ID names the message in the register's records and the outbox.
	ID      string
	To      string
	Subject string
	Text    string
}

// Outcome is what became of a message after an attempt.
type Outcome struct {
	Attempts int
	// Err is the last attempt's error, nil once sent.
	Err error
	// Final is set when no more attempts will be made.
	Final bool
}

// Mailer sends mail.
type Mailer struct {
	cfg   Config
	relay *url.URL
	wg    sync.WaitGroup
	// stop ends pending retries (Close).
	stop     chan struct{}
	stopOnce sync.Once
}

// New checks cfg and returns a mailer.
func New(cfg Config) (*Mailer, error) {
	if cfg.Attempts <= 0 {
		cfg.Attempts = 5
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 5 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.From == "" {
		return nil, errors.New("mail: no From address; pass --mail-from")
	}
	if err := gomail.NewMsg().From(cfg.From); err != nil {
		return nil, fmt.Errorf("mail: From address %q: %w", cfg.From, err)
	}
	m := &Mailer{cfg: cfg, stop: make(chan struct{})}
	if cfg.URL == "" {
		if cfg.OutboxDir == "" {
			return nil, errors.New("mail: neither a relay URL nor an outbox folder")
		}
		if err := os.MkdirAll(cfg.OutboxDir, 0o700); err != nil {
			return nil, fmt.Errorf("mail: creating the outbox: %w", err)
		}
		return m, nil
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, fmt.Errorf("mail: --smtp-url %q must look like smtp://user@host:587 or smtps://user@host:465", redact(cfg.URL))
	}
	if _, ok := u.User.Password(); ok {
		return nil, errors.New("mail: put the SMTP password in a file (--smtp-password-file) or LINKPASS_SMTP_PASSWORD, not in --smtp-url")
	}
	if tls := u.Query().Get("tls"); tls != "" && tls != "none" {
		return nil, fmt.Errorf("mail: --smtp-url tls=%q: the only choice is tls=none, for a relay on this machine", tls)
	}
	m.relay = u
	return m, nil
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable)"
	}
	return u.Redacted()
}

// Transport says where mail goes, for logs and records: the relay's
// host and port, or "outbox".
func (m *Mailer) Transport() string {
	if m.relay == nil {
		return "outbox"
	}
	return m.relay.Scheme + "://" + m.relay.Host
}

// Send makes one attempt to send msg.
func (m *Mailer) Send(ctx context.Context, msg Message) error {
	g := gomail.NewMsg()
	if err := g.From(m.cfg.From); err != nil {
		return fmt.Errorf("mail: From: %w", err)
	}
	if err := g.To(msg.To); err != nil {
		return fmt.Errorf("mail: the registrant's address is not a valid address: %w", err)
	}
	g.Subject(msg.Subject)
	g.SetBodyString(gomail.TypeTextPlain, msg.Text)
	g.SetDate()
	g.SetMessageID()
	if m.relay == nil {
		return m.writeOutbox(g, msg.ID)
	}
	c, err := m.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	if err := c.DialAndSendWithContext(ctx, g); err != nil {
		return fmt.Errorf("mail: sending through %s: %w", m.Transport(), err)
	}
	return nil
}

func (m *Mailer) client() (*gomail.Client, error) {
	u := m.relay
	opts := []gomail.Option{gomail.WithTimeout(m.cfg.Timeout)}
	port := 587
	switch {
	case u.Scheme == "smtps":
		port = 465
		opts = append(opts, gomail.WithSSL())
	case u.Query().Get("tls") == "none":
		port = 25
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("mail: port %q: %w", p, err)
		}
		port = n
	}
	opts = append(opts, gomail.WithPort(port))
	if user := u.User.Username(); user != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(user), gomail.WithPassword(m.cfg.Password))
	}
	c, err := gomail.NewClient(u.Hostname(), opts...)
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	return c, nil
}

func (m *Mailer) writeOutbox(g *gomail.Msg, id string) error {
	name := filepath.Join(m.cfg.OutboxDir, time.Now().UTC().Format("20060102T150405Z")+"-"+id+".eml")
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("mail: writing to the outbox: %w", err)
	}
	if _, err := g.WriteTo(f); err != nil {
		f.Close()
		os.Remove(name)
		return fmt.Errorf("mail: writing %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("mail: writing %s: %w", name, err)
	}
	// The path names the message id only: no address, no name.
	m.cfg.Logger.Info("mail written to the outbox; no SMTP relay is configured (serve --smtp-url)", "path", name)
	return nil
}

// Deliver sends msg in the background, retrying with backoff, and calls
// report after each failed attempt and once at the end. report runs on
// the delivery goroutine.
func (m *Mailer) Deliver(msg Message, report func(Outcome)) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		wait := m.cfg.Backoff
		for attempt := 1; ; attempt++ {
			err := m.Send(context.Background(), msg)
			final := err == nil || attempt >= m.cfg.Attempts
			if err != nil {
				m.cfg.Logger.Warn("sending mail failed", "message", msg.ID, "attempt", attempt, "final", final, "err", err)
			}
			report(Outcome{Attempts: attempt, Err: err, Final: final})
			if final {
				return
			}
			select {
			case <-time.After(wait):
			case <-m.stop:
				report(Outcome{Attempts: attempt, Err: errors.New("mail: the register stopped before the message could be sent"), Final: true})
				return
			}
			wait *= 2
		}
	}()
}

// Close stops pending retries and waits for deliveries in flight.
func (m *Mailer) Close() {
	m.stopOnce.Do(func() { close(m.stop) })
	m.wg.Wait()
}
