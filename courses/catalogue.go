package courses

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"github.com/nalw/linkpass/issuer/register"
)

// Entry is a course as the public catalogue shows it: with its provider
// and its level compared in the RQF.
type Entry struct {
	*Course
	ProviderName string         `json:"provider_name"`
	UKPRN        string         `json:"ukprn,omitempty"`
	RQFLevel     int            `json:"rqf_level"`
	Standing     StandingChange `json:"standing"`
}

// Filter selects catalogue entries; zero values select everything.
type Filter struct {
	Standing Standing
	// MinRQFLevel keeps courses at this RQF-equivalent level or above.
	MinRQFLevel int
}

// ParseFilter reads a filter from query values ("standing", "min_level").
func ParseFilter(standing, minLevel string) (Filter, error) {
	var f Filter
	if standing != "" {
		s, err := ParseStanding(standing)
		if err != nil {
			return f, err
		}
		f.Standing = s
	}
	if minLevel != "" {
		n, err := strconv.Atoi(minLevel)
		if err != nil || n < 0 || n > 8 {
			return f, fmt.Errorf("%w: min_level %q must be an RQF level from 0 to 8 (an SCQF 7 course is RQF 4)", register.ErrInvalid, clip(minLevel))
		}
		f.MinRQFLevel = n
	}
	return f, nil
}

// Catalogue joins courses to their providers, keeps those f selects, and
// orders them by standing (accredited first), then level (highest first),
// then title.
func Catalogue(cs []*Course, ps []*Provider, f Filter) []Entry {
	byID := make(map[string]*Provider, len(ps))
	for _, p := range ps {
		byID[p.ID] = p
	}
	out := []Entry{}
	for _, c := range cs {
		e := Entry{Course: c, RQFLevel: c.Level.RQF(), Standing: c.Current()}
		if p := byID[c.Provider]; p != nil {
			e.ProviderName, e.UKPRN = p.Name, p.UKPRN
		}
		if f.Standing != "" && e.Standing.Standing != f.Standing || e.RQFLevel < f.MinRQFLevel {
			continue
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Entry) int {
		return cmp.Or(
			cmp.Compare(slices.Index(Standings, a.Standing.Standing), slices.Index(Standings, b.Standing.Standing)),
			cmp.Compare(b.RQFLevel, a.RQFLevel),
			cmp.Compare(a.Title, b.Title),
			cmp.Compare(a.CreateIndex, b.CreateIndex))
	})
	return out
}

// Source is where the catalogue is kept (the register's state store).
type Source interface {
	Courses() ([]*Course, error)
	Providers() ([]*Provider, error)
}

// Read returns the catalogue entries of src that f selects.
func Read(src Source, f Filter) ([]Entry, error) {
	cs, err := src.Courses()
	if err != nil {
		return nil, err
	}
	ps, err := src.Providers()
	if err != nil {
		return nil, err
	}
	return Catalogue(cs, ps, f), nil
}
