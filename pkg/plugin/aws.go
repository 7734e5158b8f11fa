package plugin

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/grafana/grafana-aws-sdk/pkg/awsauth"
	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/spacetime/tickets/pkg/duration"
	"github.com/spacetime/tickets/pkg/hub"
	"github.com/spacetime/tickets/pkg/store/dynamo"
)

// AWSSettings are the connection fields of @grafana/aws-sdk's ConnectionConfig, which it
// keeps at the top level of jsonData; the access key, secret key and session token are in
// secureJsonData (accessKey, secretKey, sessionToken).
type AWSSettings struct {
	// AuthType is "default" (the AWS default chain; also when empty), "keys",
	// "credentials" (a profile of the shared files), "ec2_iam_role" or
	// "grafana_assume_role". Grafana's [aws] allowed_auth_providers decides which are
	// allowed.
	AuthType      string `json:"authType,omitempty"`
	DefaultRegion string `json:"defaultRegion,omitempty"`
	Profile       string `json:"profile,omitempty"`
	AssumeRoleARN string `json:"assumeRoleArn,omitempty"`
	ExternalID    string `json:"externalId,omitempty"`
	// Endpoint overrides the endpoint of every AWS service, DynamoDB's included unless
	// DynamoDBSettings.Endpoint is set.
	Endpoint string `json:"endpoint,omitempty"`
}

// DynamoDBSettings are jsonData.dynamodb: the table of store "dynamodb".
type DynamoDBSettings struct {
	// Table is the table's name (required); `spacetime migrate` creates it.
	Table string `json:"table,omitempty"`
	// Endpoint overrides DynamoDB's endpoint only: a DynamoDB-compatible server or a VPC
	// endpoint.
	Endpoint string `json:"endpoint,omitempty"`
	// Follow is how often this server reads what the others wrote to the table, such as
	// "10s" (the default, hub.DefaultFollowEvery; duration.Parse: a Go duration or whole days): a ticket one server stores is queryable on
	// the others at most this much later. Each read is a Query per index shard, a few
	// read units when nothing changed.
	Follow string `json:"follow,omitempty"`
}

// minFollow keeps a misconfigured data source from querying the table in a busy loop.
const minFollow = 500 * time.Millisecond

// followEvery is the follow interval the settings ask for, else fallback.
func (set Settings) followEvery(fallback time.Duration) (time.Duration, error) {
	if set.DynamoDB.Follow == "" {
		return fallback, nil
	}
	d, err := duration.Parse(set.DynamoDB.Follow)
	if err != nil {
		if duration.TooLong(err) {
			return 0, fmt.Errorf("jsonData.dynamodb.follow %w", err)
		}
		return 0, fmt.Errorf("jsonData.dynamodb.follow %q is not a duration such as 10s or 1m", set.DynamoDB.Follow)
	}
	if d < minFollow {
		return 0, fmt.Errorf("jsonData.dynamodb.follow %s is shorter than the shortest, %s", d, minFollow)
	}
	return d, nil
}

var knownAuthTypes = []awsauth.AuthType{
	awsauth.AuthTypeDefault, awsauth.AuthTypeKeys, awsauth.AuthTypeSharedCreds,
	awsauth.AuthTypeEC2IAMRole, awsauth.AuthTypeGrafanaAssumeRole,
}

