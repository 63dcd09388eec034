// The Benthos binary of the benchmark's peer (bench/lib/peer.ts builds it): Benthos' own CLI with
// only the components config.yaml uses. pure: mapping, switch, branch, sync_response; io:
// http_server; kafka: kafka_franz; prometheus: the metrics exporter.
package main

import (
	"context"

	"github.com/benthosdev/benthos/v4/public/service"

	_ "github.com/benthosdev/benthos/v4/public/components/io"
	_ "github.com/benthosdev/benthos/v4/public/components/kafka"
	_ "github.com/benthosdev/benthos/v4/public/components/prometheus"
	_ "github.com/benthosdev/benthos/v4/public/components/pure"
)

func main() {
	service.RunCLI(context.Background())
}
