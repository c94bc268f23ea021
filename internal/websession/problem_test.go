package websession

import (
	"errors"
	"fmt"
	"net/http"
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