// checkDynamoSettings validates the DynamoDB settings and returns the store spec they
// name (dynamodb://TABLE?region=R&endpoint=URL), so that the table name and the endpoint
// are checked as the command line checks them.
func checkDynamoSettings(set *Settings, secrets map[string]string) (string, error) {
	if set.DynamoDB.Table == "" {
		return "", fmt.Errorf("store \"dynamodb\" needs a table: set the table name (jsonData.dynamodb.table), " +
			"and create the table with spacetime migrate --store dynamodb://TABLE?region=REGION")
	}
	switch set.AuthType {
	case "":
		set.AuthType = string(awsauth.AuthTypeDefault)
	case string(awsauth.AuthTypeKeys):
		if secrets["accessKey"] == "" || secrets["secretKey"] == "" {
			return "", fmt.Errorf("authentication \"keys\" needs an access key and a secret key " +
				"(secureJsonData.accessKey and secureJsonData.secretKey)")
		}
	}
	known := false
	for _, at := range knownAuthTypes {
		known = known || set.AuthType == string(at)
	}
	if !known {
		return "", fmt.Errorf("unknown AWS authentication %q (jsonData.authType); use one of %v", set.AuthType, knownAuthTypes)
	}
	if _, err := set.followEvery(0); err != nil {
		return "", err
	}
	q := url.Values{}
	if set.DefaultRegion != "" {
		q.Set("region", set.DefaultRegion)
	}
	if ep := set.dynamoEndpoint(); ep != "" {
		q.Set("endpoint", ep)
	}
	spec := (&url.URL{Scheme: "dynamodb", Host: set.DynamoDB.Table, RawQuery: q.Encode()}).String()
	if _, err := dynamo.ParseURL(spec); err != nil {
		return "", fmt.Errorf("the DynamoDB settings (jsonData.dynamodb, defaultRegion, endpoint): %w", err)
	}
	return spec, nil
}

// dynamoEndpoint is DynamoDB's own endpoint override, else the one of every AWS service.
func (set Settings) dynamoEndpoint() string {
	if set.DynamoDB.Endpoint != "" {
		return set.DynamoDB.Endpoint
	}
	return set.Endpoint
}

// target resolves the store the settings name into the hub's target. For DynamoDB it
// builds the AWS configuration through grafana-aws-sdk's awsauth, which applies Grafana's
// own AWS settings carried in ctx (allowed authentication types, assume role, proxy).
func (f *Factory) target(ctx context.Context, set Settings, s backend.DataSourceInstanceSettings, getenv func(string) string) (hub.Target, error) {
	if set.Store != "dynamodb" {
		return hub.Embedded(set.StorePath, set.window), nil
	}
	as := awsauth.Settings{
		AuthType:           awsauth.AuthType(set.AuthType),
		AccessKey:          s.DecryptedSecureJSONData["accessKey"],
		SecretKey:          s.DecryptedSecureJSONData["secretKey"],
		SessionToken:       s.DecryptedSecureJSONData["sessionToken"],
		Region:             set.DefaultRegion,
		CredentialsProfile: set.Profile,
		AssumeRoleARN:      set.AssumeRoleARN,
		ExternalID:         set.ExternalID,
		Endpoint:           set.Endpoint,
	}
	cfg, err := f.awsConfigs.GetConfig(ctx, as)
	if err != nil {
		if getenv("AWS_CA_BUNDLE") != "" {
			// awsauth gives the SDK a plain *http.Client, to which the SDK cannot add
			// the bundle's certificates; its own message does not say so.
			return hub.Target{}, fmt.Errorf("the AWS connection settings (authentication %q): %w "+
				"(AWS_CA_BUNDLE is set in Grafana's environment, which grafana-aws-sdk does not support: "+
				"unset it and add the certificates to the system's trust store)", set.AuthType, err)
		}
		return hub.Target{}, fmt.Errorf("the AWS connection settings (authentication %q): %w", set.AuthType, err)
	}
	cfg = cfg.Copy()
	endpoint := set.dynamoEndpoint()
	if cfg.Region == "" {
		if endpoint == "" {
			return hub.Target{}, fmt.Errorf("no AWS region: set the default region of the connection " +
				"(jsonData.defaultRegion), or AWS_REGION in Grafana's environment")
		}
		// A DynamoDB-compatible server ignores the region, but the SDK signs with one.
		cfg.Region = "us-east-1"
	}
	follow, err := set.followEvery(0)
	if err != nil {
		return hub.Target{}, err
	}
	return hub.Dynamo(hub.DynamoDB{Spec: set.dynamoSpec, Table: set.DynamoDB.Table, Endpoint: endpoint, AWS: cfg,
		Auth: as.Hash(), Follow: follow}, set.window, getenv), nil
}
