// Package regno defines the register's registration numbers.
//
// A registration number is "LW" followed by a serial of at least six digits
// and one check digit computed with the Damm algorithm, for example
// LW1000015. The Damm check digit catches every single-digit error and every
// transposition of adjacent digits, the two mistakes people make when they
// copy a number from a card or read it over the phone. Serials are assigned
// in order by the register and never reused.
package regno

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Prefix starts every registration number.
const Prefix = "LW"

// FirstSerial is the first serial the register assigns. Starting at six
// digits keeps numbers the same length for the first 900,000 registrants.
const FirstSerial = 100001

// maxDigits bounds the serial so that parsing cannot be fed absurd input.
const maxDigits = 12

var (
	// ErrFormat means the text is not shaped like a registration number.
	ErrFormat = errors.New("not a registration number")
	// ErrCheckDigit means the number is well formed but its check digit is
	// wrong, which almost always means it was mistyped.
	ErrCheckDigit = errors.New("registration number check digit does not match")
)

// damm is the Damm algorithm's totally anti-symmetric quasigroup of order 10.
var damm = [10][10]byte{
	{0, 3, 1, 7, 5, 9, 8, 6, 4, 2},
	{7, 0, 9, 2, 1, 5, 4, 8, 6, 3},
	{4, 2, 0, 6, 8, 7, 1, 3, 5, 9},
	{1, 7, 5, 0, 9, 8, 3, 4, 2, 6},
	{6, 1, 2, 3, 0, 4, 5, 9, 7, 8},
	{3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
	{5, 8, 6, 9, 7, 2, 0, 1, 3, 4},
	{8, 9, 4, 5, 3, 6, 2, 0, 1, 7},
	{9, 4, 3, 8, 6, 1, 7, 2, 0, 5},
	{2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
}

// checkDigit returns the Damm check digit of a string of decimal digits.
func checkDigit(digits string) byte {
	var interim byte
	for i := 0; i < len(digits); i++ {
		interim = damm[interim][digits[i]-'0']
	}
	return interim
}

// Format returns the registration number for a serial.
func Format(serial uint64) string {
	s := strconv.FormatUint(serial, 10)
	return Prefix + s + string('0'+checkDigit(s))
}

// separators are what a person may type between the parts of a number. A
// replacer is built on its first use, which costs more than the rest of
// Parse: build it once.
var separators = strings.NewReplacer(" ", "", "-", "")

// Parse normalises text typed or scanned by a person (any case, spaces and
// hyphens allowed) and returns the canonical registration number. It returns
// an error wrapping ErrFormat or ErrCheckDigit that says what is wrong.
func Parse(text string) (string, error) {
	s := strings.ToUpper(strings.TrimSpace(text))
	s = separators.Replace(s)
	if !strings.HasPrefix(s, Prefix) {
		return "", fmt.Errorf("%w: %q must start with %s, e.g. LW1000015", ErrFormat, clip(text), Prefix)
	}
	digits := s[len(Prefix):]
	if len(digits) < 7 || len(digits) > maxDigits+1 {
		return "", fmt.Errorf("%w: %q must be %s followed by 7 to %d digits", ErrFormat, clip(text), Prefix, maxDigits+1)
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return "", fmt.Errorf("%w: %q may only contain digits after %s", ErrFormat, clip(text), Prefix)
		}
	}
	if checkDigit(digits) != 0 {
		return "", fmt.Errorf("%w: %q is probably mistyped; check it against the card or the public register", ErrCheckDigit, clip(text))
	}
	return s, nil
}

// Serial returns the serial of a canonical registration number.
func Serial(canonical string) (uint64, error) {
	n, err := Parse(canonical)
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(n[len(Prefix):len(n)-1], 10, 64)
}

// clip keeps error messages short whatever the caller sent.
func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}
