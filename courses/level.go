package courses

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nalw/linkpass/issuer/register"
)

// Framework is a qualifications framework of the United Kingdom.
type Framework string

// The frameworks. RQF covers England and Northern Ireland, CQFW Wales
// (its levels are numbered as the RQF's), SCQF Scotland (12 levels).
const (
	RQF  Framework = "rqf"
	CQFW Framework = "cqfw"
	SCQF Framework = "scqf"
)

// Frameworks lists them.
var Frameworks = []Framework{RQF, CQFW, SCQF}

// Level is a level in a framework. In the RQF and CQFW, 0 stands for the
// entry levels, then 1 to 8; in the SCQF, 1 to 12.
type Level struct {
	Framework Framework `json:"framework"`
	Number    int       `json:"number"`
}

// Validate checks that the level exists in its framework.
func (l Level) Validate() error {
	switch l.Framework {
	case RQF, CQFW:
		if l.Number < 0 || l.Number > 8 {
			return fmt.Errorf("%w: %s level %d does not exist; %s levels run from 0 (entry) to 8", register.ErrInvalid, l.Framework.Name(), l.Number, l.Framework.Name())
		}
	case SCQF:
		if l.Number < 1 || l.Number > 12 {
			return fmt.Errorf("%w: SCQF level %d does not exist; SCQF levels run from 1 to 12", register.ErrInvalid, l.Number)
		}
	default:
		return fmt.Errorf("%w: framework %q must be one of rqf, cqfw, scqf", register.ErrInvalid, clip(string(l.Framework)))
	}
	return nil
}

// scqfToRQF maps SCQF levels 1-12 to the RQF level they compare with, as
// the frameworks' published comparison ("Qualifications can cross
// boundaries") sets them side by side: SCQF 1-3 are the entry levels,
// SCQF 7 (HNC, CertHE) compares with RQF 4, SCQF 8 (HND, DipHE) with 5,
// SCQF 9 and 10 (ordinary and honours degrees) both with 6.
var scqfToRQF = [13]int{0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 6, 7, 8}

// RQF returns the RQF level this level compares with (0 for entry).
func (l Level) RQF() int {
	if l.Framework == SCQF && l.Number >= 1 && l.Number <= 12 {
		return scqfToRQF[l.Number]
	}
	return l.Number
}

// String is the level as people write it: "RQF 4", "SCQF 7", "CQFW entry".
func (l Level) String() string {
	if l.Number == 0 && l.Framework != SCQF {
		return l.Framework.Name() + " entry"
	}
	return l.Framework.Name() + " " + strconv.Itoa(l.Number)
}

// Equivalent says what the level compares with in the RQF, for pages:
// "" for an RQF level itself.
func (l Level) Equivalent() string {
	if l.Framework == RQF {
		return ""
	}
	if r := l.RQF(); r > 0 {
		return "RQF " + strconv.Itoa(r)
	}
	return "RQF entry"
}

// Name is the framework's abbreviation in capitals.
func (f Framework) Name() string { return strings.ToUpper(string(f)) }

// ParseLevel reads a level written as "rqf:4", "scqf:7" or "cqfw:entry".
func ParseLevel(s string) (Level, error) {
	fw, num, ok := strings.Cut(strings.ToLower(strings.TrimSpace(s)), ":")
	if !ok {
		return Level{}, fmt.Errorf("%w: level %q must be a framework and a number, e.g. rqf:4, scqf:7 or cqfw:5", register.ErrInvalid, clip(s))
	}
	l := Level{Framework: Framework(fw)}
	if num == "entry" {
		l.Number = 0
	} else {
		n, err := strconv.Atoi(num)
		if err != nil {
			return Level{}, fmt.Errorf("%w: level %q must be a framework and a number, e.g. rqf:4, scqf:7 or cqfw:5", register.ErrInvalid, clip(s))
		}
		l.Number = n
	}
	return l, l.Validate()
}
