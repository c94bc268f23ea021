package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/nalw/linkpass/courses"
	"github.com/nalw/linkpass/issuer/register"
)

// Catalogue is what the /courses page reads: the course catalogue and the
// registration criteria it is judged by.
type Catalogue interface {
	courses.Source
	Settings() register.Settings
}

// CatalogueFrom reads the catalogue from what current returns at each
// read: the register's state store, which a restore replaces.
func CatalogueFrom[C Catalogue](current func() C) Catalogue { return currentCatalogue[C](current) }

type currentCatalogue[C Catalogue] func() C

func (c currentCatalogue[C]) Courses() ([]*courses.Course, error)     { return c().Courses() }
func (c currentCatalogue[C]) Providers() ([]*courses.Provider, error) { return c().Providers() }
func (c currentCatalogue[C]) Settings() register.Settings             { return c().Settings() }

// coursesView is the /courses page's state.
type coursesView struct {
	Standing string
	MinLevel string
	Error    string
	// ErrorField is the id of the control the error is about.
	ErrorField string
	Entries    []courseView
	Criteria   register.Criteria
	Levels     []levelOption
	Standings  []courses.Standing
	Filtered   bool
}

type levelOption struct {
	Value, Label string
}

// courseView is one course as the page shows it.
type courseView struct {
	courses.Entry
	LevelText    string
	StandingText string
	Accredited   string
	// Counts says whether a qualification from it, awarded today, meets
	// the registration criteria's course requirement.
	Counts bool
}

var standingWords = map[courses.Standing]string{
	courses.Accredited: "NALW-accredited",
	courses.Aligned:    "Aligned with NALW standards",
	courses.Withdrawn:  "Withdrawn: no longer accredited or aligned",
}

func (s *Site) coursesPage(r *http.Request, d *pageData) (string, int) {
	d.Title, d.Nav = "Courses that count towards registration", "courses"
	q := r.URL.Query()
	v := &coursesView{Standing: q.Get("standing"), MinLevel: q.Get("min_level"), Standings: courses.Standings}
	v.Levels = []levelOption{{"", "Any level"}}
	for n := 1; n <= 8; n++ {
		v.Levels = append(v.Levels, levelOption{strconv.Itoa(n), "RQF " + strconv.Itoa(n) + " and above"})
	}
	d.Courses = v
	v.Criteria.MinRQFLevel = register.DefaultCriteria.MinRQFLevel
	if s.cfg.Catalogue == nil {
		return "courses", http.StatusOK
	}
	v.Criteria = s.cfg.Catalogue.Settings().Criteria
	if !v.Criteria.Required {
		v.Criteria.MinRQFLevel = register.DefaultCriteria.MinRQFLevel
	}
	f, err := courses.ParseFilter(v.Standing, v.MinLevel)
	if err != nil {
		v.ErrorField = "standing"
		if strings.Contains(err.Error(), "min_level") {
			v.ErrorField = "min_level"
			v.Error = "Choose a level from the list: RQF 1 to 8 (an SCQF 7 course counts as RQF 4)."
		} else {
			v.Error = "Choose accredited, aligned or withdrawn from the list."
		}
		return "courses", http.StatusBadRequest
	}
	v.Filtered = f != courses.Filter{}
	es, err := courses.Read(s.cfg.Catalogue, f)
	if err != nil {
		s.cfg.Logger.Error("web: reading the course catalogue failed", "err", err)
		v.Error = "The catalogue cannot be read just now. Try again in a minute."
		return "courses", http.StatusInternalServerError
	}
	for _, e := range es {
		cv := courseView{Entry: e, LevelText: e.Level.String(), StandingText: standingWords[e.Standing.Standing],
			Counts: e.Standing.Standing.Counts() && e.RQFLevel >= v.Criteria.MinRQFLevel}
		if eq := e.Level.Equivalent(); eq != "" {
			cv.LevelText += " (compares with " + eq + ")"
		}
		if e.Standing.Standing == courses.Accredited {
			cv.Accredited = "Reference " + e.Standing.Reference + ", from " + longDate(e.Standing.From) + " to " + longDate(e.Standing.Until)
		}
		v.Entries = append(v.Entries, cv)
	}
	return "courses", http.StatusOK
}

// pageError is an error's message for a person, without the sentinel's
// prefix.
func pageError(err error) string {
	msg := err.Error()
	for _, base := range []error{register.ErrInvalid, register.ErrConflict, register.ErrNotFound, register.ErrUnavailable} {
		msg = strings.ReplaceAll(msg, base.Error()+": ", "")
	}
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
		if !strings.HasSuffix(msg, ".") {
			msg += "."
		}
	}
	return msg
}
