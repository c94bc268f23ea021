package schedule

import "testing"

// AfterWrite sets the hook run between writing a backup and checking it.
func AfterWrite(t *testing.T, fn func(path string)) {
	afterWrite = fn
	t.Cleanup(func() { afterWrite = nil })
}
