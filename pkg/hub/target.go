package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/spacetime/tickets/pkg/store"
	"github.com/spacetime/tickets/pkg/store/bolt"
	"github.com/spacetime/tickets/pkg/store/dynamo"
	"github.com/spacetime/tickets/pkg/store/stores"
)

// Target names a store and how the hub keeps engines over it: ID tells stores apart (two
// users with the same ID share one open store), Spec and Options open it.
type Target struct {
	ID      string
	Spec    string
	Options []stores.Option
	// Shared says that other processes write to the store (a DynamoDB table), so that
	// the engines over it read their writes every Follow (0: the hub's FollowEvery).
	Shared bool
	Follow time.Duration
	// Window is how far back the engine over the store reaches; 0 for every ticket.
	// Users with other windows get engines of their own.
	Window time.Duration
	// Image is where the engine over the store keeps its image (engine.SaveImage), so
	// that a restart reads its columns back instead of the whole store; empty for none.
	Image string
}

// Open opens the target's store.
func (t Target) Open(ctx context.Context) (store.Store, error) {
	return stores.Open(ctx, t.Spec, t.Options...)
}

// Embedded is the target of the embedded store in the file at path, with the engine's
// image beside it (ImagePath).
func Embedded(path string, window time.Duration) Target {
	return Target{
		ID:      path,
		Spec:    "file:" + path,
		Options: []stores.Option{stores.WithBoltOptions(bolt.Options{})},
		Window:  window,
		Image:   ImagePath(path),
	}
}

// ImagePath is where the engine over an embedded store keeps its image: beside the
// store's file, which only one process can open, so only one process writes it.
func ImagePath(storePath string) string { return storePath + ".image" }

// Spec is the target of a store spec as the command line takes it (a file path, file:PATH
// or dynamodb://TABLE?...; package stores), with no image: for a process that writes to
// the store and loads no engine, such as `spacetime ingest`.
func Spec(spec string) Target {
	shared := strings.HasPrefix(strings.ToLower(spec), "dynamodb://")
	return Target{ID: spec, Spec: spec, Shared: shared}
}

// DynamoDB is a DynamoDB table reached with an AWS configuration that the caller built
// (the plugin, from the data source's connection settings through grafana-aws-sdk).
type DynamoDB struct {
	// Spec is the table's store spec, dynamodb://TABLE?region=R&endpoint=URL.
	Spec  string
	Table string
	// Endpoint is DynamoDB's endpoint override, empty for AWS's own.
	Endpoint string
	// AWS is the configuration the table is reached with; its region must be set.
	AWS aws.Config
	// Auth identifies the credentials (such as awsauth.Settings.Hash), so that users
	// with other credentials never share a store handle: one must never read a table
	// through another's credentials.
	Auth uint64
	// Follow is how often the engines read the other processes' writes; 0 for the hub's
	// FollowEvery.
	Follow time.Duration
}

// Dynamo is the target of a DynamoDB table, with the engine's image in the directory an
// embedded store would use (DynamoImagePath).
func Dynamo(d DynamoDB, window time.Duration, getenv func(string) string) Target {
	id := fmt.Sprintf("dynamodb://%s@%s/%s#%016x", d.Table, d.AWS.Region, d.Endpoint, d.Auth)
	cfg := d.AWS
	return Target{
		ID:   id,
		Spec: d.Spec,
		Options: []stores.Option{stores.WithDynamoConfig(func(c *dynamo.Config) {
			c.AWS = &cfg
			c.Region = cfg.Region
		})},
		Shared: true,
		Follow: d.Follow,
		Window: window,
		Image:  DynamoImagePath(getenv, id),
	}
}

// DynamoImagePath is where the engine over a DynamoDB table keeps its image: in the
// directory an embedded store would use (Grafana's data directory first), named by a
// hash of the store's identity, credentials included, so that an image is read back
// only through the credentials that wrote it. Empty, for no image, when there is no
// such directory.
func DynamoImagePath(getenv func(string) string, id string) string {
	sum := sha256.Sum256([]byte(id))
	p, err := bolt.DefaultPath(getenv, "dynamodb-"+hex.EncodeToString(sum[:8]))
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(p, ".db") + ".image"
}
