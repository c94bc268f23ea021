package statuspub

// PublishDue publishes as the running publisher does after a change: at
// once, without signing, when no list changed; signing otherwise.
func (p *Publisher) PublishDue() error {
	_, _, err := p.publish(publishDue)
	return err
}
