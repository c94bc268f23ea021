package applicant

import (
	"time"

	"github.com/nalw/linkpass/applications"
	"github.com/nalw/linkpass/issuer/register"
)

// statusView is an application as its applicant sees it: where it
// stands in words, what they may do, and its steps. Registrars' names
// and the removed registrants it may match are not shown.
type statusView struct {
	Ref, Name, State string
	// Standing says where the application stands, in a sentence.
	Standing string
	// Request is the registrar's request for more information, to answer.
	Request   string
	CanAnswer bool
	// AppealBy is the last day to appeal, in words; CanAppeal says
	// whether today is within it, AppealEnded that it has passed.
	AppealBy               string
	CanAppeal, AppealEnded bool
	Registrant             string
	Steps                  []stepView
}

type stepView struct {
	When, What, Note string
}

// stepWords says what each step was, as the applicant reads it; the notes
// shown are those the applicant was emailed or wrote.
var stepWords = map[string]struct {
	what     string
	withNote bool
}{
	"submitted":                  {"You applied", false},
	"more-information-requested": {"A registrar asked for more information", true},
	"information-provided":       {"You answered", true},
	"refused":                    {"A registrar refused the application", true},
	"appealed":                   {"You appealed", true},
	"appeal-upheld":              {"Your appeal was upheld: the application is reviewed again", true},
	"appeal-dismissed":           {"Your appeal was dismissed", true},
	"approved":                   {"A registrar approved the application", false},
}

func longDate(d register.Date) string {
	t, err := time.Parse(register.DateLayout, string(d))
	if err != nil {
		return string(d)
	}
	return t.Format("2 January 2006")
}

func newStatusView(a *applications.Application, today register.Date) *statusView {
	v := &statusView{Ref: a.Ref, Name: a.Given + " " + a.Family, State: string(a.State), Registrant: a.Registrant,
		Request: a.Request(), CanAnswer: a.State == applications.MoreInfo}
	if a.AppealBy != "" {
		v.AppealBy = longDate(a.AppealBy)
	}
	v.CanAppeal = a.CanAppeal(today)
	v.AppealEnded = a.State == applications.Refused && !v.CanAppeal
	switch a.State {
	case applications.Submitted:
		v.Standing = "Received: a registrar will review your application. We will email you if they need more information, and when they decide."
	case applications.MoreInfo:
		v.Standing = "A registrar needs more information from you before they can decide. Answer below."
	case applications.Answered:
		v.Standing = "You answered the registrar's request. A registrar will read your answer and decide, or ask again."
	case applications.Refused:
		v.Standing = "Your application was refused."
	case applications.Appealed:
		v.Standing = "Your appeal is lodged. A registrar who did not make the first decision will decide it, and we will email you the outcome."
	case applications.Approved:
		v.Standing = "Your application was approved: you are on the register."
	case applications.AppealDismissed:
		v.Standing = "Your appeal was dismissed: the decision to refuse your application stands."
	}
	for _, e := range a.History {
		w, ok := stepWords[e.Action]
		if !ok {
			continue
		}
		s := stepView{When: e.At.UTC().Format("2 January 2006"), What: w.what}
		if w.withNote {
			s.Note = e.Note
		}
		v.Steps = append(v.Steps, s)
	}
	return v
}
