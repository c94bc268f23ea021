package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/nalw/linkpass/applications"
	"github.com/nalw/linkpass/courses"
	"github.com/nalw/linkpass/issuer/register"
)

// Applying takes applications to join the register (package
// applications/intake's Service, which the API calls too).
type Applying interface {
	SendCode(ctx context.Context, email, client string) error
	Submit(ctx context.Context, n applications.New, code string) (*applications.Application, error)
}

// Catalogue rows and "other" rows the form offers; a person with more
// sends the others when the registrar asks for more information.
const (
	applyCourseRows = 2
	applyOtherRows  = 1
	maxApplyForm    = 32 << 10
)

// applyView is the /apply pages' state.
type applyView struct {
	// Step is "email" (ask for a code) or "form" (the application).
	Step   string
	Form   map[string]string
	Error  string
	Field  string
	Notice string
	// Ref is the reference of a recorded application.
	Ref        string
	Email      string
	Nations    [][2]string
	Courses    []courses.Entry
	CourseRows []int
	OtherRows  []int
	Levels     []int
	Criteria   register.Criteria
}

// Value is what the form held in field k.
func (v *applyView) Value(k string) string { return v.Form[k] }

// formField is one field of the application form, for its templates.
type formField struct {
	V                     *applyView
	ID, Label, Hint, Auto string
}

// pageFuncs are the functions the page templates may call.
var pageFuncs = template.FuncMap{
	"field": func(v *applyView, id, label, hint, auto string) formField {
		return formField{V: v, ID: id, Label: label, Hint: hint, Auto: auto}
	},
}

func (s *Site) newApplyView(step string) *applyView {
	v := &applyView{Step: step, Form: map[string]string{}, Levels: []int{1, 2, 3, 4, 5, 6, 7, 8}}
	for _, n := range register.Nations {
		v.Nations = append(v.Nations, [2]string{n, nationNames[n]})
	}
	for i := range applyCourseRows {
		v.CourseRows = append(v.CourseRows, i+1)
	}
	for i := range applyOtherRows {
		v.OtherRows = append(v.OtherRows, i+1)
	}
	v.Criteria = register.DefaultCriteria
	if s.cfg.Catalogue != nil {
		if c := s.cfg.Catalogue.Settings().Criteria; c.Required {
			v.Criteria = c
		}
		if es, err := courses.Read(s.cfg.Catalogue, courses.Filter{}); err == nil {
			for _, e := range es {
				if e.Standing.Standing != courses.Withdrawn {
					v.Courses = append(v.Courses, e)
				}
			}
		}
	}
	return v
}

func (s *Site) applyPage(_ *http.Request, d *pageData) (string, int) {
	d.Title, d.Nav = "Apply to join the register", "apply"
	d.Apply = s.newApplyView("email")
	if s.cfg.Applying == nil {
		d.Apply.Error = "This register is not taking applications online. Contact the register to apply."
		return "apply", http.StatusServiceUnavailable
	}
	return "apply", http.StatusOK
}

