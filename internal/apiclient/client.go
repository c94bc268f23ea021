// Package apiclient is the CLI's client for the register's HTTP API.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Client calls the register's API.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// New returns a client for the server at base, authenticating with token.
func New(base, token string) (*Client, error) {
	base = strings.TrimRight(strings.TrimSpace(base), "/")
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return nil, fmt.Errorf("server %q must be an http:// or https:// URL (--server or LINKPASS_SERVER)", base)
	}
	return &Client{base: base, token: strings.TrimSpace(token), http: &http.Client{Timeout: 30 * time.Second}}, nil
}

// Error is an error the API returned.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Message }

// ErrUnreachable means the server could not be reached at all.
var ErrUnreachable = errors.New("cannot reach the register")

// Do sends in (if not nil) as JSON and decodes the response into out (if
// not nil). It returns *Error for an API error.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	resp, err := c.send(ctx, method, path, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("reading the register's answer to %s %s: %w", method, path, err)
	}
	return nil
}

// Stream sends a GET and copies a successful body to w.
func (c *Client) Stream(ctx context.Context, path string, w io.Writer) error {
	resp, err := c.send(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(w, resp.Body)
	return err
}

func (c *Client) send(ctx context.Context, method, path string, in any) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w at %s: %v; is `linkpass serve` running there?", ErrUnreachable, c.base, err)
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		var eb struct {
			Error Error `json:"error"`
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if err := json.Unmarshal(b, &eb); err != nil || eb.Error.Message == "" {
			return nil, &Error{Status: resp.StatusCode, Code: "http_" + fmt.Sprint(resp.StatusCode), Message: fmt.Sprintf("the register answered %s", resp.Status)}
		}
		eb.Error.Status = resp.StatusCode
		return nil, &eb.Error
	}
	return resp, nil
}
