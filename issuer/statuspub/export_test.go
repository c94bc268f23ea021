package statuspub

// PublishDue publishes as the running publisher does after a change: at
// once, without signing, when no list changed; signing otherwise, with
// the changed lists compressed quickly.
func (p *Publisher) PublishDue() error {
	_, _, err := p.publish(publishDue)
	return err
}

// Polish publishes as the running publisher does when no change came for
// a while: it signs again lists served compressed quickly.
func (p *Publisher) Polish() error {
	_, _, err := p.publish(publishPolish)
	return err
}