// clientOf names the applicant's client for the code limits: through the
// trusted proxy header when the operator set one (Config.Client).
func (s *Site) clientOf(r *http.Request) string {
	if s.cfg.Client != nil {
		if a := s.cfg.Client(r); a.IsValid() {
			return a.String()
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Site) applyCode(r *http.Request, d *pageData) (string, int) {
	d.Title, d.Nav = "Apply to join the register", "apply"
	v := s.newApplyView("email")
	d.Apply = v
	if s.cfg.Applying == nil {
		v.Error = "This register is not taking applications online. Contact the register to apply."
		return "apply", http.StatusServiceUnavailable
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxApplyForm)
	email := strings.TrimSpace(r.PostFormValue("email"))
	v.Form["email"] = email
	if email == "" {
		v.Error, v.Field = "Enter your email address.", "email"
		return "apply", http.StatusBadRequest
	}
	if err := s.cfg.Applying.SendCode(r.Context(), email, s.clientOf(r)); err != nil {
		v.Error, v.Field = pageError(err), "email"
		return "apply", statusOf(err)
	}
	v.Step, v.Email = "form", email
	v.Notice = "We have sent a 6-digit code to " + email + ". It works for 30 minutes. Keep this page open and fill in the form."
	return "apply", http.StatusOK
}

// applyFields maps the start of an error's message to the field it is
// about, so that the error summary links to it.
var applyFields = []struct{ prefix, field string }{
	{"Given name", "given"}, {"Family name", "family"}, {"Nation", "nation"}, {"Date of birth", "dob-day"},
	{"Employer", "employer"}, {"Qualification", "course-1"}, {"Add at least one qualification", "course-1"},
	{"Give details", "details"}, {"Declaration details", "details"}, {"Confirm that the information", "truthful"},
	{"Agree to the privacy notice", "consent"}, {"The code", "code"}, {"No code was sent", "code"},
	{"Email", "code"},
}

func fieldOf(msg string) string {
	for _, f := range applyFields {
		if strings.HasPrefix(msg, f.prefix) {
			return f.field
		}
	}
	return "code"
}

func (s *Site) applySubmit(r *http.Request, d *pageData) (string, int) {
	d.Title, d.Nav = "Apply to join the register", "apply"
	v := s.newApplyView("form")
	d.Apply = v
	if s.cfg.Applying == nil {
		v.Step, v.Error = "email", "This register is not taking applications online. Contact the register to apply."
		return "apply", http.StatusServiceUnavailable
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxApplyForm)
	if err := r.ParseForm(); err != nil {
		v.Step, v.Error, v.Field = "email", "The form could not be read. Start again.", "email"
		return "apply", http.StatusBadRequest
	}
	for k := range r.PostForm {
		v.Form[k] = r.PostFormValue(k)
	}
	v.Email = v.Form["email"]
	n, err := readApplication(v.Form)
	if err == nil {
		var a *applications.Application
		if a, err = s.cfg.Applying.Submit(r.Context(), n, v.Form["code"]); err == nil {
			d.Title = "Application received"
			v.Step, v.Ref = "done", a.Ref
			return "apply", http.StatusOK
		}
	}
	v.Error = pageError(err)
	v.Field = fieldOf(v.Error)
	return "apply", statusOf(err)
}

// readApplication builds an application from the form's fields.
func readApplication(f map[string]string) (applications.New, error) {
	n := applications.New{
		Given: f["given"], Family: f["family"], Nation: f["nation"], Email: strings.TrimSpace(f["email"]), Employer: f["employer"],
		Declarations: applications.Declarations{
			FitnessToPractise: f["ftp"] == "yes", Convictions: f["convictions"] == "yes", Health: f["health"] == "yes",
			Details: f["details"], Truthful: f["truthful"] == "yes",
		},
		PrivacyConsent: f["consent"] == "yes",
	}
	for _, q := range []string{"ftp", "convictions", "health"} {
		if f[q] != "yes" && f[q] != "no" {
			return n, fmt.Errorf("%w: declaration details: answer yes or no to each of the three declarations", register.ErrInvalid)
		}
	}
	day, month, year := strings.TrimSpace(f["dob-day"]), strings.TrimSpace(f["dob-month"]), strings.TrimSpace(f["dob-year"])
	dd, e1 := strconv.Atoi(day)
	mm, e2 := strconv.Atoi(month)
	yy, e3 := strconv.Atoi(year)
	if e1 != nil || e2 != nil || e3 != nil || len(year) != 4 {
		return n, fmt.Errorf("%w: date of birth must be a real date, with the day, month and year as numbers, for example 27 3 1990", register.ErrInvalid)
	}
	n.DateOfBirth = register.Date(fmt.Sprintf("%04d-%02d-%02d", yy, mm, dd))
	if _, err := register.ParseDate(string(n.DateOfBirth)); err != nil {
		return n, fmt.Errorf("%w: date of birth must be a real date, for example 27 3 1990; %d %d %d is not one", register.ErrInvalid, dd, mm, yy)
	}
	for i := 1; i <= applyCourseRows; i++ {
		id, awarded := f["course-"+strconv.Itoa(i)], strings.TrimSpace(f["course-"+strconv.Itoa(i)+"-awarded"])
		if id == "" {
			continue
		}
		n.Qualifications = append(n.Qualifications, register.Qualification{Course: id, Awarded: register.Date(awarded)})
	}
	for i := 1; i <= applyOtherRows; i++ {
		p := "other-" + strconv.Itoa(i) + "-"
		if strings.TrimSpace(f[p+"title"]) == "" && strings.TrimSpace(f[p+"provider"]) == "" {
			continue
		}
		level, err := strconv.Atoi(f[p+"level"])
		if err != nil {
			return n, fmt.Errorf("%w: qualification %d: choose the level of your other qualification (compared in the RQF)", register.ErrInvalid, len(n.Qualifications)+1)
		}
		n.Qualifications = append(n.Qualifications, register.Qualification{Title: f[p+"title"], Level: level, Provider: f[p+"provider"],
			Accreditation: "other", Awarded: register.Date(strings.TrimSpace(f[p+"awarded"]))})
	}
	return n, nil
}

// statusOf is the HTTP status a page answers an error with.
func statusOf(err error) int {
	switch {
	case errors.Is(err, register.ErrInvalid), errors.Is(err, register.ErrNotFound):
		return http.StatusBadRequest
	case errors.Is(err, register.ErrUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, register.ErrConflict):
		return http.StatusConflict
	case strings.Contains(err.Error(), "too many codes"):
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}
