package fsm

import (
	"fmt"

	"github.com/nalw/linkpass/issuer/state"
)

// Cluster message types: 150 to 159 are theirs.
const (
	MsgSealKeys MessageType = 150
)

// SealKeys records private keys sealed under the cluster's key-encryption
// key, so that any node that becomes leader can sign with them. The
// leader seals them before the entry is written: no private key is ever in
// the log unsealed.
type SealKeys struct {
	Keys []state.SealedKey `json:"keys"`
}

// MessageType implements Command.
func (SealKeys) MessageType() MessageType { return MsgSealKeys }

func init() {
	appliers[MsgSealKeys] = decode(applySealKeys)
	versions[MsgSealKeys] = 2
}

func applySealKeys(tx *state.Txn, env *envelope, cmd *SealKeys) (any, error) {
	if len(cmd.Keys) == 0 {
		return nil, fmt.Errorf("fsm: sealing keys: no keys given")
	}
	kids := ""
	for i := range cmd.Keys {
		k := cmd.Keys[i]
		if k.KID == "" || len(k.Sealed) == 0 {
			return nil, fmt.Errorf("fsm: sealing keys: a key id and its sealed key are required")
		}
		if err := tx.PutSealedKey(&k); err != nil {
			return nil, err
		}
		if kids != "" {
			kids += " "
		}
		kids += k.KID
	}
	return nil, audit(tx, env, "key.seal", "", kids, "", nil)
}
