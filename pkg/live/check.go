package live

import (
	"bytes"
	"errors"

	"github.com/spacetime/tickets/pkg/query"
)

// Check decodes a live query as a subscription carries it, checks it against the data
// source's schema and filters as SubscribeStream would, and returns its channel path. The
// frontend asks for the path this way (the plugin's POST live route) rather than digest
// the query itself: the path is the digest of the query as Go encodes it, which a browser
// cannot reproduce byte for byte, and a query that cannot stream is told so before any
// subscription.
func Check(env *query.Env, raw []byte) (string, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return "", errors.New("send the live query as a JSON object")
	}
	s, err := decodeSpec(raw)
	if err != nil {
		return "", err
	}
	path, err := Path(s)
	if err != nil {
		return "", err
	}
	if _, err := check(env, s); err != nil {
		return "", err
	}
	return path, nil
}
