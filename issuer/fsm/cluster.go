package fsm

import (
	"fmt"

	"github.com/nalw/linkpass/issuer/state"
)

// Cluster message types: 150 to 159 are theirs.
const (
	MsgSealKeys      MessageType = 150
	MsgStatusPublish MessageType = 151
)

// PublishStatus records Status List Tokens the leader signed, for every
// node to serve as they are.
type PublishStatus struct {
	Lists []state.PublishedList `json:"lists"`
}

// MessageType implements Command.
func (PublishStatus) MessageType() MessageType { return MsgStatusPublish }

func applyPublishStatus(tx *state.Txn, _ *envelope, cmd *PublishStatus) (any, error) {
	for i := range cmd.Lists {
		l := cmd.Lists[i]
		if l.ID == "" || len(l.Token) == 0 {
			return nil, fmt.Errorf("fsm: publishing status lists: a list id and its token are required")
		}
		if err := tx.PutPublishedList(&l); err != nil {
			return nil, err
		}
	}
	// Not audited: re-signing changes no one's status, and the change it
	// carries was audited when it was made.
	return nil, nil
}

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
	appliers[MsgStatusPublish] = decode(applyPublishStatus)
	versions[MsgStatusPublish] = 2
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
