package browsertest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLoopbackOnlyAcceptsOnlyTheLoopbackHost(t *testing.T) {
	for raw, want := range map[string]bool{
		"http://127.0.0.1:4000/verify":             true,
		"http://localhost:4000/login":              true,
		"blob:http://127.0.0.1:4000/1b2c-3d":       true,
		"data:image/png;base64,AAAA":               true,
		"https://cdn.example.com/jsQR.js":          false,
		"blob:https://evil.example/1b2c":           false,
		"chrome-extension://abc/x.js":              false,
		"http://127.0.0.1.evil.example:4000/x.css": false,
		"http://localhost.evil.example:4000/":      false,
	} {
		assert.Equal(t, want, LoopbackOnly(raw), raw)
	}
}
