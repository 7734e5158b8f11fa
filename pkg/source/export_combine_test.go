package source

// WaitingPushes is how many pushes wait for the combiner's write in progress.
func WaitingPushes(c *Combiner) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiting)
}
