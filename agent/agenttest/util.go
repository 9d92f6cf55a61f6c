package agenttest

import "encoding/json"

func jsonUnmarshal(b []byte, v any) {
	if len(b) > 0 {
		json.Unmarshal(b, v) //nolint:errcheck // see Data
	}
}
