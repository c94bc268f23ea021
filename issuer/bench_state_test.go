package issuer_test

import "github.com/nalw/linkpass/issuer/state"

var stateAll = state.AuditFilter{}
