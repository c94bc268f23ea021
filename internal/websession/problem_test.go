package websession

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/nalw/linkpass/issuer/register"
)

func TestProblemSaysWhatWasWrongWithoutTheKindsName(t *testing.T) {
	throttled := errors.New("too many")
	kinds := append([]Kind{{Err: throttled, Status: http.StatusTooManyRequests}}, Kinds...)
	msg, status, ok := Problem(fmt.Errorf("answer: %w: answer is required", register.ErrInvalid), kinds)
	assert.True(t, ok)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "Answer: answer is required.", msg)
	_, status, _ = Problem(fmt.Errorf("%w: wait", throttled), kinds)
	assert.Equal(t, http.StatusTooManyRequests, status)
	_, status, ok = Problem(errors.New("disk on fire"), kinds)
	assert.False(t, ok, "a fault is not shown")
	assert.Equal(t, http.StatusInternalServerError, status)
}

func TestExplainLogsAFaultAndShowsNoneOfIt(t *testing.T) {
	var logs strings.Builder
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	msg, status := Explain(errors.New("disk on fire at /data/raft.db"), Kinds, logger, "account", "contact the registrar")
	assert.Equal(t, http.StatusInternalServerError, status)
	assert.Equal(t, "Something went wrong on the register's side. Try again; if it keeps happening, contact the registrar.", msg)
	assert.NotContains(t, msg, "disk")
	assert.Contains(t, logs.String(), "account: request failed")
	assert.Contains(t, logs.String(), "disk on fire")

	logs.Reset()
	msg, status = Explain(fmt.Errorf("%w: email is required", register.ErrInvalid), Kinds, logger, "account", "contact the registrar")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "Email is required.", msg)
	assert.Empty(t, logs.String(), "a person's mistake is not logged as a fault")
}
