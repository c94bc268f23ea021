package issuer

import (
	"context"
	"fmt"

	"github.com/nalw/linkpass/issuer/fsm"
	"github.com/nalw/linkpass/issuer/register"
)

// Amended is a registrant's record after a correction.
type Amended struct {
	*Committed
	Result fsm.Result
	// Reissued is the credential issued in place of those the correction
	// superseded, when the registrant is in good standing to receive one.
	Reissued *Issued
}

// Amend commits a correction (OpCorrect, OpEditQualification or
// OpWithdrawQualification). When it superseded credentials that stated
// what was corrected, it issues one in their place, so that the holder's
// next credential is right; the API, CLI and console all correct through
// here.
func (s *Server) Amend(ctx context.Context, actor register.Actor, cmd fsm.ChangeRegistrant) (*Amended, error) {
	switch cmd.Op {
	case fsm.OpCorrect, fsm.OpEditQualification, fsm.OpWithdrawQualification:
	default:
		return nil, fmt.Errorf("%w: %q is not a correction", register.ErrInvalid, cmd.Op)
	}
	c, err := s.Commit(ctx, actor, cmd)
	if err != nil {
		return nil, err
	}
	a := &Amended{Committed: c, Result: c.Result.(fsm.Result)}
	if len(a.Result.Superseded) == 0 || !a.Result.Registrant.GoodStanding(register.DateOf(s.Now())) {
		return a, nil
	}
	if a.Reissued, err = s.IssueCredential(ctx, actor, cmd.Number); err != nil {
		return a, fmt.Errorf("the correction is committed and the old credentials revoked, but re-issuing failed: %w; issue a new credential", err)
	}
	return a, nil
}
